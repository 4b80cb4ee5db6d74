import type { Queryable } from './db.js';
import { COLOCATION_ANCHOR, DISTRIBUTION, type Distribution } from './distribution.js';

/**
 * Reads the catalog of the current schema and returns, one sentence each
 * naming the table and the constraint or index, every way the schema breaks
 * its placement on Citus: a table nobody placed (or placed twice, or that
 * does not exist), a distributed table without its distribution column, a
 * primary key, unique constraint or unique index of a distributed table
 * without it, a foreign key between distributed tables that does not pair
 * the two distribution columns at the same position, a foreign key Citus
 * refuses (into a distributed table from elsewhere, into a local table from
 * a placed one), and a set-up order in which a table comes before one it
 * references. An empty list is a schema Citus can take as it is.
 */
export async function distributionProblems(
  db: Queryable,
  distribution: Distribution = DISTRIBUTION,
): Promise<string[]> {
  const catalog = await readCatalog(db);
  const placement = placements(distribution);
  const problems: string[] = [];

  for (const [table, places] of placement.count) {
    if (places > 1) problems.push(`${table}: table is placed ${places} times`);
    if (!catalog.columns.has(table)) problems.push(`${table}: table is placed but does not exist`);
  }
  for (const table of catalog.columns.keys()) {
    if (!placement.count.has(table)) problems.push(`${table}: table is not classified`);
  }

  const anchorType = catalog.columns
    .get(COLOCATION_ANCHOR)
    ?.get(placement.column(COLOCATION_ANCHOR));
  for (const { table, column } of distribution.distributed) {
    const type = catalog.columns.get(table)?.get(column);
    if (catalog.columns.has(table) && type === undefined) {
      problems.push(`${table}: distributed table has no column ${column}`);
    } else if (type !== undefined && type !== anchorType) {
      problems.push(
        `${table}: ${column} is ${type}, not ${anchorType} as in ${COLOCATION_ANCHOR}: ` +
          'cannot be co-located',
      );
    }
  }

  for (const key of catalog.keys) problems.push(...keyProblems(key, placement));
  for (const fk of catalog.foreignKeys) problems.push(...foreignKeyProblems(fk, placement));
  return problems;
}

interface Key {
  readonly table: string;
  /** A constraint, or an index that backs none. */
  readonly name: string;
  readonly what: 'primary key' | 'unique constraint' | 'unique index';
  readonly columns: readonly string[];
}

interface ForeignKey {
  readonly table: string;
  readonly name: string;
  readonly columns: readonly string[];
  readonly referenced: string;
  readonly referencedColumns: readonly string[];
}

interface Catalog {
  /** Each base table of the schema: column name → type. */
  readonly columns: Map<string, Map<string, string>>;
  readonly keys: Key[];
  readonly foreignKeys: ForeignKey[];
}

type Place = 'distributed' | 'reference' | 'local';

interface Placement {
  /** How many times each table is placed: once, or it is a mistake. */
  readonly count: Map<string, number>;
  place(table: string): Place | undefined;
  column(table: string): string;
  /** Position in the set-up SQL: reference tables first, then distributed ones in order. */
  order(table: string): number;
}

function placements(distribution: Distribution): Placement {
  const count = new Map<string, number>();
  const place = new Map<string, Place>();
  const column = new Map<string, string>();
  const order = new Map<string, number>();
  const add = (table: string, where: Place) => {
    count.set(table, (count.get(table) ?? 0) + 1);
    place.set(table, where);
  };
  for (const { table } of distribution.reference) {
    add(table, 'reference');
    order.set(table, order.size);
  }
  for (const { table, column: name } of distribution.distributed) {
    add(table, 'distributed');
    column.set(table, name);
    order.set(table, order.size);
  }
  for (const { table } of distribution.local) add(table, 'local');
  return {
    count,
    place: (table) => place.get(table),
    column: (table) => column.get(table) ?? '',
    order: (table) => order.get(table) ?? -1,
  };
}

function keyProblems(key: Key, placement: Placement): string[] {
  if (placement.place(key.table) !== 'distributed') return [];
  const column = placement.column(key.table);
  if (key.columns.includes(column)) return [];
  return [`${key.table}: ${key.what} ${key.name} (${key.columns.join(', ')}) lacks ${column}`];
}

