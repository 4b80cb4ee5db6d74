/**
 * The pure parts of the what-if page: the five 3+N thresholds read from and
 * written into the draft's JSON text, and exact arithmetic on the API's
 * decimal strings (a difference, an order), never through a JS number.
 */

export const SERVICE = '3+N';

export interface Threshold {
  readonly level: string;
  readonly fromUsd: string;
}

type Draft = { effectiveFrom?: unknown; programmes?: Record<string, { levels?: Threshold[] }> };

function parse(text: string): Draft | null {
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Draft)
      : null;
  } catch {
    return null;
  }
}

/** The levels of 3+N in the draft text; null when the text is not JSON or has none. */
export function thresholdsOf(text: string): Threshold[] | null {
  const levels = parse(text)?.programmes?.[SERVICE]?.levels;
  if (!Array.isArray(levels)) return null;
  return levels.map((l) => ({ level: String(l.level), fromUsd: String(l.fromUsd) }));
}

/** The draft text with level `index`'s `fromUsd` replaced; unchanged if it has no such level. */
export function withThreshold(text: string, index: number, fromUsd: string): string {
  const draft = parse(text);
  const levels = draft?.programmes?.[SERVICE]?.levels;
  const level = levels?.[index];
  if (!draft || !levels || !level) return text;
  levels[index] = { ...level, fromUsd };
  return JSON.stringify(draft, null, 2);
}

/** The instant from which the draft replaces the published rules; null when it has none. */
export function effectiveFromOf(text: string): string | null {
  const value = parse(text)?.effectiveFrom;
  return typeof value === 'string' ? value : null;
}

/** The draft text with another `effectiveFrom`; unchanged when the text is not a document. */
export function withEffectiveFrom(text: string, effectiveFrom: string): string {
  const draft = parse(text);
  if (!draft) return text;
  return JSON.stringify({ ...draft, effectiveFrom }, null, 2);
}

/** A published document as a draft to edit. */
export function draftText(document: Record<string, unknown>): string {
  return JSON.stringify(document, null, 2);
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/** `"12.5"` at scale 2 → 1250n; null when the text is not a plain decimal. */
function scaled(text: string, scale: number): bigint | null {
  const match = DECIMAL.exec(text.trim());
  if (match === null) return null;
  const [, sign = '', whole = '0', fraction = ''] = match;
  if (fraction.length > scale) return null;
  const digits = BigInt(`${whole}${fraction.padEnd(scale, '0')}`);
  return sign === '-' ? -digits : digits;
}

function scaleOf(text: string): number {
  return DECIMAL.exec(text.trim())?.[3]?.length ?? 0;
}

function print(value: bigint, scale: number): string {
  const sign = value < 0n ? '-' : '';
  const digits = (value < 0n ? -value : value).toString().padStart(scale + 1, '0');
  if (scale === 0) return `${sign}${digits}`;
  return `${sign}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

/** `a − b`, exactly, with as many decimals as the longer of the two (at least 2). */
export function subtractDecimal(a: string, b: string): string {
  const scale = Math.max(2, scaleOf(a), scaleOf(b));
  const x = scaled(a, scale);
  const y = scaled(b, scale);
  if (x === null || y === null) return '—';
  return print(x - y, scale);
}

/** Orders decimal strings by value: negative, zero or positive like `Array.sort` wants. */
export function compareDecimal(a: string, b: string): number {
  const scale = Math.max(scaleOf(a), scaleOf(b));
  const x = scaled(a, scale) ?? 0n;
  const y = scaled(b, scale) ?? 0n;
  return x < y ? -1 : x > y ? 1 : 0;
}

export function isZeroDecimal(text: string): boolean {
  return scaled(text, scaleOf(text)) === 0n;
}

/** `-120.00` → `120.00`: the size of an impact, for sorting by it. */
export function absDecimal(text: string): string {
  return text.trim().startsWith('-') ? text.trim().slice(1) : text.trim();
}
