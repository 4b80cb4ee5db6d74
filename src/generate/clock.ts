import type { Instant } from '../core/time.js';

/**
 * Printing instants fast. Asia/Shanghai has kept UTC+8 without daylight
 * saving since 1991 (SPEC §3), so for the generator's years a fixed offset
 * prints exactly what `formatInstant` of core/time prints for a whole
 * second, without a time-zone lookup per row of a million-row file.
 */

export const SECOND_MS = 1_000;
export const DAY_MS = 86_400_000;
const SHANGHAI_OFFSET_MS = 8 * 3_600_000;

/** `2024-08-15T10:00:00+08:00`; `at` must be a whole second. */
export function formatShanghai(at: Instant): string {
  if (at % SECOND_MS !== 0) throw new RangeError(`formatShanghai: ${at} is not a whole second`);
  return `${new Date(at + SHANGHAI_OFFSET_MS).toISOString().slice(0, 19)}+08:00`;
}

/** `2024-08`: the Shanghai month of an instant. */
export function shanghaiMonth(at: Instant): string {
  return new Date(at + SHANGHAI_OFFSET_MS).toISOString().slice(0, 7);
}
