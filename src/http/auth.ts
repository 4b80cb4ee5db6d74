import type { FastifyRequest } from 'fastify';
import { LadderError } from '../core/errors.js';
import { findToken, type Principal, tokenSha256 } from '../services/tokens.js';
import type { Queryable } from '../store/db.js';

/**
 * Bearer tokens. Who may call a route is part of the route (`config.access`):
 *
 * - `public`: anyone (health, metrics, the OpenAPI document);
 * - `any`: any valid token;
 * - `merchant`: an operator, or a merchant token for its own merchant — the
 *   handler checks the merchant with `ownMerchant`, and another merchant's
 *   id answers 404 as if it did not exist;
 * - `operator`: operators only; a merchant token gets 403.
 */
export type Access = 'public' | 'any' | 'merchant' | 'operator';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** Looked-up tokens, by hash, for a few seconds: a revoked token stops within `ttlMs`. */
export class TokenCache {
  readonly #entries = new Map<string, { principal: Principal | null; until: number }>();

  constructor(
    private readonly db: Queryable,
    private readonly ttlMs = 5_000,
  ) {}

  async resolve(token: string): Promise<Principal | null> {
    const key = tokenSha256(token);
    const now = Date.now();
    const hit = this.#entries.get(key);
    if (hit && hit.until > now) return hit.principal;
    const principal = await findToken(this.db, token);
    if (this.#entries.size > 10_000) this.#entries.clear();
    this.#entries.set(key, { principal, until: now + this.ttlMs });
    return principal;
  }

  /** Drops what is kept of a token, so that its revocation takes effect on the next request. */
  forget(tokenId: string): void {
    for (const [key, entry] of this.#entries) {
      if (entry.principal?.tokenId === tokenId) this.#entries.delete(key);
    }
  }
}

function bearer(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

export async function authenticate(request: FastifyRequest, tokens: TokenCache): Promise<void> {
  // An unknown route answers 404 to any valid token, and 401 without one.
  const access = request.is404 ? 'any' : (request.routeOptions.config.access ?? 'operator');
  if (access === 'public') return;
  const token = bearer(request);
  const principal = token === null ? null : await tokens.resolve(token);
  if (!principal) {
    throw new LadderError(
      'UNAUTHENTICATED',
      token === null
        ? 'send an API token: Authorization: Bearer <token>'
        : 'the API token is unknown or revoked',
    );
  }
  request.principal = principal;
  if (access === 'operator' && principal.kind !== 'operator') {
    throw new LadderError(
      'FORBIDDEN',
      'this route is for operators; a merchant token cannot call it',
    );
  }
}

export function principalOf(request: FastifyRequest): Principal {
  const principal = request.principal;
  if (!principal) throw new Error(`route ${request.url} ran without a principal`);
  return principal;
}

/**
 * A merchant token may read only its own merchant: any other id is answered
 * as not found, so that a merchant cannot even learn which ids exist.
 */
export function ownMerchant(
  request: FastifyRequest,
  merchantId: string,
  what = `merchant ${merchantId}`,
): void {
  const principal = principalOf(request);
  if (principal.kind === 'merchant' && principal.merchantId !== merchantId) {
    throw new LadderError('NOT_FOUND', `no ${what}`);
  }
}

/** The merchant whose records a merchant token confines a list to; null for operators. */
export function confinedTo(request: FastifyRequest): string | null {
  const principal = principalOf(request);
  return principal.kind === 'merchant' ? principal.merchantId : null;
}

/** Idempotency keys live per caller. */
export function callerScope(request: FastifyRequest): string {
  const principal = principalOf(request);
  return principal.kind === 'merchant' ? `merchant:${principal.merchantId}` : 'operator';
}
