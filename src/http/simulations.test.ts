import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHIPPED_RULEBOOKS } from '../core/rulebook/shipped.js';
import { parseInstant } from '../core/time.js';
import type { SimulationResult } from '../services/simulate.js';
import { insertSimulation, type SimulationRecord } from '../services/simulations.js';
import { enqueueDeliveries } from '../services/webhooks.js';
import { openTestApp, type TestApp, type Who } from '../test-support/http.js';
import { storeSnapshot } from '../test-support/snapshot.js';
import { STORES } from '../test-support/stores.js';

/**
 * `/v1/simulations` (docs/api.md): a draft rulebook replayed over the stored
 * history in the background of the server, polled until done, kept, and
 * downloaded. The figures mirror src/services/simulate.test.ts.
 */

const SHIPPED = SHIPPED_RULEBOOKS['3n-2024-07'] as NonNullable<(typeof SHIPPED_RULEBOOKS)[string]>;

function order(id: string, merchantId: string, amountUsd: string, clearedAt: string) {
  return { id, merchantId, service: '3+N', type: 'TA3N', amountUsd, clearedAt, usdCny: '7.0000' };
}

/** M-A: 450,000 in Q2 (LV2, LV3 from 400,000); M-B 350,000 (LV2 either way); M-C 500,000 (LV3). */
const FACTS = {
  merchants: ['M-A', 'M-B', 'M-C'].map((id) => ({ id, fxRating: 'A' })),
  orders: [
    order('A-1', 'M-A', '100000.00', '2024-02-10T10:00:00+08:00'),
    order('A-2', 'M-A', '450000.00', '2024-05-10T10:00:00+08:00'),
    order('A-3', 'M-A', '10000.00', '2024-08-10T10:00:00+08:00'),
    order('B-1', 'M-B', '350000.00', '2024-05-10T10:00:00+08:00'),
    order('B-2', 'M-B', '10000.00', '2024-08-10T10:00:00+08:00'),
    order('C-1', 'M-C', '500000.00', '2024-05-10T10:00:00+08:00'),
  ],
};

function lv3From(fromUsd: string) {
  const draft = structuredClone(SHIPPED);
  const levels = draft.programmes['3+N']?.levels ?? [];
  levels[2] = { level: 'LV3', fromUsd };
  return draft;
}

const LV3_AT_400K = { draft: lv3From('400000'), from: '2024-Q2', to: '2024-Q3' };

/** Polls a simulation as a client would, until it is no longer running. */
async function settle(t: TestApp, id: string): Promise<SimulationRecord> {
  for (let i = 0; i < 3_000; i += 1) {
    const res = await t.call('operator', 'GET', `/v1/simulations/${id}`);
    expect(res.statusCode).toBe(200);
    const body = res.json() as SimulationRecord;
    if (body.status !== 'running') return body;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`simulation ${id} still running`);
}

async function simulateOverHttp(t: TestApp, body: unknown): Promise<SimulationRecord> {
  const res = await t.call('operator', 'POST', '/v1/simulations', body);
  expect([res.statusCode, res.statusCode === 202 ? '' : res.body]).toEqual([202, '']);
  return settle(t, res.json().id);
}

function resultOf(record: SimulationRecord): SimulationResult {
  expect([record.status, record.error ?? null]).toEqual(['done', null]);
  return record.result as SimulationResult;
}

