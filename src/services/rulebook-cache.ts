import type { Rulebook } from '../core/rulebook/rulebook.js';
import type { Queryable } from '../store/db.js';
import { loadRulebooks } from './rulebooks.js';

/**
 * Compiled rulebook versions, kept between requests. Versions are never
 * edited, only added, so one cheap query (which versions exist) tells whether
 * the compiled set is still the store's; only then are documents read and
 * compiled again; that query runs at most once per `freshMs`.
 */
export class RulebookCache {
  #fingerprint = '';
  #rulebooks: Rulebook[] = [];
  #checkedAt = Number.NEGATIVE_INFINITY;
  /** `freshMs`: how long a check holds; a version published elsewhere is seen after at most this. */
  constructor(private readonly freshMs = 1_000) {}

  /** Forget the compiled set: the next `get` reads the store (after a publish here). */
  invalidate(): void {
    this.#checkedAt = Number.NEGATIVE_INFINITY;
  }

  async get(db: Queryable): Promise<Rulebook[]> {
    const now = performance.now();
    if (now - this.#checkedAt < this.freshMs && this.#rulebooks.length > 0) return this.#rulebooks;
    this.#checkedAt = now;
    const rows = await db.query<{ fingerprint: string | null }>(
      `SELECT string_agg(v.id || '@' || v.version, ',' ORDER BY v.version) AS fingerprint
       FROM rulebook_versions v JOIN settings s ON s.key = 'rulebook' AND s.value = v.id`,
    );
    const fingerprint = rows[0]?.fingerprint ?? '';
    if (fingerprint !== this.#fingerprint || this.#rulebooks.length === 0) {
      this.#rulebooks = await loadRulebooks(db);
      this.#fingerprint = fingerprint;
    }
    return this.#rulebooks;
  }
}
