import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile, order, SHIPPED, shippedDocument } from '../test-support/core.js';
import { explainFeeQuote, type FeeOutcome, type FeeQuote, quoteFee } from './fee.js';
import type { Order } from './model.js';
import { dec, roundFenHalfUp } from './money.js';
import type { Rulebook } from './rulebook/rulebook.js';
import type { RulebookDocument } from './rulebook/schema.js';

const AUGUST = '2024-08-15T10:00:00+08:00';

function quote(
  facts: Order,
  level: string,
  options: { riskFlagged?: boolean; monthOrderIndex?: number; rulebook?: Rulebook } = {},
): FeeOutcome {
  return quoteFee({
    order: facts,
    level,
    riskFlagged: options.riskFlagged ?? false,
    monthOrderIndex: options.monthOrderIndex ?? 1,
    rulebook: options.rulebook ?? SHIPPED,
  });
}

function ok(outcome: FeeOutcome): FeeQuote {
  if (!outcome.ok)
    throw new Error(`expected a fee, got ${outcome.error.code}: ${outcome.error.message}`);
  return outcome.quote;
}

function money(q: FeeQuote): [string, string, string] {
  return [q.netCny.toFixed(2), q.vatCny.toFixed(2), q.grossCny.toFixed(2)];
}

describe('basic service fee by level, from 2024-07-08 (SPEC §5)', () => {
  // usdCny 7.0000 throughout: amount × 7 × 1.5% = amount × 0.105 before the discount.
  it.each([
    [
      'charges the LV5 minimum when the discounted fee is below 90 CNY',
      'LV5',
      '1000',
      '90.00',
      'min',
    ],
    [
      'charges the LV5 fee between its bounds: 4,000 × 0.105 × 45% = 189.00',
      'LV5',
      '4000',
      '189.00',
      null,
    ],
    ['caps LV5 at 270 CNY: 10,000 × 0.105 × 45% = 472.50', 'LV5', '10000', '270.00', 'max'],
    ['charges the LV4 minimum: 1,000 × 0.105 × 65% = 68.25 < 130', 'LV4', '1000', '130.00', 'min'],
    [
      'charges the LV4 fee between its bounds: 4,000 × 0.105 × 65% = 273.00',
      'LV4',
      '4000',
      '273.00',
      null,
    ],
    ['caps LV4 at 390 CNY: 10,000 × 0.105 × 65% = 682.50', 'LV4', '10000', '390.00', 'max'],
    ['charges the LV3 minimum: 1,000 × 0.105 × 80% = 84.00 < 160', 'LV3', '1000', '160.00', 'min'],
    [
      'charges the LV3 fee between its bounds: 4,000 × 0.105 × 80% = 336.00',
      'LV3',
      '4000',
      '336.00',
      null,
    ],
    ['caps LV3 at 480 CNY: 10,000 × 0.105 × 80% = 840.00', 'LV3', '10000', '480.00', 'max'],
    [
      'charges the LV2 standard minimum: 1,000 × 0.105 = 105 < 200 (D2)',
      'LV2',
      '1000',
      '200.00',
      'min',
    ],
    ['charges LV2 the standard fee: 4,000 × 0.105 = 420.00 (D2)', 'LV2', '4000', '420.00', null],
    [
      'caps LV2 at the standard 600 CNY: 10,000 × 0.105 = 1,050 (D2)',
      'LV2',
      '10000',
      '600.00',
      'max',
    ],
    ['charges the LV1 standard minimum (D2)', 'LV1', '1000', '200.00', 'min'],
    ['charges LV1 the standard fee (D2)', 'LV1', '4000', '420.00', null],
    ['caps LV1 at the standard 600 CNY (D2)', 'LV1', '10000', '600.00', 'max'],
  ])('%s', (_name, level, amountUsd, netCny, clamp) => {
    const q = ok(quote(order({ amountUsd, clearedAt: AUGUST, usdCny: '7.0000' }), level));
    expect(q.netCny.toFixed(2)).toBe(netCny);
    expect(q.clamp).toBe(clamp);
    expect(q.level).toBe(level);
  });

  it.each([
    ['LV5', '90.00', '5.40', '95.40'],
    ['LV4', '130.00', '7.80', '137.80'],
    ['LV3', '160.00', '9.60', '169.60'],
    ['LV2', '200.00', '12.00', '212.00'],
  ])(
    'puts the %s minimum before VAT: %s net + %s VAT = %s gross (D4)',
    (level, net, vat, gross) => {
      const q = ok(quote(order({ amountUsd: '1', clearedAt: AUGUST, usdCny: '7.0000' }), level));
      expect(money(q)).toEqual([net, vat, gross]);
    },
  );

  it.each([
    ['LV5', '270.00', '16.20', '286.20'],
    ['LV4', '390.00', '23.40', '413.40'],
    ['LV3', '480.00', '28.80', '508.80'],
    ['LV1', '600.00', '36.00', '636.00'],
  ])(
    'puts the %s maximum before VAT: %s net + %s VAT = %s gross (D4)',
    (level, net, vat, gross) => {
      const q = ok(
        quote(order({ amountUsd: '50000', clearedAt: AUGUST, usdCny: '7.0000' }), level),
      );
      expect(money(q)).toEqual([net, vat, gross]);
    },
  );

  it('prices the SPEC example: 10,000 × 7.1000 × 1.5% × 45% = 479.25, above the LV5 max', () => {
    const example = order({ amountUsd: '10000.00', clearedAt: AUGUST, usdCny: '7.1000' });
    const q = ok(quote(example, 'LV5'));
    expect(q.unclampedCny.toFixed(2)).toBe('479.25');
    expect(money(q)).toEqual(['270.00', '16.20', '286.20']);
    expect(explainFeeQuote(q, example, 'x@1').en).toContain(
      '10,000.00 USD × 7.1000 × 1.5% × 45% = 479.25 CNY',
    );
    expect(explainFeeQuote(q, example, 'x@1').en).toContain('above the LV5 maximum, so 270.00 CNY');
  });

  it('prices SPEC example O-3: 10,000 × 7.1000 × 1.5% × 80% = 852.00, so 480.00 + 28.80', () => {
    const q = ok(
      quote(order({ amountUsd: '10000.00', clearedAt: AUGUST, usdCny: '7.1000' }), 'LV3'),
    );
    expect(money(q)).toEqual(['480.00', '28.80', '508.80']);
  });

  // usdCny 8: LV5 pays amount × 8 × 1.5% × 45% = amount × 0.054.
  it.each([
    [
      'charges exactly the LV5 maximum without clamping: 5,000 × 0.054 = 270',
      '5000',
      '270.00',
      null,
    ],
    [
      'clamps one cent above the LV5 maximum: 5,000.01 × 0.054 = 270.00054',
      '5000.01',
      '270.00',
      'max',
    ],
    ['clamps just below the LV5 minimum: 1,666.66 × 0.054 = 89.99964', '1666.66', '90.00', 'min'],
    [
      'does not clamp just above the LV5 minimum: 1,666.67 × 0.054 = 90.00018',
      '1666.67',
      '90.00',
      null,
    ],
  ])('%s', (_name, amountUsd, netCny, clamp) => {
    const q = ok(quote(order({ amountUsd, clearedAt: AUGUST, usdCny: '8' }), 'LV5'));
    expect(q.netCny.toFixed(2)).toBe(netCny);
    expect(q.clamp).toBe(clamp);
  });

  it('rounds the fee half-up: 2,001 × 7 × 1.5% = 210.105 → 210.11; VAT 12.6066 → 12.61', () => {
    const q = ok(quote(order({ amountUsd: '2001', clearedAt: AUGUST, usdCny: '7' }), 'LV1'));
    expect(money(q)).toEqual(['210.11', '12.61', '222.72']);
  });

  it.each([
    ['1950', '204.75', '12.29', '217.04', '204.75 × 6% = 12.285'],
    ['3250', '341.25', '20.48', '361.73', '341.25 × 6% = 20.475'],
  ])(
    'rounds each line’s VAT half-up: %s USD → %s net, VAT %s, gross %s (%s)',
    (amountUsd, net, vat, gross) => {
      const q = ok(quote(order({ amountUsd, clearedAt: AUGUST, usdCny: '7.0000' }), 'LV1'));
      expect(money(q)).toEqual([net, vat, gross]);
    },
  );

  it('gives LV1 and LV2 the standard band and LV3–LV5 their own', () => {
    const facts = order({ amountUsd: '4000', clearedAt: AUGUST, usdCny: '7' });
    expect(ok(quote(facts, 'LV1')).band).toBe('standard');
    expect(ok(quote(facts, 'LV2')).band).toBe('standard');
    expect(ok(quote(facts, 'LV3')).band).toBe('level');
  });
});

