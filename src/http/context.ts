import type { Instant } from '../core/time.js';
import { RulebookCache } from '../services/rulebook-cache.js';
import type { Db } from '../store/db.js';
import type { TokenCache } from './auth.js';
import type { Metrics } from './metrics.js';
import { ReadCache } from './read-cache.js';

/** Where the server reads the time: the system clock, or a test's. */
export interface Clock {
  now(): Instant;
}

export const systemClock: Clock = { now: () => Date.now() };

declare module 'fastify' {
  interface FastifyInstance {
    ladder: AppContext & {
      readonly metrics: Metrics;
      /** Looked-up API tokens; a token revoked through the API is forgotten at once. */
      readonly tokens: TokenCache;
      /** Kept answers are kept as JSON text, when no response schema checks them on the way out. */
      readonly keepAsJson: boolean;
    };
  }
}

/** What every route handler reaches: the store, the clock, compiled rulebooks. */
export interface AppContext {
  readonly db: Db;
  readonly clock: Clock;
  readonly rulebooks: RulebookCache;
  /** Merchant reads kept until the store changes (src/http/read-cache.ts). */
  readonly reads: ReadCache;
}

export function appContext(db: Db, clock: Clock = systemClock): AppContext {
  const rulebooks = new RulebookCache();
  // A change heard may be a rulebook published by another process: the next
  // answer must not be computed from the compiled set checked before it.
  const reads = new ReadCache(undefined, () => rulebooks.invalidate());
  return { db, clock, rulebooks, reads };
}
