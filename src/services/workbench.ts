import { LadderError } from '../core/errors.js';
import { feeRuleAt } from '../core/fee.js';
import {
  type Assessment,
  assessmentInForce,
  fxRatingAt,
  isRiskFlagged,
  type Merchant,
} from '../core/model.js';
import { type Dec, dec, formatAmount, formatFen, roundFenHalfUp, ZERO } from '../core/money.js';
import {
  levelByName,
  levelFor,
  type Programme,
  type Rulebook,
  versionInForce,
} from '../core/rulebook/rulebook.js';
import type { FeeRuleDocument } from '../core/rulebook/schema.js';
import {
  compareQuarters,
  FIRST_STORABLE_INSTANT,
  formatInstant,
  type Instant,
  parseInstant,
  previousQuarter,
  quarterOf,
  quarterStart,
} from '../core/time.js';
import type { Queryable } from '../store/db.js';
import { prepared } from '../store/prepared.js';
import { fromPg, fromPgNullable, toPg } from '../store/rows.js';
import { type AssessmentRow, toAssessment } from './load.js';
import {
  type CouponRow,
  couponBalanceCny,
  couponViews,
  type FeeRow,
  feeView,
  page,
  type SettlementRow,
  settlementView,
  type UseRow,
} from './merchant-views.js';
import { assessmentCalendar } from './run.js';

/**
 * The merchant's export workbench (SPEC §10) in one read: the level in force
 * in each service, the higher first, with the benefits it gives at `at`; this
 * quarter so far, counted the way its assessment will count it; coupons; the
 * latest fees and settlements. Every figure comes from the rulebook version
 * in force and the engine's stored results; nothing is priced here that the
 * engine has not priced.
 */

const RECENT = 50;

export interface FeeBenefit {
  readonly rulebook: string;
  readonly ruleType: FeeRuleDocument['type'];
  readonly band: 'level' | 'standard' | 'risk';
  readonly baseRate: string;
  readonly discount: string;
  readonly minNetCny: string;
  readonly maxNetCny: string;
  readonly minGrossCny: string;
  readonly maxGrossCny: string;
  readonly vatRate: string;
}

export interface JumpOption {
  readonly level: string;
  readonly thresholdUsd: string;
  readonly rebateCny: string;
}

export interface ServiceView {
  readonly service: string;
  readonly level: string;
  readonly levelSince: string | null;
  readonly assessedQuarter: string | null;
  readonly benefits: {
    readonly fee: FeeBenefit | null;
    readonly fx: { pips: number; eligible: boolean; reason: string | null } | null;
    readonly jumpRebate: { pays: boolean; cnyPerUsd: string; reason: 'risk' | 'window' | null };
  };
  readonly thisQuarter: {
    readonly quarter: string;
    readonly assessedAt: string | null;
    readonly clearedAmountUsd: string;
    readonly orderCount: number;
    readonly reachesLevel: string;
    readonly nextLevel: string | null;
    readonly nextLevelThresholdUsd: string | null;
    readonly gapUsd: string | null;
    readonly heldLevel: string;
    readonly previousQuarterAmountUsd: string | null;
    readonly jumps: JumpOption[];
  };
}

function grossOf(netCny: Dec, vatRate: Dec): Dec {
  return netCny.plus(roundFenHalfUp(netCny.times(vatRate)));
}

