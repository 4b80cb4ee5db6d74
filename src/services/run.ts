import { jumpRebate } from '../core/assessment.js';
import {
  type ExistingUse,
  type FeedEvent,
  type PricedOrder,
  processSegment,
  type SegmentOutput,
} from '../core/engine.js';
import { LadderError } from '../core/errors.js';
import { ACCOUNTS, type LedgerEntry, ledgerEntry } from '../core/ledger.js';
import { isRiskFlagged, type OrderEvent, type TerminalStatus } from '../core/model.js';
import { dec, formatAmount, formatFen, formatRate } from '../core/money.js';
import { type Programme, type Rulebook, versionInForce } from '../core/rulebook/rulebook.js';
import {
  compareQuarters,
  formatInstant,
  type Instant,
  previousQuarter,
  type Quarter,
  quarterEnd,
  quarterStart,
} from '../core/time.js';
import type { Db, Queryable } from '../store/db.js';
import { chunks, fromPg, insertRows, toPg } from '../store/rows.js';
import {
  type AssessmentRow,
  loadAssessments,
  loadCouponBalances,
  loadMerchants,
  toAssessment,
} from './load.js';
import { loadRulebooks } from './rulebooks.js';

/**
 * `ladder run --until INSTANT`: every assessment, fee, status change, charge
 * and settlement due by then, in time order, each exactly once however often
 * it runs. Work is split at each assessment instant: first everything due
 * before it, then the assessment, so that a fee is never priced with a level
 * that is about to be replaced (SPEC §4).
 */

export interface RunSummary {
  readonly assessments: {
    service: string;
    quarter: Quarter;
    effectiveAt: string;
    merchants: number;
  }[];
  readonly fees: number;
  readonly charges: number;
  readonly settlements: number;
  readonly statusChanges: number;
}

interface DueAssessment {
  readonly service: string;
  readonly quarter: Quarter;
  readonly at: Instant;
  readonly rulebook: Rulebook;
}

/** The assessments of every version's calendar that the version in force at their instant keeps. */
export function assessmentCalendar(rulebooks: readonly Rulebook[]): DueAssessment[] {
  const due = new Map<string, DueAssessment>();
  for (const rulebook of rulebooks) {
    for (const programme of rulebook.programmes.values()) {
      for (const [quarter, at] of programme.calendar) {
        if (versionInForce(rulebooks, at) !== rulebook) continue;
        const key = `${programme.service}|${quarter}`;
        if (!due.has(key)) due.set(key, { service: programme.service, quarter, at, rulebook });
      }
    }
  }
  return [...due.values()].sort((a, b) => a.at - b.at || (a.service < b.service ? -1 : 1));
}

/** How many due orders one transaction of the run takes at most (about; ties stay together). */
export const WINDOW_ORDERS = 50_000;

export interface RunOptions {
  /** Orders per window; tests make it small to prove that windows change nothing. */
  readonly windowOrders?: number;
  /**
   * The highest order `ingest_seq` that each assessment the store has run saw
   * (`assessment_runs.max_order_seq`), by `service|quarter`. A simulation
   * re-runs those assessments on those orders only, so that a late order counts
   * there no more than it did when the assessment ran (SPEC §4); a quarter not
   * named counts every order of the quarter, as a live run does.
   */
  readonly ordersSeen?: ReadonlyMap<string, string>;
}

