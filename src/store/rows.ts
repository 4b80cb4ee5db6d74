import type { Instant } from '../core/time.js';
import type { Queryable } from './db.js';

/** An instant as a parameter: ISO 8601 in UTC, which both servers read exactly. */
export function toPg(at: Instant): string {
  return new Date(at).toISOString();
}

/** A `timestamptz` as the session (UTC) prints it, back to an instant. */
export function fromPg(text: string): Instant {
  const iso = text
    .replace(' ', 'T')
    .replace(/\+00$/, 'Z')
    .replace(/\+00:00$/, 'Z');
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`unreadable timestamp from the store: ${text}`);
  return ms;
}

export function fromPgNullable(text: string | null): Instant | null {
  return text === null ? null : fromPg(text);
}

/** Rows per statement in bulk writes: bounded, so one statement never grows without limit. */
export const BATCH_ROWS = 5_000;

export function chunks<T>(rows: readonly T[], size = BATCH_ROWS): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/**
 * Inserts rows in batches through `jsonb_to_recordset`, one parameter per
 * batch, the same SQL on PGlite and PostgreSQL; returns how many were written. `columns` maps each column to
 * its SQL type; rows are objects keyed by column, values strings or null.
 */
export async function insertRows(
  db: Queryable,
  table: string,
  columns: Readonly<Record<string, string>>,
  rows: readonly Record<string, unknown>[],
  onConflict = 'ON CONFLICT DO NOTHING',
): Promise<number> {
  if (rows.length === 0) return 0;
  const names = Object.keys(columns);
  const definition = names.map((name) => `${name} ${columns[name]}`).join(', ');
  const list = names.join(', ');
  // Counts what was written (inserted or updated), not what was sent.
  const sql =
    `WITH written AS (INSERT INTO ${table} (${list}) SELECT ${list} ` +
    `FROM jsonb_to_recordset($1::jsonb) AS x(${definition}) ${onConflict} RETURNING 1) ` +
    'SELECT count(*) AS n FROM written';
  let written = 0;
  for (const batch of chunks(rows)) {
    const result = await db.query<{ n: string | number }>(sql, [JSON.stringify(batch)]);
    written += Number(result[0]?.n ?? 0);
  }
  return written;
}
