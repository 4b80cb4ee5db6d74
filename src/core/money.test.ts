import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  dec,
  formatAmount,
  formatFen,
  formatRate,
  isNonNegativeDecimal,
  isPositiveDecimal,
  roundFenHalfUp,
} from './money.js';

describe('roundFenHalfUp', () => {
  // Each expected value is the input cut to two decimals, plus one fen when the
  // digits cut off are half a fen or more. A float `toFixed(2)` gets the first
  // two wrong (2.67, 1.00), and half-even would print 2.66 for 2.665.
  it.each([
    ['2.675', '2.68'],
    ['1.005', '1.01'],
    ['123.795', '123.80'],
    ['118.125', '118.13'],
    ['2.665', '2.67'],
    ['12.285', '12.29'],
    ['20.475', '20.48'],
    ['0.005', '0.01'],
    ['0.004999', '0.00'],
    ['99.995', '100.00'],
    ['99.9949', '99.99'],
    ['3500', '3500.00'],
    ['0', '0.00'],
  ])('rounds %s half-up to %s', (input, expected) => {
    expect(roundFenHalfUp(dec(input)).toFixed(2)).toBe(expected);
  });

  // Exact integer arithmetic in fen as the reference: n units at scale s is
  // n / 10^s CNY; half-up adds one fen when the remainder is at least half.
  function referenceHalfUp(units: bigint, scale: number): string {
    let fen: bigint;
    if (scale <= 2) {
      fen = units * 10n ** BigInt(2 - scale);
    } else {
      const divisor = 10n ** BigInt(scale - 2);
      fen = units / divisor;
      if ((units % divisor) * 2n >= divisor) fen += 1n;
    }
    return `${fen / 100n}.${(fen % 100n).toString().padStart(2, '0')}`;
  }

  function decimalText(units: bigint, scale: number): string {
    const digits = units.toString().padStart(scale + 1, '0');
    if (scale === 0) return digits;
    return `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  }

  const scale = fc.integer({ min: 0, max: 6 });
  const anyUnits = fc.bigInt({ min: 0n, max: 10n ** 16n });
  // Values that sit exactly on a half fen, or one unit either side of it.
  const nearHalf = fc
    .tuple(
      fc.bigInt({ min: 0n, max: 10n ** 10n }),
      fc.integer({ min: 3, max: 6 }),
      fc.integer({ min: -1, max: 1 }),
    )
    .map(([fen, s, nudge]) => {
      const half = 5n * 10n ** BigInt(s - 3);
      const units = fen * 10n ** BigInt(s - 2) + half + BigInt(nudge);
      return { units: units < 0n ? 0n : units, scale: s };
    });
  const decimals = fc.oneof(
    fc.record({ units: anyUnits, scale }),
    fc.record({ units: fc.constantFrom(0n, 1n, 4n, 5n, 6n, 995n, 1005n, 2675n), scale }),
    nearHalf,
  );

  it('agrees with exact integer half-up arithmetic on decimals with 0–6 decimals', () => {
    fc.assert(
      fc.property(decimals, ({ units, scale: s }) => {
        const rounded = roundFenHalfUp(dec(decimalText(units, s)));
        expect(rounded.decimalPlaces()).toBeLessThanOrEqual(2);
        expect(rounded.toFixed(2)).toBe(referenceHalfUp(units, s));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('formatFen', () => {
  it.each([
    ['12.3', '12.30'],
    ['480', '480.00'],
    ['0.01', '0.01'],
  ])('prints %s as %s', (input, expected) => {
    expect(formatFen(dec(input))).toBe(expected);
  });

  it('refuses to print an amount that was never rounded to the fen', () => {
    expect(() => formatFen(dec('1.005'))).toThrow(/not been rounded/);
  });
});

describe('formatAmount and formatRate keep every digit', () => {
  it.each([
    ['100000', '100000.00'],
    ['0.5', '0.50'],
    ['1234.567', '1234.567'],
  ])('formatAmount prints %s as %s', (input, expected) => {
    expect(formatAmount(dec(input))).toBe(expected);
  });

  it.each([
    ['7.212', '7.2120'],
    ['7', '7.0000'],
    ['7.21905', '7.21905'],
  ])('formatRate prints %s as %s', (input, expected) => {
    expect(formatRate(dec(input))).toBe(expected);
  });
});

describe('decimal strings at the boundary', () => {
  it.each([
    ['1200.50', true],
    ['0.01', true],
    ['1', true],
    ['0', false],
    ['0.00', false],
    ['-1', false],
    ['+1', false],
    ['1e3', false],
    ['.5', false],
    ['01', false],
    ['1,000', false],
    ['', false],
    [' 1', false],
  ])('isPositiveDecimal(%j) is %s', (text, expected) => {
    expect(isPositiveDecimal(text)).toBe(expected);
  });

  it.each([
    ['0', true],
    ['0.00', true],
    ['200000', true],
    ['-0.01', false],
    ['1e-2', false],
  ])('isNonNegativeDecimal(%j) is %s', (text, expected) => {
    expect(isNonNegativeDecimal(text)).toBe(expected);
  });
});