export async function runUntil(
  db: Db,
  until: Instant,
  options: RunOptions = {},
): Promise<RunSummary> {
  const windowOrders = options.windowOrders ?? WINDOW_ORDERS;
  const rulebooks = await loadRulebooks(db);
  if (rulebooks.length === 0)
    throw new LadderError('UNKNOWN_RULEBOOK', 'the store has no rulebook; publish one first');
  const done = new Set(
    (
      await db.query<{ service: string; quarter: string }>(
        'SELECT service, quarter FROM assessment_runs',
      )
    ).map((row) => `${row.service}|${row.quarter}`),
  );
  const pending = assessmentCalendar(rulebooks).filter(
    (due) => due.at <= until && !done.has(`${due.service}|${due.quarter}`),
  );

  const summary = {
    assessments: [] as RunSummary['assessments'],
    fees: 0,
    charges: 0,
    settlements: 0,
    statusChanges: 0,
  };
  const count = (out: SegmentOutput | null) => {
    if (!out) return;
    summary.fees += out.fees.length;
    summary.charges += out.charges.length;
    summary.settlements += out.settlements.length;
    summary.statusChanges += out.appliedEvents.length;
  };

  // Fees that could not be computed are tried again in the first step of a
  // run after a rulebook version was published (a monthly rate, a new fee
  // rule): nothing else can change their outcome.
  const fingerprint = rulebooks.map((r) => r.key).join(',');
  const seen = await db.query<{ value: string }>(
    "SELECT value FROM settings WHERE key = 'rulebooks_seen_by_run'",
  );
  let retryErrors = seen[0]?.value !== fingerprint;
  // What is due before a bound is taken in windows of about `windowOrders`
  // orders, each in a transaction of its own, so that memory and transaction
  // size stay bounded however many orders a quarter holds. A window ends just
  // before an instant, as a segment ends before an assessment; the engine
  // gives the same results for any cut (src/services/run-windows.test.ts).
  const segment = async (bound: Instant, inclusive: boolean) => {
    for (const cut of await windowCuts(db, bound, inclusive, retryErrors, windowOrders)) {
      count(await db.transaction((tx) => runSegment(tx, rulebooks, cut, false, retryErrors)));
    }
    count(await db.transaction((tx) => runSegment(tx, rulebooks, bound, inclusive, retryErrors)));
    retryErrors = false;
  };
  for (const due of pending) {
    await segment(due.at, false);
    const seen = options.ordersSeen?.get(`${due.service}|${due.quarter}`) ?? null;
    const merchants = await db.transaction((tx) => runAssessment(tx, due, seen));
    if (merchants !== null) {
      summary.assessments.push({
        service: due.service,
        quarter: due.quarter,
        effectiveAt: formatInstant(due.at),
        merchants,
      });
    }
  }
  await segment(until, true);
  await db.query(
    `INSERT INTO settings (key, value) VALUES ('rulebooks_seen_by_run', $1)
     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
    [fingerprint],
  );
  return summary;
}

/**
 * The assessment of one quarter alone, as `runUntil` runs it at its instant, in
 * one transaction: the step that the scale benchmark times (bench/run.mjs). It
 * runs nothing that is due before the instant; the caller runs `runUntil` up to
 * just before it first, as `runUntil` itself would. Returns null when the
 * quarter was already assessed, and refuses a quarter that no rulebook's
 * calendar has (NOT_FOUND).
 */
export async function runQuarterAssessment(
  db: Db,
  service: string,
  quarter: Quarter,
): Promise<RunSummary['assessments'][number] | null> {
  const rulebooks = await loadRulebooks(db);
  const due = assessmentCalendar(rulebooks).find(
    (entry) => entry.service === service && entry.quarter === quarter,
  );
  if (due === undefined) {
    throw new LadderError(
      'NOT_FOUND',
      `no assessment of ${service} ${quarter} on the calendar of any rulebook`,
    );
  }

  const merchants = await db.transaction((tx) => runAssessment(tx, due));
  if (merchants === null) return null;
  return { service, quarter, effectiveAt: formatInstant(due.at), merchants };
}

/**
 * One assessment, exactly once: a second run, or a concurrent one, finds it done and stops.
 * `maxOrderSeq`, when given, leaves out the orders that reached the store after it.
 */
async function runAssessment(
  tx: Queryable,
  due: DueAssessment,
  maxOrderSeq: string | null = null,
): Promise<number | null> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
    `assess:${due.service}:${due.quarter}`,
  ]);
  const done = await tx.query('SELECT 1 FROM assessment_runs WHERE service = $1 AND quarter = $2', [
    due.service,
    due.quarter,
  ]);
  if (done.length > 0) return null;

  const programme = due.rulebook.programmes.get(due.service);
  if (!programme) throw new Error(`rulebook ${due.rulebook.key} has no ${due.service} programme`);
  const rules = programme.rules;

  // The levels, set-based: one INSERT … SELECT over the quarter's orders, so
  // that the merchants never pass through the application one by one. The
  // level rule is the core's `levelFor` (the highest band whose lower bound
  // the amount reaches); src/services/assessment-sql.test.ts holds the two to
  // the same answers. The sentence explaining each level is not stored: the
  // core's `explainLevel` writes it from the row when it is asked for.
  const bands = programme.levels.map((level, ord) => ({
    name: level.name,
    ord,
    rank: level.rank,
    from_usd: level.fromUsd.toFixed(),
  }));
  const quarterParams = [
    due.service,
    toPg(quarterStart(due.quarter)),
    toPg(quarterEnd(due.quarter)),
    toPg(due.at),
    rules.excludedStatuses,
    JSON.stringify(bands),
    due.quarter,
    due.rulebook.key,
    maxOrderSeq,
  ];
  const written = await tx.query<{ n: string | number }>(ASSESS_QUARTER_SQL, quarterParams);
  const merchantCount = Number(written[0]?.n ?? 0);
  // The planner must know the rows just written, or it joins them by scanning.
  await tx.query('ANALYZE assessments');
  await tx.query('SELECT pg_advisory_xact_lock($1)', [FEED_ORDER_LOCK]);
  await tx.query(LEVEL_EVENTS_SQL, [due.service, due.quarter, toPg(due.at)]);

  const { coupons, rebates, ledger, feed } = await jumpRebates(tx, due, programme, bands);
  await insertRows(
    tx,
    'coupons',
    {
      id: 'text',
      merchant_id: 'text',
      face_cny: 'numeric',
      issued_at: 'timestamptz',
      expires_at: 'timestamptz',
      service: 'text',
      quarter: 'text',
    },
    coupons,
  );
  await insertRows(
    tx,
    'jump_rebates',
    {
      merchant_id: 'text',
      service: 'text',
      quarter: 'text',
      from_level: 'text',
      to_level: 'text',
      increase_usd: 'numeric',
      rebate_cny: 'numeric',
      status: 'text',
      reason: 'text',
      coupon_id: 'text',
      effective_at: 'timestamptz',
      rulebook: 'text',
      explanation: 'jsonb',
    },
    rebates,
  );
  await writeLedger(tx, ledger);
  await writeFeed(tx, feed);
  const maxSeq =
    maxOrderSeq === null
      ? await tx.query<{ max: string | null }>('SELECT max(ingest_seq)::text AS max FROM orders')
      : [{ max: maxOrderSeq }];
  await tx.query(
    `INSERT INTO assessment_runs (service, quarter, effective_at, rulebook, max_order_seq, merchant_count)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [
      due.service,
      due.quarter,
      toPg(due.at),
      due.rulebook.key,
      maxSeq[0]?.max ?? '0',
      merchantCount,
    ],
  );
  return merchantCount;
}

