import { describe, expect, it } from 'vitest';
import {
  assessment,
  at,
  compile,
  merchant,
  SHIPPED,
  shippedDocument,
} from '../test-support/core.js';
import { type AssessedMerchant, assessQuarter, type JumpRebate } from './assessment.js';
import { type Assessment, isRiskFlagged, type RiskFlag } from './model.js';
import { dec } from './money.js';
import type { Rulebook } from './rulebook/rulebook.js';
import { formatInstant } from './time.js';

function programmeOf(rulebook: Rulebook) {
  const found = rulebook.programmes.get('3+N');
  if (!found) throw new Error('no 3+N programme');
  return found;
}

/** One merchant's assessment of `quarter` with the programme's own calendar instant. */
function assessOne(
  quarter: string,
  amountUsd: string,
  previous: Assessment | undefined,
  options: { rulebook?: Rulebook; flagged?: boolean } = {},
): AssessedMerchant {
  const rulebook = options.rulebook ?? SHIPPED;
  const programme = programmeOf(rulebook);
  const effectiveAt = programme.calendar.get(quarter) ?? at('2025-07-02T00:00:00+08:00');
  const [row] = assessQuarter({
    rulebook,
    programme,
    quarter,
    effectiveAt,
    amounts: [{ merchantId: 'M-1', amountUsd: dec(amountUsd), orderCount: 1 }],
    previous: new Map(previous ? [['M-1', previous]] : []),
    isRiskFlagged: () => options.flagged ?? false,
  });
  if (!row) throw new Error('assessQuarter returned no row');
  return row;
}

function rebateOf(row: AssessedMerchant): JumpRebate {
  if (!row.rebate) throw new Error('expected a jump rebate');
  return row.rebate;
}

describe('assessQuarter gives each merchant its level from the frozen amount (SPEC §4)', () => {
  it('follows the announcement: Q1 300,000 → LV2 from 2024-04-02', () => {
    const row = assessOne('2024-Q1', '300000', undefined);
    expect(row.assessment.level).toBe('LV2');
    expect(formatInstant(row.assessment.effectiveFrom)).toBe('2024-04-02T00:00:00+08:00');
  });

  it('follows the announcement: Q2 600,000 → LV3 from 2024-07-02', () => {
    const previous = assessOne('2024-Q1', '300000', undefined).assessment;
    const row = assessOne('2024-Q2', '600000', previous);
    expect(row.assessment.level).toBe('LV3');
    expect(formatInstant(row.assessment.effectiveFrom)).toBe('2024-07-02T00:00:00+08:00');
  });

  it('gives a merchant without orders in the quarter amount 0 and LV1', () => {
    const row = assessOne('2024-Q3', '0', undefined);
    expect(row.assessment.level).toBe('LV1');
    expect(row.assessment.amountUsd.isZero()).toBe(true);
  });

  it('assesses every merchant it is given, in the order given', () => {
    const programme = programmeOf(SHIPPED);
    const rows = assessQuarter({
      rulebook: SHIPPED,
      programme,
      quarter: '2024-Q2',
      effectiveAt: at('2024-07-02T00:00:00+08:00'),
      amounts: [
        { merchantId: 'M-B', amountUsd: dec('3000000'), orderCount: 3 },
        { merchantId: 'M-A', amountUsd: dec('199999.99'), orderCount: 1 },
      ],
      previous: new Map(),
      isRiskFlagged: () => false,
    });
    expect(rows.map((r) => [r.assessment.merchantId, r.assessment.level])).toEqual([
      ['M-B', 'LV5'],
      ['M-A', 'LV1'],
    ]);
  });
});

