import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayScenario } from '../services/replay.js';
import { openTestApp, type TestApp } from '../test-support/http.js';
import { HAVE_SHARED_CASES, SHARED_CASES } from '../test-support/shared-cases.js';
import { STORES } from '../test-support/stores.js';

/**
 * The API and `ladder replay` give the same numbers for the same facts: the
 * shared announcement case is ingested through the API, run until its asOf
 * through the API, and every figure the API shows is compared with the
 * replay report of the same scenario on a store of its own.
 */

const scenario = (
  HAVE_SHARED_CASES
    ? JSON.parse(readFileSync(join(SHARED_CASES, 'announcement.json'), 'utf8'))
    : { asOf: '', merchants: [], orders: [] }
) as {
  asOf: string;
  merchants: { id: string }[];
  orders: unknown[];
  orderEvents?: unknown[];
  charges?: unknown[];
  settlements?: unknown[];
};

type Report = Awaited<ReturnType<typeof replayScenario>>;

interface Json {
  [key: string]: unknown;
}

if (!HAVE_SHARED_CASES) {
  describe('API against replay for the announcement', () => {
    it.skip(`needs the shared cases at ${SHARED_CASES}`, () => {});
  });
}

describe.runIf(HAVE_SHARED_CASES).each(STORES)(
  'API against replay for the announcement on $name',
  ({ open }) => {
    let t: TestApp;
    let report: Report;
    const ids = scenario.merchants.map((m) => m.id);

    const get = async (url: string): Promise<Json> => {
      const res = await t.call('operator', 'GET', url);
      if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
      return res.json();
    };

    beforeAll(async () => {
      const replayDb = await open();
      try {
        report = await replayScenario(replayDb, scenario);
      } finally {
        await replayDb.close();
      }

      t = await openTestApp(await open());
      const batches = [
        ['merchants', scenario.merchants],
        ['orders', scenario.orders],
        ['orderEvents', scenario.orderEvents ?? []],
        ['charges', scenario.charges ?? []],
        ['settlements', scenario.settlements ?? []],
      ] as const;
      for (const [key, rows] of batches) {
        if (rows.length === 0) continue;
        const path = key === 'orderEvents' ? 'order-events' : key;
        const res = await t.call('operator', 'POST', `/v1/${path}/batch`, { [key]: rows });
        expect(res.statusCode).toBe(200);
      }
      const run = await t.call('operator', 'POST', '/v1/assessments/run', { until: scenario.asOf });
      expect(run.statusCode).toBe(200);
    });

    afterAll(async () => {
      await t.close();
      await t.db.close();
    });

    it('gives every fee the replay gives', async () => {
      const fees: Json[] = [];
      for (const id of ids)
        fees.push(...((await get(`/v1/merchants/${id}/fees?limit=1000`)).items as Json[]));
      const shown = fees
        .map((f) =>
          f.status === 'error'
            ? { orderId: f.orderId, status: 'error', error: f.error }
            : {
                orderId: f.orderId,
                level: f.level,
                netCny: f.netCny,
                vatCny: f.vatCny,
                grossCny: f.grossCny,
                status: f.status,
              },
        )
        .sort((a, b) => String(a.orderId).localeCompare(String(b.orderId)));

      expect(shown).toEqual(report.fees);
    });

    it('gives every assessment the replay gives', async () => {
      const rows: Json[] = [];
      for (const id of ids)
        rows.push(...((await get(`/v1/merchants/${id}/assessments`)).items as Json[]));
      const shown = rows.map((a) => ({
        merchantId: a.merchantId,
        service: a.service,
        quarter: a.quarter,
        amountUsd: a.amountUsd,
        level: a.level,
        effectiveFrom: a.effectiveFrom,
      }));

      expect(shown).toEqual(report.assessments);
    });

    it('gives the coupon balances, rebates and settlements the replay gives', async () => {
      const wallets: Json[] = [];
      const rebates: string[] = [];
      const settlements: Json[] = [];
      for (const id of ids) {
        const bench = await get(
          `/v1/merchants/${id}/workbench?at=${encodeURIComponent(scenario.asOf)}`,
        );
        wallets.push({ merchantId: id, balanceCny: (bench.coupons as Json).balanceCny });
        const coupons = (await get(`/v1/merchants/${id}/coupons`)).items as Json[];
        rebates.push(...coupons.map((c) => `${id} ${c.quarter} ${c.faceCny}`));
        for (const s of (await get(`/v1/merchants/${id}/settlements`)).items as Json[]) {
          settlements.push({ settlementId: s.id, ...(s.result as Json) });
        }
      }
      const issued = report.jumpRebates
        .filter((r) => r.status === 'issued')
        .map((r) => `${r.merchantId} ${r.quarter} ${r.rebateCny}`);

      expect(wallets).toEqual(report.wallets);
      expect(rebates.sort()).toEqual(issued.sort());
      expect(
        settlements.sort((a, b) => String(a.settlementId).localeCompare(String(b.settlementId))),
      ).toEqual(report.settlements);
    });

    it('shows in the workbench the level the replay assessed last', async () => {
      for (const id of ids) {
        const bench = await get(
          `/v1/merchants/${id}/workbench?at=${encodeURIComponent(scenario.asOf)}`,
        );
        const last = report.assessments.filter((a) => a.merchantId === id).at(-1);
        const service = (bench.services as Json[])[0];

        expect([id, service?.level]).toEqual([id, last?.level ?? 'LV1']);
      }
    });
  },
);