/** The fee band a merchant at `level` pays under `rule` (SPEC §5): what bandFor in core picks. */
function feeBenefit(
  rulebook: Rulebook,
  rule: FeeRuleDocument,
  level: string,
  flagged: boolean,
): FeeBenefit {
  const vatRate = dec(rulebook.document.fees.vatRate);
  let band: FeeBenefit['band'];
  let discount: Dec;
  let minCny: Dec;
  let maxCny: Dec;
  if (rule.type === 'level-discount') {
    const own = flagged ? undefined : rule.levels[level];
    const chosen = own ?? rule.standard;
    band = flagged ? 'risk' : own ? 'level' : 'standard';
    discount = dec(chosen.discount);
    minCny = dec(chosen.minCny);
    maxCny = dec(chosen.maxCny);
  } else {
    // The monthly ladder's first step: the discount a month starts with.
    const steps = rule.levelSteps?.[level] ?? rule.steps;
    band = flagged ? 'risk' : 'level';
    discount = flagged ? dec(1) : dec(steps[0]?.discount ?? '1');
    minCny = dec(rule.minCny).times(discount);
    maxCny = dec(rule.maxCny).times(discount);
  }
  const minNet = roundFenHalfUp(minCny);
  const maxNet = roundFenHalfUp(maxCny);
  return {
    rulebook: rulebook.key,
    ruleType: rule.type,
    band,
    baseRate: dec(rule.baseRate).toFixed(),
    discount: discount.toFixed(),
    minNetCny: formatFen(minNet),
    maxNetCny: formatFen(maxNet),
    minGrossCny: formatFen(grossOf(minNet, vatRate)),
    maxGrossCny: formatFen(grossOf(maxNet, vatRate)),
    vatRate: vatRate.toFixed(),
  };
}

function fxBenefit(
  rulebook: Rulebook,
  service: string,
  level: string,
  merchant: Merchant,
  at: Instant,
) {
  const rules = rulebook.document.fxSubsidy;
  if (rules.service !== service) return null;
  const pips = rules.pipsByLevel[level] ?? 0;
  const checks: [string, boolean][] = [
    ['level', pips > 0],
    ['fx-rating', rules.ratings.includes(fxRatingAt(merchant, at))],
    ['risk', !isRiskFlagged(merchant, at)],
    ['window', parseInstant(rules.from) <= at && at < parseInstant(rules.until)],
  ];
  const failed = checks.find(([, holds]) => !holds);
  return { pips, eligible: failed === undefined, reason: failed ? failed[0] : null };
}

/** The programme of a service as the version in force at `at` has it, else the latest that has it. */
function programmeOf(
  rulebooks: readonly Rulebook[],
  service: string,
  at: Instant,
): Programme | undefined {
  const inForce = versionInForce(rulebooks, at)?.programmes.get(service);
  if (inForce) return inForce;
  for (let i = rulebooks.length - 1; i >= 0; i -= 1) {
    const found = rulebooks[i]?.programmes.get(service);
    if (found) return found;
  }
  return undefined;
}

interface QuarterAmount {
  service: string;
  status: string | null;
  amount_usd: string;
  order_count: number | string;
}

interface MerchantRow {
  id: string;
  fx_rating: string;
  flags: { from: string; to: string | null }[];
  changes: { at: string; rating: string }[];
}

/** One merchant's records for the workbench, each list as JSON, numerics as text. */
interface WorkbenchRow {
  merchant: MerchantRow | null;
  assessments: AssessmentRow[];
  amounts: QuarterAmount[];
  coupons: CouponRow[];
  uses: UseRow[];
  fees: FeeRow[];
  settlements: SettlementRow[];
}

/**
 * Everything the workbench reads, in one statement: one round trip to the
 * server instead of seven, which is what bounds its rate on PostgreSQL.
 * Each list keeps the columns (and the text form of numerics) that the
 * list routes read, so that the same view functions shape both. Instants
 * in JSON come back as ISO text in the session's zone (UTC).
 */