/**
 * A merchant is assessed from the quarter of its first order on (one index
 * probe per merchant, not a scan of all history); an order that left
 * `cleared` before the effective instant is no trade (D13). Amounts are kept
 * without trailing zeros, as the core's decimals print them.
 *
 * Orders whose `ingest_seq` is above $9 reached the store after the assessment
 * ran and are left out, when $9 is given: only a simulation gives it, to re-run
 * an assessment on the orders it saw. A live run passes null and counts every
 * order in the store, which is what it sees.
 *
 * $1 service, $2 quarter start, $3 quarter end, $4 effective instant,
 * $5 excluded statuses, $6 bands [{name, ord, from_usd}], $7 quarter, $8 rulebook key,
 * $9 the highest order ingest_seq to count, or null for all.
 */
const ASSESS_QUARTER_SQL = `
WITH bands AS MATERIALIZED (
  SELECT name, ord, from_usd FROM jsonb_to_recordset($6::jsonb) AS b(name text, ord int, from_usd numeric)
), counted AS (
  SELECT o.merchant_id, SUM(o.amount_usd) AS amount_usd, COUNT(*) AS order_count
  FROM orders o
  WHERE o.service = $1 AND o.cleared_at >= $2 AND o.cleared_at < $3
    AND ($9::bigint IS NULL OR o.ingest_seq <= $9::bigint)
    AND NOT EXISTS (SELECT 1 FROM order_events e
                    WHERE e.merchant_id = o.merchant_id AND e.order_id = o.id
                      AND e.at < $4 AND e.status = ANY($5))
  GROUP BY o.merchant_id
), assessed AS (
  SELECT m.id AS merchant_id, trim_scale(COALESCE(c.amount_usd, 0)) AS amount_usd,
         COALESCE(c.order_count, 0) AS order_count
  FROM merchants m LEFT JOIN counted c ON c.merchant_id = m.id
  WHERE c.merchant_id IS NOT NULL
     OR EXISTS (SELECT 1 FROM orders o
                WHERE o.merchant_id = m.id AND o.service = $1 AND o.cleared_at < $3
                  AND ($9::bigint IS NULL OR o.ingest_seq <= $9::bigint))
), written AS (
  INSERT INTO assessments (merchant_id, service, quarter, amount_usd, order_count, level,
                           effective_from, rulebook, explanation)
  SELECT a.merchant_id, $1, $7, a.amount_usd, a.order_count,
         (SELECT b.name FROM bands b WHERE b.from_usd <= a.amount_usd ORDER BY b.ord DESC LIMIT 1),
         $4, $8, NULL
  FROM assessed a
  RETURNING 1
)
SELECT count(*) AS n FROM written`;

/** One level.assigned event per assessment, in merchant order; the amount printed as formatAmount does. */
const LEVEL_EVENTS_SQL = `
INSERT INTO events (key, type, merchant_id, at, payload)
SELECT 'level-assigned:' || a.merchant_id || ':' || a.service || ':' || a.quarter, 'level.assigned',
       a.merchant_id, $3,
       jsonb_build_object('service', a.service, 'quarter', a.quarter, 'level', a.level,
         'amountUsd', CASE WHEN scale(trim_scale(a.amount_usd)) <= 2 THEN round(a.amount_usd, 2)::text
                           ELSE trim_scale(a.amount_usd)::text END)
FROM assessments a
WHERE a.service = $1 AND a.quarter = $2
ORDER BY a.merchant_id
ON CONFLICT DO NOTHING`;

/**
 * The merchants whose level rose above the one held a quarter before (or the
 * newcomer level of D8), with both assessments: the few the core's
 * `jumpRebate` must see. It decides; this only leaves out who cannot jump.
 *
 * Written so that it needs no statistics of the rows the assessment has just
 * written: the quarter's rows by index, each one's quarter before by its key.
 *
 * $1 service, $2 quarter, $3 the quarter before, $4 level names by rank, $5 newcomer level or null.
 */
