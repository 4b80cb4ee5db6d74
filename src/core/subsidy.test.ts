import { describe, expect, it } from 'vitest';
import { at, compile, merchant, SHIPPED, shippedDocument } from '../test-support/core.js';
import type { Merchant, Settlement } from './model.js';
import { dec } from './money.js';
import type { Rulebook } from './rulebook/rulebook.js';
import { type SettlementResult, settleFx } from './subsidy.js';

interface Facts {
  readonly level?: string;
  readonly amount?: string;
  readonly currency?: string;
  readonly account?: string;
  readonly at?: string;
  readonly merchant?: Merchant;
  readonly rulebook?: Rulebook;
}

function settle(facts: Facts = {}): SettlementResult {
  const settlement: Settlement = {
    id: 'S-1',
    merchantId: 'M-1',
    currency: facts.currency ?? 'USD',
    amount: dec(facts.amount ?? '50000.00'),
    baseRate: dec('7.2120'),
    account: facts.account ?? 'export',
    at: at(facts.at ?? '2024-08-01T10:00:00+08:00'),
  };
  return settleFx({
    settlement,
    merchant: facts.merchant ?? merchant(),
    level: facts.level ?? 'LV5',
    rulebook: facts.rulebook ?? SHIPPED,
  });
}

function summary(result: SettlementResult): [number, string, string, string | null] {
  return [
    result.pips,
    result.effectiveRate.toFixed(4),
    result.subsidyCny.toFixed(2),
    result.reason,
  ];
}

describe('the FX settlement subsidy (SPEC §9)', () => {
  it.each([
    ['LV5', 70, '7.2190', '350.00', '50,000 × 70 × 0.0001 = 350.00'],
    ['LV4', 40, '7.2160', '200.00', '50,000 × 40 × 0.0001 = 200.00'],
  ])('gives %s +%i pips: 7.2120 → %s, %s CNY (%s)', (level, pips, rate, subsidyCny) => {
    expect(summary(settle({ level }))).toEqual([pips, rate, subsidyCny, null]);
  });

  it.each([
    ['LV5', '1234.56', '8.64', '1,234.56 × 0.0070 = 8.64192'],
    ['LV5', '0.75', '0.01', '0.75 × 0.0070 = 0.00525 rounds up'],
    ['LV5', '0.5', '0.00', '0.5 × 0.0070 = 0.0035 rounds down'],
    ['LV4', '1.25', '0.01', '1.25 × 0.0040 = 0.005 rounds half-up'],
    ['LV4', '11.25', '0.05', '11.25 × 0.0040 = 0.045 rounds half-up, not to even'],
    ['LV4', '12345.67', '49.38', '12,345.67 × 0.0040 = 49.38268'],
  ])('rounds the %s subsidy on %s USD half-up to %s (%s)', (level, amount, subsidyCny) => {
    expect(settle({ level, amount }).subsidyCny.toFixed(2)).toBe(subsidyCny);
  });

  it('explains the subsidy with the pips and the rates', () => {
    expect(settle({ level: 'LV5' }).explanation.en).toBe(
      'LV5 earns 70 pips: 7.2120 becomes 7.2190; 50,000.00 USD × 70 × 0.0001 = 350.00 CNY.',
    );
  });
});

