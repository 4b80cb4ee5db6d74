import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHIPPED_RULEBOOKS } from '../core/rulebook/shipped.js';
import { createToken, revokeToken } from '../services/tokens.js';
import { openTestApp, type TestApp, type Who } from '../test-support/http.js';
import { COUPON_A, FIXTURE, fixtureApp, loadFixture } from '../test-support/http-fixture.js';
import { STORES } from '../test-support/stores.js';

/**
 * Every route with each kind of caller (docs/api.md, Authentication): no
 * token and an unknown token get 401; an operator gets the answer; a
 * merchant token gets its own merchant's records, 403 on operator routes,
 * and 404 for another merchant's records, exactly as for an unknown id.
 */

type Kind = 'operator' | 'merchant' | 'refusal' | 'public';

interface Case {
  readonly route: string;
  readonly url: string;
  readonly kind: Kind;
  readonly body?: unknown;
  /** What an operator gets, when not 200. */
  readonly status?: number;
}

const shipped = SHIPPED_RULEBOOKS['3n-2024-07'];
const order = FIXTURE.orders[0];
const charge = FIXTURE.charges[0];
const settlement = FIXTURE.settlements[0];
const event = FIXTURE.orderEvents[0];

function cases(webhookId: string, simulationId: string, spareTokenId: string): Case[] {
  const q = '3%2BN';
  const coupon = encodeURIComponent(COUPON_A);
  return [
    { route: 'GET /healthz', url: '/healthz', kind: 'public' },
    { route: 'GET /readyz', url: '/readyz', kind: 'public' },
    { route: 'GET /metrics', url: '/metrics', kind: 'public' },
    { route: 'GET /openapi.json', url: '/openapi.json', kind: 'public' },
    { route: 'GET /docs', url: '/docs', kind: 'public' },

    {
      route: 'POST /v1/merchants',
      url: '/v1/merchants',
      kind: 'operator',
      body: FIXTURE.merchants[0],
    },
    {
      route: 'POST /v1/merchants/batch',
      url: '/v1/merchants/batch',
      kind: 'operator',
      body: { merchants: FIXTURE.merchants },
    },
    {
      route: 'POST /v1/merchants/{id}/fx-rating-changes',
      url: '/v1/merchants/M-A/fx-rating-changes',
      kind: 'operator',
      body: { at: '2030-01-01T00:00:00+08:00', rating: 'A' },
    },
    {
      route: 'POST /v1/merchants/{id}/risk-flags',
      url: '/v1/merchants/M-A/risk-flags',
      kind: 'operator',
      body: { from: '2030-01-01T00:00:00+08:00', to: '2030-02-01T00:00:00+08:00' },
    },
    { route: 'POST /v1/orders', url: '/v1/orders', kind: 'operator', body: order },
    {
      route: 'POST /v1/orders/batch',
      url: '/v1/orders/batch',
      kind: 'operator',
      body: { orders: [order] },
    },
    { route: 'POST /v1/order-events', url: '/v1/order-events', kind: 'operator', body: event },
    {
      route: 'POST /v1/order-events/batch',
      url: '/v1/order-events/batch',
      kind: 'operator',
      body: { orderEvents: [event] },
    },
    { route: 'POST /v1/charges', url: '/v1/charges', kind: 'operator', body: charge },
    {
      route: 'POST /v1/charges/batch',
      url: '/v1/charges/batch',
      kind: 'operator',
      body: { charges: [charge] },
    },
    { route: 'POST /v1/settlements', url: '/v1/settlements', kind: 'operator', body: settlement },
    {
      route: 'POST /v1/settlements/batch',
      url: '/v1/settlements/batch',
      kind: 'operator',
      body: { settlements: [settlement] },
    },
    { route: 'GET /v1/merchants', url: '/v1/merchants', kind: 'operator' },
    { route: 'GET /v1/rulebooks', url: '/v1/rulebooks', kind: 'operator' },
    {
      route: 'GET /v1/rulebooks/{id}/versions/{version}',
      url: '/v1/rulebooks/3n-2024-07/versions/1',
      kind: 'operator',
    },
    {
      route: 'POST /v1/rulebooks/validate',
      url: '/v1/rulebooks/validate',
      kind: 'operator',
      body: shipped,
    },
    { route: 'POST /v1/rulebooks', url: '/v1/rulebooks', kind: 'operator', body: shipped },
    {
      route: 'GET /v1/rulebooks/{id}/diff',
      url: '/v1/rulebooks/3n-2024-07/diff?from=1&to=1',
      kind: 'operator',
    },
    { route: 'GET /v1/assessments', url: `/v1/assessments?service=${q}`, kind: 'operator' },
    {
      route: 'GET /v1/assessments/{service}/{quarter}/levels',
      url: `/v1/assessments/${q}/2024-Q2/levels`,
      kind: 'operator',
    },
    {
      route: 'GET /v1/assessments/{service}/{quarter}/jump-rebates',
      url: `/v1/assessments/${q}/2024-Q2/jump-rebates`,
      kind: 'operator',
    },
    {
      route: 'GET /v1/assessments/{service}/{quarter}/late-orders',
      url: `/v1/assessments/${q}/2024-Q2/late-orders`,
      kind: 'operator',
    },
    {
      route: 'POST /v1/assessments/run',
      url: '/v1/assessments/run',
      kind: 'operator',
      body: { until: FIXTURE.until },
    },
    { route: 'GET /v1/reports/programme', url: '/v1/reports/programme', kind: 'operator' },
    {
      route: 'POST /v1/webhooks',
      url: '/v1/webhooks',
      kind: 'operator',
      body: { url: 'http://127.0.0.1:9/hook' },
    },
    { route: 'GET /v1/webhooks', url: '/v1/webhooks', kind: 'operator' },
    { route: 'DELETE /v1/webhooks/{id}', url: `/v1/webhooks/${webhookId}`, kind: 'operator' },
    {
      route: 'GET /v1/webhooks/{id}/deliveries',
      url: `/v1/webhooks/${webhookId}/deliveries`,
      kind: 'operator',
    },
    {
      route: 'POST /v1/simulations',
      url: '/v1/simulations',
      kind: 'operator',
      body: { draft: shipped, from: '2024-Q2', to: '2024-Q2' },
      status: 202,
    },
    { route: 'GET /v1/simulations', url: '/v1/simulations', kind: 'operator' },
    ...['', '.csv', '.xlsx'].map((suffix) => ({
      route: `GET /v1/simulations/{id}${suffix}`,
      url: `/v1/simulations/${simulationId}${suffix}`,
      kind: 'operator' as const,
    })),

    { route: 'GET /v1/merchants/{id}', url: '/v1/merchants/M-A', kind: 'merchant' },
    {
      route: 'GET /v1/merchants/{id}/workbench',
      url: '/v1/merchants/M-A/workbench?at=2024-09-15',
      kind: 'merchant',
    },
    { route: 'GET /v1/merchants/{id}/coupons', url: '/v1/merchants/M-A/coupons', kind: 'merchant' },
    { route: 'GET /v1/merchants/{id}/fees', url: '/v1/merchants/M-A/fees', kind: 'merchant' },
    {
      route: 'GET /v1/merchants/{id}/settlements',
      url: '/v1/merchants/M-A/settlements',
      kind: 'merchant',
    },
    {
      route: 'GET /v1/merchants/{id}/assessments',
      url: '/v1/merchants/M-A/assessments',
      kind: 'merchant',
    },
    {
      route: 'GET /v1/merchants/{id}/jump-rebates',
      url: '/v1/merchants/M-A/jump-rebates',
      kind: 'merchant',
    },
    {
      route: 'GET /v1/merchants/{id}/invoice',
      url: '/v1/merchants/M-A/invoice?from=2024-07-01&to=2024-09-30',
      kind: 'merchant',
    },
    { route: 'GET /v1/orders/{id}', url: '/v1/orders/O-A3', kind: 'merchant' },
    { route: 'GET /v1/coupons/{id}', url: `/v1/coupons/${coupon}`, kind: 'merchant' },
    { route: 'GET /v1/explain/fee/{orderId}', url: '/v1/explain/fee/O-A3', kind: 'merchant' },
    {
      route: 'GET /v1/explain/subsidy/{settlementId}',
      url: '/v1/explain/subsidy/S-A1',
      kind: 'merchant',
    },
    {
      route: 'GET /v1/explain/rebate/{merchantId}/{quarter}',
      url: '/v1/explain/rebate/M-A/2024-Q2',
      kind: 'merchant',
    },
    {
      route: 'GET /v1/explain/level/{merchantId}/{quarter}',
      url: '/v1/explain/level/M-A/2024-Q2',
      kind: 'merchant',
    },
    { route: 'GET /v1/events', url: '/v1/events?merchantId=M-A', kind: 'merchant' },
    { route: 'GET /v1/me', url: '/v1/me', kind: 'merchant' },
    { route: 'GET /v1/tokens', url: '/v1/tokens', kind: 'operator' },
    {
      route: 'POST /v1/tokens',
      url: '/v1/tokens',
      kind: 'operator',
      body: { kind: 'merchant', merchantId: 'M-A', label: 'access test' },
      status: 201,
    },
    {
      route: 'DELETE /v1/tokens/{id}',
      url: `/v1/tokens/${spareTokenId}`,
      kind: 'operator',
      status: 204,
    },

    ...['transfer', 'share', 'cash-out', 'withdraw', 'refund'].map((action) => ({
      route: `POST /v1/coupons/{id}/${action}`,
      url: `/v1/coupons/${coupon}/${action}`,
      kind: 'refusal' as const,
      body: { toMerchantId: 'M-B', amountCny: '100.00' },
    })),
    {
      route: 'POST /v1/merchants/{id}/coupons/transfer',
      url: '/v1/merchants/M-A/coupons/transfer',
      kind: 'refusal',
      body: { toMerchantId: 'M-B' },
    },
  ];
}

