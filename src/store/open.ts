import type { Db } from './db.js';
import { openPgliteDir, openPgliteMemory } from './pglite.js';
import { openPostgres } from './postgres.js';

export interface StoreOptions {
  /** PGlite data directory; ignored when `databaseUrl` is set. */
  readonly dataDir?: string;
  /** A real PostgreSQL server; wins over `dataDir`. */
  readonly databaseUrl?: string;
  /** A fresh embedded store in memory (replay, tests). */
  readonly memory?: boolean;
}

/** Opens the store that the options name: PostgreSQL, a PGlite directory, or PGlite in memory. */
export async function openStore(options: StoreOptions): Promise<Db> {
  if (options.memory) return openPgliteMemory();
  if (options.databaseUrl) return openPostgres(options.databaseUrl);
  return openPgliteDir(options.dataDir ?? '.ladder');
}
