import { createReadStream, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse';
import { z } from 'zod';
import { commonCode, LadderError } from '../core/errors.js';
import {
  fxRatingChangeInput,
  idText,
  instantText,
  merchantInput,
  orderEventInput,
} from '../core/input.js';
import { isPositiveDecimal } from '../core/money.js';
import { type FieldIssue, zodIssues } from '../core/rulebook/rulebook.js';
import type { Db, Queryable } from '../store/db.js';
import { BATCH_ROWS } from '../store/rows.js';
import { holdForBulkLoad } from './import-aside.js';
import { BULK_KINDS, type BulkKind, type BulkPhase, importBulkFile } from './import-bulk.js';
import { type IngestBatch, ingest, type Located } from './ingest.js';
import { publishMonthlyRates } from './rulebooks.js';

/**
 * `ladder import DIR`: the CSV files of `docs/data-formats.md`, in the order
 * their references need, in one transaction. Any bad row refuses the whole
 * import unless `skipBad`, which applies the good rows and returns the bad.
 */

/** A small file: parsed with csv-parse, each row checked by its schema, ingested in batches. */
interface FileKind {
  readonly file: string;
  readonly columns: readonly string[];
  readonly optional: readonly string[];
  readonly schema: z.ZodType;
  readonly batchKey: keyof IngestBatch | 'fxRates';
}

const riskFlagRow = z.strictObject({
  merchantId: idText,
  from: instantText,
  to: instantText.nullable(),
});
const fxRateRow = z.strictObject({
  month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month such as 2024-08'),
  usdCny: z
    .string()
    .refine(isPositiveDecimal, { message: 'must be a decimal string greater than 0' }),
});

const bulk = (file: string): BulkKind => {
  const kind = BULK_KINDS.find((k) => k.file === file);
  if (!kind) throw new Error(`no bulk kind for ${file}`);
  return kind;
};

/**
 * The files in the order their references need. Orders, charges and
 * settlements, the files with millions of rows, go through COPY
 * (`import-bulk.ts`); the others stay on `ingest`. Order events stay there
 * too: they are few, and their table is changing on another branch.
 */
export const FILE_KINDS: readonly (FileKind | BulkKind)[] = [
  {
    file: 'merchants.csv',
    columns: ['id', 'fxRating'],
    optional: [],
    schema: merchantInput,
    batchKey: 'merchants',
  },
  {
    file: 'fx-rating-changes.csv',
    columns: ['merchantId', 'at', 'rating'],
    optional: [],
    schema: fxRatingChangeInput.extend({ merchantId: idText }),
    batchKey: 'fxRatingChanges',
  },
  {
    file: 'risk-flags.csv',
    columns: ['merchantId', 'from', 'to'],
    optional: ['to'],
    schema: riskFlagRow,
    batchKey: 'riskFlags',
  },
  bulk('orders.csv'),
  {
    file: 'order-events.csv',
    columns: ['orderId', 'at', 'status'],
    optional: [],
    schema: orderEventInput,
    batchKey: 'orderEvents',
  },
  bulk('charges.csv'),
  bulk('settlements.csv'),
  {
    file: 'fx-rates.csv',
    columns: ['month', 'usdCny'],
    optional: [],
    schema: fxRateRow,
    batchKey: 'fxRates',
  },
];

const isBulk = (kind: FileKind | BulkKind): kind is BulkKind => 'table' in kind;

export type ImportProgress = (event: {
  file: string;
  bytesRead: number;
  bytesTotal: number;
  rows: number;
  /** Big files only: reading and copying, checking, merging into the store, (bulk load) indexing. */
  phase?: BulkPhase;
}) => void;

export interface ImportOptions {
  readonly skipBad?: boolean;
  readonly onProgress?: ImportProgress;
  /** Rows per COPY chunk of the big files (`DEFAULT_CHUNK_ROWS`); small in tests. */
  readonly copyChunkRows?: number;
  /** The big files' tables are held and their secondary indexes rebuilt once (`import-aside.ts`). */
  readonly bulkLoad?: boolean;
}

export interface ImportResult {
  readonly files: {
    file: string;
    rows: number;
    inserted: number;
    unchanged: number;
    rejected: number;
  }[];
  readonly rejected: FieldIssue[];
  /** Rulebook versions published with customs' monthly rates (`fx-rates.csv`), if any. */
  rulebookVersions: string[];
}

/** A CSV row to the input object its schema expects: an empty optional cell is absent. */
function toInput(kind: FileKind, record: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const column of kind.columns) {
    const cell = record[column];
    if (cell === undefined) continue;
    if (cell === '' && kind.optional.includes(column)) {
      if (kind.batchKey === 'riskFlags') out[column] = null;
      continue;
    }
    out[column] = cell;
  }
  return out;
}

