import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { at } from '../test-support/core.js';
import {
  assessmentInstant,
  compareQuarters,
  dateOf,
  FIRST_STORABLE_INSTANT,
  formatInstant,
  formatInstantTemporal,
  instantProblem,
  LAST_STORABLE_INSTANT,
  monthOf,
  nextQuarter,
  parseInstant,
  previousQuarter,
  quarterEnd,
  quarterOf,
  quarterStart,
  quartersBetween,
} from './time.js';

describe('quarterOf reasons in Asia/Shanghai (UTC+8)', () => {
  it.each([
    ['2024-06-30T23:30:00+08:00', '2024-Q2', 'the last half hour of June in Shanghai'],
    ['2024-07-01T00:30:00+08:00', '2024-Q3', 'the first half hour of July in Shanghai'],
    ['2024-06-30T15:30:00Z', '2024-Q2', '23:30 Shanghai written in UTC'],
    ['2024-06-30T16:00:00Z', '2024-Q3', '00:00 on 1 July Shanghai written in UTC'],
    ['2024-12-31T16:00:00Z', '2025-Q1', 'new year in Shanghai while still 2024 in UTC'],
    ['2024-12-31T15:59:59Z', '2024-Q4', 'one second before the Shanghai new year'],
    ['2024-12-31T15:59:59.999z', '2024-Q4', 'a lower-case z offset'],
    ['2025-01-01T00:00:00+09:00', '2024-Q4', 'midnight in Tokyo is 23:00 in Shanghai'],
    ['2024-03-31T20:00:00-04:00', '2024-Q2', 'an evening in New York is the next morning'],
    ['2024-03-31T23:59:59.999+08:00', '2024-Q1', 'the last millisecond of Q1'],
    ['2024-04-01', '2024-Q2', 'a bare date is 00:00 Shanghai of that day'],
  ])('%s is in %s (%s)', (text, quarter) => {
    expect(quarterOf(at(text))).toBe(quarter);
  });
});

describe('monthOf and dateOf', () => {
  it.each([
    ['2024-07-31T16:00:00Z', '2024-08', '2024-08-01'],
    ['2024-07-31T15:59:59Z', '2024-07', '2024-07-31'],
    ['2024-07-07T16:00:00Z', '2024-07', '2024-07-08'],
    ['2025-03-31T23:59:59+08:00', '2025-03', '2025-03-31'],
  ])('%s falls in month %s on day %s in Shanghai', (text, month, date) => {
    expect(monthOf(at(text))).toBe(month);
    expect(dateOf(at(text))).toBe(date);
  });
});

describe('assessmentInstant: 00:00 Shanghai on the 2nd of the next quarter (D5)', () => {
  it.each([
    ['2024-Q1', 2, 0, '2024-04-02T00:00:00+08:00'],
    ['2024-Q2', 2, 0, '2024-07-02T00:00:00+08:00'],
    ['2024-Q4', 2, 0, '2025-01-02T00:00:00+08:00'],
    ['2025-Q1', 2, 0, '2025-04-02T00:00:00+08:00'],
    ['2024-Q2', 2, 9, '2024-07-02T09:00:00+08:00'],
    ['2024-Q2', 5, 0, '2024-07-05T00:00:00+08:00'],
  ])('assesses %s on day %i at %i:00 → %s', (quarter, day, hour, expected) => {
    expect(assessmentInstant(quarter, day, hour)).toBe(at(expected));
    expect(formatInstant(assessmentInstant(quarter, day, hour))).toBe(expected);
  });

  it('is 16:00 UTC on the 1st', () => {
    expect(assessmentInstant('2024-Q1', 2, 0)).toBe(at('2024-04-01T16:00:00Z'));
  });
});

describe('quarter arithmetic', () => {
  it.each([
    ['2024-Q1', '2024-Q2', '2023-Q4'],
    ['2024-Q4', '2025-Q1', '2024-Q3'],
    ['2025-Q1', '2025-Q2', '2024-Q4'],
  ])('%s is followed by %s and preceded by %s', (quarter, next, previous) => {
    expect(nextQuarter(quarter)).toBe(next);
    expect(previousQuarter(quarter)).toBe(previous);
  });

  it('orders quarters across a year', () => {
    expect(compareQuarters('2024-Q4', '2025-Q1')).toBeLessThan(0);
    expect(compareQuarters('2025-Q1', '2024-Q4')).toBeGreaterThan(0);
    expect(compareQuarters('2024-Q2', '2024-Q2')).toBe(0);
  });

  it('lists every quarter between two, both included', () => {
    expect(quartersBetween('2024-Q1', '2025-Q1')).toEqual([
      '2024-Q1',
      '2024-Q2',
      '2024-Q3',
      '2024-Q4',
      '2025-Q1',
    ]);
    expect(quartersBetween('2024-Q3', '2024-Q3')).toEqual(['2024-Q3']);
  });

  it('starts a quarter at 00:00 Shanghai on its first day and ends it at the next start', () => {
    expect(quarterStart('2025-Q1')).toBe(at('2025-01-01T00:00:00+08:00'));
    expect(quarterEnd('2024-Q4')).toBe(at('2025-01-01T00:00:00+08:00'));
    expect(quarterEnd('2024-Q2')).toBe(at('2024-06-30T16:00:00Z'));
  });
});

