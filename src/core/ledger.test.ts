import { describe, expect, it } from 'vitest';
import { at } from '../test-support/core.js';
import { ACCOUNTS, couponBalance, type LedgerEntry, ledgerEntry } from './ledger.js';
import { dec } from './money.js';

const COUPON = ACCOUNTS.coupon('CP-1');

function entry(overrides: Partial<LedgerEntry> & Pick<LedgerEntry, 'key'>): LedgerEntry {
  return {
    kind: 'issue',
    merchantId: 'M-1',
    at: at('2024-07-02T00:00:00+08:00'),
    debitAccount: ACCOUNTS.rebateExpense,
    creditAccount: COUPON,
    amountCny: dec('3500.00'),
    couponId: 'CP-1',
    chargeId: null,
    ...overrides,
  };
}

const issue = entry({ key: 'issue:CP-1' });
const use = entry({
  key: 'use:C-1:1',
  kind: 'use',
  at: at('2024-09-01T10:00:00+08:00'),
  debitAccount: COUPON,
  creditAccount: ACCOUNTS.redeemed,
  amountCny: dec('350.00'),
  chargeId: 'C-1',
});
const forfeit = entry({
  key: 'forfeit:C-1:1',
  kind: 'forfeit',
  at: at('2024-09-20T00:00:00+08:00'),
  debitAccount: ACCOUNTS.redeemed,
  creditAccount: ACCOUNTS.forfeited,
  amountCny: dec('350.00'),
  chargeId: 'C-1',
});

describe('ledgerEntry refuses an entry that cannot balance (STYLE habit 5)', () => {
  it.each([
    ['a zero amount', { amountCny: dec('0') }, /above 0/],
    ['a negative amount', { amountCny: dec('-0.01') }, /above 0/],
    ['one account on both sides', { debitAccount: COUPON }, /same account/],
  ])('throws on %s', (_name, overrides, message) => {
    expect(() => ledgerEntry(entry({ key: 'bad', ...overrides }))).toThrow(message);
  });

  it('returns a good entry unchanged', () => {
    expect(ledgerEntry(issue)).toBe(issue);
  });
});

describe('couponBalance: credits minus debits of the coupon account', () => {
  it('is 3,500.00 − 350.00 = 3,150.00 after a use, and a forfeit gives nothing back', () => {
    expect(couponBalance('CP-1', [issue, use, forfeit])?.toFixed(2)).toBe('3150.00');
  });

  it('reads the entries in time order, whatever order they come in', () => {
    expect(couponBalance('CP-1', [forfeit, use, issue])?.toFixed(2)).toBe('3150.00');
  });

  it('is null for a coupon without entries', () => {
    expect(couponBalance('CP-2', [issue, use])).toBeNull();
  });

  it('reaches exactly zero when the whole coupon is used', () => {
    const all = { ...use, key: 'use:C-2:1', amountCny: dec('3500.00') };
    expect(couponBalance('CP-1', [issue, all])?.toFixed(2)).toBe('0.00');
  });

  it('throws when a use would take the coupon below zero', () => {
    const tooMuch = { ...use, key: 'use:C-2:1', amountCny: dec('3500.01') };
    expect(() => couponBalance('CP-1', [issue, tooMuch])).toThrow(/below zero/);
  });

  it('throws when the coupon is debited before it is issued', () => {
    const early = { ...use, at: at('2024-07-01T00:00:00+08:00') };
    expect(() => couponBalance('CP-1', [issue, early])).toThrow(/before it is issued/);
  });
});
