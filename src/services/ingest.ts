import { commonCode, LadderError } from '../core/errors.js';
import {
  type ChargeInput,
  differingFacts,
  type MerchantInput,
  type OrderEventInput,
  type OrderInput,
  type SettlementInput,
  sameFacts,
} from '../core/input.js';
import type { FieldIssue } from '../core/rulebook/rulebook.js';
import { parseInstant } from '../core/time.js';
import type { Queryable } from '../store/db.js';
import { chunks, fromPg, insertRows, toPg } from '../store/rows.js';

/**
 * Takes facts into the store: merchants, orders, status events, charges and
 * settlements. Sending the same thing again changes nothing; the same id with
 * other facts, a status that changes twice, or a reference to something the
 * store does not hold is refused, and the caller's transaction rolls back so
 * that nothing is half-applied.
 */

/** Facts to ingest, each with where it came from, for messages. */
export interface Located<T> {
  readonly value: T;
  /** `orders[3]` or `orders.csv:5`. */
  readonly where: string;
}

export interface RiskFlagRow {
  readonly merchantId: string;
  readonly from: string;
  readonly to: string | null;
}

export interface FxRatingChangeRow {
  readonly merchantId: string;
  readonly at: string;
  readonly rating: string;
}

export interface IngestBatch {
  readonly merchants?: readonly Located<MerchantInput>[];
  readonly riskFlags?: readonly Located<RiskFlagRow>[];
  readonly fxRatingChanges?: readonly Located<FxRatingChangeRow>[];
  readonly orders?: readonly Located<OrderInput>[];
  readonly orderEvents?: readonly Located<OrderEventInput>[];
  readonly charges?: readonly Located<ChargeInput>[];
  readonly settlements?: readonly Located<SettlementInput>[];
}

export interface IngestSummary {
  readonly inserted: Record<string, number>;
  readonly unchanged: Record<string, number>;
  /** Bad rows left out; only with `skipBad`, else the whole batch is refused. */
  readonly rejected: FieldIssue[];
}

interface Context {
  readonly issues: FieldIssue[];
  readonly inserted: Record<string, number>;
  readonly unchanged: Record<string, number>;
  readonly skipBad: boolean;
}

/**
 * The same id twice in one batch: the same facts are one row, other facts
 * are refused like a conflicting re-send (SPEC §8).
 */
function repeatedInBatch<T extends { id: string }>(
  sent: Map<string, T>,
  value: T,
  where: string,
  issues: FieldIssue[],
  what: string,
): boolean {
  const first = sent.get(value.id);
  if (!first) {
    sent.set(value.id, value);
    return false;
  }
  if (!sameFacts(first as Record<string, unknown>, value as Record<string, unknown>)) {
    issues.push({
      path: field(where, 'id'),
      message: `${what} ${value.id} appears earlier in this batch with other facts`,
      code: 'CONFLICT',
      value: value.id,
    });
  }
  return true;
}

function field(where: string, name: string): string {
  return where.includes(':') ? `${where} ${name}` : `${where}.${name}`;
}

async function existingById<Row extends { id: string }>(
  tx: Queryable,
  sql: string,
  ids: readonly string[],
): Promise<Map<string, Row>> {
  const found = new Map<string, Row>();
  for (const batch of chunks(ids)) {
    for (const row of await tx.query<Row>(sql, [batch])) found.set(row.id, row);
  }
  return found;
}

/**
 * Applies a batch in the caller's transaction; throws a LadderError naming
 * every bad field. With `skipBad`, bad rows are left out and returned, and
 * the good ones applied (a row that names a rejected one is rejected too).
 */
