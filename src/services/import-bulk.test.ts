import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LadderError } from '../core/errors.js';
import { instantProblem, parseInstant } from '../core/time.js';
import type { Db } from '../store/db.js';
import { fromPg } from '../store/rows.js';
import { STORES } from '../test-support/stores.js';
import { type ImportOptions, importDirectory } from './import.js';
import { BULK_KINDS, importBulkFile } from './import-bulk.js';
import { fastInstant } from './import-cells.js';
import { ingest } from './ingest.js';
import { ensureRulebook } from './rulebooks.js';

const ORDER_HEADER = 'id,merchantId,service,type,amountUsd,clearedAt,usdCny';

const pad2 = (n: number) => String(n).padStart(2, '0');

/** Order `O-0001`… of M-1 or M-2, `i`.00 USD, cleared `i` minutes after 10:00 on 2024-08-15. */
function orderLine(i: number, cells: Partial<Record<string, string>> = {}): string {
  const row = {
    id: `O-${String(i).padStart(4, '0')}`,
    merchantId: i % 2 === 0 ? 'M-2' : 'M-1',
    service: '3+N',
    type: 'TA3N',
    amountUsd: `${i}.00`,
    clearedAt: `2024-08-15T${pad2(10 + (Math.floor(i / 60) % 14))}:${pad2(i % 60)}:00+08:00`,
    usdCny: i % 3 === 0 ? '' : '7.1000',
    ...cells,
  };
  return [
    row.id,
    row.merchantId,
    row.service,
    row.type,
    row.amountUsd,
    row.clearedAt,
    row.usdCny,
  ].join(',');
}

function ordersFile(count: number, replace: Record<number, string> = {}): string {
  const lines = [ORDER_HEADER];
  for (let i = 1; i <= count; i++) lines.push(replace[i] ?? orderLine(i));
  return `${lines.join('\r\n')}\r\n`;
}

async function count(db: Db, table: string): Promise<number> {
  const rows = await db.query<{ n: string | number }>(`SELECT count(*) AS n FROM ${table}`);
  return Number(rows[0]?.n);
}

async function refusal(db: Db, dir: string, options: ImportOptions = {}): Promise<LadderError> {
  const err = await importDirectory(db, dir, options).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LadderError);
  return err as LadderError;
}

describe('the instants the bulk import passes on without the schema', () => {
  it('are all instants the schema accepts', () => {
    const digits = (n: number) => fc.stringMatching(new RegExp(`^\\d{${n}}$`));
    const nearInstant = fc
      .tuple(
        fc.constantFrom('1899', '1900', '1999', '2000', '2024', '2099', '2100'),
        digits(2),
        digits(2),
        digits(2),
        digits(2),
        fc.option(fc.tuple(digits(2), fc.option(fc.stringMatching(/^\d{1,4}$/)))),
        fc.constantFrom('Z', 'z', '+08:00', '-15:59', '+16:00', '+23:59', '-00:30', ''),
      )
      .map(([y, mo, d, h, mi, sec, offset]) => {
        const seconds = sec === null ? '' : `:${sec[0]}${sec[1] === null ? '' : `.${sec[1]}`}`;
        return `${y}-${mo}-${d}T${h}:${mi}${seconds}${offset}`;
      });
    fc.assert(
      fc.property(nearInstant, (text) => {
        if (fastInstant(text)) expect(instantProblem(text)).toBeNull();
      }),
      { numRuns: 5000 },
    );
  });

  it.each([
    ['2024-02-29T10:00:00+08:00', true],
    ['2023-02-29T10:00:00+08:00', false],
    ['2024-04-31T10:00:00+08:00', false],
    ['2024-12-31T23:59:59.999-15:59', true],
    ['2024-08-15T10:00Z', true],
    ['2024-08-15T10:00:00.1234Z', false],
    ['2024-08-15', false],
    ['2024-08-15T10:00:00+16:00', false],
  ])('takes %s as it is: %s', (text, fast) => {
    expect(fastInstant(text)).toBe(fast);
  });
});

