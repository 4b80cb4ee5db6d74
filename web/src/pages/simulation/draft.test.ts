import { describe, expect, it } from 'vitest';
import {
  absDecimal,
  compareDecimal,
  effectiveFromOf,
  isZeroDecimal,
  subtractDecimal,
  thresholdsOf,
  withEffectiveFrom,
  withThreshold,
} from './draft';

const DRAFT = JSON.stringify({
  id: '3n-2024-07',
  programmes: {
    '3+N': {
      levels: [
        { level: 'LV1', fromUsd: '0' },
        { level: 'LV2', fromUsd: '200000' },
        { level: 'LV3', fromUsd: '500000' },
      ],
    },
  },
});

describe('the thresholds of a draft', () => {
  it('reads the 3+N levels and writes one back, leaving the rest as it was', () => {
    const changed = withThreshold(DRAFT, 2, '400000');

    expect(thresholdsOf(DRAFT)?.map((t) => t.fromUsd)).toEqual(['0', '200000', '500000']);
    expect(thresholdsOf(changed)?.map((t) => t.fromUsd)).toEqual(['0', '200000', '400000']);
    expect(JSON.parse(changed).id).toBe('3n-2024-07');
  });

  it('reads and replaces the instant the draft applies from', () => {
    const changed = withEffectiveFrom(DRAFT, '2024-04-01T00:00:00+08:00');

    expect(effectiveFromOf(DRAFT)).toBeNull();
    expect(effectiveFromOf(changed)).toBe('2024-04-01T00:00:00+08:00');
    expect(thresholdsOf(changed)).toEqual(thresholdsOf(DRAFT));
    expect(withEffectiveFrom('{"id": ', 'x')).toBe('{"id": ');
  });

  it.each([
    ['text that is not JSON', '{"id": '],
    ['a document without 3+N', '{"programmes": {}}'],
    ['an array', '[]'],
  ])('finds none in %s, and changes nothing', (_what, text) => {
    expect(thresholdsOf(text)).toBeNull();
    expect(withThreshold(text, 0, '1')).toBe(text);
  });
});

describe('decimal strings', () => {
  it.each([
    ['480.00', '600.00', '-120.00'],
    ['600.00', '480.00', '120.00'],
    ['0.00', '0.00', '0.00'],
    ['1750', '1750.00', '0.00'],
    ['0.1', '0.25', '-0.15'],
    ['12345678901234567890.01', '0.02', '12345678901234567889.99'],
    ['-5.00', '-7.50', '2.50'],
    ['abc', '1.00', '—'],
  ])('%s − %s = %s', (a, b, difference) => {
    expect(subtractDecimal(a, b)).toBe(difference);
  });

  it('orders by value, not by text', () => {
    const sorted = ['10.00', '-120.00', '9.50', '0.00', '-9.99'].sort(compareDecimal);

    expect(sorted).toEqual(['-120.00', '-9.99', '0.00', '9.50', '10.00']);
  });

  it('knows zero in any spelling and the size of a negative amount', () => {
    expect(['0', '0.00', '-0.00', '0.01'].map(isZeroDecimal)).toEqual([true, true, true, false]);
    expect(absDecimal('-120.00')).toBe('120.00');
  });
});