export async function ingest(
  tx: Queryable,
  batch: IngestBatch,
  options: { skipBad?: boolean } = {},
): Promise<IngestSummary> {
  const skipBad = options.skipBad ?? false;
  const issues: FieldIssue[] = [];
  const inserted: Record<string, number> = {};
  const unchanged: Record<string, number> = {};
  const go = () => skipBad || issues.length === 0;
  const c = { issues, inserted, unchanged, skipBad };

  await ingestMerchants(tx, batch.merchants ?? [], c);
  if (go()) await ingestMerchantFacts(tx, batch.riskFlags ?? [], batch.fxRatingChanges ?? [], c);
  if (go()) await ingestById(tx, ORDERS, batch.orders ?? [], c);
  if (go()) await ingestEvents(tx, batch.orderEvents ?? [], c);
  if (go()) await ingestById(tx, CHARGES, batch.charges ?? [], c);
  if (go()) await ingestById(tx, SETTLEMENTS, batch.settlements ?? [], c);

  if (skipBad) return { inserted, unchanged, rejected: issues };
  if (issues.length > 0) {
    throw new LadderError(
      commonCode(issues),
      `${issues.length} bad field(s); nothing was applied`,
      issues,
    );
  }
  return { inserted, unchanged, rejected: [] };
}

interface MerchantRow {
  id: string;
  fx_rating: string;
}

async function ingestMerchants(
  tx: Queryable,
  merchants: readonly Located<MerchantInput>[],
  { issues, inserted, unchanged, skipBad }: Context,
): Promise<void> {
  if (merchants.length === 0) return;
  const existing = await existingById<MerchantRow>(
    tx,
    'SELECT id, fx_rating FROM merchants WHERE id = ANY($1)',
    merchants.map((m) => m.value.id),
  );
  const fresh: Record<string, unknown>[] = [];
  const seen = new Set<string>();
  const sentMerchants = new Map<string, MerchantInput>();
  for (const { value, where } of merchants) {
    if (repeatedInBatch(sentMerchants, value, where, issues, 'merchant')) continue;
    const stored = existing.get(value.id);
    if (stored && stored.fx_rating !== value.fxRating) {
      issues.push({
        path: field(where, 'fxRating'),
        message: `merchant ${value.id} was sent before with other facts (fxRating ${stored.fx_rating})`,
        code: 'CONFLICT',
        value: value.fxRating,
      });
    } else if (!stored && !seen.has(value.id)) {
      fresh.push({ id: value.id, fx_rating: value.fxRating });
      seen.add(value.id);
    }
  }
  if (issues.length > 0 && !skipBad) return;
  await insertRows(tx, 'merchants', { id: 'text', fx_rating: 'text' }, fresh);
  inserted.merchants = fresh.length;
  unchanged.merchants = merchants.length - fresh.length;

  await writeRiskFlags(
    tx,
    merchants.flatMap(({ value }) =>
      (value.riskFlags ?? []).map((flag) => ({
        merchantId: value.id,
        from: flag.from,
        to: flag.to,
      })),
    ),
  );
  await writeRatingChanges(
    tx,
    merchants.flatMap(({ value }) =>
      (value.fxRatingChanges ?? []).map((change) => ({ merchantId: value.id, ...change })),
    ),
  );
}

/**
 * The same fact twice is one; two facts under one key (a flag's start, a
 * rating change's instant) that disagree are refused, in the batch and
 * against the store. An open flag may later be closed: that is its end
 * arriving, not a conflict.
 */
async function checkKeyedFacts(
  tx: Queryable,
  sql: string,
  merchantIds: readonly string[],
  rows: readonly { key: string; value: string }[],
  what: string,
  closesOpen: boolean,
): Promise<void> {
  const stored = new Map<string, string>();
  for (const batch of chunks([...new Set(merchantIds)])) {
    for (const row of await tx.query<{ key: string; value: string }>(sql, [batch])) {
      stored.set(row.key, row.value);
    }
  }
  const sent = new Map<string, string>();
  for (const { key, value } of rows) {
    const before = sent.get(key) ?? stored.get(key);
    const closing = closesOpen && before === '' && value !== '';
    const reopening = closesOpen && before !== undefined && value === '';
    if (before !== undefined && before !== value && !closing && !reopening) {
      throw new LadderError('CONFLICT', `${what} ${key} was sent before with other facts`, [
        { path: what, message: `${key} was sent before with other facts`, value: key },
      ]);
    }
    if (!reopening) sent.set(key, value);
  }
}

