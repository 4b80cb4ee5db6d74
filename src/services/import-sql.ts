import type { Queryable } from '../store/db.js';
import type { BulkKind } from './import-bulk.js';

/**
 * The statements of the bulk import after its COPY: each looks at every row
 * of the staging table at once and leaves a verdict for the rows it decides
 * (`rejected` with the field, value and message; `repeat`, which changes
 * nothing); the merge writes the rows left without one. The tables are the
 * transaction's own temporary tables, dropped at its end at the latest.
 */

/**
 * The staging table, with the columns `stagingLayout` (import-bulk.ts) lays
 * out, the repeated ids and the verdicts.
 */
export function createStagingSql(columns: string): string {
  return `DROP TABLE IF EXISTS pg_temp.import_stage, pg_temp.import_verdicts,
      pg_temp.import_dups;
    SET LOCAL work_mem = '64MB';
    CREATE TEMP TABLE import_stage (${columns}) ON COMMIT DROP;
    CREATE TEMP TABLE import_dups (id text NOT NULL) ON COMMIT DROP;
    CREATE TEMP TABLE import_verdicts (
      line bigint NOT NULL,
      verdict text NOT NULL CHECK (verdict IN ('rejected', 'repeat')),
      field text NOT NULL,
      value text,
      message text NOT NULL,
      code text
    ) ON COMMIT DROP`;
}

export const DROP_STAGING_SQL =
  'DROP TABLE pg_temp.import_stage, pg_temp.import_verdicts, pg_temp.import_dups';

export const REJECTED_SQL = `SELECT line, field, value, message, code FROM import_verdicts
  WHERE verdict = 'rejected' ORDER BY line`;

export const COUNT_VERDICTS_SQL = 'SELECT count(*) AS n FROM import_verdicts';

/** `a.merchant_id = b.merchant_id AND …`: the facts of two rows agree, compared as values. */
function sameFacts(kind: BulkKind, a: string, b: string): string {
  return kind.columns
    .filter((c) => c.sql !== 'id')
    .map((c) =>
      c.optional
        ? `${a}.${c.sql} IS NOT DISTINCT FROM ${b}.${c.sql}`
        : `${a}.${c.sql} = ${b}.${c.sql}`,
    )
    .join(' AND ');
}

const UNDECIDED = 'NOT EXISTS (SELECT 1 FROM import_verdicts v WHERE v.line = s.line)';

const INTO_VERDICTS = 'INSERT INTO import_verdicts (line, verdict, field, value, message, code)';

/**
 * A row naming a merchant the store does not hold, or (charges) an order it
 * does not hold, one cleared after the charge or one of another merchant:
 * the checks and words of `ingest`, in its order. Merchants and orders of
 * this import are in the store by now, as the files go in that order.
 */
export function referencesSql(kind: BulkKind): string {
  if (kind.references === 'merchant') {
    return `${INTO_VERDICTS}
      SELECT s.line, 'rejected', 'merchantId', s.merchant_id, 'names no known merchant',
             'UNKNOWN_REFERENCE'
      FROM import_stage s
      WHERE NOT EXISTS (SELECT 1 FROM merchants m WHERE m.id = s.merchant_id)`;
  }
  // Order ids are unique in the store (charges' foreign key names orders (id)).
  return `${INTO_VERDICTS}
    SELECT s.line, 'rejected',
      CASE WHEN o.id IS NULL THEN 'orderId' WHEN s.at < o.cleared_at THEN 'at'
           ELSE 'merchantId' END,
      CASE WHEN o.id IS NULL THEN s.order_id WHEN s.at < o.cleared_at THEN s.at_text
           ELSE s.merchant_id END,
      CASE WHEN o.id IS NULL THEN 'names no known order'
           WHEN s.at < o.cleared_at THEN 'is before order ' || s.order_id || ' was cleared'
           ELSE 'order ' || s.order_id || ' belongs to ' || o.merchant_id END,
      CASE WHEN o.id IS NULL THEN 'UNKNOWN_REFERENCE' END
    FROM import_stage s LEFT JOIN orders o ON o.id = s.order_id
    WHERE o.id IS NULL OR s.at < o.cleared_at OR o.merchant_id <> s.merchant_id`;
}

/**
 * An id on several rows of the file (SPEC §8): among the rows not refused
 * so far, the first is the one that counts; a later one with the same facts
 * is a repeat, one with other facts a conflict. `findRepeatsSql` finds the
 * ids, among the candidates the stream noted (`$1`, see `repeated-ids.ts`)
 * or, when there were too many, among all; `judgeRepeatsSql` looks only at
 * their rows.
 */
