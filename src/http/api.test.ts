import { Validator } from '@seriousme/openapi-schema-validator';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHIPPED_RULEBOOKS } from '../core/rulebook/shipped.js';
import { openTestApp, type TestApp } from '../test-support/http.js';
import { COUPON_A, FIXTURE, fixtureApp, loadFixture } from '../test-support/http-fixture.js';
import { STORES } from '../test-support/stores.js';

const PROBLEM = 'application/problem+json; charset=utf-8';

describe.each(STORES)('the HTTP API on $name', ({ open }) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await openTestApp(await open());
    await loadFixture(t);
  });

  afterAll(async () => {
    await t.close();
    await t.db.close();
  });

  describe('problems (RFC 9457)', () => {
    it('names every bad field by its path, with the value sent', async () => {
      const res = await t.call('operator', 'POST', '/v1/orders/batch', {
        orders: [
          FIXTURE.orders[0],
          { ...FIXTURE.orders[1], amountUsd: '-5', clearedAt: '2024-05-20T10:00:00' },
        ],
      });

      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toBe(PROBLEM);
      expect(res.json()).toMatchObject({
        type: 'urn:ladder:problem:invalid-input',
        title: 'The input breaks the schema',
        status: 400,
        code: 'INVALID_INPUT',
        instance: '/v1/orders/batch',
        errors: [
          { path: 'orders[1].amountUsd', value: '-5' },
          {
            path: 'orders[1].clearedAt',
            message: 'must carry an offset (Z or ±hh:mm)',
            value: '2024-05-20T10:00:00',
          },
        ],
      });
      expect(typeof res.json().detail).toBe('string');
      expect(typeof res.json().requestId).toBe('string');
    });

    it('says which field is missing', async () => {
      const { id, ...rest } = FIXTURE.orders[0];
      const res = await t.call('operator', 'POST', '/v1/orders', rest);

      expect(res.json().errors).toEqual([{ path: 'id', message: 'is required', value: null }]);
    });

    it('answers 409 CONFLICT to an order sent again with other facts', async () => {
      const res = await t.call('operator', 'POST', '/v1/orders', {
        ...FIXTURE.orders[0],
        amountUsd: '100000.01',
      });

      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ code: 'CONFLICT', type: 'urn:ladder:problem:conflict' });
      expect(res.json().errors[0]).toMatchObject({
        path: 'id',
        message:
          'order O-A1 was sent before with other facts: amountUsd 100000.00 then, 100000.01 now',
      });
    });

    it('changes nothing when the same order is sent again, written differently', async () => {
      const res = await t.call('operator', 'POST', '/v1/orders', {
        ...FIXTURE.orders[0],
        amountUsd: '100000',
        clearedAt: '2024-03-15T02:00:00Z',
      });

      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ inserted: { orders: 0 }, unchanged: { orders: 1 } });
    });

    it('refuses a batch above 1,000 rows', async () => {
      const orders = Array.from({ length: 1001 }, (_, i) => ({
        ...FIXTURE.orders[0],
        id: `X-${i}`,
      }));
      const res = await t.call('operator', 'POST', '/v1/orders/batch', { orders });

      expect(res.statusCode).toBe(400);
      expect(res.json().errors[0]).toMatchObject({ path: 'orders', value: '1001 items' });
      expect(res.body.length).toBeLessThan(2_000);
    });

    it('answers 413 PAYLOAD_TOO_LARGE to a body above the limit', async () => {
      const res = await t.call('operator', 'POST', '/v1/orders', {
        ...FIXTURE.orders[0],
        type: 'x'.repeat(5 * 1024 * 1024),
      });

      expect(res.statusCode).toBe(413);
      expect(res.headers['content-type']).toBe(PROBLEM);
      expect(res.json()).toMatchObject({
        code: 'PAYLOAD_TOO_LARGE',
        type: 'urn:ladder:problem:payload-too-large',
      });
    });

    it('answers 400 to a body that is not JSON and 415 to one that is not declared JSON', async () => {
      const broken = await t.call('operator', 'POST', '/v1/orders', undefined, {
        'content-type': 'application/json',
      });
      const text = await t.app.inject({
        method: 'POST',
        url: '/v1/orders',
        headers: { authorization: `Bearer ${t.tokens.operator}`, 'content-type': 'text/plain' },
        payload: 'id=O-1',
      });

      expect([broken.statusCode, broken.json().code]).toEqual([400, 'INVALID_INPUT']);
      expect([text.statusCode, text.json().code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    });

    it('answers a 404 problem to an unknown route', async () => {
      const res = await t.call('operator', 'GET', '/v1/nothing-here');

      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ code: 'NOT_FOUND', type: 'urn:ladder:problem:not-found' });
    });

    it('refuses a charge of another kind than the tax-refund service fee as COUPON_NOT_TRANSFERABLE', async () => {
      const res = await t.call('operator', 'POST', '/v1/charges', {
        ...FIXTURE.charges[0],
        id: 'C-X',
        kind: 'cash-out',
      });

      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({
        code: 'COUPON_NOT_TRANSFERABLE',
        type: 'urn:ladder:problem:coupon-not-transferable',
        errors: [{ path: 'kind', value: 'cash-out' }],
      });
    });
  });

  describe('Idempotency-Key', () => {
    const order = { ...FIXTURE.orders[0], id: 'O-IDEM', amountUsd: '1000.00' };

    it('replays the first answer for the same key and body', async () => {
      const first = await t.call('operator', 'POST', '/v1/orders', order, {
        'idempotency-key': 'k-1',
      });
      const again = await t.call(
        'operator',
        'POST',
        '/v1/orders',
        { ...order },
        { 'idempotency-key': 'k-1' },
      );

      expect(first.json()).toEqual({ inserted: { orders: 1 }, unchanged: { orders: 0 } });
      expect(again.json()).toEqual(first.json());
      expect(again.headers['idempotent-replayed']).toBe('true');
    });

    it('answers 409 IDEMPOTENCY_KEY_REUSED to the same key with another body', async () => {
      const res = await t.call(
        'operator',
        'POST',
        '/v1/orders',
        { ...order, id: 'O-IDEM-2' },
        { 'idempotency-key': 'k-1' },
      );

      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({
        code: 'IDEMPOTENCY_KEY_REUSED',
        type: 'urn:ladder:problem:idempotency-key-reused',
        errors: [{ path: 'Idempotency-Key', value: 'k-1' }],
      });
      expect(res.json().detail).toContain('another request');
    });

    it('stores no key for a refused request', async () => {
      const bad = await t.call(
        'operator',
        'POST',
        '/v1/orders',
        { ...order, amountUsd: '2' },
        { 'idempotency-key': 'k-2' },
      );
      const good = await t.call(
        'operator',
        'POST',
        '/v1/orders',
        { ...order, id: 'O-IDEM-3' },
        { 'idempotency-key': 'k-2' },
      );

      expect([bad.statusCode, good.statusCode]).toEqual([409, 200]);
    });

    it('keeps an engine run idempotent by key too', async () => {
      const body = { until: FIXTURE.until };
      const first = await t.call('operator', 'POST', '/v1/assessments/run', body, {
        'idempotency-key': 'run-1',
      });
      const again = await t.call('operator', 'POST', '/v1/assessments/run', body, {
        'idempotency-key': 'run-1',
      });
      const other = await t.call(
        'operator',
        'POST',
        '/v1/assessments/run',
        { until: '2024-09-29' },
        { 'idempotency-key': 'run-1' },
      );

      expect([first.statusCode, again.statusCode, other.statusCode]).toEqual([200, 200, 409]);
      expect(again.json()).toEqual(first.json());
    });
  });

  describe('runs', () => {
    it('runs each assessment once however often it is asked', async () => {
      const again = await t.call('operator', 'POST', '/v1/assessments/run', {
        until: FIXTURE.until,
      });
      const calendar = (await t.call('operator', 'GET', '/v1/assessments?service=3%2BN')).json();

      expect(again.json().assessments).toEqual([]);
      expect(
        calendar.items
          .slice(0, 3)
          .map((a: { quarter: string; status: string }) => [a.quarter, a.status]),
      ).toEqual([
        ['2024-Q1', 'done'],
        ['2024-Q2', 'done'],
        ['2024-Q3', 'due'],
      ]);
      expect(calendar.items[1]).toMatchObject({
        effectiveAt: '2024-07-02T00:00:00+08:00',
        merchants: 2,
        levels: { LV2: 1, LV3: 1 },
      });
    });

    it('lists the jumps of an assessment: the announcement example and a newcomer (D8)', async () => {
      const jumps = (
        await t.call('operator', 'GET', '/v1/assessments/3%2BN/2024-Q2/jump-rebates')
      ).json();
      const own = (await t.call('M-B', 'GET', '/v1/merchants/M-B/jump-rebates')).json();
      const base = {
        service: '3+N',
        quarter: '2024-Q2',
        status: 'issued',
        reason: null,
        effectiveAt: '2024-07-02T00:00:00+08:00',
        rulebook: '3n-2024-07@1',
      };
      // (800,000 − 100,000) × 0.005 = 3,500.00; M-B had no Q1 orders: (300,000 − 0) × 0.005.
      const mA = {
        ...base,
        merchantId: 'M-A',
        fromLevel: 'LV1',
        toLevel: 'LV3',
        increaseUsd: '700000.00',
        rebateCny: '3500.00',
        couponId: COUPON_A,
      };
      const mB = {
        ...base,
        merchantId: 'M-B',
        fromLevel: 'LV1',
        toLevel: 'LV2',
        increaseUsd: '300000.00',
        rebateCny: '1500.00',
        couponId: 'CP-M-B-3+N-2024-Q2',
      };

      expect(jumps).toEqual({ items: [mA, mB], next: null });
      expect(own).toEqual({ items: [mB] });
    });

    it('refuses to run into the future', async () => {
      const res = await t.call('operator', 'POST', '/v1/assessments/run', { until: '2999-01-01' });

      expect(res.statusCode).toBe(400);
      expect(res.json().errors[0].path).toBe('until');
    });

    it('lists an order of an assessed quarter that arrived after its assessment as late', async () => {
      await t.call('operator', 'POST', '/v1/orders', {
        ...FIXTURE.orders[1],
        id: 'O-LATE',
        amountUsd: '5.00',
      });
      const late = (
        await t.call('operator', 'GET', '/v1/assessments/3%2BN/2024-Q2/late-orders')
      ).json();
      const calendar = (await t.call('operator', 'GET', '/v1/assessments?quarter=2024-Q2')).json();

      expect(late.items.map((o: { id: string }) => o.id)).toContain('O-LATE');
      expect(calendar.items[0].lateOrders).toBeGreaterThanOrEqual(1);
    });
  });

  describe('invoices', () => {
    beforeAll(async () => {
      const base = { merchantId: 'M-B', service: '3+N', type: 'OT3N', usdCny: '7.1000' };
      await t.call('operator', 'POST', '/v1/orders/batch', {
        orders: [
          { ...base, id: 'O-B4', amountUsd: '3333.33', clearedAt: '2024-08-10T10:00:00+08:00' },
          { ...base, id: 'O-B5', amountUsd: '2222.22', clearedAt: '2024-09-30T23:00:00+08:00' },
          { ...base, id: 'O-B6', amountUsd: '2222.22', clearedAt: '2024-10-01T00:00:00+08:00' },
        ],
      });
      await t.call('operator', 'POST', '/v1/assessments/run', {
        until: '2024-10-01T00:00:00+08:00',
      });
    });

    it('lists each order net, VAT and gross, with totals that are the sums of the lines', async () => {
      const res = await t.call(
        'M-B',
        'GET',
        '/v1/merchants/M-B/invoice?from=2024-07-01&to=2024-09-30',
      );

      expect(res.json()).toEqual({
        merchantId: 'M-B',
        from: '2024-07-01',
        to: '2024-09-30',
        currency: 'CNY',
        lines: [
          expect.objectContaining({
            orderId: 'O-B2',
            netCny: '540.00',
            vatCny: '32.40',
            grossCny: '572.40',
          }),
          expect.objectContaining({
            orderId: 'O-B4',
            netCny: '355.00',
            vatCny: '21.30',
            grossCny: '376.30',
          }),
          expect.objectContaining({
            orderId: 'O-B5',
            netCny: '236.67',
            vatCny: '14.20',
            grossCny: '250.87',
          }),
        ],
        totals: { netCny: '1131.67', vatCny: '67.90', grossCny: '1199.57' },
      });
    });

    it('leaves out a reversed fee', async () => {
      const res = await t.call(
        'operator',
        'GET',
        '/v1/merchants/M-A/invoice?from=2024-07-01&to=2024-09-30',
      );

      expect(res.json().lines.map((l: { orderId: string }) => l.orderId)).toEqual(['O-A4']);
      expect(res.json().totals).toEqual({ netCny: '480.00', vatCny: '28.80', grossCny: '508.80' });
    });

    it('gives the same rows as CSV, by format or by Accept', async () => {
      const byFormat = await t.call(
        'M-B',
        'GET',
        '/v1/merchants/M-B/invoice?from=2024-07-01&to=2024-09-30&format=csv',
      );
      const byAccept = await t.call(
        'M-B',
        'GET',
        '/v1/merchants/M-B/invoice?from=2024-07-01&to=2024-09-30',
        undefined,
        {
          accept: 'text/csv',
        },
      );

      expect(byFormat.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(byAccept.body).toBe(byFormat.body);
      const lines = byFormat.body.trim().split('\r\n');
      expect(lines[0]).toBe(
        'orderId,service,type,clearedAt,amountUsd,level,netCny,vatCny,grossCny',
      );
      expect(lines).toHaveLength(5);
      expect(lines[4]).toBe('total,,,,,,1131.67,67.90,1199.57');
    });

    it('gives the same rows as XLSX, amounts as exact text', async () => {
      const res = await t.call(
        'M-B',
        'GET',
        '/v1/merchants/M-B/invoice?from=2024-07-01&to=2024-09-30&format=xlsx',
      );
      const book = new ExcelJS.Workbook();
      await book.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
      const sheet = book.worksheets[0];

      expect(res.headers['content-type']).toBe(
        'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      );
      expect(sheet?.rowCount).toBe(5);
      expect(sheet?.getRow(5).getCell(9).value).toBe('1199.57');
      expect(sheet?.getRow(2).getCell(1).value).toBe('O-B2');
    });

    it('refuses a period that ends before it starts', async () => {
      const res = await t.call(
        'M-B',
        'GET',
        '/v1/merchants/M-B/invoice?from=2024-09-30&to=2024-07-01',
      );

      expect([res.statusCode, res.json().errors[0].path]).toEqual([400, 'to']);
    });
  });

  describe('explain', () => {
    const sentence =
      '20,000.00 USD × 7.1000 × 1.5% × 80% = 1,704.00 CNY, above the LV3 maximum, so 480.00 CNY';

    it.each([
      ['?lang=en', {}, 'en'],
      ['?lang=zh-CN', { 'accept-language': 'en' }, 'zh-CN'],
      ['', { 'accept-language': 'en-US,en;q=0.9' }, 'en'],
      ['', { 'accept-language': 'fr-FR, zh-CN;q=0.5, en;q=0.4' }, 'zh-CN'],
      ['', {}, 'zh-CN'],
    ])('answers %s with %j in %s', async (query, headers, lang) => {
      const res = await t.call('M-A', 'GET', `/v1/explain/fee/O-A4${query}`, undefined, headers);
      const body = res.json();

      expect(body.lang).toBe(lang);
      expect(body.sentence).toBe(lang === 'en' ? body.en : body.zh);
      expect(body.en.startsWith(sentence)).toBe(true);
      expect(body).toMatchObject({
        kind: 'fee',
        subject: 'O-A4',
        merchantId: 'M-A',
        rulebook: '3n-2024-07@1',
      });
    });

    it('explains the jump rebate and the level', async () => {
      const rebate = (await t.call('M-A', 'GET', '/v1/explain/rebate/M-A/2024-Q2?lang=en')).json();
      const level = (
        await t.call('M-A', 'GET', '/v1/explain/level/M-A/2024-Q2?lang=en&service=3%2BN')
      ).json();

      expect(rebate.sentence).toContain('3,500.00 CNY');
      expect(level.sentence).toContain('800,000.00 USD');
    });
  });

  describe('event feed', () => {
    it('pages through every event in seq order, never a gap or a repeat', async () => {
      const all = (await t.call('operator', 'GET', '/v1/events?limit=1000')).json().items;
      const paged: { seq: string }[] = [];
      let after = '0';
      for (let i = 0; i < 100; i += 1) {
        const page = (await t.call('operator', 'GET', `/v1/events?after=${after}&limit=3`)).json();
        if (page.items.length === 0) break;
        paged.push(...page.items);
        after = page.next;
      }

      expect(paged).toEqual(all);
      const seqs = all.map((e: { seq: string }) => Number(e.seq));
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(all.map((e: { type: string }) => e.type)).toEqual(
        expect.arrayContaining([
          'level.assigned',
          'jump-rebate.issued',
          'coupon.used',
          'coupon.forfeited',
          'fee.reversed',
        ]),
      );
    });

    it('refuses a cursor that is not a seq', async () => {
      const res = await t.call('operator', 'GET', '/v1/events?after=abc');

      expect([res.statusCode, res.json().errors[0].path]).toEqual([400, 'after']);
    });
  });

  describe('operations', () => {
    it('is ready when the store is reachable and migrated', async () => {
      const res = await t.call('none', 'GET', '/readyz');

      expect(res.json()).toEqual({ status: 'ready', store: t.db.kind, migrations: 'current' });
    });

    it('counts requests for Prometheus', async () => {
      const res = await t.call('none', 'GET', '/metrics');

      expect(res.body).toContain('http_requests_total{method="GET",route="/readyz",status="200"}');
      expect(res.body).toContain('http_request_duration_seconds_bucket');
    });

    it('describes the API as OpenAPI 3.1 with the schemas that validate requests', async () => {
      const doc = (await t.call('none', 'GET', '/openapi.json')).json();
      const post = doc.paths['/v1/orders'].post;

      expect(doc.openapi).toBe('3.1.0');
      expect(post.requestBody.content['application/json'].schema.required).toEqual(
        expect.arrayContaining(['id', 'merchantId', 'amountUsd', 'clearedAt']),
      );
      expect(Object.keys(doc.paths).length).toBeGreaterThan(35);
    });

    it('serves an OpenAPI document that validates against the OpenAPI 3.1 schema', async () => {
      const doc = (await t.call('none', 'GET', '/openapi.json')).json();
      const result = await new Validator().validate(doc);

      expect(result.errors ?? []).toEqual([]);
      expect(result.valid).toBe(true);
    });

    it('gives every answer a request id', async () => {
      const mine = await t.call('operator', 'GET', '/v1/merchants/M-A', undefined, {
        'x-request-id': 'abc-123',
      });
      const made = await t.call('operator', 'GET', '/v1/merchants/M-A');

      expect(mine.headers['x-request-id']).toBe('abc-123');
      expect(made.headers['x-request-id']).toMatch(/^req-[0-9a-f]{12}$/);
    });
  });

  describe('rulebooks', () => {
    const v2 = {
      ...SHIPPED_RULEBOOKS['3n-2024-07'],
      version: 2,
      effectiveFrom: '2030-01-01T00:00:00+08:00',
      programmes: {
        '3+N': {
          ...SHIPPED_RULEBOOKS['3n-2024-07']?.programmes['3+N'],
          levels: [
            { level: 'LV1', fromUsd: '0' },
            { level: 'LV2', fromUsd: '250000' },
            { level: 'LV3', fromUsd: '500000' },
            { level: 'LV4', fromUsd: '1000000' },
            { level: 'LV5', fromUsd: '3000000' },
          ],
        },
      },
    };

    it('validates a draft without publishing it', async () => {
      const bad = await t.call('operator', 'POST', '/v1/rulebooks/validate', { ...v2, version: 0 });
      const good = await t.call('operator', 'POST', '/v1/rulebooks/validate', v2);
      const list = (await t.call('operator', 'GET', '/v1/rulebooks')).json();

      expect(bad.json()).toMatchObject({ valid: false, errors: [{ path: 'version', value: 0 }] });
      expect(good.json()).toEqual({ valid: true, key: '3n-2024-07@2', errors: [] });
      expect(list.items.map((v: { key: string }) => v.key)).toEqual(['3n-2024-07@1']);
    });

    it('publishes a version once, never edits it, and diffs two versions by path', async () => {
      const first = await t.call('operator', 'POST', '/v1/rulebooks', v2);
      const again = await t.call('operator', 'POST', '/v1/rulebooks', v2);
      const edited = await t.call('operator', 'POST', '/v1/rulebooks', { ...v2, title: 'edited' });
      const diff = (
        await t.call('operator', 'GET', '/v1/rulebooks/3n-2024-07/diff?from=1&to=2')
      ).json();

      expect([first.statusCode, again.statusCode, edited.statusCode]).toEqual([201, 200, 409]);
      expect(first.json()).toMatchObject({
        key: '3n-2024-07@2',
        effectiveFrom: '2030-01-01T00:00:00+08:00',
        created: true,
      });
      expect(diff).toEqual({
        from: '3n-2024-07@1',
        to: '3n-2024-07@2',
        changes: [
          {
            path: 'effectiveFrom',
            op: 'changed',
            before: '2024-04-01T00:00:00+08:00',
            after: '2030-01-01T00:00:00+08:00',
          },
          {
            path: 'programmes.3+N.levels[1].fromUsd',
            op: 'changed',
            before: '200000',
            after: '250000',
          },
          { path: 'version', op: 'changed', before: 1, after: 2 },
        ],
      });
    });
  });
});

