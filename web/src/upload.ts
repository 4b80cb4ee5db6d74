import { ApiError, api, path } from './api/client';
import type { FieldError } from './api/types';
import { type CsvRecord, parseCsv } from './csv';

/**
 * Uploads the CSV files of docs/data-formats.md through the JSON ingest
 * routes, in batches, the way `ladder import --skip-bad` does: a row the
 * server refuses is listed with its reasons and the rest of its batch is
 * sent again without it. The server validates every row; this file only
 * turns CSV rows into the objects those routes take.
 */

interface FileKind {
  readonly file: string;
  readonly columns: readonly string[];
  readonly optional: readonly string[];
  /** Batch route and the body key of its list, or a per-merchant route for one row at a time. */
  readonly target:
    | { readonly batch: string; readonly key: string }
    | { readonly perMerchant: 'fx-rating-changes' | 'risk-flags' };
}

export const FILE_KINDS: readonly FileKind[] = [
  {
    file: 'merchants.csv',
    columns: ['id', 'fxRating'],
    optional: [],
    target: { batch: '/v1/merchants/batch', key: 'merchants' },
  },
  {
    file: 'fx-rating-changes.csv',
    columns: ['merchantId', 'at', 'rating'],
    optional: [],
    target: { perMerchant: 'fx-rating-changes' },
  },
  {
    file: 'risk-flags.csv',
    columns: ['merchantId', 'from', 'to'],
    optional: ['to'],
    target: { perMerchant: 'risk-flags' },
  },
  {
    file: 'orders.csv',
    columns: ['id', 'merchantId', 'service', 'type', 'amountUsd', 'clearedAt', 'usdCny'],
    optional: ['usdCny'],
    target: { batch: '/v1/orders/batch', key: 'orders' },
  },
  {
    file: 'order-events.csv',
    columns: ['orderId', 'at', 'status'],
    optional: [],
    target: { batch: '/v1/order-events/batch', key: 'orderEvents' },
  },
  {
    file: 'charges.csv',
    columns: ['id', 'orderId', 'merchantId', 'kind', 'amountCny', 'at'],
    optional: [],
    target: { batch: '/v1/charges/batch', key: 'charges' },
  },
  {
    file: 'settlements.csv',
    columns: ['id', 'merchantId', 'currency', 'amount', 'baseRate', 'account', 'at'],
    optional: [],
    target: { batch: '/v1/settlements/batch', key: 'settlements' },
  },
];

const BATCH_ROWS = 500;

export interface RejectedRow {
  readonly file: string;
  readonly line: number;
  readonly errors: readonly FieldError[];
}

export interface FileOutcome {
  readonly file: string;
  rows: number;
  inserted: number;
  unchanged: number;
  readonly rejected: RejectedRow[];
}

export interface Progress {
  readonly file: string;
  readonly done: number;
  readonly total: number;
}

/** Which kind a file is: by its name, else by its header. */
export function kindOf(name: string, header: readonly string[]): FileKind | null {
  const base = name.toLowerCase().replace(/^.*[\\/]/, '');
  const byName = FILE_KINDS.find((kind) => kind.file === base);
  if (byName) return byName;
  return (
    FILE_KINDS.find(
      (kind) =>
        kind.columns.every((c) => header.includes(c)) && header.length === kind.columns.length,
    ) ?? null
  );
}

/** Files in the order their references need: merchants before their orders, and so on. */
export function inLoadOrder<T extends { kind: FileKind }>(files: readonly T[]): T[] {
  return [...files].sort((a, b) => FILE_KINDS.indexOf(a.kind) - FILE_KINDS.indexOf(b.kind));
}

interface Row {
  readonly line: number;
  readonly value: Record<string, string | null>;
}

/** A CSV row as its route's object: an empty optional cell is absent, or null for a flag's `to`. */
function rowsOf(kind: FileKind, records: readonly CsvRecord[]): { rows: Row[]; missing: string[] } {
  const [header, ...body] = records;
  const names = header?.cells ?? [];
  const missing = kind.columns.filter((column) => !names.includes(column));
  const rows = body.map((record) => {
    const value: Record<string, string | null> = {};
    for (const column of kind.columns) {
      const cell = record.cells[names.indexOf(column)];
      if (cell === undefined) continue;
      if (cell === '' && kind.optional.includes(column)) {
        if (column === 'to') value[column] = null;
        continue;
      }
      value[column] = cell;
    }
    return { line: record.line, value };
  });
  return { rows, missing };
}

