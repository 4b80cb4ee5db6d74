import type { Random } from './random.js';

/**
 * Integer units of the generator: amounts in cents (0.01 of USD, CNY or any
 * settlement currency) and rates in pips (0.0001). Every amount is chosen as
 * an integer of cents and printed from that integer, so no amount in the data
 * ever went through a float rounding. All values stay far inside the safe
 * integer range; `assertSafe` says so where a product is formed.
 */

export type Cents = number;
export type Pips = number;

export function assertSafe(value: number, what: string): number {
  if (!Number.isSafeInteger(value)) throw new Error(`generator: ${what} is not a safe integer`);
  return value;
}

/** ⌊a / b⌋ for safe integers a ≥ 0, b > 0, exactly (no float division of a remainder). */
export function floorDiv(a: number, b: number): number {
  return (a - (a % b)) / b;
}

/** 1234567 → "12345.67". */
export function formatCents(cents: Cents): string {
  assertSafe(cents, 'an amount in cents');
  if (cents < 0) throw new RangeError(`formatCents: negative amount ${cents}`);
  return `${floorDiv(cents, 100)}.${String(cents % 100).padStart(2, '0')}`;
}

/** 72120 → "7.2120". */
export function formatPips(pips: Pips): string {
  assertSafe(pips, 'a rate in pips');
  if (pips <= 0) throw new RangeError(`formatPips: rate must be positive, got ${pips}`);
  return `${floorDiv(pips, 10_000)}.${String(pips % 10_000).padStart(4, '0')}`;
}

/**
 * Splits `total` cents into `count` parts, each within [min, max] cents,
 * summing to `total` exactly. Needs count × min ≤ total ≤ count × max.
 *
 * Parts get random integer weights; each takes ⌊rest × weight / Σweights⌋
 * above the minimum, the few cents left over go one by one to the first
 * parts, and any part above the maximum hands its excess to parts below it.
 */
export function splitCents(
  total: Cents,
  count: number,
  min: Cents,
  max: Cents,
  random: Random,
): Cents[] {
  if (count < 1 || count * min > total || count * max < total) {
    throw new RangeError(
      `splitCents: cannot split ${total} into ${count} parts of [${min}, ${max}]`,
    );
  }

  const weights: number[] = [];
  let weightSum = 0;
  for (let i = 0; i < count; i++) {
    const weight = Math.min(10_000, Math.max(1, Math.round(random.lognormal(1_000, 0.7))));
    weights.push(weight);
    weightSum += weight;
  }

  const rest = total - count * min;
  const parts: Cents[] = [];
  let given = 0;
  for (const weight of weights) {
    const share = floorDiv(assertSafe(rest * weight, 'a weighted share'), weightSum);
    parts.push(min + share);
    given += share;
  }
  for (let i = 0; given < rest; i = (i + 1) % count) {
    parts[i] = (parts[i] ?? 0) + 1;
    given += 1;
  }

  capParts(parts, max);
  return parts;
}

/** Moves whatever lies above `max` into the parts with room left, in order. */
function capParts(parts: Cents[], max: Cents): void {
  let excess = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? 0;
    if (part > max) {
      excess += part - max;
      parts[i] = max;
    }
  }

  for (let i = 0; excess > 0 && i < parts.length; i++) {
    const part = parts[i] ?? 0;
    const moved = Math.min(max - part, excess);
    parts[i] = part + moved;
    excess -= moved;
  }

  if (excess > 0) throw new Error('splitCents: parts cannot hold the total');
}
