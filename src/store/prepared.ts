import { createHash } from 'node:crypto';

/**
 * Statements that PostgreSQL should plan once per connection rather than at
 * every call: the hot reads of one or a few rows, whose planning costs as
 * much as running them (the workbench statement at a million orders: 0.9 ms
 * to plan, 0.6 ms to run). A statement is marked where it is written,
 * `const SQL = prepared(`…`)`; the PostgreSQL adapter then sends it as a named
 * statement, parsed and planned on the first call of each pooled connection.
 * After five calls PostgreSQL keeps a generic plan when it costs no more
 * than the ones made for each call's values. PGlite plans every call, which
 * costs it nothing more (no round trip to save).
 *
 * Only constant SQL should be marked: every marked text stays prepared on
 * every connection for the connection's life.
 */
const NAMES = new Map<string, string>();

export function prepared(sql: string): string {
  if (!NAMES.has(sql)) {
    NAMES.set(sql, `ladder_${createHash('sha256').update(sql).digest('hex').slice(0, 16)}`);
  }
  return sql;
}

/** The statement name of marked SQL, or undefined. */
export function preparedName(sql: string): string | undefined {
  return NAMES.get(sql);
}