const JUMP_CANDIDATES_SQL = `
SELECT cur.merchant_id, cur.service, cur.quarter, cur.amount_usd::text AS amount_usd, cur.level,
       cur.effective_from, cur.rulebook,
       prev.merchant_id AS prev_merchant_id, prev.quarter AS prev_quarter,
       prev.amount_usd::text AS prev_amount_usd, prev.level AS prev_level,
       prev.effective_from AS prev_effective_from, prev.rulebook AS prev_rulebook
FROM assessments cur
LEFT JOIN LATERAL (
  SELECT p.* FROM assessments p
  WHERE p.merchant_id = cur.merchant_id AND p.service = cur.service AND p.quarter = $3
) prev ON true
WHERE cur.service = $1 AND cur.quarter = $2
  AND array_position($4::text[], cur.level) > array_position($4::text[], COALESCE(prev.level, $5))
ORDER BY cur.merchant_id`;

interface JumpCandidateRow extends AssessmentRow {
  prev_merchant_id: string | null;
  prev_quarter: string | null;
  prev_amount_usd: string | null;
  prev_level: string | null;
  prev_effective_from: string | null;
  prev_rulebook: string | null;
}

/** The jump rebates of one assessment, through the core, with their coupons, ledger and events. */
async function jumpRebates(
  tx: Queryable,
  due: DueAssessment,
  programme: Programme,
  bands: readonly { name: string; rank: number }[],
) {
  const coupons: Record<string, unknown>[] = [];
  const rebates: Record<string, unknown>[] = [];
  const ledger: LedgerEntry[] = [];
  const feed: FeedEvent[] = [];
  const window = programme.rules.jumpRebate;
  if (
    compareQuarters(due.quarter, window.firstQuarter) < 0 ||
    compareQuarters(due.quarter, window.lastQuarter) > 0
  ) {
    return { coupons, rebates, ledger, feed };
  }
  const candidates = await tx.query<JumpCandidateRow>(JUMP_CANDIDATES_SQL, [
    due.service,
    due.quarter,
    previousQuarter(due.quarter),
    [...bands].sort((a, b) => a.rank - b.rank).map((band) => band.name),
    window.newcomerHeldLevel,
  ]);
  const merchants = await loadMerchants(
    tx,
    candidates.map((row) => row.merchant_id),
  );
  const validityDays = due.rulebook.document.coupons.validityDays;
  const expiresAt = validityDays === null ? null : due.at + validityDays * 86_400_000;

  for (const row of candidates) {
    const previous =
      row.prev_merchant_id === null
        ? undefined
        : toAssessment({
            merchant_id: row.prev_merchant_id,
            service: row.service,
            quarter: row.prev_quarter as string,
            amount_usd: row.prev_amount_usd as string,
            level: row.prev_level as string,
            effective_from: row.prev_effective_from as string,
            rulebook: row.prev_rulebook as string,
          });
    const rebate = jumpRebate({
      programme,
      current: toAssessment(row),
      previous,
      riskFlagged: isRiskFlagged(merchants.get(row.merchant_id), due.at),
      rulebookKey: due.rulebook.key,
    });
    if (!rebate) continue;
    const couponId =
      rebate.status === 'issued' && rebate.rebateCny.gt(0)
        ? `CP-${rebate.merchantId}-${rebate.service}-${rebate.quarter}`
        : null;
    rebates.push({
      merchant_id: rebate.merchantId,
      service: rebate.service,
      quarter: rebate.quarter,
      from_level: rebate.fromLevel,
      to_level: rebate.toLevel,
      increase_usd: formatAmount(rebate.increaseUsd),
      rebate_cny: formatFen(rebate.rebateCny),
      status: rebate.status,
      reason: rebate.reason,
      coupon_id: couponId,
      effective_at: toPg(due.at),
      rulebook: due.rulebook.key,
      explanation: rebate.explanation,
    });
    feed.push({
      key: `jump-rebate:${rebate.merchantId}:${rebate.service}:${rebate.quarter}`,
      type: rebate.status === 'issued' ? 'jump-rebate.issued' : 'jump-rebate.suppressed',
      merchantId: rebate.merchantId,
      at: due.at,
      payload: {
        quarter: rebate.quarter,
        fromLevel: rebate.fromLevel,
        toLevel: rebate.toLevel,
        rebateCny: formatFen(rebate.rebateCny),
        reason: rebate.reason,
        couponId,
      },
    });
    if (couponId === null) continue;
    coupons.push({
      id: couponId,
      merchant_id: rebate.merchantId,
      face_cny: formatFen(rebate.rebateCny),
      issued_at: toPg(due.at),
      expires_at: expiresAt === null ? null : toPg(expiresAt),
      service: rebate.service,
      quarter: rebate.quarter,
    });
    ledger.push(
      ledgerEntry({
        key: `issue:${couponId}`,
        kind: 'issue',
        merchantId: rebate.merchantId,
        at: due.at,
        debitAccount: ACCOUNTS.rebateExpense,
        creditAccount: ACCOUNTS.coupon(couponId),
        amountCny: rebate.rebateCny,
        couponId,
        chargeId: null,
      }),
    );
  }
  return { coupons, rebates, ledger, feed };
}

