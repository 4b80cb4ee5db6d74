// The two stores the benchmark measures, as the harness needs them: how a
// `ladder` child is pointed at the store, the product's own Db for the steps
// timed in process, plain SQL and COPY for the baselines, and the CPU time of
// the database. The product itself is reached only through its CLI, its
// server and its exported service functions.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { parentPid, ROOT, seconds, treeCpuSeconds } from './proc.mjs';

const dist = (path) => join(ROOT, 'dist', path);
const { openStore } = await import(dist('store/open.js'));

const CSV_COLUMNS = '(id, merchant_id, service, type, amount_usd, cleared_at, usd_cny)';

const SETTINGS = [
  'server_version',
  'fsync',
  'synchronous_commit',
  'full_page_writes',
  'shared_buffers',
  'work_mem',
  'maintenance_work_mem',
  'max_wal_size',
  'effective_cache_size',
  'max_parallel_workers_per_gather',
  'jit',
];

/** Refuses, with the reason, unless the benchmark can use PostgreSQL as it must. */
export class NoPostgres extends Error {}

/**
 * The PostgreSQL at `databaseUrl`: it must answer, its database must be empty
 * (the benchmark fills it), and psql must be at hand for the raw COPY.
 */
export async function postgresStore(databaseUrl) {
  if (!databaseUrl) {
    throw new NoPostgres(
      'the benchmark needs a PostgreSQL 15 server: run it as `npm run bench`, which starts a ' +
        'throwaway one (scripts/with-postgres.sh), or set DATABASE_URL to an empty database',
    );
  }
  const psql = [process.env.PGBIN, '/usr/lib/postgresql/15/bin']
    .filter(Boolean)
    .map((dir) => join(dir, 'psql'))
    .find((path) => existsSync(path));
  if (psql === undefined) throw new NoPostgres('no psql (set PGBIN to PostgreSQL 15 binaries)');

  const client = new pg.Client({ connectionString: databaseUrl });
  try {
    await client.connect();
  } catch (err) {
    throw new NoPostgres(`PostgreSQL at DATABASE_URL does not answer: ${err.message}`);
  }
  try {
    const tables = await client.query(
      `SELECT count(*)::int AS n FROM information_schema.tables
       WHERE table_schema NOT IN ('pg_catalog', 'information_schema')`,
    );
    if (tables.rows[0].n > 0) {
      throw new NoPostgres(
        'the database at DATABASE_URL is not empty; the benchmark imports into it and needs ' +
          'a throwaway one (`npm run bench` starts its own)',
      );
    }
    const backend = await client.query('SELECT pg_backend_pid() AS pid');
    const postmaster = parentPid(backend.rows[0].pid);
    const settings = {};
    for (const name of SETTINGS)
      settings[name] = (await client.query(`SHOW ${name}`)).rows[0][name];

    const sql = async (text) => (await client.query(text)).rows;
    return {
      name: 'postgres',
      env: { DATABASE_URL: databaseUrl },
      args: [],
      settings,
      open: () => openStore({ databaseUrl }),
      /** CPU seconds of the whole server so far; null when it cannot be read. */
      serverCpuSeconds: () => (postmaster === null ? null : treeCpuSeconds(postmaster)),
      withSql: (work) =>
        work({ sql, copy: (table, csv) => psqlCopy(psql, databaseUrl, table, csv) }),
      close: () => client.end(),
    };
  } catch (err) {
    await client.end();
    throw err;
  }
}

/** psql's `\copy`, the plain client-side COPY FROM STDIN, timed from psql's start to its end. */
async function psqlCopy(psql, databaseUrl, table, csv) {
  const started = process.hrtime.bigint();
  const command = `\\copy ${table} ${CSV_COLUMNS} FROM '${csv}' WITH (FORMAT csv, HEADER)`;
  const output = await new Promise((resolve, reject) => {
    const child = spawn(psql, ['-X', '-v', 'ON_ERROR_STOP=1', databaseUrl, '-c', command]);
    let text = '';
    child.stdout.on('data', (chunk) => {
      text += chunk;
    });
    child.stderr.on('data', (chunk) => {
      text += chunk;
    });
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve(text) : reject(new Error(`psql ${command}: ${text}`)),
    );
  });
  const rows = Number(/COPY (\d+)/.exec(output)?.[1]);
  return { seconds: seconds(started), rows: Number.isFinite(rows) ? rows : null };
}

