import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LadderError } from '../core/errors.js';
import type {
  ChargeInput,
  MerchantInput,
  OrderEventInput,
  OrderInput,
  SettlementInput,
} from '../core/input.js';
import type { Db } from '../store/db.js';
import { STORES } from '../test-support/stores.js';
import { type IngestBatch, ingest, type Located } from './ingest.js';

const FACT_TABLES = [
  'merchants',
  'risk_flags',
  'fx_rating_changes',
  'orders',
  'order_events',
  'charges',
  'settlements',
] as const;

type Counts = Record<(typeof FACT_TABLES)[number], number>;

async function rowCounts(db: Db): Promise<Counts> {
  const counts = {} as Counts;
  for (const table of FACT_TABLES) {
    const rows = await db.query<{ n: string | number }>(`SELECT count(*) AS n FROM ${table}`);
    counts[table] = Number(rows[0]?.n);
  }
  return counts;
}

const at =
  (list: string) =>
  <T>(rows: readonly T[]): Located<T>[] =>
    rows.map((value, i) => ({ value, where: `${list}[${i}]` }));

function merchant(id: string, extra: Partial<MerchantInput> = {}): MerchantInput {
  return { id, fxRating: 'A', ...extra };
}

function order(id: string, merchantId: string, amountUsd = '10000.00'): OrderInput {
  return {
    id,
    merchantId,
    service: '3+N',
    type: 'TA3N',
    amountUsd,
    clearedAt: '2024-08-15T10:00:00+08:00',
    usdCny: '7.1000',
  };
}

function statusEvent(orderId: string, status: OrderEventInput['status']): OrderEventInput {
  return { orderId, status, at: '2024-09-20T00:00:00+08:00' };
}

function charge(id: string, orderId: string, merchantId: string): ChargeInput {
  return {
    id,
    orderId,
    merchantId,
    kind: 'tax-refund-service-fee',
    amountCny: '350.00',
    at: '2024-09-01T10:00:00+08:00',
  };
}

function settlement(id: string, merchantId: string): SettlementInput {
  return {
    id,
    merchantId,
    currency: 'USD',
    amount: '50000.00',
    baseRate: '7.2120',
    account: 'export',
    at: '2024-08-01T10:00:00+08:00',
  };
}

/** Two merchants with one of everything; M-1 has a rating change and an open risk flag. */
const BASE: IngestBatch = {
  merchants: at('merchants')([
    merchant('M-1', {
      fxRatingChanges: [{ at: '2024-12-01T00:00:00+08:00', rating: 'B' }],
      riskFlags: [{ from: '2025-01-10T00:00:00+08:00', to: null }],
    }),
    merchant('M-2'),
  ]),
  orders: at('orders')([order('O-1', 'M-1'), order('O-2', 'M-2')]),
  orderEvents: at('orderEvents')([statusEvent('O-1', 'cancelled')]),
  charges: at('charges')([charge('C-1', 'O-2', 'M-2')]),
  settlements: at('settlements')([settlement('S-1', 'M-1')]),
};

const BASE_COUNTS: Counts = {
  merchants: 2,
  risk_flags: 1,
  fx_rating_changes: 1,
  orders: 2,
  order_events: 1,
  charges: 1,
  settlements: 1,
};

/** Runs a batch that must be refused; returns the LadderError it was refused with. */
async function refusal(db: Db, batch: IngestBatch): Promise<LadderError> {
  const outcome = await db
    .transaction((tx) => ingest(tx, batch))
    .then(
      () => null,
      (err: unknown) => err,
    );
  expect(outcome).toBeInstanceOf(LadderError);
  return outcome as LadderError;
}

const paths = (err: LadderError) => err.issues.map((issue) => issue.path);

