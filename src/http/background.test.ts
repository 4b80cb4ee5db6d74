import { createHmac } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseInstant } from '../core/time.js';
import { WEBHOOK_POLICY } from '../services/webhooks.js';
import { fixedClock, openTestApp, silentLogger, type TestApp } from '../test-support/http.js';
import { FIXTURE, loadFixture } from '../test-support/http-fixture.js';
import { type Receiver, startReceiver } from '../test-support/receiver.js';
import { STORES } from '../test-support/stores.js';
import { waitFor } from '../test-support/wait.js';
import { Scheduler } from './scheduler.js';
import { WebhookWorker } from './webhook-worker.js';

/** The scheduler and the webhook worker that run inside `ladder serve`, on a clock of the test's. */

const silent = silentLogger;

describe.each(STORES)('the scheduler on $name', ({ open }) => {
  const clock = fixedClock(parseInstant('2024-07-01T12:00:00+08:00'));
  let t: TestApp;
  let scheduler: Scheduler;

  beforeAll(async () => {
    t = await openTestApp(await open(), clock);
    for (const [route, key] of [
      ['/v1/merchants/batch', 'merchants'],
      ['/v1/orders/batch', 'orders'],
    ] as const) {
      await t.call('operator', 'POST', route, { [key]: FIXTURE[key] });
    }
    scheduler = new Scheduler(t.app.ladder, silent, { intervalMs: 60_000 });
  });

  afterAll(async () => {
    await scheduler.stop();
    await t.close();
    await t.db.close();
  });

  const statuses = async () =>
    (await t.call('operator', 'GET', '/v1/assessments'))
      .json()
      .items.slice(0, 2)
      .map((a: { quarter: string; status: string }) => `${a.quarter} ${a.status}`);

  it('runs at start-up an assessment that came due while it was down, and none before its instant', async () => {
    const tick = await scheduler.tick();

    expect(tick).toEqual({ outcome: 'ran', assessments: ['3+N 2024-Q1'] });
    expect(await statuses()).toEqual(['2024-Q1 done', '2024-Q2 scheduled']);
    expect(await scheduler.nextAssessmentAt(clock.now())).toBe(
      parseInstant('2024-07-02T00:00:00+08:00'),
    );
  });

  it('runs the next assessment at its effective instant, exactly once', async () => {
    clock.set(parseInstant('2024-07-02T00:00:00+08:00'));
    const first = await scheduler.tick();
    const second = await scheduler.tick();
    const coupons = (await t.call('operator', 'GET', '/v1/merchants/M-A/coupons')).json();

    expect(first.assessments).toEqual(['3+N 2024-Q2']);
    expect(second).toEqual({ outcome: 'ran', assessments: [] });
    expect(await statuses()).toEqual(['2024-Q1 done', '2024-Q2 done']);
    expect(coupons.items.map((c: { faceCny: string }) => c.faceCny)).toEqual(['3500.00']);
  });

  it('ticks by itself once started, and stops cleanly', async () => {
    clock.set(parseInstant('2024-08-20T00:00:00+08:00'));
    scheduler.start();
    await waitFor(
      'the scheduler to price O-A3',
      async () => {
        const fees = (await t.call('operator', 'GET', '/v1/merchants/M-A/fees')).json();
        return fees.items.some((f: { orderId: string }) => f.orderId === 'O-A3') ? true : undefined;
      },
      { everyMs: 20 },
    );
    await scheduler.stop();
    const order = (await t.call('operator', 'GET', '/v1/orders/O-A3')).json();

    expect(order.fee).toMatchObject({
      status: 'charged',
      level: 'LV3',
      netCny: '480.00',
      grossCny: '508.80',
    });
  });
});