describe.each(STORES)('the bulk import of big files on $name', ({ open }) => {
  let db: Db;
  let dir: string;

  beforeEach(async () => {
    db = await open();
    await ensureRulebook(db);
    dir = mkdtempSync(join(tmpdir(), 'ladder-bulk-'));
    writeFileSync(join(dir, 'merchants.csv'), 'id,fxRating\r\nM-1,A\r\nM-2,B\r\n');
  });

  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const write = (file: string, text: string) => writeFileSync(join(dir, file), text);
  const ordersSummary = (result: Awaited<ReturnType<typeof importDirectory>>) =>
    result.files.find((f) => f.file === 'orders.csv');

  it('imports a file of many COPY chunks completely, in file order', async () => {
    write('orders.csv', ordersFile(25));

    const result = await importDirectory(db, dir, { copyChunkRows: 10 });

    expect(ordersSummary(result)).toEqual({
      file: 'orders.csv',
      rows: 25,
      inserted: 25,
      unchanged: 0,
      rejected: 0,
    });
    // 1 + 2 + … + 25 = 325; every third order has no rate of its own: 8 of them.
    const totals = await db.query<{ usd: string; without_rate: string | number }>(
      `SELECT sum(amount_usd)::text AS usd,
              count(*) FILTER (WHERE usd_cny IS NULL) AS without_rate
       FROM orders`,
    );
    expect(totals).toEqual([{ usd: '325.00', without_rate: expect.anything() }]);
    expect(Number(totals[0]?.without_rate)).toBe(8);
    const ids = await db.query<{ id: string }>('SELECT id FROM orders ORDER BY ingest_seq');
    expect(ids.map((r) => r.id)).toEqual(
      Array.from({ length: 25 }, (_, i) => `O-${String(i + 1).padStart(4, '0')}`),
    );
    const first = await db.query<{ cleared_at: string; usd_cny: string | null }>(
      "SELECT cleared_at, usd_cny FROM orders WHERE id = 'O-0001'",
    );
    expect(first.map((r) => [fromPg(r.cleared_at), r.usd_cny])).toEqual([
      [Date.parse('2024-08-15T02:01:00Z'), '7.1000'],
    ]);
  });

  it('refuses the whole import for one bad row deep in a large file, naming its line', async () => {
    // Line 1 is the header, so order 776 is on line 777.
    write('orders.csv', ordersFile(1000, { 776: orderLine(776, { amountUsd: '12.3.4' }) }));

    const err = await refusal(db, dir, { copyChunkRows: 100 });

    expect(err.code).toBe('INVALID_INPUT');
    expect(err.message).toBe('1 bad row(s); nothing was imported');
    expect(err.issues).toEqual([
      {
        path: 'orders.csv:777 amountUsd',
        message: 'must be a decimal string greater than 0, such as "1200.50" or "7.1000"',
        value: '12.3.4',
      },
    ]);
    expect(await count(db, 'orders')).toBe(0);
    expect(await count(db, 'merchants')).toBe(0);
  });

  it('with skipBad imports every other row and returns the bad one', async () => {
    write('orders.csv', ordersFile(1000, { 776: orderLine(776, { amountUsd: '12.3.4' }) }));

    const result = await importDirectory(db, dir, { copyChunkRows: 100, skipBad: true });

    expect(ordersSummary(result)).toMatchObject({
      rows: 1000,
      inserted: 999,
      rejected: 1,
      unchanged: 0,
    });
    expect(result.rejected.map((issue) => issue.path)).toEqual(['orders.csv:777 amountUsd']);
    expect(await count(db, 'orders')).toBe(999);
    expect(await db.query("SELECT id FROM orders WHERE id = 'O-0776'")).toEqual([]);
  });

  it('changes nothing when the same files are imported again', async () => {
    write('orders.csv', ordersFile(30));
    await importDirectory(db, dir, { copyChunkRows: 7 });
    const before = await db.query('SELECT id, ingest_seq FROM orders ORDER BY id');

    const again = await importDirectory(db, dir, { copyChunkRows: 7 });

    expect(ordersSummary(again)).toMatchObject({
      rows: 30,
      inserted: 0,
      unchanged: 30,
      rejected: 0,
    });
    expect(await db.query('SELECT id, ingest_seq FROM orders ORDER BY id')).toEqual(before);
  });

  it('refuses an id stored with other facts as a conflict and keeps what is stored', async () => {
    write('orders.csv', ordersFile(30));
    await importDirectory(db, dir);
    write('orders.csv', ordersFile(30, { 12: orderLine(12, { type: 'OT3N' }) }));

    const err = await refusal(db, dir);
    const skipped = await importDirectory(db, dir, { skipBad: true });

    expect(err.code).toBe('CONFLICT');
    expect(err.issues).toEqual([
      {
        path: 'orders.csv:13 id',
        message: 'order O-0012 was sent before with other facts',
        code: 'CONFLICT',
        value: 'O-0012',
      },
    ]);
    expect(ordersSummary(skipped)).toMatchObject({ inserted: 0, unchanged: 29, rejected: 1 });
    expect(await db.query("SELECT type FROM orders WHERE id = 'O-0012'")).toEqual([
      { type: 'TA3N' },
    ]);
  });

  it('takes a re-send written with other decimals and offsets as unchanged', async () => {
    write('orders.csv', ordersFile(3));
    await importDirectory(db, dir);
    write(
      'orders.csv',
      ordersFile(3, {
        1: orderLine(1, { amountUsd: '1.0', clearedAt: '2024-08-15T02:01:00Z', usdCny: '7.1' }),
      }),
    );

    const again = await importDirectory(db, dir);

    expect(ordersSummary(again)).toMatchObject({ inserted: 0, unchanged: 3, rejected: 0 });
  });

  it('takes the first of an id repeated across chunks and refuses other facts', async () => {
    write(
      'orders.csv',
      `${ordersFile(20)}${orderLine(3)}\r\n${orderLine(5, { amountUsd: '5.01' })}\r\n`,
    );

    const err = await refusal(db, dir, { copyChunkRows: 4 });
    const result = await importDirectory(db, dir, { copyChunkRows: 4, skipBad: true });

    expect(err.issues).toEqual([
      {
        path: 'orders.csv:23 id',
        message: 'order O-0005 appears earlier in this file, on line 6, with other facts',
        code: 'CONFLICT',
        value: 'O-0005',
      },
    ]);
    expect(ordersSummary(result)).toMatchObject({
      rows: 22,
      inserted: 20,
      unchanged: 1,
      rejected: 1,
    });
    expect(await db.query("SELECT amount_usd FROM orders WHERE id = 'O-0005'")).toEqual([
      { amount_usd: '5.00' },
    ]);
  });

  it('finds the repeats by grouping every id when the file repeats too many', async () => {
    write('orders.csv', `${ordersFile(8)}${orderLine(3)}\r\n${orderLine(5, { type: 'OT3N' })}\r\n`);
    await importDirectory(db, dir, { skipBad: true });
    const orders = BULK_KINDS.find((kind) => kind.table === 'orders');
    if (!orders) throw new Error('no orders kind');

    const summary = await db.transaction((tx) =>
      importBulkFile(tx, join(dir, 'orders.csv'), orders, { repeatCandidates: 0 }),
    );

    expect(summary).toMatchObject({ rows: 10, inserted: 0, unchanged: 9, rejected: 1 });
    expect(summary.issues.map((issue) => [issue.path, issue.message])).toEqual([
      [
        'orders.csv:11 id',
        'order O-0005 appears earlier in this file, on line 6, with other facts',
      ],
    ]);
  });

  it('reads quoted cells, and counts the lines of a cell that spans two', async () => {
    write(
      'orders.csv',
      [
        ORDER_HEADER,
        '"O-1,a",M-1,"3+N","TA""3N",100.00,2024-08-15T10:00:00+08:00,',
        '"O-2",M-2,3+N,"two',
        'lines",200.00,2024-08-15T10:00:00+08:00,7.1000',
        'O-3,M-1,3+N,TA3N,-1,2024-08-15T10:00:00+08:00,',
        '',
      ].join('\n'),
    );

    const result = await importDirectory(db, dir, { skipBad: true });

    expect(result.rejected).toEqual([
      expect.objectContaining({ path: 'orders.csv:5 amountUsd', value: '-1' }),
    ]);
    const rows = await db.query<{ id: string; type: string; amount_usd: string }>(
      'SELECT id, type, amount_usd FROM orders ORDER BY id',
    );
    expect(rows).toEqual([
      { id: 'O-1,a', type: 'TA"3N', amount_usd: '100.00' },
      { id: 'O-2', type: 'two\nlines', amount_usd: '200.00' },
    ]);
  });

  // Each message is the schema's (core/input.ts), word for word.
  const DECIMAL = 'must be a decimal string greater than 0, such as "1200.50" or "7.1000"';
  const DIGITS = 'must have at most 20 digits before the point and 10 after';
  const INSTANT = 'must be an ISO 8601 instant such as 2024-08-15T10:00:00+08:00';
  const OFFSET = 'must carry an offset (Z or ±hh:mm)';
  const YEARS = 'must lie in the years 0001 to 9999 in UTC';
  it.each([
    ['amountUsd', '-5.00', DECIMAL],
    ['amountUsd', '0.00', DECIMAL],
    ['amountUsd', '1e3', DECIMAL],
    ['amountUsd', '012.5', DECIMAL],
    ['amountUsd', '', DECIMAL],
    ['amountUsd', '1.12345678901', DIGITS],
    ['amountUsd', '123456789012345678901', DIGITS],
    ['usdCny', '7,1', DECIMAL],
    ['clearedAt', '2024-08-15T10:00:00', OFFSET],
    ['clearedAt', '2024-02-30T10:00:00+08:00', INSTANT],
    ['clearedAt', '2024-08-15T10:00:00.1234+08:00', INSTANT],
    ['clearedAt', '2024-08-15T10:00:60+08:00', INSTANT],
    ['clearedAt', '', INSTANT],
    ['id', '', 'must not be empty'],
    ['merchantId', 'M'.repeat(129), 'must be at most 128 characters'],
    ['service', '', 'must be one of "3+N", "2+N"'],
    ['type', 'T'.repeat(17), 'must be at most 16 characters'],
    ['service', '3+n', 'must be one of "3+N", "2+N"'],
    ['service', '4+N', 'must be one of "3+N", "2+N"'],
    ['clearedAt', '0000-03-15T10:00:00+08:00', YEARS],
    ['clearedAt', '0001-01-01T00:00:00+08:00', YEARS],
    ['clearedAt', '9999-12-31T23:59:59-08:00', YEARS],
    ['clearedAt', '0001-01-01', YEARS],
  ])('refuses %s %j with the schema’s words', async (field, value, message) => {
    const cell = /[",]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
    write('orders.csv', ordersFile(3, { 2: orderLine(2, { [field]: cell }) }));

    const err = await refusal(db, dir);

    expect(err.issues).toEqual([{ path: `orders.csv:3 ${field}`, message, value }]);
  });

  it.each([
    ['a bare date, midnight in Shanghai', '2024-08-15', '2024-08-14T16:00:00.000Z'],
    ['a lower-case z', '2024-08-15T10:00:00.5z', '2024-08-15T10:00:00.500Z'],
    [
      'an offset PostgreSQL reads no wider than ±15:59',
      '2024-08-15T10:00+20:00',
      '2024-08-14T14:00:00.000Z',
    ],
    ['a year before 1900', '1899-12-31T23:00:00Z', '1899-12-31T23:00:00.000Z'],
    ['the first instant the store holds', '0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
    ['the last instant the store holds', '9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
  ])('takes %s as the instant it names', async (_, clearedAt, utc) => {
    write('orders.csv', ordersFile(1, { 1: orderLine(1, { clearedAt }) }));

    await importDirectory(db, dir);

    const rows = await db.query<{ cleared_at: string }>('SELECT cleared_at FROM orders');
    expect(rows.map((r) => new Date(fromPg(r.cleared_at)).toISOString())).toEqual([utc]);
  });

  it('refuses an order of a merchant neither the store nor the import holds', async () => {
    write('orders.csv', ordersFile(4, { 3: orderLine(3, { merchantId: 'M-404' }) }));

    const err = await refusal(db, dir, { copyChunkRows: 2 });

    expect(err.code).toBe('UNKNOWN_REFERENCE');
    expect(err.issues).toEqual([
      {
        path: 'orders.csv:4 merchantId',
        message: 'names no known merchant',
        code: 'UNKNOWN_REFERENCE',
        value: 'M-404',
      },
    ]);
  });

  it('refuses charges of unknown orders, of other merchants and before clearance', async () => {
    write('orders.csv', ordersFile(3));
    write(
      'charges.csv',
      [
        'id,orderId,merchantId,kind,amountCny,at',
        'C-1,O-0001,M-1,tax-refund-service-fee,350.00,2024-09-01T10:00:00+08:00',
        'C-2,O-0404,M-1,tax-refund-service-fee,350.00,2024-09-01T10:00:00+08:00',
        'C-3,O-0002,M-1,tax-refund-service-fee,350.00,2024-09-01T10:00:00+08:00',
        'C-4,O-0003,M-1,tax-refund-service-fee,350.00,2024-08-15',
        'C-5,O-0003,M-1,coupon,350.00,2024-09-01T10:00:00+08:00',
        '',
      ].join('\n'),
    );

    const result = await importDirectory(db, dir, { skipBad: true });

    expect(result.rejected).toEqual([
      {
        path: 'charges.csv:3 orderId',
        message: 'names no known order',
        code: 'UNKNOWN_REFERENCE',
        value: 'O-0404',
      },
      { path: 'charges.csv:4 merchantId', message: 'order O-0002 belongs to M-2', value: 'M-1' },
      {
        path: 'charges.csv:5 at',
        message: 'is before order O-0003 was cleared',
        value: '2024-08-15',
      },
      {
        path: 'charges.csv:6 kind',
        message: 'must be "tax-refund-service-fee": coupons pay nothing else',
        value: 'coupon',
      },
    ]);
    expect(await db.query('SELECT id FROM charges')).toEqual([{ id: 'C-1' }]);
  });

  it('refuses settlements of unknown merchants and takes the others', async () => {
    write(
      'settlements.csv',
      [
        'id,merchantId,currency,amount,baseRate,account,at',
        'S-1,M-1,USD,50000.00,7.2120,export,2024-08-01T10:00:00+08:00',
        'S-2,M-9,USD,50000.00,7.2120,export,2024-08-01T10:00:00+08:00',
        '',
      ].join('\r\n'),
    );

    const result = await importDirectory(db, dir, { skipBad: true });

    expect(result.rejected.map((issue) => [issue.path, issue.value])).toEqual([
      ['settlements.csv:3 merchantId', 'M-9'],
    ]);
    expect(await db.query('SELECT id, amount, base_rate FROM settlements')).toEqual([
      { id: 'S-1', amount: '50000.00', base_rate: '7.2120' },
    ]);
  });

  it('refuses a currency that is no ISO 4217 code and takes EUR and 2+N orders', async () => {
    const CURRENCY = 'must be an ISO 4217 currency code of three capital letters, such as USD';
    write('orders.csv', ordersFile(2, { 2: orderLine(2, { service: '2+N' }) }));
    write(
      'settlements.csv',
      [
        'id,merchantId,currency,amount,baseRate,account,at',
        'S-1,M-1,EUR,50000.00,7.2120,export,2024-08-01T10:00:00+08:00',
        'S-2,M-1,usd,50000.00,7.2120,export,2024-08-01T10:00:00+08:00',
        'S-3,M-1,"US,D",50000.00,7.2120,export,2024-08-01T10:00:00+08:00',
        'S-4,M-1,GBP,50000.00,7.2120,agency-export,2024-08-01T10:00:00+08:00',
        '',
      ].join('\r\n'),
    );

    const result = await importDirectory(db, dir, { skipBad: true });

    expect(result.rejected).toEqual([
      { path: 'settlements.csv:3 currency', message: CURRENCY, value: 'usd' },
      { path: 'settlements.csv:4 currency', message: CURRENCY, value: 'US,D' },
    ]);
    expect(await db.query('SELECT id, currency FROM settlements ORDER BY id')).toEqual([
      { id: 'S-1', currency: 'EUR' },
      { id: 'S-4', currency: 'GBP' },
    ]);
    expect(await db.query('SELECT id, service FROM orders ORDER BY id')).toEqual([
      { id: 'O-0001', service: '3+N' },
      { id: 'O-0002', service: '2+N' },
    ]);
  });

  it('refuses a file that stops being CSV of its header’s shape, naming the line', async () => {
    write('orders.csv', ordersFile(50, { 40: 'O-0040,M-1,3+N' }));

    const err = await refusal(db, dir, { copyChunkRows: 10 });

    expect(err.code).toBe('INVALID_INPUT');
    expect(err.issues).toEqual([
      {
        path: 'orders.csv',
        message: 'is not valid CSV: Invalid Record Length: columns length is 7, got 3 on line 41',
      },
    ]);
    expect(await count(db, 'orders')).toBe(0);
  });

  it('tells its progress, phase by phase, and ends at the whole file', async () => {
    write('orders.csv', ordersFile(10));
    const events: { file: string; phase?: string; rows: number; done: boolean }[] = [];

    await importDirectory(db, dir, {
      onProgress: ({ file, phase, rows, bytesRead, bytesTotal }) => {
        if (file === 'orders.csv')
          events.push({ file, phase, rows, done: bytesRead === bytesTotal });
      },
    });

    expect(events.map((e) => e.phase)).toEqual(['checking', 'merging', undefined]);
    expect(events.at(-1)).toEqual({ file: 'orders.csv', phase: undefined, rows: 10, done: true });
  });

  it('reads an instant into the store as the core parses it', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.date({
          min: new Date('1900-01-02T00:00:00Z'),
          max: new Date('2099-12-30T00:00:00Z'),
          noInvalidDate: true,
        }),
        fc.integer({ min: -959, max: 959 }),
        fc.boolean(),
        async (date, offsetMinutes, withMs) => {
          const local = new Date(date.getTime() + offsetMinutes * 60_000).toISOString();
          const sign = offsetMinutes < 0 ? '-' : '+';
          const abs = Math.abs(offsetMinutes);
          const offset = `${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
          const text = `${local.slice(0, withMs ? 23 : 19)}${offset}`;
          expect(fastInstant(text)).toBe(true);
          const rows = await db.query<{ at: string }>('SELECT $1::timestamptz AS at', [text]);
          expect(fromPg(rows[0]?.at ?? '')).toBe(parseInstant(text));
        },
      ),
      { numRuns: 100 },
    );
  });
});

/** Every index and constraint of the tables a bulk load sets aside, by name with its definition. */
async function keysAndIndexes(db: Db): Promise<string[]> {
  const rows = await db.query<{ line: string }>(
    `SELECT c.relname || ' index ' || i.indexrelid::regclass::text || ': '
              || pg_get_indexdef(i.indexrelid) AS line
       FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
       WHERE c.relname IN ('orders', 'charges', 'settlements')
     UNION ALL
     SELECT c.relname || ' constraint ' || k.conname || ': ' || pg_get_constraintdef(k.oid)
       FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
       WHERE c.relname IN ('orders', 'charges', 'settlements')
     ORDER BY line`,
  );
  return rows.map((r) => r.line);
}

describe.each(STORES)('a bulk load on $name', ({ open }) => {
  let db: Db;
  let dir: string;

  beforeEach(async () => {
    db = await open();
    await ensureRulebook(db);
    dir = mkdtempSync(join(tmpdir(), 'ladder-bulk-load-'));
    writeFileSync(join(dir, 'merchants.csv'), 'id,fxRating\r\nM-1,A\r\nM-2,B\r\n');
    writeFileSync(join(dir, 'orders.csv'), ordersFile(40));
    writeFileSync(
      join(dir, 'charges.csv'),
      [
        'id,orderId,merchantId,kind,amountCny,at',
        'C-1,O-0001,M-1,tax-refund-service-fee,350.00,2024-09-01T10:00:00+08:00',
        'C-2,O-0002,M-2,tax-refund-service-fee,120.50,2024-09-02T10:00:00+08:00',
        '',
      ].join('\n'),
    );
  });

  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores the rows in file order and puts every index and key back as it was', async () => {
    const before = await keysAndIndexes(db);
    // The shipped schema has secondary indexes and foreign keys to set aside.
    expect(before.filter((l) => l.includes('FOREIGN KEY')).length).toBeGreaterThanOrEqual(2);
    expect(before.some((l) => l.startsWith('orders index orders_service_cleared'))).toBe(true);

    const result = await importDirectory(db, dir, { bulkLoad: true, copyChunkRows: 9 });

    const inserted = (file: string) => result.files.find((f) => f.file === file)?.inserted;
    expect([inserted('orders.csv'), inserted('charges.csv')]).toEqual([40, 2]);
    const ids = await db.query<{ id: string }>('SELECT id FROM orders ORDER BY ingest_seq');
    expect(ids.map((r) => r.id)).toEqual(
      Array.from({ length: 40 }, (_, i) => `O-${String(i + 1).padStart(4, '0')}`),
    );
    // 1 + 2 + … + 40 = 820.
    expect(await db.query('SELECT sum(amount_usd)::text AS usd FROM orders')).toEqual([
      { usd: '820.00' },
    ]);
    expect(await keysAndIndexes(db)).toEqual(before);
  });

  it('keeps the foreign keys it put back: a charge of no order is still refused by the store', async () => {
    await importDirectory(db, dir, { bulkLoad: true });
    const err = await db
      .query(
        `INSERT INTO charges (id, order_id, merchant_id, kind, amount_cny, at)
         VALUES ('C-X', 'O-9999', 'M-1', 'tax-refund-service-fee', 1, now())`,
      )
      .then(
        () => null,
        (e: { code?: string }) => e.code,
      );
    expect(err).toBe('23503');
  });

  it('changes nothing when the same files are loaded again', async () => {
    await importDirectory(db, dir, { bulkLoad: true });
    const before = await db.query('SELECT id, ingest_seq FROM orders ORDER BY id');

    const again = await importDirectory(db, dir, { bulkLoad: true });

    expect(again.files.map((f) => f.inserted)).toEqual(again.files.map(() => 0));
    expect(await db.query('SELECT id, ingest_seq FROM orders ORDER BY id')).toEqual(before);
  });

  it('leaves every index and key in place when a bad row refuses the load', async () => {
    const before = await keysAndIndexes(db);
    writeFileSync(
      join(dir, 'orders.csv'),
      ordersFile(40, { 33: orderLine(33, { merchantId: 'M-404' }) }),
    );

    const err = await refusal(db, dir, { bulkLoad: true });

    expect(err.issues.map((issue) => issue.path)).toEqual(['orders.csv:34 merchantId']);
    expect(await count(db, 'orders')).toBe(0);
    expect(await keysAndIndexes(db)).toEqual(before);
  });
});

// Only a real server runs two transactions at once; PGlite serialises them.
describe.each(STORES.filter((store) => store.name === 'postgres'))(
  'two bulk imports at once on $name',
  ({ open }) => {
    let db: Db;
    const dirs: string[] = [];

    function dataset(file: string, text: string): string {
      const d = mkdtempSync(join(tmpdir(), 'ladder-bulk-race-'));
      dirs.push(d);
      writeFileSync(join(d, file), text);
      return d;
    }

    // The merchants first, so that the two imports meet only at the orders.
    beforeEach(async () => {
      db = await open();
      await ensureRulebook(db);
      await importDirectory(db, dataset('merchants.csv', 'id,fxRating\r\nM-1,A\r\nM-2,B\r\n'));
    });

    afterEach(async () => {
      await db.close();
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    });

    /** A data set of its own: merchants, orders and charges whose ids start with `p`. */
    function ownDataset(p: string): string {
      const d = mkdtempSync(join(tmpdir(), 'ladder-bulk-pair-'));
      dirs.push(d);
      writeFileSync(join(d, 'merchants.csv'), `id,fxRating\n${p}M-1,A\n${p}M-2,B\n`);
      const orders = [ORDER_HEADER];
      const charges = ['id,orderId,merchantId,kind,amountCny,at'];
      for (let i = 1; i <= 300; i++) {
        const merchant = `${p}M-${(i % 2) + 1}`;
        orders.push(`${p}O-${i},${merchant},3+N,TA3N,${i}.00,2024-08-15T10:00:00+08:00,7.1000`);
        if (i <= 20) {
          charges.push(
            `${p}C-${i},${p}O-${i},${merchant},tax-refund-service-fee,1.00,2024-09-01T10:00:00+08:00`,
          );
        }
      }
      writeFileSync(join(d, 'orders.csv'), `${orders.join('\n')}\n`);
      writeFileSync(join(d, 'charges.csv'), `${charges.join('\n')}\n`);
      return d;
    }

    it.each([
      ['two bulk loads', true, true],
      ['an ordinary import and a bulk load', false, true],
    ] as const)('runs %s at once one after the other, never in a deadlock', async (_, x, y) => {
      for (let round = 0; round < 3; round++) {
        const a = ownDataset(`A${round}`);
        const b = ownDataset(`B${round}`);

        const outcomes = await Promise.allSettled([
          importDirectory(db, a, { bulkLoad: x }),
          importDirectory(db, b, { bulkLoad: y }),
        ]);

        expect(outcomes.map((o) => (o.status === 'rejected' ? String(o.reason) : 'ok'))).toEqual([
          'ok',
          'ok',
        ]);
      }
      // 2 + 3 × 2 × 2 merchants, 3 × 2 × 300 orders, 3 × 2 × 20 charges.
      expect([
        await count(db, 'merchants'),
        await count(db, 'orders'),
        await count(db, 'charges'),
      ]).toEqual([14, 1800, 120]);
    });

    it('refuses the second of two imports that send one order with other facts', async () => {
      const a = dataset('orders.csv', ordersFile(200));
      const b = dataset(
        'orders.csv',
        ordersFile(200, { 150: orderLine(150, { amountUsd: '150.01' }) }),
      );

      const outcomes = await Promise.allSettled([importDirectory(db, a), importDirectory(db, b)]);

      const refused = outcomes.filter((o) => o.status === 'rejected');
      expect(refused).toHaveLength(1);
      expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({
        code: 'CONFLICT',
        issues: [expect.objectContaining({ path: 'orders.csv:151 id', value: 'O-0150' })],
      });
      expect(await count(db, 'orders')).toBe(200);
    });

    it('waits for a writer of the same id under another merchant, then refuses it', async () => {
      // O-0150 is M-2's in the file; another transaction ingests it as M-1's
      // and holds it uncommitted. No key meets the two (keys carry
      // merchant_id): the import must wait on the id locks, then see it.
      const file = dataset('orders.csv', ordersFile(200));
      let importing: Promise<unknown> | undefined;
      let waited = false;
      await db.transaction(async (other) => {
        await ingest(other, {
          orders: [
            {
              value: {
                id: 'O-0150',
                merchantId: 'M-1',
                service: '3+N',
                type: 'TA3N',
                amountUsd: '999.00',
                clearedAt: '2024-08-15T10:00:00+08:00',
              },
              where: 'orders[0]',
            },
          ],
        });
        importing = importDirectory(db, file).catch((err: unknown) => err);
        for (let tries = 0; tries < 50 && !waited; tries++) {
          const rows = await db.query<{ n: string }>(
            `SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event = 'advisory'`,
          );
          waited = Number(rows[0]?.n) > 0;
          if (!waited) await new Promise((resolve) => setTimeout(resolve, 100));
        }
      });
      expect(waited).toBe(true);
      expect(await importing).toMatchObject({
        code: 'CONFLICT',
        issues: [expect.objectContaining({ path: 'orders.csv:151 id', value: 'O-0150' })],
      });
      const holders = await db.query("SELECT merchant_id FROM orders WHERE id = 'O-0150'");
      expect(holders).toEqual([{ merchant_id: 'M-1' }]);
    });

    it('refuses a row whose id another transaction writes while the import merges', async () => {
      const b = dataset('orders.csv', ordersFile(200));
      let importing: Promise<Awaited<ReturnType<typeof importDirectory>>> | undefined;

      // The other transaction holds O-0150 uncommitted until the import waits on it.
      await db.transaction(async (other) => {
        await other.query(
          `INSERT INTO orders (id, merchant_id, service, type, amount_usd, cleared_at)
           VALUES ('O-0150', 'M-2', '3+N', 'TA3N', '999.00', '2024-08-15T02:00:00Z')`,
        );
        importing = importDirectory(db, b, { skipBad: true });
        for (let tries = 0; tries < 300; tries++) {
          const waiting = await db.query<{ n: string }>(
            `SELECT count(*) AS n FROM pg_stat_activity
             WHERE wait_event_type = 'Lock' AND query LIKE '%import_stage%'`,
          );
          if (Number(waiting[0]?.n) > 0) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      });
      const result = await importing;

      expect(result?.rejected).toEqual([
        {
          path: 'orders.csv:151 id',
          message: 'order O-0150 was sent at the same time with other facts',
          code: 'CONFLICT',
          value: 'O-0150',
        },
      ]);
      expect(result?.files.find((f) => f.file === 'orders.csv')).toMatchObject({
        inserted: 199,
        unchanged: 0,
        rejected: 1,
      });
      expect(await db.query("SELECT amount_usd FROM orders WHERE id = 'O-0150'")).toEqual([
        { amount_usd: '999.00' },
      ]);
    });
  },
);
