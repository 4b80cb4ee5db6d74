import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LadderError } from '../core/errors.js';
import type { Db } from '../store/db.js';
import { STORES } from '../test-support/stores.js';
import { importDirectory } from './import.js';
import { ensureRulebook, loadRulebooks, publishRulebook } from './rulebooks.js';

const MERCHANTS = 'id,fxRating\r\nM-1,A\r\nM-2,B\r\n';
const ORDERS = [
  'id,merchantId,service,type,amountUsd,clearedAt,usdCny',
  'O-1,M-1,3+N,TA3N,1000.00,2024-08-15T10:00:00+08:00,7.1000',
  'O-2,M-2,3+N,OT3N,2000.00,2024-08-16T10:00:00+08:00,',
].join('\n');

async function count(db: Db, table: string): Promise<number> {
  const rows = await db.query<{ n: string | number }>(`SELECT count(*) AS n FROM ${table}`);
  return Number(rows[0]?.n);
}

describe.each(STORES)('importing CSV files on $name', ({ open }) => {
  let db: Db;
  let dir: string;

  beforeEach(async () => {
    db = await open();
    await ensureRulebook(db);
    dir = mkdtempSync(join(tmpdir(), 'ladder-import-'));
    writeFileSync(join(dir, 'merchants.csv'), MERCHANTS);
    writeFileSync(join(dir, 'orders.csv'), ORDERS);
  });

  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads the files, and the same files again change nothing', async () => {
    const first = await importDirectory(db, dir);
    expect(first.files.map((f) => [f.file, f.inserted, f.unchanged])).toEqual([
      ['merchants.csv', 2, 0],
      ['orders.csv', 2, 0],
    ]);
    const second = await importDirectory(db, dir);
    expect(second.files.map((f) => [f.file, f.inserted, f.unchanged])).toEqual([
      ['merchants.csv', 0, 2],
      ['orders.csv', 0, 2],
    ]);
    expect(await count(db, 'orders')).toBe(2);
  });

  it('refuses every file when one row is bad, naming file, line, field and value', async () => {
    writeFileSync(
      join(dir, 'orders.csv'),
      `${ORDERS}\nO-3,M-1,3+N,TA3N,-5.00,2024-08-17T10:00:00+08:00,\n`,
    );
    const failure = await importDirectory(db, dir).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(LadderError);
    expect((failure as LadderError).issues).toEqual([
      expect.objectContaining({ path: 'orders.csv:4 amountUsd', value: '-5.00' }),
    ]);
    expect(await count(db, 'merchants')).toBe(0);
    expect(await count(db, 'orders')).toBe(0);
  });

  it('applies the good rows with skipBad and returns the bad ones', async () => {
    writeFileSync(
      join(dir, 'orders.csv'),
      `${ORDERS}\nO-3,M-1,3+N,TA3N,100.00,2024-08-17T10:00:00,\nO-4,M-9,3+N,TA3N,100.00,2024-08-17T10:00:00+08:00,\n`,
    );
    const result = await importDirectory(db, dir, { skipBad: true });
    expect(result.rejected.map((issue) => issue.path)).toEqual([
      'orders.csv:4 clearedAt',
      'orders.csv:5 merchantId',
    ]);
    expect(await count(db, 'orders')).toBe(2);
  });

  it('refuses a conflicting re-send of an order and keeps the first', async () => {
    await importDirectory(db, dir);
    writeFileSync(join(dir, 'orders.csv'), ORDERS.replace('1000.00', '1500.00'));
    await expect(importDirectory(db, dir)).rejects.toMatchObject({ code: 'CONFLICT' });
    const rows = await db.query<{ amount_usd: string }>(
      "SELECT amount_usd FROM orders WHERE id = 'O-1'",
    );
    expect(rows[0]?.amount_usd).toBe('1000.00');
  });

  it('says so when a file is not CSV of the expected shape', async () => {
    writeFileSync(join(dir, 'orders.csv'), '{"orders": [1, 2, 3]}\n');
    await expect(importDirectory(db, dir)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(await count(db, 'merchants')).toBe(0);
  });

  it('publishes customs monthly rates as a new rulebook version, once', async () => {
    writeFileSync(join(dir, 'fx-rates.csv'), 'month,usdCny\n2024-08,7.1268\n');
    const first = await importDirectory(db, dir);
    expect(first.rulebookVersions).toEqual(['3n-2024-07@2']);
    const again = await importDirectory(db, dir);
    expect(again.rulebookVersions).toEqual([]);
    const versions = await loadRulebooks(db);
    expect(versions.map((v) => v.key)).toEqual(['3n-2024-07@1', '3n-2024-07@2']);
    expect(versions[1]?.document.fees.monthlyUsdCny).toEqual({ '2024-08': '7.1268' });
  });

  it('gives the rates to every version in force somewhere, not only the latest', async () => {
    // Version 2 takes effect on 2025-01-01 with LV3 from 400,000; an order of
    // 2024-08 is still priced under version 1 and needs August's rate there.
    const [v1] = await loadRulebooks(db);
    const doc = structuredClone(v1?.document) as Record<string, unknown>;
    await db.transaction((tx) =>
      publishRulebook(tx, { ...doc, version: 2, effectiveFrom: '2025-01-01T00:00:00+08:00' }),
    );
    writeFileSync(join(dir, 'fx-rates.csv'), 'month,usdCny\n2024-08,7.1268\n2025-01,7.1900\n');
    const first = await importDirectory(db, dir);
    expect(first.rulebookVersions).toEqual(['3n-2024-07@3', '3n-2024-07@4']);
    const versions = await loadRulebooks(db);
    const byKey = new Map(versions.map((v) => [v.key, v]));
    const rates = { '2024-08': '7.1268', '2025-01': '7.1900' };
    expect(byKey.get('3n-2024-07@3')?.document.effectiveFrom).toBe(doc.effectiveFrom);
    expect(byKey.get('3n-2024-07@3')?.document.fees.monthlyUsdCny).toEqual(rates);
    expect(byKey.get('3n-2024-07@4')?.document.effectiveFrom).toBe('2025-01-01T00:00:00+08:00');
    expect(byKey.get('3n-2024-07@4')?.document.fees.monthlyUsdCny).toEqual(rates);
    expect((await importDirectory(db, dir)).rulebookVersions).toEqual([]);
  });

  it('refuses one file that repeats an order id with other facts', async () => {
    writeFileSync(
      join(dir, 'orders.csv'),
      `${ORDERS}\nO-1,M-1,3+N,TA3N,1000.01,2024-08-15T10:00:00+08:00,7.1000\n`,
    );
    await expect(importDirectory(db, dir)).rejects.toMatchObject({
      code: 'CONFLICT',
      issues: [expect.objectContaining({ path: 'orders.csv:4 id', value: 'O-1' })],
    });
    expect(await count(db, 'orders')).toBe(0);
  });

  it('takes one file that repeats an order with the same facts as one order', async () => {
    writeFileSync(
      join(dir, 'orders.csv'),
      `${ORDERS}\nO-1,M-1,3+N,TA3N,1000.0,2024-08-15T02:00:00Z,7.1\n`,
    );
    await importDirectory(db, dir);
    expect(await count(db, 'orders')).toBe(2);
  });

  it('counts every row once, as inserted, unchanged or rejected', async () => {
    writeFileSync(join(dir, 'merchants.csv'), `${MERCHANTS}M-1,A\r\nM-2,C\r\n`);
    writeFileSync(
      join(dir, 'order-events.csv'),
      'orderId,at,status\nO-1,2024-09-01T00:00:00+08:00,cancelled\nO-9,2024-09-01T00:00:00+08:00,cancelled\n',
    );

    const result = await importDirectory(db, dir, { skipBad: true });

    expect(result.files.map((f) => [f.file, f.rows, f.inserted, f.unchanged, f.rejected])).toEqual([
      ['merchants.csv', 4, 2, 1, 1],
      ['orders.csv', 2, 2, 0, 0],
      ['order-events.csv', 2, 1, 0, 1],
    ]);
  });

  it('counts re-sent risk flags and rating changes as unchanged', async () => {
    writeFileSync(
      join(dir, 'risk-flags.csv'),
      'merchantId,from,to\nM-1,2024-09-01T00:00:00+08:00,\n',
    );
    writeFileSync(
      join(dir, 'fx-rating-changes.csv'),
      'merchantId,at,rating\nM-2,2024-10-01T00:00:00+08:00,A\n',
    );
    const first = await importDirectory(db, dir);
    const second = await importDirectory(db, dir);
    const counts = (r: typeof first) =>
      r.files
        .filter((f) => f.file !== 'orders.csv' && f.file !== 'merchants.csv')
        .map((f) => [f.file, f.inserted, f.unchanged]);
    expect(counts(first)).toEqual([
      ['fx-rating-changes.csv', 1, 0],
      ['risk-flags.csv', 1, 0],
    ]);
    expect(counts(second)).toEqual([
      ['fx-rating-changes.csv', 0, 1],
      ['risk-flags.csv', 0, 1],
    ]);
  });

  const YEARS = 'must lie in the years 0001 to 9999 in UTC';
  const NUL = 'must not contain the NUL character (U+0000)';
  it.each([
    ['risk-flags.csv', 'merchantId,from,to', 'M-1,0001-01-01T07:00:00+08:00,', 'from', YEARS],
    [
      'risk-flags.csv',
      'merchantId,from,to',
      'M-1,2024-09-01,9999-12-31T23:59:59-08:00',
      'to',
      YEARS,
    ],
    [
      'order-events.csv',
      'orderId,at,status',
      'O-1,0000-03-15T10:00:00+08:00,cancelled',
      'at',
      YEARS,
    ],
    ['fx-rating-changes.csv', 'merchantId,at,rating', 'M-2,0001-01-01,C', 'at', YEARS],
    ['fx-rating-changes.csv', 'merchantId,at,rating', 'M\u0000-2,2024-10-01,C', 'merchantId', NUL],
    ['merchants.csv', 'id,fxRating\nM-1,A\nM-2,B', 'M-\u0000X,A', 'id', NUL],
  ])(
    'refuses a row of %s the store could not hold, naming file, line and field',
    async (file, header, line, field, message) => {
      // The row is the file's last line; merchants.csv keeps M-1 and M-2 before it.
      const lines = [...header.split('\n'), line];
      writeFileSync(join(dir, file), `${lines.join('\n')}\n`);
      const value = line.split(',')[(lines[0] ?? '').split(',').indexOf(field)];

      const failure = await importDirectory(db, dir).catch((err: unknown) => err);

      expect(failure).toBeInstanceOf(LadderError);
      expect((failure as LadderError).issues).toEqual([
        { path: `${file}:${lines.length} ${field}`, message, value },
      ]);
      expect(await count(db, 'merchants')).toBe(0);
    },
  );

  it('takes a risk flag over the first to the last instant the store holds', async () => {
    writeFileSync(
      join(dir, 'risk-flags.csv'),
      'merchantId,from,to\nM-1,0001-01-01T00:00:00Z,9999-12-31T23:59:59.999Z\n',
    );

    const result = await importDirectory(db, dir);

    expect(result.files.find((f) => f.file === 'risk-flags.csv')?.inserted).toBe(1);
  });

  it.each([
    ['an empty file', ''],
    ['a header of other columns', 'foo,bar\n'],
  ])('refuses %s named orders.csv, before writing anything', async (_, text) => {
    writeFileSync(join(dir, 'orders.csv'), text);
    await expect(importDirectory(db, dir)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      issues: [expect.objectContaining({ path: 'orders.csv:1' })],
    });
    expect(await count(db, 'merchants')).toBe(0);
  });
});
