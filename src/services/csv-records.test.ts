import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { type CsvRecord, CsvShapeError, cellsOf, readCsvRecords } from './csv-records.js';

const dir = mkdtempSync(join(tmpdir(), 'ladder-csv-'));
let files = 0;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function read(text: string | Buffer, readBytes?: number): Promise<CsvRecord[]> {
  const path = join(dir, `f${files++}.csv`);
  writeFileSync(path, text);
  const out: CsvRecord[] = [];
  for await (const batch of readCsvRecords(path, readBytes ? { readBytes } : {}))
    out.push(...batch);
  return out;
}

async function refusal(text: string): Promise<CsvShapeError> {
  const err = await read(text).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CsvShapeError);
  return err as CsvShapeError;
}

describe('reading CSV records with their lines', () => {
  it('numbers records by file line past empty lines, CRLF and no last line end', async () => {
    const records = await read('\uFEFFid,amount\r\nO-1,1.00\r\n\r\nO-2,2.00\nO-3,3.00');

    expect(records).toEqual([
      { line: 1, plain: 'id,amount' },
      { line: 2, plain: 'O-1,1.00' },
      { line: 4, plain: 'O-2,2.00' },
      { line: 5, plain: 'O-3,3.00' },
    ]);
  });

  it('reads a quoted cell as csv-parse does, from the line the record starts on', async () => {
    const records = await read(
      'id,note\r\nO-1,"a, b"\r\nO-2,"say ""hi"""\r\n"O-3","two\r\nlines"\r\nO-4,\r\n',
    );

    expect(records.slice(1)).toEqual([
      { line: 2, cells: ['O-1', 'a, b'] },
      { line: 3, cells: ['O-2', 'say "hi"'] },
      { line: 4, cells: ['O-3', 'two\r\nlines'] },
      { line: 6, plain: 'O-4,' },
    ]);
  });

  it('keeps a carriage return inside a line as a character of its cell', async () => {
    const records = await read('id,note\nO-1,a\rb\nO-2,c\n');

    expect(records.slice(1)).toEqual([
      { line: 2, cells: ['O-1', 'a\rb'] },
      { line: 3, plain: 'O-2,c' },
    ]);
  });

  it.each([
    ['more cells than the header', 'id,amount\nO-1,1.00\nO-2,2.00,x\n', 3, /got 3 on line 3/],
    ['fewer cells than the header', 'id,amount\nO-1\n', 2, /got 1 on line 2/],
    ['a quote inside an unquoted cell', 'id,amount\nO-1,2"0\n"\n', 2, /Opening Quote/],
    ['text after a closing quote', 'id,amount\nO-1,"2"0\n', 2, /Closing Quote/],
    ['a quote that never closes', 'id,amount\nO-1,"2\n3\n', 2, /never closes/],
    ['a NUL character', 'id,amount\nO-1,1.00\nO-2,\0\n', 3, /NUL/],
    ['a NUL character in a quoted cell’s second line', 'id,amount\nO-1,"a\n\0b"\n', 3, /NUL/],
  ])('refuses %s, naming the line', async (_, text, line, message) => {
    const err = await refusal(text);

    expect(err.line).toBe(line);
    expect(err.message).toMatch(message);
  });

  // Cells with commas, quotes and line ends, written as RFC 4180 says; the
  // reader must give csv-parse's cells whatever size its reads are.
  const cell = fc.oneof(
    fc.constantFrom(
      '',
      'O-1',
      '1000.00',
      '2024-08-15T10:00:00+08:00',
      'a,b',
      'say "hi"',
      'x\r\ny',
      'ü',
    ),
    fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', '\r\n', ' ', '7', 'é'), maxLength: 6 }),
  );
  const quoted = (text: string) =>
    /[",\r\n]/.test(text) || text === '' ? `"${text.replaceAll('"', '""')}"` : text;

  it('gives the cells csv-parse gives, for any quoting and any read size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(cell, cell, cell), { minLength: 1, maxLength: 20 }),
        fc.constantFrom('\n', '\r\n'),
        fc.integer({ min: 1, max: 64 }),
        async (rows, eol, readBytes) => {
          const written = ['a,b,c', ...rows.map((row) => row.map(quoted).join(','))];
          const text = written.join(eol) + eol;
          // A record starts one line after every LF before it, quoted or not.
          const startLines = written.map(
            (_, i) => written.slice(0, i).join(eol).split('\n').length + (i === 0 ? 0 : 1),
          );

          const records = await read(text, readBytes);

          expect(records.map(cellsOf)).toEqual(parse(text, { relax_column_count: true }));
          expect(records.map((r) => r.line)).toEqual(startLines);
        },
      ),
      { numRuns: 200 },
    );
  });
});
