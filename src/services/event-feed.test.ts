import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../store/db.js';
import { STORES } from '../test-support/stores.js';
import { readEvents } from './event-feed.js';

/**
 * The feed hands out seqs as text; it must still order and page by the
 * number. 25 events make seqs of one and two digits: as text, "10" sorts
 * before "2" and a client following `next` would skip 2 to 9 for good.
 */
describe.each(STORES)('the event feed on $name', ({ open }) => {
  let db: Db;

  beforeAll(async () => {
    db = await open();
    await db.transaction(async (tx) => {
      for (let i = 1; i <= 25; i += 1) {
        await tx.query(
          `INSERT INTO events (key, type, merchant_id, at, payload)
           VALUES ($1, 'test.event', $2, '2024-07-02T00:00:00+08:00', '{}'::jsonb)`,
          [`test:${i}`, i % 2 === 0 ? 'M-EVEN' : 'M-ODD'],
        );
      }
    });
  });

  afterAll(async () => {
    await db.close();
  });

  const follow = async (merchantId?: string) => {
    const keys: string[] = [];
    let after = '0';
    for (let page = 0; page < 30; page += 1) {
      const { items, next } = await readEvents(db, { after, limit: 4, merchantId });
      if (items.length === 0) break;
      keys.push(...items.map((e) => e.id));
      after = next;
    }
    return keys;
  };

  it('gives one page of every event in the order written', async () => {
    const { items, next } = await readEvents(db, { after: '0', limit: 100 });
    expect(items.map((e) => e.id)).toEqual(Array.from({ length: 25 }, (_, i) => `test:${i + 1}`));
    expect(next).toBe(items[24]?.seq);
  });

  it('pages through every event by following next, none skipped or repeated', async () => {
    expect(await follow()).toEqual(Array.from({ length: 25 }, (_, i) => `test:${i + 1}`));
  });

  it("pages through one merchant's events the same way", async () => {
    const odd = Array.from({ length: 13 }, (_, i) => `test:${2 * i + 1}`);
    expect(await follow('M-ODD')).toEqual(odd);
  });
});