const ROW_PATH = /^(?:body\.)?(\w+)\[(\d+)\]\.?(.*)$/;

/** Sends one batch; rows the server names are set aside and the rest sent again. */
async function sendBatch(
  kind: FileKind & { target: { batch: string; key: string } },
  rows: Row[],
  outcome: FileOutcome,
) {
  let pending = rows;
  while (pending.length > 0) {
    try {
      const summary = await api<{
        inserted: Record<string, number>;
        unchanged: Record<string, number>;
      }>(kind.target.batch, {
        method: 'POST',
        body: { [kind.target.key]: pending.map((row) => row.value) },
      });
      outcome.inserted += Object.values(summary.inserted).reduce((a, b) => a + b, 0);
      outcome.unchanged += Object.values(summary.unchanged).reduce((a, b) => a + b, 0);
      return;
    } catch (err) {
      if (
        !(err instanceof ApiError) ||
        err.status < 400 ||
        err.status >= 500 ||
        err.status === 401 ||
        err.status === 403 ||
        err.status === 413
      )
        throw err;
      const byRow = new Map<number, FieldError[]>();
      for (const field of err.fieldErrors) {
        const match = ROW_PATH.exec(field.path);
        if (match === null) continue;
        const index = Number(match[2]);
        const list = byRow.get(index) ?? [];
        list.push({ ...field, path: match[3] === '' ? field.path : (match[3] ?? field.path) });
        byRow.set(index, list);
      }
      if (byRow.size === 0) {
        // The server blamed no row: the whole batch is refused with its reason.
        for (const row of pending)
          outcome.rejected.push({
            file: kind.file,
            line: row.line,
            errors: [{ path: err.code, message: err.detail }],
          });
        return;
      }
      for (const [index, errors] of byRow) {
        const row = pending[index];
        if (row !== undefined) outcome.rejected.push({ file: kind.file, line: row.line, errors });
      }
      pending = pending.filter((_, index) => !byRow.has(index));
    }
  }
}

async function sendOne(
  kind: FileKind & { target: { perMerchant: string } },
  row: Row,
  outcome: FileOutcome,
) {
  const { merchantId, ...body } = row.value;
  try {
    await api(path('/v1/merchants', merchantId ?? '', kind.target.perMerchant), {
      method: 'POST',
      body,
    });
    outcome.inserted += 1;
  } catch (err) {
    if (!(err instanceof ApiError) || err.status === 401 || err.status === 403 || err.status >= 500)
      throw err;
    const errors =
      err.fieldErrors.length > 0 ? err.fieldErrors : [{ path: err.code, message: err.detail }];
    outcome.rejected.push({ file: kind.file, line: row.line, errors });
  }
}

export async function uploadFile(
  file: File,
  kind: FileKind,
  onProgress: (progress: Progress) => void,
): Promise<FileOutcome> {
  const outcome: FileOutcome = {
    file: file.name,
    rows: 0,
    inserted: 0,
    unchanged: 0,
    rejected: [],
  };
  const records = parseCsv(await file.text());
  const { rows, missing } = rowsOf(kind, records);
  if (missing.length > 0) {
    outcome.rejected.push({
      file: file.name,
      line: 1,
      errors: [
        {
          path: 'header',
          message: `lacks column(s) ${missing.join(', ')}; expected ${kind.columns.join(',')}`,
        },
      ],
    });
    return outcome;
  }
  outcome.rows = rows.length;
  onProgress({ file: file.name, done: 0, total: rows.length });

  if ('batch' in kind.target) {
    const batchKind = kind as FileKind & { target: { batch: string; key: string } };
    for (let start = 0; start < rows.length; start += BATCH_ROWS) {
      await sendBatch(batchKind, rows.slice(start, start + BATCH_ROWS), outcome);
      onProgress({
        file: file.name,
        done: Math.min(rows.length, start + BATCH_ROWS),
        total: rows.length,
      });
    }
  } else {
    const oneKind = kind as FileKind & { target: { perMerchant: string } };
    for (const [index, row] of rows.entries()) {
      await sendOne(oneKind, row, outcome);
      onProgress({ file: file.name, done: index + 1, total: rows.length });
    }
  }
  return outcome;
}