const WORKBENCH_SQL = prepared(`
SELECT
  (SELECT json_build_object('id', m.id, 'fx_rating', m.fx_rating,
     'flags', COALESCE((SELECT json_agg(json_build_object('from', f.from_at, 'to', f.to_at) ORDER BY f.from_at)
                        FROM risk_flags f WHERE f.merchant_id = m.id), '[]'),
     'changes', COALESCE((SELECT json_agg(json_build_object('at', c.at, 'rating', c.rating) ORDER BY c.at)
                          FROM fx_rating_changes c WHERE c.merchant_id = m.id), '[]'))
   FROM merchants m WHERE m.id = $1) AS merchant,
  (SELECT COALESCE(json_agg(a ORDER BY a.effective_from), '[]') FROM (
     SELECT merchant_id, service, quarter, amount_usd::text AS amount_usd, level, effective_from, rulebook
     FROM assessments WHERE merchant_id = $1) a) AS assessments,
  (SELECT COALESCE(json_agg(q), '[]') FROM (
     SELECT o.service, e.status, SUM(o.amount_usd)::text AS amount_usd, COUNT(*) AS order_count
     FROM orders o LEFT JOIN order_events e
       ON e.merchant_id = o.merchant_id AND e.order_id = o.id AND e.at <= $3
     WHERE o.merchant_id = $1 AND o.cleared_at >= $2 AND o.cleared_at <= $3
     GROUP BY o.service, e.status) q) AS amounts,
  (SELECT COALESCE(json_agg(c ORDER BY c.issued_at, c.id), '[]') FROM (
     SELECT c.id, c.merchant_id, c.face_cny::text AS face_cny, c.issued_at, c.expires_at, c.service,
            c.quarter,
            (c.face_cny - COALESCE((SELECT SUM(l.amount_cny) FROM ledger_entries l
               WHERE l.merchant_id = c.merchant_id AND l.coupon_id = c.id AND l.debit_account = 'coupon:' || c.id AND l.at <= $3), 0))::text
              AS remaining
     FROM coupons c WHERE c.merchant_id = $1 AND c.issued_at <= $3) c) AS coupons,
  (SELECT COALESCE(json_agg(u ORDER BY u.at, u.charge_id, u.seq), '[]') FROM (
     SELECT u.charge_id, u.seq, u.coupon_id, u.order_id, u.amount_cny::text AS amount_cny, u.at,
            CASE WHEN u.forfeited_at <= $3 THEN u.forfeited_at END AS forfeited_at
     FROM coupon_uses u WHERE u.merchant_id = $1 AND u.at <= $3) u) AS uses,
  (SELECT COALESCE(json_agg(f ORDER BY f.cleared_at DESC, f.order_id DESC), '[]') FROM (
     SELECT f.order_id, f.merchant_id, o.service, o.type, o.amount_usd::text AS amount_usd, f.cleared_at,
            CASE WHEN f.reversed_at > $3 THEN 'charged' ELSE f.status END AS status, f.level,
            f.net_cny::text AS net_cny, f.vat_cny::text AS vat_cny, f.gross_cny::text AS gross_cny,
            CASE WHEN f.reversed_at <= $3 THEN f.reversed_at END AS reversed_at, f.rulebook,
            f.breakdown, f.error_code,
            f.error_message
     FROM fees f JOIN orders o ON o.merchant_id = f.merchant_id AND o.id = f.order_id
     WHERE f.merchant_id = $1 AND f.cleared_at <= $3
     ORDER BY f.cleared_at DESC, f.order_id DESC LIMIT $4) f) AS fees,
  (SELECT COALESCE(json_agg(s ORDER BY s.at DESC, s.id DESC), '[]') FROM (
     SELECT s.id, s.merchant_id, s.currency, s.amount::text AS amount, s.base_rate::text AS base_rate,
            s.account, s.at, r.level, r.pips, r.effective_rate::text AS effective_rate,
            r.subsidy_cny::text AS subsidy_cny, r.reason
     FROM settlements s LEFT JOIN settlement_results r
       ON r.merchant_id = s.merchant_id AND r.settlement_id = s.id
     WHERE s.merchant_id = $1 AND s.at <= $3
     ORDER BY s.at DESC, s.id DESC LIMIT $4) s) AS settlements`);

