import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OrderInput } from '../core/input.js';
import { SHIPPED_RULEBOOKS } from '../core/rulebook/shipped.js';
import { parseInstant } from '../core/time.js';
import type { Db } from '../store/db.js';
import { STORES } from '../test-support/stores.js';
import { ingest } from './ingest.js';
import { lateOrders } from './late-orders.js';
import { programmeReport } from './programme-report.js';
import { ensureRulebook } from './rulebooks.js';
import { runUntil } from './run.js';
import { simulate } from './simulate.js';

const SHIPPED = SHIPPED_RULEBOOKS['3n-2024-07'] as NonNullable<(typeof SHIPPED_RULEBOOKS)[string]>;

function order(id: string, merchantId: string, amountUsd: string, clearedAt: string): OrderInput {
  return { id, merchantId, service: '3+N', type: 'TA3N', amountUsd, clearedAt, usdCny: '7.0000' };
}

/** Every row of every table, in a stable order: to prove a simulation wrote nothing. */
async function snapshot(db: Db): Promise<string> {
  const tables = await db.query<{ table_name: string }>(
    'SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name',
  );
  const out: string[] = [];
  for (const { table_name } of tables) {
    const rows = await db.query(`SELECT * FROM ${table_name}`);
    out.push(`${table_name}:${JSON.stringify(rows.map((r) => JSON.stringify(r)).sort())}`);
  }
  return out.join('\n');
}