async function writeRiskFlags(tx: Queryable, given: readonly RiskFlagRow[]): Promise<number> {
  const keyed = given.map((flag) => ({
    flag,
    key: `${flag.merchantId} ${new Date(parseInstant(flag.from)).toISOString()}`,
    value: flag.to === null ? '' : new Date(parseInstant(flag.to)).toISOString(),
  }));
  await checkKeyedFacts(
    tx,
    `SELECT merchant_id || ' ' || to_char(from_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS key,
            COALESCE(to_char(to_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), '') AS value
     FROM risk_flags WHERE merchant_id = ANY($1)`,
    given.map((flag) => flag.merchantId),
    keyed,
    'risk flag',
    true,
  );
  // One row per key, the closing one where a batch holds both: an upsert may touch a row once.
  const byKey = new Map<string, RiskFlagRow>();
  for (const { flag, key } of keyed) {
    const kept = byKey.get(key);
    if (!kept || kept.to === null) byKey.set(key, flag);
  }
  const flags = [...byKey.values()];
  // A flag is keyed by its start; closing an open flag later sets its end.
  return insertRows(
    tx,
    'risk_flags',
    { merchant_id: 'text', from_at: 'timestamptz', to_at: 'timestamptz' },
    flags.map((flag) => ({
      merchant_id: flag.merchantId,
      from_at: toPg(parseInstant(flag.from)),
      to_at: flag.to === null ? null : toPg(parseInstant(flag.to)),
    })),
    `ON CONFLICT (merchant_id, from_at) DO UPDATE SET to_at = EXCLUDED.to_at
     WHERE risk_flags.to_at IS NULL AND EXCLUDED.to_at IS NOT NULL`,
  );
}

async function writeRatingChanges(
  tx: Queryable,
  given: readonly FxRatingChangeRow[],
): Promise<number> {
  const keyed = given.map((change) => ({
    change,
    key: `${change.merchantId} ${new Date(parseInstant(change.at)).toISOString()}`,
    value: change.rating,
  }));
  await checkKeyedFacts(
    tx,
    `SELECT merchant_id || ' ' || to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS key,
            rating AS value
     FROM fx_rating_changes WHERE merchant_id = ANY($1)`,
    given.map((change) => change.merchantId),
    keyed,
    'FX rating change',
    false,
  );
  const changes = [...new Map(keyed.map(({ change, key }) => [key, change])).values()];
  return insertRows(
    tx,
    'fx_rating_changes',
    { merchant_id: 'text', at: 'timestamptz', rating: 'text' },
    changes.map((change) => ({
      merchant_id: change.merchantId,
      at: toPg(parseInstant(change.at)),
      rating: change.rating,
    })),
  );
}

/** Risk flags and FX rating changes sent on their own (CSV, API), for known merchants. */
async function ingestMerchantFacts(
  tx: Queryable,
  flags: readonly Located<RiskFlagRow>[],
  changes: readonly Located<FxRatingChangeRow>[],
  { issues, inserted, unchanged, skipBad }: Context,
): Promise<void> {
  if (flags.length + changes.length === 0) return;
  const known = await knownIds(
    tx,
    'merchants',
    [...flags, ...changes].map((row) => row.value.merchantId),
  );
  const goodFlags: RiskFlagRow[] = [];
  for (const { value, where } of flags) {
    if (!known.has(value.merchantId)) {
      issues.push({
        path: field(where, 'merchantId'),
        message: 'names no known merchant',
        code: 'UNKNOWN_REFERENCE',
        value: value.merchantId,
      });
    } else if (value.to !== null && parseInstant(value.to) < parseInstant(value.from)) {
      issues.push({
        path: field(where, 'to'),
        message: 'must not be before from',
        value: value.to,
      });
    } else {
      goodFlags.push(value);
    }
  }
  const goodChanges: FxRatingChangeRow[] = [];
  for (const { value, where } of changes) {
    if (!known.has(value.merchantId)) {
      issues.push({
        path: field(where, 'merchantId'),
        message: 'names no known merchant',
        code: 'UNKNOWN_REFERENCE',
        value: value.merchantId,
      });
    } else {
      goodChanges.push(value);
    }
  }
  if (issues.length > 0 && !skipBad) return;
  inserted.riskFlags = await writeRiskFlags(tx, goodFlags);
  inserted.fxRatingChanges = await writeRatingChanges(tx, goodChanges);
  unchanged.riskFlags = goodFlags.length - inserted.riskFlags;
  unchanged.fxRatingChanges = goodChanges.length - inserted.fxRatingChanges;
}

