// The two stores the benchmark measures, as the harness needs them: how a
// `ladder` child is pointed at the store, the raw COPY that the import is
// compared with, the product's own Db for the in-process steps, and the CPU
// time of the database. The product itself is reached only through its CLI,
// its server and its exported service functions.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { parentPid, ROOT, seconds, treeCpuSeconds } from './proc.mjs';

const dist = (path) => join(ROOT, 'dist', path);
const { openStore } = await import(dist('store/open.js'));

/** The columns of orders.csv, typed as the store keeps them, and nothing else. */
const BARE_TABLE = `CREATE TABLE bench_bare_orders (
  id text, merchant_id text, service text, type text,
  amount_usd numeric, cleared_at timestamptz, usd_cny numeric)`;
/** A copy of the product's orders table with its indexes and checks (no foreign key). */
const LIKE_TABLE = 'CREATE TABLE bench_like_orders (LIKE orders INCLUDING ALL)';
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

    return {
      name: 'postgres',
      env: { DATABASE_URL: databaseUrl },
      args: [],
      settings,
      open: () => openStore({ databaseUrl }),
      /** CPU seconds of the whole server so far; null when it cannot be read. */
      serverCpuSeconds: () => (postmaster === null ? null : treeCpuSeconds(postmaster)),
      copyIntoBare: (csv) =>
        pgCopy(client, psql, databaseUrl, BARE_TABLE, 'bench_bare_orders', csv),
      copyIntoLikeOrders: (csv) =>
        pgCopy(client, psql, databaseUrl, LIKE_TABLE, 'bench_like_orders', csv),
      close: () => client.end(),
    };
  } catch (err) {
    await client.end();
    throw err;
  }
}

/** psql's `\copy`, the plain client-side COPY FROM STDIN, timed from psql's start to its end. */
async function pgCopy(client, psql, databaseUrl, createSql, table, csv) {
  await client.query(createSql);
  try {
    const started = process.hrtime.bigint();
    const command = `\\copy ${table} ${CSV_COLUMNS} FROM '${csv}' WITH (FORMAT csv, HEADER)`;
    const output = await new Promise((resolve, reject) => {
      const child = spawn(psql, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', databaseUrl, '-c', command]);
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
    const elapsed = seconds(started);
    const rows = Number(/COPY (\d+)/.exec(output)?.[1]);
    return { seconds: elapsed, rows: Number.isFinite(rows) ? rows : null };
  } finally {
    await client.query(`DROP TABLE ${table}`);
  }
}

/**
 * The embedded store in `dataDir`, created by the first `ladder import`. Its
 * raw COPY runs in this process on the same data directory, while no
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
    copyIntoBare: (csv) => pgliteCopy(dataDir, BARE_TABLE, 'bench_bare_orders', csv),
    copyIntoLikeOrders: (csv) => pgliteCopy(dataDir, LIKE_TABLE, 'bench_like_orders', csv),
    close: async () => {},
  };
}

async function pgliteCopy(dataDir, createSql, table, csv) {
  if (existsSync(join(dataDir, 'ladder.lock'))) {
    throw new Error(`the embedded store ${dataDir} is in use; the raw COPY needs it alone`);
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create({ dataDir });
  try {
    await db.exec(createSql);
    // The file is read before the clock starts: PGlite takes its input whole.
    const blob = new Blob([await readFile(csv)]);
    const started = process.hrtime.bigint();
    const result = await db.query(
      `COPY ${table} ${CSV_COLUMNS} FROM '/dev/blob' WITH (FORMAT csv, HEADER)`,
      [],
      { blob },
    );
    return { seconds: seconds(started), rows: result.affectedRows ?? null };
  } finally {
    await db.exec(`DROP TABLE IF EXISTS ${table}`);
    await db.close();
  }
}
