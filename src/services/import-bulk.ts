import { statSync } from 'node:fs';
import type { z } from 'zod';
import { LadderError } from '../core/errors.js';
import { chargeInput, orderInput, settlementInput } from '../core/input.js';
import { TAX_REFUND_SERVICE_FEE } from '../core/model.js';
import { type FieldIssue, zodIssues } from '../core/rulebook/rulebook.js';
import { parseInstant } from '../core/time.js';
import { CsvChunk, csvRecord } from '../store/copy.js';
import type { Queryable } from '../store/db.js';
import { type CsvRecord, CsvShapeError, cellsOf, readCsvRecords } from './csv-records.js';
import { type CellCheck, decimalAt, instantAt, literal, textOf } from './import-cells.js';
import { RepeatedIds } from './repeated-ids.js';

/**
 * The import of the big files (orders, charges, settlements): millions of
 * rows, so they go to the store by COPY and are checked and merged there
 * with a few statements over all rows at once, not row by row.
 *
 *   file ─ readCsvRecords ─ cell checks ─ COPY ─▶ import_stage (typed, + line)
 *     ─ references, repeats in the file, conflicts with the store ─▶ import_verdicts
 *     ─ INSERT … SELECT the rows without a verdict, in file order ─▶ orders
 *
 * The cells are checked while the file streams past, not in SQL: every cell
 * is tested against a pattern that accepts exactly what the zod schema of
 * `core/input.ts` accepts (for instants, the usual subset of it), and a row
 * that fails goes through that schema itself, so a bad row is refused with
 * the schema's own words, and an unusual but valid instant (a bare date, an
 * offset beyond ±15:59) is turned into one the server reads. Doing this in
 * SQL was measured first: the regular expressions over the three checked
 * cells of a million orders took PostgreSQL 15 about 2.5 s, more than the
 * COPY itself, and had to copy the schema's words and Temporal's calendar
 * rules into SQL; in the streaming pass they take about 0.5 s of the other
 * core while the server copies. So the staging table is typed, and what is
 * left to SQL is what needs the whole file and the store: references,
 * repeated ids and conflicts.
 *
 * A row refused here and a row refused in SQL are reported alike, with file,
 * line, field and value. Nothing is held per row in memory: a chunk of rows
 * at a time, and the refusals.
 */

type CellType = 'text' | 'numeric' | 'timestamptz';

interface BulkColumn {
  /** The CSV column, which is also the field of the input schema. */
  readonly name: string;
  /** The column of the staging and the fact table. */
  readonly sql: string;
  readonly type: CellType;
  /** True only when the schema accepts the cell (`import-cells.ts`). */
  readonly accepts: CellCheck;
  /** An empty cell is absent (`usdCny`); otherwise it is refused by the schema. */
  readonly optional?: boolean;
}

export interface BulkKind {
  readonly file: string;
  /** The fact, in messages: `order O-1 was sent before with other facts`. */
  readonly noun: 'order' | 'charge' | 'settlement';
  readonly table: 'orders' | 'charges' | 'settlements';
  readonly schema: z.ZodType;
  readonly columns: readonly BulkColumn[];
  /** What the rows refer to: the merchant, or (charges) the order and its merchant. */
  readonly references: 'merchant' | 'order';
}

// The schema's id: 1 to 128 characters.
const idCell = textOf(128);

const column = (
  name: string,
  sql: string,
  type: CellType,
  accepts: CellCheck,
  optional = false,
): BulkColumn => ({ name, sql, type, accepts, optional });

