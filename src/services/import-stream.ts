import { type FieldIssue, zodIssues } from '../core/rulebook/rulebook.js';
import { parseInstant } from '../core/time.js';
import { CsvChunk, csvRecord } from '../store/copy.js';
import { toPg } from '../store/rows.js';
import { type CsvRecord, cellsOf } from './csv-records.js';
import type { BulkColumn, BulkKind, BulkOptions } from './import-bulk.js';
import { instantAt } from './import-cells.js';
import type { RepeatedIds } from './repeated-ids.js';

/**
 * The streaming pass of the bulk import: each row of a big file checked
 * cell by cell and written as a COPY record of the staging table, or refused
 * with the schema's words. See `import-bulk.ts` for why the cells are checked
 * here and not in SQL.
 */

export const DEFAULT_CHUNK_ROWS = 50_000;

/** Bytes of one COPY chunk at most: a chunk ends at `chunkRows` rows or here. */
const CHUNK_BYTES = 8 << 20;

export interface LineIssue {
  readonly line: number;
  readonly issue: FieldIssue;
}

/** What the streaming pass leaves for the checks in the store. */
export interface StreamState {
  rows: number;
  bytesRead: number;
  readonly refused: LineIssue[];
  refusedRows: number;
  readonly repeats: RepeatedIds;
}

/** The input object the schema expects, as the small files' import builds it. */
function toInput(
  kind: BulkKind,
  indexes: readonly number[],
  cells: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  kind.columns.forEach((c, j) => {
    const cell = cells[indexes[j] ?? -1];
    if (cell === undefined || (cell === '' && c.optional)) return;
    out[c.name] = cell;
  });
  return out;
}

/**
 * The checks of one file's rows, in the layout its header gives: which cell
 * each column of the kind is in, and where the cells of a plain line lie.
 */
class RowChecks {
  readonly #kind: BulkKind;
  readonly #indexes: readonly number[];
  readonly #state: StreamState;
  readonly #used: ReadonlySet<number>;
  readonly #width: number;
  /** Where each cell of the last plain line checked starts; it ends one before the next. */
  readonly starts: Int32Array;
  /** The cell of the id, and for charges the cell of `at` (kept as text too), or -1. */
  readonly idAt: number;
  readonly keepAt: number;

  constructor(kind: BulkKind, indexes: readonly number[], state: StreamState) {
    this.#kind = kind;
    this.#indexes = indexes;
    this.#state = state;
    this.#used = new Set(indexes);
    this.#width = Math.max(...indexes) + 1;
    this.starts = new Int32Array(this.#width + 1);
    const at = (name: string) => indexes[kind.columns.findIndex((c) => c.name === name)] ?? -1;
    this.idAt = at('id');
    this.keepAt = kind.references === 'order' ? at('at') : -1;
  }

  /** Where cell `i` of the plain line last checked ends. */
  cellEnd(i: number): number {
    return (this.starts[i + 1] ?? 0) - 1;
  }

  /** True when every cell of the plain line that the kind reads is one the schema accepts. */
  plainAccepted(text: string): boolean {
    const starts = this.starts;
    starts[0] = 0;
    for (let i = 1; i <= this.#width; i++) {
      const comma = text.indexOf(',', starts[i - 1]);
      starts[i] = comma < 0 ? text.length + 1 : comma + 1;
    }
    const columns = this.#kind.columns;
    for (let j = 0; j < columns.length; j++) {
      const c = columns[j] as BulkColumn;
      const i = this.#indexes[j] ?? -1;
      if (i < 0) continue;
      const start = starts[i] as number;
      const end = this.cellEnd(i);
      if (start === end ? !c.optional : !c.accepts(text, start, end)) return false;
    }
    return true;
  }

  /** The same for cells parsed out of quotes. */
  cellsAccepted(cells: readonly string[]): boolean {
    return this.#kind.columns.every((c, j) => {
      const cell = cells[this.#indexes[j] ?? -1];
      if (cell === undefined || cell === '') return c.optional === true;
      return c.accepts(cell, 0, cell.length);
    });
  }

