import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { at } from '../test-support/core.js';
import { allocateCoupons, type CouponBalance, isUsableAt } from './coupons.js';
import { dec, ZERO } from './money.js';

function coupon(
  couponId: string,
  remainingCny: string,
  issuedAt: string,
  expiresAt: string | null = null,
): CouponBalance {
  return {
    couponId,
    merchantId: 'M-1',
    issuedAt: at(issuedAt),
    expiresAt: expiresAt === null ? null : at(expiresAt),
    remainingCny: dec(remainingCny),
  };
}

function uses(result: ReturnType<typeof allocateCoupons>): [string, string][] {
  return result.uses.map((use) => [use.couponId, use.amountCny.toFixed(2)]);
}

const CHARGE_AT = '2024-09-01T10:00:00+08:00';

describe('allocateCoupons: expiring first, then oldest, until the fee is covered (SPEC §7)', () => {
  it('spends the coupon that expires first, although it is younger', () => {
    const result = allocateCoupons(
      dec('100'),
      [
        coupon('OLD', '500', '2024-07-02T00:00:00+08:00'),
        coupon('EXPIRING', '500', '2024-08-01T00:00:00+08:00', '2024-12-31T00:00:00+08:00'),
      ],
      at(CHARGE_AT),
    );
    expect(uses(result)).toEqual([['EXPIRING', '100.00']]);
  });

  it('spends the earlier expiry of two expiring coupons first', () => {
    const result = allocateCoupons(
      dec('100'),
      [
        coupon('LATER', '500', '2024-07-02T00:00:00+08:00', '2025-01-31T00:00:00+08:00'),
        coupon('SOONER', '500', '2024-08-02T00:00:00+08:00', '2024-10-31T00:00:00+08:00'),
      ],
      at(CHARGE_AT),
    );
    expect(uses(result)).toEqual([['SOONER', '100.00']]);
  });

  it('spends the oldest first when no coupon expires (D9)', () => {
    const result = allocateCoupons(
      dec('100'),
      [
        coupon('NEW', '500', '2024-08-02T00:00:00+08:00'),
        coupon('OLD', '500', '2024-07-02T00:00:00+08:00'),
      ],
      at(CHARGE_AT),
    );
    expect(uses(result)).toEqual([['OLD', '100.00']]);
  });

  it('uses part of a coupon and moves to the next: 350 = 200 + 150', () => {
    const result = allocateCoupons(
      dec('350'),
      [
        coupon('SECOND', '500', '2024-08-02T00:00:00+08:00'),
        coupon('FIRST', '200', '2024-07-02T00:00:00+08:00'),
      ],
      at(CHARGE_AT),
    );
    expect(uses(result)).toEqual([
      ['FIRST', '200.00'],
      ['SECOND', '150.00'],
    ]);
    expect(result.paidByCouponsCny.toFixed(2)).toBe('350.00');
    expect(result.payableCny.toFixed(2)).toBe('0.00');
  });

  it('leaves the rest payable when the coupons run out: 1,000 − (200 + 300) = 500', () => {
    const result = allocateCoupons(
      dec('1000'),
      [coupon('A', '200', '2024-07-02'), coupon('B', '300', '2024-07-03')],
      at(CHARGE_AT),
    );
    expect(result.paidByCouponsCny.toFixed(2)).toBe('500.00');
    expect(result.payableCny.toFixed(2)).toBe('500.00');
  });

  it('uses a coupon issued at the same instant as the charge', () => {
    const result = allocateCoupons(dec('350'), [coupon('C', '3500', CHARGE_AT)], at(CHARGE_AT));
    expect(uses(result)).toEqual([['C', '350.00']]);
  });

  it('does not use a coupon issued one millisecond after the charge', () => {
    const result = allocateCoupons(
      dec('350'),
      [coupon('C', '3500', '2024-09-01T10:00:00.001+08:00')],
      at(CHARGE_AT),
    );
    expect(result.uses).toEqual([]);
    expect(result.payableCny.toFixed(2)).toBe('350.00');
  });

  it('does not use a coupon at its expiry instant, which is exclusive', () => {
    const expired = coupon('C', '3500', '2024-07-02', CHARGE_AT);
    expect(isUsableAt(expired, at(CHARGE_AT))).toBe(false);
    expect(isUsableAt(expired, at(CHARGE_AT) - 1)).toBe(true);
  });

  it('keeps a coupon without expiry usable years later (D9)', () => {
    const result = allocateCoupons(
      dec('350'),
      [coupon('C', '3500', '2024-07-02')],
      at('2030-01-01T00:00:00+08:00'),
    );
    expect(uses(result)).toEqual([['C', '350.00']]);
  });

  it('skips a coupon with nothing left', () => {
    const result = allocateCoupons(
      dec('50'),
      [coupon('EMPTY', '0', '2024-07-01'), coupon('FULL', '80', '2024-07-02')],
      at(CHARGE_AT),
    );
    expect(uses(result)).toEqual([['FULL', '50.00']]);
  });
});

