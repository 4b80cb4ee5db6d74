/**
 * A small seeded pseudo-random generator for the demo data: xoshiro128**
 * (32-bit state words, period 2^128 − 1), seeded through an integer hash.
 *
 * The generator needs the same bytes for the same seed on every machine, so
 * nothing here reads a clock or `Math.random`. Each merchant draws from
 * streams of its own, derived from (seed, merchant, purpose): a merchant's
 * facts do not shift when another merchant draws more or fewer numbers, and
 * the cheap planning pass can be replayed without generating any order.
 */

const TWO_POW_32 = 4_294_967_296;
const TWO_POW_53 = 9_007_199_254_740_992;
const GOLDEN_GAMMA = 0x9e3779b9;

/** An avalanche hash of 32 bits: every input bit flips about half the output bits. */
function hash32(value: number): number {
  let x = value >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x21f0aaad);
  x = Math.imul(x ^ (x >>> 15), 0x735a2d97);
  return (x ^ (x >>> 15)) >>> 0;
}

function rotateLeft(x: number, bits: number): number {
  return (x << bits) | (x >>> (32 - bits));
}

export class Random {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;
  #spareNormal: number | null = null;

  /**
   * A stream for a seed (any non-negative safe integer) and a path of keys,
   * such as (merchant index, purpose). Different paths give unrelated streams.
   */
  constructor(seed: number, ...keys: readonly number[]) {
    let h = hash32(seed >>> 0) ^ hash32(Math.floor(seed / TWO_POW_32) + GOLDEN_GAMMA);
    for (const key of keys) h = hash32(h ^ hash32(key + GOLDEN_GAMMA));

    this.#s0 = hash32(h + GOLDEN_GAMMA);
    this.#s1 = hash32(h + 2 * GOLDEN_GAMMA);
    this.#s2 = hash32(h + 3 * GOLDEN_GAMMA);
    this.#s3 = hash32(h + 4 * GOLDEN_GAMMA);
    // The all-zero state is the one state xoshiro can never leave.
    if ((this.#s0 | this.#s1 | this.#s2 | this.#s3) === 0) this.#s0 = 1;
  }

  /** The next 32 random bits, as an unsigned integer. */
  uint32(): number {
    const result = Math.imul(rotateLeft(Math.imul(this.#s1, 5), 7), 9) >>> 0;
    const shifted = this.#s1 << 9;

    this.#s2 ^= this.#s0;
    this.#s3 ^= this.#s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= shifted;
    this.#s3 = rotateLeft(this.#s3, 11);

    return result;
  }

  /** A float in [0, 1) with 53 random bits. */
  float(): number {
    const high = this.uint32() >>> 5;
    const low = this.uint32() >>> 6;
    return (high * 67_108_864 + low) / TWO_POW_53;
  }

  /** A float in [min, max). */
  between(min: number, max: number): number {
    return min + (max - min) * this.float();
  }

  /** An integer in [min, max], both included; both must be safe integers. */
  int(min: number, max: number): number {
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max < min) {
      throw new RangeError(`Random.int: bad range [${min}, ${max}]`);
    }
    return min + Math.floor(this.float() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.float() < probability;
  }

  /** A standard normal draw (Box–Muller; the second value of each pair is kept). */
  normal(): number {
    if (this.#spareNormal !== null) {
      const spare = this.#spareNormal;
      this.#spareNormal = null;
      return spare;
    }

    const radius = Math.sqrt(-2 * Math.log(1 - this.float()));
    const angle = 2 * Math.PI * this.float();
    this.#spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  /** A lognormal draw with the given median and log-scale spread. */
  lognormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  /** One of `choices`, each with its weight; the weights need not sum to 1. */
  weighted<T>(choices: ReadonlyArray<readonly [T, number]>): T {
    let total = 0;
    for (const [, weight] of choices) total += weight;

    let point = this.float() * total;
    for (const [value, weight] of choices) {
      if (point < weight) return value;
      point -= weight;
    }

    const last = choices[choices.length - 1];
    if (last === undefined) throw new RangeError('Random.weighted: no choices');
    return last[0];
  }
}
