import { Temporal } from 'temporal-polyfill';

/**
 * Instants are epoch milliseconds inside the program: an exact point in time
 * with no zone. Calendar reasoning (quarters, months, the 2nd of a month) is
 * done in the programme's zone, Asia/Shanghai (SPEC §3).
 */
export type Instant = number;

/** `2024-Q2`. */
export type Quarter = string;

export const PROGRAMME_TIME_ZONE = 'Asia/Shanghai';

const INSTANT_WITH_OFFSET =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::[0-5]\d(?:\.\d{1,3})?)?(?:[Zz]|[+-]\d{2}:\d{2})$/;
const BARE_DATE = /^\d{4}-\d{2}-\d{2}$/;
const QUARTER = /^(\d{4})-Q([1-4])$/;
// The last instants the store holds fall in Shanghai's year 10000 (9999-12-31T23:59:59.999Z is
// 10000-01-01T07:59 there): the code reckons with that quarter, input names none beyond 9999.
const ANY_QUARTER = /^(\d{4,5})-Q([1-4])$/;

/** A year as ISO 8601 writes it, with four digits: `0001`. */
const year4 = (year: number): string => String(year).padStart(4, '0');

export type InstantProblem = 'missing-offset' | 'malformed' | 'out-of-range';

/**
 * The instants the store can hold, both included: PostgreSQL's `timestamptz`
 * reads years 0001 to 9999 written as ISO 8601 in UTC, which is how every
 * instant goes to it (`toPg`), so an instant whose UTC year lies outside
 * them is refused as input rather than left for the store to fail on.
 */
export const FIRST_STORABLE_INSTANT: Instant = Date.parse('0001-01-01T00:00:00.000Z');
export const LAST_STORABLE_INSTANT: Instant = Date.parse('9999-12-31T23:59:59.999Z');

/** What every refusal of an instant outside the store's years says. */
export const OUT_OF_RANGE_MESSAGE = 'must lie in the years 0001 to 9999 in UTC';

export function isStorableInstant(at: Instant): boolean {
  return at >= FIRST_STORABLE_INSTANT && at <= LAST_STORABLE_INSTANT;
}

/**
 * Why `text` is not an instant, or null when it is one (SPEC §3). A local
 * year of 0000 to 9999 can still name an instant of year 0 or 10000 in UTC
 * (`0001-01-01T00:00:00+08:00`, `9999-12-31T23:59:59-08:00`, or the bare
 * date `0001-01-01`, 00:00 in Shanghai): that is `out-of-range`.
 */
export function instantProblem(text: string, allowBareDate = true): InstantProblem | null {
  let at: Instant;
  if (allowBareDate && BARE_DATE.test(text)) {
    if (!validDate(text)) return 'malformed';
    at = startOfShanghaiDay(text);
  } else if (INSTANT_WITH_OFFSET.test(text)) {
    try {
      at = Temporal.Instant.from(text.replace(/z$/, 'Z')).epochMilliseconds;
    } catch {
      return 'malformed';
    }
  } else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/.test(text)) {
    return 'missing-offset';
  } else {
    return 'malformed';
  }
  return isStorableInstant(at) ? null : 'out-of-range';
}

const validDates = new Set<string>();
function validDate(text: string): boolean {
  if (validDates.has(text)) return true;
  try {
    Temporal.PlainDate.from(text, { overflow: 'reject' });
  } catch {
    return false;
  }
  if (validDates.size >= 10_000) validDates.clear();
  validDates.add(text);
  return true;
}

/**
 * Parses an ISO 8601 instant with an offset (`Z`, `z` or ±hh:mm), or a bare
 * date, which means 00:00 Asia/Shanghai of that day. Throws on anything else,
 * an instant outside the store's years included; callers validate first with
 * `instantProblem` to report the field.
 */
