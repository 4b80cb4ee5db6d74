import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { type Stringifier, stringify } from 'csv-stringify';

/**
 * One CSV file written row by row: a header, then RFC 4180 records (CRLF
 * line ends, fields quoted only when they must be). `write` hands back a
 * promise only when the stream asks the caller to wait.
 */
export class CsvFile {
  readonly path: string;
  #rows = 0;
  readonly #stringifier: Stringifier;
  readonly #done: Promise<void>;

  constructor(path: string, columns: readonly string[]) {
    this.path = path;
    this.#stringifier = stringify({
      header: true,
      columns: [...columns],
      record_delimiter: 'windows',
    });
    this.#done = pipeline(this.#stringifier, createWriteStream(path));
    // The failure is reported by `close`; this only keeps it from going unhandled meanwhile.
    this.#done.catch(() => undefined);
  }

  get rows(): number {
    return this.#rows;
  }

  write(row: Record<string, string>): Promise<unknown> | null {
    this.#rows += 1;
    return this.#stringifier.write(row) ? null : once(this.#stringifier, 'drain');
  }

  async close(): Promise<void> {
    this.#stringifier.end();
    await this.#done;
  }

  destroy(): void {
    this.#stringifier.destroy();
  }
}
