import { assessQuarter } from '../core/assessment.js';
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
import { dec, formatAmount, formatFen } from '../core/money.js';
import { type Rulebook, versionInForce } from '../core/rulebook/rulebook.js';
import {
  formatInstant,
  type Instant,
  previousQuarter,
  type Quarter,
  quarterEnd,
  quarterStart,
} from '../core/time.js';
import type { Db, Queryable } from '../store/db.js';
import { chunks, fromPg, insertRows, toPg } from '../store/rows.js';
import { loadAssessments, loadCouponBalances, loadMerchants } from './load.js';
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

export async function runUntil(db: Db, until: Instant): Promise<RunSummary> {
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
  for (const due of pending) {
    count(await db.transaction((tx) => runSegment(tx, rulebooks, due.at, false, retryErrors)));
    retryErrors = false;
    const merchants = await db.transaction((tx) => runAssessment(tx, due));
    if (merchants !== null) {
      summary.assessments.push({
        service: due.service,
        quarter: due.quarter,
        effectiveAt: formatInstant(due.at),
        merchants,
      });
    }
  }
  count(await db.transaction((tx) => runSegment(tx, rulebooks, until, true, retryErrors)));
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

/** One assessment, exactly once: a second run, or a concurrent one, finds it done and stops. */
async function runAssessment(tx: Queryable, due: DueAssessment): Promise<number | null> {
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

  // A merchant is assessed from the quarter of its first order on; an order
  // that left `cleared` before the effective instant is no trade (D13).
  const amounts = await tx.query<{
    merchant_id: string;
    amount_usd: string;
    order_count: string | number;
  }>(
    `WITH counted AS (
       SELECT o.merchant_id, SUM(o.amount_usd) AS amount_usd, COUNT(*) AS order_count
       FROM orders o
       LEFT JOIN order_events e ON e.order_id = o.id AND e.at < $4 AND e.status = ANY($5)
       WHERE o.service = $1 AND o.cleared_at >= $2 AND o.cleared_at < $3 AND e.order_id IS NULL
       GROUP BY o.merchant_id
     ), assessed AS (
       SELECT merchant_id FROM orders WHERE service = $1 AND cleared_at < $3 GROUP BY merchant_id
     )
     SELECT a.merchant_id, COALESCE(c.amount_usd, 0)::text AS amount_usd,
            COALESCE(c.order_count, 0) AS order_count
     FROM assessed a LEFT JOIN counted c ON c.merchant_id = a.merchant_id
     ORDER BY a.merchant_id`,
    [
      due.service,
      toPg(quarterStart(due.quarter)),
      toPg(quarterEnd(due.quarter)),
      toPg(due.at),
      rules.excludedStatuses,
    ],
  );
  const merchantIds = amounts.map((row) => row.merchant_id);
  const previous = new Map(
    [...(await loadAssessments(tx, merchantIds)).values()]
      .flat()
      .filter((a) => a.service === due.service && a.quarter === previousQuarter(due.quarter))
      .map((a) => [a.merchantId, a]),
  );
  const merchants = await loadMerchants(tx, merchantIds);
  const assessed = assessQuarter({
    rulebook: due.rulebook,
    programme,
    quarter: due.quarter,
    effectiveAt: due.at,
    amounts: amounts.map((row) => ({
      merchantId: row.merchant_id,
      amountUsd: dec(row.amount_usd),
      orderCount: Number(row.order_count),
    })),
    previous,
    isRiskFlagged: (id) => isRiskFlagged(merchants.get(id), due.at),
  });

  const validityDays = due.rulebook.document.coupons.validityDays;
  const expiresAt = validityDays === null ? null : due.at + validityDays * 86_400_000;
  const coupons: Record<string, unknown>[] = [];
  const rebates: Record<string, unknown>[] = [];
  const ledger: LedgerEntry[] = [];
  const feed: FeedEvent[] = [];
  for (const { assessment, rebate } of assessed) {
    feed.push({
      key: `level-assigned:${assessment.merchantId}:${assessment.service}:${assessment.quarter}`,
      type: 'level.assigned',
      merchantId: assessment.merchantId,
      at: due.at,
      payload: {
        service: assessment.service,
        quarter: assessment.quarter,
        level: assessment.level,
        amountUsd: formatAmount(assessment.amountUsd),
      },
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

  await insertRows(
    tx,
    'assessments',
    {
      merchant_id: 'text',
      service: 'text',
      quarter: 'text',
      amount_usd: 'numeric',
      order_count: 'integer',
      level: 'text',
      effective_from: 'timestamptz',
      rulebook: 'text',
      explanation: 'jsonb',
    },
    assessed.map(({ assessment, orderCount, explanation }) => ({
      merchant_id: assessment.merchantId,
      service: assessment.service,
      quarter: assessment.quarter,
      amount_usd: assessment.amountUsd.toFixed(),
      order_count: orderCount,
      level: assessment.level,
      effective_from: toPg(due.at),
      rulebook: due.rulebook.key,
      explanation,
    })),
  );
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
  const maxSeq = await tx.query<{ max: string | null }>(
    'SELECT max(ingest_seq)::text AS max FROM orders',
  );
  await tx.query(
    `INSERT INTO assessment_runs (service, quarter, effective_at, rulebook, max_order_seq, merchant_count)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [
      due.service,
      due.quarter,
      toPg(due.at),
      due.rulebook.key,
      maxSeq[0]?.max ?? '0',
      assessed.length,
    ],
  );
  return assessed.length;
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
    'ON CONFLICT (key) DO NOTHING',
  );
}

async function writeFeed(tx: Queryable, feed: readonly FeedEvent[]): Promise<void> {
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
    'ON CONFLICT (key) DO NOTHING',
  );
}

const cmp = (inclusive: boolean) => (inclusive ? '<=' : '<');

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
     FROM orders o LEFT JOIN fees f ON f.order_id = o.id
     WHERE (f.order_id IS NULL OR ($2 AND f.status = 'error')) AND o.cleared_at ${cmp(inclusive)} $1`,
    [at, retryErrors],
  );
  const eventRows = await tx.query<{
    order_id: string;
    status: TerminalStatus;
    at: string;
    merchant_id: string;
  }>(
    `SELECT e.order_id, e.status, e.at, o.merchant_id FROM order_events e JOIN orders o ON o.id = e.order_id
     WHERE NOT e.applied AND e.at ${cmp(inclusive)} $1`,
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
     LEFT JOIN charge_results r ON r.charge_id = c.id
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
     LEFT JOIN settlement_results r ON r.settlement_id = s.id
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
  const appliedEvents = await appliedEventsOf(tx, orderRows);
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
      forfeited_at: string | null;
    }>(
      'SELECT charge_id, seq, coupon_id, merchant_id, order_id, amount_cny, forfeited_at FROM coupon_uses WHERE order_id = ANY($1) ORDER BY charge_id, seq',
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
        forfeited: use.forfeited_at !== null,
      });
      usesByOrder.set(use.order_id, list);
    }
  }
  const orderStatus = new Map<string, TerminalStatus>();
  for (const batch of chunks(chargeRows.map((c) => c.order_id))) {
    for (const row of await tx.query<{ order_id: string; status: TerminalStatus }>(
      'SELECT order_id, status FROM order_events WHERE applied AND order_id = ANY($1)',
      [batch],
    )) {
      orderStatus.set(row.order_id, row.status);
    }
  }

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
      orderStatus,
      merchantOfOrder: new Map(eventRows.map((row) => [row.order_id, row.merchant_id])),
    },
    bound,
    inclusive,
  );
  await writeSegment(tx, out);
  return out;
}

