import { LadderError } from '../core/errors.js';
import type { Queryable } from '../store/db.js';
import { instant } from './merchant-views.js';

/**
 * The event feed: the `events` table in `seq` order. The table's trigger
 * (migration 2) makes writers of events commit one after the other, so `seq`
 * order is commit order and a reader that pages with `after` never skips an
 * event that commits late, nor sees one twice.
 */

export interface FeedEventView {
  readonly seq: string;
  readonly id: string;
  readonly type: string;
  readonly merchantId: string;
  readonly at: string;
  readonly payload: unknown;
}

export interface FeedEventRow {
  seq: string;
  key: string;
  type: string;
  merchant_id: string;
  at: string;
  payload: unknown;
}

export function eventView(row: FeedEventRow): FeedEventView {
  return {
    seq: String(row.seq),
    id: row.key,
    type: row.type,
    merchantId: row.merchant_id,
    at: instant(row.at),
    payload: row.payload,
  };
}

export function parseSeq(text: string | undefined): string {
  if (text === undefined || text === '') return '0';
  if (!/^\d{1,18}$/.test(text)) {
    throw new LadderError('INVALID_INPUT', 'after must be the seq of an event', [
      {
        path: 'after',
        message: 'must be a whole number, the seq of the last event read',
        value: text,
      },
    ]);
  }
  return text;
}

export async function readEvents(
  db: Queryable,
  options: { after: string; limit: number; merchantId?: string | undefined },
) {
  const rows = await db.query<FeedEventRow>(
    // Ordered by the column, e.seq, not by the text it is given out as.
    `SELECT e.seq::text AS seq, e.key, e.type, e.merchant_id, e.at, e.payload FROM events e
     WHERE e.seq > $1::bigint AND ($2::text IS NULL OR e.merchant_id = $2)
     ORDER BY e.seq LIMIT $3`,
    [options.after, options.merchantId ?? null, options.limit],
  );
  const items = rows.map(eventView);
  const last = items[items.length - 1];
  // `next` is the cursor to poll with, also when the page is short: events
  // that commit later get higher seqs.
  return { items, next: last ? last.seq : options.after };
}
