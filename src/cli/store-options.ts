import type { Command } from 'commander';
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

/** Opens the store the flags and environment name, with the shipped rulebook if it has none. */
export async function openCliStore(flags: StoreFlags): Promise<Db> {
  const databaseUrl = process.env.DATABASE_URL;
  const db = await openStore(databaseUrl ? { databaseUrl } : { dataDir: flags.data ?? '.ladder' });
  await ensureRulebook(db);
  return db;
}

export async function withStore<T>(flags: StoreFlags, work: (db: Db) => Promise<T>): Promise<T> {
  const db = await openCliStore(flags);
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}
