import type { Rulebook } from '../core/rulebook/rulebook.js';
import {
  compareQuarters,
  formatInstant,
  type Instant,
  quarterEnd,
  quarterStart,
} from '../core/time.js';
import type { Queryable } from '../store/db.js';
import { toPg } from '../store/rows.js';
import {
  ASSESSMENT_COLUMNS,
  type AssessmentRowView,
  assessmentView,
  decodeCursor,
  fen,
  instant,
  page,
  usd,
} from './merchant-views.js';
import { assessmentCalendar } from './run.js';

/**
 * The programme calendar as operators see it: each assessment with whether
 * it ran, how many merchants it gave each level, and how many orders of its
 * quarter reached the store after it ran (late orders, SPEC §4).
 */

export async function listAssessments(
  db: Queryable,
  rulebooks: readonly Rulebook[],
  now: Instant,
  filter: { service?: string; quarter?: string },
) {
  const runs = await db.query<{
    service: string;
    quarter: string;
    ran_at: string;
    merchant_count: number;
    max_order_seq: string;
    rulebook: string;
  }>(
    'SELECT service, quarter, ran_at, merchant_count, max_order_seq::text, rulebook FROM assessment_runs',
  );
  const runOf = new Map(runs.map((r) => [`${r.service}|${r.quarter}`, r]));
  const levels = await db.query<{
    service: string;
    quarter: string;
    level: string;
    n: number | string;
  }>(
    'SELECT service, quarter, level, count(*) AS n FROM assessments GROUP BY service, quarter, level',
  );
  const quarters = [...new Set(runs.map((r) => r.quarter))].map((quarter) => ({
    quarter,
    quarter_start: toPg(quarterStart(quarter)),
    quarter_end: toPg(quarterEnd(quarter)),
  }));
  const late = await db.query<{ service: string; quarter: string; n: number | string }>(
    `SELECT r.service, r.quarter, count(o.id) AS n
     FROM assessment_runs r
     JOIN jsonb_to_recordset($1::jsonb) AS q(quarter text, quarter_start timestamptz, quarter_end timestamptz)
       ON q.quarter = r.quarter
     JOIN orders o ON o.service = r.service AND o.ingest_seq > r.max_order_seq
       AND o.cleared_at >= q.quarter_start AND o.cleared_at < q.quarter_end
     GROUP BY r.service, r.quarter`,
    [JSON.stringify(quarters)],
  );
  const lateOf = new Map(late.map((r) => [`${r.service}|${r.quarter}`, Number(r.n)]));

  const calendar = assessmentCalendar(rulebooks).map((due) => ({
    service: due.service,
    quarter: due.quarter,
    effectiveAt: due.at,
    rulebook: due.rulebook.key,
  }));
  // An assessment that ran but that no version's calendar holds any more still shows.
  for (const run of runs) {
    if (!calendar.some((d) => d.service === run.service && d.quarter === run.quarter)) {
      calendar.push({
        service: run.service,
        quarter: run.quarter,
        effectiveAt: quarterEnd(run.quarter),
        rulebook: run.rulebook,
      });
    }
  }
  return {
    items: calendar
      .filter((d) => filter.service === undefined || d.service === filter.service)
      .filter((d) => filter.quarter === undefined || d.quarter === filter.quarter)
      .sort(
        (a, b) =>
          a.effectiveAt - b.effectiveAt ||
          compareQuarters(a.quarter, b.quarter) ||
          (a.service < b.service ? -1 : 1),
      )
      .map((d) => {
        const key = `${d.service}|${d.quarter}`;
        const run = runOf.get(key);
        return {
          service: d.service,
          quarter: d.quarter,
          effectiveAt: formatInstant(d.effectiveAt),
          rulebook: run?.rulebook ?? d.rulebook,
          status: run ? 'done' : d.effectiveAt <= now ? 'due' : 'scheduled',
          ranAt: run ? instant(run.ran_at) : null,
          merchants: run ? Number(run.merchant_count) : null,
          levels: Object.fromEntries(
            levels
              .filter((l) => l.service === d.service && l.quarter === d.quarter)
              .sort((a, b) => (a.level < b.level ? -1 : 1))
              .map((l) => [l.level, Number(l.n)]),
          ),
          lateOrders: lateOf.get(key) ?? 0,
        };
      }),
  };
}