describe('a risk-flagged merchant pays the standard fee but keeps its level name', () => {
  it.each([
    ['LV5', '4000', '420.00', '4,000 × 0.105 = 420.00 instead of 189.00'],
    ['LV5', '1000', '200.00', 'the standard minimum 200, not the LV5 90'],
    ['LV3', '10000', '600.00', 'the standard maximum 600, not the LV3 480'],
    ['LV4', '4000', '420.00', '420.00 instead of 273.00'],
  ])('%s merchant, %s USD pays %s (%s)', (level, amountUsd, netCny) => {
    const facts = order({ amountUsd, clearedAt: AUGUST, usdCny: '7.0000' });
    const q = ok(quote(facts, level, { riskFlagged: true }));
    expect(q.netCny.toFixed(2)).toBe(netCny);
    expect(q.level).toBe(level);
    expect(q.band).toBe('risk');
  });
});

describe('the fee rule covers 2024-07-08 00:00 +08:00 up to 2025-04-01 00:00 +08:00 (D12)', () => {
  it.each([
    ['2024-07-07T23:59:59.999+08:00', '2024-07-07'],
    ['2024-07-07T15:59:59Z', '2024-07-07'],
    ['2024-05-20T10:00:00+08:00', '2024-05-20'],
    ['2025-04-01T00:00:00+08:00', '2025-04-01'],
    ['2025-03-31T16:00:00Z', '2025-04-01'],
    ['2025-06-01T10:00:00+08:00', '2025-06-01'],
  ])('refuses an order cleared at %s with NO_FEE_RULE naming %s', (clearedAt, date) => {
    const outcome = quote(order({ amountUsd: '4000', clearedAt, usdCny: '7' }), 'LV3');
    if (outcome.ok) throw new Error('an order outside the rule was priced');
    expect(outcome.error.code).toBe('NO_FEE_RULE');
    expect(outcome.error.message).toContain(date);
  });

  it.each([
    ['2024-07-08T00:00:00+08:00'],
    ['2024-07-07T16:00:00Z'],
    ['2024-07-08'],
    ['2025-03-31T23:59:59.999+08:00'],
    ['2025-03-31T15:59:59Z'],
  ])('prices an order cleared at %s: 4,000 × 0.105 × 80% = 336.00', (clearedAt) => {
    const q = ok(quote(order({ amountUsd: '4000', clearedAt, usdCny: '7' }), 'LV3'));
    expect(q.netCny.toFixed(2)).toBe('336.00');
  });

  it('refuses a 2+N order, which the shipped rulebook has no rule for, naming the date', () => {
    const outcome = quote(
      order({ service: '2+N', amountUsd: '4000', clearedAt: AUGUST, usdCny: '7' }),
      'LV3',
    );
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.error.code).toBe('NO_FEE_RULE');
    expect(outcome.error.message).toContain('2024-08-15');
    expect(outcome.error.message).toContain('2+N');
  });
});