async function writeLedger(tx: Queryable, entries: readonly LedgerEntry[]): Promise<void> {
  await insertRows(
    tx,
    'ledger_entries',
    {
      key: 'text',
      kind: 'text',
      merchant_id: 'text',
      at: 'timestamptz',
      debit_account: 'text',
      credit_account: 'text',
      amount_cny: 'numeric',
      coupon_id: 'text',
      charge_id: 'text',
    },
    entries.map((entry) => ({
      key: entry.key,
      kind: entry.kind,
      merchant_id: entry.merchantId,
      at: toPg(entry.at),
      debit_account: entry.debitAccount,
      credit_account: entry.creditAccount,
      amount_cny: entry.amountCny.toFixed(),
      coupon_id: entry.couponId,
      charge_id: entry.chargeId,
    })),
    'ON CONFLICT (merchant_id, key) DO NOTHING',
  );
}

/**
 * Events are written under the lock that makes them commit in seq order
 * (migration 2). Its trigger takes it on a single server; a Citus
 * coordinator cannot keep that trigger on a distributed table, so the
 * writer takes it too (taking it twice in one transaction is harmless).
 * TODO(citus-feed-order): on Citus a transaction that wrote to several nodes
 * commits on them after the coordinator releases the lock, so a reader may
 * briefly see a later seq first; readers should page up to a horizon
 * behind the newest event (docs/SCALING.md).
 */
/** The lock that makes event writers commit one after the other (migration 2's trigger takes it too). */
const FEED_ORDER_LOCK = 7277002;

async function writeFeed(tx: Queryable, feed: readonly FeedEvent[]): Promise<void> {
  if (feed.length === 0) return;
  await tx.query('SELECT pg_advisory_xact_lock($1)', [FEED_ORDER_LOCK]);
  await insertRows(
    tx,
    'events',
    { key: 'text', type: 'text', merchant_id: 'text', at: 'timestamptz', payload: 'jsonb' },
    feed.map((event) => ({
      key: event.key,
      type: event.type,
      merchant_id: event.merchantId,
      at: toPg(event.at),
      payload: event.payload,
    })),
    'ON CONFLICT (merchant_id, key) DO NOTHING',
  );
}

const cmp = (inclusive: boolean) => (inclusive ? '<=' : '<');

/**
 * Instants that cut the orders due before `bound` into windows of about
 * `size` orders: the clearing instant of every `size`-th due order, in time
 * order, without repeats and short of the bound. Empty when one window holds all.
 */
async function windowCuts(
  db: Queryable,
  bound: Instant,
  inclusive: boolean,
  retryErrors: boolean,
  size: number,
): Promise<Instant[]> {
  const rows = await db.query<{ at: string }>(
    `SELECT DISTINCT at FROM (
       SELECT o.cleared_at AS at, row_number() OVER (ORDER BY o.cleared_at) AS n
       FROM orders o LEFT JOIN fees f ON f.merchant_id = o.merchant_id AND f.order_id = o.id
       WHERE (f.order_id IS NULL OR ($2 AND f.status = 'error')) AND o.cleared_at ${cmp(inclusive)} $1
     ) due
     WHERE n % $3 = 0 AND at < $1
     ORDER BY at`,
    [toPg(bound), retryErrors, size],
  );
  return rows.map((row) => fromPg(row.at));
}