async function knownIds(
  tx: Queryable,
  table: 'merchants' | 'orders',
  ids: readonly string[],
): Promise<Set<string>> {
  const known = new Set<string>();
  for (const batch of chunks([...new Set(ids)])) {
    const rows = await tx.query<{ id: string }>(`SELECT id FROM ${table} WHERE id = ANY($1)`, [
      batch,
    ]);
    for (const row of rows) known.add(row.id);
  }
  return known;
}

async function ingestEvents(
  tx: Queryable,
  events: readonly Located<OrderEventInput>[],
  { issues, inserted, unchanged, skipBad }: Context,
): Promise<void> {
  if (events.length === 0) return;
  const ids = [...new Set(events.map((e) => e.value.orderId))];
  const orders = new Map<string, { merchantId: string; clearedAt: string }>();
  const stored = new Map<string, { status: string; at: string }>();
  for (const batch of chunks(ids)) {
    const rows = await tx.query<{
      id: string;
      merchant_id: string;
      cleared_at: string;
      status: string | null;
      at: string | null;
    }>(
      `SELECT o.id, o.merchant_id, o.cleared_at, e.status, e.at FROM orders o
       LEFT JOIN order_events e ON e.merchant_id = o.merchant_id AND e.order_id = o.id
       WHERE o.id = ANY($1)`,
      [batch],
    );
    for (const row of rows) {
      orders.set(row.id, { merchantId: row.merchant_id, clearedAt: row.cleared_at });
      if (row.status !== null && row.at !== null)
        stored.set(row.id, { status: row.status, at: row.at });
    }
  }

  const fresh = new Map<string, Record<string, unknown>>();
  for (const { value, where } of events) {
    const order = orders.get(value.orderId);
    if (order === undefined) {
      issues.push({
        path: field(where, 'orderId'),
        message: 'names no known order',
        code: 'UNKNOWN_REFERENCE',
        value: value.orderId,
      });
      continue;
    }
    const at = parseInstant(value.at);
    if (at < fromPg(order.clearedAt)) {
      issues.push({
        path: field(where, 'at'),
        message: 'is before the order was cleared',
        value: value.at,
      });
      continue;
    }
    const before = stored.get(value.orderId) ?? fresh.get(value.orderId);
    if (before) {
      const beforeAt =
        typeof before.at === 'string' && before.at.includes(' ')
          ? fromPg(before.at)
          : Date.parse(String(before.at));
      if (before.status !== value.status) {
        issues.push({
          path: field(where, 'status'),
          message: `order ${value.orderId} is already ${before.status}; a status never changes again`,
          code: 'STATUS_FINAL',
          value: value.status,
        });
      } else if (beforeAt !== at) {
        issues.push({
          path: field(where, 'at'),
          message: `this status event was sent before with other facts (at ${new Date(beforeAt).toISOString()})`,
          code: 'CONFLICT',
          value: value.at,
        });
      }
      continue;
    }
    fresh.set(value.orderId, {
      merchant_id: order.merchantId,
      order_id: value.orderId,
      status: value.status,
      at: toPg(at),
    });
  }
  if (issues.length > 0 && !skipBad) return;
  await insertRows(
    tx,
    'order_events',
    { merchant_id: 'text', order_id: 'text', status: 'text', at: 'timestamptz' },
    [...fresh.values()],
  );
  inserted.orderEvents = fresh.size;
  unchanged.orderEvents = events.length - fresh.size;
}