export const BULK_KINDS: readonly BulkKind[] = [
  {
    file: 'orders.csv',
    noun: 'order',
    table: 'orders',
    schema: orderInput,
    references: 'merchant',
    columns: [
      column('id', 'id', 'text', idCell),
      column('merchantId', 'merchant_id', 'text', idCell),
      column('service', 'service', 'text', textOf(16)),
      column('type', 'type', 'text', textOf(16)),
      column('amountUsd', 'amount_usd', 'numeric', decimalAt),
      column('clearedAt', 'cleared_at', 'timestamptz', instantAt),
      column('usdCny', 'usd_cny', 'numeric', decimalAt, true),
    ],
  },
  {
    file: 'charges.csv',
    noun: 'charge',
    table: 'charges',
    schema: chargeInput,
    references: 'order',
    columns: [
      column('id', 'id', 'text', idCell),
      column('orderId', 'order_id', 'text', idCell),
      column('merchantId', 'merchant_id', 'text', idCell),
      column('kind', 'kind', 'text', literal(TAX_REFUND_SERVICE_FEE)),
      column('amountCny', 'amount_cny', 'numeric', decimalAt),
      column('at', 'at', 'timestamptz', instantAt),
    ],
  },
  {
    file: 'settlements.csv',
    noun: 'settlement',
    table: 'settlements',
    schema: settlementInput,
    references: 'merchant',
    columns: [
      column('id', 'id', 'text', idCell),
      column('merchantId', 'merchant_id', 'text', idCell),
      column('currency', 'currency', 'text', textOf(8)),
      column('amount', 'amount', 'numeric', decimalAt),
      column('baseRate', 'base_rate', 'numeric', decimalAt),
      column('account', 'account', 'text', textOf(32)),
      column('at', 'at', 'timestamptz', instantAt),
    ],
  },
];

export interface BulkOptions {
  /** Rows per COPY chunk (50,000): what PGlite holds at once. Small in tests. */
  readonly chunkRows?: number;
  /** Ids kept as possible repeats before every id is grouped instead (100,000). */
  readonly repeatCandidates?: number;
  readonly onProgress?: (event: { bytesRead: number; rows: number; phase: BulkPhase }) => void;
}

export type BulkPhase = 'reading' | 'checking' | 'merging';

export interface BulkSummary {
  readonly rows: number;
  readonly inserted: number;
  readonly unchanged: number;
  readonly rejected: number;
  /** One issue per refused row (several for a row with several bad cells), by line. */
  readonly issues: FieldIssue[];
}

export const DEFAULT_CHUNK_ROWS = 50_000;

interface LineIssue {
  readonly line: number;
  readonly issue: FieldIssue;
}

/** What the streaming pass leaves for the checks in the store. */
interface StreamState {
  rows: number;
  bytesRead: number;
  readonly refused: LineIssue[];
  refusedRows: number;
  readonly repeats: RepeatedIds;
}

/** Where each column of the kind is in the file, -1 when its header lacks it. */
function columnIndexes(kind: BulkKind, header: readonly string[]): number[] {
  // csv-parse keeps the last of two cells under one name; so do we.
  return kind.columns.map((c) => header.lastIndexOf(c.name));
}

/**
 * Checks the header as the small files' import does: every required column
 * present, in any order; other columns are read and ignored.
 */
function checkHeader(kind: BulkKind, header: readonly string[] | null): void {
  const missing = kind.columns
    .filter((c) => !c.optional && !(header ?? []).includes(c.name))
    .map((c) => c.name);
  if (missing.length === 0) return;
  const what = header === null ? 'has no header row' : `lacks column(s) ${missing.join(', ')}`;
  const expected = kind.columns.map((c) => c.name).join(',');
  throw new LadderError('INVALID_INPUT', `${kind.file} ${what}`, [
    { path: `${kind.file}:1`, message: `${what}; expected ${expected}` },
  ]);
}

function shapeError(kind: BulkKind, err: Error): LadderError {
  return new LadderError(
    'INVALID_INPUT',
    `${kind.file} is not a CSV file of the expected shape: ${err.message}`,
    [{ path: kind.file, message: `is not valid CSV: ${err.message}` }],
  );
}

/**
 * The staging table's columns in the order of the file's cells, then `line`
 * first: a column of the kind where the header names one, `unused_<i>` for a
 * cell the kind does not read. Charges keep the text of `at` as well, for the
 * message that quotes it.
 */
