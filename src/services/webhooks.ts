import { createHmac, randomBytes } from 'node:crypto';
import { LadderError } from '../core/errors.js';
import type { Instant } from '../core/time.js';
import type { Db, Queryable } from '../store/db.js';
import { toPg } from '../store/rows.js';
import { eventView, type FeedEventRow, type FeedEventView } from './event-feed.js';
import { decodeCursor, instant, instantOrNull, page } from './merchant-views.js';

/**
 * Webhooks: subscriptions, and an outbox of deliveries filled from the event
 * feed. Each subscription keeps a cursor into the feed; the worker copies the
 * events after it into `webhook_deliveries` and moves the cursor in the same
 * transaction, so every event is queued once. Deliveries are claimed with
 * `FOR UPDATE SKIP LOCKED` and a lease, so two servers never send one at the
 * same time; a receiver still drops repeats by the event id, because a
 * server can die after sending and before recording it.
 */

export const WEBHOOK_POLICY = {
  /** Tries before a delivery is given up as `failed`. */
  maxAttempts: 12,
  firstRetryMs: 30_000,
  maxRetryMs: 3_600_000,
  /** How long a claimed delivery is left to its sender before another may try. */
  leaseMs: 60_000,
  timeoutMs: 10_000,
};
export type WebhookPolicy = typeof WEBHOOK_POLICY;

export function retryDelayMs(attempts: number, policy: WebhookPolicy = WEBHOOK_POLICY): number {
  return Math.min(policy.firstRetryMs * 2 ** Math.max(0, attempts - 1), policy.maxRetryMs);
}