describe.each(STORES)('ingest on $name', ({ open }) => {
  let db: Db;

  beforeEach(async () => {
    db = await open();
    await db.transaction((tx) => ingest(tx, BASE));
  });

  afterEach(async () => {
    await db.close();
  });

  it('stores each fact of a batch once', async () => {
    expect(await rowCounts(db)).toEqual(BASE_COUNTS);
  });

  it('changes nothing when the same batch is ingested again', async () => {
    const summary = await db.transaction((tx) => ingest(tx, BASE));

    expect(await rowCounts(db)).toEqual(BASE_COUNTS);
    expect(Object.values(summary.inserted).filter((n) => n !== 0)).toEqual([]);
    expect(summary.unchanged).toMatchObject({
      merchants: 2,
      orders: 2,
      orderEvents: 1,
      charges: 1,
      settlements: 1,
    });
  });

  it('takes the same order again when only its decimals are written differently', async () => {
    const same = { ...order('O-1', 'M-1'), amountUsd: '10000', usdCny: '7.10' };

    const summary = await db.transaction((tx) => ingest(tx, { orders: at('orders')([same]) }));

    expect(summary.unchanged).toMatchObject({ orders: 1 });
    expect(await rowCounts(db)).toEqual(BASE_COUNTS);
  });

  it('refuses an order sent again with another amount and applies none of the batch', async () => {
    const err = await refusal(db, {
      merchants: at('merchants')([merchant('M-3')]),
      orders: at('orders')([order('O-3', 'M-3'), order('O-1', 'M-1', '10000.01')]),
      settlements: at('settlements')([settlement('S-3', 'M-3')]),
    });

    expect(err.code).toBe('CONFLICT');
    expect(paths(err)).toHaveLength(1);
    expect(paths(err)[0]).toMatch(/^orders\[1\]\./);
    expect(await rowCounts(db)).toEqual(BASE_COUNTS);
    const stored = await db.query<{ amount_usd: string }>(
      "SELECT amount_usd FROM orders WHERE id = 'O-1'",
    );
    expect(stored).toEqual([{ amount_usd: '10000.00' }]);
  });

  it('refuses another status for an order already cancelled', async () => {
    const err = await refusal(db, {
      orderEvents: at('orderEvents')([statusEvent('O-1', 'refunded')]),
    });

    expect(paths(err)).toEqual(['orderEvents[0].status']);
    expect(await rowCounts(db)).toEqual(BASE_COUNTS);
    const stored = await db.query<{ status: string }>(
      "SELECT status FROM order_events WHERE order_id = 'O-1'",
    );
    expect(stored).toEqual([{ status: 'cancelled' }]);
  });

  it('refuses two different statuses for one order within one batch', async () => {
    const err = await refusal(db, {
      orderEvents: at('orderEvents')([
        statusEvent('O-2', 'fraudulent'),
        statusEvent('O-2', 'abnormal'),
      ]),
    });

    expect(paths(err)).toEqual(['orderEvents[1].status']);
    expect(await rowCounts(db)).toEqual(BASE_COUNTS);
  });

  it('refuses a charge that names an order of another merchant', async () => {
    const err = await refusal(db, {
      charges: at('charges')([charge('C-2', 'O-1', 'M-2')]),
    });

    expect(paths(err)).toEqual(['charges[0].merchantId']);
    expect(await rowCounts(db)).toEqual(BASE_COUNTS);
  });

  // Ids are unique across merchants although the keys carry merchant_id (migration 4).
  it.each([
    ['an order', { orders: at('orders')([order('O-1', 'M-2')]) }, 'orders[0].id', 'O-1', 'M-1'],
    [
      'a settlement',
      { settlements: at('settlements')([settlement('S-1', 'M-2')]) },
      'settlements[0].id',
      'S-1',
      'M-1',
    ],
    [
      'a charge',
      { charges: at('charges')([charge('C-1', 'O-1', 'M-1')]) },
      'charges[0].id',
      'C-1',
      'M-2',
    ],
  ] as const)('refuses %s whose id another merchant holds', async (_, batch, path, id, owner) => {
    const err = await refusal(db, batch);

    expect(err.code).toBe('CONFLICT');
    expect(err.issues).toEqual([
      expect.objectContaining({
        path,
        value: id,
        message: expect.stringContaining(`belongs to merchant ${owner}`),
      }),
    ]);
    expect(await rowCounts(db)).toEqual(BASE_COUNTS);
  });

  it("writes a status event with its order's merchant", async () => {
    const rows = await db.query<{ merchant_id: string }>(
      "SELECT merchant_id FROM order_events WHERE order_id = 'O-1'",
    );

    expect(rows).toEqual([{ merchant_id: 'M-1' }]);
  });

  it.each([
    ['an order', { orders: at('orders')([order('O-9', 'M-404')]) }, 'orders[0].merchantId'],
    [
      'a settlement',
      { settlements: at('settlements')([settlement('S-9', 'M-404')]) },
      'settlements[0].merchantId',
    ],
    [
      'a charge',
      { charges: at('charges')([charge('C-9', 'O-404', 'M-404')]) },
      'charges[0].orderId',
    ],
  ] as const)('refuses %s that names an unknown merchant or order', async (_, batch, path) => {
    const err = await refusal(db, batch);

    expect(paths(err)).toEqual([path]);
    expect(await rowCounts(db)).toEqual(BASE_COUNTS);
  });
});

// Only a real server runs two transactions at once; PGlite serialises them.
describe.each(STORES.filter((store) => store.name === 'postgres'))(
  'concurrent ingest on $name',
  ({ open }) => {
    let db: Db;

    beforeEach(async () => {
      db = await open();
      await db.transaction((tx) =>
        ingest(tx, { merchants: at('merchants')([merchant('M-1'), merchant('M-2')]) }),
      );
    });

    afterEach(async () => {
      await db.close();
    });

    it('refuses the second of two simultaneous sends of one order with other facts', async () => {
      const outcomes = await Promise.allSettled([
        db.transaction((tx) =>
          ingest(tx, { orders: at('orders')([order('O-1', 'M-1', '100.00')]) }),
        ),
        db.transaction((tx) =>
          ingest(tx, { orders: at('orders')([order('O-1', 'M-1', '200.00')]) }),
        ),
      ]);

      const refused = outcomes.filter((o) => o.status === 'rejected');
      expect(refused).toHaveLength(1);
      expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'CONFLICT' });
      const rows = await db.query<{ n: string | number }>('SELECT count(*) AS n FROM orders');
      expect(Number(rows[0]?.n)).toBe(1);
    });

    it('refuses the second of two simultaneous sends of an order id by two merchants', async () => {
      const outcomes = await Promise.allSettled([
        db.transaction((tx) => ingest(tx, { orders: at('orders')([order('O-1', 'M-1')]) })),
        db.transaction((tx) => ingest(tx, { orders: at('orders')([order('O-1', 'M-2')]) })),
      ]);

      const refused = outcomes.filter((o) => o.status === 'rejected');
      expect(refused).toHaveLength(1);
      expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({
        code: 'CONFLICT',
        issues: [expect.objectContaining({ path: 'orders[0].id', value: 'O-1' })],
      });
      const rows = await db.query<{ n: string | number }>(
        "SELECT count(*) AS n FROM orders WHERE id = 'O-1'",
      );
      expect(Number(rows[0]?.n)).toBe(1);
    });
  },
);