/** Status changes already applied to orders whose fee is priced only now (a retried error). */
async function appliedEventsOf(
  tx: Queryable,
  orders: readonly { id: string }[],
): Promise<Map<string, OrderEvent>> {
  const found = new Map<string, OrderEvent>();
  for (const batch of chunks(orders.map((o) => o.id))) {
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
              usdCny: fee.quote.usdCny.toFixed(),
              usdCnySource: fee.quote.usdCnySource,
              baseRate: fee.quote.baseRate.toFixed(),
              discount: fee.quote.discount.toFixed(),
              minCny: fee.quote.minCny.toFixed(),
              maxCny: fee.quote.maxCny.toFixed(),
              unclampedCny: fee.quote.unclampedCny.toFixed(),
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
    `ON CONFLICT (order_id) DO UPDATE SET status = EXCLUDED.status, level = EXCLUDED.level,
       net_cny = EXCLUDED.net_cny, vat_cny = EXCLUDED.vat_cny, gross_cny = EXCLUDED.gross_cny,
       standard_net_cny = EXCLUDED.standard_net_cny, error_code = EXCLUDED.error_code,
       error_message = EXCLUDED.error_message, rulebook = EXCLUDED.rulebook,
       breakdown = EXCLUDED.breakdown, explanation = EXCLUDED.explanation
     WHERE fees.status = 'error'`,
  );
  for (const batch of chunks(out.feeReversals)) {
    await tx.query(
      `UPDATE fees f SET status = 'reversed', reversed_at = x.at
       FROM jsonb_to_recordset($1::jsonb) AS x(order_id text, at timestamptz)
       WHERE f.order_id = x.order_id AND f.status = 'charged'`,
      [JSON.stringify(batch.map((r) => ({ order_id: r.orderId, at: toPg(r.at) })))],
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
       FROM jsonb_to_recordset($1::jsonb) AS x(charge_id text, seq integer, at timestamptz)
       WHERE u.charge_id = x.charge_id AND u.seq = x.seq AND u.forfeited_at IS NULL`,
      [JSON.stringify(batch.map((f) => ({ charge_id: f.chargeId, seq: f.seq, at: toPg(f.at) })))],
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
