import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp } from '../test-support/http.js';
import { loadFixture } from '../test-support/http-fixture.js';
import { STORES } from '../test-support/stores.js';

/**
 * The workbench (SPEC §10), case by case: the level and its benefits, this
 * quarter so far counted as the assessment counts it, and the rebate a jump
 * to each higher level would pay.
 */

const order = (id: string, merchantId: string, amountUsd: string, clearedAt: string) => ({
  id,
  merchantId,
  service: '3+N',
  type: 'TA3N',
  amountUsd,
  clearedAt,
  usdCny: '7.1000',
});

describe.each(STORES)('the workbench on $name', ({ open }) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await openTestApp(await open());
    await loadFixture(t, async () => {
      await t.call('operator', 'POST', '/v1/merchants/batch', {
        merchants: [
          { id: 'M-C', fxRating: 'A' },
          { id: 'M-N', fxRating: 'B' },
        ],
      });
      await t.call('operator', 'POST', '/v1/orders/batch', {
        orders: [
          order('O-C1', 'M-C', '1200000.00', '2024-06-01T10:00:00+08:00'),
          order('O-N1', 'M-N', '50000.00', '2024-08-01T10:00:00+08:00'),
        ],
      });
      await t.call('operator', 'POST', '/v1/merchants/M-B/risk-flags', {
        from: '2024-08-10T00:00:00+08:00',
        to: null,
      });
    });
  });

  afterAll(async () => {
    await t.close();
    await t.db.close();
  });

  const bench = async (id: string, at: string) => {
    const res = await t.call(
      'operator',
      'GET',
      `/v1/merchants/${id}/workbench?at=${encodeURIComponent(at)}`,
    );
    expect(res.statusCode).toBe(200);
    return res.json();
  };

  it('shows LV3 with its fee caps net and gross, and what a jump to LV4 or LV5 would pay', async () => {
    const body = await bench('M-A', '2024-08-20T12:00:00+08:00');

    expect(body.services).toEqual([
      {
        service: '3+N',
        level: 'LV3',
        levelSince: '2024-07-02T00:00:00+08:00',
        assessedQuarter: '2024-Q2',
        benefits: {
          fee: {
            rulebook: '3n-2024-07@1',
            ruleType: 'level-discount',
            band: 'level',
            baseRate: '0.015',
            discount: '0.8',
            minNetCny: '160.00',
            maxNetCny: '480.00',
            minGrossCny: '169.60',
            maxGrossCny: '508.80',
            vatRate: '0.06',
          },
          fx: { pips: 0, eligible: false, reason: 'level' },
          jumpRebate: { pays: true, cnyPerUsd: '0.005', reason: null },
        },
        thisQuarter: {
          quarter: '2024-Q3',
          assessedAt: '2024-10-02T00:00:00+08:00',
          clearedAmountUsd: '10000.00',
          orderCount: 1,
          reachesLevel: 'LV1',
          nextLevel: 'LV2',
          nextLevelThresholdUsd: '200000.00',
          gapUsd: '190000.00',
          heldLevel: 'LV3',
          previousQuarterAmountUsd: '800000.00',
          // (1,000,000 − 800,000) × 0.005 and (3,000,000 − 800,000) × 0.005.
          jumps: [
            { level: 'LV4', thresholdUsd: '1000000.00', rebateCny: '1000.00' },
            { level: 'LV5', thresholdUsd: '3000000.00', rebateCny: '11000.00' },
          ],
        },
      },
    ]);
    expect(body.coupons.balanceCny).toBe('3500.00');
  });

  it('stops counting an order once it is cancelled, as the assessment will', async () => {
    const before = await bench('M-A', '2024-09-19T12:00:00+08:00');
    const after = await bench('M-A', '2024-09-25T12:00:00+08:00');

    expect(before.services[0].thisQuarter).toMatchObject({
      clearedAmountUsd: '30000.00',
      orderCount: 2,
    });
    expect(after.services[0].thisQuarter).toMatchObject({
      clearedAmountUsd: '20000.00',
      orderCount: 1,
    });
  });

  it('knows nothing of an assessment before its instant', async () => {
    const body = await bench('M-A', '2024-07-01T12:00:00+08:00');

    expect(body.services[0]).toMatchObject({ level: 'LV1', assessedQuarter: '2024-Q1' });
    expect(body.services[0].thisQuarter).toMatchObject({
      quarter: '2024-Q3',
      heldLevel: 'LV1',
      previousQuarterAmountUsd: null,
      jumps: [],
    });
  });

  it('gives an LV4 merchant its 40 pips, from the opening of the subsidy window only', async () => {
    const inWindow = await bench('M-C', '2024-08-20T12:00:00+08:00');
    const early = await bench('M-C', '2024-07-05T12:00:00+08:00');

    expect(inWindow.services[0].benefits.fx).toEqual({ pips: 40, eligible: true, reason: null });
    expect(early.services[0].benefits.fx).toEqual({ pips: 40, eligible: false, reason: 'window' });
    expect(inWindow.services[0].benefits.fee).toMatchObject({
      discount: '0.65',
      minNetCny: '130.00',
      maxNetCny: '390.00',
    });
  });

  it('charges a flagged merchant the standard fee and pays it no jump', async () => {
    const body = await bench('M-B', '2024-08-20T12:00:00+08:00');

    expect(body.riskFlagged).toBe(true);
    expect(body.services[0].benefits.fee).toMatchObject({
      band: 'risk',
      discount: '1',
      minNetCny: '200.00',
      maxNetCny: '600.00',
    });
    expect(body.services[0].benefits.jumpRebate).toEqual({
      pays: false,
      cnyPerUsd: '0.005',
      reason: 'risk',
    });
  });

  it('measures a newcomer from LV1 and 0 USD (D8)', async () => {
    const body = await bench('M-N', '2024-08-20T12:00:00+08:00');

    expect(body.services[0]).toMatchObject({
      level: 'LV1',
      levelSince: null,
      assessedQuarter: null,
    });
    expect(body.services[0].benefits.fx).toEqual({ pips: 0, eligible: false, reason: 'level' });
    expect(body.services[0].thisQuarter).toMatchObject({
      clearedAmountUsd: '50000.00',
      heldLevel: 'LV1',
      previousQuarterAmountUsd: '0.00',
      jumps: [
        { level: 'LV2', thresholdUsd: '200000.00', rebateCny: '1000.00' },
        { level: 'LV3', thresholdUsd: '500000.00', rebateCny: '2500.00' },
        { level: 'LV4', thresholdUsd: '1000000.00', rebateCny: '5000.00' },
        { level: 'LV5', thresholdUsd: '3000000.00', rebateCny: '15000.00' },
      ],
    });
  });

  it('shows a fee reversed later as charged, on the workbench and in the fee list', async () => {
    // O-A3 cleared on 2024-08-15 and was cancelled on 2024-09-20 00:00.
    const feeOf = (items: { orderId: string }[]) => items.find((f) => f.orderId === 'O-A3');
    const before = await bench('M-A', '2024-09-19T23:59:59+08:00');
    expect(feeOf(before.fees.items)).toMatchObject({ status: 'charged', reversedAt: null });
    const after = await bench('M-A', '2024-09-20T00:00:00+08:00');
    expect(feeOf(after.fees.items)).toMatchObject({
      status: 'reversed',
      reversedAt: '2024-09-20T00:00:00+08:00',
    });

    const list = async (at: string) => {
      const query = `at=${encodeURIComponent(at)}`;
      const res = await t.call('operator', 'GET', `/v1/merchants/M-A/fees?${query}`);
      expect(res.statusCode, res.body).toBe(200);
      return res.json().items;
    };
    expect(feeOf(await list('2024-09-19T23:59:59+08:00'))).toMatchObject({
      status: 'charged',
      reversedAt: null,
    });
    expect(feeOf(await list('2024-09-25T00:00:00+08:00'))).toMatchObject({ status: 'reversed' });
  });

  it('reads a bare date as the end of that day in Shanghai, the day included', async () => {
    // O-A4 cleared at 10:00 on 2024-09-10: as of that date it is there, as of the day before not.
    const ids = (body: { fees: { items: { orderId: string }[] } }) =>
      body.fees.items.map((f) => f.orderId);
    const onTheDay = await bench('M-A', '2024-09-10');
    expect(onTheDay.at).toBe('2024-09-10T23:59:59.999+08:00');
    expect(ids(onTheDay)).toContain('O-A4');
    expect(ids(await bench('M-A', '2024-09-09'))).not.toContain('O-A4');
  });

  it('prints a fee breakdown with the rate to four places and amounts to the fen at least', async () => {
    // O-A3: 10,000.00 USD × 7.1000 × 1.5% × 80% (LV3) = 852.00, above the LV3 maximum 600 × 80%.
    const res = await t.call('operator', 'GET', '/v1/merchants/M-A/fees');
    const fee = res.json().items.find((f: { orderId: string }) => f.orderId === 'O-A3');
    expect(fee.breakdown).toMatchObject({
      usdCny: '7.1000',
      baseRate: '0.015',
      discount: '0.8',
      minCny: '160.00',
      maxCny: '480.00',
      unclampedCny: '852.00',
      clamp: 'max',
    });
    expect(fee.netCny).toBe('480.00');
  });

  it('shows no fee rule after the programme ends', async () => {
    const body = await bench('M-A', '2025-05-01T12:00:00+08:00');

    expect(body.services[0].benefits.fee).toBeNull();
    expect(body.services[0].thisQuarter).toMatchObject({
      quarter: '2025-Q2',
      assessedAt: null,
      jumps: [],
    });
  });
});
