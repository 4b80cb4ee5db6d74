import { LadderError } from '../core/errors.js';
import type { LedgerKind } from '../core/ledger.js';
import { dec, formatAmount, formatFen, formatRate } from '../core/money.js';
import { formatInstant, type Instant } from '../core/time.js';
import type { Queryable } from '../store/db.js';
import { fromPg, fromPgNullable, toPg } from '../store/rows.js';

/**
 * Read models of one merchant's records, shaped for the API and the
 * workbench: decimal strings, instants in Shanghai time with their offset.
 * Nothing here computes an amount; each figure is read as the engine wrote it.
 */

export const instant = (text: string): string => formatInstant(fromPg(text));
export const instantOrNull = (text: string | null): string | null => {
  const at = fromPgNullable(text);
  return at === null ? null : formatInstant(at);
};
export const fen = (text: string): string => formatFen(dec(text));
export const fenOrNull = (text: string | null): string | null => (text === null ? null : fen(text));
export const usd = (text: string): string => formatAmount(dec(text));

/** A page of a list: `next` is the cursor of the following page, null at the end. */
export interface Page<T> {
  readonly items: T[];
  readonly next: string | null;
}

/** Cursors are opaque to clients: the sort key of the last row, base64url JSON. */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined, length: number): string[] | null {
  if (cursor === undefined || cursor === '') return null;
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(key) && key.length === length && key.every((k) => typeof k === 'string')) {
      return key as string[];
    }
  } catch {
    // Falls through to the error below.
  }
  throw new LadderError('INVALID_INPUT', 'the cursor is not one this server gave', [
    { path: 'after', message: 'is not a cursor this server gave', value: cursor },
  ]);
}

export function page<Row, T>(
  rows: readonly Row[],
  limit: number,
  map: (row: Row) => T,
  keyOf: (row: Row) => string[],
): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  const next = rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null;
  return { items: items.map(map), next };
}

// ---------------------------------------------------------------- merchants

export interface MerchantView {
  readonly id: string;
  readonly fxRating: string;
  readonly fxRatingChanges: { at: string; rating: string }[];
  readonly riskFlags: { from: string; to: string | null }[];
}

export async function merchantExists(db: Queryable, id: string): Promise<boolean> {
  const rows = await db.query('SELECT 1 FROM merchants WHERE id = $1', [id]);
  return rows.length > 0;
}

export async function readMerchants(
  db: Queryable,
  ids: readonly string[],
): Promise<MerchantView[]> {
  const rows = await db.query<{ id: string; fx_rating: string }>(
    'SELECT id, fx_rating FROM merchants WHERE id = ANY($1) ORDER BY id',
    [ids],
  );
  const flags = await db.query<{ merchant_id: string; from_at: string; to_at: string | null }>(
    'SELECT merchant_id, from_at, to_at FROM risk_flags WHERE merchant_id = ANY($1) ORDER BY from_at',
    [ids],
  );
  const changes = await db.query<{ merchant_id: string; at: string; rating: string }>(
    'SELECT merchant_id, at, rating FROM fx_rating_changes WHERE merchant_id = ANY($1) ORDER BY at',
    [ids],
  );
  return rows.map((row) => ({
    id: row.id,
    fxRating: row.fx_rating,
    fxRatingChanges: changes
      .filter((c) => c.merchant_id === row.id)
      .map((c) => ({ at: instant(c.at), rating: c.rating })),
    riskFlags: flags
      .filter((f) => f.merchant_id === row.id)
      .map((f) => ({ from: instant(f.from_at), to: instantOrNull(f.to_at) })),
  }));
}

export async function readMerchant(db: Queryable, id: string): Promise<MerchantView> {
  const [merchant] = await readMerchants(db, [id]);
  if (!merchant) throw new LadderError('NOT_FOUND', `no merchant ${id}`);
  return merchant;
}

export async function listMerchants(db: Queryable, after: string | undefined, limit: number) {
  const [afterId] = decodeCursor(after, 1) ?? [''];
  const rows = await db.query<{ id: string }>(
    'SELECT id FROM merchants WHERE id > $1 ORDER BY id LIMIT $2',
    [afterId, limit + 1],
  );
  const views = new Map(
    (
      await readMerchants(
        db,
        rows.slice(0, limit).map((r) => r.id),
      )
    ).map((m) => [m.id, m]),
  );
  return page(
    rows,
    limit,
    (row) => views.get(row.id) as MerchantView,
    (row) => [row.id],
  );
}

// --------------------------------------------------------------------- fees

