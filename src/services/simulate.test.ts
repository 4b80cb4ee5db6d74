import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OrderInput } from '../core/input.js';
import { SHIPPED_RULEBOOKS } from '../core/rulebook/shipped.js';
import { parseInstant } from '../core/time.js';
import type { Db } from '../store/db.js';
import { STORES } from '../test-support/stores.js';
import { ingest } from './ingest.js';
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

  it('refuses a draft that breaks the schema, naming the field', async () => {
    const draft = structuredClone(SHIPPED) as unknown as Record<string, unknown>;
    draft.effectiveFrom = '2024-04-01T00:00:00';
    await expect(simulate(db, { draft, from: '2024-Q2', to: '2024-Q3' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      issues: [expect.objectContaining({ path: 'draft.effectiveFrom' })],
    });
  });
});
