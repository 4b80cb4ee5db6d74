import { type Dec, ZERO } from './money.js';
import type { Instant } from './time.js';

export interface CouponBalance {
  readonly couponId: string;
  readonly merchantId: string;
  readonly issuedAt: Instant;
  /** Exclusive; null when the coupon never expires (D9). */
  readonly expiresAt: Instant | null;
  readonly remainingCny: Dec;
}

export interface CouponUse {
  readonly couponId: string;
  readonly amountCny: Dec;
}

/**
 * The order coupons are spent in (SPEC §7): the one that expires first, then
 * the oldest; a coupon that never expires comes after every one that does.
 */
export function spendingOrder(a: CouponBalance, b: CouponBalance): number {
  const aExpiry = a.expiresAt ?? Number.POSITIVE_INFINITY;
  const bExpiry = b.expiresAt ?? Number.POSITIVE_INFINITY;
  if (aExpiry !== bExpiry) return aExpiry < bExpiry ? -1 : 1;
  if (a.issuedAt !== b.issuedAt) return a.issuedAt - b.issuedAt;
  return a.couponId < b.couponId ? -1 : a.couponId > b.couponId ? 1 : 0;
}

export function isUsableAt(coupon: CouponBalance, at: Instant): boolean {
  return (
    coupon.issuedAt <= at &&
    (coupon.expiresAt === null || at < coupon.expiresAt) &&
    coupon.remainingCny.gt(0)
  );
}

/**
 * Which coupons pay a tax-refund service fee charged at `at`, and how much of
 * each: automatically, before any payment, until the fee is covered or the
 * coupons are used up. Only coupons issued at or before the charge count.
 */
export function allocateCoupons(
  amountCny: Dec,
  coupons: readonly CouponBalance[],
  at: Instant,
): { uses: CouponUse[]; paidByCouponsCny: Dec; payableCny: Dec } {
  const uses: CouponUse[] = [];
  let owed = amountCny;
  for (const coupon of coupons.filter((c) => isUsableAt(c, at)).sort(spendingOrder)) {
    if (owed.lte(0)) break;
    const take = coupon.remainingCny.lt(owed) ? coupon.remainingCny : owed;
    uses.push({ couponId: coupon.couponId, amountCny: take });
    owed = owed.minus(take);
  }
  const paidByCouponsCny = uses.reduce((total, use) => total.plus(use.amountCny), ZERO);
  return { uses, paidByCouponsCny, payableCny: amountCny.minus(paidByCouponsCny) };
}