describe('each condition that fails gives no subsidy and its reason', () => {
  const rated = (rating: string) => merchant({ fxRating: rating });
  const flaggedFrom = (from: string) => merchant({ riskFlags: [{ from: at(from), to: null }] });

  it.each<[string, Facts, string]>([
    ['LV3 earns no pips', { level: 'LV3' }, 'level'],
    ['LV1 earns no pips', { level: 'LV1' }, 'level'],
    ['an FX rating of B', { merchant: rated('B') }, 'fx-rating'],
    [
      'a rating changed to B before the settlement',
      {
        merchant: merchant({
          fxRatingChanges: [{ at: at('2024-07-20T00:00:00+08:00'), rating: 'B' }],
        }),
      },
      'fx-rating',
    ],
    [
      'a rating changed to B at the settlement instant',
      {
        merchant: merchant({
          fxRatingChanges: [{ at: at('2024-08-01T10:00:00+08:00'), rating: 'B' }],
        }),
      },
      'fx-rating',
    ],
    ['a EUR settlement', { currency: 'EUR' }, 'currency'],
    ['the agency-export account of the FAQ (D15)', { account: 'agency-export' }, 'account'],
    [
      'a flag from the settlement instant on',
      { merchant: flaggedFrom('2024-08-01T10:00:00+08:00') },
      'risk',
    ],
    [
      'one millisecond before the window opens (D14)',
      { at: '2024-07-07T23:59:59.999+08:00' },
      'window',
    ],
    ['a settlement on 2024-07-01', { at: '2024-07-01T10:00:00+08:00' }, 'window'],
    ['the instant the programme ends', { at: '2025-04-01T00:00:00+08:00' }, 'window'],
  ])('%s → %s', (_name, facts, reason) => {
    const result = settle(facts);
    expect(summary(result)).toEqual([0, '7.2120', '0.00', reason]);
  });

  it.each([
    ['2024-07-08T00:00:00+08:00', 'the instant the window opens'],
    ['2024-07-07T16:00:00Z', 'the same instant in UTC'],
    ['2025-03-31T23:59:59.999+08:00', 'the last millisecond of the programme'],
  ])('pays at %s (%s)', (when) => {
    expect(settle({ at: when }).reason).toBeNull();
  });

  it('pays when a rating changed back to A before the settlement', () => {
    const back = merchant({
      fxRating: 'B',
      fxRatingChanges: [{ at: at('2024-07-31T00:00:00+08:00'), rating: 'A' }],
    });
    expect(settle({ merchant: back }).reason).toBeNull();
  });

  it('pays when a flag ended at the settlement instant', () => {
    const ended = merchant({
      riskFlags: [{ from: at('2024-07-01T00:00:00+08:00'), to: at('2024-08-01T10:00:00+08:00') }],
    });
    expect(settle({ merchant: ended }).reason).toBeNull();
  });
});

describe('the first failing condition wins, in SPEC order', () => {
  const flagged = merchant({ fxRating: 'B', riskFlags: [{ from: 0, to: null }] });
  const onlyFlagged = merchant({ riskFlags: [{ from: 0, to: null }] });
  const early = '2024-07-01T10:00:00+08:00';

  it.each<[string, Facts, string]>([
    [
      'every condition failing',
      { level: 'LV2', merchant: flagged, currency: 'EUR', account: 'agency-export', at: early },
      'level',
    ],
    [
      'all but the level failing',
      { merchant: flagged, currency: 'EUR', account: 'agency-export', at: early },
      'fx-rating',
    ],
    [
      'currency, account, risk and window',
      { merchant: onlyFlagged, currency: 'CNY', account: 'x', at: early },
      'currency',
    ],
    ['account, risk and window', { merchant: onlyFlagged, account: 'x', at: early }, 'account'],
    ['risk and window', { merchant: onlyFlagged, at: early }, 'risk'],
    ['level and window', { level: 'LV3', at: early }, 'level'],
    ['fx-rating and risk', { merchant: flagged }, 'fx-rating'],
  ])('%s → %s', (_name, facts, reason) => {
    expect(settle(facts).reason).toBe(reason);
  });
});

describe('the conditions are rulebook settings', () => {
  it('pays on every account the rulebook lists (D15)', () => {
    const doc = shippedDocument();
    doc.fxSubsidy.accounts = ['export', 'agency-export'];
    expect(settle({ account: 'agency-export', rulebook: compile(doc) }).reason).toBeNull();
  });

  it('opens the window on the rulebook’s date (D14)', () => {
    const doc = shippedDocument();
    doc.fxSubsidy.from = '2024-08-02';
    const rulebook = compile(doc);
    expect(settle({ rulebook }).reason).toBe('window');
    expect(settle({ rulebook, at: '2024-08-02T00:00:00+08:00' }).reason).toBeNull();
  });

  it('takes the pips from the rulebook', () => {
    const doc = shippedDocument();
    doc.fxSubsidy.pipsByLevel = { LV3: 10, LV4: 40, LV5: 70 };
    // 50,000 × 10 × 0.0001 = 50.00; 7.2120 + 0.0010 = 7.2130.
    expect(summary(settle({ level: 'LV3', rulebook: compile(doc) }))).toEqual([
      10,
      '7.2130',
      '50.00',
      null,
    ]);
  });
});
