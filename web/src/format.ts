/**
 * Display formats. Amounts arrive from the API as decimal strings and stay
 * strings: grouping the integer digits is all the formatting they need, so no
 * amount ever passes through a JS number on its way to the screen.
 */

export type Currency = 'CNY' | 'USD';

const SYMBOL: Record<Currency, string> = { CNY: '¥', USD: '$' };
const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/** `"1234.5"` → `"1,234.50"`: digits grouped by three, at least `minFraction` decimals. */
export function groupDecimal(text: string, minFraction = 2): string {
  const match = DECIMAL.exec(text.trim());
  if (match === null) return text;
  const [, sign = '', whole = '0', fraction = ''] = match;
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const padded = fraction.length >= minFraction ? fraction : fraction.padEnd(minFraction, '0');
  return padded === '' ? `${sign}${grouped}` : `${sign}${grouped}.${padded}`;
}

/** `money("1234.5", "CNY")` → `"¥1,234.50"`; null stays a dash. */
export function money(text: string | null | undefined, currency: Currency): string {
  if (text === null || text === undefined) return '—';
  const grouped = groupDecimal(text);
  return grouped.startsWith('-')
    ? `-${SYMBOL[currency]}${grouped.slice(1)}`
    : `${SYMBOL[currency]}${grouped}`;
}

/** A rate such as `"0.8"` as a percentage, `"80%"`, by moving the decimal point. */
export function percent(text: string): string {
  const match = DECIMAL.exec(text.trim());
  if (match === null) return text;
  const [, sign = '', whole = '0', fraction = ''] = match;
  const digits = `${whole}${fraction.padEnd(2, '0')}`;
  const point = whole.length + 2;
  const intPart = digits.slice(0, point).replace(/^0+(?=\d)/, '');
  const fracPart = digits.slice(point).replace(/0+$/, '');
  return `${sign}${intPart}${fracPart === '' ? '' : `.${fracPart}`}%`;
}

/**
 * Share of `part` in `whole` for a progress bar, 0–100. A bar has no need for
 * exactness, so this is the one place where amounts become numbers.
 */
export function share(part: string, whole: string): number {
  const ratio = Number(part) / Number(whole);
  if (!Number.isFinite(ratio) || ratio < 0) return 0;
  return Math.min(100, Math.floor(ratio * 1000) / 10);
}

const SHANGHAI = 'Asia/Shanghai';

function parts(at: string, withTime: boolean): Record<string, string> {
  const format = new Intl.DateTimeFormat('en-GB', {
    timeZone: SHANGHAI,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    ...(withTime ? { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' } : {}),
  });
  const out: Record<string, string> = {};
  for (const part of format.formatToParts(new Date(at))) out[part.type] = part.value;
  return out;
}

/** An instant as Shanghai wall-clock time, `2024-07-02 00:00`. */
export function dateTime(at: string | null | undefined): string {
  if (at === null || at === undefined) return '—';
  const p = parts(at, true);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

/** An instant's Shanghai calendar day, `2024-07-02`. */
export function date(at: string | null | undefined): string {
  if (at === null || at === undefined) return '—';
  const p = parts(at, false);
  return `${p.year}-${p.month}-${p.day}`;
}

/** Today's Shanghai date, `YYYY-MM-DD`. */
export function todayInShanghai(now = new Date()): string {
  return date(now.toISOString());
}

/** A Shanghai wall-clock value from a date picker, as an instant with its offset. */
export function shanghaiInstant(wallClock: string): string {
  return `${wallClock}+08:00`;
}