describe('instants in data carry an offset (SPEC §3)', () => {
  it.each([
    ['2024-08-15T10:00:00+08:00', null],
    ['2024-08-15T10:00:00Z', null],
    ['2024-08-15T10:00:00z', null],
    ['2024-08-15T10:00:00-05:00', null],
    ['2024-08-15T10:00:00.123+08:00', null],
    ['2024-08-15', null],
    ['2024-08-15T10:00:00', 'missing-offset'],
    ['2024-08-15T10:00', 'missing-offset'],
    ['2024-02-30', 'malformed'],
    ['2024-02-30T00:00:00+08:00', 'malformed'],
    ['2024-08-15T10:00:00+0800', 'malformed'],
    ['15/08/2024', 'malformed'],
    ['', 'malformed'],
    ['0001-01-01T00:00:00Z', null],
    ['0001-01-01T08:00:00+08:00', null],
    ['9999-12-31T23:59:59.999Z', null],
    ['9999-12-31', null],
    ['0000-03-15T10:00:00+08:00', 'out-of-range'],
    ['0001-01-01T00:00:00+08:00', 'out-of-range'],
    ['0000-12-31T23:59:59.999Z', 'out-of-range'],
    ['9999-12-31T23:59:59-08:00', 'out-of-range'],
    ['0001-01-01', 'out-of-range'],
  ])('instantProblem(%j) is %s', (text, expected) => {
    expect(instantProblem(text)).toBe(expected);
  });

  it('refuses to parse an instant outside the years 0001 to 9999 in UTC', () => {
    expect(() => parseInstant('0001-01-01T00:00:00+08:00')).toThrow(/0001 to 9999/);
    expect(parseInstant('0001-01-01T00:00:00Z')).toBe(FIRST_STORABLE_INSTANT);
    expect(parseInstant('9999-12-31T23:59:59.999Z')).toBe(LAST_STORABLE_INSTANT);
  });

  it('writes the calendar of the first and last instants with four-digit years and more', () => {
    // 0001-01-01T00:00Z is 08:05:43 in Shanghai, whose offset then was local mean time.
    expect(dateOf(FIRST_STORABLE_INSTANT)).toBe('0001-01-01');
    expect(quarterOf(FIRST_STORABLE_INSTANT)).toBe('0001-Q1');
    // 9999-12-31T23:59:59.999Z is 10000-01-01T07:59:59.999+08:00.
    expect(quarterOf(LAST_STORABLE_INSTANT)).toBe('10000-Q1');
    expect(quarterStart('10000-Q1')).toBe(at('9999-12-31T16:00:00Z'));
  });

  it('refuses a bare date where only instants are allowed', () => {
    expect(instantProblem('2024-08-15', false)).toBe('malformed');
  });

  it('reads a bare date as 00:00 Asia/Shanghai', () => {
    expect(parseInstant('2024-04-02')).toBe(parseInstant('2024-04-02T00:00:00+08:00'));
  });

  it('reads the same instant written with different offsets as one', () => {
    expect(parseInstant('2024-03-15T10:00:00+08:00')).toBe(parseInstant('2024-03-15T02:00:00Z'));
    expect(parseInstant('2024-03-15T02:00:00z')).toBe(parseInstant('2024-03-14T21:00:00-05:00'));
  });

  it('throws on an instant without an offset', () => {
    expect(() => parseInstant('2024-08-15T10:00:00')).toThrow(/offset/);
  });

  it.each([
    ['2024-04-01T16:00:00Z', '2024-04-02T00:00:00+08:00'],
    ['2024-08-15T02:00:00.250Z', '2024-08-15T10:00:00.250+08:00'],
  ])('prints %s in Shanghai time as %s', (text, expected) => {
    expect(formatInstant(at(text))).toBe(expected);
  });

  it('prints every instant as Temporal does, from 1900 to 2100, to the millisecond', () => {
    fc.assert(
      fc.property(fc.integer({ min: -2_208_988_800_000, max: 4_102_444_800_000 }), (ms) => {
        expect(formatInstant(ms)).toBe(formatInstantTemporal(ms));
      }),
      { numRuns: 5_000 },
    );
  });
});
