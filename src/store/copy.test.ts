import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STORES } from '../test-support/stores.js';
import { copyStatement, csvRecord } from './copy.js';
import type { Db } from './db.js';

const COLUMNS = ['line', 'label', 'amount', 'at'] as const;

async function* chunks(...items: string[]): AsyncGenerator<string> {
  for (const item of items) yield item;
}

async function* failingAfter(first: string, message: string): AsyncGenerator<string> {
  yield first;
  throw new Error(message);
}

describe('the COPY statement and its records', () => {
  it('names the table and columns and reads CSV from STDIN or the blob', () => {
    expect(copyStatement('orders', ['id', 'amount_usd'], 'stdin')).toBe(
      'COPY orders (id, amount_usd) FROM STDIN WITH (FORMAT csv)',
    );
    expect(copyStatement('orders', ['id'], 'blob')).toBe(
      "COPY orders (id) FROM '/dev/blob' WITH (FORMAT csv)",
    );
  });

  it.each([['orders; DROP TABLE x'], ['Orders'], ['"orders"'], ['']])(
    'refuses %j as a name',
    (name) => {
      expect(() => copyStatement(name, ['id'], 'stdin')).toThrow(/identifier/);
      expect(() => copyStatement('orders', [name], 'stdin')).toThrow(/identifier/);
    },
  );

  it('quotes every string, doubles its quotes and leaves an absent value empty', () => {
    expect(csvRecord([7, 'a,b', 'say "hi"', '', null, undefined])).toBe(
      '7,"a,b","say ""hi""","",,\n',
    );
  });
});

describe.each(STORES)('copyRows on $name', ({ open }) => {
  let db: Db;

  beforeEach(async () => {
    db = await open();
    await db.exec(
      'CREATE TABLE copy_probe (line bigint, label text, amount numeric, at timestamptz)',
    );
  });

  afterEach(async () => {
    await db.close();
  });

  const stored = () =>
    db.query<{ line: string | number; label: string | null; amount: string | null; at: string }>(
      'SELECT line, label, amount, at FROM copy_probe ORDER BY line',
    );

  it('writes every record of every chunk inside the transaction, as sent', async () => {
    const copied = await db.transaction((tx) =>
      tx.copyRows(
        'copy_probe',
        COLUMNS,
        chunks(
          '2,plain,1000.00,2024-08-15T10:00:00+08:00\n3,,7.1,2024-08-15T02:00:00Z\n',
          csvRecord([4, 'a "quoted", two-line\nlabel', '0.005', '2024-08-15T10:00:00.123+08:00']),
          csvRecord([5, '', null, '2024-08-15T10:00:00+08:00']),
        ),
      ),
    );

    expect(copied).toBe(4);
    expect((await stored()).map((row) => ({ ...row, line: Number(row.line) }))).toEqual([
      { line: 2, label: 'plain', amount: '1000.00', at: '2024-08-15 02:00:00+00' },
      { line: 3, label: null, amount: '7.1', at: '2024-08-15 02:00:00+00' },
      {
        line: 4,
        label: 'a "quoted", two-line\nlabel',
        amount: '0.005',
        at: '2024-08-15 02:00:00.123+00',
      },
      { line: 5, label: '', amount: null, at: '2024-08-15 02:00:00+00' },
    ]);
  });

  it('fails with the error of a failing source, and the transaction leaves nothing', async () => {
    const outcome = db.transaction((tx) =>
      tx.copyRows('copy_probe', COLUMNS, failingAfter('2,a,1,2024-08-15T10:00Z\n', 'file broke')),
    );

    await expect(outcome).rejects.toThrow('file broke');
    expect(await stored()).toEqual([]);
    expect(await db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('fails with the server error for a record it cannot read, and leaves nothing', async () => {
    const outcome = db.transaction((tx) =>
      tx.copyRows(
        'copy_probe',
        COLUMNS,
        chunks('2,a,1,2024-08-15T10:00Z\n', '3,b,not-a-number,2024-08-15T10:00Z\n'),
      ),
    );

    await expect(outcome).rejects.toMatchObject({ code: '22P02' });
    expect(await stored()).toEqual([]);
  });

  it('copies outside a transaction as one statement of its own', async () => {
    expect(await db.copyRows('copy_probe', COLUMNS, chunks('9,x,1,2024-08-15T10:00Z\n'))).toBe(1);
    expect(await stored()).toHaveLength(1);
  });
});
