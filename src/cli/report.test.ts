import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import type { ProgrammeReport } from '../services/programme-report.js';
import { renderReport } from './commands.js';

const REPORT: ProgrammeReport = {
  levels: [
    { service: '3+N', quarter: '2024-Q2', level: 'LV1', merchants: 3 },
    { service: '3+N', quarter: '2024-Q2', level: 'LV3', merchants: 1 },
  ],
  quarters: [
    {
      quarter: '2024-Q3',
      jumps: 1,
      rebatesIssuedCny: '3500.00',
      rebatesSuppressed: 0,
      feesCharged: 2,
      feesReversed: 1,
      feeErrors: 1,
      feeNetCny: '1131.67',
      feeVatCny: '67.90',
      standardFeeNetCny: '1500.00',
      discountCostCny: '368.33',
      settlementsSubsidised: 0,
      subsidiesCny: '0.00',
    },
  ],
  coupons: {
    issuedCny: '3500.00',
    usedCny: '350.00',
    forfeitedCny: '350.00',
    expiredCny: '0.00',
    outstandingCny: '3150.00',
    count: 1,
  },
  feeErrors: [{ code: 'NO_FX_RATE', count: 1 }],
  lateOrders: 0,
};

describe('the report as CSV', () => {
  it('gives one table alone as a file of one header', () => {
    const rows = parse(renderReport(REPORT, 'csv', 'levels')) as string[][];
    expect(rows).toEqual([
      ['service', 'quarter', 'LV1', 'LV3'],
      ['3+N', '2024-Q2', '3', '1'],
    ]);
  });

  it('lists the fees that could not be computed, by code', () => {
    expect(parse(renderReport(REPORT, 'csv', 'fee-errors'))).toEqual([
      ['code', 'count'],
      ['NO_FX_RATE', '1'],
    ]);
  });

  it('keeps amounts as exact text, without thousands separators', () => {
    const [header = [], row = []] = parse(renderReport(REPORT, 'csv', 'quarters')) as string[][];
    expect(row[header.indexOf('fee net CNY')]).toBe('1131.67');
    expect(row[header.indexOf('discount cost CNY')]).toBe('368.33');
  });

  it('gives every table, one after another, without --table', () => {
    const text = renderReport(REPORT, 'csv');
    expect(text.split('\n\n')).toHaveLength(4);
  });
});