/**
 * A kind of fact identified by its id (orders, charges, settlements): how it
 * is stored, how a stored row reads back as input, and what it must refer to.
 */
interface FactKind<Input extends { id: string; merchantId: string }> {
  readonly name: string;
  readonly batchKey: 'orders' | 'charges' | 'settlements';
  /** Which range of id locks the kind takes (`lockIds`). */
  readonly lockSlot: number;
  readonly table: string;
  readonly columns: Readonly<Record<string, string>>;
  toRow(value: Input): Record<string, unknown>;
  /** A stored row as the facts of an input, without its id, to compare with a re-send. */
  fromRow(row: Record<string, string | null>): Record<string, unknown>;
  /** Loads what the values refer to; returns a check for one value. */
  references(
    tx: Queryable,
    values: readonly Input[],
  ): Promise<(value: Input, where: string) => FieldIssue | null>;
}

const isoOf = (text: string | null | undefined) =>
  text === null || text === undefined ? undefined : new Date(fromPg(text)).toISOString();

const unknownMerchant = (where: string, merchantId: string): FieldIssue => ({
  path: field(where, 'merchantId'),
  message: 'names no known merchant',
  code: 'UNKNOWN_REFERENCE',
  value: merchantId,
});

async function merchantCheck<Input extends { merchantId: string }>(
  tx: Queryable,
  values: readonly Input[],
): Promise<(value: Input, where: string) => FieldIssue | null> {
  const known = await knownIds(
    tx,
    'merchants',
    values.map((v) => v.merchantId),
  );
  return (value, where) =>
    known.has(value.merchantId) ? null : unknownMerchant(where, value.merchantId);
}

const ORDERS: FactKind<OrderInput> = {
  name: 'order',
  batchKey: 'orders',
  lockSlot: 0,
  table: 'orders',
  columns: {
    id: 'text',
    merchant_id: 'text',
    service: 'text',
    type: 'text',
    amount_usd: 'numeric',
    cleared_at: 'timestamptz',
    usd_cny: 'numeric',
  },
  toRow: (value) => ({
    id: value.id,
    merchant_id: value.merchantId,
    service: value.service,
    type: value.type,
    amount_usd: value.amountUsd,
    cleared_at: toPg(parseInstant(value.clearedAt)),
    usd_cny: value.usdCny ?? null,
  }),
  fromRow: (row) => ({
    merchantId: row.merchant_id,
    service: row.service,
    type: row.type,
    amountUsd: row.amount_usd,
    clearedAt: isoOf(row.cleared_at),
    usdCny: row.usd_cny ?? undefined,
  }),
  references: merchantCheck,
};

