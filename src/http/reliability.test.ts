import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseInstant } from '../core/time.js';
import type { Db } from '../store/db.js';
import { openPostgres } from '../store/postgres.js';
import { fixedClock, openTestApp, silentLogger, type TestApp } from '../test-support/http.js';
import { FIXTURE } from '../test-support/http-fixture.js';
import { waitFor } from '../test-support/wait.js';
import { Scheduler } from './scheduler.js';

/**
 * Reliability under concurrency, on a real PostgreSQL only (PGlite has one
 * connection, so nothing there runs at the same time): the same order sent
 * 500 times at once, 200 runs at once, 100 charges against one merchant's
 * coupons at once, and two servers on one database.
 */

const databaseUrl = process.env.DATABASE_URL ?? '';

const silent = silentLogger;

/** Two stores on one schema: two servers' pools on one database. */
async function twoStores(): Promise<{ a: Db; b: Db; drop: () => Promise<void> }> {
  const schema = `t_${randomBytes(8).toString('hex')}`;
  const a = await openPostgres(databaseUrl, { schema });
  const b = await openPostgres(databaseUrl, { schema });
  return {
    a,
    b,
    drop: async () => {
      await b.close();
      await a.query(`DROP SCHEMA "${schema}" CASCADE`);
      await a.close();
    },
  };
}

const count = async (db: Db, sql: string, params: unknown[] = []) =>
  Number((await db.query<{ n: string | number }>(sql, params))[0]?.n);