export function parseInstant(text: string): Instant {
  let at: Instant;
  if (BARE_DATE.test(text)) {
    at = startOfShanghaiDay(text);
  } else if (INSTANT_WITH_OFFSET.test(text)) {
    at = Temporal.Instant.from(text.replace(/z$/, 'Z')).epochMilliseconds;
  } else {
    throw new Error(`not an instant with an offset: ${text}`);
  }

  if (!isStorableInstant(at)) throw new Error(`not an instant of years 0001 to 9999 UTC: ${text}`);
  return at;
}

export function startOfShanghaiDay(date: string, hour = 0): Instant {
  return remembered(`${date} ${hour}`, () => {
    // Year 10000 (see ANY_QUARTER) is written as ISO 8601 writes a year of five digits or more.
    const day = /^\d{5}-/.test(date) ? `+0${date}` : date;
    return Temporal.PlainDateTime.from(`${day}T${String(hour).padStart(2, '0')}:00:00`)
      .toZonedDateTime(PROGRAMME_TIME_ZONE)
      .toInstant().epochMilliseconds;
  });
}

/**
 * The instant an "as of" query means: a bare date includes that day, so it is
 * the day's last millisecond in Asia/Shanghai; an instant is itself.
 */
export function parseAsOf(text: string): Instant {
  return BARE_DATE.test(text) ? endOfShanghaiDay(text) : parseInstant(text);
}

/** The last millisecond of a day in Asia/Shanghai: "as of 2025-02-15" includes the 15th. */
export function endOfShanghaiDay(date: string): Instant {
  return remembered(`${date} end`, () => {
    return startOfShanghaiDay(Temporal.PlainDate.from(date).add({ days: 1 }).toString()) - 1;
  });
}

/**
 * Calendar days to instants, remembered: a server reads the same few days
 * (`at=2025-03-15`) on every request, and each costs the time-zone rules
 * several microseconds. Forgets everything past a bound; the answers never change.
 */
const dayInstants = new Map<string, Instant>();
function remembered(key: string, compute: () => Instant): Instant {
  const known = dayInstants.get(key);
  if (known !== undefined) return known;
  const at = compute();
  if (dayInstants.size >= 10_000) dayInstants.clear();
  dayInstants.set(key, at);
  return at;
}

