import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHIPPED_RULEBOOKS } from '../core/rulebook/shipped.js';
import { parseInstant } from '../core/time.js';
import type { Db } from '../store/db.js';
import { STORES } from '../test-support/stores.js';
import { ingest } from './ingest.js';
import { ensureRulebook } from './rulebooks.js';
import { runUntil } from './run.js';
import { type SimulationResult, type SimulationStage, simulate } from './simulate.js';
import {
  failInterrupted,
  finishSimulation,
  insertSimulation,
  KEPT_SIMULATIONS,
  listSimulations,
  readSimulation,
} from './simulations.js';

/** The simulations table: progress, what is kept, and what a stopped server left behind. */

const SHIPPED = SHIPPED_RULEBOOKS['3n-2024-07'] as NonNullable<(typeof SHIPPED_RULEBOOKS)[string]>;
const REQUEST = { draft: SHIPPED, from: '2024-Q2', to: '2024-Q2' };
const AT = parseInstant('2024-10-03T00:00:00+08:00');

/** Enough of a result for the table; the figures themselves are simulate.test.ts's. */
const RESULT = {
  baseRulebook: '3n-2024-07@1',
  draftRulebook: '3n-2024-07@draft',
  from: '2024-Q2',
  to: '2024-Q2',
  levelCounts: [],
  moves: [],
  merchants: [],
  totals: { base: {}, draft: {}, difference: {} },
} as unknown as SimulationResult;

async function ids(db: Db): Promise<string[]> {
  const rows = await db.query<{ id: string }>('SELECT id FROM simulations ORDER BY seq');
  return rows.map((row) => row.id);
}

describe.each(STORES)('simulations kept on $name', ({ name, open }) => {
  let db: Db;

  beforeAll(async () => {
    db = await open();
    await ensureRulebook(db);
    await db.transaction((tx) =>
      ingest(tx, {
        merchants: [{ value: { id: 'M-A', fxRating: 'A' }, where: 'm[0]' }],
        orders: [
          {
            value: {
              id: 'A-1',
              merchantId: 'M-A',
              service: '3+N',
              type: 'TA3N',
              amountUsd: '450000.00',
              clearedAt: '2024-05-10T10:00:00+08:00',
              usdCny: '7.0000',
            },
            where: 'orders[0]',
          },
        ],
      }),
    );
    await runUntil(db, parseInstant('2024-07-03T00:00:00+08:00'));
  });

  afterAll(async () => {
    await db.close();
  });

  it('tells its progress: 0 at the base side, 0.5 at the draft side, 1 at the end', async () => {
    const told: [number, SimulationStage][] = [];

    await simulate(db, REQUEST, (progress, stage) => told.push([progress, stage]));

    expect(told).toEqual([
      [0, 'base'],
      [0.5, 'draft'],
      [1, 'done'],
    ]);
  });

  it(`keeps the newest ${KEPT_SIMULATIONS} finished simulations and all running`, async () => {
    await db.query('DELETE FROM simulations');
    const made = Array.from({ length: KEPT_SIMULATIONS + 3 }, (_, i) => `sim-keep-${i}`);
    for (const id of made) {
      await insertSimulation(db, { id, request: REQUEST, changes: [], createdAt: AT });
    }
    for (const id of made.slice(1)) await finishSimulation(db, id, RESULT, AT);

    // sim-keep-0 still runs; of the 102 finished, the two oldest are gone.
    expect(await ids(db)).toEqual([made[0], ...made.slice(3)]);
    const first = await listSimulations(db, { limit: 100 });
    const second = await listSimulations(db, { after: first.next ?? '', limit: 100 });
    expect([first.items.length, second.items.length, second.next]).toEqual([100, 1, null]);
    expect(first.items[0]?.id).toBe(made[made.length - 1]);
    expect(second.items[0]?.id).toBe(made[0]);
  });

  it(
    name === 'pglite'
      ? 'fails every simulation left running, since only this process opens the store'
      : 'fails only the simulations whose heartbeat stopped two minutes ago',
    async () => {
      await db.query('DELETE FROM simulations');
      for (const id of ['sim-stale', 'sim-alive', 'sim-mine']) {
        await insertSimulation(db, { id, request: REQUEST, changes: [], createdAt: AT });
      }
      await db.query(
        "UPDATE simulations SET heartbeat_at = now() - interval '3 minutes' WHERE id = 'sim-stale'",
      );

      const failed = await failInterrupted(db, db.kind, AT, ['sim-mine']);

      const status = async (id: string) => (await readSimulation(db, id)).status;
      expect(failed).toBe(name === 'pglite' ? 2 : 1);
      expect([
        await status('sim-stale'),
        await status('sim-alive'),
        await status('sim-mine'),
      ]).toEqual(['failed', name === 'pglite' ? 'failed' : 'running', 'running']);
      expect((await readSimulation(db, 'sim-stale')).error?.code).toBe('INTERNAL');
    },
  );
});
