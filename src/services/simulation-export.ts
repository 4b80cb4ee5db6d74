import { stringify } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';
import type { SimulationResult, Totals } from './simulate.js';

/**
 * A simulation's result as files: the CSV of its merchants and the XLSX of
 * all of it (totals, levels, moves with their explanations, merchants). The
 * CLI writes them (`ladder simulate --format csv|xlsx`) and the API serves
 * them (`GET /v1/simulations/{id}.csv|.xlsx`), so both give the same bytes.
 *
 * Amounts stay decimal strings in both: a spreadsheet float would not be
 * exact to the fen.
 */

export const TOTAL_LABELS: Readonly<Record<keyof Totals, string>> = {
  feeErrors: 'orders without a fee (count)',
  feeIncomeCny: 'fee income (net)',
  discountCostCny: 'discount cost',
  rebatesCny: 'jump rebates',
  subsidiesCny: 'FX subsidies',
  couponLiabilityCny: 'coupon liability',
};

/**
 * One row per total: its label, base, draft and difference, in the order of
 * `TOTAL_LABELS` (a result read back from jsonb has its keys reordered).
 */
export function totalRows(result: SimulationResult): string[][] {
  return (Object.keys(TOTAL_LABELS) as (keyof Totals)[]).map((key) => [
    TOTAL_LABELS[key],
    result.totals.base[key],
    result.totals.draft[key],
    result.totals.difference[key],
  ]);
}

export const MERCHANT_HEADERS = [
  'merchantId',
  'feesNetCny base',
  'feesNetCny draft',
  'rebatesCny base',
  'rebatesCny draft',
  'subsidiesCny base',
  'subsidiesCny draft',
  'couponsOutstandingCny base',
  'couponsOutstandingCny draft',
  'netImpactCny',
];

/** The merchants in the result's order (largest impact first), as `MERCHANT_HEADERS` names them. */
export function merchantRows(result: SimulationResult): string[][] {
  return result.merchants.map((m) => [
    m.merchantId,
    m.base.feesNetCny,
    m.draft.feesNetCny,
    m.base.rebatesCny,
    m.draft.rebatesCny,
    m.base.subsidiesCny,
    m.draft.subsidiesCny,
    m.base.couponsOutstandingCny,
    m.draft.couponsOutstandingCny,
    m.netImpactCny,
  ]);
}

export function simulationCsv(result: SimulationResult): string {
  return stringify([MERCHANT_HEADERS, ...merchantRows(result)]);
}

/** The workbook: sheets Totals, Levels, Moves (with the English explanations) and Merchants. */
export function simulationWorkbook(result: SimulationResult): ExcelJS.Workbook {
  const book = new ExcelJS.Workbook();

  const totals = book.addWorksheet('Totals');
  totals.addRow(['', 'base', 'draft', 'difference']);
  for (const row of totalRows(result)) totals.addRow(row);

  const levels = book.addWorksheet('Levels');
  levels.addRow(['service', 'quarter', 'level', 'base', 'draft']);
  for (const c of result.levelCounts) {
    levels.addRow([c.service, c.quarter, c.level, c.base, c.draft]);
  }

  const moves = book.addWorksheet('Moves');
  moves.addRow([
    'merchantId',
    'service',
    'quarter',
    'amountUsd',
    'base',
    'draft',
    'why (base)',
    'why (draft)',
  ]);
  for (const m of result.moves) {
    moves.addRow([
      m.merchantId,
      m.service,
      m.quarter,
      m.amountUsd,
      m.baseLevel,
      m.draftLevel,
      m.base?.en ?? '',
      m.draft?.en ?? '',
    ]);
  }

  const merchants = book.addWorksheet('Merchants');
  merchants.addRow(MERCHANT_HEADERS);
  for (const row of merchantRows(result)) merchants.addRow(row);
  return book;
}

export async function simulationXlsx(result: SimulationResult): Promise<Buffer> {
  return Buffer.from(await simulationWorkbook(result).xlsx.writeBuffer());
}