/** A simulation run to its end, for the routes that read one. */
async function finishedSimulation(t: TestApp): Promise<string> {
  const body = { draft: shipped, from: '2024-Q2', to: '2024-Q2' };
  const { id } = (await t.call('operator', 'POST', '/v1/simulations', body)).json();
  for (let i = 0; i < 3_000; i += 1) {
    const { status } = (await t.call('operator', 'GET', `/v1/simulations/${id}`)).json();
    if (status === 'done') return id;
    if (status !== 'running') throw new Error(`simulation ${id} ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`simulation ${id} still running`);
}

function method(route: string): 'GET' | 'POST' | 'DELETE' {
  return route.split(' ')[0] as 'GET' | 'POST' | 'DELETE';
}

describe.each(STORES)('access to every route on $name', ({ open }) => {
  let t: TestApp;
  let all: Case[];

  beforeAll(async () => {
    t = await openTestApp(await open());
    await loadFixture(t);
    const hook = await t.call('operator', 'POST', '/v1/webhooks', {
      url: 'http://127.0.0.1:9/hook',
    });
    const spare = await createToken(t.db, { kind: 'operator' }, 'revoked by the access test');
    all = cases(JSON.parse(hook.body).id, await finishedSimulation(t), spare.id);
  });

  afterAll(async () => {
    await t.close();
    await t.db.close();
  });

  it('covers every route of the OpenAPI document', async () => {
    const doc = JSON.parse((await t.call('none', 'GET', '/openapi.json')).body) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    const covered = new Set(all.map((c) => c.route));
    expect(documented.filter((route) => !covered.has(route))).toEqual([]);
  });

  it.each(['none', 'bogus'] as const)(
    'answers 401 problems to every non-public route with token %s',
    async (who) => {
      for (const c of all.filter((x) => x.kind !== 'public')) {
        const res = await t.call(who, method(c.route), c.url, c.body);
        expect([c.route, res.statusCode, res.headers['content-type']]).toEqual([
          c.route,
          401,
          'application/problem+json; charset=utf-8',
        ]);
        expect(res.json()).toMatchObject({
          type: 'urn:ladder:problem:unauthenticated',
          status: 401,
          code: 'UNAUTHENTICATED',
        });
      }
    },
  );

  it('tells each token who it is: an operator, or a merchant with its merchant id', async () => {
    const merchant = await createToken(t.db, { kind: 'merchant', merchantId: 'M-B' }, 'me');
    const asMerchant = await t.app.inject({
      method: 'GET',
      url: '/v1/me',
      headers: { authorization: `Bearer ${merchant.token}` },
    });
    const asOperator = (await t.call('operator', 'GET', '/v1/me')).json();

    expect(asMerchant.json()).toEqual({
      role: 'merchant',
      merchantId: 'M-B',
      tokenId: merchant.id,
    });
    expect(asOperator).toMatchObject({ role: 'operator', merchantId: null });
    expect(asOperator.tokenId).toEqual(expect.any(String));
  });

  it('refuses a revoked token', async () => {
    const made = await createToken(t.db, { kind: 'operator' }, 'to revoke');
    await revokeToken(t.db, made.id);
    const res = await t.app.inject({
      method: 'GET',
      url: '/v1/merchants',
      headers: { authorization: `Bearer ${made.token}` },
    });

    expect([res.statusCode, res.json().detail]).toEqual([
      401,
      'the API token is unknown or revoked',
    ]);
  });

  it('answers public routes without a token', async () => {
    for (const c of all.filter((x) => x.kind === 'public')) {
      const res = await t.call('none', method(c.route), c.url);
      expect([c.route, res.statusCode]).toEqual([c.route, 200]);
    }
  });

  it('answers every operator and merchant route to an operator', async () => {
    for (const c of all.filter((x) => x.kind === 'operator' || x.kind === 'merchant')) {
      const res = await t.call('operator', method(c.route), c.url, c.body);
      expect([c.route, res.statusCode, res.statusCode < 300 ? '' : res.body]).toEqual([
        c.route,
        c.status ?? (c.route === 'POST /v1/webhooks' ? 201 : 200),
        '',
      ]);
    }
  });

  it.each([
    ['M-A', 'its own merchant', 200],
    ['M-B', 'another merchant', 404],
  ] as const)(
    'answers merchant routes to a token of %s (%s) with %i',
    async (who, _what, status) => {
      for (const c of all.filter((x) => x.kind === 'merchant')) {
        const res = await t.call(who as Who, method(c.route), c.url, c.body);
        // The feed and /v1/me answer any merchant, each about itself.
        const expected = c.route === 'GET /v1/events' || c.route === 'GET /v1/me' ? 200 : status;
        expect([c.route, res.statusCode]).toEqual([c.route, expected]);
        if (expected === 404) expect(res.json()).toMatchObject({ code: 'NOT_FOUND' });
      }
    },
  );

  it.each(['M-A', 'M-B'] as const)(
    'answers 403 FORBIDDEN to a merchant token of %s on every operator route',
    async (who) => {
      for (const c of all.filter((x) => x.kind === 'operator')) {
        const res = await t.call(who, method(c.route), c.url, c.body);
        expect([c.route, res.statusCode]).toEqual([c.route, 403]);
        expect(res.json()).toMatchObject({
          type: 'urn:ladder:problem:forbidden',
          code: 'FORBIDDEN',
        });
      }
    },
  );

  it.each([
    ['operator', 403],
    ['M-A', 403],
    ['M-B', 404],
  ] as const)('refuses to move coupon value for %s with %i', async (who, status) => {
    for (const c of all.filter((x) => x.kind === 'refusal')) {
      const res = await t.call(who, method(c.route), c.url, c.body);
      expect([c.route, res.statusCode]).toEqual([c.route, status]);
      expect(res.json().code).toBe(status === 403 ? 'COUPON_NOT_TRANSFERABLE' : 'NOT_FOUND');
    }
  });

  it('shows a merchant token only its own events, whatever merchantId it asks for', async () => {
    const own = (await t.call('M-B', 'GET', '/v1/events?merchantId=M-A&limit=1000')).json();
    const all = (await t.call('operator', 'GET', '/v1/events?limit=1000')).json();

    expect(own.items.length).toBeGreaterThan(0);
    expect(own.items.every((e: { merchantId: string }) => e.merchantId === 'M-B')).toBe(true);
    expect(all.items.some((e: { merchantId: string }) => e.merchantId === 'M-A')).toBe(true);
  });

  it("never answers with another merchant's figures in a 404", async () => {
    const res = await t.call('M-B', 'GET', '/v1/merchants/M-A/workbench');

    expect(res.body).not.toContain('3500');
    expect(res.json().detail).toBe('no merchant M-A');
  });
});

describe.each(STORES)('tokens through the API on $name', ({ open }) => {
  const app = fixtureApp(open);

  const as = (token: string, url: string) =>
    app().app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });

  it('makes a merchant token that reads its merchant, shows it once and lists it without it', async () => {
    const res = await app().call('operator', 'POST', '/v1/tokens', {
      kind: 'merchant',
      merchantId: 'M-B',
      label: 'shop front',
    });
    expect(res.statusCode, res.body).toBe(201);
    const made = res.json();
    expect(made).toMatchObject({ kind: 'merchant', merchantId: 'M-B', label: 'shop front' });
    expect(res.headers.location).toBe(`/v1/tokens/${made.id}`);

    expect((await as(made.token, '/v1/me')).json()).toEqual({
      role: 'merchant',
      merchantId: 'M-B',
      tokenId: made.id,
    });
    const listed = (await app().call('operator', 'GET', '/v1/tokens')).body;
    expect(listed).toContain(made.id);
    expect(listed).not.toContain(made.token);
  });

  it('refuses a token for a merchant the store does not have, naming the field', async () => {
    const res = await app().call('operator', 'POST', '/v1/tokens', {
      kind: 'merchant',
      merchantId: 'M-NOPE',
    });
    expect(res.statusCode).toBe(404);
    expect(res.json().errors).toEqual([
      { path: 'merchantId', message: 'names no merchant of the store', value: 'M-NOPE' },
    ]);
  });

  it('revokes a token so that the very next request with it is refused', async () => {
    const made = (await app().call('operator', 'POST', '/v1/tokens', { kind: 'operator' })).json();
    expect((await as(made.token, '/v1/merchants')).statusCode).toBe(200);

    const revoked = await app().call('operator', 'DELETE', `/v1/tokens/${made.id}`);
    expect(revoked.statusCode).toBe(204);
    expect((await as(made.token, '/v1/merchants')).statusCode).toBe(401);
    const again = await app().call('operator', 'DELETE', `/v1/tokens/${made.id}`);
    expect(again.statusCode).toBe(404);
  });
});