/**
 * Input the store could not hold is refused at the edge, naming the field and
 * the value: an instant outside the years 0001 to 9999 in UTC, a NUL
 * character, a service other than SPEC §8's two, a currency that is no ISO
 * 4217 code. The edges themselves are accepted.
 */
describe.each(STORES)('the HTTP API at the edges of its input on $name', ({ open }) => {
  const app = fixtureApp(open);

  const YEARS = 'must lie in the years 0001 to 9999 in UTC';
  const NUL = 'must not contain the NUL character (U+0000)';
  const order = FIXTURE.orders[0];
  const settlement = FIXTURE.settlements[0];

  it.each([
    ['/v1/orders', { ...order, clearedAt: '0000-03-15T10:00:00+08:00' }, 'clearedAt', YEARS],
    ['/v1/orders', { ...order, clearedAt: '0001-01-01T00:00:00+08:00' }, 'clearedAt', YEARS],
    ['/v1/orders', { ...order, clearedAt: '9999-12-31T23:59:59-08:00' }, 'clearedAt', YEARS],
    ['/v1/orders', { ...order, clearedAt: '0001-01-01' }, 'clearedAt', YEARS],
    [
      '/v1/merchants/M-A/risk-flags',
      { from: '0001-01-01T07:00:00+08:00', to: null },
      'from',
      YEARS,
    ],
    ['/v1/merchants', { id: 'M-\u0000X', fxRating: 'A' }, 'id', NUL],
    ['/v1/merchants', { id: 'M-C', fxRating: 'A\u0000' }, 'fxRating', NUL],
    ['/v1/orders', { ...order, type: 'TA\u00003N' }, 'type', NUL],
    ['/v1/orders', { ...order, service: '3+n' }, 'service', 'must be one of "3+N", "2+N"'],
    ['/v1/orders', { ...order, service: '4+N' }, 'service', 'must be one of "3+N", "2+N"'],
    [
      '/v1/settlements',
      { ...settlement, currency: 'usd' },
      'currency',
      'must be an ISO 4217 currency code of three capital letters, such as USD',
    ],
    ['/v1/settlements', { ...settlement, account: 'export\u0000' }, 'account', NUL],
  ])('POST %s refuses %j naming %s', async (url, body, path, message) => {
    const res = await app().call('operator', 'POST', url, body);

    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toBe(PROBLEM);
    expect(res.json().errors).toEqual([
      { path, message, value: (body as Record<string, unknown>)[path] },
    ]);
  });

  it('refuses an as-of instant of year 0 in UTC in the query, naming it', async () => {
    const at = encodeURIComponent('0001-01-01T00:00:00+08:00');
    const res = await app().call('operator', 'GET', `/v1/merchants/M-A/workbench?at=${at}`);

    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([
      { path: 'query.at', message: YEARS, value: '0001-01-01T00:00:00+08:00' },
    ]);
  });

  it('refuses a NUL in an id of the path, naming it', async () => {
    const res = await app().call('operator', 'GET', '/v1/merchants/M-%00A/workbench');

    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ path: 'params.id', message: NUL, value: 'M-\u0000A' }]);
  });

  it('takes the first and last instants the store holds, 2+N and a EUR settlement', async () => {
    const merchant = await app().call('operator', 'POST', '/v1/merchants', {
      id: 'M-EDGE',
      fxRating: 'A',
      riskFlags: [{ from: '0001-01-01T00:00:00Z', to: '9999-12-31T23:59:59.999Z' }],
    });
    const orders = await app().call('operator', 'POST', '/v1/orders/batch', {
      orders: [
        { ...order, id: 'O-EDGE-1', merchantId: 'M-EDGE', clearedAt: '0001-01-01T00:00:00Z' },
        {
          ...order,
          id: 'O-EDGE-2',
          merchantId: 'M-EDGE',
          service: '2+N',
          clearedAt: '9999-12-31T23:59:59.999Z',
        },
      ],
    });
    const eur = await app().call('operator', 'POST', '/v1/settlements', {
      ...settlement,
      id: 'S-EDGE',
      merchantId: 'M-EDGE',
      currency: 'EUR',
    });

    expect([merchant.statusCode, orders.statusCode, eur.statusCode]).toEqual([200, 200, 200]);
    expect(orders.json()).toEqual({ inserted: { orders: 2 }, unchanged: { orders: 0 } });
    for (const at of ['0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z']) {
      const url = `/v1/merchants/M-EDGE/workbench?at=${encodeURIComponent(at)}`;
      const workbench = await app().call('operator', 'GET', url);
      expect(workbench.statusCode, workbench.body).toBe(200);
    }
  });
});
