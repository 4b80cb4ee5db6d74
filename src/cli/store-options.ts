import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { LadderError } from '../core/errors.js';
import { ensureRulebook } from '../services/rulebooks.js';
import type { Db } from '../store/db.js';
import { openStore } from '../store/open.js';

export interface StoreFlags {
  readonly data?: string;
}

/** `--data DIR` for the embedded store; `DATABASE_URL` for a real server wins over it. */
export function withStoreOption(command: Command): Command {
  return command.option(
    '--data <dir>',
    'embedded store directory (ignored when DATABASE_URL is set)',
    '.ladder',
  );
}

/**
 * Opens the store the flags and environment name, with the shipped rulebook
 * if it has none. Commands that only read refuse a data directory that does
 * not exist rather than create an empty store at a mistyped path.
 */
export async function openCliStore(
  flags: StoreFlags,
  options: { mustExist?: boolean } = {},
): Promise<Db> {
  const databaseUrl = process.env.DATABASE_URL;
  const dataDir = flags.data ?? '.ladder';
  if (!databaseUrl && options.mustExist && !existsSync(dataDir)) {
    throw new LadderError('NO_STORE', `there is no store at ${dataDir}`, [
      {
        path: '--data',
        message: 'names no store: import data first (ladder import DIR) or pass the right --data',
        value: dataDir,
      },
    ]);
  }
  const db = await openStore(databaseUrl ? { databaseUrl } : { dataDir });
  await ensureRulebook(db);
  return db;
}

export async function withStore<T>(
  flags: StoreFlags,
  work: (db: Db) => Promise<T>,
  options: { mustExist?: boolean } = {},
): Promise<T> {
  const db = await openCliStore(flags, options);
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

/** For commands that read or run what is stored: a missing data directory is an error. */
export function withExistingStore<T>(flags: StoreFlags, work: (db: Db) => Promise<T>): Promise<T> {
  return withStore(flags, work, { mustExist: true });
}
