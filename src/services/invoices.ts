import { stringify } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';
import { LadderError } from '../core/errors.js';
import { dec, formatFen, sum } from '../core/money.js';
import { startOfShanghaiDay } from '../core/time.js';
import type { Queryable } from '../store/db.js';
import { toPg } from '../store/rows.js';
import { fen, instant, usd } from './merchant-views.js';

/**
 * A merchant's invoice (发票) over a period (SPEC §5, D4): each order whose
 * basic service fee stands, with its net fee, VAT and gross, and totals that
 * are the sums of those lines — never a fee recomputed from a total. The
 * period runs from 00:00 Asia/Shanghai of `from` up to, not including, 00:00
 * of the day after `to` (SPEC §3).
 */

export interface InvoiceLine {
  readonly orderId: string;
  readonly service: string;
  readonly type: string;
  readonly clearedAt: string;
  readonly amountUsd: string;
  readonly level: string | null;
  readonly netCny: string;
  readonly vatCny: string;
  readonly grossCny: string;
}

export interface Invoice {
  readonly merchantId: string;
  readonly from: string;
  readonly to: string;
  readonly currency: 'CNY';
  readonly lines: InvoiceLine[];
  readonly totals: { netCny: string; vatCny: string; grossCny: string };
}

/** Lines per invoice: a bound, so one request never reads without limit. */
export const MAX_INVOICE_LINES = 100_000;

function dayAfter(date: string): string {
  const next = new Date(`${date}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  return next.toISOString().slice(0, 10);
}

export async function invoice(
  db: Queryable,
  merchantId: string,
  from: string,
  to: string,
): Promise<Invoice> {
  if (to < from) {
    throw new LadderError('INVALID_INPUT', 'the period ends before it starts', [
      { path: 'to', message: 'must not be before from', value: to },
    ]);
  }
  const rows = await db.query<{
    order_id: string;
    service: string;
    type: string;
    cleared_at: string;
    amount_usd: string;
    level: string | null;
    net_cny: string;
    vat_cny: string;
    gross_cny: string;
  }>(
    `SELECT f.order_id, o.service, o.type, f.cleared_at, o.amount_usd, f.level,
            f.net_cny, f.vat_cny, f.gross_cny
     FROM fees f JOIN orders o ON o.merchant_id = f.merchant_id AND o.id = f.order_id
     WHERE f.merchant_id = $1 AND f.status = 'charged' AND f.cleared_at >= $2 AND f.cleared_at < $3
     ORDER BY f.cleared_at, f.order_id LIMIT $4`,
    [
      merchantId,
      toPg(startOfShanghaiDay(from)),
      toPg(startOfShanghaiDay(dayAfter(to))),
      MAX_INVOICE_LINES + 1,
    ],
  );
  if (rows.length > MAX_INVOICE_LINES) {
    throw new LadderError(
      'INVALID_INPUT',
      `the period holds more than ${MAX_INVOICE_LINES} fees; ask for a shorter one`,
      [{ path: 'to', message: `the period holds more than ${MAX_INVOICE_LINES} fees`, value: to }],
    );
  }
  const lines = rows.map((row) => ({
    orderId: row.order_id,
    service: row.service,
    type: row.type,
    clearedAt: instant(row.cleared_at),
    amountUsd: usd(row.amount_usd),
    level: row.level,
    netCny: fen(row.net_cny),
    vatCny: fen(row.vat_cny),
    grossCny: fen(row.gross_cny),
  }));
  const total = (pick: (line: InvoiceLine) => string) =>
    formatFen(sum(lines.map((line) => dec(pick(line)))));
  return {
    merchantId,
    from,
    to,
    currency: 'CNY',
    lines,
    totals: {
      netCny: total((l) => l.netCny),
      vatCny: total((l) => l.vatCny),
      grossCny: total((l) => l.grossCny),
    },
  };
}

const COLUMNS = [
  'orderId',
  'service',
  'type',
  'clearedAt',
  'amountUsd',
  'level',
  'netCny',
  'vatCny',
  'grossCny',
] as const;

function tableRows(inv: Invoice): string[][] {
  const body = inv.lines.map((line) => COLUMNS.map((column) => line[column] ?? ''));
  const totals = [
    'total',
    '',
    '',
    '',
    '',
    '',
    inv.totals.netCny,
    inv.totals.vatCny,
    inv.totals.grossCny,
  ];
  return [[...COLUMNS], ...body, totals];
}

export function invoiceCsv(inv: Invoice): string {
  return stringify(tableRows(inv), { record_delimiter: '\r\n' });
}

/**
 * The same rows as one worksheet. Amounts stay text cells, exactly as in the
 * JSON: a spreadsheet number is a float, and money is never a float here.
 */
export async function invoiceXlsx(inv: Invoice): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  book.creator = 'ladder';
  const sheet = book.addWorksheet(`invoice ${inv.from} ${inv.to}`.slice(0, 31));
  for (const row of tableRows(inv)) sheet.addRow(row);
  sheet.getRow(1).font = { bold: true };
  sheet.getRow(inv.lines.length + 2).font = { bold: true };
  sheet.columns.forEach((column) => {
    column.width = 22;
  });
  return Buffer.from(await book.xlsx.writeBuffer());
}