describe.each(STORES)('simulations over HTTP on $name', ({ open }) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await openTestApp(await open());
    for (const [route, key] of [
      ['/v1/merchants/batch', 'merchants'],
      ['/v1/orders/batch', 'orders'],
    ] as const) {
      const res = await t.call('operator', 'POST', route, { [key]: FACTS[key] });
      expect(res.statusCode).toBe(200);
    }
    const run = await t.call('operator', 'POST', '/v1/assessments/run', {
      until: '2024-10-02T00:00:00+08:00',
    });
    expect(run.statusCode).toBe(200);
  });

  afterAll(async () => {
    await t.close();
    await t.db.close();
  });

  it.each([
    ['none', 401, 'UNAUTHENTICATED'],
    ['bogus', 401, 'UNAUTHENTICATED'],
    ['M-A', 403, 'FORBIDDEN'],
    ['M-B', 403, 'FORBIDDEN'],
  ] as const)('answers %s with %i %s on every simulation route', async (who, status, code) => {
    const done = await simulateOverHttp(t, LV3_AT_400K);
    const routes = [
      ['POST', '/v1/simulations', LV3_AT_400K],
      ['GET', '/v1/simulations'],
      ['GET', `/v1/simulations/${done.id}`],
      ['GET', `/v1/simulations/${done.id}.csv`],
      ['GET', `/v1/simulations/${done.id}.xlsx`],
    ] as const;

    for (const [method, url, body] of routes) {
      const res = await t.call(who as Who, method, url, body);
      expect([method, url, res.statusCode, res.json().code]).toEqual([method, url, status, code]);
    }
    const operator = await t.call('operator', 'GET', `/v1/simulations/${done.id}.csv`);
    expect(operator.statusCode).toBe(200);
  });

  it('finds no difference on any line for a draft equal to the published rulebook', async () => {
    const result = resultOf(
      await simulateOverHttp(t, { draft: SHIPPED, from: '2024-Q2', to: '2024-Q3' }),
    );

    expect(result.moves).toEqual([]);
    expect(result.totals.difference).toEqual({
      feeErrors: '0',
      feeIncomeCny: '0.00',
      discountCostCny: '0.00',
      rebatesCny: '0.00',
      subsidiesCny: '0.00',
      couponLiabilityCny: '0.00',
    });
    expect(result.merchants.map((m) => m.netImpactCny)).toEqual(['0.00', '0.00', '0.00']);
    expect(result.merchants.every((m) => JSON.stringify(m.base) === JSON.stringify(m.draft))).toBe(
      true,
    );
    expect(result.levelCounts.every((c) => c.base === c.draft)).toBe(true);
  });

  it('moves exactly the merchants in [400,000, 500,000) when LV3 starts at 400,000', async () => {
    const posted = await t.call('operator', 'POST', '/v1/simulations', LV3_AT_400K);
    expect(posted.statusCode).toBe(202);
    expect(posted.json()).toMatchObject({ status: 'running', stage: 'queued', progress: 0 });
    expect(posted.headers.location).toBe(`/v1/simulations/${posted.json().id}`);
    expect(posted.json().changes).toEqual([
      {
        path: 'programmes.3+N.levels[2].fromUsd',
        op: 'changed',
        before: '500000',
        after: '400000',
      },
    ]);

    const record = await settle(t, posted.json().id);
    const result = resultOf(record);

    expect([record.progress, record.stage]).toEqual([1, 'done']);
    // M-A's Q2 450,000 moves LV2 → LV3; M-B (350,000) and M-C (500,000) stay.
    expect(result.moves.map((m) => [m.merchantId, m.quarter, m.baseLevel, m.draftLevel])).toEqual([
      ['M-A', '2024-Q2', 'LV2', 'LV3'],
    ]);
    expect(result.moves[0]?.amountUsd).toBe('450000.00');
    expect(result.moves[0]?.draft?.en).toContain('LV3');
    expect(result.moves[0]?.draft?.zh).toContain('LV3');
    // M-A's August order: 10,000 × 7 × 1.5% = 1,050 → the LV2 maximum 600.00; at LV3
    // 1,050 × 80% = 840 → the LV3 maximum 480.00. The jump rebate is the same either
    // way, (450,000 − 100,000) × 0.005 = 1,750.00: M-A pays 120.00 less.
    const a = result.merchants[0];
    expect(a?.merchantId).toBe('M-A');
    expect(a?.base).toMatchObject({ feesNetCny: '600.00', rebatesCny: '1750.00' });
    expect(a?.draft).toMatchObject({ feesNetCny: '480.00', rebatesCny: '1750.00' });
    expect(a?.netImpactCny).toBe('-120.00');
    expect(result.merchants.slice(1).map((m) => m.netImpactCny)).toEqual(['0.00', '0.00']);
    expect(result.totals.difference).toMatchObject({
      feeIncomeCny: '-120.00',
      discountCostCny: '120.00',
      rebatesCny: '0.00',
    });
    const q2 = result.levelCounts.filter((c) => c.quarter === '2024-Q2');
    expect(q2.map((c) => [c.level, c.base, c.draft])).toEqual([
      ['LV2', 2, 1],
      ['LV3', 1, 2],
    ]);
  });

  it('serves the CSV and XLSX of the CLI for a finished simulation', async () => {
    const { id } = await simulateOverHttp(t, LV3_AT_400K);

    const csv = await t.call('operator', 'GET', `/v1/simulations/${id}.csv`);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toBe(`attachment; filename="${id}.csv"`);
    expect(csv.body.split('\n').slice(0, 2)).toEqual([
      'merchantId,feesNetCny base,feesNetCny draft,rebatesCny base,rebatesCny draft,' +
        'subsidiesCny base,subsidiesCny draft,couponsOutstandingCny base,' +
        'couponsOutstandingCny draft,netImpactCny',
      'M-A,600.00,480.00,1750.00,1750.00,0.00,0.00,1750.00,1750.00,-120.00',
    ]);

    const xlsx = await t.call('operator', 'GET', `/v1/simulations/${id}.xlsx`);
    expect(xlsx.statusCode).toBe(200);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
    expect(book.worksheets.map((s) => s.name)).toEqual(['Totals', 'Levels', 'Moves', 'Merchants']);
    const move = book.getWorksheet('Moves')?.getRow(2).values as unknown[];
    expect(move.slice(1, 7)).toEqual(['M-A', '3+N', '2024-Q2', '450000.00', 'LV2', 'LV3']);
    const fees = book.getWorksheet('Totals')?.getRow(3).values as unknown[];
    expect(fees.slice(1)).toEqual(['fee income (net)', '1200.00', '1080.00', '-120.00']);
  });

  it('leaves the stored data byte for byte as it was, but for its own record', async () => {
    const before = await storeSnapshot(t.db, ['simulations']);

    await simulateOverHttp(t, LV3_AT_400K);

    expect(await storeSnapshot(t.db, ['simulations'])).toBe(before);
  });

  const Q2_Q3 = { from: '2024-Q2', to: '2024-Q3' };

  it.each([
    [
      'a draft that breaks the schema',
      { ...Q2_Q3, draft: { ...SHIPPED, effectiveFrom: '2024-04-01T00:00:00' } },
      400,
      /^draft\.effectiveFrom /,
    ],
    [
      'a draft whose LV3 starts below LV2',
      { ...Q2_Q3, draft: lv3From('100000') },
      400,
      /^draft\.programmes\.3\+N\.levels/,
    ],
    [
      'a draft of another rulebook',
      { ...Q2_Q3, draft: { ...SHIPPED, id: '2n-2030-01' } },
      400,
      /^draft\.id must be 3n-2024-07$/,
    ],
    ['a draft that is not an object', { ...Q2_Q3, draft: 'x' }, 400, /^draft /],
    ['no draft', Q2_Q3, 400, /^draft is required$/],
    ['a quarter that is not one', { ...LV3_AT_400K, from: '2024-Q5' }, 400, /^from must be/],
    ['from after to', { ...LV3_AT_400K, from: '2024-Q4' }, 400, /^from must not be after to$/],
    ['a base that is no version', { ...LV3_AT_400K, base: 'latest' }, 400, /^base must be/],
    ['a base never published', { ...LV3_AT_400K, base: '0' }, 404, /^base names no published/],
    ['a field it does not know', { ...LV3_AT_400K, until: 'x' }, 400, /unknown field\(s\) until/],
  ])('refuses %s at once, naming the field', async (_what, body, status, named) => {
    const before = (await t.call('operator', 'GET', '/v1/simulations?limit=100')).json();
    const res = await t.call('operator', 'POST', '/v1/simulations', body);

    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    const fields = (res.json().errors as { path: string; message: string }[]).map(
      (e) => `${e.path} ${e.message}`,
    );
    expect(
      fields.some((field) => named.test(field)),
      fields.join('; '),
    ).toBe(true);
    const after = (await t.call('operator', 'GET', '/v1/simulations?limit=100')).json();
    expect(after.items.length).toBe(before.items.length);
  });

  it('simulates a store whose events are queued for delivery to a webhook', async () => {
    const hook = await t.call('operator', 'POST', '/v1/webhooks', {
      url: 'http://127.0.0.1:9/hook',
      from: 'beginning',
    });
    expect(
      await enqueueDeliveries(t.db, parseInstant('2024-10-03T00:00:00+08:00')),
    ).toBeGreaterThan(0);
    const before = await storeSnapshot(t.db, ['simulations']);

    expect(resultOf(await simulateOverHttp(t, LV3_AT_400K)).moves).toHaveLength(1);
    expect(await storeSnapshot(t.db, ['simulations'])).toBe(before);
    await t.call('operator', 'DELETE', `/v1/webhooks/${hook.json().id}`);
  });

  it('starts one simulation for a repeated Idempotency-Key', async () => {
    const headers = { 'idempotency-key': `sim-${Date.now()}` };
    const first = await t.call('operator', 'POST', '/v1/simulations', LV3_AT_400K, headers);
    const again = await t.call('operator', 'POST', '/v1/simulations', LV3_AT_400K, headers);

    expect([first.statusCode, again.statusCode]).toEqual([202, 202]);
    expect(again.json().id).toBe(first.json().id);
    expect(again.headers['idempotent-replayed']).toBe('true');
    await settle(t, first.json().id);
  });

  it('queues a second simulation behind the first and runs both', async () => {
    const one = await t.call('operator', 'POST', '/v1/simulations', LV3_AT_400K);
    const two = await t.call('operator', 'POST', '/v1/simulations', {
      draft: SHIPPED,
      from: '2024-Q3',
      to: '2024-Q3',
    });

    const [a, b] = [await settle(t, one.json().id), await settle(t, two.json().id)];
    expect([a.status, b.status]).toEqual(['done', 'done']);
    expect(resultOf(a).moves).toHaveLength(1);
    expect(resultOf(b).from).toBe('2024-Q3');
  });

  it('lists the kept simulations newest first, with totals and without drafts', async () => {
    const done = await simulateOverHttp(t, LV3_AT_400K);
    const page = (await t.call('operator', 'GET', '/v1/simulations?limit=2')).json();

    expect(page.items).toHaveLength(2);
    expect(page.items[0]).toMatchObject({
      id: done.id,
      status: 'done',
      request: { base: null, from: '2024-Q2', to: '2024-Q3' },
      baseRulebook: '3n-2024-07@1',
      draftRulebook: '3n-2024-07@draft',
      moves: 1,
      totals: { difference: { feeIncomeCny: '-120.00' } },
    });
    expect(page.items[0].request.draft).toBeUndefined();
    const next = (await t.call('operator', 'GET', `/v1/simulations?after=${page.next}`)).json();
    expect(next.items[0].createdAt <= page.items[1].createdAt).toBe(true);
    expect(next.items.map((s: { id: string }) => s.id)).not.toContain(done.id);
  });

  it('keeps simulations across a restart; fails one a stopped server left running', async () => {
    const done = await simulateOverHttp(t, LV3_AT_400K);
    await insertSimulation(t.db, {
      id: 'sim-left-running',
      request: LV3_AT_400K,
      changes: [],
      createdAt: parseInstant('2024-10-03T00:00:00+08:00'),
    });
    if (t.db.kind === 'postgres') {
      // Another server's run: stale once its heartbeat has stopped long enough.
      await t.db.query(
        "UPDATE simulations SET heartbeat_at = now() - interval '1 hour' WHERE id = $1",
        ['sim-left-running'],
      );
    }

    await t.close();
    t = await openTestApp(t.db);

    const kept = (await t.call('operator', 'GET', `/v1/simulations/${done.id}`)).json();
    expect(resultOf(kept).moves).toHaveLength(1);
    const left = (await t.call('operator', 'GET', '/v1/simulations/sim-left-running')).json();
    expect(left).toMatchObject({ status: 'failed', error: { code: 'INTERNAL' } });
    const csv = await t.call('operator', 'GET', '/v1/simulations/sim-left-running.csv');
    expect([csv.statusCode, csv.json().code]).toEqual([404, 'NOT_FOUND']);
    const unknown = await t.call('operator', 'GET', '/v1/simulations/sim-none');
    expect([unknown.statusCode, unknown.json().code]).toEqual([404, 'NOT_FOUND']);
  });
});
