import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse/sync';

/**
 * Reads a CSV file (RFC 4180, as `docs/data-formats.md` describes) as records
 * with the file line each starts on, for the bulk import.
 *
 * The files Ladder imports quote nothing, so a full CSV parser is mostly
 * wasted work: a line without a quote is split at its commas, and only a line
 * with a quote goes to csv-parse, joined first with the lines that follow
 * while a quoted cell is still open. What csv-parse would refuse is refused
 * here too: a stray quote (csv-parse's own error), a record with more or
 * fewer cells than the header. Like the import's csv-parse options, a
 * leading byte order mark is dropped and empty lines are skipped, though
 * they count for line numbers. Two differences, both deliberate: a record's
 * line is the one it starts on (csv-parse counts the end, and miscounts a
 * CRLF inside quotes), and each line may end in LF or CRLF on its own, where
 * csv-parse takes the first line end for the whole file.
 */

export interface CsvRecord {
  /** The file line the record starts on: 1 for a header on the first line. */
  readonly line: number;
  readonly cells: string[];
  /**
   * The record's text when it is one line without a quote, a carriage return
   * or a NUL: CSV that COPY reads back to the same cells, so it can be passed
   * on as it is. Null when the cells had to be parsed out of quotes.
   */
  readonly plain: string | null;
}

/** The file is not CSV of one shape; `line` is where that was found. */
export class CsvShapeError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
    this.name = 'CsvShapeError';
  }
}

export interface CsvReadOptions {
  /** Told the bytes read so far, once per read. */
  readonly onBytes?: (bytesRead: number) => void;
  /** Bytes per read: 1 MiB; tests make it small to cut records across reads. */
  readonly readBytes?: number;
}

/** A record is refused beyond this: no cell of any file comes near it. */
export const MAX_RECORD_CHARS = 1 << 20;

const BOM = '\uFEFF';

/** A record whose quoted cell is still open at the end of a line. */
interface OpenRecord {
  readonly line: number;
  readonly pieces: string[];
  quotes: number;
  chars: number;
}

function quotesIn(text: string): number {
  let count = 0;
  for (let at = text.indexOf('"'); at >= 0; at = text.indexOf('"', at + 1)) count++;
  return count;
}

/** The cells of one record that holds quotes, as csv-parse reads them. */
function parseQuoted(text: string, line: number): string[] {
  let records: string[][];
  try {
    // One record: its line ends are all inside quotes, so none ends a record.
    records = parse(text, { record_delimiter: '\n', relax_column_count: true, trim: false });
  } catch (err) {
    const reason = (err as Error).message.replace(/ (at|on) line \d+/g, '');
    throw new CsvShapeError(line, `${reason} (record on line ${line})`);
  }
  const [cells] = records;
  if (records.length !== 1 || cells === undefined) {
    throw new CsvShapeError(line, `the record on line ${line} is not one CSV record`);
  }
  return cells;
}

/**
 * Yields the file's records in order, a batch per read; the first record is
 * the header. Throws `CsvShapeError` where the file stops being CSV of the
 * header's shape.
 */
export async function* readCsvRecords(
  path: string,
  options: CsvReadOptions = {},
): AsyncGenerator<CsvRecord[]> {
  let width = -1;
  let lineNo = 0;
  let atStart = true;
  let open: OpenRecord | null = null;
  let batch: CsvRecord[] = [];

  const keep = (line: number, cells: string[], plain: string | null) => {
    if (width < 0) {
      width = cells.length;
    } else if (cells.length !== width) {
      throw new CsvShapeError(
        line,
        `Invalid Record Length: columns length is ${width}, got ${cells.length} on line ${line}`,
      );
    }
    batch.push({ line, cells, plain });
  };

  // One physical line, without its LF; `strayCr` says the text it came from
  // holds a CR that ends no line, so each line must be looked at for one.
  const take = (piece: string, strayCr: boolean, hasNul: boolean) => {
    lineNo++;
    let raw = piece;
    if (atStart) {
      if (raw.startsWith(BOM)) raw = raw.slice(1);
      atStart = false;
    }
    if (hasNul && raw.includes('\0')) {
      throw new CsvShapeError(lineNo, `line ${lineNo} holds a NUL character, which no cell may`);
    }
    if (open) {
      open.pieces.push(raw);
      open.quotes += quotesIn(raw);
      open.chars += raw.length + 1;
      if (open.quotes % 2 === 0) {
        const text = open.pieces.join('\n');
        const start = open.line;
        open = null;
        keep(start, parseQuoted(text.endsWith('\r') ? text.slice(0, -1) : text, start), null);
      } else if (open.chars > MAX_RECORD_CHARS) {
        throw new CsvShapeError(
          open.line,
          `the quoted cell opened on line ${open.line} never closes`,
        );
      }
      return;
    }
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.length === 0) return;
    if (line.length > MAX_RECORD_CHARS) {
      throw new CsvShapeError(
        lineNo,
        `line ${lineNo} is longer than ${MAX_RECORD_CHARS} characters`,
      );
    }
    if (line.includes('"')) {
      const quotes = quotesIn(line);
      if (quotes % 2 === 0) {
        keep(lineNo, parseQuoted(line, lineNo), null);
      } else {
        open = { line: lineNo, pieces: [raw], quotes, chars: raw.length };
      }
      return;
    }
    const cells = line.split(',');
    keep(lineNo, cells, strayCr && line.includes('\r') ? null : line);
  };

  const takeText = (text: string) => {
    const strayCr = /\r(?!\n|$)/.test(text);
    const hasNul = text.includes('\0');
    for (const piece of text.split('\n')) take(piece, strayCr, hasNul);
  };

  let carry: Buffer | null = null;
  let bytesRead = 0;
  const stream = createReadStream(path, { highWaterMark: options.readBytes ?? 1 << 20 });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    bytesRead += chunk.length;
    const buffer: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
    // A LF never occurs inside a UTF-8 sequence, so cutting after one never splits a character.
    const end = buffer.lastIndexOf(0x0a);
    if (end < 0) {
      if (buffer.length > 4 * MAX_RECORD_CHARS) {
        throw new CsvShapeError(
          lineNo + 1,
          `line ${lineNo + 1} is longer than ${MAX_RECORD_CHARS} characters`,
        );
      }
      carry = buffer;
      continue;
    }
    carry = end + 1 < buffer.length ? buffer.subarray(end + 1) : null;
    takeText(buffer.toString('utf8', 0, end));
    options.onBytes?.(bytesRead);
    if (batch.length > 0) {
      yield batch;
      batch = [];
    }
  }
  if (carry) takeText(carry.toString('utf8'));
  // `take` sets `open`, which the compiler cannot see from here.
  const unclosed = open as OpenRecord | null;
  if (unclosed) {
    throw new CsvShapeError(
      unclosed.line,
      `the quoted cell opened on line ${unclosed.line} never closes`,
    );
  }
  if (batch.length > 0) yield batch;
}
