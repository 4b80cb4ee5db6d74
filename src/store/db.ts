/**
 * The one interface the services use to reach PostgreSQL, whichever server
 * stands behind it: embedded PGlite or a real server through `pg`. Same SQL
 * for both, `$1` parameters, `numeric` read back as strings.
 */
export interface Queryable {
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /**
   * Bulk-loads CSV records into `columns` of `table` with `COPY … (FORMAT csv)`
   * and returns how many rows it wrote; see `copyStatement` in `copy.ts` for
   * the format. Each item of `source` is one chunk of whole records (it ends
   * with a line end): PostgreSQL streams every chunk into one COPY, waiting
   * whenever the connection is full; PGlite copies each chunk with a
   * statement of its own, so the chunk size bounds what it holds at once.
   * An error from `source` or the server fails the call, and the caller's
   * transaction with it.
   */
  copyRows(
    table: string,
    columns: readonly string[],
    source: AsyncIterable<string | Uint8Array>,
  ): Promise<number>;
}

export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs `work` in one transaction: all of it is applied, or none. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
