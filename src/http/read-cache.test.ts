import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderInput } from '../core/input.js';
import { SHIPPED_RULEBOOKS } from '../core/rulebook/shipped.js';
import { publishRulebook } from '../services/rulebooks.js';
import type { Db } from '../store/db.js';
import { openPostgres } from '../store/postgres.js';
import { openTestApp, type TestApp } from '../test-support/http.js';
import { loadFixture } from '../test-support/http-fixture.js';
import { STORES } from '../test-support/stores.js';
import { waitFor } from '../test-support/wait.js';
import { ReadCache } from './read-cache.js';

/**
 * The workbench is answered from memory until the store changes: a write in
 * this process is seen by the very next read, a write by another process
 * within the notification's latency, and a read-only transaction forgets
 * nothing. The fixture's M-A has one 2024-Q3 order left of 10,000.00 USD by
 * 2024-09-20 (O-A3 is cancelled later, on 2024-09-20 00:00).
 */

const AT = encodeURIComponent('2024-09-25T12:00:00+08:00');
const WORKBENCH = `/v1/merchants/M-A/workbench?at=${AT}`;

const order = (id: string, amountUsd: string): OrderInput => ({
  id,
  merchantId: 'M-A',
  service: '3+N',
  type: 'TA3N',
  amountUsd,
  clearedAt: '2024-09-21T10:00:00+08:00',
  usdCny: '7.1000',
});

const schemaOf = async (db: Db) => {
  const [{ schema } = { schema: '' }] = await db.query<{ schema: string }>(
    'SELECT current_schema() AS schema',
  );
  return schema;
};

