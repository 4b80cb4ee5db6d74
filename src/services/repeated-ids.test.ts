import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RepeatedIds } from './repeated-ids.js';

const orderId = (i: number) => `O-${String(i).padStart(7, '0')}`;

describe('the ids a file may repeat', () => {
  it('keeps every id that occurs twice as a candidate, whatever the filter’s size', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 300 }), { maxLength: 400 }),
        fc.integer({ min: 0, max: 20 }),
        (numbers, log2Bits) => {
          const ids = new RepeatedIds(2 ** log2Bits);
          for (const n of numbers) ids.add(orderId(n), 0, orderId(n).length);

          const repeated = numbers.filter((n, i) => numbers.indexOf(n) !== i).map(orderId);
          for (const id of repeated) expect(ids.candidates?.has(id)).toBe(true);
        },
      ),
    );
  });

  it('keeps none of ten thousand distinct ids in a filter of a million bits', () => {
    const ids = new RepeatedIds(2 ** 20);
    for (let i = 1; i <= 10_000; i++) ids.add(orderId(i), 0, orderId(i).length);

    expect(ids.candidates?.size).toBe(0);
  });

  it('reads the id where it lies in a line, as the id alone', () => {
    const ids = new RepeatedIds(2 ** 16);
    const line = 'O-0000001,M-00001,3+N';
    ids.add(line, 0, 9);
    ids.add('O-0000001', 0, 9);

    expect([...(ids.candidates ?? [])]).toEqual(['O-0000001']);
  });

  it('gives up past its limit of candidates, so that the caller groups every id', () => {
    const ids = new RepeatedIds(2 ** 16, 2);
    for (const i of [1, 2, 3, 1, 2, 3]) ids.add(orderId(i), 0, 9);

    expect(ids.candidates).toBeNull();
  });
});
