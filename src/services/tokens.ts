import { createHash, randomBytes } from 'node:crypto';
import { LadderError } from '../core/errors.js';
import type { Queryable } from '../store/db.js';

/**
 * API tokens. A token is shown once, when it is made; the store keeps only
 * its SHA-256, so a copy of the database gives nobody a working token. The
 * token's `id` is what logs and lists name.
 */

export type Principal =
  | { readonly kind: 'operator'; readonly tokenId: string }
  | { readonly kind: 'merchant'; readonly tokenId: string; readonly merchantId: string };

export interface CreatedToken {
  readonly id: string;
  readonly token: string;
  readonly principal: Principal;
}

const TOKEN_PREFIX = 'ldr_';

export function tokenSha256(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A merchant token names a merchant the store has: a typo would make a token that reads nothing. */
export async function mustBeMerchant(db: Queryable, merchantId: string, path: string) {
  const rows = await db.query('SELECT 1 FROM merchants WHERE id = $1', [merchantId]);
  if (rows.length === 0) {
    throw new LadderError('NOT_FOUND', `no merchant ${merchantId}`, [
      { path, message: 'names no merchant of the store', value: merchantId },
    ]);
  }
}

export async function createToken(
  db: Queryable,
  who: { kind: 'operator' } | { kind: 'merchant'; merchantId: string },
  label: string | null = null,
): Promise<CreatedToken> {
  const id = `tok_${randomBytes(6).toString('hex')}`;
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const merchantId = who.kind === 'merchant' ? who.merchantId : null;
  await db.query(
    `INSERT INTO api_tokens (id, token_sha256, kind, merchant_id, label)
     VALUES ($1, $2, $3, $4, $5)`,
    [id, tokenSha256(token), who.kind, merchantId, label],
  );
  const principal: Principal =
    who.kind === 'merchant'
      ? { kind: 'merchant', tokenId: id, merchantId: who.merchantId }
      : { kind: 'operator', tokenId: id };
  return { id, token, principal };
}

/** The principal a presented token stands for, or null for an unknown or revoked one. */
export async function findToken(db: Queryable, token: string): Promise<Principal | null> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return null;
  const rows = await db.query<{ id: string; kind: string; merchant_id: string | null }>(
    'SELECT id, kind, merchant_id FROM api_tokens WHERE token_sha256 = $1 AND revoked_at IS NULL',
    [tokenSha256(token)],
  );
  const row = rows[0];
  if (!row) return null;
  if (row.kind === 'merchant' && row.merchant_id !== null) {
    return { kind: 'merchant', tokenId: row.id, merchantId: row.merchant_id };
  }
  return { kind: 'operator', tokenId: row.id };
}

export async function revokeToken(db: Queryable, id: string): Promise<boolean> {
  const rows = await db.query(
    'UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id',
    [id],
  );
  return rows.length > 0;
}

export interface TokenRow {
  readonly id: string;
  readonly kind: 'operator' | 'merchant';
  readonly merchantId: string | null;
  readonly label: string | null;
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

/** Every token (or the one of `id`), without its hash: what `ladder token list` prints. */
export async function listTokens(db: Queryable, id: string | null = null): Promise<TokenRow[]> {
  const rows = await db.query<{
    id: string;
    kind: 'operator' | 'merchant';
    merchant_id: string | null;
    label: string | null;
    created_at: string;
    revoked_at: string | null;
  }>(
    `SELECT id, kind, merchant_id, label, created_at, revoked_at FROM api_tokens
     WHERE $1::text IS NULL OR id = $1 ORDER BY created_at, id`,
    [id],
  );
  return rows.map((row) => ({
    id: row.id,
    kind: row.kind,
    merchantId: row.merchant_id,
    label: row.label,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  }));
}
