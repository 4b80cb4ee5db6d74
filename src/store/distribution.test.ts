import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES } from '../test-support/stores.js';
import type { Db } from './db.js';
import { citusSetupSql, DISTRIBUTION, type Distribution } from './distribution.js';
import { distributionProblems } from './distribution-check.js';

/** The shipped placement with one more table, distributed by merchant_id or local. */
function withTable(table: string, place: 'distributed' | 'local'): Distribution {
  if (place === 'local') {
    return { ...DISTRIBUTION, local: [...DISTRIBUTION.local, { table, why: 'test' }] };
  }
  const added = { table, column: 'merchant_id', why: 'test' };
  return { ...DISTRIBUTION, distributed: [...DISTRIBUTION.distributed, added] };
}

describe.each(STORES)('distribution by merchant on $name', ({ open }) => {
  let db: Db;

  beforeAll(async () => {
    db = await open();
  });

  afterAll(async () => {
    await db.close();
  });

  it('finds no problem in the migrated schema', async () => {
    expect(await distributionProblems(db)).toEqual([]);
  });

  // No Citus here: stand-ins for its catalog and functions record what the
  // set-up asks for, in a transaction that is rolled back.
  it('runs its set-up SQL on stand-ins for Citus, twice, placing each table once', async () => {
    class Rollback extends Error {}
    const setup = citusSetupSql({ shardCount: 64 }).replace(
      'CREATE EXTENSION IF NOT EXISTS citus;',
      '',
    );
    let placed: unknown[] = [];
    let triggers: unknown[] = [];
    const outcome = await db
      .transaction(async (tx) => {
        await tx.exec(`
          CREATE TABLE pg_dist_partition
            (n serial, logicalrelid regclass, column_name text, colocate_with text);
          CREATE FUNCTION create_reference_table(t regclass) RETURNS void LANGUAGE sql
            AS $$ INSERT INTO pg_dist_partition (logicalrelid) VALUES (t) $$;
          CREATE FUNCTION create_distributed_table(
            t regclass, column_name text, colocate_with text DEFAULT 'default'
          ) RETURNS void LANGUAGE sql
            AS $$ INSERT INTO pg_dist_partition (logicalrelid, column_name, colocate_with)
                  VALUES (t, column_name, colocate_with) $$;
        `);
        await tx.exec(setup);
        await tx.exec(setup);
        placed = await tx.query(
          `SELECT logicalrelid::text AS table, column_name, colocate_with
           FROM pg_dist_partition ORDER BY n`,
        );
        triggers = await tx.query(
          "SELECT tgname FROM pg_trigger WHERE tgrelid = 'events'::regclass AND NOT tgisinternal",
        );
        throw new Rollback();
      })
      .catch((err: unknown) => err);

    expect(outcome).toBeInstanceOf(Rollback);
    expect(placed).toEqual([
      ...DISTRIBUTION.reference.map((t) => ({
        table: t.table,
        column_name: null,
        colocate_with: null,
      })),
      ...DISTRIBUTION.distributed.map((t) => ({
        table: t.table,
        column_name: t.column,
        colocate_with: t.table === 'merchants' ? 'default' : 'merchants',
      })),
    ]);
    expect(triggers).toEqual([]);
  });

  it('keys order_events by (merchant_id, order_id), filled in and required', async () => {
    const rows = await db.query<{ is_nullable: string }>(
      `SELECT is_nullable FROM information_schema.columns
       WHERE table_schema = current_schema() AND table_name = 'order_events'
         AND column_name = 'merchant_id'`,
    );

    expect(rows).toEqual([{ is_nullable: 'NO' }]);
  });
});