interface LocalFields {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

// Shanghai's offset can only change on an hour boundary, so the calendar
// fields of every instant in one UTC hour share one offset: cache by hour.
const HOUR_MS = 3_600_000;
const offsetByHour = new Map<number, number>();

function shanghaiOffsetMs(at: Instant): number {
  const hour = Math.floor(at / HOUR_MS);
  let offset = offsetByHour.get(hour);
  if (offset === undefined) {
    offset =
      Temporal.Instant.fromEpochMilliseconds(at).toZonedDateTimeISO(PROGRAMME_TIME_ZONE)
        .offsetNanoseconds / 1_000_000;
    if (offsetByHour.size > 100_000) offsetByHour.clear();
    offsetByHour.set(hour, offset);
  }
  return offset;
}

function shanghaiFields(at: Instant): LocalFields {
  const local = new Date(at + shanghaiOffsetMs(at));
  return {
    year: local.getUTCFullYear(),
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
  };
}

/** The Shanghai quarter an instant falls in: 2024-06-30T23:30+08:00 is 2024-Q2. */
export function quarterOf(at: Instant): Quarter {
  const { year, month } = shanghaiFields(at);
  return `${year4(year)}-Q${Math.ceil(month / 3)}`;
}

/** `2024-08`: the Shanghai calendar month of an instant. */
export function monthOf(at: Instant): string {
  const { year, month } = shanghaiFields(at);
  return `${year4(year)}-${String(month).padStart(2, '0')}`;
}

/** `2024-08-15`: the Shanghai calendar date of an instant. */
export function dateOf(at: Instant): string {
  const { year, month, day } = shanghaiFields(at);
  return `${year4(year)}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

export function isQuarter(text: string): boolean {
  return QUARTER.test(text);
}

function splitQuarter(quarter: Quarter): { year: number; q: number } {
  const match = ANY_QUARTER.exec(quarter);
  if (!match) throw new Error(`not a quarter: ${quarter}`);
  return { year: Number(match[1]), q: Number(match[2]) };
}

export function nextQuarter(quarter: Quarter): Quarter {
  const { year, q } = splitQuarter(quarter);
  return q === 4 ? `${year4(year + 1)}-Q1` : `${year4(year)}-Q${q + 1}`;
}

export function previousQuarter(quarter: Quarter): Quarter {
  const { year, q } = splitQuarter(quarter);
  return q === 1 ? `${year4(year - 1)}-Q4` : `${year4(year)}-Q${q - 1}`;
}

export function compareQuarters(a: Quarter, b: Quarter): number {
  const x = splitQuarter(a);
  const y = splitQuarter(b);
  return x.year - y.year || x.q - y.q;
}

/** The first day of a quarter's first month, `2024-07-01`. */
function quarterFirstDate(quarter: Quarter, day = 1): string {
  const { year, q } = splitQuarter(quarter);
  const month = (q - 1) * 3 + 1;
  return `${year4(year)}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** 00:00 Shanghai on the first day of the quarter. */
export function quarterStart(quarter: Quarter): Instant {
  return startOfShanghaiDay(quarterFirstDate(quarter));
}

/** The instant the quarter ends, exclusive: the start of the next one. */
export function quarterEnd(quarter: Quarter): Instant {
  return quarterStart(nextQuarter(quarter));
}

/**
 * When the assessment of `quarter`'s amounts takes effect: `hour`:00 Shanghai
 * on day `dayOfMonth` of the next quarter's first month (SPEC §4, D5).
 */
export function assessmentInstant(quarter: Quarter, dayOfMonth: number, hour: number): Instant {
  return startOfShanghaiDay(quarterFirstDate(nextQuarter(quarter), dayOfMonth), hour);
}

/** Every quarter from `first` to `last`, both included. */
export function quartersBetween(first: Quarter, last: Quarter): Quarter[] {
  const out: Quarter[] = [];
  for (let q = first; compareQuarters(q, last) <= 0; q = nextQuarter(q)) out.push(q);
  return out;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/**
 * `2024-04-02T00:00:00+08:00`: an instant printed in Shanghai time with its
 * offset; milliseconds only when there are some. Every instant the API
 * answers goes through here, so the usual case is built from the cached
 * offset without Temporal (about 50 µs a call); an offset with seconds or a
 * year outside 1000–9999 takes Temporal's printer, which is the reference.
 */
export function formatInstant(at: Instant): string {
  const offset = shanghaiOffsetMs(at);
  const local = new Date(at + offset);
  const year = local.getUTCFullYear();
  if (offset % 60_000 !== 0 || year < 1000 || year > 9999) return formatInstantTemporal(at);
  const ms = ((at % 1000) + 1000) % 1000;
  const minutes = Math.abs(offset) / 60_000;
  return (
    `${year}-${pad2(local.getUTCMonth() + 1)}-${pad2(local.getUTCDate())}` +
    `T${pad2(local.getUTCHours())}:${pad2(local.getUTCMinutes())}:${pad2(local.getUTCSeconds())}` +
    `${ms === 0 ? '' : `.${String(ms).padStart(3, '0')}`}` +
    `${offset < 0 ? '-' : '+'}${pad2(Math.floor(minutes / 60))}:${pad2(minutes % 60)}`
  );
}

/** The same text by Temporal: the reference `formatInstant` is tested against. */
export function formatInstantTemporal(at: Instant): string {
  const zoned = Temporal.Instant.fromEpochMilliseconds(at).toZonedDateTimeISO(PROGRAMME_TIME_ZONE);
  return zoned.toString({
    timeZoneName: 'never',
    fractionalSecondDigits: at % 1000 === 0 ? 0 : 3,
  });
}
