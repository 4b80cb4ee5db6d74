import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChargeInput, OrderEventInput, OrderInput } from '../core/input.js';
import { formatInstant, parseInstant } from '../core/time.js';
import type { Db } from '../store/db.js';
import { fromPg } from '../store/rows.js';
import { STORES } from '../test-support/stores.js';
import { ingest } from './ingest.js';
import { lateOrders } from './late-orders.js';
import { ensureRulebook, loadRulebooks, publishMonthlyRates } from './rulebooks.js';
import { runQuarterAssessment, runUntil } from './run.js';
import { workbench } from './workbench.js';

function order(id: string, amountUsd: string, clearedAt: string): OrderInput {
  return {
    id,
    merchantId: 'M-1',
    service: '3+N',
    type: 'TA3N',
    amountUsd,
    clearedAt,
    usdCny: '7.0000',
  };
}

async function addOrders(db: Db, orders: OrderInput[]): Promise<void> {
  await db.transaction((tx) =>
    ingest(tx, { orders: orders.map((value, i) => ({ value, where: `orders[${i}]` })) }),
  );
}

async function addFacts(
  db: Db,
  facts: { orderEvents?: OrderEventInput[]; charges?: ChargeInput[] },
): Promise<void> {
  await db.transaction((tx) =>
    ingest(tx, {
      orderEvents: (facts.orderEvents ?? []).map((value, i) => ({ value, where: `e[${i}]` })),
      charges: (facts.charges ?? []).map((value, i) => ({ value, where: `c[${i}]` })),
    }),
  );
}

function taxRefundCharge(id: string, orderId: string, at: string): ChargeInput {
  return {
    id,
    orderId,
    merchantId: 'M-1',
    kind: 'tax-refund-service-fee',
    amountCny: '100.00',
    at,
  };
}

/**
 * Q2 2024 100,000 USD (LV1), Q3 800,000 (LV3): one coupon of 3,500.00 from 2024-10-02.
 * O-3 has six charges of 100.00 from 2025-01-03 to 01-08 and turns fraudulent on 02-01;
 * O-4 turns abnormal on 2025-01-04 and is charged 100.00 on 01-05.
 */
const FORFEIT_ORDERS = [
  order('O-1', '100000.00', '2024-05-20T10:00:00+08:00'),
  order('O-2', '800000.00', '2024-08-15T10:00:00+08:00'),
  order('O-3', '10000.00', '2025-01-02T10:00:00+08:00'),
  order('O-4', '10000.00', '2025-01-02T11:00:00+08:00'),
];
const O3_CHARGES = ['03', '04', '05', '06', '07', '08'].map((day, i) =>
  taxRefundCharge(`C-${i + 1}`, 'O-3', `2025-01-${day}T00:00:00+08:00`),
);
const O3_FRAUDULENT: OrderEventInput = {
  orderId: 'O-3',
  status: 'fraudulent',
  at: '2025-02-01T00:00:00+08:00',
};
const O4_CHARGE = taxRefundCharge('C-7', 'O-4', '2025-01-05T00:00:00+08:00');
const O4_ABNORMAL: OrderEventInput = {
  orderId: 'O-4',
  status: 'abnormal',
  at: '2025-01-04T00:00:00+08:00',
};

/** What a run writes about coupons and charges, without the seq that counts arrivals. */
async function couponRecords(db: Db): Promise<string[]> {
  const rows = await db.query(
    `SELECT 'use' AS t, charge_id, seq::text, coupon_id, order_id, amount_cny::text, at::text,
            forfeited_at::text AS forfeited_at FROM coupon_uses
     UNION ALL SELECT 'ledger', key, kind, debit_account, credit_account, amount_cny::text, at::text,
            coupon_id FROM ledger_entries
     UNION ALL SELECT 'charge', charge_id, amount_cny::text, paid_by_coupons_cny::text,
            payable_cny::text, NULL, NULL, NULL FROM charge_results
     UNION ALL SELECT 'feed', key, type, payload::text, NULL, NULL, at::text, NULL FROM events`,
  );
  return rows.map((row) => JSON.stringify(row)).sort();
}

async function forfeitEntries(db: Db): Promise<[string, string][]> {
  const rows = await db.query<{ key: string; at: string }>(
    "SELECT key, at FROM ledger_entries WHERE kind = 'forfeit' ORDER BY key",
  );
  return rows.map((row) => [row.key, formatInstant(fromPg(row.at))]);
}

async function assessment(db: Db, quarter: string) {
  const rows = await db.query<{ amount_usd: string; level: string }>(
    "SELECT amount_usd::numeric(20, 2)::text AS amount_usd, level FROM assessments WHERE merchant_id = 'M-1' AND quarter = $1",
    [quarter],
  );
  return rows[0];
}