export function signature(secret: string, timestampS: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestampS}.${body}`, 'utf8').digest('hex');
  return `t=${timestampS},v1=${mac}`;
}

interface SubscriptionRow {
  id: string;
  url: string;
  merchant_id: string | null;
  cursor_seq: string;
  created_at: string;
  disabled_at: string | null;
}

function subscriptionView(row: SubscriptionRow) {
  return {
    id: row.id,
    url: row.url,
    merchantId: row.merchant_id,
    cursor: String(row.cursor_seq),
    createdAt: instant(row.created_at),
    disabledAt: instantOrNull(row.disabled_at),
  };
}

export async function createSubscription(
  db: Queryable,
  input: { url: string; merchantId?: string | undefined; from?: 'now' | 'beginning' | undefined },
) {
  const id = `wh_${randomBytes(8).toString('hex')}`;
  const secret = `whsec_${randomBytes(24).toString('base64url')}`;
  const start =
    input.from === 'beginning'
      ? '0'
      : ((await db.query<{ max: string | null }>('SELECT max(seq)::text AS max FROM events'))[0]
          ?.max ?? '0');
  const rows = await db.query<SubscriptionRow>(
    `INSERT INTO webhook_subscriptions (id, url, secret, merchant_id, cursor_seq)
     VALUES ($1, $2, $3, $4, $5::bigint)
     RETURNING id, url, merchant_id, cursor_seq::text AS cursor_seq, created_at, disabled_at`,
    [id, input.url, secret, input.merchantId ?? null, start],
  );
  const row = rows[0];
  if (!row) throw new Error('webhook subscription was not written');
  return { ...subscriptionView(row), secret };
}

export async function listSubscriptions(db: Queryable) {
  const rows = await db.query<SubscriptionRow>(
    `SELECT id, url, merchant_id, cursor_seq::text AS cursor_seq, created_at, disabled_at
     FROM webhook_subscriptions ORDER BY created_at, id`,
  );
  return { items: rows.map(subscriptionView) };
}

export async function disableSubscription(db: Queryable, id: string) {
  const rows = await db.query<SubscriptionRow>(
    `UPDATE webhook_subscriptions SET disabled_at = COALESCE(disabled_at, now()) WHERE id = $1
     RETURNING id, url, merchant_id, cursor_seq::text AS cursor_seq, created_at, disabled_at`,
    [id],
  );
  const row = rows[0];
  if (!row) throw new LadderError('NOT_FOUND', `no webhook subscription ${id}`);
  return { id: row.id, disabledAt: instantOrNull(row.disabled_at) };
}

export async function listDeliveries(
  db: Queryable,
  id: string,
  after: string | undefined,
  limit: number,
) {
  const known = await db.query('SELECT 1 FROM webhook_subscriptions WHERE id = $1', [id]);
  if (known.length === 0) throw new LadderError('NOT_FOUND', `no webhook subscription ${id}`);
  const [afterSeq] = decodeCursor(after, 1) ?? ['0'];
  const rows = await db.query<{
    event_seq: string;
    key: string;
    status: string;
    attempts: number;
    next_attempt_at: string;
    last_status: number | null;
    last_error: string | null;
    delivered_at: string | null;
  }>(
    `SELECT d.event_seq::text AS event_seq, e.key, d.status, d.attempts, d.next_attempt_at,
            d.last_status, d.last_error, d.delivered_at
     FROM webhook_deliveries d
     JOIN events e ON e.merchant_id = d.event_merchant_id AND e.seq = d.event_seq
     WHERE d.subscription_id = $1 AND d.event_seq > $2::bigint ORDER BY d.event_seq LIMIT $3`,
    [id, afterSeq, limit + 1],
  );
  return page(
    rows,
    limit,
    (row) => ({
      eventSeq: row.event_seq,
      eventId: row.key,
      status: row.status,
      attempts: Number(row.attempts),
      nextAttemptAt: row.status === 'pending' ? instant(row.next_attempt_at) : null,
      lastStatus: row.last_status === null ? null : Number(row.last_status),
      lastError: row.last_error,
      deliveredAt: instantOrNull(row.delivered_at),
    }),
    (row) => [row.event_seq],
  );
}

/** Copies new feed events into each active subscription's outbox; returns how many. */
export async function enqueueDeliveries(db: Db, now: Instant, batch = 1_000): Promise<number> {
  const subscriptions = await db.query<{ id: string }>(
    'SELECT id FROM webhook_subscriptions WHERE disabled_at IS NULL ORDER BY id',
  );
  let queued = 0;
  for (const { id } of subscriptions) {
    queued += await db.transaction(async (tx) => {
      const rows = await tx.query<{ cursor_seq: string; merchant_id: string | null }>(
        'SELECT cursor_seq::text AS cursor_seq, merchant_id FROM webhook_subscriptions WHERE id = $1 FOR UPDATE',
        [id],
      );
      const sub = rows[0];
      if (!sub) return 0;
      const inserted = await tx.query<{ event_seq: string }>(
        `INSERT INTO webhook_deliveries
           (subscription_id, event_merchant_id, event_seq, status, next_attempt_at)
         SELECT $1, e.merchant_id, e.seq, 'pending', $4 FROM events e
         WHERE e.seq > $2::bigint AND ($3::text IS NULL OR e.merchant_id = $3)
         ORDER BY e.seq LIMIT $5
         ON CONFLICT DO NOTHING RETURNING event_seq::text AS event_seq`,
        [id, sub.cursor_seq, sub.merchant_id, toPg(now), batch],
      );
      // The cursor moves past every event the subscription takes, in seq order.
      const last = await tx.query<{ seq: string | null }>(
        `SELECT max(seq)::text AS seq FROM (
           SELECT seq FROM events WHERE seq > $1::bigint AND ($2::text IS NULL OR merchant_id = $2)
           ORDER BY seq LIMIT $3) s`,
        [sub.cursor_seq, sub.merchant_id, batch],
      );
      const cursor = last[0]?.seq;
      if (cursor) {
        await tx.query('UPDATE webhook_subscriptions SET cursor_seq = $2::bigint WHERE id = $1', [
          id,
          cursor,
        ]);
      }
      return inserted.length;
    });
  }
  return queued;
}

export interface ClaimedDelivery {
  readonly subscriptionId: string;
  readonly url: string;
  readonly secret: string;
  readonly attempts: number;
  readonly event: FeedEventView;
}

/**
 * Takes up to `limit` due deliveries, leasing each to this sender for `leaseMs`.
 * The claim locks rows of the outbox alone, a table of the coordinator; the
 * events are read after it by their whole key, (merchant_id, seq), because
 * on Citus a distributed table's rows can be locked only within one shard.
 * A delivery whose event is no longer stored is given up at once.
 */
export async function claimDeliveries(
  db: Db,
  now: Instant,
  limit: number,
  policy: WebhookPolicy = WEBHOOK_POLICY,
): Promise<ClaimedDelivery[]> {
  return db.transaction(async (tx) => {
    const rows = await tx.query<{
      subscription_id: string;
      event_merchant_id: string;
      event_seq: string;
      attempts: number;
      url: string;
      secret: string;
    }>(
      `SELECT d.subscription_id, d.event_merchant_id, d.event_seq::text AS event_seq, d.attempts,
              s.url, s.secret
       FROM webhook_deliveries d
       JOIN webhook_subscriptions s ON s.id = d.subscription_id
       WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND s.disabled_at IS NULL
       ORDER BY d.next_attempt_at, d.event_seq
       LIMIT $2
       FOR UPDATE OF d SKIP LOCKED`,
      [toPg(now), limit],
    );
    if (rows.length === 0) return [];
    const events = new Map<string, FeedEventRow>();
    for (const event of await tx.query<FeedEventRow>(
      `SELECT seq::text AS seq, key, type, merchant_id, at, payload FROM events
       WHERE merchant_id = ANY($1) AND seq = ANY($2::bigint[])`,
      [[...new Set(rows.map((r) => r.event_merchant_id))], rows.map((r) => r.event_seq)],
    )) {
      events.set(`${event.merchant_id} ${event.seq}`, event);
    }
    const eventOf = (r: (typeof rows)[number]) =>
      events.get(`${r.event_merchant_id} ${r.event_seq}`);

    const keys = (list: typeof rows) =>
      JSON.stringify(
        list.map((r) => ({ subscription_id: r.subscription_id, event_seq: r.event_seq })),
      );
    const gone = rows.filter((r) => eventOf(r) === undefined);
    if (gone.length > 0) {
      await tx.query(
        `UPDATE webhook_deliveries d
         SET status = 'failed', last_error = 'the event is no longer stored'
         FROM jsonb_to_recordset($1::jsonb) AS x(subscription_id text, event_seq bigint)
         WHERE d.subscription_id = x.subscription_id AND d.event_seq = x.event_seq`,
        [keys(gone)],
      );
    }
    const claimed = rows.flatMap((r) => {
      const event = eventOf(r);
      return event ? [{ ...r, event }] : [];
    });
    if (claimed.length === 0) return [];
    await tx.query(
      `UPDATE webhook_deliveries d SET attempts = d.attempts + 1, next_attempt_at = $2
       FROM jsonb_to_recordset($1::jsonb) AS x(subscription_id text, event_seq bigint)
       WHERE d.subscription_id = x.subscription_id AND d.event_seq = x.event_seq`,
      [keys(claimed), toPg(now + policy.leaseMs)],
    );
    return claimed.map((r) => ({
      subscriptionId: r.subscription_id,
      url: r.url,
      secret: r.secret,
      attempts: Number(r.attempts) + 1,
      event: eventView(r.event),
    }));
  });
}

export async function recordDelivery(
  db: Queryable,
  claimed: ClaimedDelivery,
  outcome: { ok: boolean; status: number | null; error: string | null },
  now: Instant,
  policy: WebhookPolicy = WEBHOOK_POLICY,
): Promise<'delivered' | 'pending' | 'failed'> {
  const status = outcome.ok
    ? 'delivered'
    : claimed.attempts >= policy.maxAttempts
      ? 'failed'
      : 'pending';
  await db.query(
    `UPDATE webhook_deliveries SET status = $3, last_status = $4, last_error = $5,
       delivered_at = CASE WHEN $3 = 'delivered' THEN $6::timestamptz ELSE NULL END,
       next_attempt_at = $7
     WHERE subscription_id = $1 AND event_seq = $2::bigint`,
    [
      claimed.subscriptionId,
      claimed.event.seq,
      status,
      outcome.status,
      outcome.error === null ? null : outcome.error.slice(0, 500),
      toPg(now),
      toPg(now + retryDelayMs(claimed.attempts, policy)),
    ],
  );
  return status;
}
