import { afterAll, beforeAll } from 'vitest';
import type { Db } from '../store/db.js';
import { openTestApp, type TestApp } from './http.js';

/**
 * A small programme loaded through the API, for the HTTP suites: M-A jumps
 * LV1 → LV3 in 2024-Q2 (3,500.00 CNY coupon), pays one fee, uses 350.00 of
 * the coupon on a charge and has the order cancelled; M-B is LV2 from Q2.
 */
export const FIXTURE = {
  merchants: [
    { id: 'M-A', fxRating: 'A' },
    { id: 'M-B', fxRating: 'A' },
  ],
  orders: [
    {
      id: 'O-A1',
      merchantId: 'M-A',
      service: '3+N',
      type: 'TA3N',
      amountUsd: '100000.00',
      clearedAt: '2024-03-15T10:00:00+08:00',
    },
    {
      id: 'O-A2',
      merchantId: 'M-A',
      service: '3+N',
      type: 'OT3N',
      amountUsd: '800000.00',
      clearedAt: '2024-05-20T10:00:00+08:00',
    },
    {
      id: 'O-A3',
      merchantId: 'M-A',
      service: '3+N',
      type: 'TA3N',
      amountUsd: '10000.00',
      clearedAt: '2024-08-15T10:00:00+08:00',
      usdCny: '7.1000',
    },
    {
      id: 'O-A4',
      merchantId: 'M-A',
      service: '3+N',
      type: 'TA3N',
      amountUsd: '20000.00',
      clearedAt: '2024-09-10T10:00:00+08:00',
      usdCny: '7.1000',
    },
    {
      id: 'O-B1',
      merchantId: 'M-B',
      service: '3+N',
      type: 'TA3N',
      amountUsd: '300000.00',
      clearedAt: '2024-05-01T10:00:00+08:00',
    },
    {
      id: 'O-B2',
      merchantId: 'M-B',
      service: '3+N',
      type: 'TA3N',
      amountUsd: '5000.00',
      clearedAt: '2024-08-01T10:00:00+08:00',
      usdCny: '7.2000',
    },
  ],
  orderEvents: [{ orderId: 'O-A3', at: '2024-09-20T00:00:00+08:00', status: 'cancelled' }],
  charges: [
    {
      id: 'C-A1',
      orderId: 'O-A3',
      merchantId: 'M-A',
      kind: 'tax-refund-service-fee',
      amountCny: '350.00',
      at: '2024-09-01T10:00:00+08:00',
    },
  ],
  settlements: [
    {
      id: 'S-A1',
      merchantId: 'M-A',
      currency: 'USD',
      amount: '50000.00',
      baseRate: '7.2120',
      account: 'export',
      at: '2024-08-01T10:00:00+08:00',
    },
  ],
  until: '2024-09-30T00:00:00+08:00',
} as const;

export const COUPON_A = 'CP-M-A-3+N-2024-Q2';

/** Ingests the fixture through the API, then `more` (facts of the test's), then runs until `FIXTURE.until`. */
export async function loadFixture(t: TestApp, more?: () => Promise<void>): Promise<void> {
  for (const [route, key] of [
    ['/v1/merchants/batch', 'merchants'],
    ['/v1/orders/batch', 'orders'],
    ['/v1/order-events/batch', 'orderEvents'],
    ['/v1/charges/batch', 'charges'],
    ['/v1/settlements/batch', 'settlements'],
  ] as const) {
    const res = await t.call('operator', 'POST', route, { [key]: FIXTURE[key] });
    if (res.statusCode !== 200) throw new Error(`${route}: ${res.statusCode} ${res.body}`);
  }
  await more?.();
  const run = await t.call('operator', 'POST', '/v1/assessments/run', { until: FIXTURE.until });
  if (run.statusCode !== 200) throw new Error(`run: ${run.statusCode} ${run.body}`);
}

/**
 * A suite's app on a store of its own with the fixture loaded, opened before
 * its tests and closed after them: `const app = fixtureApp(open)`, then `app()`.
 */
export function fixtureApp(open: () => Promise<Db>): () => TestApp {
  let t: TestApp | undefined;
  beforeAll(async () => {
    t = await openTestApp(await open());
    await loadFixture(t);
  });
  afterAll(async () => {
    await t?.close();
    await t?.db.close();
  });
  return () => {
    if (!t) throw new Error('the fixture app is opened in beforeAll');
    return t;
  };
}