export async function listLevels(
  db: Queryable,
  service: string,
  quarter: string,
  after: string | undefined,
  limit: number,
) {
  const rows = await quarterByMerchant<AssessmentRowView>(
    db,
    `SELECT ${ASSESSMENT_COLUMNS} FROM assessments`,
    { service, quarter, after, limit },
  );
  return page(rows, limit, assessmentView, (row) => [row.merchant_id]);
}

/** One page of a table's rows of one assessment, in merchant order after the cursor. */
async function quarterByMerchant<Row extends { merchant_id: string }>(
  db: Queryable,
  select: string,
  at: { service: string; quarter: string; after: string | undefined; limit: number },
): Promise<Row[]> {
  const [afterId] = decodeCursor(at.after, 1) ?? [''];
  return db.query<Row>(
    `${select} WHERE service = $1 AND quarter = $2 AND merchant_id > $3
     ORDER BY merchant_id LIMIT $4`,
    [at.service, at.quarter, afterId, at.limit + 1],
  );
}

/**
 * Orders of an assessed quarter that reached the store after the assessment
 * read it (`ingest_seq` above the run's `max_order_seq`): they did not count
 * for the level, and never will (SPEC §4); operators review them.
 */
export async function listLateOrders(
  db: Queryable,
  service: string,
  quarter: string,
  after: string | undefined,
  limit: number,
) {
  const [afterSeq] = decodeCursor(after, 1) ?? ['0'];
  const rows = await db.query<{
    id: string;
    merchant_id: string;
    amount_usd: string;
    cleared_at: string;
    ingest_seq: string;
  }>(
    `SELECT o.id, o.merchant_id, o.amount_usd, o.cleared_at, o.ingest_seq::text AS ingest_seq
     FROM assessment_runs r JOIN orders o ON o.service = r.service AND o.ingest_seq > r.max_order_seq
     WHERE r.service = $1 AND r.quarter = $2 AND o.cleared_at >= $3 AND o.cleared_at < $4
       AND o.ingest_seq > $5::bigint
     ORDER BY o.ingest_seq LIMIT $6`,
    [service, quarter, toPg(quarterStart(quarter)), toPg(quarterEnd(quarter)), afterSeq, limit + 1],
  );
  return page(
    rows,
    limit,
    (row) => ({
      id: row.id,
      merchantId: row.merchant_id,
      amountUsd: usd(row.amount_usd),
      clearedAt: instant(row.cleared_at),
      ingestedAfterRun: true,
    }),
    (row) => [row.ingest_seq],
  );
}

interface JumpRebateRow {
  merchant_id: string;
  service: string;
  quarter: string;
  from_level: string;
  to_level: string;
  increase_usd: string;
  rebate_cny: string;
  status: 'issued' | 'suppressed';
  reason: string | null;
  coupon_id: string | null;
  effective_at: string;
  rulebook: string;
}

const JUMP_REBATE_COLUMNS = `merchant_id, service, quarter, from_level, to_level,
  increase_usd::text AS increase_usd, rebate_cny::text AS rebate_cny, status, reason,
  coupon_id, effective_at, rulebook`;

function jumpRebateView(row: JumpRebateRow) {
  return {
    merchantId: row.merchant_id,
    service: row.service,
    quarter: row.quarter,
    fromLevel: row.from_level,
    toLevel: row.to_level,
    increaseUsd: usd(row.increase_usd),
    rebateCny: fen(row.rebate_cny),
    status: row.status,
    reason: row.reason,
    couponId: row.coupon_id,
    effectiveAt: instant(row.effective_at),
    rulebook: row.rulebook,
  };
}

/**
 * The jumps of one assessment, merchant by merchant: each rebate issued, or
 * suppressed with its reason (SPEC §6). Only merchants who climbed have one.
 */
export async function listJumpRebates(
  db: Queryable,
  service: string,
  quarter: string,
  after: string | undefined,
  limit: number,
) {
  const rows = await quarterByMerchant<JumpRebateRow>(
    db,
    `SELECT ${JUMP_REBATE_COLUMNS} FROM jump_rebates`,
    { service, quarter, after, limit },
  );
  return page(rows, limit, jumpRebateView, (row) => [row.merchant_id]);
}

/** Every jump of one merchant, by quarter. */
export async function merchantJumpRebates(db: Queryable, merchantId: string) {
  const rows = await db.query<JumpRebateRow>(
    `SELECT ${JUMP_REBATE_COLUMNS} FROM jump_rebates WHERE merchant_id = $1
     ORDER BY quarter, service`,
    [merchantId],
  );
  return { items: rows.map(jumpRebateView) };
}
