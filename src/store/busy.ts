import { LadderError } from '../core/errors.js';

/**
 * PostgreSQL ends a transaction that meets another in a circle of locks
 * (a deadlock), or that a serializable check or a lock timeout refuses. Its
 * work is rolled back entirely, so the caller is told to send it again, in
 * words, rather than shown the driver's stack as if it were a bug.
 */
const BUSY_STATES: Readonly<Record<string, string>> = {
  '40P01': 'it met another transaction in a deadlock',
  '40001': 'another transaction changed what it read',
  '55P03': 'a lock it needed was not free in time',
};

export function busyStoreError(err: unknown): LadderError | null {
  const state = (err as { code?: unknown } | null)?.code;
  const why = typeof state === 'string' ? BUSY_STATES[state] : undefined;
  if (why === undefined) return null;
  return new LadderError(
    'STORE_BUSY',
    `the store refused the transaction because ${why}; nothing was applied: run it again`,
  );
}