describe.each(STORES)('the distribution check on $name', ({ open }) => {
  // A throwaway store: each case makes its bad table in a transaction that
  // is rolled back, so the cases do not see each other's tables.
  let db: Db;

  beforeAll(async () => {
    db = await open();
  });

  afterAll(async () => {
    await db.close();
  });

  class Rollback extends Error {}

  async function problemsWith(sql: string, distribution: Distribution): Promise<string[]> {
    let problems: string[] = [];
    await db
      .transaction(async (tx) => {
        await tx.exec(sql);
        problems = await distributionProblems(tx, distribution);
        throw new Rollback();
      })
      .catch((err: unknown) => {
        if (!(err instanceof Rollback)) throw err;
      });
    return problems;
  }

  it.each([
    {
      case: 'a table nobody placed',
      sql: 'CREATE TABLE stray_notes (id text PRIMARY KEY)',
      place: null,
      problem: 'stray_notes: table is not classified',
    },
    {
      case: 'a distributed table without merchant_id',
      sql: 'CREATE TABLE notes (id text NOT NULL)',
      place: 'distributed',
      problem: 'notes: distributed table has no column merchant_id',
    },
    {
      case: 'a primary key without merchant_id',
      sql: 'CREATE TABLE notes (id text PRIMARY KEY, merchant_id text NOT NULL)',
      place: 'distributed',
      problem: 'notes: primary key notes_pkey (id) lacks merchant_id',
    },
    {
      case: 'a unique constraint without merchant_id',
      sql: 'CREATE TABLE notes (merchant_id text NOT NULL, key text UNIQUE)',
      place: 'distributed',
      problem: 'notes: unique constraint notes_key_key (key) lacks merchant_id',
    },
    {
      case: 'a unique index without merchant_id',
      sql: `CREATE TABLE notes (merchant_id text NOT NULL, key text);
            CREATE UNIQUE INDEX notes_by_key ON notes (key)`,
      place: 'distributed',
      problem: 'notes: unique index notes_by_key (key) lacks merchant_id',
    },
    {
      case: 'a foreign key that pairs merchant_id with the order id',
      sql: `CREATE TABLE notes (merchant_id text NOT NULL, order_id text NOT NULL,
              PRIMARY KEY (merchant_id, order_id),
              CONSTRAINT notes_order_fkey FOREIGN KEY (merchant_id, order_id)
                REFERENCES orders (id, merchant_id))`,
      place: 'distributed',
      problem:
        'notes: foreign key notes_order_fkey (merchant_id, order_id) → orders ' +
        '(id, merchant_id): ' +
        'does not pair merchant_id with orders.merchant_id at the same position',
    },
    {
      case: 'a local table that references a distributed one',
      sql: `CREATE TABLE notes (merchant_id text NOT NULL
              CONSTRAINT notes_merchant_fkey REFERENCES merchants (id))`,
      place: 'local',
      problem:
        'notes: foreign key notes_merchant_fkey (merchant_id) → merchants: ' +
        'a local table may not reference a distributed table',
    },
    {
      case: 'a distributed table that references a local one',
      sql: `CREATE TABLE notes (merchant_id text NOT NULL, token_id text
              CONSTRAINT notes_token_fkey REFERENCES api_tokens (id))`,
      place: 'distributed',
      problem:
        'notes: foreign key notes_token_fkey (token_id) → api_tokens: ' +
        'a distributed table may not reference a local table',
    },
  ] as const)('reports $case', async ({ sql, place, problem }) => {
    const distribution = place === null ? DISTRIBUTION : withTable('notes', place);

    expect(await problemsWith(sql, distribution)).toEqual([problem]);
  });

  it('reports a placed table that the schema does not have', async () => {
    expect(await problemsWith('SELECT 1', withTable('gone', 'local'))).toEqual([
      'gone: table is placed but does not exist',
    ]);
  });

  it('reports a set-up order that distributes a table before one it references', async () => {
    const orders = DISTRIBUTION.distributed.filter((t) => t.table === 'orders');
    const others = DISTRIBUTION.distributed.filter((t) => t.table !== 'orders');
    const swapped = { ...DISTRIBUTION, distributed: [...others, ...orders] };

    const problems = await problemsWith('SELECT 1', swapped);

    expect(problems).toContain(
      'fees: foreign key fees_order_fkey (merchant_id, order_id) → orders: ' +
        'orders must be placed before fees in the set-up',
    );
  });
});

describe('the Citus set-up SQL', () => {
  const sql = citusSetupSql();
  const lines = sql.split('\n');
  const statements = lines.filter((line) => line.startsWith('SELECT create_'));

  it('places every reference and distributed table once, reference tables first', () => {
    const tables = statements.map((line) => /\('([a-z_]+)'/.exec(line)?.[1]);

    expect(tables).toEqual([
      ...DISTRIBUTION.reference.map((t) => t.table),
      ...DISTRIBUTION.distributed.map((t) => t.table),
    ]);
  });

  it('distributes merchants by id and every other large table by merchant_id beside it', () => {
    expect(statements).toContain("SELECT create_distributed_table('merchants', 'id')");
    expect(statements).toContain(
      "SELECT create_distributed_table('order_events', 'merchant_id', " +
        "colocate_with => 'merchants')",
    );
  });

  it('skips a table that is already placed, so that the set-up can be run again', () => {
    const at = lines.indexOf("SELECT create_reference_table('settings')");

    expect(lines[at + 1]).toBe(
      '  WHERE NOT EXISTS (SELECT 1 FROM pg_dist_partition ' +
        "WHERE logicalrelid = 'settings'::regclass);",
    );
  });

  it('sets the shard count for the session before it distributes anything, when asked', () => {
    const withCount = citusSetupSql({ shardCount: 64 }).split('\n');
    const setAt = withCount.indexOf('SET citus.shard_count = 64;');
    const firstAt = withCount.findIndex((line) => line.startsWith('SELECT create_'));

    expect(setAt).toBeGreaterThan(-1);
    expect(setAt).toBeLessThan(firstAt);
    expect(sql).not.toContain('citus.shard_count');
  });

  it.each([0, 1.5, 4097])('refuses a shard count of %s', (shardCount) => {
    expect(() => citusSetupSql({ shardCount })).toThrow(/shard count/);
  });

  it('drops the commit-order trigger before distributing events; places no local table', () => {
    const dropAt = lines.indexOf('DROP TRIGGER IF EXISTS events_in_commit_order ON events;');
    const eventsAt = lines.findIndex((line) => line.includes("create_distributed_table('events'"));
    const placed = statements.join('\n');

    expect(dropAt).toBeGreaterThan(-1);
    expect(dropAt).toBeLessThan(eventsAt);
    for (const { table } of DISTRIBUTION.local) expect(placed).not.toContain(`'${table}'`);
  });
});