describe.each(STORES)('kept workbench answers on $name', ({ name, open }) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await openTestApp(await open());
    await loadFixture(t);
  });

  afterAll(async () => {
    await t.close();
    await t.db.close();
  });

  const quarterSoFar = async () => {
    const res = await t.call('M-A', 'GET', WORKBENCH);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    return body.services[0].thisQuarter.clearedAmountUsd as string;
  };

  it('answers a repeated read from memory, the same answer', async () => {
    const stats = t.app.ladder.reads.stats;
    const first = await t.call('M-A', 'GET', WORKBENCH);
    const hits = stats.hits;
    const second = await t.call('M-A', 'GET', WORKBENCH);
    expect(stats.hits).toBe(hits + 1);
    expect(second.body).toBe(first.body);
  });

  it('shows a write made through the API on the very next read', async () => {
    expect(await quarterSoFar()).toBe('20000.00');
    const res = await t.call('operator', 'POST', '/v1/orders/batch', {
      orders: [order('O-A-cache-1', '1234.56')],
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(await quarterSoFar()).toBe('21234.56');
  });

  /**
   * On PostgreSQL a write is heard twice: by this process at once and by
   * the watch when the notification arrives. Waits until the watch has been
   * quiet for a while, so that a late notification of an earlier write is
   * not taken for one sent by the step under test.
   */
  const quietInvalidations = async () => {
    const stats = t.app.ladder.reads.stats;
    const deadline = Date.now() + 5_000;
    let seen = stats.invalidations;
    do {
      await new Promise((resolve) => setTimeout(resolve, 150));
      if (stats.invalidations === seen) return seen;
      seen = stats.invalidations;
    } while (Date.now() < deadline);
    throw new Error('invalidations did not settle within 5 s');
  };

  it('forgets nothing for a transaction that only read', async () => {
    await quarterSoFar();
    const before = await quietInvalidations();
    await t.db.transaction((tx) => tx.query('SELECT count(*) FROM orders'));
    expect(await quietInvalidations()).toBe(before);
  });

  it.runIf(name === 'postgres')(
    'does not hear a write to another schema of the same database',
    async () => {
      await quarterSoFar();
      const before = await quietInvalidations();
      const other: Db = await openPostgres(process.env.DATABASE_URL ?? '', {
        schema: `other_${process.pid}_${Date.now()}`,
      });
      try {
        await other.transaction((tx) =>
          tx.query("INSERT INTO merchants (id, fx_rating) VALUES ('M-ELSEWHERE', 'A')"),
        );
        const written = await other.query("SELECT id FROM merchants WHERE id = 'M-ELSEWHERE'");
        expect(written).toHaveLength(1);
      } finally {
        await other
          .query(`DROP SCHEMA IF EXISTS ${await schemaOf(other)} CASCADE`)
          .catch(() => undefined);
        await other.close();
      }
      expect(await quietInvalidations()).toBe(before);
      expect(await quarterSoFar()).toBe('21234.56');
    },
  );

  it.runIf(name === 'postgres')(
    'sees a write by another process on the same database',
    async () => {
      expect(await quarterSoFar()).toBe('21234.56');
      const [{ schema } = { schema: '' }] = await t.db.query<{ schema: string }>(
        'SELECT current_schema() AS schema',
      );
      const other: Db = await openPostgres(process.env.DATABASE_URL ?? '', { schema });
      try {
        const { ingest } = await import('../services/ingest.js');
        await other.transaction((tx) =>
          ingest(tx, { orders: [{ value: order('O-A-cache-2', '0.44'), where: 'orders[0]' }] }),
        );
      } finally {
        await other.close();
      }
      const deadline = Date.now() + 5_000;
      let seen = await quarterSoFar();
      while (seen !== '21235.00' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        seen = await quarterSoFar();
      }
      expect(seen).toBe('21235.00');
    },
  );

  it.runIf(name === 'postgres')(
    'goes to the store while its watch is down, and watches again',
    async () => {
      const reads = t.app.ladder.reads;
      expect(reads.watching).toBe(true);
      await t.db.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE pid <> pg_backend_pid() AND query LIKE 'LISTEN%'`,
      );
      const deadline = Date.now() + 5_000;
      while (reads.watching && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(reads.watching).toBe(false);
      const hits = reads.stats.hits;
      await quarterSoFar();
      await quarterSoFar();
      expect(reads.stats.hits).toBe(hits);
      while (!reads.watching && Date.now() < deadline + 5_000)
        await new Promise((r) => setTimeout(r, 20));
      expect(reads.watching).toBe(true);
    },
  );

  it.runIf(name === 'postgres')(
    'answers by a rulebook another process publishes, on the reads after it',
    async () => {
      const shipped = SHIPPED_RULEBOOKS['3n-2024-07'];
      const programme = shipped?.programmes['3+N'];
      if (!shipped || !programme) throw new Error('no shipped 3+N rulebook');
      // In force from 2030: LV2 from 250,000 USD instead of the shipped bound.
      const v2 = {
        ...shipped,
        version: 2,
        effectiveFrom: '2030-01-01T00:00:00+08:00',
        programmes: {
          '3+N': {
            ...programme,
            levels: programme.levels.map((l) =>
              l.level === 'LV2' ? { ...l, fromUsd: '250000' } : l,
            ),
          },
        },
      };
      const shippedLv2 = programme.levels.find((l) => l.level === 'LV2')?.fromUsd;
      expect(shippedLv2).not.toBe('250000');
      const in2030 = `/v1/merchants/M-A/workbench?at=${encodeURIComponent('2030-02-01T12:00:00+08:00')}`;
      const threshold = async () => {
        const res = await t.call('M-A', 'GET', in2030);
        expect(res.statusCode, res.body).toBe(200);
        return res.json().services[0].thisQuarter.nextLevelThresholdUsd as string;
      };
      const before = await threshold();
      expect(before).toBe(`${shippedLv2}.00`);
      expect(await threshold()).toBe(before);

      const other: Db = await openPostgres(process.env.DATABASE_URL ?? '', {
        schema: await schemaOf(t.db),
      });
      try {
        await other.transaction((tx) => publishRulebook(tx, v2));
      } finally {
        await other.close();
      }
      // Read again and again meanwhile: the answer computed right after the
      // notification must not come from the rulebooks compiled before it.
      const seen = await waitFor(
        'the workbench to use version 2',
        async () => ((await threshold()) === '250000.00' ? true : undefined),
        { withinMs: 5_000, everyMs: 5 },
      );
      expect(seen).toBe(true);
    },
  );
});

describe('the read cache itself', () => {
  const fakeStore = () => {
    let changed: () => void = () => undefined;
    const db = {
      onChange: async (on: () => void) => {
        changed = on;
        return async () => undefined;
      },
    } as unknown as Db;
    return { db, change: () => changed() };
  };

  it('does not keep an answer computed while the store changed', async () => {
    const { db, change } = fakeStore();
    const cache = new ReadCache();
    await cache.watch(db);
    let calls = 0;
    const compute = async () => {
      calls += 1;
      if (calls === 1) change();
      return calls;
    };
    expect(await cache.through('k', compute)).toBe(1);
    expect(await cache.through('k', compute)).toBe(2);
    expect(await cache.through('k', compute)).toBe(2);
    expect(calls).toBe(2);
  });

  it('drops the oldest answer beyond its size', async () => {
    const { db } = fakeStore();
    const cache = new ReadCache(2);
    await cache.watch(db);
    let calls = 0;
    const compute = async () => ++calls;
    await cache.through('a', compute);
    await cache.through('b', compute);
    await cache.through('c', compute);
    expect(await cache.through('b', compute)).toBe(2);
    expect(await cache.through('a', compute)).toBe(4);
  });

  it('keeps nothing before it watches', async () => {
    const cache = new ReadCache();
    let calls = 0;
    await cache.through('k', async () => ++calls);
    await cache.through('k', async () => ++calls);
    expect(calls).toBe(2);
  });
});
