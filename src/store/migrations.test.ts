import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES } from '../test-support/stores.js';
import type { Db } from './db.js';
import { MIGRATIONS, migrate, migrationsCurrent } from './migrations.js';

async function tableNames(db: Db): Promise<string[]> {
  const rows = await db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables
     WHERE table_schema = current_schema() ORDER BY table_name`,
  );
  return rows.map((row) => row.table_name);
}

async function appliedMigrations(db: Db): Promise<{ version: number; applied_at: string }[]> {
  const rows = await db.query<{ version: number; applied_at: string }>(
    'SELECT version, applied_at FROM schema_migrations ORDER BY version',
  );
  return rows.map((row) => ({ version: Number(row.version), applied_at: row.applied_at }));
}

describe.each(STORES)('migrations on $name', ({ open }) => {
  // One store for the suite: a PGlite costs most of a second to open, and
  // every case below either only reads or writes ids of its own.
  let db: Db;

  beforeAll(async () => {
    db = await open();
  });

  afterAll(async () => {
    await db.close();
  });

  it('changes nothing when a migrated store is migrated again, twice', async () => {
    const tablesBefore = await tableNames(db);
    const appliedBefore = await appliedMigrations(db);

    await migrate(db);
    await migrate(db);

    expect(await tableNames(db)).toEqual(tablesBefore);
    expect(await appliedMigrations(db)).toEqual(appliedBefore);
    expect(tablesBefore).toContain('ledger_entries');
  });

  it('records exactly one schema_migrations row per migration, numbered from 1', async () => {
    const applied = await appliedMigrations(db);

    expect(applied.map((row) => row.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(await migrationsCurrent(db)).toBe(true);
  });

  it('fills the new merchant columns of a version-3 store with data', async () => {
    class Rollback extends Error {}
    let upgraded: unknown[] = [];
    // A schema of its own, made and dropped in one transaction that is rolled back.
    const outcome = await db
      .transaction(async (tx) => {
        await tx.exec('CREATE SCHEMA v3_upgrade; SET LOCAL search_path TO v3_upgrade');
        for (const sql of MIGRATIONS.slice(0, 3)) await tx.exec(sql);
        await tx.exec(`
          INSERT INTO merchants (id, fx_rating) VALUES ('M-1', 'A'), ('M-2', 'A');
          INSERT INTO orders (id, merchant_id, service, type, amount_usd, cleared_at)
            VALUES ('O-1', 'M-1', '3+N', 'TA3N', 100, '2024-08-15T02:00:00Z'),
                   ('O-2', 'M-2', '3+N', 'TA3N', 200, '2024-08-15T02:00:00Z');
          INSERT INTO order_events (order_id, status, at)
            VALUES ('O-2', 'cancelled', '2024-09-20T00:00:00Z');
          INSERT INTO events (key, type, merchant_id, at, payload)
            VALUES ('fee-reversed:O-2', 'fee.reversed', 'M-2', '2024-09-20T00:00:00Z', '{}');
          INSERT INTO webhook_subscriptions (id, url, secret)
            VALUES ('wh-1', 'http://127.0.0.1/', 's');
          INSERT INTO webhook_deliveries (subscription_id, event_seq, status, next_attempt_at)
            SELECT 'wh-1', seq, 'pending', now() FROM events;
        `);

        await tx.exec(MIGRATIONS[3] ?? '');

        upgraded = [
          ...(await tx.query('SELECT merchant_id, order_id FROM order_events')),
          ...(await tx.query('SELECT subscription_id, event_merchant_id FROM webhook_deliveries')),
        ];
        throw new Rollback();
      })
      .catch((err: unknown) => err);

    expect(outcome).toBeInstanceOf(Rollback);
    expect(upgraded).toEqual([
      { merchant_id: 'M-2', order_id: 'O-2' },
      { subscription_id: 'wh-1', event_merchant_id: 'M-2' },
    ]);
  });

  it('sets the session time zone to UTC in and out of transactions', async () => {
    const outside = await db.query<{ TimeZone: string }>('SHOW TimeZone');
    const inside = await db.transaction((tx) => tx.query<{ TimeZone: string }>('SHOW TimeZone'));

    expect([outside[0]?.TimeZone, inside[0]?.TimeZone]).toEqual(['UTC', 'UTC']);
  });

  it.each([
    ['1.005', '1.005'],
    ['0.10', '0.10'],
    ['20.475', '20.475'],
    ['123456789012345678901234.000000000001', '123456789012345678901234.000000000001'],
  ])('reads numeric %s back as the exact string %s', async (sent, expected) => {
    const rows = await db.query<{ value: unknown }>('SELECT $1::numeric AS value', [sent]);

    expect(rows[0]?.value).toBe(expected);
  });

  it('keeps an amount stored in a numeric column exact, digit for digit', async () => {
    await db.query("INSERT INTO merchants (id, fx_rating) VALUES ('M-1', 'A')");
    await db.query(
      `INSERT INTO orders (id, merchant_id, service, type, amount_usd, cleared_at, usd_cny)
       VALUES ('O-1', 'M-1', '3+N', 'TA3N', $1, $2, $3)`,
      ['1.005', '2024-08-15T02:00:00.000Z', '7.12345678'],
    );

    const rows = await db.query<{ amount_usd: unknown; usd_cny: unknown }>(
      "SELECT amount_usd, usd_cny FROM orders WHERE id = 'O-1'",
    );

    expect(rows[0]).toEqual({ amount_usd: '1.005', usd_cny: '7.12345678' });
  });

  // SPEC §5 and §6 round half-up to 0.01 CNY; PostgreSQL's round() on
  // numeric rounds half away from zero, which is the same for amounts > 0.
  it.each([
    ['2.675', '2.68'],
    ['1.005', '1.01'],
    ['20.475', '20.48'],
    ['123.795', '123.80'],
    ['118.125', '118.13'],
    ['0.004', '0.00'],
    ['0.005', '0.01'],
    ['479.245', '479.25'],
  ])('rounds %s half-up to %s with round(x, 2)', async (value, expected) => {
    const rows = await db.query<{ rounded: unknown }>('SELECT round($1::numeric, 2) AS rounded', [
      value,
    ]);

    expect(rows[0]?.rounded).toBe(expected);
  });
});
