import type { Db } from '../store/db.js';

/**
 * One run of the engine at a time on one database. `runUntil` is safe to
 * repeat (each assessment takes its own lock and checks `assessment_runs`),
 * but two runs of the steps between assessments at once could both price the
 * same charge against the same coupons, and the loser would fail on the
 * ledger's balance check. So every run from the server goes through here:
 *
 * - within a process, a promise chain per store serialises them;
 * - across processes on one PostgreSQL, a transaction on a connection of its
 *   own holds an advisory lock while the run uses the pool's other
 *   connections; the lock dies with the connection if the process does.
 *
 * PGlite is one process with one connection (a transaction there would block
 * the run's own queries), so the in-process chain is the whole lock.
 */

const RUN_LOCK_KEY = 7277003;

const chains = new WeakMap<Db, Promise<unknown>>();

function inProcess<T>(db: Db, work: () => Promise<T>): Promise<T> {
  const previous = chains.get(db) ?? Promise.resolve();
  const next = previous.then(work, work);
  // The chain must go on whether this run succeeds or fails.
  chains.set(
    db,
    next.catch(() => undefined),
  );
  return next;
}

/** Runs `work` holding the run lock, waiting for it as long as it takes. */
export function withRunLock<T>(db: Db, work: () => Promise<T>): Promise<T> {
  return inProcess(db, async () => {
    if (db.kind !== 'postgres') return work();
    return db.transaction(async (lock) => {
      await lock.query('SELECT pg_advisory_xact_lock($1)', [RUN_LOCK_KEY]);
      return work();
    });
  });
}

/**
 * Runs `work` if no other process holds the run lock; returns `skipped`
 * otherwise. The scheduler uses this: another server is already running.
 */
export function tryRunLock<T>(
  db: Db,
  work: () => Promise<T>,
): Promise<{ ran: true; value: T } | { ran: false }> {
  return inProcess(db, async () => {
    if (db.kind !== 'postgres') return { ran: true as const, value: await work() };
    return db.transaction(async (lock) => {
      const rows = await lock.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_xact_lock($1) AS locked',
        [RUN_LOCK_KEY],
      );
      if (!rows[0]?.locked) return { ran: false as const };
      return { ran: true as const, value: await work() };
    });
  });
}
