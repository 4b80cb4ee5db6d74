import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { copyStatement } from './copy.js';
import { ANNOUNCE_CHANGE_SQL, CHANGES_CHANNEL, type Db, type Queryable } from './db.js';
import { migrate } from './migrations.js';
import { preparedName } from './prepared.js';

// numeric, int8 and timestamptz stay strings, as in the PGlite adapter.
const NUMERIC = 1700;
const INT8 = 20;
const TIMESTAMPTZ = 1184;
for (const oid of [NUMERIC, INT8, TIMESTAMPTZ]) pg.types.setTypeParser(oid, (value) => value);

/**
 * `COPY … FROM STDIN` through pg-copy-streams on one connection. `pipeline`
 * writes a chunk only when the socket has room for it, so a file streams
 * through at the server's pace; if the source fails, the stream sends
 * CopyFail, the server ends the COPY with an error and the connection is
 * ready again for the caller's ROLLBACK.
 */
async function copyOn(
  client: pg.PoolClient,
  table: string,
  columns: readonly string[],
  source: AsyncIterable<string | Uint8Array>,
): Promise<number> {
  const stream = client.query(copyStreams.from(copyStatement(table, columns, 'stdin')));
  await pipeline(source, stream);
  return stream.rowCount;
}

function wrap(client: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query<Row>(sql: string, params: readonly unknown[] = []) {
      const name = preparedName(sql);
      const result =
        name === undefined
          ? await client.query(sql, params as unknown[])
          : await client.query({ name, text: sql, values: params as unknown[] });
      return result.rows as Row[];
    },
    async exec(sql: string) {
      await client.query(sql);
    },
    async copyRows(table, columns, source) {
      if (!(client instanceof pg.Pool)) return copyOn(client, table, columns, source);
      // Outside a transaction the COPY is one of its own, on a connection of its own.
      const connection = await client.connect();
      let broken: Error | undefined;
      try {
        return await copyOn(connection, table, columns, source);
      } catch (err) {
        broken = err as Error;
        throw err;
      } finally {
        connection.release(broken);
      }
    },
  };
}

/** A real PostgreSQL server at `DATABASE_URL`, migrated on open. */
export async function openPostgres(url: string, options: { schema?: string } = {}): Promise<Db> {
  const schema = options.schema;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`schema name ${JSON.stringify(schema)} must be a lowercase SQL identifier`);
  }
  // Session settings go in the startup packet, so that they hold before the
  // first query of every pooled connection without a query of their own.
  // JIT compilation costs more than it saves on the short, indexed queries
  // that make up almost all of Ladder's work (a workbench read: 13 ms with it
  // on a cold plan, 2 ms without), so it is off for Ladder's connections.
  const settings = [
    '-c TimeZone=UTC',
    '-c jit=off',
    ...(schema ? [`-c search_path=${schema}`] : []),
  ];
  const pool = new pg.Pool({ connectionString: url, max: 8, options: settings.join(' ') });
  // A connection that drops while idle in the pool (a server restart, a
  // terminated backend) is an event, not a crash: the pool makes a new one.
  pool.on('error', () => undefined);
  if (schema) await pool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);

  const local = new Set<() => void>();
  const db: Db = {
    kind: 'postgres',
    ...wrap(pool),
    async transaction(work) {
      const client = await pool.connect();
      // A connection lost mid-transaction fails the query in flight; the
      // client's own error event must not take the process down with it.
      const onError = () => undefined;
      client.on('error', onError);
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await work(wrap(client));
        // One round trip: announce the change (if the transaction wrote), then commit.
        const [announced] = (await client.query(
          `${ANNOUNCE_CHANGE_SQL}; COMMIT`,
        )) as unknown as pg.QueryResult[];
        // This process's watchers hear of its own writes before the caller
        // goes on, so that a read after a write never gets an answer kept from before.
        if ((announced?.rowCount ?? 0) > 0) for (const changed of local) changed();
        return result;
      } catch (err) {
        // The server rolls back a transaction whose connection is gone; a
        // connection that cannot even roll back is destroyed, not reused.
        await client.query('ROLLBACK').catch((rollbackErr: Error) => {
          broken = rollbackErr;
        });
        throw err;
      } finally {
        client.off('error', onError);
        client.release(broken);
      }
    },
    async onChange(changed, lost) {
      local.add(changed);
      try {
        const stop = await watchChanges(url, settings, changed, lost);
        return async () => {
          local.delete(changed);
          await stop();
        };
      } catch (err) {
        local.delete(changed);
        throw err;
      }
    },
    close: () => pool.end(),
  };
  await migrate(db);
  return db;
}

/**
 * A connection of its own that LISTENs for the notifications writing
 * transactions send on commit, from this process or any other. A watch that
 * breaks (the server restarts, the connection drops) reports `lost` once and
 * ends; the caller decides whether to watch again.
 */
async function watchChanges(
  url: string,
  settings: readonly string[],
  changed: () => void,
  lost: (err: Error) => void,
): Promise<() => Promise<void>> {
  const client = new pg.Client({ connectionString: url, options: settings.join(' ') });
  let stopped = false;
  const fail = (err: Error) => {
    if (stopped) return;
    stopped = true;
    lost(err);
    client.end().catch(() => undefined);
  };
  client.on('error', fail);
  client.on('end', () => fail(new Error('the change watch connection ended')));
  await client.connect();
  const [{ schema } = { schema: '' }] = (
    await client.query<{ schema: string }>('SELECT current_schema() AS schema')
  ).rows;
  client.on('notification', (message) => {
    if (message.payload === schema) changed();
  });
  await client.query(`LISTEN ${CHANGES_CHANNEL}`);
  return async () => {
    stopped = true;
    await client.end().catch(() => undefined);
  };
}
