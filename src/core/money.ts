import { Decimal } from 'decimal.js';

/**
 * Exact decimal arithmetic for every amount, rate and count of pips.
 *
 * Precision 100 holds the exact product of the longest inputs the schemas
 * accept (20 + 10 digits) with every rate, so no operation before the one
 * rounding that SPEC names ever loses a digit. Every rounding
 * names its mode: half-up, as SPEC §5–§9 require.
 */
export const Dec = Decimal.clone({
  precision: 100,
  rounding: Decimal.ROUND_HALF_UP,
  toExpNeg: -40,
  toExpPos: 40,
});
export type Dec = InstanceType<typeof Dec>;

export const ZERO = new Dec(0);

const POSITIVE_DECIMAL = /^(?:0|[1-9]\d*)(?:\.\d+)?$/;

/** True when `text` is a plain decimal string greater than zero (no sign, no exponent). */
export function isPositiveDecimal(text: string): boolean {
  return POSITIVE_DECIMAL.test(text) && new Dec(text).gt(0);
}

/** True when `text` is a plain decimal string of zero or more. */
export function isNonNegativeDecimal(text: string): boolean {
  return POSITIVE_DECIMAL.test(text);
}

export function dec(text: string | number): Dec {
  return new Dec(text);
}

/** Rounds to the fen (0.01 CNY), half-up: the one rounding of SPEC §5, §6 and §9. */
export function roundFenHalfUp(value: Dec): Dec {
  return value.toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
}

/** Prints an amount that is already exact to the fen; refuses to round silently. */
export function formatFen(value: Dec): string {
  if (value.decimalPlaces() > 2) {
    throw new Error(`formatFen: ${value.toString()} has not been rounded to the fen`);
  }
  return value.toFixed(2);
}

/**
 * Prints an unrounded amount (a USD sum, say) with at least two decimals and
 * every digit it has, so that nothing is rounded where SPEC does not say so.
 */
export function formatAmount(value: Dec): string {
  return value.decimalPlaces() <= 2 ? value.toFixed(2) : value.toFixed();
}

/** Prints an exchange rate with at least four decimals (7.2120), every digit kept. */
export function formatRate(value: Dec): string {
  return value.decimalPlaces() <= 4 ? value.toFixed(4) : value.toFixed();
}

/** 1,234,567.80: for sentences and screens, never for data. */
export function groupThousands(text: string): string {
  const [whole = '', fraction] = text.split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}

/** 0.015 → "1.5%", 0.45 → "45%". */
export function formatPercent(value: Dec): string {
  return `${value.times(100).toFixed()}%`;
}

export function sum(values: readonly Dec[]): Dec {
  let total = ZERO;
  for (const value of values) total = total.plus(value);
  return total;
}
