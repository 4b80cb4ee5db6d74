import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LadderError } from '../core/errors.js';
import { toProblem } from '../http/problem.js';
import { STORES } from '../test-support/stores.js';
import { busyStoreError } from './busy.js';
import type { Db } from './db.js';

describe('a transaction the store refused for another one', () => {
  it('is STORE_BUSY for a deadlock, a serialization failure and a lock timeout', () => {
    for (const code of ['40P01', '40001', '55P03']) {
      expect(busyStoreError(Object.assign(new Error('x'), { code }))?.code).toBe('STORE_BUSY');
    }
  });

  it('is nothing else: a unique violation or a plain error stays what it is', () => {
    expect(busyStoreError(Object.assign(new Error('dup'), { code: '23505' }))).toBeNull();
    expect(busyStoreError(new Error('boom'))).toBeNull();
    expect(busyStoreError(null)).toBeNull();
  });

  it('answers HTTP 503 as a problem that says nothing was applied', () => {
    const problem = toProblem(Object.assign(new Error('x'), { code: '40P01' }), '/v1/x', 'req-1');
    expect(problem).toMatchObject({
      status: 503,
      code: 'STORE_BUSY',
      type: 'urn:ladder:problem:store-busy',
    });
    expect(problem.detail).toContain('nothing was applied');
  });
});

describe.each(STORES.filter((s) => s.name === 'postgres'))(
  'a real deadlock on $name',
  ({ open }) => {
    let db: Db;
    beforeAll(async () => {
      db = await open();
      await db.exec('CREATE TABLE busy_a (n int); CREATE TABLE busy_b (n int)');
    });
    afterAll(async () => {
      await db.close();
    });

    it('is told as STORE_BUSY to the transaction PostgreSQL ends', async () => {
      // Each holds one table and asks for the other's: PostgreSQL ends one of them.
      let bothHold: () => void = () => undefined;
      let held = 0;
      const barrier = new Promise<void>((resolve) => {
        bothHold = resolve;
      });
      const crossing = (first: string, second: string) =>
        db.transaction(async (tx) => {
          await tx.exec(`LOCK TABLE ${first} IN ACCESS EXCLUSIVE MODE`);
          held += 1;
          if (held === 2) bothHold();
          await barrier;
          await tx.exec(`LOCK TABLE ${second} IN ACCESS EXCLUSIVE MODE`);
        });
      const outcomes = await Promise.allSettled([
        crossing('busy_a', 'busy_b'),
        crossing('busy_b', 'busy_a'),
      ]);
      const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));

      expect(refused).toHaveLength(1);
      const told = busyStoreError(refused[0]);
      expect(told).toBeInstanceOf(LadderError);
      expect(told?.message).toBe(
        'the store refused the transaction because it met another transaction in a deadlock; nothing was applied: run it again',
      );
    });
  },
);
