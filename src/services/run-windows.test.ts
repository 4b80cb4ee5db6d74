import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDataset } from '../generate/generate.js';
import type { Db } from '../store/db.js';
import { storeSnapshot } from '../test-support/snapshot.js';
import { STORES } from '../test-support/stores.js';
import { replayScenario } from './replay.js';

/**
 * A run takes what is due in windows of a bounded number of orders, each in
 * its own transaction. Where the cuts fall must change nothing: a generated
 * half-year of 30 merchants (fees, cancellations, charges paid with coupons,
 * settlements, two assessments with jumps) run in windows of 7 orders stores
 * exactly the rows that one window per segment stores.
 */

describe.each(STORES)('a run in windows on $name', ({ open }) => {
  let dir: string;
  let scenario: unknown;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ladder-windows-'));
    const { scenarioPath } = await writeDataset(dir, {
      merchants: 30,
      seed: 11,
      firstQuarter: '2024-Q1',
      lastQuarter: '2024-Q3',
      ordersTarget: 600,
    });
    scenario = JSON.parse(await readFile(scenarioPath ?? '', 'utf8'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const replayed = async (windowOrders?: number) => {
    const db = await open();
    let transactions = 0;
    const counting: Db = {
      ...db,
      transaction: (work) => {
        transactions += 1;
        return db.transaction(work);
      },
    };
    try {
      const report = await replayScenario(counting, scenario, windowOrders ? { windowOrders } : {});
      // When each run and publication happened is the clock's, not the engine's.
      const rows = (await storeSnapshot(db, ['schema_migrations'])).replace(
        /\\"(ran_at|published_at)\\":\\"[^\\]*\\"/g,
        '$1',
      );
      return { report, rows, transactions };
    } finally {
      await db.close();
    }
  };

  it('stores the same rows and reports the same figures whatever the window', async () => {
    const whole = await replayed();
    const windowed = await replayed(7);
    expect(windowed.report).toEqual(whole.report);
    expect(windowed.rows).toEqual(whole.rows);
    // About 600 orders in windows of 7: some 85 transactions more than one per segment.
    expect(windowed.transactions - whole.transactions).toBeGreaterThan(60);
    // The scenario exercised what windows could break.
    for (const table of ['fees', 'coupons', 'coupon_uses', 'settlement_results', 'jump_rebates']) {
      expect(whole.rows, table).toMatch(new RegExp(`^${table}:\\["`, 'm'));
    }
  });
});