export async function importDirectory(
  db: Db,
  dir: string,
  options: ImportOptions = {},
): Promise<ImportResult> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new LadderError('INVALID_INPUT', `${dir} is not a directory`, [
      { path: 'DIR', message: 'is not a directory', value: dir },
    ]);
  }
  const present = FILE_KINDS.filter((kind) => existsSync(join(dir, kind.file)));
  for (const kind of present) {
    if (!statSync(join(dir, kind.file)).isFile()) {
      throw new LadderError('INVALID_INPUT', `${join(dir, kind.file)} is not a file`, [
        { path: kind.file, message: 'is not a file' },
      ]);
    }
  }
  if (present.length === 0) {
    const names = FILE_KINDS.map((k) => k.file).join(', ');
    throw new LadderError('INVALID_INPUT', `${dir} holds none of ${names}`);
  }

  const imported = await db.transaction(async (tx) => {
    if (options.bulkLoad) await holdForBulkLoad(tx);
    const result: ImportResult = { files: [], rejected: [], rulebookVersions: [] };
    for (const kind of present) {
      const path = join(dir, kind.file);
      const summary = isBulk(kind)
        ? await importBig(tx, path, kind, options, result)
        : await importFile(tx, path, kind, options, result);
      result.files.push(summary);
    }
    if (!options.skipBad && result.rejected.length > 0) {
      const count = new Set(result.rejected.map((issue) => issue.path.split(' ')[0])).size;
      throw new LadderError(
        commonCode(result.rejected),
        `${count} bad row(s); nothing was imported`,
        result.rejected,
      );
    }
    return result;
  });
  // Fresh statistics after a bulk load keep the planner on the indexes.
  await db.exec('ANALYZE');
  return imported;
}

async function importBig(
  tx: Queryable,
  path: string,
  kind: BulkKind,
  options: ImportOptions,
  result: ImportResult,
) {
  const bytesTotal = statSync(path).size;
  const { issues, ...counts } = await importBulkFile(tx, path, kind, {
    ...(options.copyChunkRows === undefined ? {} : { chunkRows: options.copyChunkRows }),
    bulkLoad: options.bulkLoad ?? false,
    onProgress: ({ bytesRead, rows, phase }) =>
      options.onProgress?.({ file: kind.file, bytesRead, bytesTotal, rows, phase }),
  });
  result.rejected.push(...issues);
  options.onProgress?.({ file: kind.file, bytesRead: bytesTotal, bytesTotal, rows: counts.rows });
  return { file: kind.file, ...counts };
}

function checkHeader(kind: FileKind, header: string[] | null): void {
  const missing = kind.columns.filter(
    (c) => !kind.optional.includes(c) && !(header ?? []).includes(c),
  );
  if (missing.length === 0) return;
  const what = header === null ? 'has no header row' : `lacks column(s) ${missing.join(', ')}`;
  throw new LadderError('INVALID_INPUT', `${kind.file} ${what}`, [
    { path: `${kind.file}:1`, message: `${what}; expected ${kind.columns.join(',')}` },
  ]);
}

async function importFile(
  tx: Queryable,
  path: string,
  kind: FileKind,
  options: ImportOptions,
  result: ImportResult,
) {
  const bytesTotal = statSync(path).size;
  const stream = createReadStream(path);
  let bytesRead = 0;
  stream.on('data', (chunk) => {
    bytesRead += chunk.length;
  });
  let header: string[] | null = null;
  const parser = stream.pipe(
    parse({
      bom: true,
      columns: (names: string[]) => {
        header = names;
        return names;
      },
      info: true,
      skip_empty_lines: true,
      trim: false,
    }),
  );

  const summary = { file: kind.file, rows: 0, inserted: 0, unchanged: 0, rejected: 0 };
  const rates: Record<string, string> = {};
  let pending: Located<unknown>[] = [];
  let headerChecked = false;

  const flush = async () => {
    if (pending.length === 0) return;
    const batch = { [kind.batchKey]: pending } as IngestBatch;
    pending = [];
    const outcome = await ingest(tx, batch, { skipBad: true });
    summary.inserted += Object.values(outcome.inserted).reduce((a, b) => a + b, 0);
    summary.rejected += outcome.rejected.length;
    result.rejected.push(...outcome.rejected);
    options.onProgress?.({ file: kind.file, bytesRead, bytesTotal, rows: summary.rows });
  };

  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: Record<string, string>;
      info: { lines: number };
    }>) {
      if (!headerChecked) {
        headerChecked = true;
        checkHeader(kind, header);
      }
      summary.rows += 1;
      const where = `${kind.file}:${info.lines}`;
      const input = toInput(kind, record);
      const parsed = kind.schema.safeParse(input);
      if (!parsed.success) {
        const issues = zodIssues(parsed.error, input).map((issue) => ({
          ...issue,
          path: `${where} ${issue.path}`,
        }));
        result.rejected.push(...issues);
        summary.rejected += 1;
        continue;
      }
      if (kind.batchKey === 'fxRates') {
        const row = parsed.data as { month: string; usdCny: string };
        rates[row.month] = row.usdCny;
        continue;
      }
      pending.push({ value: parsed.data, where });
      if (pending.length >= BATCH_ROWS) await flush();
    }
  } catch (err) {
    if (err instanceof LadderError) throw err;
    const message = (err as Error).message;
    throw new LadderError(
      'INVALID_INPUT',
      `${kind.file} is not a CSV file of the expected shape: ${message}`,
      [{ path: kind.file, message: `is not valid CSV: ${message}` }],
    );
  }
  // A file without data rows must still be the file it says it is.
  if (!headerChecked) checkHeader(kind, header);
  await flush();
  if (Object.keys(rates).length > 0) {
    const published = await publishMonthlyRates(tx, rates);
    result.rulebookVersions = published;
    summary.inserted += published.length === 0 ? 0 : Object.keys(rates).length;
  }
  // Each row is counted once: `ingest` counts a row it refuses as unchanged
  // as well, since its caller may roll the batch back.
  summary.unchanged = summary.rows - summary.inserted - summary.rejected;
  options.onProgress?.({ file: kind.file, bytesRead: bytesTotal, bytesTotal, rows: summary.rows });
  return summary;
}