function withMonthlyRates(rates: Record<string, string>): Rulebook {
  const doc = shippedDocument();
  doc.fees.monthlyUsdCny = rates;
  return compile(doc);
}

describe('the USD/CNY rate: the order’s own, else the monthly rate, else NO_FX_RATE (D3)', () => {
  it('refuses an order without usdCny and no monthly rate, naming order and month', () => {
    const outcome = quote(order({ id: 'O-77', amountUsd: '4000', clearedAt: AUGUST }), 'LV3');
    if (outcome.ok) throw new Error('priced without a rate');
    expect(outcome.error.code).toBe('NO_FX_RATE');
    expect(outcome.error.message).toContain('O-77');
    expect(outcome.error.message).toContain('2024-08');
  });

  it('refuses an order when only another month has a rate', () => {
    const rulebook = withMonthlyRates({ '2024-07': '7.1' });
    const outcome = quote(order({ amountUsd: '4000', clearedAt: AUGUST }), 'LV3', { rulebook });
    expect(outcome.ok ? null : outcome.error.code).toBe('NO_FX_RATE');
  });

  it('uses the monthly rate: 4,000 × 7.1 × 1.5% × 80% = 340.80', () => {
    const rulebook = withMonthlyRates({ '2024-08': '7.1000' });
    const q = ok(quote(order({ amountUsd: '4000', clearedAt: AUGUST }), 'LV3', { rulebook }));
    expect(q.netCny.toFixed(2)).toBe('340.80');
    expect(q.usdCnySource).toBe('monthly');
  });

  it('prefers the order’s own rate: 4,000 × 7 × 1.5% × 80% = 336.00', () => {
    const rulebook = withMonthlyRates({ '2024-08': '7.1000' });
    const facts = order({ amountUsd: '4000', clearedAt: AUGUST, usdCny: '7' });
    const q = ok(quote(facts, 'LV3', { rulebook }));
    expect(q.netCny.toFixed(2)).toBe('336.00');
    expect(q.usdCnySource).toBe('order');
  });

  it('takes the month of clearance in Shanghai: 2024-07-31T16:30Z is August', () => {
    const rulebook = withMonthlyRates({ '2024-07': '6.9', '2024-08': '7.1' });
    const facts = order({ amountUsd: '4000', clearedAt: '2024-07-31T16:30:00Z' });
    // 4,000 × 7.1 × 1.5% × 80% = 340.80; July's 6.9 would give 331.20.
    expect(ok(quote(facts, 'LV3', { rulebook })).netCny.toFixed(2)).toBe('340.80');
  });
});

