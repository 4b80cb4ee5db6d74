import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Random } from './random.js';
import { formatCents, formatPips, splitCents } from './units.js';

describe('formatCents and formatPips', () => {
  it.each([
    [0, '0.00'],
    [5, '0.05'],
    [50_000, '500.00'],
    [20_000_000, '200000.00'],
    [1_234_567, '12345.67'],
  ])('prints %i cents as %s', (cents, text) => {
    expect(formatCents(cents)).toBe(text);
  });

  it.each([
    [72_120, '7.2120'],
    [70_005, '7.0005'],
    [91_500, '9.1500'],
  ])('prints %i pips as %s', (pips, text) => {
    expect(formatPips(pips)).toBe(text);
  });

  it('refuses negative amounts, rates of zero and fractions of a cent', () => {
    expect(() => formatCents(-1)).toThrow(RangeError);
    expect(() => formatCents(1.5)).toThrow();
    expect(() => formatPips(0)).toThrow(RangeError);
  });
});

describe('splitCents', () => {
  const MIN = 50_000;
  const MAX = 20_000_000;

  it('splits any feasible total exactly, every part within the bounds', () => {
    const feasible = fc
      .tuple(fc.integer({ min: 1, max: 400 }), fc.double({ min: 0, max: 1, noNaN: true }))
      .map(([count, position]) => {
        const total = count * MIN + Math.floor(position * count * (MAX - MIN));
        return { count, total };
      });

    fc.assert(
      fc.property(feasible, fc.nat(), ({ count, total }, seed) => {
        const parts = splitCents(total, count, MIN, MAX, new Random(seed));

        expect(parts).toHaveLength(count);
        expect(parts.reduce((sum, part) => sum + part, 0)).toBe(total);
        expect(parts.every((part) => Number.isInteger(part) && part >= MIN && part <= MAX)).toBe(
          true,
        );
      }),
    );
  });

  it('fills every part to the maximum when the total is exactly count × max', () => {
    expect(splitCents(3 * MAX, 3, MIN, MAX, new Random(1))).toEqual([MAX, MAX, MAX]);
  });

  it('refuses a total that the parts cannot hold', () => {
    expect(() => splitCents(MIN - 1, 1, MIN, MAX, new Random(1))).toThrow(RangeError);
    expect(() => splitCents(2 * MAX + 1, 2, MIN, MAX, new Random(1))).toThrow(RangeError);
  });
});

describe('Random', () => {
  it('repeats its stream for the same seed and keys, and differs for other keys', () => {
    const draw = (random: Random): number[] => Array.from({ length: 8 }, () => random.uint32());

    expect(draw(new Random(7, 1, 2))).toEqual(draw(new Random(7, 1, 2)));
    expect(draw(new Random(7, 1, 2))).not.toEqual(draw(new Random(7, 2, 1)));
    expect(draw(new Random(7))).not.toEqual(draw(new Random(2 ** 40 + 7)));
  });

  it('draws integers inside their range, both ends reachable', () => {
    const random = new Random(3);
    const seen = new Set(Array.from({ length: 200 }, () => random.int(-2, 2)));

    expect([...seen].sort((a, b) => a - b)).toEqual([-2, -1, 0, 1, 2]);
  });
});
