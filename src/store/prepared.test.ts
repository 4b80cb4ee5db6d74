import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES } from '../test-support/stores.js';
import type { Db } from './db.js';
import { prepared, preparedName } from './prepared.js';

const MARKED = prepared('SELECT $1::int + 1 AS n /* prepared.test */');
const PLAIN = 'SELECT $1::int + 2 AS n /* prepared.test */';

describe('marked statements', () => {
  it('are named by their text alone, the same name each time', () => {
    expect(preparedName(MARKED)).toMatch(/^ladder_[0-9a-f]{16}$/);
    expect(preparedName(prepared(MARKED))).toBe(preparedName(MARKED));
    expect(preparedName(PLAIN)).toBeUndefined();
  });
});

describe.each(STORES)('marked statements on $name', ({ name, open }) => {
  let db: Db;
  beforeAll(async () => {
    db = await open();
  });
  afterAll(async () => {
    await db.close();
  });

  it('answer as unmarked ones do, call after call', async () => {
    for (const n of [1, 2, 41]) {
      expect(await db.query(MARKED, [n])).toEqual([{ n: n + 1 }]);
      expect(await db.query(PLAIN, [n])).toEqual([{ n: n + 2 }]);
    }
  });

  it.runIf(name === 'postgres')(
    'are prepared on the connection that ran them, and only they',
    async () => {
      const names = await db.transaction(async (tx) => {
        await tx.query(MARKED, [1]);
        await tx.query(PLAIN, [1]);
        const rows = await tx.query<{ name: string }>(
          "SELECT name FROM pg_prepared_statements WHERE statement LIKE '%prepared.test%'",
        );
        return rows.map((r) => r.name);
      });
      expect(names).toEqual([preparedName(MARKED)]);
    },
  );
});
