import type { CouponBalance } from '../core/coupons.js';
import type { Assessment, Merchant } from '../core/model.js';
import { dec } from '../core/money.js';
import type { Instant } from '../core/time.js';
import type { Queryable } from '../store/db.js';
import { chunks, fromPg, fromPgNullable } from '../store/rows.js';

/** Readers that turn store rows back into the core's types. */

export async function loadMerchants(
  db: Queryable,
  ids: readonly string[],
): Promise<Map<string, Merchant>> {
  const merchants = new Map<
    string,
    {
      id: string;
      fxRating: string;
      fxRatingChanges: { at: Instant; rating: string }[];
      riskFlags: { from: Instant; to: Instant | null }[];
    }
  >();
  for (const batch of chunks([...new Set(ids)])) {
    for (const row of await db.query<{ id: string; fx_rating: string }>(
      'SELECT id, fx_rating FROM merchants WHERE id = ANY($1)',
      [batch],
    )) {
      merchants.set(row.id, {
        id: row.id,
        fxRating: row.fx_rating,
        fxRatingChanges: [],
        riskFlags: [],
      });
    }
    const flags = await db.query<{ merchant_id: string; from_at: string; to_at: string | null }>(
      'SELECT merchant_id, from_at, to_at FROM risk_flags WHERE merchant_id = ANY($1) ORDER BY from_at',
      [batch],
    );
    for (const flag of flags) {
      merchants
        .get(flag.merchant_id)
        ?.riskFlags.push({ from: fromPg(flag.from_at), to: fromPgNullable(flag.to_at) });
    }
    const changes = await db.query<{ merchant_id: string; at: string; rating: string }>(
      'SELECT merchant_id, at, rating FROM fx_rating_changes WHERE merchant_id = ANY($1) ORDER BY at',
      [batch],
    );
    for (const change of changes) {
      merchants
        .get(change.merchant_id)
        ?.fxRatingChanges.push({ at: fromPg(change.at), rating: change.rating });
    }
  }
  return merchants;
}

export interface AssessmentRow {
  merchant_id: string;
  service: string;
  quarter: string;
  amount_usd: string;
  level: string;
  effective_from: string;
  rulebook: string;
}

export function toAssessment(row: AssessmentRow): Assessment {
  return {
    merchantId: row.merchant_id,
    service: row.service,
    quarter: row.quarter,
    amountUsd: dec(row.amount_usd),
    level: row.level,
    effectiveFrom: fromPg(row.effective_from),
    rulebookKey: row.rulebook,
  };
}

/** Assessments of the given merchants, by `merchantId|service`. */
export async function loadAssessments(
  db: Queryable,
  merchantIds: readonly string[],
): Promise<Map<string, Assessment[]>> {
  const out = new Map<string, Assessment[]>();
  for (const batch of chunks([...new Set(merchantIds)])) {
    const rows = await db.query<AssessmentRow>(
      `SELECT merchant_id, service, quarter, amount_usd, level, effective_from, rulebook
       FROM assessments WHERE merchant_id = ANY($1) ORDER BY effective_from`,
      [batch],
    );
    for (const row of rows) {
      const key = `${row.merchant_id}|${row.service}`;
      const list = out.get(key) ?? [];
      list.push(toAssessment(row));
      out.set(key, list);
    }
  }
  return out;
}

/**
 * Coupons with value left: of the given merchants, and any that expires by
 * `expiringBy`. Remaining value is read from the ledger, never stored twice.
 */
export async function loadCouponBalances(
  db: Queryable,
  merchantIds: readonly string[],
  expiringBy: Instant | null,
): Promise<CouponBalance[]> {
  const rows = await db.query<{
    id: string;
    merchant_id: string;
    issued_at: string;
    expires_at: string | null;
    remaining: string;
  }>(
    `SELECT c.id, c.merchant_id, c.issued_at, c.expires_at,
            (c.face_cny - COALESCE(SUM(l.amount_cny), 0))::text AS remaining
     FROM coupons c
     LEFT JOIN ledger_entries l ON l.merchant_id = c.merchant_id AND l.coupon_id = c.id
       AND l.debit_account = 'coupon:' || c.id
     WHERE c.merchant_id = ANY($1) OR (c.expires_at IS NOT NULL AND c.expires_at <= $2)
     GROUP BY c.merchant_id, c.id
     HAVING c.face_cny - COALESCE(SUM(l.amount_cny), 0) > 0`,
    [[...new Set(merchantIds)], expiringBy === null ? null : new Date(expiringBy).toISOString()],
  );
  return rows.map((row) => ({
    couponId: row.id,
    merchantId: row.merchant_id,
    issuedAt: fromPg(row.issued_at),
    expiresAt: fromPgNullable(row.expires_at),
    remainingCny: dec(row.remaining),
  }));
}