/** Loads what is due before `bound`, runs the core over it, and writes what it returns. */
async function runSegment(
  tx: Queryable,
  rulebooks: readonly Rulebook[],
  bound: Instant,
  inclusive: boolean,
  retryErrors: boolean,
): Promise<SegmentOutput | null> {
  const at = toPg(bound);
  const orderRows = await tx.query<{
    id: string;
    merchant_id: string;
    service: string;
    type: string;
    amount_usd: string;
    cleared_at: string;
    usd_cny: string | null;
  }>(
    `SELECT o.id, o.merchant_id, o.service, o.type, o.amount_usd, o.cleared_at, o.usd_cny
     FROM orders o LEFT JOIN fees f ON f.merchant_id = o.merchant_id AND f.order_id = o.id
     WHERE (f.order_id IS NULL OR ($2 AND f.status = 'error')) AND o.cleared_at ${cmp(inclusive)} $1`,
    [at, retryErrors],
  );
  const eventRows = await tx.query<{
    order_id: string;
    status: TerminalStatus;
    at: string;
    merchant_id: string;
  }>(
    `SELECT order_id, status, at, merchant_id FROM order_events
     WHERE NOT applied AND at ${cmp(inclusive)} $1`,
    [at],
  );
  const chargeRows = await tx.query<{
    id: string;
    order_id: string;
    merchant_id: string;
    amount_cny: string;
    at: string;
  }>(
    `SELECT c.id, c.order_id, c.merchant_id, c.amount_cny, c.at FROM charges c
     LEFT JOIN charge_results r ON r.merchant_id = c.merchant_id AND r.charge_id = c.id
     WHERE r.charge_id IS NULL AND c.at ${cmp(inclusive)} $1`,
    [at],
  );
  const settlementRows = await tx.query<{
    id: string;
    merchant_id: string;
    currency: string;
    amount: string;
    base_rate: string;
    account: string;
    at: string;
  }>(
    `SELECT s.id, s.merchant_id, s.currency, s.amount, s.base_rate, s.account, s.at FROM settlements s
     LEFT JOIN settlement_results r ON r.merchant_id = s.merchant_id AND r.settlement_id = s.id
     WHERE r.settlement_id IS NULL AND s.at ${cmp(inclusive)} $1`,
    [at],
  );
  const chargeMerchants = chargeRows.map((c) => c.merchant_id);
  const coupons = await loadCouponBalances(tx, chargeMerchants, bound);
  const nothingDue =
    orderRows.length + eventRows.length + chargeRows.length + settlementRows.length === 0 &&
    !coupons.some((c) => c.expiresAt !== null && c.expiresAt <= bound);
  if (nothingDue) return null;

  const merchantIds = [
    ...orderRows.map((o) => o.merchant_id),
    ...eventRows.map((e) => e.merchant_id),
    ...chargeMerchants,
    ...settlementRows.map((s) => s.merchant_id),
  ];
  const merchants = await loadMerchants(tx, merchantIds);
  const assessments = await loadAssessments(tx, merchantIds);
  const monthIndex = await monthOrderIndexes(tx, rulebooks, orderRows);
  const appliedEvents = await appliedEventsOf(
    tx,
    orderRows.map((row) => row.id),
  );
  const orders: PricedOrder[] = orderRows.map((row) => ({
    id: row.id,
    merchantId: row.merchant_id,
    service: row.service,
    type: row.type,
    amountUsd: dec(row.amount_usd),
    clearedAt: fromPg(row.cleared_at),
    usdCny: row.usd_cny === null ? null : dec(row.usd_cny),
    monthOrderIndex: monthIndex.get(row.id) ?? 1,
    appliedEvent: appliedEvents.get(row.id) ?? null,
  }));

  const eventOrderIds = eventRows.map((e) => e.order_id);
  const feeStatus = new Map<string, 'charged' | 'reversed' | 'error'>();
  const usesByOrder = new Map<string, ExistingUse[]>();
  for (const batch of chunks(eventOrderIds)) {
    for (const row of await tx.query<{
      order_id: string;
      status: 'charged' | 'reversed' | 'error';
    }>('SELECT order_id, status FROM fees WHERE order_id = ANY($1)', [batch])) {
      feeStatus.set(row.order_id, row.status);
    }
    const uses = await tx.query<{
      charge_id: string;
      seq: number;
      coupon_id: string;
      merchant_id: string;
      order_id: string;
      amount_cny: string;
      at: string;
      forfeited_at: string | null;
    }>(
      'SELECT charge_id, seq, coupon_id, merchant_id, order_id, amount_cny, at, forfeited_at FROM coupon_uses WHERE order_id = ANY($1) ORDER BY charge_id, seq',
      [batch],
    );
    for (const use of uses) {
      const list = usesByOrder.get(use.order_id) ?? [];
      list.push({
        chargeId: use.charge_id,
        seq: Number(use.seq),
        couponId: use.coupon_id,
        merchantId: use.merchant_id,
        orderId: use.order_id,
        amountCny: dec(use.amount_cny),
        at: fromPg(use.at),
        forfeited: use.forfeited_at !== null,
      });
      usesByOrder.set(use.order_id, list);
    }
  }
  // With their instants: a charge that arrives after its order's status change
  // may still be dated before it, and is then forfeited only at the change.
  const statusChanges = await appliedEventsOf(
    tx,
    chargeRows.map((row) => row.order_id),
  );

  const out = processSegment(
    {
      rulebooks,
      merchants,
      assessments,
      orders,
      events: eventRows.map((row) => ({
        orderId: row.order_id,
        status: row.status,
        at: fromPg(row.at),
      })),
      charges: chargeRows.map((row) => ({
        id: row.id,
        orderId: row.order_id,
        merchantId: row.merchant_id,
        kind: 'tax-refund-service-fee',
        amountCny: dec(row.amount_cny),
        at: fromPg(row.at),
      })),
      settlements: settlementRows.map((row) => ({
        id: row.id,
        merchantId: row.merchant_id,
        currency: row.currency,
        amount: dec(row.amount),
        baseRate: dec(row.base_rate),
        account: row.account,
        at: fromPg(row.at),
      })),
      coupons,
      feeStatus,
      usesByOrder,
      statusChanges,
      merchantOfOrder: new Map(eventRows.map((row) => [row.order_id, row.merchant_id])),
    },
    bound,
    inclusive,
  );
  await writeSegment(tx, out);
  return out;
}