const CHARGES: FactKind<ChargeInput> = {
  name: 'charge',
  batchKey: 'charges',
  lockSlot: 1,
  table: 'charges',
  columns: {
    id: 'text',
    order_id: 'text',
    merchant_id: 'text',
    kind: 'text',
    amount_cny: 'numeric',
    at: 'timestamptz',
  },
  toRow: (value) => ({
    id: value.id,
    order_id: value.orderId,
    merchant_id: value.merchantId,
    kind: value.kind,
    amount_cny: value.amountCny,
    at: toPg(parseInstant(value.at)),
  }),
  fromRow: (row) => ({
    orderId: row.order_id,
    merchantId: row.merchant_id,
    kind: row.kind,
    amountCny: row.amount_cny,
    at: isoOf(row.at),
  }),
  // A charge names an order, and that order's merchant: SPEC §12.
  async references(tx, values) {
    const ownerOf = new Map<string, string>();
    const clearedAt = new Map<string, number>();
    for (const batch of chunks([...new Set(values.map((c) => c.orderId))])) {
      const rows = await tx.query<{ id: string; merchant_id: string; cleared_at: string }>(
        'SELECT id, merchant_id, cleared_at FROM orders WHERE id = ANY($1)',
        [batch],
      );
      for (const row of rows) {
        ownerOf.set(row.id, row.merchant_id);
        clearedAt.set(row.id, fromPg(row.cleared_at));
      }
    }
    return (value, where) => {
      const owner = ownerOf.get(value.orderId);
      const cleared = clearedAt.get(value.orderId);
      if (cleared !== undefined && parseInstant(value.at) < cleared) {
        return {
          path: field(where, 'at'),
          message: `is before order ${value.orderId} was cleared`,
          value: value.at,
        };
      }
      if (owner === undefined) {
        return {
          path: field(where, 'orderId'),
          message: 'names no known order',
          code: 'UNKNOWN_REFERENCE',
          value: value.orderId,
        };
      }
      if (owner !== value.merchantId) {
        return {
          path: field(where, 'merchantId'),
          message: `order ${value.orderId} belongs to ${owner}`,
          value: value.merchantId,
        };
      }
      return null;
    };
  },
};

const SETTLEMENTS: FactKind<SettlementInput> = {
  name: 'settlement',
  batchKey: 'settlements',
  lockSlot: 2,
  table: 'settlements',
  columns: {
    id: 'text',
    merchant_id: 'text',
    currency: 'text',
    amount: 'numeric',
    base_rate: 'numeric',
    account: 'text',
    at: 'timestamptz',
  },
  toRow: (value) => ({
    id: value.id,
    merchant_id: value.merchantId,
    currency: value.currency,
    amount: value.amount,
    base_rate: value.baseRate,
    account: value.account,
    at: toPg(parseInstant(value.at)),
  }),
  fromRow: (row) => ({
    merchantId: row.merchant_id,
    currency: row.currency,
    amount: row.amount,
    baseRate: row.base_rate,
    account: row.account,
    at: isoOf(row.at),
  }),
  references: merchantCheck,
};

/**
 * An id of an order, a charge or a settlement belongs to one merchant, but
 * the tables' keys carry merchant_id (so that Citus can distribute them by
 * merchant) and no index says that an id is unique across merchants. Ingest
 * checks it against what is stored; for two transactions that send one id at
 * once, each first takes transaction-scoped advisory locks on the buckets
 * its ids hash to, so the second waits until the first commits and then
 * finds its row. A bounded number of buckets bounds the locks that a large
 * import holds. The locks of one statement are taken in ascending order,
 * and a batch of more than a few ids takes every bucket of its kind (as an
 * import's first batch does), so that two writers never wait on each other
 * in a circle.
 */
const ID_LOCK_KEY = 7277004;
const ID_LOCK_BUCKETS = 256;
const ID_LOCK_FEW = 32;

function idBucket(id: string): number {
  // FNV-1a over UTF-16 code units: any stable hash will do, the same in every writer.
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % ID_LOCK_BUCKETS;
}

async function lockIds(tx: Queryable, slot: number, ids: readonly string[] | 'all'): Promise<void> {
  const buckets =
    ids === 'all' || ids.length > ID_LOCK_FEW
      ? Array.from({ length: ID_LOCK_BUCKETS }, (_, i) => i)
      : [...new Set(ids.map(idBucket))].sort((a, b) => a - b);
  await tx.query('SELECT pg_advisory_xact_lock($1, b) FROM unnest($2::int[]) AS b', [
    ID_LOCK_KEY,
    buckets.map((bucket) => slot * ID_LOCK_BUCKETS + bucket),
  ]);
}

/**
 * Every id lock of a table's kind, as a batch of many ids takes them: for
 * the bulk import (import-bulk.ts), which checks a whole file's ids against
 * the stored rows at once and must not race another writer of the same id.
 */
