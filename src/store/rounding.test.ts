import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dec, roundFenHalfUp } from '../core/money.js';
import { STORES } from '../test-support/stores.js';
import type { Db } from './db.js';

/**
 * SQL that rounds money (a report's sums, a check on stored fees) must round
 * as the core does: PostgreSQL's `round(numeric, 2)` rounds half away from
 * zero, which for the positive amounts Ladder holds is the half-up of
 * `roundFenHalfUp`. These tests hold both to that on each store.
 */

async function roundedInSql(db: Db, values: readonly string[]): Promise<string[]> {
  const rows = await db.query<{ rounded: string }>(
    `SELECT round(x::numeric, 2)::text AS rounded
     FROM unnest($1::text[]) WITH ORDINALITY AS v(x, n) ORDER BY n`,
    [values],
  );
  return rows.map((row) => row.rounded);
}

const roundedInCore = (values: readonly string[]) =>
  values.map((value) => roundFenHalfUp(dec(value)).toFixed(2));

// A positive decimal with up to 8 fraction digits, made from an integer of
// units so that no float is involved; a third of them sit on a half fen or
// one unit either side of it, where half-up and half-even part.
const positiveDecimal = fc
  .oneof(
    fc.record({
      units: fc.bigInt({ min: 1n, max: 10n ** 18n }),
      scale: fc.integer({ min: 0, max: 8 }),
    }),
    fc
      .tuple(
        fc.bigInt({ min: 0n, max: 10n ** 10n }),
        fc.integer({ min: 3, max: 8 }),
        fc.integer({ min: -1, max: 1 }),
      )
      .map(([fen, scale, nudge]) => ({
        units: fen * 10n ** BigInt(scale - 2) + 5n * 10n ** BigInt(scale - 3) + BigInt(nudge),
        scale,
      })),
  )
  .filter(({ units }) => units > 0n)
  .map(({ units, scale }) => {
    const digits = units.toString().padStart(scale + 1, '0');
    return scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  });

describe.each(STORES)('round(x, 2) on $name agrees with roundFenHalfUp', ({ open }) => {
  let db: Db;

  beforeAll(async () => {
    db = await open();
  });

  afterAll(async () => {
    await db.close();
  });

  it.each([
    ['123.795', '123.80'],
    ['118.125', '118.13'],
    ['0.005', '0.01'],
    ['2.675', '2.68'],
    ['1.005', '1.01'],
    ['0.004999', '0.00'],
  ])('rounds %s to %s, as the core does', async (value, expected) => {
    expect(await roundedInSql(db, [value])).toEqual([expected]);
    expect(roundedInCore([value])).toEqual([expected]);
  });

  it('rounds random positive decimals of up to 8 fraction digits as the core does', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(positiveDecimal, { minLength: 1, maxLength: 200 }),
        async (values) => {
          expect(await roundedInSql(db, values)).toEqual(roundedInCore(values));
        },
      ),
      { numRuns: 50 },
    );
  });
});
