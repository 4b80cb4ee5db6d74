import type { Db } from '../store/db.js';

/**
 * Answers of a merchant's reads kept in memory until the store changes. Every
 * transaction that writes announces itself on commit (Db.onChange): this
 * process's own before its caller goes on, another process's (an import, a
 * run from the CLI) within the notification's latency. Any change forgets
 * everything: the answers are cheap to recompute once, and a rule that knew
 * which merchants a write touched would be one more thing to get wrong.
 *
 * Until the watch is up, and whenever it breaks, nothing is kept or served
 * from memory: every read goes to the store. A broken watch is tried again
 * with a growing pause (RETRY_MS, doubled, at most MAX_RETRY_MS).
 */

const RETRY_MS = 500;
const MAX_RETRY_MS = 30_000;

export interface ReadCacheStats {
  hits: number;
  misses: number;
  invalidations: number;
}

export class ReadCache {
  readonly #entries = new Map<string, unknown>();
  readonly stats: ReadCacheStats = { hits: 0, misses: 0, invalidations: 0 };
  #generation = 0;
  #watching = false;
  #stopped = false;
  #stopWatch: (() => Promise<void>) | null = null;
  #retry: NodeJS.Timeout | null = null;

  /**
   * `maxEntries`: the oldest answer is dropped to make room for a new one
   * beyond it. `changed`: told of every change heard, for what else this
   * process keeps from the store (the compiled rulebooks).
   */
  constructor(
    private readonly maxEntries = 20_000,
    private readonly changed: () => void = () => undefined,
  ) {}

  get watching(): boolean {
    return this.#watching;
  }

  /** Starts watching `db`; a failure to start is reported and retried, never thrown. */
  async watch(db: Db, onLost: (err: Error) => void = () => undefined): Promise<void> {
    await this.#start(db, onLost, RETRY_MS);
  }

  async #start(db: Db, onLost: (err: Error) => void, pause: number): Promise<void> {
    if (this.#stopped) return;
    const retry = (err: Error) => {
      this.#watching = false;
      this.invalidate();
      onLost(err);
      if (this.#stopped) return;
      this.#retry = setTimeout(() => {
        this.#retry = null;
        void this.#start(db, onLost, Math.min(pause * 2, MAX_RETRY_MS));
      }, pause);
      this.#retry.unref();
    };
    try {
      this.#stopWatch = await db.onChange(() => this.invalidate(), retry);
      if (this.#stopped) {
        await this.#stopWatch();
        return;
      }
      this.#watching = true;
    } catch (err) {
      retry(err as Error);
    }
  }

  /** The kept answer for `key`, or `compute()`'s, kept unless the store changed meanwhile. */
  async through<T>(key: string, compute: () => Promise<T>): Promise<T> {
    if (!this.#watching) return compute();
    if (this.#entries.has(key)) {
      this.stats.hits += 1;
      return this.#entries.get(key) as T;
    }
    this.stats.misses += 1;
    const generation = this.#generation;
    const value = await compute();
    // A change while computing may or may not be in `value`: keep it only if none came.
    if (this.#watching && generation === this.#generation) {
      if (this.#entries.size >= this.maxEntries) {
        const oldest = this.#entries.keys().next().value;
        if (oldest !== undefined) this.#entries.delete(oldest);
      }
      this.#entries.set(key, value);
    }
    return value;
  }

  invalidate(): void {
    this.#generation += 1;
    this.stats.invalidations += 1;
    this.#entries.clear();
    this.changed();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#watching = false;
    this.#entries.clear();
    if (this.#retry) clearTimeout(this.#retry);
    await this.#stopWatch?.();
  }
}