export interface FeeRow {
  order_id: string;
  merchant_id: string;
  service: string;
  type: string;
  amount_usd: string;
  cleared_at: string;
  status: 'charged' | 'reversed' | 'error';
  level: string | null;
  net_cny: string | null;
  vat_cny: string | null;
  gross_cny: string | null;
  reversed_at: string | null;
  rulebook: string | null;
  breakdown: Record<string, unknown> | null;
  error_code: string | null;
  error_message: string | null;
}

/** A fee's columns, with the expressions that give its status and reversal. */
const feeColumns = (status: string, reversedAt: string) => `f.order_id, f.merchant_id, o.service,
  o.type, o.amount_usd, f.cleared_at, ${status} AS status, f.level, f.net_cny, f.vat_cny,
  f.gross_cny, ${reversedAt} AS reversed_at, f.rulebook, f.breakdown, f.error_code, f.error_message`;

export const FEE_COLUMNS = feeColumns('f.status', 'f.reversed_at');

/**
 * FEE_COLUMNS as of the instant in parameter $n: a fee reversed after it is
 * still charged then, and its reversal not yet known.
 */
const feeColumnsAsOf = (n: number) =>
  feeColumns(
    `CASE WHEN f.reversed_at > $${n} THEN 'charged' ELSE f.status END`,
    `CASE WHEN f.reversed_at <= $${n} THEN f.reversed_at END`,
  );

export function feeView(row: FeeRow) {
  return {
    orderId: row.order_id,
    merchantId: row.merchant_id,
    service: row.service,
    type: row.type,
    amountUsd: usd(row.amount_usd),
    clearedAt: instant(row.cleared_at),
    status: row.status,
    level: row.level,
    netCny: fenOrNull(row.net_cny),
    vatCny: fenOrNull(row.vat_cny),
    grossCny: fenOrNull(row.gross_cny),
    reversedAt: instantOrNull(row.reversed_at),
    rulebook: row.rulebook,
    breakdown: row.breakdown,
    error:
      row.error_code === null ? null : { code: row.error_code, message: row.error_message ?? '' },
  };
}
export type FeeView = ReturnType<typeof feeView>;

/** A merchant's fees, the latest clearance first. */
export async function listFees(
  db: Queryable,
  merchantId: string,
  after: string | undefined,
  limit: number,
  asOf: Instant | null = null,
) {
  const cursor = decodeCursor(after, 2);
  const until = asOf === null ? 'infinity' : toPg(asOf);
  // Two statements rather than one with "$2 IS NULL OR …", so that each
  // walks the (merchant_id, cleared_at) index.
  const rows = cursor
    ? await db.query<FeeRow>(
        `SELECT ${feeColumnsAsOf(5)} FROM fees f JOIN orders o ON o.merchant_id = f.merchant_id AND o.id = f.order_id
         WHERE f.merchant_id = $1 AND (f.cleared_at, f.order_id) < ($2::timestamptz, $3::text)
           AND f.cleared_at <= $5
         ORDER BY f.cleared_at DESC, f.order_id DESC LIMIT $4`,
        [merchantId, cursor[0], cursor[1], limit + 1, until],
      )
    : await db.query<FeeRow>(
        `SELECT ${feeColumnsAsOf(3)} FROM fees f JOIN orders o ON o.merchant_id = f.merchant_id AND o.id = f.order_id
         WHERE f.merchant_id = $1 AND f.cleared_at <= $3
         ORDER BY f.cleared_at DESC, f.order_id DESC LIMIT $2`,
        [merchantId, limit + 1, until],
      );
  return page(rows, limit, feeView, (row) => [
    new Date(fromPg(row.cleared_at)).toISOString(),
    row.order_id,
  ]);
}

// -------------------------------------------------------------- settlements

export interface SettlementRow {
  id: string;
  merchant_id: string;
  currency: string;
  amount: string;
  base_rate: string;
  account: string;
  at: string;
  level: string | null;
  pips: number | null;
  effective_rate: string | null;
  subsidy_cny: string | null;
  reason: string | null;
}

export function settlementView(row: SettlementRow) {
  return {
    id: row.id,
    merchantId: row.merchant_id,
    currency: row.currency,
    amount: usd(row.amount),
    baseRate: formatRate(dec(row.base_rate)),
    account: row.account,
    at: instant(row.at),
    result:
      row.level === null || row.effective_rate === null || row.subsidy_cny === null
        ? null
        : {
            level: row.level,
            pips: Number(row.pips ?? 0),
            effectiveRate: formatRate(dec(row.effective_rate)),
            subsidyCny: fen(row.subsidy_cny),
            reason: row.reason,
          },
  };
}
export type SettlementView = ReturnType<typeof settlementView>;

