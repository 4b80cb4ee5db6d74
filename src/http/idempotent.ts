import type { FastifyReply, FastifyRequest } from 'fastify';
import { LadderError } from '../core/errors.js';
import {
  idempotentInTransaction,
  idempotentOutside,
  requestSha256,
  type StoredAnswer,
} from '../services/idempotency.js';
import type { Db, Queryable } from '../store/db.js';
import { callerScope } from './auth.js';

/**
 * A write behind the `Idempotency-Key` header (docs/api.md): without the
 * header the work runs in one transaction; with it, the answer is stored
 * with the key and replayed for the same request, refused for another.
 */

function keyOf(request: FastifyRequest): string | null {
  const key = request.headers['idempotency-key'];
  if (key === undefined) return null;
  if (typeof key !== 'string' || key.length === 0 || key.length > 200) {
    throw new LadderError('INVALID_INPUT', 'Idempotency-Key must be 1 to 200 characters', [
      { path: 'Idempotency-Key', message: 'must be 1 to 200 characters', value: key },
    ]);
  }
  return key;
}

function send(reply: FastifyReply, answer: StoredAnswer & { replayed?: boolean }) {
  if (answer.replayed) reply.header('idempotent-replayed', 'true');
  return reply.code(answer.statusCode).send(answer.body);
}

export async function transactionalWrite(
  db: Db,
  request: FastifyRequest,
  reply: FastifyReply,
  work: (tx: Queryable) => Promise<StoredAnswer>,
) {
  const key = keyOf(request);
  if (key === null) return send(reply, await db.transaction(work));
  const hash = requestSha256(request.method, request.routeOptions.url ?? request.url, {
    params: request.params,
    body: request.body,
  });
  return send(reply, await idempotentInTransaction(db, callerScope(request), key, hash, work));
}

/** For work that manages its own transactions (an engine run). */
export async function idempotentWrite(
  db: Db,
  request: FastifyRequest,
  reply: FastifyReply,
  work: () => Promise<StoredAnswer>,
) {
  const key = keyOf(request);
  if (key === null) return send(reply, await work());
  const hash = requestSha256(request.method, request.routeOptions.url ?? request.url, {
    params: request.params,
    body: request.body,
  });
  return send(reply, await idempotentOutside(db, callerScope(request), key, hash, work));
}