/**
 * The embedded store in `dataDir`, created by the first `ladder import`. Its
 * baselines run in this process on the same data directory, while no
 * `ladder` process holds it.
 */
export function pgliteStore(dataDir) {
  return {
    name: 'pglite',
    env: { DATABASE_URL: '' },
    args: ['--data', dataDir],
    settings: {},
    open: () => openStore({ dataDir }),
    /** PostgreSQL runs inside the `ladder` process: its CPU is that process's. */
    serverCpuSeconds: () => null,
    withSql: (work) => withPglite(dataDir, work),
    close: async () => {},
  };
}

async function withPglite(dataDir, work) {
  if (existsSync(join(dataDir, 'ladder.lock'))) {
    throw new Error(`the embedded store ${dataDir} is in use; the baselines need it alone`);
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create({ dataDir });
  const sql = async (text) => (await db.query(text)).rows;
  const copy = async (table, csv) => {
    // The file is read before the clock starts: PGlite takes its input whole.
    const blob = new Blob([await readFile(csv)]);
    const started = process.hrtime.bigint();
    const result = await db.query(
      `COPY ${table} ${CSV_COLUMNS} FROM '/dev/blob' WITH (FORMAT csv, HEADER)`,
      [],
      { blob },
    );
    return { seconds: seconds(started), rows: result.affectedRows ?? null };
  };
  try {
    return await work({ sql, copy });
  } finally {
    await db.close();
  }
}

async function timed(work) {
  const started = process.hrtime.bigint();
  await work();
  return seconds(started);
}

/** The baseline of the import: COPY into a table of the same columns, without index or check. */
export function copyIntoBareTable(store, csv) {
  return store.withSql(async ({ sql, copy }) => {
    await sql(`CREATE TABLE bench_bare_orders (
      id text, merchant_id text, service text, type text,
      amount_usd numeric, cleared_at timestamptz, usd_cny numeric)`);
    try {
      return await copy('bench_bare_orders', csv);
    } finally {
      await sql('DROP TABLE bench_bare_orders');
    }
  });
}

/**
 * What writing the rows into a table shaped like the product's orders costs
 * by itself, whatever the import does around it: COPY into a copy with its
 * defaults and checks only; building its indexes after that; and COPY into a
 * copy that maintains its indexes and foreign keys row by row. Read from the
 * catalogue, so it follows the schema as it changes.
 */
export function copiesLikeOrders(store, csv) {
  return store.withSql(async ({ sql, copy }) => {
    const indexes = await sql(
      "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'orders'",
    );
    const foreignKeys = await sql(
      `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint
       WHERE conrelid = 'orders'::regclass AND contype = 'f'`,
    );
    const onCopy = (def, i) =>
      def.indexdef.replace(
        /^CREATE (UNIQUE )?INDEX \S+ ON \S+/,
        `CREATE $1INDEX bench_like_${i} ON bench_like_orders`,
      );

    const out = { indexes: indexes.length, foreignKeys: foreignKeys.length };
    try {
      await sql(
        'CREATE TABLE bench_like_orders (LIKE orders INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
      );
      out.checksOnlySeconds = (await copy('bench_like_orders', csv)).seconds;
      out.indexesBuiltAfterSeconds = await timed(async () => {
        for (const [i, def] of indexes.entries()) await sql(onCopy(def, i));
      });
      await sql('DROP TABLE bench_like_orders');

      await sql(
        'CREATE TABLE bench_like_orders (LIKE orders INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
      );
      for (const [i, def] of indexes.entries()) await sql(onCopy(def, i));
      for (const fk of foreignKeys) await sql(`ALTER TABLE bench_like_orders ADD ${fk.def}`);
      out.indexesAndKeysMaintainedSeconds = (await copy('bench_like_orders', csv)).seconds;
    } finally {
      await sql('DROP TABLE IF EXISTS bench_like_orders');
    }
    return out;
  });
}
