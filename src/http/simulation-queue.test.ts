import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SHIPPED_RULEBOOKS } from '../core/rulebook/shipped.js';
import { parseInstant } from '../core/time.js';
import { ensureRulebook } from '../services/rulebooks.js';
import { readSimulation } from '../services/simulations.js';
import type { Db } from '../store/db.js';
import { fixedClock, silentLogger } from '../test-support/http.js';
import { STORES } from '../test-support/stores.js';
import { SimulationQueue } from './simulation-queue.js';

/** The server's simulation queue: one run at a time, a bounded wait, a clean stop. */

const SHIPPED = SHIPPED_RULEBOOKS['3n-2024-07'] as NonNullable<(typeof SHIPPED_RULEBOOKS)[string]>;
const REQUEST = { draft: SHIPPED, from: '2024-Q2', to: '2024-Q2' };

const silent = silentLogger;

describe.each(STORES)('the simulation queue on $name', ({ open }) => {
  let db: Db;
  let queue: SimulationQueue;

  beforeEach(async () => {
    db = await open();
    await ensureRulebook(db);
    const clock = fixedClock(parseInstant('2024-10-03T00:00:00+08:00'));
    queue = new SimulationQueue(db, clock, silent, { maxPending: 2 });
    await queue.start();
  });

  afterEach(async () => {
    await queue.close();
    await db.close();
  });

  it('runs one simulation, lets one wait, and refuses a third with NOT_READY', async () => {
    const first = queue.submit(REQUEST);
    const second = queue.submit(REQUEST);

    await expect(queue.submit(REQUEST)).rejects.toMatchObject({ code: 'NOT_READY' });
    const ids = [(await first).id, (await second).id];
    await queue.idle();
    for (const id of ids) expect((await readSimulation(db, id)).status).toBe('done');
  });

  it('answers a simulation it holds from memory until the store has its outcome', async () => {
    const record = await queue.submit(REQUEST);

    expect(queue.live(record.id)).toMatchObject({ status: 'running', progress: 0 });
    await queue.idle();
    expect(queue.live(record.id)).toBeNull();
    expect(await readSimulation(db, record.id)).toMatchObject({ status: 'done', progress: 1 });
  });

  it('fails what still waits when it stops, and refuses what comes after', async () => {
    const running = await queue.submit(REQUEST);
    const waiting = await queue.submit(REQUEST);

    await queue.close();

    expect((await readSimulation(db, running.id)).status).toBe('done');
    expect(await readSimulation(db, waiting.id)).toMatchObject({
      status: 'failed',
      error: { code: 'INTERNAL' },
    });
    await expect(queue.submit(REQUEST)).rejects.toMatchObject({ code: 'NOT_READY' });
  });
});