/**
 * Status changes already applied to these orders: of orders whose fee is
 * priced only now (a retried error), and of orders that new charges belong to.
 */
async function appliedEventsOf(
  tx: Queryable,
  orderIds: readonly string[],
): Promise<Map<string, OrderEvent>> {
  const found = new Map<string, OrderEvent>();
  for (const batch of chunks([...new Set(orderIds)])) {
    const rows = await tx.query<{ order_id: string; status: TerminalStatus; at: string }>(
      'SELECT order_id, status, at FROM order_events WHERE applied AND order_id = ANY($1)',
      [batch],
    );
    for (const row of rows) {
      found.set(row.order_id, { orderId: row.order_id, status: row.status, at: fromPg(row.at) });
    }
  }
  return found;
}

/** Each order's place in its merchant's month, needed only by the legacy monthly ladder. */
async function monthOrderIndexes(
  tx: Queryable,
  rulebooks: readonly Rulebook[],
  orders: readonly { id: string; merchant_id: string }[],
): Promise<Map<string, number>> {
  const index = new Map<string, number>();
  const ladder = rulebooks.some((r) =>
    r.document.fees.rules.some((rule) => rule.type === 'monthly-order-count'),
  );
  if (!ladder || orders.length === 0) return index;
  const wanted = new Set(orders.map((o) => o.id));
  for (const batch of chunks([...new Set(orders.map((o) => o.merchant_id))])) {
    const rows = await tx.query<{ id: string; n: string | number }>(
      `SELECT id, row_number() OVER (
         PARTITION BY merchant_id, service, date_trunc('month', cleared_at AT TIME ZONE 'Asia/Shanghai')
         ORDER BY cleared_at, id) AS n
       FROM orders WHERE merchant_id = ANY($1)`,
      [batch],
    );
    for (const row of rows) if (wanted.has(row.id)) index.set(row.id, Number(row.n));
  }
  return index;
}