function toMerchant(row: MerchantRow): Merchant {
  return {
    id: row.id,
    fxRating: row.fx_rating,
    riskFlags: row.flags.map((f) => ({ from: fromPg(f.from), to: fromPgNullable(f.to) })),
    fxRatingChanges: row.changes.map((c) => ({ at: fromPg(c.at), rating: c.rating })),
  };
}

export async function workbench(
  db: Queryable,
  rulebooks: readonly Rulebook[],
  merchantId: string,
  at: Instant,
) {
  const quarter = quarterOf(at);
  // Shanghai's quarter 0001-Q1 starts before the first instant the store reads.
  const from = Math.max(quarterStart(quarter), FIRST_STORABLE_INSTANT);
  const rows = await db.query<WorkbenchRow>(WORKBENCH_SQL, [
    merchantId,
    toPg(from),
    toPg(at),
    RECENT + 1,
  ]);
  const read = rows[0];
  const merchant = read?.merchant ? toMerchant(read.merchant) : undefined;
  if (!read || !merchant) throw new LadderError('NOT_FOUND', `no merchant ${merchantId}`);
  const history = new Map<string, Assessment[]>();
  for (const row of read.assessments) {
    const key = `${row.merchant_id}|${row.service}`;
    history.set(key, [...(history.get(key) ?? []), toAssessment(row)]);
  }
  const amounts = read.amounts;
  const coupons = couponViews(read.coupons, read.uses, null);
  const fees = page(read.fees, RECENT, feeView, (row) => [
    new Date(fromPg(row.cleared_at)).toISOString(),
    row.order_id,
  ]);
  const settlements = page(read.settlements, RECENT, settlementView, (row) => [
    new Date(fromPg(row.at)).toISOString(),
    row.id,
  ]);
  const rulebook = versionInForce(rulebooks, at);
  const calendar = assessmentCalendar(rulebooks);

  const services = new Set<string>(rulebook ? [...rulebook.programmes.keys()] : []);
  for (const key of history.keys()) services.add(key.slice(key.indexOf('|') + 1));

  // Counted as the assessment counts (SPEC §4, D13): an order that has
  // already left `cleared` for an excluded status is no trade.
  const excluded = excludedByService(rulebooks, calendar, quarter);
  const amountOf = new Map<string, { amountUsd: Dec; orderCount: number }>();
  for (const row of amounts) {
    if (row.status !== null && (excluded[row.service] ?? []).includes(row.status)) continue;
    const sofar = amountOf.get(row.service) ?? { amountUsd: ZERO, orderCount: 0 };
    amountOf.set(row.service, {
      amountUsd: sofar.amountUsd.plus(dec(row.amount_usd)),
      orderCount: sofar.orderCount + Number(row.order_count),
    });
  }

  const views: (ServiceView & { rank: number })[] = [];
  for (const service of services) {
    const programme = programmeOf(rulebooks, service, at);
    if (!programme) continue;
    const assessments = history.get(`${merchantId}|${service}`) ?? [];
    const inForce = assessmentInForce(assessments, at);
    const level = inForce?.level ?? programme.levels[0]?.name ?? '';
    const flagged = isRiskFlagged(merchant, at);
    const rule = rulebook ? feeRuleAt(rulebook, service, at) : undefined;

    const due = calendar.find((d) => d.service === service && d.quarter === quarter);
    const duePrevious = calendar.find(
      (d) => d.service === service && d.quarter === previousQuarter(quarter),
    );
    const quarterProgramme = due?.rulebook.programmes.get(service) ?? programme;
    const window = quarterProgramme.rules.jumpRebate;
    const inWindow =
      due !== undefined &&
      compareQuarters(quarter, window.firstQuarter) >= 0 &&
      compareQuarters(quarter, window.lastQuarter) <= 0;

    const so = amountOf.get(service);
    const soFar = so?.amountUsd ?? ZERO;
    const reaches = levelFor(quarterProgramme, soFar);
    const next = quarterProgramme.levels.find((l) => l.fromUsd.gt(soFar));

    // The level and amount this quarter's jump is measured from: the
    // previous quarter's, frozen at its assessment; D8 for a newcomer; not
    // yet known between the 1st and the assessment instant.
    // Only what had happened by `at`: an assessment that takes effect later is not known then.
    const previous = assessments.find(
      (a) => a.quarter === previousQuarter(quarter) && a.effectiveFrom <= at,
    );
    const previousPending = !previous && duePrevious !== undefined && duePrevious.at > at;
    const held = previous
      ? { level: previous.level, amountUsd: previous.amountUsd }
      : previousPending || window.newcomerHeldLevel === null
        ? null
        : { level: window.newcomerHeldLevel, amountUsd: ZERO };
    const heldRank = held
      ? (levelByName(quarterProgramme, held.level)?.rank ?? 0)
      : Number.POSITIVE_INFINITY;
    const jumps: JumpOption[] =
      held && inWindow
        ? quarterProgramme.levels
            .filter((l) => l.rank > heldRank)
            .map((l) => {
              const increase = l.fromUsd.minus(held.amountUsd);
              const rebate = roundFenHalfUp(
                (increase.gt(0) ? increase : ZERO).times(quarterProgramme.jumpCnyPerUsd),
              );
              return {
                level: l.name,
                thresholdUsd: formatAmount(l.fromUsd),
                rebateCny: formatFen(rebate),
              };
            })
        : [];

    views.push({
      rank: levelByName(programme, level)?.rank ?? 0,
      service,
      level,
      levelSince: inForce ? formatInstant(inForce.effectiveFrom) : null,
      assessedQuarter: inForce?.quarter ?? null,
      benefits: {
        fee: rulebook && rule ? feeBenefit(rulebook, rule, level, flagged) : null,
        fx: rulebook ? fxBenefit(rulebook, service, level, merchant, at) : null,
        jumpRebate: {
          pays: inWindow && !flagged,
          cnyPerUsd: quarterProgramme.jumpCnyPerUsd.toFixed(),
          reason: !inWindow ? 'window' : flagged ? 'risk' : null,
        },
      },
      thisQuarter: {
        quarter,
        assessedAt: due ? formatInstant(due.at) : null,
        clearedAmountUsd: formatAmount(soFar),
        orderCount: so?.orderCount ?? 0,
        reachesLevel: reaches.name,
        nextLevel: next?.name ?? null,
        nextLevelThresholdUsd: next ? formatAmount(next.fromUsd) : null,
        gapUsd: next ? formatAmount(next.fromUsd.minus(soFar)) : null,
        heldLevel: held?.level ?? level,
        previousQuarterAmountUsd: held ? formatAmount(held.amountUsd) : null,
        jumps,
      },
    });
  }
  views.sort((a, b) => b.rank - a.rank || (a.service < b.service ? -1 : 1));

  return {
    merchantId,
    at: formatInstant(at),
    fxRating: fxRatingAt(merchant, at),
    riskFlagged: isRiskFlagged(merchant, at),
    services: views.map(({ rank: _rank, ...view }) => view),
    coupons: { balanceCny: couponBalanceCny(coupons), items: coupons },
    fees,
    settlements,
  };
}

/** Each service's excluded statuses (D13), from the version that will assess `quarter`. */
function excludedByService(
  rulebooks: readonly Rulebook[],
  calendar: ReturnType<typeof assessmentCalendar>,
  quarter: string,
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const rulebook of rulebooks) {
    for (const [service, programme] of rulebook.programmes) {
      out[service] ??= [...programme.rules.excludedStatuses];
    }
  }
  for (const due of calendar.filter((d) => d.quarter === quarter)) {
    const programme = due.rulebook.programmes.get(due.service);
    if (programme) out[due.service] = [...programme.rules.excludedStatuses];
  }
  return out;
}