export function findRepeatsSql(among: 'candidates' | 'all'): string {
  const candidate = among === 'candidates' ? 'AND s.id = ANY($1::text[])' : '';
  return `INSERT INTO import_dups (id)
    SELECT s.id FROM import_stage s WHERE ${UNDECIDED} ${candidate}
    GROUP BY s.id HAVING count(*) > 1`;
}

export function judgeRepeatsSql(kind: BulkKind): string {
  return `WITH r AS (
      SELECT s.*, min(s.line) OVER (PARTITION BY s.id) AS first_line
      FROM import_stage s JOIN import_dups d ON d.id = s.id
      WHERE ${UNDECIDED}
    )
    ${INTO_VERDICTS}
    SELECT r.line, CASE WHEN ${sameFacts(kind, 'r', 'f')} THEN 'repeat' ELSE 'rejected' END,
           'id', r.id,
           '${kind.noun} ' || r.id || ' appears earlier in this file, on line ' || f.line
             || ', with other facts',
           'CONFLICT'
    FROM r JOIN r f ON f.id = r.id AND f.line = r.first_line
    WHERE r.line <> r.first_line`;
}

/**
 * A row whose id the store holds: the same facts change nothing (a repeat),
 * other facts are a conflict. The join is on the id alone, whatever key the
 * table has, and a row is compared with every stored row of its id.
 */
export function storedSql(kind: BulkKind): string {
  return `WITH stored AS (
      SELECT s.line, s.id, bool_and(${sameFacts(kind, 's', 'o')}) AS same
      FROM import_stage s JOIN ${kind.table} o ON o.id = s.id
      WHERE ${UNDECIDED}
      GROUP BY s.line, s.id
    )
    ${INTO_VERDICTS}
    SELECT line, CASE WHEN same THEN 'repeat' ELSE 'rejected' END, 'id', id,
           '${kind.noun} ' || id || ' was sent before with other facts', 'CONFLICT'
    FROM stored`;
}

/**
 * The rows without a verdict, in file order so that `ingest_seq` follows the
 * file. After the checks above these are ids that neither the store nor an
 * earlier row holds, so the plain INSERT is tried first, under a savepoint:
 * ON CONFLICT DO NOTHING made the merge of a million orders about 40% slower
 * on PostgreSQL 15 (each row is probed and then inserted speculatively). If
 * another transaction wrote one of the ids meanwhile, whichever unique key
 * says so, the INSERT is undone and made again with ON CONFLICT DO NOTHING,
 * without a conflict target so as not to depend on which key the table has.
 */
function mergeSql(kind: BulkKind, onConflict: boolean): string {
  const names = kind.columns.map((c) => c.sql).join(', ');
  const values = kind.columns.map((c) => `s.${c.sql}`).join(', ');
  const insert = `INSERT INTO ${kind.table} (${names})
    SELECT ${values} FROM import_stage s WHERE ${UNDECIDED} ORDER BY s.line`;
  if (!onConflict) return insert;
  return `WITH written AS (${insert} ON CONFLICT DO NOTHING RETURNING 1)
    SELECT count(*) AS n FROM written`;
}

const UNIQUE_VIOLATION = '23505';

/** Writes the undecided rows; returns how many it wrote. */
export async function merge(tx: Queryable, kind: BulkKind, undecided: number): Promise<number> {
  if (undecided === 0) return 0;
  await tx.exec('SAVEPOINT import_merge');
  try {
    await tx.query(mergeSql(kind, false));
    await tx.exec('RELEASE SAVEPOINT import_merge');
    return undecided;
  } catch (err) {
    if ((err as { code?: unknown }).code !== UNIQUE_VIOLATION) throw err;
  }
  await tx.exec('ROLLBACK TO SAVEPOINT import_merge');
  const inserted = count(await tx.query<{ n: unknown }>(mergeSql(kind, true)));
  if (inserted < undecided) await tx.query(racedSql(kind));
  return inserted;
}

/**
 * Another transaction wrote some of these ids between the checks and the
 * merge (PostgreSQL only): the same facts are a repeat, other facts a
 * conflict, as if it had come first.
 */
function racedSql(kind: BulkKind): string {
  return `${INTO_VERDICTS}
    SELECT s.line, 'rejected', 'id', s.id,
           '${kind.noun} ' || s.id || ' was sent at the same time with other facts', 'CONFLICT'
    FROM import_stage s
    WHERE ${UNDECIDED} AND EXISTS (
      SELECT 1 FROM ${kind.table} o WHERE o.id = s.id AND NOT (${sameFacts(kind, 's', 'o')})
    )`;
}

export const count = (rows: readonly { n?: unknown }[]): number => Number(rows[0]?.n ?? 0);