export async function listSettlements(
  db: Queryable,
  merchantId: string,
  after: string | undefined,
  limit: number,
  asOf: Instant | null = null,
) {
  const cursor = decodeCursor(after, 2);
  const until = asOf === null ? 'infinity' : toPg(asOf);
  const columns = `s.id, s.merchant_id, s.currency, s.amount, s.base_rate, s.account, s.at,
    r.level, r.pips, r.effective_rate, r.subsidy_cny, r.reason`;
  const from = `settlements s LEFT JOIN settlement_results r
    ON r.merchant_id = s.merchant_id AND r.settlement_id = s.id`;
  const rows = cursor
    ? await db.query<SettlementRow>(
        `SELECT ${columns} FROM ${from}
         WHERE s.merchant_id = $1 AND (s.at, s.id) < ($2::timestamptz, $3::text) AND s.at <= $5
         ORDER BY s.at DESC, s.id DESC LIMIT $4`,
        [merchantId, cursor[0], cursor[1], limit + 1, until],
      )
    : await db.query<SettlementRow>(
        `SELECT ${columns} FROM ${from} WHERE s.merchant_id = $1 AND s.at <= $3
         ORDER BY s.at DESC, s.id DESC LIMIT $2`,
        [merchantId, limit + 1, until],
      );
  return page(rows, limit, settlementView, (row) => [
    new Date(fromPg(row.at)).toISOString(),
    row.id,
  ]);
}

// ------------------------------------------------------------------ coupons

export interface CouponRow {
  id: string;
  merchant_id: string;
  face_cny: string;
  issued_at: string;
  expires_at: string | null;
  service: string;
  quarter: string;
  remaining: string;
}

export interface UseRow {
  charge_id: string;
  seq: number;
  coupon_id: string;
  order_id: string;
  amount_cny: string;
  at: string;
  forfeited_at: string | null;
}

export interface LedgerRow {
  seq: string;
  key: string;
  kind: LedgerKind;
  at: string;
  debit_account: string;
  credit_account: string;
  amount_cny: string;
  coupon_id: string;
  charge_id: string | null;
}

export interface CouponView {
  readonly id: string;
  readonly merchantId: string;
  readonly faceCny: string;
  readonly remainingCny: string;
  readonly issuedAt: string;
  readonly expiresAt: string | null;
  readonly service: string;
  readonly quarter: string;
  readonly uses: {
    chargeId: string;
    orderId: string;
    amountCny: string;
    at: string;
    forfeited: boolean;
    forfeitedAt: string | null;
  }[];
  readonly ledger?: {
    seq: string;
    key: string;
    kind: LedgerKind;
    at: string;
    debitAccount: string;
    creditAccount: string;
    amountCny: string;
    chargeId: string | null;
  }[];
}

/**
 * Coupons with their remaining value (read from the ledger, never stored
 * twice), their uses and, with `withLedger`, every ledger entry of each.
 */
export async function readCoupons(
  db: Queryable,
  where: { merchantId: string } | { couponId: string },
  withLedger: boolean,
  asOf: Instant | null = null,
): Promise<CouponView[]> {
  // As the ledger stood at `asOf` (the workbench's instant), else as it stands.
  const until = asOf === null ? 'infinity' : toPg(asOf);
  const byMerchant = 'merchantId' in where;
  const filter = byMerchant ? 'c.merchant_id = $1' : 'c.id = $1';
  const value = byMerchant ? where.merchantId : where.couponId;
  const coupons = await db.query<CouponRow>(
    `SELECT c.id, c.merchant_id, c.face_cny, c.issued_at, c.expires_at, c.service, c.quarter,
            (c.face_cny - COALESCE((SELECT SUM(l.amount_cny) FROM ledger_entries l
               WHERE l.merchant_id = c.merchant_id AND l.coupon_id = c.id AND l.debit_account = 'coupon:' || c.id AND l.at <= $2), 0))::text AS remaining
     FROM coupons c WHERE ${filter} AND c.issued_at <= $2 ORDER BY c.issued_at, c.id`,
    [value, until],
  );
  if (coupons.length === 0) return [];
  const ids = coupons.map((c) => c.id);
  const uses = await db.query<UseRow>(
    `SELECT charge_id, seq, coupon_id, order_id, amount_cny, at,
            CASE WHEN forfeited_at <= $2 THEN forfeited_at END AS forfeited_at
     FROM coupon_uses WHERE coupon_id = ANY($1) AND at <= $2 ORDER BY at, charge_id, seq`,
    [ids, until],
  );
  const ledger = withLedger
    ? await db.query<LedgerRow>(
        `SELECT l.seq::text AS seq, l.key, l.kind, l.at, l.debit_account, l.credit_account,
                l.amount_cny, l.coupon_id, l.charge_id
         FROM ledger_entries l WHERE l.coupon_id = ANY($1) AND l.at <= $2 ORDER BY l.seq`,
        [ids, until],
      )
    : [];
  return couponViews(coupons, uses, withLedger ? ledger : null);
}

