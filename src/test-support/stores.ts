import { randomBytes } from 'node:crypto';
import type { Db } from '../store/db.js';
import { openPgliteMemory } from '../store/pglite.js';
import { openPostgres } from '../store/postgres.js';

/**
 * The stores that every store suite runs on, once each (STYLE habit 10):
 *
 *   describe.each(STORES)('ingest on $name', ({ open }) => { ... });
 *
 * PGlite always; PostgreSQL when `DATABASE_URL` names a server, as
 * `scripts/with-postgres.sh` sets it. Each `open()` gives an empty, migrated
 * store of its own: a PGlite loaded from the cached template, or a schema of
 * its own on the server, dropped again by `close()`.
 */
export interface TestStore {
  readonly name: 'pglite' | 'postgres';
  readonly open: () => Promise<Db>;
}

const databaseUrl = process.env.DATABASE_URL ?? '';
const inCi = (process.env.CI ?? '') !== '' && process.env.CI !== 'false';

// A CI run without a server would pass while testing half of the stores.
if (inCi && databaseUrl === '') {
  throw new Error(
    'CI is set but DATABASE_URL is not: run the tests under scripts/with-postgres.sh ' +
      'so that the store suites also run on PostgreSQL',
  );
}

async function openPostgresSchema(url: string): Promise<Db> {
  const schema = `t_${randomBytes(8).toString('hex')}`;
  const db = await openPostgres(url, { schema });
  return {
    ...db,
    async close() {
      try {
        await db.query(`DROP SCHEMA "${schema}" CASCADE`);
      } finally {
        await db.close();
      }
    },
  };
}

const pglite: TestStore = { name: 'pglite', open: openPgliteMemory };

export const STORES: readonly TestStore[] =
  databaseUrl === ''
    ? [pglite]
    : [pglite, { name: 'postgres', open: () => openPostgresSchema(databaseUrl) }];