function foreignKeyProblems(fk: ForeignKey, placement: Placement): string[] {
  const from = placement.place(fk.table);
  const to = placement.place(fk.referenced);
  const columns = fk.columns.join(', ');
  const named = `${fk.table}: foreign key ${fk.name} (${columns}) → ${fk.referenced}`;
  if (from === undefined || to === undefined) return [];

  if (to === 'distributed' && from !== 'distributed') {
    return [`${named}: a ${from} table may not reference a distributed table`];
  }
  if (to === 'local' && from !== 'local') {
    return [`${named}: a ${from} table may not reference a local table`];
  }

  const problems: string[] = [];
  if (from === 'distributed' && to === 'distributed') {
    const [column, referencedColumn] = [
      placement.column(fk.table),
      placement.column(fk.referenced),
    ];
    const at = fk.columns.indexOf(column);
    if (at < 0 || fk.referencedColumns[at] !== referencedColumn) {
      problems.push(
        `${named} (${fk.referencedColumns.join(', ')}): does not pair ${column} with ` +
          `${fk.referenced}.${referencedColumn} at the same position`,
      );
    }
  }
  if (from !== 'local' && placement.order(fk.referenced) > placement.order(fk.table)) {
    problems.push(`${named}: ${fk.referenced} must be placed before ${fk.table} in the set-up`);
  }
  return problems;
}

async function readCatalog(db: Queryable): Promise<Catalog> {
  const columns = new Map<string, Map<string, string>>();
  const tables = await db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables
     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`,
  );
  for (const { table_name } of tables) columns.set(table_name, new Map());
  const typed = await db.query<{ table_name: string; column_name: string; data_type: string }>(
    `SELECT table_name, column_name, data_type FROM information_schema.columns
     WHERE table_schema = current_schema()`,
  );
  for (const row of typed) columns.get(row.table_name)?.set(row.column_name, row.data_type);

  // Column names in key order; `name` is cast to text so both drivers read arrays.
  const constraints = await db.query<{
    table_name: string;
    name: string;
    type: 'p' | 'u' | 'f';
    columns: string[];
    referenced: string | null;
    referenced_columns: string[];
  }>(
    `SELECT t.relname::text AS table_name, c.conname::text AS name, c.contype::text AS type,
            ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, i)
                  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
                  ORDER BY k.i) AS columns,
            r.relname::text AS referenced,
            ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY AS k(attnum, i)
                  JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum
                  ORDER BY k.i) AS referenced_columns
     FROM pg_constraint c
     JOIN pg_class t ON t.oid = c.conrelid
     JOIN pg_namespace n ON n.oid = t.relnamespace
     LEFT JOIN pg_class r ON r.oid = c.confrelid
     WHERE n.nspname = current_schema() AND c.contype IN ('p', 'u', 'f')
     ORDER BY t.relname, c.conname`,
  );
  // Unique indexes that back no constraint (CREATE UNIQUE INDEX); an
  // expression column has no name, so such an index reads as lacking it.
  const indexes = await db.query<{ table_name: string; name: string; columns: string[] }>(
    `SELECT t.relname::text AS table_name, i.relname::text AS name,
            ARRAY(SELECT a.attname::text
                  FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
                  JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
                  ORDER BY k.n) AS columns
     FROM pg_index x
     JOIN pg_class i ON i.oid = x.indexrelid
     JOIN pg_class t ON t.oid = x.indrelid
     JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE n.nspname = current_schema() AND x.indisunique
       AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                       WHERE c.conindid = x.indexrelid AND c.conrelid = x.indrelid
                         AND c.contype IN ('p', 'u'))
     ORDER BY t.relname, i.relname`,
  );

  const keys: Key[] = [];
  const foreignKeys: ForeignKey[] = [];
  for (const row of constraints) {
    if (row.type === 'f') {
      foreignKeys.push({
        table: row.table_name,
        name: row.name,
        columns: row.columns,
        referenced: row.referenced ?? '',
        referencedColumns: row.referenced_columns,
      });
    } else {
      const what = row.type === 'p' ? 'primary key' : 'unique constraint';
      keys.push({ table: row.table_name, name: row.name, what, columns: row.columns });
    }
  }
  for (const row of indexes) {
    keys.push({
      table: row.table_name,
      name: row.name,
      what: 'unique index',
      columns: row.columns,
    });
  }
  return { columns, keys, foreignKeys };
}
