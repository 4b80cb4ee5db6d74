import { statSync } from 'node:fs';
import type { z } from 'zod';
import { LadderError } from '../core/errors.js';
import { chargeInput, orderInput, SERVICES, settlementInput } from '../core/input.js';
import { TAX_REFUND_SERVICE_FEE } from '../core/model.js';
import type { FieldIssue } from '../core/rulebook/rulebook.js';
import type { Queryable } from '../store/db.js';
import { type CsvRecord, CsvShapeError, cellsOf, readCsvRecords } from './csv-records.js';
import { putBack, setAside } from './import-aside.js';
import {
  type CellCheck,
  currencyAt,
  decimalAt,
  instantAt,
  literal,
  oneOf,
  textOf,
} from './import-cells.js';
import {
  COUNT_VERDICTS_SQL,
  count,
  createStagingSql,
  DROP_STAGING_SQL,
  findRepeatsSql,
  judgeRepeatsSql,
  merge,
  REJECTED_SQL,
  referencesSql,
  storedSql,
} from './import-sql.js';
import { copyRecords, type LineIssue, type StreamState } from './import-stream.js';
import { lockAllIdsOf } from './ingest.js';
import { RepeatedIds } from './repeated-ids.js';

/**
 * The import of the big files (orders, charges, settlements): millions of
 * rows, so they go to the store by COPY and are checked and merged there
 * with a few statements over all rows at once, not row by row.
 *
 *   file ─ readCsvRecords ─ cell checks (import-stream) ─ COPY ─▶ import_stage
 *     ─ references, repeats in the file, conflicts with the store ─▶ import_verdicts
 *     ─ INSERT … SELECT the rows without a verdict, in file order ─▶ orders
 *
 * Why the cells are checked as the file streams past and not in SQL: every
 * cell is tested against a pattern that accepts exactly what the zod schema
 * of `core/input.ts` accepts (for instants, the usual subset of it), and a
 * row that fails goes through that schema itself, so a bad row is refused
 * with the schema's own words by construction, and an unusual but valid
 * instant (a bare date, an offset beyond ±15:59) is turned into one the
 * server reads. Doing it in SQL was measured first: the regular expressions
 * for the amount, the rate and the instant of a million orders took
 * PostgreSQL 15 about 2.5 s, more than the COPY of the file, and would have
 * copied the schema's words and Temporal's calendar into SQL. The streaming
 * pass, reading included, takes about 0.9 s of the client's core while the
 * server copies on the other. So the staging table is typed, and SQL does
 * what needs the whole file and the store: references, repeated ids (found
 * with the help of `repeated-ids.ts`) and conflicts (`import-sql.ts`).
 *
 * A row refused in the stream and one refused in SQL are reported alike,
 * with file, line, field and value, in line order. Memory holds a chunk of
 * rows at a time, the Bloom filter of ids, and the refusals.
 */

type CellType = 'text' | 'numeric' | 'timestamptz';

export interface BulkColumn {
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
      column('service', 'service', 'text', oneOf(SERVICES)),
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
      column('currency', 'currency', 'text', currencyAt),
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
  /**
   * Holds the table for the transaction and sets its secondary indexes and
   * foreign keys aside while the rows are written (`import-aside.ts`): for a
   * first load or a backfill, when nothing else needs the table meanwhile.
   */
  readonly bulkLoad?: boolean;
  readonly onProgress?: (event: { bytesRead: number; rows: number; phase: BulkPhase }) => void;
}

export type BulkPhase = 'reading' | 'checking' | 'merging' | 'indexing';