async function writeSegment(tx: Queryable, out: SegmentOutput): Promise<void> {
  await insertRows(
    tx,
    'fees',
    {
      order_id: 'text',
      merchant_id: 'text',
      cleared_at: 'timestamptz',
      status: 'text',
      level: 'text',
      net_cny: 'numeric',
      vat_cny: 'numeric',
      gross_cny: 'numeric',
      standard_net_cny: 'numeric',
      error_code: 'text',
      error_message: 'text',
      rulebook: 'text',
      breakdown: 'jsonb',
      explanation: 'jsonb',
    },
    out.fees.map((fee) =>
      fee.status === 'charged'
        ? {
            order_id: fee.orderId,
            merchant_id: fee.merchantId,
            cleared_at: toPg(fee.clearedAt),
            status: 'charged',
            level: fee.quote.level,
            net_cny: formatFen(fee.quote.netCny),
            vat_cny: formatFen(fee.quote.vatCny),
            gross_cny: formatFen(fee.quote.grossCny),
            standard_net_cny: fee.standardNetCny === null ? null : formatFen(fee.standardNetCny),
            error_code: null,
            error_message: null,
            rulebook: fee.rulebookKey,
            breakdown: {
              band: fee.quote.band,
              ruleType: fee.quote.ruleType,
              usdCny: formatRate(fee.quote.usdCny),
              usdCnySource: fee.quote.usdCnySource,
              baseRate: fee.quote.baseRate.toFixed(),
              discount: fee.quote.discount.toFixed(),
              minCny: formatAmount(fee.quote.minCny),
              maxCny: formatAmount(fee.quote.maxCny),
              unclampedCny: formatAmount(fee.quote.unclampedCny),
              clamp: fee.quote.clamp,
              vatRate: fee.quote.vatRate.toFixed(),
              monthOrderIndex: fee.quote.monthOrderIndex,
            },
            // The sentence is rebuilt from the breakdown when asked for (services/explain.ts).
            explanation: null,
          }
        : {
            order_id: fee.orderId,
            merchant_id: fee.merchantId,
            cleared_at: toPg(fee.clearedAt),
            status: 'error',
            level: fee.level,
            net_cny: null,
            vat_cny: null,
            gross_cny: null,
            standard_net_cny: null,
            error_code: fee.error.code,
            error_message: fee.error.message,
            rulebook: fee.rulebookKey,
            breakdown: null,
            explanation: null,
          },
    ),
    // An order whose fee could not be computed is tried again on the next run.
    `ON CONFLICT (merchant_id, order_id) DO UPDATE SET status = EXCLUDED.status, level = EXCLUDED.level,
       net_cny = EXCLUDED.net_cny, vat_cny = EXCLUDED.vat_cny, gross_cny = EXCLUDED.gross_cny,
       standard_net_cny = EXCLUDED.standard_net_cny, error_code = EXCLUDED.error_code,
       error_message = EXCLUDED.error_message, rulebook = EXCLUDED.rulebook,
       breakdown = EXCLUDED.breakdown, explanation = EXCLUDED.explanation
     WHERE fees.status = 'error'`,
  );
  for (const batch of chunks(out.feeReversals)) {
    await tx.query(
      `UPDATE fees f SET status = 'reversed', reversed_at = x.at
       FROM jsonb_to_recordset($1::jsonb) AS x(merchant_id text, order_id text, at timestamptz)
       WHERE f.merchant_id = x.merchant_id AND f.order_id = x.order_id AND f.status = 'charged'`,
      [
        JSON.stringify(
          batch.map((r) => ({ merchant_id: r.merchantId, order_id: r.orderId, at: toPg(r.at) })),
        ),
      ],
    );
  }
  await insertRows(
    tx,
    'charge_results',
    {
      charge_id: 'text',
      merchant_id: 'text',
      amount_cny: 'numeric',
      paid_by_coupons_cny: 'numeric',
      payable_cny: 'numeric',
    },
    out.charges.map((c) => ({
      charge_id: c.chargeId,
      merchant_id: c.merchantId,
      amount_cny: c.amountCny.toFixed(),
      paid_by_coupons_cny: c.paidByCouponsCny.toFixed(),
      payable_cny: c.payableCny.toFixed(),
    })),
  );
  await insertRows(
    tx,
    'coupon_uses',
    {
      charge_id: 'text',
      seq: 'integer',
      coupon_id: 'text',
      merchant_id: 'text',
      order_id: 'text',
      amount_cny: 'numeric',
      at: 'timestamptz',
      forfeited_at: 'timestamptz',
    },
    out.newUses.map((u) => ({
      charge_id: u.chargeId,
      seq: u.seq,
      coupon_id: u.couponId,
      merchant_id: u.merchantId,
      order_id: u.orderId,
      amount_cny: u.amountCny.toFixed(),
      at: toPg(u.at),
      forfeited_at: u.forfeitedAt === null ? null : toPg(u.forfeitedAt),
    })),
  );
  for (const batch of chunks(out.forfeits)) {
    await tx.query(
      `UPDATE coupon_uses u SET forfeited_at = x.at
       FROM jsonb_to_recordset($1::jsonb)
         AS x(merchant_id text, charge_id text, seq integer, at timestamptz)
       WHERE u.merchant_id = x.merchant_id AND u.charge_id = x.charge_id AND u.seq = x.seq
         AND u.forfeited_at IS NULL`,
      [
        JSON.stringify(
          batch.map((f) => ({
            merchant_id: f.merchantId,
            charge_id: f.chargeId,
            seq: f.seq,
            at: toPg(f.at),
          })),
        ),
      ],
    );
  }
  await insertRows(
    tx,
    'settlement_results',
    {
      settlement_id: 'text',
      merchant_id: 'text',
      level: 'text',
      pips: 'integer',
      effective_rate: 'numeric',
      subsidy_cny: 'numeric',
      reason: 'text',
      rulebook: 'text',
      explanation: 'jsonb',
    },
    out.settlements.map((s) => ({
      settlement_id: s.settlementId,
      merchant_id: s.merchantId,
      level: s.level,
      pips: s.pips,
      effective_rate: s.effectiveRate.toFixed(),
      subsidy_cny: formatFen(s.subsidyCny),
      reason: s.reason,
      rulebook: s.rulebookKey,
      explanation: s.explanation,
    })),
  );
  for (const batch of chunks(out.appliedEvents)) {
    await tx.query('UPDATE order_events SET applied = true WHERE order_id = ANY($1)', [batch]);
  }
  await writeLedger(tx, out.ledger);
  await writeFeed(tx, out.feed);
  await assertCouponsNotNegative(tx, [...new Set(out.ledger.map((e) => e.couponId))]);
}

/** A coupon below zero is a programmer error: fail loudly and roll the whole step back. */
async function assertCouponsNotNegative(
  tx: Queryable,
  couponIds: readonly string[],
): Promise<void> {
  for (const batch of chunks(couponIds)) {
    const bad = await tx.query<{ coupon_id: string; balance: string }>(
      `SELECT coupon_id,
              (SUM(CASE WHEN credit_account = 'coupon:' || coupon_id THEN amount_cny ELSE 0 END)
             - SUM(CASE WHEN debit_account = 'coupon:' || coupon_id THEN amount_cny ELSE 0 END))::text AS balance
       FROM ledger_entries WHERE coupon_id = ANY($1)
       GROUP BY coupon_id
       HAVING SUM(CASE WHEN credit_account = 'coupon:' || coupon_id THEN amount_cny ELSE 0 END)
            < SUM(CASE WHEN debit_account = 'coupon:' || coupon_id THEN amount_cny ELSE 0 END)`,
      [batch],
    );
    if (bad.length > 0)
      throw new Error(`ledger invariant broken: coupon ${bad[0]?.coupon_id} at ${bad[0]?.balance}`);
  }
}