describe('the jump rebate (SPEC §6)', () => {
  it('pays the announcement example: (800,000 − 100,000) × 0.005 = 3,500.00 CNY, LV1 → LV3', () => {
    const previous = assessOne('2024-Q1', '100000', undefined).assessment;
    const rebate = rebateOf(assessOne('2024-Q2', '800000', previous));
    expect(rebate.fromLevel).toBe('LV1');
    expect(rebate.toLevel).toBe('LV3');
    expect(rebate.increaseUsd.toFixed(2)).toBe('700000.00');
    expect(rebate.rebateCny.toFixed(2)).toBe('3500.00');
    expect(rebate.status).toBe('issued');
    expect(rebate.reason).toBeNull();
    expect(rebate.explanation.en).toContain('3,500.00 CNY');
  });

  it.each([
    ['2024-Q1', '199999', '200000', '0.01', '1 USD × 0.005 = 0.005 rounds half-up'],
    ['2024-Q1', '199995', '200000', '0.03', '5 USD × 0.005 = 0.025 rounds half-up, not to even'],
    ['2024-Q1', '199999.99', '200000', '0.00', '0.01 USD × 0.005 = 0.00005 rounds down'],
    [
      '2024-Q3',
      '999999.99',
      '3000000',
      '10000.00',
      'LV3 → LV5: 2,000,000.01 × 0.005 = 10,000.00005',
    ],
    ['2024-Q4', '0', '1000000', '5000.00', 'LV1 with nothing → LV4'],
  ])('after %s at %s USD, pays %s USD → %s CNY (%s)', (quarter, before, now, rebateCny) => {
    const previous = assessOne(quarter, before, undefined).assessment;
    const next = quarter === '2024-Q1' ? '2024-Q2' : quarter === '2024-Q3' ? '2024-Q4' : '2025-Q1';
    const rebate = rebateOf(assessOne(next, now, previous));
    expect(rebate.rebateCny.toFixed(2)).toBe(rebateCny);
  });

  it.each([
    ['LV3 → LV3 although the amount rose', '600000', '900000'],
    ['LV4 → LV2', '1500000', '300000'],
    ['LV1 → LV1', '100000', '199999.99'],
    ['LV5 → LV5', '3000000', '9000000'],
  ])('pays nothing when the level is not higher: %s', (_name, before, now) => {
    const previous = assessOne('2024-Q2', before, undefined).assessment;
    expect(assessOne('2024-Q3', now, previous).rebate).toBeNull();
  });

  it('pays nothing at the first assessment, 2024-04-02 (from 2024-Q1 amounts)', () => {
    const previous = assessment({
      quarter: '2023-Q4',
      level: 'LV1',
      amountUsd: '100000',
      effectiveFrom: '2024-01-02T00:00:00+08:00',
    });
    expect(assessOne('2024-Q1', '800000', previous).rebate).toBeNull();
    expect(assessOne('2024-Q1', '800000', undefined).rebate).toBeNull();
  });

  it('pays at the last assessment, 2025-04-02 (from 2025-Q1 amounts)', () => {
    const previous = assessOne('2024-Q4', '100000', undefined).assessment;
    const row = assessOne('2025-Q1', '800000', previous);
    expect(formatInstant(row.assessment.effectiveFrom)).toBe('2025-04-02T00:00:00+08:00');
    expect(rebateOf(row).rebateCny.toFixed(2)).toBe('3500.00');
  });

  it('pays nothing for a quarter after the rebate window (2025-Q2)', () => {
    const previous = assessOne('2025-Q1', '100000', undefined).assessment;
    expect(assessOne('2025-Q2', '800000', previous).rebate).toBeNull();
  });

  it('takes a newcomer to have held LV1 with 0 USD (D8): 250,000 × 0.005 = 1,250.00', () => {
    const rebate = rebateOf(assessOne('2024-Q2', '250000', undefined));
    expect([rebate.fromLevel, rebate.toLevel]).toEqual(['LV1', 'LV2']);
    expect(rebate.increaseUsd.toFixed(2)).toBe('250000.00');
    expect(rebate.rebateCny.toFixed(2)).toBe('1250.00');
  });

  it('pays a newcomer that stays at LV1 nothing', () => {
    expect(assessOne('2024-Q2', '150000', undefined).rebate).toBeNull();
  });

  it('reads D8 from the rulebook: no held level means no newcomer rebate', () => {
    const doc = shippedDocument();
    const programme = doc.programmes['3+N'];
    if (programme) programme.jumpRebate.newcomerHeldLevel = null;
    expect(assessOne('2024-Q2', '800000', undefined, { rulebook: compile(doc) }).rebate).toBeNull();
  });

  it('reads D8 from the rulebook: a newcomer held LV2 jumps only from LV3 on', () => {
    const doc = shippedDocument();
    const programme = doc.programmes['3+N'];
    if (programme) programme.jumpRebate.newcomerHeldLevel = 'LV2';
    const rulebook = compile(doc);
    expect(assessOne('2024-Q2', '300000', undefined, { rulebook }).rebate).toBeNull();
    // (600,000 − 0) × 0.005 = 3,000.00, from LV2.
    const rebate = rebateOf(assessOne('2024-Q2', '600000', undefined, { rulebook }));
    expect([rebate.fromLevel, rebate.rebateCny.toFixed(2)]).toEqual(['LV2', '3000.00']);
  });

  it('is never negative when the level rises while the amount falls', () => {
    // A stricter rulebook of the test's own froze 900,000 USD as LV1; the shipped
    // one then gives 600,000 USD LV3. The jump pays (600,000 − 900,000) → 0.
    const strict = shippedDocument();
    const programme = strict.programmes['3+N'];
    if (!programme) throw new Error('no 3+N programme');
    programme.levels = [
      { level: 'LV1', fromUsd: '0' },
      { level: 'LV2', fromUsd: '2000000' },
      { level: 'LV3', fromUsd: '5000000' },
      { level: 'LV4', fromUsd: '10000000' },
      { level: 'LV5', fromUsd: '30000000' },
    ];
    const previous = assessOne('2024-Q1', '900000', undefined, { rulebook: compile(strict) });
    expect(previous.assessment.level).toBe('LV1');

    const rebate = rebateOf(assessOne('2024-Q2', '600000', previous.assessment));
    expect([rebate.fromLevel, rebate.toLevel]).toEqual(['LV1', 'LV3']);
    expect(rebate.increaseUsd.isZero()).toBe(true);
    expect(rebate.rebateCny.toFixed(2)).toBe('0.00');
    expect(rebate.rebateCny.isNegative()).toBe(false);
  });

  it('uses the frozen previous amount, not a recount', () => {
    // The previous assessment froze 100,000 USD; whatever happened to those
    // orders later, the increase is measured from it.
    const previous = assessment({
      quarter: '2024-Q1',
      level: 'LV1',
      amountUsd: '100000',
      effectiveFrom: '2024-04-02T00:00:00+08:00',
    });
    expect(rebateOf(assessOne('2024-Q2', '800000', previous)).increaseUsd.toFixed(2)).toBe(
      '700000.00',
    );
  });
});

