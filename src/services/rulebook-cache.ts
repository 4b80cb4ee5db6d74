import type { Rulebook } from '../core/rulebook/rulebook.js';
import type { Queryable } from '../store/db.js';
import { loadRulebooks } from './rulebooks.js';

/**
 * Compiled rulebook versions, kept between requests. Versions are never
 * edited, only added, so one cheap query (which versions exist) tells whether
 * the compiled set is still the store's; only then are documents read and
 * compiled again. Another process publishing a version is seen on the next
 * request.
 */
export class RulebookCache {
  #fingerprint = '';
  #rulebooks: Rulebook[] = [];

  async get(db: Queryable): Promise<Rulebook[]> {
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
