import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assessQuarter } from '../core/assessment.js';
import type { OrderInput } from '../core/input.js';
import { dec, formatAmount } from '../core/money.js';
import { parseInstant } from '../core/time.js';
import type { Db } from '../store/db.js';
import { STORES } from '../test-support/stores.js';
import { explainLevel } from './explain.js';
import { ingest } from './ingest.js';
import { ensureRulebook, loadRulebooks } from './rulebooks.js';
import { runUntil } from './run.js';

/**
 * The assessment runs as one INSERT … SELECT; the core's `assessQuarter` is
 * the rule it must agree with. Amounts sit on, just below and just above each
 * band edge of the shipped 3+N bands (0 / 200,000 / 500,000 / 1,000,000 /
 * 3,000,000 USD), in several orders each, with a cancelled order that must
 * not count and scales that print differently (100.5, 100.50, 100.505).
 */

// merchant → its 2024-Q1 order amounts; the expected level worked out by hand.
const CASES: readonly [string, readonly string[], string][] = [
  ['M-zero-cancelled', [], 'LV1'],
  ['M-tiny', ['0.01'], 'LV1'],
  ['M-below-2', ['199999.99'], 'LV1'],
  ['M-at-2', ['100000.00', '100000.00'], 'LV2'],
  ['M-above-2', ['150000.005', '50000.005'], 'LV2'],
  ['M-below-3', ['499999.994', '0.005'], 'LV2'],
  ['M-at-3', ['250000', '250000.0'], 'LV3'],
  ['M-below-4', ['999999.999'], 'LV3'],
  ['M-at-4', ['333333.33', '333333.33', '333333.34'], 'LV4'],
  ['M-below-5', ['2999999.99'], 'LV4'],
  ['M-at-5', ['3000000.00'], 'LV5'],
  ['M-far-above-5', ['9000000.50', '100.50'], 'LV5'],
];

const at = parseInstant('2024-04-02T00:00:00+08:00');

describe.each(STORES)('the set-based assessment on $name', ({ open }) => {
  let db: Db;

  beforeAll(async () => {
    db = await open();
    await ensureRulebook(db);
    const orders: OrderInput[] = [];
    for (const [merchantId, amounts] of CASES) {
      amounts.forEach((amountUsd, i) => {
        orders.push({
          id: `O-${merchantId}-${i}`,
          merchantId,
          service: '3+N',
          type: 'TA3N',
          amountUsd,
          clearedAt: `2024-0${1 + (i % 3)}-1${i}T10:00:00+08:00`,
          usdCny: '7.0000',
        });
      });
    }
    // Cancelled before the assessment: no trade, but the merchant is assessed (with 0).
    orders.push({
      id: 'O-M-zero-cancelled-x',
      merchantId: 'M-zero-cancelled',
      service: '3+N',
      type: 'TA3N',
      amountUsd: '800000.00',
      clearedAt: '2024-02-01T10:00:00+08:00',
      usdCny: '7.0000',
    });
    await db.transaction((tx) =>
      ingest(tx, {
        merchants: CASES.map(([id], i) => ({
          value: { id, fxRating: 'A' },
          where: `merchants[${i}]`,
        })),
        orders: orders.map((value, i) => ({ value, where: `orders[${i}]` })),
        orderEvents: [
          {
            value: {
              orderId: 'O-M-zero-cancelled-x',
              at: '2024-03-01T00:00:00+08:00',
              status: 'cancelled',
            },
            where: 'orderEvents[0]',
          },
        ],
      }),
    );
    await runUntil(db, at);
  });

  afterAll(async () => {
    await db.close();
  });

  const stored = () =>
    db.query<{
      merchant_id: string;
      amount_usd: string;
      order_count: number | string;
      level: string;
    }>(
      `SELECT merchant_id, amount_usd::text AS amount_usd, order_count, level
       FROM assessments WHERE quarter = '2024-Q1' ORDER BY merchant_id`,
    );

  it('gives each merchant the level worked out by hand', async () => {
    const levels = Object.fromEntries((await stored()).map((row) => [row.merchant_id, row.level]));
    expect(levels).toEqual(Object.fromEntries(CASES.map(([id, , level]) => [id, level])));
  });

  it('sums exactly, leaves the cancelled order out and agrees with the core on every merchant', async () => {
    const rows = await stored();
    const [rulebook] = await loadRulebooks(db);
    const programme = rulebook?.programmes.get('3+N');
    if (!rulebook || !programme) throw new Error('no 3+N programme');
    const core = assessQuarter({
      rulebook,
      programme,
      quarter: '2024-Q1',
      effectiveAt: at,
      amounts: CASES.map(([merchantId, amounts]) => ({
        merchantId,
        amountUsd: amounts.reduce((sum, a) => sum.plus(a), dec(0)),
        orderCount: amounts.length,
      })),
      previous: new Map(),
      isRiskFlagged: () => false,
    });
    expect(
      rows.map((row) => [
        row.merchant_id,
        dec(row.amount_usd).toFixed(),
        Number(row.order_count),
        row.level,
      ]),
    ).toEqual(
      core
        .map((m) => [
          m.assessment.merchantId,
          m.assessment.amountUsd.toFixed(),
          m.orderCount,
          m.assessment.level,
        ])
        .sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1)),
    );
    const below3 = rows.find((row) => row.merchant_id === 'M-below-3');
    expect(below3?.amount_usd).toBe('499999.999');
    const cancelled = rows.find((row) => row.merchant_id === 'M-zero-cancelled');
    expect([cancelled?.amount_usd, Number(cancelled?.order_count)]).toEqual(['0', 0]);
  });

  it('announces each level with the amount printed as the core prints it', async () => {
    const events = await db.query<{
      merchant_id: string;
      payload: { amountUsd: string; level: string };
    }>("SELECT merchant_id, payload FROM events WHERE type = 'level.assigned' ORDER BY seq");
    const byMerchant = Object.fromEntries(events.map((e) => [e.merchant_id, e.payload.amountUsd]));
    expect(byMerchant['M-at-3']).toBe('500000.00');
    expect(byMerchant['M-below-3']).toBe('499999.999');
    expect(byMerchant['M-far-above-5']).toBe('9000101.00');
    expect(byMerchant['M-zero-cancelled']).toBe('0.00');
    for (const [id, amounts] of CASES) {
      expect(byMerchant[id], id).toBe(formatAmount(amounts.reduce((s, a) => s.plus(a), dec(0))));
    }
    expect(events.map((e) => e.merchant_id)).toEqual([...CASES.map(([id]) => id)].sort());
  });

  it('explains a level written without a stored sentence', async () => {
    const explained = await explainLevel(db, 'M-at-4', '2024-Q1');
    expect(explained.en).toBe(
      '3+N clearance in 2024-Q1: 1,000,000.00 USD over 3 orders, at least 1,000,000.00 USD ' +
        'and below 3,000,000.00 USD, so LV4 from 2024-04-02T00:00:00+08:00.',
    );
    expect(explained.zh).toBe(
      '2024-Q1 3+N 通关金额 1,000,000.00 美元（3 单），不低于 1,000,000.00 美元、低于 3,000,000.00 美元，' +
        '自 2024-04-02T00:00:00+08:00 起为 LV4。',
    );
  });
});