describe.each(STORES)('webhooks on $name', ({ open }) => {
  const clock = fixedClock(Date.parse('2026-01-01T00:00:00Z'));
  const policy = { ...WEBHOOK_POLICY, firstRetryMs: 1_000, maxAttempts: 3, timeoutMs: 5_000 };
  let t: TestApp;
  let receiver: Receiver;
  let failFor: Set<string>;

  beforeAll(async () => {
    failFor = new Set();
    receiver = await startReceiver((request) => {
      const id = String(request.headers['ladder-event-id']);
      return failFor.has(id) ? 503 : 200;
    });
    t = await openTestApp(await open(), clock);
    await loadFixture(t);
  });

  afterEach(() => {
    receiver.received.length = 0;
  });

  afterAll(async () => {
    await t.close();
    await t.db.close();
    await receiver.close();
  });

  const worker = () => new WebhookWorker(t.app.ladder, silent, { policy });

  it('delivers every event of the feed, signed, with the event id for de-duplication', async () => {
    const created = await t.call('operator', 'POST', '/v1/webhooks', {
      url: receiver.url,
      from: 'beginning',
    });
    const { id, secret } = created.json();
    const feed = (await t.call('operator', 'GET', '/v1/events?limit=1000')).json().items;

    expect(created.statusCode).toBe(201);
    expect(await worker().poll()).toBe(feed.length);
    expect(receiver.received.map((r) => JSON.parse(r.body))).toEqual(expect.arrayContaining(feed));
    for (const request of receiver.received) {
      const [t1, v1] = String(request.headers['ladder-signature']).split(',');
      const timestamp = t1?.replace('t=', '');
      const expected = createHmac('sha256', secret)
        .update(`${timestamp}.${request.body}`)
        .digest('hex');
      expect(v1).toBe(`v1=${expected}`);
      expect(timestamp).toBe(String(Math.floor(clock.now() / 1000)));
      expect(request.headers['ladder-event-id']).toBe(JSON.parse(request.body).id);
    }
    const deliveries = (
      await t.call('operator', 'GET', `/v1/webhooks/${id}/deliveries?limit=1000`)
    ).json();
    expect(deliveries.items.every((d: { status: string }) => d.status === 'delivered')).toBe(true);
    await t.call('operator', 'DELETE', `/v1/webhooks/${id}`);
  });

  it('retries a failed delivery with exponential backoff, then gives up', async () => {
    const { id } = (
      await t.call('operator', 'POST', '/v1/webhooks', {
        url: receiver.url,
        merchantId: 'M-B',
        from: 'beginning',
      })
    ).json();
    const events = (await t.call('operator', 'GET', '/v1/events?merchantId=M-B')).json().items;
    const failing = events[0].id as string;
    failFor.add(failing);
    const w = worker();

    expect(await w.poll()).toBe(events.length);
    expect(await w.poll()).toBe(0);
    clock.set(clock.now() + 999);
    expect(await w.poll()).toBe(0);
    clock.set(clock.now() + 1);
    expect(await w.poll()).toBe(1);
    clock.set(clock.now() + 1_999);
    expect(await w.poll()).toBe(0);
    clock.set(clock.now() + 1);
    expect(await w.poll()).toBe(1);
    clock.set(clock.now() + 10_000_000);
    expect(await w.poll()).toBe(0);

    const tries = receiver.received.filter((r) => r.headers['ladder-event-id'] === failing);
    const deliveries = (await t.call('operator', 'GET', `/v1/webhooks/${id}/deliveries`)).json()
      .items;
    expect(tries).toHaveLength(3);
    expect(receiver.received.every((r) => JSON.parse(r.body).merchantId === 'M-B')).toBe(true);
    expect(deliveries.find((d: { eventId: string }) => d.eventId === failing)).toMatchObject({
      status: 'failed',
      attempts: 3,
      lastStatus: 503,
    });
    await t.call('operator', 'DELETE', `/v1/webhooks/${id}`);
  });

  it('delivers a new event once, from now on, after the subscription', async () => {
    const { id } = (await t.call('operator', 'POST', '/v1/webhooks', { url: receiver.url })).json();
    const w = worker();
    expect(await w.poll()).toBe(0);

    await t.call('operator', 'POST', '/v1/order-events', {
      orderId: 'O-A4',
      at: '2024-09-25T00:00:00+08:00',
      status: 'cancelled',
    });
    await t.call('operator', 'POST', '/v1/assessments/run', { until: '2024-09-30T00:00:00+08:00' });
    await w.poll();
    await w.poll();

    expect(receiver.received.map((r) => r.headers['ladder-event-id'])).toEqual([
      'fee-reversed:O-A4',
    ]);
    await t.call('operator', 'DELETE', `/v1/webhooks/${id}`);
  });
});
