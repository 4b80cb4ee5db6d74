import { describe, expect, it } from 'vitest';
import { assessment, at, merchant } from '../test-support/core.js';
import { assessmentInForce, fxRatingAt, isRiskFlagged } from './model.js';

describe('assessmentInForce: the latest assessment effective at or before the instant (D5)', () => {
  const history = [
    assessment({
      quarter: '2024-Q2',
      level: 'LV3',
      amountUsd: '600000',
      effectiveFrom: '2024-07-02T00:00:00+08:00',
    }),
    assessment({
      quarter: '2024-Q1',
      level: 'LV2',
      amountUsd: '300000',
      effectiveFrom: '2024-04-02T00:00:00+08:00',
    }),
  ];

  it.each<[string, string | null, string]>([
    ['2024-04-01T23:59:59.999+08:00', null, 'before the first assessment'],
    ['2024-04-02T00:00:00+08:00', 'LV2', 'at the first assessment instant'],
    ['2024-07-01T00:00:00+08:00', 'LV2', 'on the 1st, the previous level still holds'],
    ['2024-07-01T23:59:59.999+08:00', 'LV2', 'the last millisecond before the 2nd'],
    ['2024-07-01T15:59:59.999Z', 'LV2', 'the same millisecond written in UTC'],
    ['2024-07-02T00:00:00+08:00', 'LV3', 'at 00:00 on the 2nd'],
    ['2024-07-01T16:00:00Z', 'LV3', '00:00 on the 2nd written in UTC'],
    ['2024-09-30T23:59:59+08:00', 'LV3', 'later in the quarter'],
  ])('at %s the level is %s (%s)', (when, level) => {
    expect(assessmentInForce(history, at(when))?.level ?? null).toBe(level);
  });

  it('has no level without any assessment', () => {
    expect(assessmentInForce(undefined, at('2024-08-01T00:00:00+08:00'))).toBeUndefined();
    expect(assessmentInForce([], at('2024-08-01T00:00:00+08:00'))).toBeUndefined();
  });
});

describe('isRiskFlagged: `from` inclusive, `to` exclusive, null open (SPEC §12)', () => {
  const flagged = merchant({
    riskFlags: [
      { from: at('2024-08-01T00:00:00+08:00'), to: at('2024-09-01T00:00:00+08:00') },
      { from: at('2025-01-10T00:00:00+08:00'), to: null },
    ],
  });

  it.each([
    ['2024-07-31T23:59:59.999+08:00', false, 'just before the first flag'],
    ['2024-08-01T00:00:00+08:00', true, 'at the first flag’s from'],
    ['2024-07-31T16:00:00Z', true, 'the same from written in UTC'],
    ['2024-08-31T23:59:59.999+08:00', true, 'just before the first flag’s to'],
    ['2024-09-01T00:00:00+08:00', false, 'at the first flag’s to'],
    ['2025-01-09T23:59:59+08:00', false, 'between the flags'],
    ['2025-01-10T00:00:00+08:00', true, 'at the open flag’s from'],
    ['2030-01-01T00:00:00+08:00', true, 'long after, the open flag still holds'],
  ])('at %s flagged is %s (%s)', (when, expected) => {
    expect(isRiskFlagged(flagged, at(when))).toBe(expected);
  });

  it('treats an unknown merchant and one without flags as not flagged', () => {
    expect(isRiskFlagged(undefined, at('2024-08-01T00:00:00+08:00'))).toBe(false);
    expect(isRiskFlagged(merchant(), at('2024-08-01T00:00:00+08:00'))).toBe(false);
  });
});

describe('fxRatingAt: the latest change at or before the instant, else the base rating', () => {
  // Listed out of time order on purpose: the rating follows time, not the list.
  const rated = merchant({
    fxRating: 'A',
    fxRatingChanges: [
      { at: at('2025-02-01T00:00:00+08:00'), rating: 'A' },
      { at: at('2024-12-01T00:00:00+08:00'), rating: 'B' },
    ],
  });

  it.each([
    ['2024-11-30T23:59:59.999+08:00', 'A', 'before any change'],
    ['2024-12-01T00:00:00+08:00', 'B', 'at the change to B'],
    ['2025-01-15T00:00:00+08:00', 'B', 'while B holds'],
    ['2025-01-31T23:59:59+08:00', 'B', 'just before the change back'],
    ['2025-02-01T00:00:00+08:00', 'A', 'at the change back to A'],
  ])('at %s the rating is %s (%s)', (when, rating) => {
    expect(fxRatingAt(rated, at(when))).toBe(rating);
  });

  it('keeps the base rating without changes', () => {
    expect(fxRatingAt(merchant({ fxRating: 'B' }), at('2024-08-01T00:00:00+08:00'))).toBe('B');
  });
});
