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
  /**
   * Runs `work` in one transaction: all of it is applied, or none. A
   * transaction that wrote anything announces it on commit (CHANGES_CHANNEL),
   * to every process watching the store with `onChange`.
   */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Calls `changed` after each committed transaction that wrote, in this
   * process or any other on the same database, and `lost` if the watch itself
   * breaks (the caller must then assume anything changed). Returns the stop.
   */
  onChange(changed: () => void, lost: (err: Error) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/**
 * The channel a writing transaction notifies on commit. A notification is
 * sent only where the transaction was given an id, which PostgreSQL does at
 * its first write: a read-only transaction announces nothing, a rolled-back
 * one nothing either (notifications are delivered on commit).
 */
export const CHANGES_CHANNEL = 'ladder_changed';
/**
 * The payload is the schema written to: several Ladder stores may share one
 * database in schemas of their own, and the channel is the database's, so a
 * watcher listens only to its own schema's changes.
 */
export const ANNOUNCE_CHANGE_SQL = `SELECT pg_notify('${CHANGES_CHANNEL}', current_schema()) WHERE txid_current_if_assigned() IS NOT NULL`;