/**
 * A rulebook of the tests' own for the legacy monthly-order-count ladder (the
 * announcement gives no numbers): from the 11th order of the month 90%, from
 * the 51st 80%; LV5 has a ladder of its own, 70% from the first order.
 */
function legacyRulebook(): Rulebook {
  const doc: RulebookDocument = shippedDocument();
  doc.fees.rules.push({
    type: 'monthly-order-count',
    service: '3+N',
    from: '2024-04-02T00:00:00+08:00',
    until: '2024-07-08T00:00:00+08:00',
    baseRate: '0.015',
    minCny: '200',
    maxCny: '600',
    steps: [
      { fromOrder: 1, discount: '1' },
      { fromOrder: 11, discount: '0.9' },
      { fromOrder: 51, discount: '0.8' },
    ],
    levelSteps: { LV5: [{ fromOrder: 1, discount: '0.7' }] },
  });
  return compile(doc);
}

describe('the legacy monthly-order-count ladder, before 2024-07-08 (SPEC §5)', () => {
  const rulebook = legacyRulebook();
  const MAY = '2024-05-20T10:00:00+08:00';

  // usdCny 7: amount × 0.105 × step discount; min 200 and max 600 scale by it too.
  it.each([
    ['charges the first order of the month undiscounted', 'LV1', 1, '4000', '420.00', '200', '600'],
    ['charges the 10th order undiscounted', 'LV2', 10, '4000', '420.00', '200', '600'],
    ['discounts the 11th order 90%: 420 × 0.9 = 378.00', 'LV1', 11, '4000', '378.00', '180', '540'],
    ['scales the minimum: 94.50 < 200 × 0.9 = 180', 'LV1', 11, '1000', '180.00', '180', '540'],
    ['scales the maximum: 945 > 600 × 0.9 = 540', 'LV1', 11, '10000', '540.00', '180', '540'],
    ['discounts the 51st order 80%: 336.00', 'LV3', 51, '4000', '336.00', '160', '480'],
    ['scales the 80% maximum: 840 > 480', 'LV3', 51, '10000', '480.00', '160', '480'],
    ['scales the 80% minimum: 84 < 160', 'LV4', 200, '1000', '160.00', '160', '480'],
    [
      'uses LV5’s own steps from its first order: 420 × 0.7 = 294.00',
      'LV5',
      1,
      '4000',
      '294.00',
      '140',
      '420',
    ],
    ['keeps LV5 on its own steps at the 60th order', 'LV5', 60, '4000', '294.00', '140', '420'],
    ['scales LV5’s minimum: 73.50 < 140', 'LV5', 1, '1000', '140.00', '140', '420'],
    ['scales LV5’s maximum: 735 > 420', 'LV5', 1, '10000', '420.00', '140', '420'],
  ])('%s', (_name, level, index, amountUsd, netCny, minCny, maxCny) => {
    const facts = order({ amountUsd, clearedAt: MAY, usdCny: '7' });
    const q = ok(quote(facts, level, { rulebook, monthOrderIndex: index }));
    expect(q.ruleType).toBe('monthly-order-count');
    expect(q.netCny.toFixed(2)).toBe(netCny);
    expect(q.minCny.eq(dec(minCny))).toBe(true);
    expect(q.maxCny.eq(dec(maxCny))).toBe(true);
    expect(q.monthOrderIndex).toBe(index);
  });

  it('gives a risk-flagged merchant no ladder discount: 4,000 × 0.105 = 420.00', () => {
    const facts = order({ amountUsd: '4000', clearedAt: MAY, usdCny: '7' });
    const q = ok(quote(facts, 'LV5', { rulebook, monthOrderIndex: 51, riskFlagged: true }));
    expect(q.netCny.toFixed(2)).toBe('420.00');
    expect(q.band).toBe('risk');
  });

  it('hands over to the level discount at 2024-07-08 00:00 +08:00', () => {
    const before = order({
      amountUsd: '4000',
      clearedAt: '2024-07-07T23:59:59+08:00',
      usdCny: '7',
    });
    const after = order({ amountUsd: '4000', clearedAt: '2024-07-08T00:00:00+08:00', usdCny: '7' });
    // Before: LV5's own ladder, 420 × 0.7 = 294.00. After: 420 × 45% = 189.00.
    const legacy = ok(quote(before, 'LV5', { rulebook }));
    const current = ok(quote(after, 'LV5', { rulebook }));
    expect([legacy.ruleType, legacy.netCny.toFixed(2)]).toEqual(['monthly-order-count', '294.00']);
    expect([current.ruleType, current.netCny.toFixed(2)]).toEqual(['level-discount', '189.00']);
  });

  it('refuses an order cleared before the ladder began on 2024-04-02, naming the date', () => {
    const facts = order({ amountUsd: '4000', clearedAt: '2024-04-01T23:59:59+08:00', usdCny: '7' });
    const outcome = quote(facts, 'LV1', { rulebook });
    if (outcome.ok) throw new Error('priced before any rule');
    expect(outcome.error.code).toBe('NO_FEE_RULE');
    expect(outcome.error.message).toContain('2024-04-01');
  });
});