export async function lockAllIdsOf(
  tx: Queryable,
  table: 'orders' | 'charges' | 'settlements',
): Promise<void> {
  const kind = { orders: ORDERS, charges: CHARGES, settlements: SETTLEMENTS }[table];
  await lockIds(tx, kind.lockSlot, 'all');
}

/**
 * One kind of fact by id: references checked, a re-send with the same facts
 * left as it is, one with other facts refused (an id that another merchant
 * holds among them), the new ones written.
 */
async function ingestById<Input extends { id: string; merchantId: string }>(
  tx: Queryable,
  kind: FactKind<Input>,
  rows: readonly Located<Input>[],
  { issues, inserted, unchanged, skipBad }: Context,
): Promise<void> {
  if (rows.length === 0) return;
  const check = await kind.references(
    tx,
    rows.map((row) => row.value),
  );
  await lockIds(
    tx,
    kind.lockSlot,
    rows.map((row) => row.value.id),
  );
  const existing = await existingById<{ id: string } & Record<string, string | null>>(
    tx,
    `SELECT ${Object.keys(kind.columns).join(', ')} FROM ${kind.table} WHERE id = ANY($1)`,
    rows.map((row) => row.value.id),
  );
  const fresh = new Map<string, Record<string, unknown>>();
  const sent = new Map<string, Input>();
  const whereOf = new Map<string, string>();
  for (const { value, where } of rows) {
    const problem = check(value, where);
    if (problem) {
      issues.push(problem);
      continue;
    }
    if (repeatedInBatch(sent, value, where, issues, kind.name)) continue;
    const stored = existing.get(value.id);
    if (stored) {
      const { id: _id, ...facts } = value as Input & Record<string, unknown>;
      if (stored.merchant_id !== value.merchantId) {
        issues.push({
          path: field(where, 'id'),
          message:
            `${kind.name} ${value.id} belongs to merchant ${stored.merchant_id}: ` +
            'an id is unique across merchants',
          code: 'CONFLICT',
          value: value.id,
        });
      } else {
        const before = kind.fromRow(stored);
        const differ = differingFacts(before, facts);
        if (differ.length > 0) {
          const changes = differ.map(
            (name) =>
              `${name} ${String(before[name] ?? 'none')} then, ${String(facts[name] ?? 'none')} now`,
          );
          issues.push({
            path: field(where, 'id'),
            message: `${kind.name} ${value.id} was sent before with other facts: ${changes.join('; ')}`,
            code: 'CONFLICT',
            value: value.id,
          });
        }
      }
      continue;
    }
    fresh.set(value.id, kind.toRow(value));
    whereOf.set(value.id, where);
  }
  if (issues.length > 0 && !skipBad) return;
  const written = await insertRows(tx, kind.table, kind.columns, [...fresh.values()]);
  if (written < fresh.size) {
    // Another transaction wrote some of these ids meanwhile (one that took no
    // id locks): the same facts are a repeat, other facts a conflict, as if it
    // had come first.
    const now = await existingById<{ id: string } & Record<string, string | null>>(
      tx,
      `SELECT ${Object.keys(kind.columns).join(', ')} FROM ${kind.table} WHERE id = ANY($1)`,
      [...fresh.keys()],
    );
    for (const id of fresh.keys()) {
      const stored = now.get(id);
      const value = sent.get(id);
      if (!stored || !value) continue;
      const { id: _id, ...facts } = value as Input & Record<string, unknown>;
      if (!sameFacts(kind.fromRow(stored), facts)) {
        issues.push({
          path: field(whereOf.get(id) ?? kind.batchKey, 'id'),
          message: `${kind.name} ${id} was sent at the same time with other facts`,
          code: 'CONFLICT',
          value: id,
        });
      }
    }
  }
  inserted[kind.batchKey] = written;
  unchanged[kind.batchKey] = rows.length - written;
}