export interface BulkSummary {
  readonly rows: number;
  readonly inserted: number;
  readonly unchanged: number;
  readonly rejected: number;
  /** One issue per refused row (several for a row with several bad cells), by line. */
  readonly issues: FieldIssue[];
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

/** The header's names and the records read with it, or null for an empty file. */
async function readHeader(
  kind: BulkKind,
  reader: AsyncIterator<CsvRecord[]>,
): Promise<{ header: string[] | null; first: CsvRecord[] }> {
  try {
    const next = await reader.next();
    if (next.done) return { header: null, first: [] };
    const [names, ...first] = next.value;
    return { header: names === undefined ? null : [...cellsOf(names)], first };
  } catch (err) {
    throw err instanceof CsvShapeError ? shapeError(kind, err) : err;
  }
}

/**
 * The checks of the staged rows, each leaving verdicts (`import-sql.ts`):
 * references first, then repeats among the rows left, then the store.
 * Returns how many rows have a verdict.
 */
async function judge(
  tx: Queryable,
  kind: BulkKind,
  state: StreamState,
  bulkLoad: boolean,
): Promise<number> {
  // Fresh statistics keep the joins below on hash plans whatever the file's size.
  await tx.exec('ANALYZE import_stage');
  await tx.query(referencesSql(kind));

  const candidates = state.repeats.candidates;
  if (candidates === null) await tx.query(findRepeatsSql('all'));
  else if (candidates.size > 0) await tx.query(findRepeatsSql('candidates'), [[...candidates]]);
  if ((await tx.query('SELECT 1 FROM import_dups LIMIT 1')).length > 0) {
    await tx.query(judgeRepeatsSql(kind));
  }

  // Another writer of one of these ids under another merchant would meet no
  // unique key (the keys carry merchant_id): it waits on the same locks as ingest.
  await lockAllIdsOf(tx, kind.table);
  // A bulk load holds the table from here (after the id locks, the order
  // ingest takes them in), so no writer comes between the checks and the merge.
  if (bulkLoad) await tx.exec(`LOCK TABLE ${kind.table} IN ACCESS EXCLUSIVE MODE`);
  await tx.query(storedSql(kind));
  return count(await tx.query<{ n: unknown }>(COUNT_VERDICTS_SQL));
}

/** The rejected verdicts as issues of the file, in line order. */
async function rejections(tx: Queryable, kind: BulkKind): Promise<LineIssue[]> {
  const rows = await tx.query<{
    line: string | number;
    field: string;
    value: string | null;
    message: string;
    code: string | null;
  }>(REJECTED_SQL);
  return rows.map((v) => {
    const line = Number(v.line);
    const issue: FieldIssue = {
      path: `${kind.file}:${line} ${v.field}`,
      message: v.message,
      ...(v.code === null ? {} : { code: v.code as FieldIssue['code'] }),
      ...(v.value === null ? {} : { value: v.value }),
    };
    return { line, issue };
  });
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
  const progress = (phase: BulkPhase) =>
    options.onProgress?.({ bytesRead: state.bytesRead, rows: state.rows, phase });
  const reader = readCsvRecords(path, {
    onBytes: (bytesRead) => {
      state.bytesRead = bytesRead;
    },
  })[Symbol.asyncIterator]();
  const { header, first } = await readHeader(kind, reader);
  checkHeader(kind, header);
  const layout = stagingLayout(kind, header ?? []);

  await tx.exec(createStagingSql(layout.ddl));
  let staged: number;
  try {
    const records = copyRecords(kind, first, reader, layout.indexes, state, options);
    staged = await tx.copyRows('import_stage', layout.copied, records);
  } catch (err) {
    throw err instanceof CsvShapeError ? shapeError(kind, err) : err;
  }

  progress('checking');
  const bulkLoad = options.bulkLoad ?? false;
  const decided = await judge(tx, kind, state, bulkLoad);
  progress('merging');
  const undecided = staged - decided;
  const aside = bulkLoad && undecided > 0 ? await setAside(tx, kind.table) : null;
  const inserted = await merge(tx, kind, undecided);
  if (aside !== null) {
    progress('indexing');
    await putBack(tx, aside);
  }
  const found = await rejections(tx, kind);
  await tx.exec(DROP_STAGING_SQL);

  const rejected = state.refusedRows + found.length;
  return {
    rows: state.rows,
    inserted,
    unchanged: state.rows - inserted - rejected,
    rejected,
    issues: byLine(state.refused, found),
  };
}
