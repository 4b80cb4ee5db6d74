import { dec, formatFen, formatRate } from '../core/money.js';
import { formatInstant, type Instant } from '../core/time.js';
import type { Queryable } from '../store/db.js';
import { fromPg, toPg } from '../store/rows.js';

/**
 * The report of SPEC §12, read back from the store after a run: every list
 * sorted as SPEC says, decimals as strings, instants with their offset.
 * Sorting is done here, by code unit, so that the collation of the server
 * cannot change a byte of it.
 */

const byKeys =
  <T>(...keys: ((row: T) => string | number)[]) =>
  (a: T, b: T): number => {
    for (const key of keys) {
      const x = key(a);
      const y = key(b);
      if (x < y) return -1;
      if (x > y) return 1;
    }
    return 0;
  };

const fen = (text: string) => formatFen(dec(text));

export async function replayReport(db: Queryable, asOf: Instant, merchantIds: readonly string[]) {
  const at = toPg(asOf);
  const assessments = (
    await db.query<{
      merchant_id: string;
      service: string;
      quarter: string;
      amount_usd: string;
      level: string;
      effective_from: string;
    }>(
      'SELECT merchant_id, service, quarter, amount_usd, level, effective_from FROM assessments WHERE effective_from <= $1',
      [at],
    )
  )
    .sort(
      byKeys(
        (r) => r.merchant_id,
        (r) => r.service,
        (r) => r.quarter,
      ),
    )
    .map((r) => ({
      merchantId: r.merchant_id,
      service: r.service,
      quarter: r.quarter,
      amountUsd: formatUsd(r.amount_usd),
      level: r.level,
      effectiveFrom: formatInstant(fromPg(r.effective_from)),
    }));

  const fees = (
    await db.query<{
      order_id: string;
      status: string;
      level: string | null;
      net_cny: string | null;
      vat_cny: string | null;
      gross_cny: string | null;
      error_code: string | null;
      error_message: string | null;
    }>(
      'SELECT order_id, status, level, net_cny, vat_cny, gross_cny, error_code, error_message FROM fees WHERE cleared_at <= $1',
      [at],
    )
  )
    .sort(byKeys((r) => r.order_id))
    .map((r) =>
      r.status === 'error'
        ? {
            orderId: r.order_id,
            status: 'error',
            error: { code: r.error_code, message: r.error_message },
          }
        : {
            orderId: r.order_id,
            level: r.level,
            netCny: fen(r.net_cny ?? ''),
            vatCny: fen(r.vat_cny ?? ''),
            grossCny: fen(r.gross_cny ?? ''),
            status: r.status,
          },
    );

  const jumpRebates = (
    await db.query<{
      merchant_id: string;
      service: string;
      quarter: string;
      from_level: string;
      to_level: string;
      increase_usd: string;
      rebate_cny: string;
      status: string;
      reason: string | null;
    }>(
      'SELECT merchant_id, service, quarter, from_level, to_level, increase_usd, rebate_cny, status, reason FROM jump_rebates WHERE effective_at <= $1',
      [at],
    )
  )
    .sort(
      byKeys(
        (r) => r.merchant_id,
        (r) => r.quarter,
        (r) => r.service,
      ),
    )
    .map((r) => ({
      merchantId: r.merchant_id,
      quarter: r.quarter,
      fromLevel: r.from_level,
      toLevel: r.to_level,
      increaseUsd: formatUsd(r.increase_usd),
      rebateCny: fen(r.rebate_cny),
      status: r.status,
      ...(r.reason === null ? {} : { reason: r.reason }),
    }));

  const couponUses = (
    await db.query<{
      charge_id: string;
      seq: number;
      coupon_id: string;
      amount_cny: string;
      forfeited_at: string | null;
    }>(
      'SELECT charge_id, seq, coupon_id, amount_cny, forfeited_at FROM coupon_uses WHERE at <= $1',
      [at],
    )
  )
    .sort(
      byKeys(
        (r) => r.charge_id,
        (r) => Number(r.seq),
      ),
    )
    .map((r) => ({
      chargeId: r.charge_id,
      couponId: r.coupon_id,
      amountCny: fen(r.amount_cny),
      forfeited: r.forfeited_at !== null && fromPg(r.forfeited_at) <= asOf,
    }));

  const charges = (
    await db.query<{
      charge_id: string;
      amount_cny: string;
      paid_by_coupons_cny: string;
      payable_cny: string;
    }>('SELECT charge_id, amount_cny, paid_by_coupons_cny, payable_cny FROM charge_results')
  )
    .sort(byKeys((r) => r.charge_id))
    .map((r) => ({
      chargeId: r.charge_id,
      amountCny: fen(r.amount_cny),
      paidByCouponsCny: fen(r.paid_by_coupons_cny),
      payableCny: fen(r.payable_cny),
    }));

  const settlements = (
    await db.query<{
      settlement_id: string;
      level: string;
      pips: number;
      effective_rate: string;
      subsidy_cny: string;
      reason: string | null;
    }>(
      'SELECT settlement_id, level, pips, effective_rate, subsidy_cny, reason FROM settlement_results',
    )
  )
    .sort(byKeys((r) => r.settlement_id))
    .map((r) => ({
      settlementId: r.settlement_id,
      level: r.level,
      pips: Number(r.pips),
      effectiveRate: formatRate(dec(r.effective_rate)),
      subsidyCny: fen(r.subsidy_cny),
      reason: r.reason,
    }));

  const balances = new Map(
    (
      await db.query<{ merchant_id: string; balance: string }>(
        `SELECT merchant_id,
                (SUM(CASE WHEN credit_account LIKE 'coupon:%' THEN amount_cny ELSE 0 END)
               - SUM(CASE WHEN debit_account LIKE 'coupon:%' THEN amount_cny ELSE 0 END))::text AS balance
         FROM ledger_entries WHERE at <= $1 GROUP BY merchant_id`,
        [at],
      )
    ).map((r) => [r.merchant_id, r.balance]),
  );
  const wallets = [...new Set(merchantIds)]
    .sort()
    .map((merchantId) => ({ merchantId, balanceCny: fen(balances.get(merchantId) ?? '0') }));

  return { assessments, fees, jumpRebates, couponUses, charges, settlements, wallets };
}

/** USD sums keep every digit they have, with at least two decimals. */
function formatUsd(text: string): string {
  const value = dec(text);
  return value.decimalPlaces() <= 2 ? value.toFixed(2) : value.toFixed();
}
