import { createHash } from 'node:crypto';
import { LadderError } from '../core/errors.js';
import type { Db, Queryable } from '../store/db.js';

/**
 * The `Idempotency-Key` header: the first answer to a key is stored with a
 * hash of the request, and the same key with the same request gets that
 * answer again without doing anything; with another request it is refused
 * (IDEMPOTENCY_KEY_REUSED). Keys live per caller (`scope`), so two callers
 * cannot read each other's answers.
 */

export interface StoredAnswer {
  readonly statusCode: number;
  readonly body: unknown;
}

export interface IdempotentOutcome extends StoredAnswer {
  readonly replayed: boolean;
}

/** jsonb and clients reorder keys; the hash is taken over one canonical form. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(record)
      .sort()
      .map((key) => [key, canonical(record[key])]),
  );
}

export function requestSha256(method: string, route: string, body: unknown): string {
  const text = JSON.stringify([method, route, canonical(body ?? null)]);
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function reused(key: string): LadderError {
  return new LadderError(
    'IDEMPOTENCY_KEY_REUSED',
    `Idempotency-Key "${key}" was used before with another request; ` +
      'send a new key for a new request',
    [{ path: 'Idempotency-Key', message: 'was used before with another request body', value: key }],
  );
}

async function stored(tx: Queryable, scope: string, key: string) {
  const rows = await tx.query<{
    request_sha256: string;
    status_code: number | null;
    response: unknown;
  }>(
    'SELECT request_sha256, status_code, response FROM idempotency_keys WHERE scope = $1 AND key = $2',
    [scope, key],
  );
  return rows[0];
}

/**
 * Runs `work` in one transaction with the key: a concurrent request with the
 * same key waits on the key's row and then replays this one's answer.
 */
export async function idempotentInTransaction(
  db: Db,
  scope: string,
  key: string,
  requestHash: string,
  work: (tx: Queryable) => Promise<StoredAnswer>,
): Promise<IdempotentOutcome> {
  return db.transaction(async (tx) => {
    const claimed = await tx.query(
      `INSERT INTO idempotency_keys (scope, key, request_sha256) VALUES ($1, $2, $3)
       ON CONFLICT (scope, key) DO NOTHING RETURNING key`,
      [scope, key, requestHash],
    );
    if (claimed.length === 0) {
      const row = await stored(tx, scope, key);
      if (!row || row.request_sha256 !== requestHash) throw reused(key);
      return { statusCode: Number(row.status_code ?? 200), body: row.response, replayed: true };
    }
    const answer = await work(tx);
    await tx.query(
      'UPDATE idempotency_keys SET status_code = $3, response = $4::jsonb WHERE scope = $1 AND key = $2',
      [scope, key, answer.statusCode, JSON.stringify(answer.body)],
    );
    return { ...answer, replayed: false };
  });
}

/**
 * For work that cannot run inside one transaction (an engine run, which is
 * idempotent by itself): replay a stored answer, else do the work and store
 * its answer; when a concurrent request stored one first, that one wins.
 */
export async function idempotentOutside(
  db: Db,
  scope: string,
  key: string,
  requestHash: string,
  work: () => Promise<StoredAnswer>,
): Promise<IdempotentOutcome> {
  const before = await stored(db, scope, key);
  if (before) {
    if (before.request_sha256 !== requestHash) throw reused(key);
    return { statusCode: Number(before.status_code ?? 200), body: before.response, replayed: true };
  }
  const answer = await work();
  const inserted = await db.query(
    `INSERT INTO idempotency_keys (scope, key, request_sha256, status_code, response)
     VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT (scope, key) DO NOTHING RETURNING key`,
    [scope, key, requestHash, answer.statusCode, JSON.stringify(answer.body)],
  );
  if (inserted.length > 0) return { ...answer, replayed: false };
  const winner = await stored(db, scope, key);
  if (!winner || winner.request_sha256 !== requestHash) throw reused(key);
  return { statusCode: Number(winner.status_code ?? 200), body: winner.response, replayed: true };
}
