import { describe, expect, it } from 'vitest';
import { STORES } from '../test-support/stores.js';
import { ensureRulebook } from './rulebooks.js';

describe.each(STORES)('a new store gets its first rulebook on $name', ({ open }) => {
  it('once, when two processes open it at the same time', async () => {
    const db = await open();
    try {
      // Two pools on one server stand for two processes; on PGlite they take turns.
      const outcomes = await Promise.allSettled([ensureRulebook(db), ensureRulebook(db)]);

      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled']);
      const versions = await db.query<{ key: string }>(
        "SELECT id || '@' || version AS key FROM rulebook_versions ORDER BY version",
      );
      expect(versions).toEqual([{ key: '3n-2024-07@1' }]);
    } finally {
      await db.close();
    }
  });
});