describe('quoteFee properties', () => {
  const levels = ['LV1', 'LV2', 'LV3', 'LV4', 'LV5'] as const;
  const bands: Record<string, [string, string, string]> = {
    LV1: ['1', '200', '600'],
    LV2: ['1', '200', '600'],
    LV3: ['0.80', '160', '480'],
    LV4: ['0.65', '130', '390'],
    LV5: ['0.45', '90', '270'],
  };
  const cents = fc.oneof(
    fc.bigInt({ min: 1n, max: 200n }),
    fc.bigInt({ min: 100_000n, max: 1_200_000n }),
    fc.bigInt({ min: 1n, max: 10n ** 12n }),
  );
  const rateUnits = fc.oneof(
    fc.bigInt({ min: 60_000n, max: 80_000n }),
    fc.bigInt({ min: 1n, max: 10n ** 6n }),
  );
  const text = (units: bigint, scale: number) => {
    const digits = units.toString().padStart(scale + 1, '0');
    return `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  };

  it('keeps net within the band, to the fen, with gross = net + 6% VAT half-up', () => {
    fc.assert(
      fc.property(
        cents,
        rateUnits,
        fc.constantFrom(...levels),
        fc.boolean(),
        (amountCents, rate, level, riskFlagged) => {
          const amountUsd = text(amountCents, 2);
          const usdCny = text(rate, 4);
          const facts = order({ amountUsd, clearedAt: AUGUST, usdCny });
          const q = ok(quote(facts, level, { riskFlagged }));
          const [discount, min, max] = bands[riskFlagged ? 'LV1' : level] ?? ['1', '200', '600'];

          expect(q.netCny.decimalPlaces()).toBeLessThanOrEqual(2);
          expect(q.netCny.gte(dec(min)) && q.netCny.lte(dec(max))).toBe(true);
          expect(q.vatCny.eq(roundFenHalfUp(q.netCny.times('0.06')))).toBe(true);
          expect(q.grossCny.eq(q.netCny.plus(q.vatCny))).toBe(true);

          const raw = dec(amountUsd).times(usdCny).times('0.015').times(discount);
          const expected = raw.lt(min) ? dec(min) : raw.gt(max) ? dec(max) : roundFenHalfUp(raw);
          expect(q.netCny.toFixed(2)).toBe(expected.toFixed(2));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
