/**
 * What both adapters' `copyRows` share: the COPY statement and the CSV
 * records it reads.
 *
 * The records are PostgreSQL's CSV format with its defaults: a comma between
 * cells, a line end after each record, `"` to quote, `""` for a quote inside
 * a quoted cell. An unquoted empty cell is NULL and a quoted one the empty
 * string; `csvRecord` writes every other cell quoted, so only an absent value
 * is ever NULL.
 */

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

function identifier(name: string): string {
  if (!IDENTIFIER.test(name)) {
    throw new Error(`copyRows: ${JSON.stringify(name)} is not a lowercase SQL identifier`);
  }
  return name;
}

/**
 * `COPY orders (id, amount_usd) FROM STDIN WITH (FORMAT csv)`, or
 * `FROM '/dev/blob'` for PGlite, which reads the chunk passed with the query.
 * Names are checked rather than quoted: they come from code, never from a file.
 */
export function copyStatement(
  table: string,
  columns: readonly string[],
  from: 'stdin' | 'blob',
): string {
  if (columns.length === 0) throw new Error('copyRows: no columns');
  const list = columns.map(identifier).join(', ');
  const source = from === 'stdin' ? 'STDIN' : "'/dev/blob'";
  return `COPY ${identifier(table)} (${list}) FROM ${source} WITH (FORMAT csv)`;
}

/** One CSV record with its line end: `null` and `undefined` are NULL, strings are quoted. */
export function csvRecord(cells: readonly (string | number | null | undefined)[]): string {
  let out = '';
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i];
    if (i > 0) out += ',';
    if (cell === null || cell === undefined) continue;
    out += typeof cell === 'number' ? String(cell) : `"${cell.replaceAll('"', '""')}"`;
  }
  return `${out}\n`;
}

/**
 * CSV records written straight into a buffer, for a source of `copyRows`:
 * a million rows become a few large buffers rather than a million strings
 * for the garbage collector. `take` hands the chunk written so far over and
 * starts a new one, since COPY may still hold the last.
 */
export class CsvChunk {
  #buffer: Buffer;
  #at = 0;
  /** Records written since the last `take`. */
  records = 0;

  constructor(readonly capacity: number) {
    this.#buffer = Buffer.allocUnsafe(capacity);
  }

  /** True when `chars` more UTF-16 units (at most 3 bytes each) and a little fit. */
  fits(chars: number): boolean {
    return this.#at + 3 * chars + 32 <= this.capacity;
  }

  /** Writes text that is already CSV, part of a record (`fits` checked first). */
  write(text: string): void {
    this.#at += this.#buffer.write(text, this.#at, 'utf8');
  }

  /** Ends the record `write` began. */
  endRecord(): void {
    this.#buffer[this.#at++] = 0x0a;
    this.records += 1;
  }

  /** Writes a whole record, line end included, as `csvRecord` makes it. */
  writeRecord(csv: string): void {
    this.write(csv);
    this.records += 1;
  }

  take(): Buffer {
    const chunk = this.#buffer.subarray(0, this.#at);
    this.#buffer = Buffer.allocUnsafe(this.capacity);
    this.#at = 0;
    this.records = 0;
    return chunk;
  }
}
