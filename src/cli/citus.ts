import { LadderError } from '../core/errors.js';
import { citusSetupSql, MAX_SHARD_COUNT } from '../store/distribution.js';
import { distributionProblems } from '../store/distribution-check.js';
import { openStore } from '../store/open.js';
import { positiveInteger } from './commands.js';
import type { StoreFlags } from './store-options.js';

/**
 * `ladder citus-setup`: prints the SQL that places every table on a Citus
 * cluster (docs/SCALING.md), to be run on the coordinator with psql. With
 * `--check` it first opens the store, which applies the migrations it lacks,
 * and holds its schema against the placement: a schema that does not fit is
 * a bug of this version, so it fails (exit 1) naming each table and key.
 */
export async function citusSetupCommand(
  flags: StoreFlags & { check?: boolean; shardCount?: string },
): Promise<void> {
  const shardCount =
    flags.shardCount === undefined ? undefined : positiveInteger('--shard-count', flags.shardCount);
  if (shardCount !== undefined && shardCount > MAX_SHARD_COUNT) {
    throw new LadderError('INVALID_INPUT', `--shard-count must be at most ${MAX_SHARD_COUNT}`, [
      {
        path: '--shard-count',
        message: `must be at most ${MAX_SHARD_COUNT}`,
        value: flags.shardCount,
      },
    ]);
  }
  if (flags.check) {
    const databaseUrl = process.env.DATABASE_URL;
    const db = await openStore(
      databaseUrl ? { databaseUrl } : { dataDir: flags.data ?? '.ladder' },
    );
    try {
      const problems = await distributionProblems(db);
      if (problems.length > 0) {
        throw new Error(`the schema does not fit its Citus placement:\n  ${problems.join('\n  ')}`);
      }
    } finally {
      await db.close();
    }
  }
  process.stdout.write(citusSetupSql(shardCount === undefined ? {} : { shardCount }));
}