function stagingLayout(kind: BulkKind, header: readonly string[]) {
  const indexes = columnIndexes(kind, header);
  const cells = header.map((_, i) => {
    const j = indexes.indexOf(i);
    const col = j >= 0 ? kind.columns[j] : undefined;
    return col ? { name: col.sql, type: col.type } : { name: `unused_${i}`, type: 'text' };
  });
  const kept = kind.references === 'order' ? [{ name: 'at_text', type: 'text' }] : [];
  const absent = kind.columns
    .filter((_, j) => indexes[j] === -1)
    .map((c) => ({ name: c.sql, type: c.type }));
  const copied = ['line', ...cells.map((c) => c.name), ...kept.map((c) => c.name)];
  const ddl = [
    'line bigint NOT NULL',
    ...[...cells, ...kept, ...absent].map((c) => `${c.name} ${c.type}`),
  ].join(', ');
  return { indexes, copied, ddl };
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

/** An instant the schema accepted as PostgreSQL reads it, or null outside years 1–9999. */
function instantForStore(text: string): string | null {
  const at = new Date(parseInstant(text));
  const year = at.getUTCFullYear();
  return year >= 1 && year <= 9999 ? at.toISOString() : null;
}

/** Bytes of one COPY chunk at most: a chunk ends at `chunkRows` rows or here. */
const CHUNK_BYTES = 8 << 20;

/**
 * The rows of a file as COPY records, a chunk at a time, and the rows the
 * schema refuses, as issues. Only rows the schema accepts reach the store.
 */
async function* copyRecords(
  kind: BulkKind,
  first: readonly CsvRecord[],
  rest: AsyncIterator<CsvRecord[]>,
  indexes: readonly number[],
  state: StreamState,
  options: BulkOptions,
): AsyncGenerator<Buffer> {
  const chunkRows = options.chunkRows ?? DEFAULT_CHUNK_ROWS;
  const atColumn = kind.columns.findIndex((c) => c.name === 'at');
  const idAt = indexes[kind.columns.findIndex((c) => c.name === 'id')] ?? -1;
  const keepAt = kind.references === 'order' ? (indexes[atColumn] ?? -1) : -1;
  const used = new Set(indexes);
  const width = Math.max(...indexes) + 1;
  // Where each cell of a plain line starts; the cell ends one before the next.
  const starts = new Int32Array(width + 1);
  const chunk = new CsvChunk(CHUNK_BYTES);

  const refuse = (line: number, issues: FieldIssue[]) => {
    for (const issue of issues) {
      state.refused.push({ line, issue: { ...issue, path: `${kind.file}:${line} ${issue.path}` } });
    }
    state.refusedRows += 1;
  };

  // True when every cell the kind reads is one the schema accepts as it is.
  const plainAccepted = (text: string): boolean => {
    starts[0] = 0;
    for (let i = 1; i <= width; i++) {
      const comma = text.indexOf(',', starts[i - 1]);
      starts[i] = comma < 0 ? text.length + 1 : comma + 1;
    }
    for (let j = 0; j < kind.columns.length; j++) {
      const c = kind.columns[j] as BulkColumn;
      const i = indexes[j] ?? -1;
      if (i < 0) continue;
      const start = starts[i] as number;
      const end = (starts[i + 1] as number) - 1;
      if (start === end ? !c.optional : !c.accepts(text, start, end)) return false;
    }
    return true;
  };

  // A record the fast checks did not pass, or one parsed out of quotes: the
  // schema decides, and an unusual instant it accepts is written in UTC.
  const canonical = (line: number, cells: readonly string[], checked: boolean): string | null => {
    if (!checked) {
      const input = toInput(kind, indexes, cells);
      const parsed = kind.schema.safeParse(input);
      if (!parsed.success) {
        refuse(line, zodIssues(parsed.error, input));
        return null;
      }
    }
    // An empty cell is absent (NULL), and so is a cell the kind does not read.
    const out: (string | number | null)[] = [line];
    for (let i = 0; i < cells.length; i++) {
      const cell = cells[i] as string;
      out.push(cell !== '' && used.has(i) ? cell : null);
    }
    for (let j = 0; j < kind.columns.length; j++) {
      const c = kind.columns[j] as BulkColumn;
      const i = indexes[j] ?? -1;
      const cell = cells[i];
      if (c.type !== 'timestamptz' || cell === undefined || instantAt(cell, 0, cell.length)) {
        continue;
      }
      const stored = instantForStore(cell);
      if (stored === null) {
        const message = 'must lie in the years 0001 to 9999 in UTC';
        refuse(line, [{ path: c.name, message, value: cell }]);
        return null;
      }
      out[i + 1] = stored;
    }
    if (keepAt >= 0) out.push(cells[keepAt] ?? null);
    return csvRecord(out);
  };

  const cellsAccepted = (cells: readonly string[]): boolean =>
    kind.columns.every((c, j) => {
      const cell = cells[indexes[j] ?? -1];
      if (cell === undefined || cell === '') return c.optional === true;
      return c.accepts(cell, 0, cell.length);
    });

  const take = function* (records: readonly CsvRecord[]) {
    for (const record of records) {
      state.rows += 1;
      const text = record.plain;
      if (text !== undefined && plainAccepted(text)) {
        // The line goes on as it is, after its number (and, for charges, `at` again).
        const start = starts[keepAt] ?? 0;
        const kept = keepAt >= 0 ? text.slice(start, (starts[keepAt + 1] ?? 0) - 1) : null;
        state.repeats.add(text, starts[idAt] ?? 0, (starts[idAt + 1] ?? 0) - 1);
        if (!chunk.fits(text.length + (kept?.length ?? 0) + 24)) yield chunk.take();
        chunk.write(`${record.line},`);
        chunk.write(text);
        if (kept !== null) chunk.write(`,${kept}`);
        chunk.endRecord();
      } else {
        const cells = cellsOf(record);
        const csv = canonical(record.line, cells, text === undefined && cellsAccepted(cells));
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

/** `a.merchant_id = b.merchant_id AND …`: the facts of two rows agree, compared as values. */
function sameFacts(kind: BulkKind, a: string, b: string): string {
  return kind.columns
    .filter((c) => c.sql !== 'id')
    .map((c) =>
      c.optional
        ? `${a}.${c.sql} IS NOT DISTINCT FROM ${b}.${c.sql}`
        : `${a}.${c.sql} = ${b}.${c.sql}`,
    )
    .join(' AND ');
}

const UNDECIDED = 'NOT EXISTS (SELECT 1 FROM import_verdicts v WHERE v.line = s.line)';

const INTO_VERDICTS = 'INSERT INTO import_verdicts (line, verdict, field, value, message, code)';

/**
 * A row naming a merchant the store does not hold, or (charges) an order it
 * does not hold, one cleared after the charge or one of another merchant:
 * the checks and words of `ingest`, in its order. Merchants and orders of
 * this import are in the store by now, as the files go in that order.
 */
function referencesSql(kind: BulkKind): string {
  if (kind.references === 'merchant') {
    return `${INTO_VERDICTS}
      SELECT s.line, 'rejected', 'merchantId', s.merchant_id, 'names no known merchant',
             'UNKNOWN_REFERENCE'
      FROM import_stage s
      WHERE NOT EXISTS (SELECT 1 FROM merchants m WHERE m.id = s.merchant_id)`;
  }
  // Order ids are unique in the store (charges' foreign key names orders (id)).
  return `${INTO_VERDICTS}
    SELECT s.line, 'rejected',
      CASE WHEN o.id IS NULL THEN 'orderId' WHEN s.at < o.cleared_at THEN 'at'
           ELSE 'merchantId' END,
      CASE WHEN o.id IS NULL THEN s.order_id WHEN s.at < o.cleared_at THEN s.at_text
           ELSE s.merchant_id END,
      CASE WHEN o.id IS NULL THEN 'names no known order'
           WHEN s.at < o.cleared_at THEN 'is before order ' || s.order_id || ' was cleared'
           ELSE 'order ' || s.order_id || ' belongs to ' || o.merchant_id END,
      CASE WHEN o.id IS NULL THEN 'UNKNOWN_REFERENCE' END
    FROM import_stage s LEFT JOIN orders o ON o.id = s.order_id
    WHERE o.id IS NULL OR s.at < o.cleared_at OR o.merchant_id <> s.merchant_id`;
}

/**
 * An id on several rows of the file (SPEC §8): among the rows not refused
 * so far, the first is the one that counts; a later one with the same facts
 * is a repeat, one with other facts a conflict. `findRepeatsSql` finds the
 * ids, among the candidates the stream noted (`$1`, see `repeated-ids.ts`)
 * or, when there were too many, among all; `judgeRepeatsSql` looks only at
 * their rows.
 */
function findRepeatsSql(among: 'candidates' | 'all'): string {
  const candidate = among === 'candidates' ? 'AND s.id = ANY($1::text[])' : '';
  return `INSERT INTO import_dups (id)
    SELECT s.id FROM import_stage s WHERE ${UNDECIDED} ${candidate}
    GROUP BY s.id HAVING count(*) > 1`;
}

function judgeRepeatsSql(kind: BulkKind): string {
  return `WITH r AS (
      SELECT s.*, min(s.line) OVER (PARTITION BY s.id) AS first_line
      FROM import_stage s JOIN import_dups d ON d.id = s.id
      WHERE ${UNDECIDED}
    )
    ${INTO_VERDICTS}
    SELECT r.line, CASE WHEN ${sameFacts(kind, 'r', 'f')} THEN 'repeat' ELSE 'rejected' END,
           'id', r.id,
           '${kind.noun} ' || r.id || ' appears earlier in this file, on line ' || f.line
             || ', with other facts',
           'CONFLICT'
    FROM r JOIN r f ON f.id = r.id AND f.line = r.first_line
    WHERE r.line <> r.first_line`;
}

/**
 * A row whose id the store holds: the same facts change nothing (a repeat),
 * other facts are a conflict. The join is on the id alone, whatever key the
 * table has, and a row is compared with every stored row of its id.
 */
function storedSql(kind: BulkKind): string {
  return `WITH stored AS (
      SELECT s.line, s.id, bool_and(${sameFacts(kind, 's', 'o')}) AS same
      FROM import_stage s JOIN ${kind.table} o ON o.id = s.id
      WHERE ${UNDECIDED}
      GROUP BY s.line, s.id
    )
    ${INTO_VERDICTS}
    SELECT line, CASE WHEN same THEN 'repeat' ELSE 'rejected' END, 'id', id,
           '${kind.noun} ' || id || ' was sent before with other facts', 'CONFLICT'
    FROM stored`;
}

/**
 * The rows without a verdict, in file order so that `ingest_seq` follows the
 * file. After the checks above these are ids that neither the store nor an
 * earlier row holds, so the plain INSERT is tried first, under a savepoint:
 * ON CONFLICT DO NOTHING made the merge of a million orders about 40% slower
 * on PostgreSQL 15 (each row is probed and then inserted speculatively). If
 * another transaction wrote one of the ids meanwhile, whichever unique key
 * says so, the INSERT is undone and made again with ON CONFLICT DO NOTHING,
 * without a conflict target so as not to depend on which key the table has.
 */
function mergeSql(kind: BulkKind, onConflict: boolean): string {
  const names = kind.columns.map((c) => c.sql).join(', ');
  const values = kind.columns.map((c) => `s.${c.sql}`).join(', ');
  const insert = `INSERT INTO ${kind.table} (${names})
    SELECT ${values} FROM import_stage s WHERE ${UNDECIDED} ORDER BY s.line`;
  if (!onConflict) return insert;
  return `WITH written AS (${insert} ON CONFLICT DO NOTHING RETURNING 1)
    SELECT count(*) AS n FROM written`;
}

const UNIQUE_VIOLATION = '23505';

/** Writes the undecided rows; returns how many it wrote. */
async function merge(tx: Queryable, kind: BulkKind, undecided: number): Promise<number> {
  await tx.exec('SAVEPOINT import_merge');
  try {
    await tx.query(mergeSql(kind, false));
    await tx.exec('RELEASE SAVEPOINT import_merge');
    return undecided;
  } catch (err) {
    if ((err as { code?: unknown }).code !== UNIQUE_VIOLATION) throw err;
  }
  await tx.exec('ROLLBACK TO SAVEPOINT import_merge');
  const inserted = count(await tx.query<{ n: unknown }>(mergeSql(kind, true)));
  if (inserted < undecided) await tx.query(racedSql(kind));
  return inserted;
}

/**
 * Another transaction wrote some of these ids between the checks and the
 * merge (PostgreSQL only): the same facts are a repeat, other facts a
 * conflict, as if it had come first.
 */
function racedSql(kind: BulkKind): string {
  return `${INTO_VERDICTS}
    SELECT s.line, 'rejected', 'id', s.id,
           '${kind.noun} ' || s.id || ' was sent at the same time with other facts', 'CONFLICT'
    FROM import_stage s
    WHERE ${UNDECIDED}
      AND EXISTS (SELECT 1 FROM ${kind.table} o WHERE o.id = s.id AND NOT (${sameFacts(kind, 's', 'o')}))`;
}

const count = (rows: readonly { n?: unknown }[]): number => Number(rows[0]?.n ?? 0);

/** Two lists of issues, each in line order, as one in line order; the file's own first on a tie. */
function byLine(a: readonly LineIssue[], b: readonly LineIssue[]): FieldIssue[] {
  const out: FieldIssue[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (x && (!y || x.line <= y.line)) {
      out.push(x.issue);
      i++;
    } else if (y) {
      out.push(y.issue);
      j++;
    }
  }
  return out;
}

/**
 * Imports one big file in the caller's transaction: the good rows are
 * written, the bad ones returned as issues; the caller decides whether the
 * transaction commits (`--skip-bad`) or rolls back. Throws a LadderError
 * when the file is not CSV of the kind's shape.
 */
export async function importBulkFile(
  tx: Queryable,
  path: string,
  kind: BulkKind,
  options: BulkOptions = {},
): Promise<BulkSummary> {
  const state: StreamState = {
    rows: 0,
    bytesRead: 0,
    refused: [],
    refusedRows: 0,
    // Eight bits per byte of the file (some 500 per row), up to the filter's
    // 16 MiB: a million rows or ten million use the same memory.
    repeats: new RepeatedIds(8 * statSync(path).size, options.repeatCandidates),
  };
  const reader = readCsvRecords(path, {
    onBytes: (bytesRead) => {
      state.bytesRead = bytesRead;
    },
  })[Symbol.asyncIterator]();
  let header: string[] | null = null;
  let first: CsvRecord[] = [];
  try {
    const next = await reader.next();
    if (!next.done) {
      const [names, ...rest] = next.value;
      header = names === undefined ? null : [...cellsOf(names)];
      first = rest;
    }
  } catch (err) {
    throw err instanceof CsvShapeError ? shapeError(kind, err) : err;
  }
  checkHeader(kind, header);
  const layout = stagingLayout(kind, header ?? []);

  await tx.exec(`DROP TABLE IF EXISTS pg_temp.import_stage, pg_temp.import_verdicts,
      pg_temp.import_dups;
    SET LOCAL work_mem = '64MB';
    CREATE TEMP TABLE import_stage (${layout.ddl}) ON COMMIT DROP;
    CREATE TEMP TABLE import_dups (id text NOT NULL) ON COMMIT DROP;
    CREATE TEMP TABLE import_verdicts (
      line bigint NOT NULL,
      verdict text NOT NULL CHECK (verdict IN ('rejected', 'repeat')),
      field text NOT NULL,
      value text,
      message text NOT NULL,
      code text
    ) ON COMMIT DROP`);
  let staged: number;
  try {
    staged = await tx.copyRows(
      'import_stage',
      layout.copied,
      copyRecords(kind, first, reader, layout.indexes, state, options),
    );
  } catch (err) {
    throw err instanceof CsvShapeError ? shapeError(kind, err) : err;
  }

  const progress = (phase: BulkPhase) =>
    options.onProgress?.({ bytesRead: state.bytesRead, rows: state.rows, phase });
  progress('checking');
  await tx.exec('ANALYZE import_stage');
  await tx.query(referencesSql(kind));
  const candidates = state.repeats.candidates;
  if (candidates === null) await tx.query(findRepeatsSql('all'));
  else if (candidates.size > 0) await tx.query(findRepeatsSql('candidates'), [[...candidates]]);
  if ((await tx.query('SELECT 1 FROM import_dups LIMIT 1')).length > 0) {
    await tx.query(judgeRepeatsSql(kind));
  }
  await tx.query(storedSql(kind));
  const decided = count(
    await tx.query<{ n: unknown }>('SELECT count(*) AS n FROM import_verdicts'),
  );

  progress('merging');
  const inserted = await merge(tx, kind, staged - decided);

  const verdicts = await tx.query<{
    line: string | number;
    field: string;
    value: string | null;
    message: string;
    code: string | null;
  }>(
    `SELECT line, field, value, message, code FROM import_verdicts
     WHERE verdict = 'rejected' ORDER BY line`,
  );
  await tx.exec('DROP TABLE pg_temp.import_stage, pg_temp.import_verdicts, pg_temp.import_dups');

  const found: LineIssue[] = verdicts.map((v) => {
    const line = Number(v.line);
    const issue: FieldIssue = {
      path: `${kind.file}:${line} ${v.field}`,
      message: v.message,
      ...(v.code === null ? {} : { code: v.code as FieldIssue['code'] }),
      ...(v.value === null ? {} : { value: v.value }),
    };
    return { line, issue };
  });
  const rejected = state.refusedRows + found.length;
  return {
    rows: state.rows,
    inserted,
    unchanged: state.rows - inserted - rejected,
    rejected,
    issues: byLine(state.refused, found),
  };
}
