import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { stringify } from 'csv-stringify/sync';

/**
 * One CSV file written row by row: a header, then RFC 4180 records (CRLF
 * line ends, fields quoted only when they must be). Rows are gathered into
 * batches and each batch is formatted by csv-stringify at once: one stream
 * write per row made the file system calls the slowest part of a run.
 * `write` hands back a promise only when the stream asks the caller to wait.
 */

const BATCH_ROWS = 1_000;

export class CsvFile {
  readonly path: string;
  readonly #columns: string[];
  readonly #stream: WriteStream;
  #batch: Array<Record<string, string>> = [];
  #rows = 0;

  constructor(path: string, columns: readonly string[]) {
    this.path = path;
    this.#columns = [...columns];
    this.#stream = createWriteStream(path);
    this.#stream.write(stringify([this.#columns], { record_delimiter: 'windows' }));
  }

  /** Rows written so far, the header not counted. */
  get rows(): number {
    return this.#rows;
  }

  write(row: Record<string, string>): Promise<unknown> | null {
    this.#batch.push(row);
    this.#rows += 1;
    return this.#batch.length < BATCH_ROWS ? null : this.#flush();
  }

  async close(): Promise<void> {
    const flushed = this.#flush();
    if (flushed !== null) await flushed;
    this.#stream.end();
    await finished(this.#stream);
  }

  destroy(): void {
    this.#stream.destroy();
  }

  #flush(): Promise<unknown> | null {
    if (this.#batch.length === 0) return null;
    const text = stringify(this.#batch, { columns: this.#columns, record_delimiter: 'windows' });
    this.#batch = [];
    return this.#stream.write(text) ? null : once(this.#stream, 'drain');
  }
}
