import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite, types } from '@electric-sql/pglite';
import { LadderError } from '../core/errors.js';
import { copyStatement } from './copy.js';
import { ANNOUNCE_CHANGE_SQL, CHANGES_CHANNEL, type Db, type Queryable } from './db.js';
import { MIGRATIONS, migrate } from './migrations.js';

// Read numeric, int8 and timestamptz as the server prints them: numeric stays
// an exact decimal string, timestamps are turned into instants by the store.
const PARSERS = {
  [types.NUMERIC]: (value: string) => value,
  [types.INT8]: (value: string) => value,
  [types.TIMESTAMPTZ]: (value: string) => value,
};

function wrap(pg: Pick<PGlite, 'query' | 'exec'>): Queryable {
  return {
    async query<Row>(sql: string, params: readonly unknown[] = []) {
      const result = await pg.query<Row>(sql, params as unknown[]);
      return result.rows;
    },
    async exec(sql: string) {
      await pg.exec(sql);
    },
    // PGlite reads COPY data from a blob handed over with the query, not from
    // a stream: one statement per chunk keeps one chunk in memory at a time.
    async copyRows(table, columns, source) {
      const sql = copyStatement(table, columns, 'blob');
      let rows = 0;
      for await (const chunk of source) {
        if (chunk.length === 0) continue;
        const part = typeof chunk === 'string' ? chunk : new Uint8Array(chunk);
        const result = await pg.query(sql, [], { blob: new Blob([part]) });
        rows += result.affectedRows ?? 0;
      }
      return rows;
    },
  };
}

function asDb(pg: PGlite): Db {
  return {
    kind: 'pglite',
    ...wrap(pg),
    transaction: (work) =>
      pg.transaction(async (tx) => {
        const result = await work(wrap(tx));
        await tx.query(ANNOUNCE_CHANGE_SQL);
        return result;
      }),
    // An embedded store is one process's, so its own notifications are all there are.
    async onChange(changed) {
      const stop = await pg.listen(CHANGES_CHANNEL, () => changed());
      return stop;
    },
    close: () => pg.close(),
  };
}

const SESSION_SETTINGS = "SET TIME ZONE 'UTC'";

/** A data directory on disk (`--data DIR`), created and migrated on first use. */
export async function openPgliteDir(dataDir: string): Promise<Db> {
  await mkdir(dataDir, { recursive: true });
  const release = lockDataDir(dataDir);
  try {
    const pg = await PGlite.create({ dataDir, parsers: PARSERS });
    await pg.exec(SESSION_SETTINGS);
    const db = asDb(pg);
    await migrate(db);
    return {
      ...db,
      async close() {
        try {
          await db.close();
        } finally {
          release();
        }
      },
    };
  } catch (err) {
    release();
    throw err;
  }
}

/**
 * An embedded store is one process's: a second process on the same data
 * directory would corrupt it. A lock file holds the owner's pid; a lock left
 * by a process that no longer runs is taken over.
 */
function lockDataDir(dataDir: string): () => void {
  const path = join(dataDir, 'ladder.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      const release = () => rmSync(path, { force: true });
      process.once('exit', release);
      return () => {
        process.off('exit', release);
        release();
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(readFileSync(path, 'utf8'));
      if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
        throw new LadderError(
          'STORE_IN_USE',
          `the embedded store ${dataDir} is in use by process ${owner}; wait for it to finish, ` +
            'stop it, or use DATABASE_URL for a PostgreSQL server that many processes can share',
        );
      }
      rmSync(path, { force: true });
    }
  }
  throw new LadderError('STORE_IN_USE', `could not lock the embedded store ${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function templatePath(): string {
  const schemaHash = createHash('sha256').update(MIGRATIONS.join('\n')).digest('hex').slice(0, 16);
  const here = dirname(fileURLToPath(import.meta.url));
  // node_modules/.cache survives rebuilds and is ignored by git.
  return join(here, '..', '..', 'node_modules', '.cache', 'ladder', `pglite-${schemaHash}.tar.gz`);
}

/**
 * A fresh in-memory store. Creating a database inside WebAssembly takes
 * seconds, so the first call saves a migrated, empty data directory as a
 * template and every later call loads it (about half a second).
 */
export async function openPgliteMemory(): Promise<Db> {
  const path = templatePath();
  if (existsSync(path)) {
    const blob = new Blob([await readFile(path)]);
    const pg = await PGlite.create({ loadDataDir: blob, parsers: PARSERS });
    await pg.exec(SESSION_SETTINGS);
    return asDb(pg);
  }

  const pg = await PGlite.create({ parsers: PARSERS });
  await pg.exec(SESSION_SETTINGS);
  const db = asDb(pg);
  await migrate(db);
  const dump = await pg.dumpDataDir('gzip');
  await mkdir(dirname(path), { recursive: true });
  const partial = `${path}.${process.pid}.tmp`;
  await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
  await rename(partial, path);
  return db;
}
