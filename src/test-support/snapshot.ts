import type { Queryable } from '../store/db.js';

/**
 * Every row of every table of the store's schema, in a stable order, as
 * text: two snapshots are equal when the stored data is byte for byte the
 * same. `except` names tables a test expects to change.
 */
export async function storeSnapshot(
  db: Queryable,
  except: readonly string[] = [],
): Promise<string> {
  const tables = await db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables
     WHERE table_schema = current_schema() ORDER BY table_name`,
  );
  const out: string[] = [];
  for (const { table_name } of tables) {
    if (except.includes(table_name)) continue;
    const rows = await db.query(`SELECT * FROM ${table_name}`);
    out.push(`${table_name}:${JSON.stringify(rows.map((r) => JSON.stringify(r)).sort())}`);
  }
  return out.join('\n');
}