describe('allocateCoupons properties', () => {
  const instant = fc.integer({ min: 0, max: 20 }).map((hour) => hour * 3_600_000);
  const cny = fc
    .oneof(fc.constantFrom(0n, 1n, 100n, 35_000n), fc.bigInt({ min: 0n, max: 1_000_000n }))
    .map((fen) => dec(fen.toString()).div(100));
  const coupons = fc.array(
    fc.record({
      remaining: cny,
      issuedAt: instant,
      expiresAt: fc.option(instant, { nil: null }),
    }),
    { maxLength: 6 },
  );
  const positive = cny.filter((amount) => amount.gt(0));

  it('never takes more than a coupon has, and paid + payable = amount', () => {
    fc.assert(
      fc.property(positive, coupons, instant, (amountCny, rows, chargeAt) => {
        const balances = rows.map((row, i) => ({
          couponId: `C-${i}`,
          merchantId: 'M-1',
          issuedAt: row.issuedAt,
          expiresAt: row.expiresAt,
          remainingCny: row.remaining,
        }));
        const result = allocateCoupons(amountCny, balances, chargeAt);
        const byId = new Map(balances.map((b) => [b.couponId, b]));
        const usable = balances.filter((b) => isUsableAt(b, chargeAt));
        const usableTotal = usable.reduce((t, b) => t.plus(b.remainingCny), ZERO);

        for (const use of result.uses) {
          const source = byId.get(use.couponId);
          expect(source && isUsableAt(source, chargeAt)).toBe(true);
          expect(use.amountCny.gt(0)).toBe(true);
          expect(use.amountCny.lte(source?.remainingCny ?? ZERO)).toBe(true);
        }
        expect(new Set(result.uses.map((u) => u.couponId)).size).toBe(result.uses.length);
        expect(result.paidByCouponsCny.plus(result.payableCny).eq(amountCny)).toBe(true);
        expect(result.payableCny.gte(0)).toBe(true);
        // Coupons pay as much as they can: all of the fee, or all they hold.
        const covered = amountCny.lt(usableTotal) ? amountCny : usableTotal;
        expect(result.paidByCouponsCny.eq(covered)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('pays nothing when no coupon is usable', () => {
    fc.assert(
      fc.property(positive, coupons, (amountCny, rows) => {
        // Every coupon is issued after the charge at instant −1.
        const balances = rows.map((row, i) => ({
          couponId: `C-${i}`,
          merchantId: 'M-1',
          issuedAt: row.issuedAt,
          expiresAt: row.expiresAt,
          remainingCny: row.remaining,
        }));
        const result = allocateCoupons(amountCny, balances, -1);
        expect(result.uses).toEqual([]);
        expect(result.paidByCouponsCny.isZero()).toBe(true);
        expect(result.payableCny.eq(amountCny)).toBe(true);
      }),
    );
  });
});