describe.skipIf(databaseUrl === '')('reliability on postgres', () => {
  let stores: Awaited<ReturnType<typeof twoStores>>;
  let one: TestApp;
  let two: TestApp;

  beforeAll(async () => {
    stores = await twoStores();
    one = await openTestApp(stores.a);
    two = await openTestApp(stores.b);
    await one.call('operator', 'POST', '/v1/merchants/batch', { merchants: FIXTURE.merchants });
  });

  afterAll(async () => {
    await one.close();
    await two.close();
    await stores.drop();
  });

  it('keeps one order and one fee when the same order is posted 500 times at once', async () => {
    const order = { ...FIXTURE.orders[2], id: 'O-SAME' };
    const answers = await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        (i % 2 === 0 ? one : two).call('operator', 'POST', '/v1/orders', order),
      ),
    );

    expect(answers.filter((a) => a.statusCode !== 200).map((a) => a.body)).toEqual([]);
    expect(answers.filter((a) => a.json().inserted.orders === 1).length).toBeGreaterThanOrEqual(1);
    expect(await count(stores.a, "SELECT count(*) AS n FROM orders WHERE id = 'O-SAME'")).toBe(1);
  });

  it('answers 100 concurrent requests with one Idempotency-Key once, and replays that answer', async () => {
    const order = { ...FIXTURE.orders[2], id: 'O-KEYED' };
    const headers = { 'idempotency-key': 'same-key' };
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        (i % 2 === 0 ? one : two).call('operator', 'POST', '/v1/orders', order, headers),
      ),
    );

    expect(answers.map((a) => a.statusCode).filter((s) => s !== 200)).toEqual([]);
    expect(answers.filter((a) => a.headers['idempotent-replayed'] !== 'true')).toHaveLength(1);
    expect(new Set(answers.map((a) => a.body))).toEqual(
      new Set([JSON.stringify({ inserted: { orders: 1 }, unchanged: { orders: 0 } })]),
    );
  });

  it('keeps each order once when the same batch is posted 500 times at once', async () => {
    const answers = await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        (i % 2 === 0 ? one : two).call('operator', 'POST', '/v1/orders/batch', {
          orders: FIXTURE.orders,
        }),
      ),
    );

    expect(answers.filter((a) => a.statusCode !== 200).map((a) => a.body)).toEqual([]);
    expect(await count(stores.a, 'SELECT count(*) AS n FROM orders')).toBe(
      FIXTURE.orders.length + 2,
    );
  });

  it('runs each assessment once and issues one coupon per jump under 200 runs at once', async () => {
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        (i % 2 === 0 ? one : two).call('operator', 'POST', '/v1/assessments/run', {
          until: FIXTURE.until,
        }),
      ),
    );

    expect(answers.filter((a) => a.statusCode !== 200).map((a) => a.body)).toEqual([]);
    const ran = answers.flatMap((a) =>
      a.json().assessments.map((x: { quarter: string }) => x.quarter),
    );
    expect(ran.sort()).toEqual(['2024-Q1', '2024-Q2']);
    expect(await count(stores.a, 'SELECT count(*) AS n FROM fees')).toBe(FIXTURE.orders.length + 2);
    expect(await count(stores.a, 'SELECT count(*) AS n FROM coupons')).toBe(
      await count(stores.a, "SELECT count(*) AS n FROM jump_rebates WHERE status = 'issued'"),
    );
    expect(
      await count(stores.a, "SELECT count(*) AS n FROM coupons WHERE merchant_id = 'M-A'"),
    ).toBe(1);
    expect(await count(stores.a, "SELECT count(*) AS n FROM fees WHERE order_id = 'O-SAME'")).toBe(
      1,
    );
  });

  it('never takes a coupon below zero under 100 charges at once, and the ledger balances', async () => {
    const charges = Array.from({ length: 100 }, (_, i) => ({
      id: `C-RUSH-${String(i).padStart(3, '0')}`,
      orderId: 'O-A4',
      merchantId: 'M-A',
      kind: 'tax-refund-service-fee',
      amountCny: '50.00',
      at: '2024-09-12T10:00:00+08:00',
    }));
    const answers = await Promise.all(
      charges.map(async (charge, i) => {
        const app = i % 2 === 0 ? one : two;
        const posted = await app.call('operator', 'POST', '/v1/charges', charge);
        const run = await app.call('operator', 'POST', '/v1/assessments/run', {
          until: FIXTURE.until,
        });
        return [posted.statusCode, run.statusCode];
      }),
    );

    expect(answers.filter(([p, r]) => p !== 200 || r !== 200)).toEqual([]);
    const coupon = (await one.call('operator', 'GET', '/v1/merchants/M-A/coupons')).json().items[0];
    const results = await stores.a.query<{ paid: string; payable: string; n: string }>(
      `SELECT to_char(sum(paid_by_coupons_cny), 'FM999990.00') AS paid,
              to_char(sum(payable_cny), 'FM999990.00') AS payable, count(*)::text AS n
       FROM charge_results WHERE charge_id LIKE 'C-RUSH-%'`,
    );
    const ledger = await stores.a.query<{ credits: string; debits: string; uses: string }>(
      `SELECT to_char(sum(CASE WHEN credit_account = 'coupon:' || coupon_id THEN amount_cny ELSE 0 END), 'FM999990.00') AS credits,
              to_char(sum(CASE WHEN debit_account = 'coupon:' || coupon_id THEN amount_cny ELSE 0 END), 'FM999990.00') AS debits,
              to_char(sum(CASE WHEN kind = 'use' AND charge_id LIKE 'C-RUSH-%' THEN amount_cny ELSE 0 END), 'FM999990.00') AS uses
       FROM ledger_entries WHERE merchant_id = 'M-A'`,
    );

    // The one coupon of 3,500.00 pays the first 70 charges of 50.00; the other 30 are payable.
    expect(results[0]).toEqual({ paid: '3500.00', payable: '1500.00', n: '100' });
    expect(ledger[0]).toEqual({ credits: '3500.00', debits: '3500.00', uses: '3500.00' });
    expect(coupon.remainingCny).toBe('0.00');
    expect(
      await count(stores.a, 'SELECT count(*) AS n FROM coupon_uses WHERE amount_cny <= 0'),
    ).toBe(0);
  });

  it('runs each assessment exactly once with two servers ticking on one database', async () => {
    const { a, b, drop } = await twoStores();
    const clock = fixedClock(parseInstant('2024-07-02T00:00:01+08:00'));
    const first = await openTestApp(a, clock);
    const second = await openTestApp(b, clock);
    try {
      await first.call('operator', 'POST', '/v1/merchants/batch', { merchants: FIXTURE.merchants });
      await first.call('operator', 'POST', '/v1/orders/batch', {
        orders: FIXTURE.orders.slice(0, 2),
      });
      const schedulers = [
        new Scheduler(first.app.ladder, silent),
        new Scheduler(second.app.ladder, silent),
      ];
      // Five rounds in which both servers tick at the same moment.
      const ticks = [];
      for (let round = 0; round < 5; round += 1) {
        ticks.push(...(await Promise.all(schedulers.map((s) => s.tick()))));
      }

      expect(ticks.flatMap((tick) => tick?.assessments ?? []).sort()).toEqual([
        '3+N 2024-Q1',
        '3+N 2024-Q2',
      ]);
      expect(ticks.every((tick) => tick?.outcome !== 'failed')).toBe(true);
      expect(await count(a, 'SELECT count(*) AS n FROM assessment_runs')).toBe(2);
      expect(await count(a, 'SELECT count(*) AS n FROM coupons')).toBe(1);
    } finally {
      await first.close();
      await second.close();
      await drop();
    }
  });

  /**
   * A server that dies in the middle of a write: its connection drops, and
   * PostgreSQL rolls its transaction back. The write is held at its last
   * statement by a table lock, its backend terminated (what SIGKILL of the
   * server does to it), and the request sent again.
   */
  async function killMidWrite(locker: Db, table: string, send: () => Promise<unknown>) {
    let answer: Promise<unknown> = Promise.resolve();
    await locker.transaction(async (tx) => {
      await tx.query(`LOCK TABLE ${table} IN EXCLUSIVE MODE`);
      answer = send().catch((err: unknown) => err);
      // pg_locks, not pg_stat_activity: the latter is a snapshot taken once per transaction.
      const pid = await waitFor(`a write blocked on ${table}`, async () => {
        const blocked = await tx.query<{ pid: number }>(
          'SELECT pid FROM pg_locks WHERE NOT granted AND relation = $1::regclass',
          [table],
        );
        return blocked[0]?.pid;
      });
      await tx.query('SELECT pg_terminate_backend($1)', [pid]);
    });
    return answer;
  }

  it('loses nothing and doubles nothing when a batch or an assessment dies half-way', async () => {
    const { a, b, drop } = await twoStores();
    const app = await openTestApp(a);
    try {
      await app.call('operator', 'POST', '/v1/merchants/batch', { merchants: FIXTURE.merchants });
      const batch = { orders: FIXTURE.orders };

      const killed = (await killMidWrite(b, 'orders', () =>
        app.call('operator', 'POST', '/v1/orders/batch', batch),
      )) as { statusCode: number };
      expect(killed.statusCode).toBe(500);
      expect(await count(a, 'SELECT count(*) AS n FROM orders')).toBe(0);

      expect((await app.call('operator', 'POST', '/v1/orders/batch', batch)).statusCode).toBe(200);
      expect(await count(a, 'SELECT count(*) AS n FROM orders')).toBe(FIXTURE.orders.length);

      const run = { until: FIXTURE.until };

      const dead = (await killMidWrite(b, 'assessment_runs', () =>
        app.call('operator', 'POST', '/v1/assessments/run', run),
      )) as { statusCode: number };
      expect(dead.statusCode).toBe(500);
      expect(await count(a, 'SELECT count(*) AS n FROM assessment_runs')).toBe(0);
      expect(await count(a, 'SELECT count(*) AS n FROM assessments')).toBe(0);
      expect(await count(a, 'SELECT count(*) AS n FROM coupons')).toBe(0);

      const again = await app.call('operator', 'POST', '/v1/assessments/run', run);
      expect(again.statusCode).toBe(200);
      expect(await count(a, 'SELECT count(*) AS n FROM assessment_runs')).toBe(2);
      // 2024-Q1: M-A; 2024-Q2: M-A and M-B.
      expect(await count(a, 'SELECT count(*) AS n FROM assessments')).toBe(3);
      // M-A jumps LV1 → LV3 and M-B, a newcomer, LV1 → LV2 (D8): one coupon each.
      expect(await count(a, 'SELECT count(*) AS n FROM coupons')).toBe(2);
      expect(
        await count(a, "SELECT count(*) AS n FROM events WHERE type = 'jump-rebate.issued'"),
      ).toBe(2);
      expect(await count(a, 'SELECT count(*) AS n FROM fees')).toBe(FIXTURE.orders.length);
    } finally {
      await app.close();
      await drop().catch(() => undefined);
    }
  });

  it('commits events in seq order, so a reader paging by seq never skips one', async () => {
    const { a, b, drop } = await twoStores();
    const insert = (tx: { query: Db['query'] }, key: string) =>
      tx.query(
        "INSERT INTO events (key, type, merchant_id, at, payload) VALUES ($1, 'test', 'M-X', now(), '{}')",
        [key],
      );
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    try {
      // e-1 is inserted (its seq taken) and held uncommitted until e-2 waits on it.
      let inserted: () => void = () => undefined;
      const firstInserted = new Promise<void>((resolve) => {
        inserted = resolve;
      });
      const first = a.transaction(async (tx) => {
        await insert(tx, 'e-1');
        inserted();
        await released;
      });
      await firstInserted;
      let secondPid: number | undefined;
      const second = b.transaction(async (tx) => {
        const [me] = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        secondPid = me?.pid;
        await insert(tx, 'e-2');
      });
      await waitFor('e-2 waiting on the lock e-1 holds', async () => {
        if (secondPid === undefined) return undefined;
        const waiting = await a.query('SELECT 1 FROM pg_locks WHERE pid = $1 AND NOT granted', [
          secondPid,
        ]);
        return waiting.length > 0 ? true : undefined;
      });

      // Without the trigger's lock, e-2 would be visible here with e-1's seq still missing.
      expect(await a.query('SELECT key FROM events')).toEqual([]);
      release();
      await Promise.all([first, second]);
      const rows = await a.query<{ key: string }>('SELECT key FROM events ORDER BY seq');
      expect(rows.map((row) => row.key)).toEqual(['e-1', 'e-2']);
    } finally {
      release();
      await drop();
    }
  });
});