  /**
   * A record the checks did not pass, or one parsed out of quotes, as a COPY
   * record: unless `accepted`, the schema decides, and an unusual instant it
   * accepts is written in UTC. Null when the row is refused.
   */
  record(line: number, cells: readonly string[], accepted: boolean): string | null {
    const kind = this.#kind;
    if (!accepted) {
      const input = toInput(kind, this.#indexes, cells);
      const parsed = kind.schema.safeParse(input);
      if (!parsed.success) return this.#refuse(line, zodIssues(parsed.error, input));
    }
    // An empty cell is absent (NULL), and so is a cell the kind does not read.
    const out: (string | number | null)[] = [line];
    for (let i = 0; i < cells.length; i++) {
      const cell = cells[i] as string;
      out.push(cell !== '' && this.#used.has(i) ? cell : null);
    }
    for (let j = 0; j < kind.columns.length; j++) {
      const c = kind.columns[j] as BulkColumn;
      const i = this.#indexes[j] ?? -1;
      const cell = cells[i];
      if (c.type !== 'timestamptz' || cell === undefined || instantAt(cell, 0, cell.length)) {
        continue;
      }
      // The schema has refused the instants outside the years the store reads.
      out[i + 1] = toPg(parseInstant(cell));
    }
    if (this.keepAt >= 0) out.push(cells[this.keepAt] ?? null);
    return csvRecord(out);
  }

  #refuse(line: number, issues: readonly FieldIssue[]): null {
    const where = `${this.#kind.file}:${line}`;
    for (const issue of issues) {
      this.#state.refused.push({ line, issue: { ...issue, path: `${where} ${issue.path}` } });
    }
    this.#state.refusedRows += 1;
    return null;
  }
}

/**
 * The rows of a file as COPY records, a chunk at a time, and the rows the
 * schema refuses, as issues. Only rows the schema accepts reach the store.
 */
export async function* copyRecords(
  kind: BulkKind,
  first: readonly CsvRecord[],
  rest: AsyncIterator<CsvRecord[]>,
  indexes: readonly number[],
  state: StreamState,
  options: BulkOptions,
): AsyncGenerator<Buffer> {
  const chunkRows = options.chunkRows ?? DEFAULT_CHUNK_ROWS;
  const checks = new RowChecks(kind, indexes, state);
  const { idAt, keepAt } = checks;
  const chunk = new CsvChunk(CHUNK_BYTES);

  const take = function* (records: readonly CsvRecord[]) {
    for (const record of records) {
      state.rows += 1;
      const text = record.plain;
      if (text !== undefined && checks.plainAccepted(text)) {
        // The line goes on as it is, after its number (and, for charges, `at` again).
        const kept = keepAt < 0 ? null : text.slice(checks.starts[keepAt], checks.cellEnd(keepAt));
        state.repeats.add(text, checks.starts[idAt] ?? 0, checks.cellEnd(idAt));
        if (!chunk.fits(text.length + (kept?.length ?? 0) + 24)) yield chunk.take();
        chunk.write(`${record.line},`);
        chunk.write(text);
        if (kept !== null) chunk.write(`,${kept}`);
        chunk.endRecord();
      } else {
        const cells = cellsOf(record);
        const accepted = text === undefined && checks.cellsAccepted(cells);
        const csv = checks.record(record.line, cells, accepted);
        if (csv === null) continue;
        const id = cells[idAt] ?? '';
        state.repeats.add(id, 0, id.length);
        if (!chunk.fits(csv.length)) yield chunk.take();
        chunk.writeRecord(csv);
      }
      if (chunk.records >= chunkRows) yield chunk.take();
    }
  };

  yield* take(first);
  for (;;) {
    const next = await rest.next();
    if (next.done) break;
    yield* take(next.value);
    options.onProgress?.({ bytesRead: state.bytesRead, rows: state.rows, phase: 'reading' });
  }
  if (chunk.records > 0) yield chunk.take();
}
