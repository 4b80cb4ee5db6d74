/**
 * Checks of one cell of a big file, made where the cell lies in its line
 * (`text` from `start` to `end`) so that a million rows are checked without
 * cutting a million strings out of them.
 *
 * Each check says true only when the zod schema of `core/input.ts` accepts
 * the cell. For every kind of cell but instants it says true exactly then;
 * for instants it covers what files hold (see `instantAt`). A cell it does
 * not accept goes to the schema, which gives the refusal or accepts it.
 */
export type CellCheck = (text: string, start: number, end: number) => boolean;

/**
 * The schema's `boundedText(max)`: lengths as JavaScript counts them. The
 * schema's refusal of NUL needs no check here: the reader refuses a file
 * holding one before any cell is looked at (`csv-records.ts`).
 */
export const textOf =
  (max: number): CellCheck =>
  (_, start, end) =>
    end - start >= 1 && end - start <= max;

/** `z.literal(value)`. */
export const literal =
  (value: string): CellCheck =>
  (text, start, end) =>
    end - start === value.length && text.startsWith(value, start);

/** `z.enum(values)`. */
export const oneOf =
  (values: readonly string[]): CellCheck =>
  (text, start, end) =>
    values.some((value) => end - start === value.length && text.startsWith(value, start));

/** The schema's `currencyCode`: three capital letters A to Z. */
export const currencyAt: CellCheck = (text, start, end) => {
  if (end - start !== 3) return false;
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code < 65 || code > 90) return false;
  }
  return true;
};

// Sticky: each match starts at `lastIndex`, and says where it ended.
const DECIMAL = /(?:0|[1-9]\d{0,19})(?:\.\d{1,10})?/y;
const NONZERO = /[0.]*[1-9]/y;

/**
 * Both refinements of the schema's positiveDecimal at once: a plain decimal
 * with at most 20 digits before the point and at most 10 after, not zero.
 */
export const decimalAt: CellCheck = (text, start, end) => {
  DECIMAL.lastIndex = start;
  if (!DECIMAL.test(text) || DECIMAL.lastIndex !== end) return false;
  NONZERO.lastIndex = start;
  return NONZERO.test(text) && NONZERO.lastIndex <= end;
};

// Years 1900–2099, an offset within ±15:59 (PostgreSQL reads no wider one),
// at most milliseconds; days 29 to 31 are checked against the month below.
const INSTANT = new RegExp(
  String.raw`(?:19|20)\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])` +
    String.raw`T(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,3})?)?` +
    String.raw`(?:Z|[+-](?:0\d|1[0-5]):[0-5]\d)`,
  'y',
);

const twoDigits = (text: string, at: number) =>
  (text.charCodeAt(at) - 48) * 10 + text.charCodeAt(at + 1) - 48;

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * The instants of real files: a subset of what `instantProblem` accepts,
 * and one that PostgreSQL casts to the same instant as `parseInstant`
 * (tested against both). Anything else the schema accepts — a bare date,
 * `z`, a wider offset, another century — is rewritten in UTC by the import.
 */
export const instantAt: CellCheck = (text, start, end) => {
  INSTANT.lastIndex = start;
  if (!INSTANT.test(text) || INSTANT.lastIndex !== end) return false;
  const day = twoDigits(text, start + 8);
  if (day <= 28) return true;
  const year = twoDigits(text, start) * 100 + twoDigits(text, start + 2);
  return day <= daysIn(year, twoDigits(text, start + 5));
};

/** `instantAt` for a whole string. */
export const fastInstant = (cell: string): boolean => instantAt(cell, 0, cell.length);