/** Coupon rows, their uses and (when given) their ledger entries, as the API shows them. */
export function couponViews(
  coupons: readonly CouponRow[],
  uses: readonly UseRow[],
  ledger: readonly LedgerRow[] | null,
): CouponView[] {
  return coupons.map((c) => ({
    id: c.id,
    merchantId: c.merchant_id,
    faceCny: fen(c.face_cny),
    remainingCny: fen(c.remaining),
    issuedAt: instant(c.issued_at),
    expiresAt: instantOrNull(c.expires_at),
    service: c.service,
    quarter: c.quarter,
    uses: uses
      .filter((u) => u.coupon_id === c.id)
      .map((u) => ({
        chargeId: u.charge_id,
        orderId: u.order_id,
        amountCny: fen(u.amount_cny),
        at: instant(u.at),
        forfeited: u.forfeited_at !== null,
        forfeitedAt: instantOrNull(u.forfeited_at),
      })),
    ...(ledger !== null
      ? {
          ledger: ledger
            .filter((l) => l.coupon_id === c.id)
            .map((l) => ({
              seq: String(l.seq),
              key: l.key,
              kind: l.kind,
              at: instant(l.at),
              debitAccount: l.debit_account,
              creditAccount: l.credit_account,
              amountCny: fen(l.amount_cny),
              chargeId: l.charge_id,
            })),
        }
      : {}),
  }));
}

export function couponBalanceCny(coupons: readonly CouponView[]): string {
  return formatFen(coupons.reduce((total, c) => total.plus(dec(c.remainingCny)), dec(0)));
}

// -------------------------------------------------------- orders, assessments

export async function readOrder(db: Queryable, id: string) {
  const rows = await db.query<{
    id: string;
    merchant_id: string;
    service: string;
    type: string;
    amount_usd: string;
    cleared_at: string;
    usd_cny: string | null;
    status: string | null;
    status_at: string | null;
  }>(
    `SELECT o.id, o.merchant_id, o.service, o.type, o.amount_usd, o.cleared_at, o.usd_cny,
            e.status, e.at AS status_at
     FROM orders o LEFT JOIN order_events e ON e.merchant_id = o.merchant_id AND e.order_id = o.id
     WHERE o.id = $1`,
    [id],
  );
  const row = rows[0];
  if (!row) throw new LadderError('NOT_FOUND', `no order ${id}`);
  const fees = await db.query<FeeRow>(
    `SELECT ${FEE_COLUMNS} FROM fees f JOIN orders o ON o.merchant_id = f.merchant_id AND o.id = f.order_id WHERE f.order_id = $1`,
    [id],
  );
  return {
    id: row.id,
    merchantId: row.merchant_id,
    service: row.service,
    type: row.type,
    amountUsd: usd(row.amount_usd),
    clearedAt: instant(row.cleared_at),
    usdCny: row.usd_cny === null ? null : formatRate(dec(row.usd_cny)),
    status: row.status ?? 'cleared',
    statusAt: instantOrNull(row.status_at),
    fee: fees[0] ? feeView(fees[0]) : null,
  };
}

export interface AssessmentRowView {
  merchant_id: string;
  service: string;
  quarter: string;
  amount_usd: string;
  order_count: number;
  level: string;
  effective_from: string;
  rulebook: string;
}

export function assessmentView(row: AssessmentRowView) {
  return {
    merchantId: row.merchant_id,
    service: row.service,
    quarter: row.quarter,
    amountUsd: usd(row.amount_usd),
    orderCount: Number(row.order_count),
    level: row.level,
    effectiveFrom: instant(row.effective_from),
    rulebook: row.rulebook,
  };
}

export const ASSESSMENT_COLUMNS =
  'merchant_id, service, quarter, amount_usd, order_count, level, effective_from, rulebook';

export async function merchantAssessments(db: Queryable, merchantId: string) {
  const rows = await db.query<AssessmentRowView>(
    `SELECT ${ASSESSMENT_COLUMNS} FROM assessments WHERE merchant_id = $1 ORDER BY effective_from, service`,
    [merchantId],
  );
  return { items: rows.map(assessmentView) };
}

/** The merchant a record belongs to, for the check that a merchant token reads only its own. */
export async function ownerOf(
  db: Queryable,
  table: 'orders' | 'coupons' | 'settlements',
  id: string,
): Promise<string | null> {
  const rows = await db.query<{ merchant_id: string }>(
    `SELECT merchant_id FROM ${table} WHERE id = $1`,
    [id],
  );
  return rows[0]?.merchant_id ?? null;
}