describe('a jump of a merchant risk-flagged at the assessment instant is suppressed (D10)', () => {
  const effective = '2024-07-02T00:00:00+08:00';

  it.each<[string, RiskFlag, 'issued' | 'suppressed']>([
    ['a flag from the assessment instant on', { from: at(effective), to: null }, 'suppressed'],
    [
      'a flag over the instant',
      { from: at('2024-06-01T00:00:00+08:00'), to: at('2024-08-01T00:00:00+08:00') },
      'suppressed',
    ],
    [
      'a flag that ended at the instant',
      { from: at('2024-06-01T00:00:00+08:00'), to: at(effective) },
      'issued',
    ],
    ['a flag from one millisecond later', { from: at(effective) + 1, to: null }, 'issued'],
  ])('%s: %s', (_name, flag, status) => {
    const flagged = merchant({ riskFlags: [flag] });
    const previous = assessOne('2024-Q1', '100000', undefined).assessment;
    const programme = programmeOf(SHIPPED);
    const [row] = assessQuarter({
      rulebook: SHIPPED,
      programme,
      quarter: '2024-Q2',
      effectiveAt: at(effective),
      amounts: [{ merchantId: 'M-1', amountUsd: dec('800000'), orderCount: 1 }],
      previous: new Map([['M-1', previous]]),
      isRiskFlagged: () => isRiskFlagged(flagged, at(effective)),
    });
    const rebate = row?.rebate;
    expect(rebate?.status).toBe(status);
    expect(rebate?.reason).toBe(status === 'suppressed' ? 'risk' : null);
    // A suppressed rebate is reported with the amount it would have paid.
    expect(rebate?.rebateCny.toFixed(2)).toBe('3500.00');
  });

  it('keeps the level of a flagged merchant', () => {
    const previous = assessOne('2024-Q1', '100000', undefined).assessment;
    const row = assessOne('2024-Q2', '800000', previous, { flagged: true });
    expect(row.assessment.level).toBe('LV3');
    expect(rebateOf(row).explanation.en).toContain('suppressed');
  });
});