describe.each(STORES)('simulating a draft rulebook on $name', ({ open }) => {
  let db: Db;

  beforeEach(async () => {
    db = await open();
    await ensureRulebook(db);
    await db.transaction((tx) =>
      ingest(tx, {
        merchants: ['M-A', 'M-B', 'M-C'].map((id, i) => ({
          value: { id, fxRating: 'A' },
          where: `m[${i}]`,
        })),
        orders: [
          order('A-1', 'M-A', '100000.00', '2024-02-10T10:00:00+08:00'),
          order('A-2', 'M-A', '450000.00', '2024-05-10T10:00:00+08:00'),
          order('A-3', 'M-A', '10000.00', '2024-08-10T10:00:00+08:00'),
          order('B-1', 'M-B', '350000.00', '2024-05-10T10:00:00+08:00'),
          order('B-2', 'M-B', '10000.00', '2024-08-10T10:00:00+08:00'),
          order('C-1', 'M-C', '500000.00', '2024-05-10T10:00:00+08:00'),
        ].map((value, i) => ({ value, where: `orders[${i}]` })),
      }),
    );
    await runUntil(db, parseInstant('2024-10-02T00:00:00+08:00'));
  });

  afterEach(async () => {
    await db.close();
  });

  it('finds no difference on any line for a draft identical to the published rulebook', async () => {
    const result = await simulate(db, { draft: SHIPPED, from: '2024-Q2', to: '2024-Q3' });
    expect(result.moves).toEqual([]);
    expect(result.totals.difference).toEqual({
      feeErrors: '0',
      feeIncomeCny: '0.00',
      discountCostCny: '0.00',
      rebatesCny: '0.00',
      subsidiesCny: '0.00',
      couponLiabilityCny: '0.00',
    });
    expect(result.merchants.every((m) => m.netImpactCny === '0.00')).toBe(true);
    expect(result.levelCounts.every((c) => c.base === c.draft)).toBe(true);
  });

  it('moves exactly the merchants in [400,000, 500,000) when LV3 starts at 400,000', async () => {
    const draft = structuredClone(SHIPPED);
    const levels = draft.programmes['3+N']?.levels ?? [];
    levels[2] = { level: 'LV3', fromUsd: '400000' };
    const result = await simulate(db, { draft, from: '2024-Q2', to: '2024-Q3' });

    // M-A's Q2 450,000 moves LV2 → LV3; M-B (350,000) and M-C (500,000) stay.
    expect(result.moves.map((m) => [m.merchantId, m.quarter, m.baseLevel, m.draftLevel])).toEqual([
      ['M-A', '2024-Q2', 'LV2', 'LV3'],
    ]);
    // M-A's August order: 10,000 × 7 × 1.5% = 1,050 → LV2 maximum 600.00; at LV3
    // 1,050 × 80% = 840 → LV3 maximum 480.00. The jump rebate is the same either way:
    // (450,000 − 100,000) × 0.005 = 1,750.00. So the merchant pays 120.00 less.
    const a = result.merchants.find((m) => m.merchantId === 'M-A');
    expect(a?.base).toMatchObject({ feesNetCny: '600.00', rebatesCny: '1750.00' });
    expect(a?.draft).toMatchObject({ feesNetCny: '480.00', rebatesCny: '1750.00' });
    expect(a?.netImpactCny).toBe('-120.00');
    expect(result.merchants[0]?.merchantId).toBe('M-A');
    expect(result.totals.difference.feeIncomeCny).toBe('-120.00');
    expect(result.totals.difference.discountCostCny).toBe('120.00');
  });

  it('leaves the stored data byte for byte as it was', async () => {
    const before = await snapshot(db);
    const draft = structuredClone(SHIPPED);
    const levels = draft.programmes['3+N']?.levels ?? [];
    levels[2] = { level: 'LV3', fromUsd: '400000' };
    await simulate(db, { draft, from: '2024-Q2', to: '2024-Q3' });
    expect(await snapshot(db)).toBe(before);
  });

  describe('with orders that arrived after the run', () => {
    beforeEach(async () => {
      // L-1 belongs to 2024-Q3, assessed on 2024-10-02 before it arrived: a late
      // order (SPEC §4). D-1 belongs to 2024-Q4, not assessed yet. The second
      // run charges L-1's fee, as a live run does; D-1 is not due yet.
      await db.transaction((tx) =>
        ingest(tx, {
          orders: [
            order('L-1', 'M-A', '500000.00', '2024-08-20T10:00:00+08:00'),
            order('D-1', 'M-B', '300000.00', '2024-11-10T10:00:00+08:00'),
          ].map((value, i) => ({ value, where: `orders[${i}]` })),
        }),
      );
      await runUntil(db, parseInstant('2024-10-02T00:00:00+08:00'));
    });

    it('counts a late order for neither side of its assessed quarter: the base is the stored result', async () => {
      expect((await lateOrders(db)).map((o) => [o.orderId, o.quarter])).toEqual([
        ['L-1', '2024-Q3'],
      ]);

      const result = await simulate(db, { draft: SHIPPED, from: '2024-Q2', to: '2024-Q3' });

      // Q3 as assessed: M-A 10,000 (not 510,000 with L-1, which would be LV3),
      // M-B 10,000, M-C nothing: all LV1, so no LV2 → LV3 jump for M-A.
      expect(result.levelCounts).toEqual([
        { service: '3+N', quarter: '2024-Q2', level: 'LV2', base: 2, draft: 2 },
        { service: '3+N', quarter: '2024-Q2', level: 'LV3', base: 1, draft: 1 },
        { service: '3+N', quarter: '2024-Q3', level: 'LV1', base: 3, draft: 3 },
      ]);
      expect(result.moves).toEqual([]);
      // M-A's fees at the LV2 in force from 2024-07-02: A-3 10,000 × 7 × 1.5% =
      // 1,050 and L-1 500,000 × 7 × 1.5% = 52,500, each capped at 600.00. Its
      // only rebate is Q2's (450,000 − 100,000) × 0.005 = 1,750.00, still unused.
      const a = result.merchants.find((m) => m.merchantId === 'M-A');
      const aFigures = {
        feesNetCny: '1200.00',
        standardFeesNetCny: '1200.00',
        rebatesCny: '1750.00',
        subsidiesCny: '0.00',
        couponsOutstandingCny: '1750.00',
      };
      expect(a?.base).toEqual(aFigures);
      expect(a?.draft).toEqual(aFigures);
      // Fees 1,200.00 (M-A) + 600.00 (M-B's B-2); the May orders precede the fee
      // rule (3 errors). Rebates of Q2: M-A 1,750.00, M-B 350,000 × 0.005 =
      // 1,750.00, M-C 500,000 × 0.005 = 2,500.00.
      const stored = {
        feeErrors: '3',
        feeIncomeCny: '1800.00',
        discountCostCny: '0.00',
        rebatesCny: '6000.00',
        subsidiesCny: '0.00',
        couponLiabilityCny: '6000.00',
      };
      expect(result.totals).toEqual({
        base: stored,
        draft: stored,
        difference: {
          feeErrors: '0',
          feeIncomeCny: '0.00',
          discountCostCny: '0.00',
          rebatesCny: '0.00',
          subsidiesCny: '0.00',
          couponLiabilityCny: '0.00',
        },
      });

      // The same figures as the stored report of the two quarters.
      const report = await programmeReport(db);
      expect(
        report.levels
          .filter((l) => l.quarter === '2024-Q2' || l.quarter === '2024-Q3')
          .map((l) => [l.quarter, l.level, l.merchants]),
      ).toEqual(result.levelCounts.map((c) => [c.quarter, c.level, c.base]));
      const quarters = report.quarters.filter((q) => q.quarter !== '2024-Q1');
      expect(quarters.map((q) => [q.quarter, q.feeNetCny, q.rebatesIssuedCny])).toEqual([
        ['2024-Q2', '0.00', '6000.00'],
        ['2024-Q3', '1800.00', '0.00'],
      ]);
      expect(report.coupons.outstandingCny).toBe(stored.couponLiabilityCny);
    });

    it('counts every order of a quarter not assessed yet, however late it arrived', async () => {
      const result = await simulate(db, { draft: SHIPPED, from: '2024-Q3', to: '2024-Q4' });

      // Q4, assessed on 2025-01-02 inside the simulation only: M-B's D-1 of
      // 300,000 counts, so M-B climbs LV1 → LV2 with a rebate of
      // (300,000 − 10,000) × 0.005 = 1,450.00. D-1's fee is at the LV1 of Q3:
      // 300,000 × 7 × 1.5% = 31,500, capped at 600.00, beside B-2's 600.00.
      const b = result.merchants.find((m) => m.merchantId === 'M-B');
      expect(b?.levels).toEqual([
        { service: '3+N', quarter: '2024-Q3', base: 'LV1', draft: 'LV1' },
        { service: '3+N', quarter: '2024-Q4', base: 'LV2', draft: 'LV2' },
      ]);
      expect(b?.base).toMatchObject({ feesNetCny: '1200.00', rebatesCny: '1450.00' });
      // M-A stays LV1 in Q3 (L-1 is late) and in Q4 (no order): no rebate.
      const a = result.merchants.find((m) => m.merchantId === 'M-A');
      expect(a?.levels.map((l) => [l.quarter, l.base])).toEqual([
        ['2024-Q3', 'LV1'],
        ['2024-Q4', 'LV1'],
      ]);
      expect(a?.base).toMatchObject({ feesNetCny: '1200.00', rebatesCny: '0.00' });
      expect(result.totals.base).toMatchObject({ feeIncomeCny: '2400.00', rebatesCny: '1450.00' });
      expect(result.totals.difference.rebatesCny).toBe('0.00');
      expect(result.totals.difference.feeIncomeCny).toBe('0.00');
    });
  });

  it('refuses a draft that breaks the schema, naming the field', async () => {
    const draft = structuredClone(SHIPPED) as unknown as Record<string, unknown>;
    draft.effectiveFrom = '2024-04-01T00:00:00';
    await expect(simulate(db, { draft, from: '2024-Q2', to: '2024-Q3' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      issues: [expect.objectContaining({ path: 'draft.effectiveFrom' })],
    });
  });
});