describe.each(STORES)('running the programme over time on $name', ({ open }) => {
  let db: Db;

  async function openStore(): Promise<Db> {
    const store = await open();
    await ensureRulebook(store);
    await store.transaction((tx) =>
      ingest(tx, { merchants: [{ value: { id: 'M-1', fxRating: 'A' }, where: 'merchants[0]' }] }),
    );
    return store;
  }

  beforeEach(async () => {
    db = await openStore();
  });

  afterEach(async () => {
    await db.close();
  });

  it('keeps a frozen level when an order of the assessed quarter arrives late, and lists it', async () => {
    // Q2 2024: 600,000 USD → LV3 from 2024-07-02.
    await addOrders(db, [order('O-1', '600000.00', '2024-05-10T10:00:00+08:00')]);
    await runUntil(db, parseInstant('2024-07-10T00:00:00+08:00'));
    expect(await assessment(db, '2024-Q2')).toEqual({ amount_usd: '600000.00', level: 'LV3' });

    // 500,000 more of Q2 arrives after the assessment: it would make 1.1M (LV4), but the
    // level given stays; the order is listed as late.
    await addOrders(db, [order('O-LATE', '500000.00', '2024-06-20T10:00:00+08:00')]);
    await runUntil(db, parseInstant('2024-07-10T00:00:00+08:00'));
    expect(await assessment(db, '2024-Q2')).toEqual({ amount_usd: '600000.00', level: 'LV3' });
    const late = await lateOrders(db);
    expect(late.map((o) => [o.orderId, o.quarter, o.amountUsd])).toEqual([
      ['O-LATE', '2024-Q2', '500000.00'],
    ]);
  });

  it('prices an order that arrived before its governing assessment with the new level', async () => {
    // Q2 600,000 → LV3 from 2024-07-02. An order cleared 2024-07-15 is stored before any run;
    // one run to 2024-08-01 must assess first, then price it at LV3:
    // 10,000 × 7 × 1.5% × 80% = 840 → LV3 max 480.00.
    await addOrders(db, [
      order('O-1', '600000.00', '2024-05-10T10:00:00+08:00'),
      order('O-2', '10000.00', '2024-07-15T10:00:00+08:00'),
    ]);
    await runUntil(db, parseInstant('2024-08-01T00:00:00+08:00'));
    const fee = await db.query<{ level: string; status: string; net_cny: string | null }>(
      "SELECT level, status, net_cny FROM fees WHERE order_id = 'O-2'",
    );
    expect(fee[0]).toEqual({ level: 'LV3', status: 'charged', net_cny: '480.00' });
  });

  it("runs one quarter's assessment alone, as a run to its instant would, once", async () => {
    // Q2 2024: 600,000 USD → LV3 from 2024-07-02. A run to just before that instant
    // assesses 2024-Q1 (no merchant yet) and leaves 2024-Q2 to the step alone.
    await addOrders(db, [order('O-1', '600000.00', '2024-05-10T10:00:00+08:00')]);
    await runUntil(db, parseInstant('2024-07-01T23:59:59.999+08:00'));
    expect(await assessment(db, '2024-Q2')).toBeUndefined();

    expect(await runQuarterAssessment(db, '3+N', '2024-Q2')).toEqual({
      service: '3+N',
      quarter: '2024-Q2',
      effectiveAt: '2024-07-02T00:00:00+08:00',
      merchants: 1,
    });
    expect(await assessment(db, '2024-Q2')).toEqual({ amount_usd: '600000.00', level: 'LV3' });

    expect(await runQuarterAssessment(db, '3+N', '2024-Q2')).toBeNull();
    const later = await runUntil(db, parseInstant('2024-07-10T00:00:00+08:00'));
    expect(later.assessments).toEqual([]);
  });

  it('refuses to assess a quarter that no rulebook calendar has', async () => {
    await expect(runQuarterAssessment(db, '3+N', '1999-Q1')).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('runs each assessment once however often run is called', async () => {
    await addOrders(db, [
      order('O-1', '100000.00', '2024-02-10T10:00:00+08:00'),
      order('O-2', '800000.00', '2024-05-10T10:00:00+08:00'),
    ]);
    for (let i = 0; i < 3; i++) await runUntil(db, parseInstant('2024-09-30T00:00:00+08:00'));
    const coupons = await db.query<{ face_cny: string }>('SELECT face_cny FROM coupons');
    // One jump LV1 → LV3: (800,000 − 100,000) × 0.005 = 3,500.00, one coupon.
    expect(coupons).toEqual([{ face_cny: '3500.00' }]);
    const runs = await db.query<{ n: string | number }>(
      'SELECT count(*) AS n FROM assessment_runs',
    );
    expect(Number(runs[0]?.n)).toBe(2);
  });

  it('reverses a cancelled order whose fee could only be priced after rates arrived', async () => {
    // No usdCny and no monthly rate: NO_FX_RATE. The order is cancelled meanwhile.
    await addOrders(db, [
      {
        id: 'O-1',
        merchantId: 'M-1',
        service: '3+N',
        type: 'TA3N',
        amountUsd: '50000.00',
        clearedAt: '2024-08-15T10:00:00+08:00',
      },
    ]);
    await db.transaction((tx) =>
      ingest(tx, {
        orderEvents: [
          {
            value: { orderId: 'O-1', status: 'cancelled', at: '2024-09-20T00:00:00+08:00' },
            where: 'e[0]',
          },
        ],
      }),
    );
    await runUntil(db, parseInstant('2024-12-31T00:00:00+08:00'));
    const before = await db.query<{ status: string; error_code: string }>(
      "SELECT status, error_code FROM fees WHERE order_id = 'O-1'",
    );
    expect(before[0]).toEqual({ status: 'error', error_code: 'NO_FX_RATE' });

    // Customs' August rate arrives: 50,000 × 7.1 × 1.5% = 5,325 → LV1 maximum 600.00, then
    // reversed by the cancellation of 2024-09-20, as a replay of the same facts says.
    await db.transaction((tx) => publishMonthlyRates(tx, { '2024-08': '7.1000' }));
    await runUntil(db, parseInstant('2024-12-31T00:00:00+08:00'));
    const after = await db.query<{ status: string; net_cny: string; reversed_at: string | null }>(
      "SELECT status, net_cny, reversed_at FROM fees WHERE order_id = 'O-1'",
    );
    expect(after[0]?.status).toBe('reversed');
    expect(after[0]?.net_cny).toBe('600.00');
  });

  it('forfeits coupon value at the status change whatever order the facts arrive in', async () => {
    const until = parseInstant('2025-02-10T00:00:00+08:00');
    const replayed = await openStore();
    const chargesFirst = await openStore();
    try {
      // All the facts before one run, as a replay has them.
      await addOrders(replayed, FORFEIT_ORDERS);
      await addFacts(replayed, {
        orderEvents: [O3_FRAUDULENT, O4_ABNORMAL],
        charges: [...O3_CHARGES, O4_CHARGE],
      });
      await runUntil(replayed, until);

      // O-3's change and O-4's charge first, run; then the rest, run again.
      await addOrders(db, FORFEIT_ORDERS);
      await addFacts(db, { orderEvents: [O3_FRAUDULENT], charges: [O4_CHARGE] });
      await runUntil(db, until);
      await addFacts(db, { orderEvents: [O4_ABNORMAL], charges: O3_CHARGES });
      await runUntil(db, until);

      // The other way round, with a run to 2025-01-20 between.
      await addOrders(chargesFirst, FORFEIT_ORDERS);
      await addFacts(chargesFirst, { orderEvents: [O4_ABNORMAL], charges: O3_CHARGES });
      await runUntil(chargesFirst, parseInstant('2025-01-20T00:00:00+08:00'));
      await addFacts(chargesFirst, { orderEvents: [O3_FRAUDULENT], charges: [O4_CHARGE] });
      await runUntil(chargesFirst, until);

      // O-3's uses are forfeited when it turned fraudulent; O-4 was abnormal when charged.
      const expected = [
        ...O3_CHARGES.map((c): [string, string] => [
          `forfeit:${c.id}:1`,
          '2025-02-01T00:00:00+08:00',
        ]),
        ['forfeit:C-7:1', '2025-01-05T00:00:00+08:00'],
      ];
      expect(await forfeitEntries(replayed)).toEqual(expected);
      expect(await forfeitEntries(db)).toEqual(expected);
      expect(await forfeitEntries(chargesFirst)).toEqual(expected);
      const records = await couponRecords(replayed);
      expect(await couponRecords(db)).toEqual(records);
      expect(await couponRecords(chargesFirst)).toEqual(records);
    } finally {
      await replayed.close();
      await chargesFirst.close();
    }
  });

  it('shows late charges of a later fraudulent order as ordinary uses until it turned', async () => {
    await addOrders(db, FORFEIT_ORDERS);
    await addFacts(db, { orderEvents: [O3_FRAUDULENT] });
    await runUntil(db, parseInstant('2025-02-10T00:00:00+08:00'));
    await addFacts(db, { charges: O3_CHARGES });
    await runUntil(db, parseInstant('2025-02-10T00:00:00+08:00'));
    const rulebooks = await loadRulebooks(db);
    const usesAt = async (instant: string) => {
      const view = await workbench(db, rulebooks, 'M-1', parseInstant(instant));
      const [coupon] = view.coupons.items;
      return {
        remainingCny: coupon?.remainingCny,
        uses: coupon?.uses.map((u) => [u.chargeId, u.at, u.forfeited, u.forfeitedAt]),
      };
    };

    // 3,500.00 − 6 × 100.00 = 2,900.00 left; on 01-15 no use is forfeited yet.
    expect(await usesAt('2025-01-15T00:00:00+08:00')).toEqual({
      remainingCny: '2900.00',
      uses: O3_CHARGES.map((c) => [c.id, c.at, false, null]),
    });
    expect(await usesAt('2025-02-10T00:00:00+08:00')).toEqual({
      remainingCny: '2900.00',
      uses: O3_CHARGES.map((c) => [c.id, c.at, true, '2025-02-01T00:00:00+08:00']),
    });
  });
});
