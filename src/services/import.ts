import { createReadStream, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse';
import { z } from 'zod';
import { commonCode, LadderError } from '../core/errors.js';
import {
  chargeInput,
  fxRatingChangeInput,
  instantText,
  merchantInput,
  orderEventInput,
  orderInput,
  settlementInput,
} from '../core/input.js';
import { isPositiveDecimal } from '../core/money.js';
import { type FieldIssue, zodIssues } from '../core/rulebook/rulebook.js';
import type { Db, Queryable } from '../store/db.js';
import { BATCH_ROWS } from '../store/rows.js';
import { type IngestBatch, ingest, type Located } from './ingest.js';
import { publishMonthlyRates } from './rulebooks.js';

/**
 * `ladder import DIR`: the CSV files of `docs/data-formats.md`, in the order
 * their references need, in one transaction. Any bad row refuses the whole
 * import unless `skipBad`, which applies the good rows and returns the bad.
 */

interface FileKind {
  readonly file: string;
  readonly columns: readonly string[];
  readonly optional: readonly string[];
  readonly schema: z.ZodType;
  readonly batchKey: keyof IngestBatch | 'fxRates';
}

const riskFlagRow = z.strictObject({
  merchantId: z.string().min(1),
  from: instantText,
  to: instantText.nullable(),
});
const fxRateRow = z.strictObject({
  month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month such as 2024-08'),
  usdCny: z
    .string()
    .refine(isPositiveDecimal, { message: 'must be a decimal string greater than 0' }),
});

export const FILE_KINDS: readonly FileKind[] = [
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
    schema: fxRatingChangeInput.extend({ merchantId: z.string().min(1) }),
    batchKey: 'fxRatingChanges',
  },
  {
    file: 'risk-flags.csv',
    columns: ['merchantId', 'from', 'to'],
    optional: ['to'],
    schema: riskFlagRow,
    batchKey: 'riskFlags',
  },
  {
    file: 'orders.csv',
    columns: ['id', 'merchantId', 'service', 'type', 'amountUsd', 'clearedAt', 'usdCny'],
    optional: ['usdCny'],
    schema: orderInput,
    batchKey: 'orders',
  },
  {
    file: 'order-events.csv',
    columns: ['orderId', 'at', 'status'],
    optional: [],
    schema: orderEventInput,
    batchKey: 'orderEvents',
  },
  {
    file: 'charges.csv',
    columns: ['id', 'orderId', 'merchantId', 'kind', 'amountCny', 'at'],
    optional: [],
    schema: chargeInput,
    batchKey: 'charges',
  },
  {
    file: 'settlements.csv',
    columns: ['id', 'merchantId', 'currency', 'amount', 'baseRate', 'account', 'at'],
    optional: [],
    schema: settlementInput,
    batchKey: 'settlements',
  },
  {
    file: 'fx-rates.csv',
    columns: ['month', 'usdCny'],
    optional: [],
    schema: fxRateRow,
    batchKey: 'fxRates',
  },
];

export type ImportProgress = (event: {
  file: string;
  bytesRead: number;
  bytesTotal: number;
  rows: number;
}) => void;

export interface ImportResult {
  readonly files: {
    file: string;
    rows: number;
    inserted: number;
    unchanged: number;
    rejected: number;
  }[];
  readonly rejected: FieldIssue[];
  rulebookVersion: string | null;
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
  options: { skipBad?: boolean; onProgress?: ImportProgress } = {},
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
    const result: ImportResult = { files: [], rejected: [], rulebookVersion: null };
    for (const kind of present) {
      const summary = await importFile(tx, join(dir, kind.file), kind, options, result);
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
  options: { skipBad?: boolean; onProgress?: ImportProgress },
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
    summary.unchanged += Object.values(outcome.unchanged).reduce((a, b) => a + b, 0);
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
    result.rulebookVersion = published;
    summary.inserted += published === null ? 0 : Object.keys(rates).length;
    summary.unchanged += published === null ? Object.keys(rates).length : 0;
  }
  options.onProgress?.({ file: kind.file, bytesRead: bytesTotal, bytesTotal, rows: summary.rows });
  return summary;
}
