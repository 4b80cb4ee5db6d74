import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse/sync';

/**
 * Reads a CSV file (RFC 4180, as `docs/data-formats.md` describes) as records
 * with the file line each starts on, for the bulk import.
 *
 * The files Ladder generates quote nothing, so a full CSV parser is mostly
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

/**
 * One record and the file line it starts on (1 for a header on the first
 * line). A plain record is one line without a quote, a carriage return or a
 * NUL: its cells are `plain.split(',')`, and its text is CSV that COPY reads
 * back to the same cells, so it can be passed on as it is. The cells of any
 * other record were parsed out of its quotes.
 */
export type CsvRecord =
  | { readonly line: number; readonly plain: string; readonly cells?: undefined }
  | { readonly line: number; readonly plain?: undefined; readonly cells: readonly string[] };

/** The cells of a record, split out of a plain one. */
export function cellsOf(record: CsvRecord): readonly string[] {
  return record.plain === undefined ? record.cells : record.plain.split(',');
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

  const lengthError = (line: number, cells: number) =>
    new CsvShapeError(
      line,
      `Invalid Record Length: columns length is ${width}, got ${cells} on line ${line}`,
    );

  const keepCells = (line: number, cells: readonly string[]) => {
    if (width < 0) width = cells.length;
    else if (cells.length !== width) throw lengthError(line, cells.length);
    batch.push({ line, cells });
  };

  // Counting commas rather than splitting: a plain line costs one string.
  const keepPlain = (line: number, text: string) => {
    let cells = 1;
    for (let at = text.indexOf(','); at >= 0; at = text.indexOf(',', at + 1)) cells++;
    if (width < 0) width = cells;
    else if (cells !== width) throw lengthError(line, cells);
    batch.push({ line, plain: text });
  };

  // A line that goes on a quoted cell left open by the lines before it.
  const goOn = (record: OpenRecord, raw: string) => {
    record.pieces.push(raw);
    record.quotes += quotesIn(raw);
    record.chars += raw.length + 1;
    if (record.quotes % 2 === 0) {
      const text = record.pieces.join('\n');
      open = null;
      keepCells(
        record.line,
        parseQuoted(text.endsWith('\r') ? text.slice(0, -1) : text, record.line),
      );
    } else if (record.chars > MAX_RECORD_CHARS) {
      throw new CsvShapeError(
        record.line,
        `the quoted cell opened on line ${record.line} never closes`,
      );
    }
  };

  // One physical line: `text` from `from` to the LF at `to` (or the end).
  // `strayCr` says the text holds a CR that ends no line, so a line must be
  // looked at for one; `hasNul` likewise for a NUL.
  const take = (text: string, from: number, to: number, strayCr: boolean, hasNul: boolean) => {
    lineNo++;
    let start = from;
    if (atStart) {
      if (text.startsWith(BOM, start)) start += BOM.length;
      atStart = false;
    }
    const crlf = to > start && text.charCodeAt(to - 1) === 13;
    const end = crlf ? to - 1 : to;
    // Looked for on every line, the lines inside a quoted cell too.
    if (hasNul && text.slice(start, end).includes('\0')) {
      throw new CsvShapeError(lineNo, `line ${lineNo} holds a NUL character, which no cell may`);
    }
    if (open) {
      goOn(open, text.slice(start, to));
      return;
    }
    if (end === start) return;
    if (end - start > MAX_RECORD_CHARS) {
      throw new CsvShapeError(
        lineNo,
        `line ${lineNo} is longer than ${MAX_RECORD_CHARS} characters`,
      );
    }
    const line = text.slice(start, end);
    const quote = line.indexOf('"');
    if (quote >= 0) {
      const quotes = quotesIn(line);
      if (quotes % 2 === 0) keepCells(lineNo, parseQuoted(line, lineNo));
      else open = { line: lineNo, pieces: [crlf ? `${line}\r` : line], quotes, chars: to - start };
    } else if (strayCr && line.includes('\r')) {
      keepCells(lineNo, line.split(','));
    } else {
      keepPlain(lineNo, line);
    }
  };

  const takeText = (text: string) => {
    const strayCr = /\r(?!\n|$)/.test(text);
    const hasNul = text.includes('\0');
    let from = 0;
    for (let lf = text.indexOf('\n'); lf >= 0; lf = text.indexOf('\n', from)) {
      take(text, from, lf, strayCr, hasNul);
      from = lf + 1;
    }
    take(text, from, text.length, strayCr, hasNul);
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
