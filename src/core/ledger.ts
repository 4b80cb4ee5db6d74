import type { Dec } from './money.js';
import type { Instant } from './time.js';

/**
 * The coupon ledger is double-entry: every entry is one transfer that debits
 * one account and credits another with the same positive amount, so the
 * entries balance by construction. A coupon is an account of its own
 * (`coupon:<id>`), credit-normal: its balance is credits minus debits and
 * must never go below zero.
 */
export type LedgerKind = 'issue' | 'use' | 'forfeit' | 'expire';

export const ACCOUNTS = {
  rebateExpense: 'programme:jump-rebates',
  redeemed: 'programme:coupons-redeemed',
  forfeited: 'programme:coupons-forfeited',
  expired: 'programme:coupons-expired',
  coupon: (couponId: string) => `coupon:${couponId}`,
} as const;

export interface LedgerEntry {
  /** The idempotency key: writing the same key twice changes nothing. */
  readonly key: string;
  readonly kind: LedgerKind;
  readonly merchantId: string;
  readonly at: Instant;
  readonly debitAccount: string;
  readonly creditAccount: string;
  readonly amountCny: Dec;
  readonly couponId: string;
  readonly chargeId: string | null;
}

export function ledgerEntry(entry: LedgerEntry): LedgerEntry {
  if (!entry.amountCny.gt(0)) {
    throw new Error(`ledger entry ${entry.key}: amount must be above 0, got ${entry.amountCny}`);
  }
  if (entry.debitAccount === entry.creditAccount) {
    throw new Error(`ledger entry ${entry.key}: debits and credits the same account`);
  }
  return entry;
}

/** A coupon account's balance from its entries; throws if it ever went below zero. */
export function couponBalance(couponId: string, entries: readonly LedgerEntry[]): Dec | null {
  const account = ACCOUNTS.coupon(couponId);
  let balance: Dec | null = null;
  for (const entry of [...entries].sort((a, b) => a.at - b.at)) {
    if (entry.creditAccount === account)
      balance = (balance ?? entry.amountCny.minus(entry.amountCny)).plus(entry.amountCny);
    if (entry.debitAccount === account) {
      if (balance === null) throw new Error(`coupon ${couponId} is debited before it is issued`);
      balance = balance.minus(entry.amountCny);
      if (balance.lt(0)) throw new Error(`coupon ${couponId} would go below zero at ${entry.key}`);
    }
  }
  return balance;
}
