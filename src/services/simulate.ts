import { LadderError } from '../core/errors.js';
import type { Explanation } from '../core/explanation.js';
import { type Dec, dec, formatAmount, formatFen, ZERO } from '../core/money.js';
import type { Rulebook } from '../core/rulebook/rulebook.js';
import {
  compareQuarters,
  isQuarter,
  type Quarter,
  quarterEnd,
  quarterStart,
} from '../core/time.js';
import type { Db, Queryable } from '../store/db.js';
import { toPg } from '../store/rows.js';
import { type ExplainedAssessmentRow, explainLevels } from './level-explanations.js';
import { carryMonthlyRates, compileOrThrow, loadRulebooks } from './rulebooks.js';
import { assessmentCalendar, runUntil } from './run.js';

/**
 * `ladder simulate`: the stored history run through a draft rulebook beside
 * the published one, by the engine itself, on the store's own data inside
 * one transaction that is always rolled back. Nothing is written.
 *
 * Both sides are recomputed from the facts (orders, events, charges,
 * settlements, flags), so they differ only by the rulebook. History is re-run
 * as it happened: a quarter the store has already assessed is assessed again
 * on the orders that assessment saw, so a late order changes neither side's
 * levels or rebates (SPEC §4), while its fee is charged at the level in force
 * when it cleared, as the live run charges it. A quarter not assessed yet
 * counts all its orders.
 */

export interface SimulationRequest {
  readonly draft: unknown;
  /** `3n-2024-07@1` or `1`: the published version the base side stops at. Default: all. */
  readonly base?: string;
  readonly from: Quarter;
  readonly to: Quarter;
}

export interface MerchantFigures {
  readonly feesNetCny: string;
  readonly standardFeesNetCny: string;
  readonly rebatesCny: string;
  readonly subsidiesCny: string;
  readonly couponsOutstandingCny: string;
}

export interface MerchantImpact {
  readonly merchantId: string;
  readonly base: MerchantFigures;
  readonly draft: MerchantFigures;
  /** draft − base of what the merchant pays net of what it receives, CNY. */
  readonly netImpactCny: string;
  readonly levels: {
    service: string;
    quarter: Quarter;
    base: string | null;
    draft: string | null;
  }[];
}

export interface LevelMove {
  readonly merchantId: string;
  readonly service: string;
  readonly quarter: Quarter;
  readonly amountUsd: string;
  readonly baseLevel: string | null;
  readonly draftLevel: string | null;
  readonly base: Explanation | null;
  readonly draft: Explanation | null;
}

export interface Totals {
  /** Orders whose fee could not be computed (NO_FEE_RULE, NO_FX_RATE): a draft without the base's monthly rates shows here. */
  readonly feeErrors: string;
  readonly feeIncomeCny: string;
  readonly discountCostCny: string;
  readonly rebatesCny: string;
  readonly subsidiesCny: string;
  readonly couponLiabilityCny: string;
}

export interface SimulationResult {
  /** Months whose customs rate the draft lacked and took from the latest published version. */
  readonly carriedMonthlyRates?: readonly string[];
  readonly baseRulebook: string;
  readonly draftRulebook: string;
  readonly from: Quarter;
  readonly to: Quarter;
  readonly levelCounts: {
    service: string;
    quarter: Quarter;
    level: string;
    base: number;
    draft: number;
  }[];
  readonly moves: LevelMove[];
  readonly merchants: MerchantImpact[];
  readonly totals: { base: Totals; draft: Totals; difference: Totals };
}

interface SideFigures {
  readonly levels: Map<string, { level: string; amountUsd: string; explanation: Explanation }>;
  readonly merchants: Map<string, Record<keyof MerchantFigures, Dec>>;
  readonly totals: Record<keyof Totals, Dec>;
}

const RESULT_TABLES = [
  // Deliveries name events by seq; they go first (and come back with the rollback).
  'webhook_deliveries',
  'events',
  'ledger_entries',
  'coupon_uses',
  'charge_results',
  'settlement_results',
  'jump_rebates',
  'coupons',
  'fees',
  'assessments',
  'assessment_runs',
];

/** Thrown to roll the scratch transaction back once the figures are read. */
class Rollback extends Error {
  constructor(readonly result: SimulationResult) {
    super('simulation rolled back');
  }
}

function inside(tx: Queryable, db: Db): Db {
  return {
    kind: db.kind,
    query: tx.query.bind(tx),
    exec: tx.exec.bind(tx),
    copyRows: tx.copyRows.bind(tx),
    transaction: (work) => work(tx),
    onChange: (changed, lost) => db.onChange(changed, lost),
    close: async () => {},
  };
}

/** Where a simulation stands: the base side runs, then the draft side, then it is done. */
export type SimulationStage = 'base' | 'draft' | 'done';

/**
 * Told as a simulation goes: 0 as the base side starts, 0.5 as the draft
 * side starts, 1 once the figures are read. It is called inside the
 * simulation's transaction, so it must not wait on the store.
 */
export type SimulationProgress = (progress: number, stage: SimulationStage) => void;

/** A request checked against the store: what `simulate` runs, or the reason it cannot. */
export interface PreparedSimulation {
  /** The newest published version the base side uses. */
  readonly base: Rulebook;
  readonly draft: Rulebook;
  readonly carriedMonths: readonly string[];
  readonly highestBase: number;
  readonly draftVersion: number;
  readonly baseVersions: readonly Rulebook[];
}

/**
 * Every check a simulation makes before it runs (quarters, base version,
 * the draft's schema and id), with nothing written: the HTTP API answers a
 * bad request with these before it queues the run.
 */
export async function prepareSimulation(
  db: Queryable,
  request: SimulationRequest,
): Promise<PreparedSimulation> {
  for (const [name, value] of [
    ['from', request.from],
    ['to', request.to],
  ] as const) {
    if (!isQuarter(value)) {
      throw new LadderError('INVALID_INPUT', `--${name} must be a quarter such as 2024-Q3`, [
        { path: name, message: 'must be a quarter such as 2024-Q3', value },
      ]);
    }
  }
  if (compareQuarters(request.from, request.to) > 0) {
    throw new LadderError('INVALID_INPUT', '--from is after --to', [
      { path: 'from', message: 'must not be after to', value: request.from },
    ]);
  }
  const published = await loadRulebooks(db);
  if (published.length === 0)
    throw new LadderError('UNKNOWN_RULEBOOK', 'the store has no published rulebook');
  const baseVersions =
    request.base === undefined
      ? published
      : published.filter((v) => v.document.version <= baseVersionNumber(request.base ?? ''));
  if (baseVersions.length === 0) {
    throw new LadderError('NOT_FOUND', `no published version ${request.base}`, [
      { path: 'base', message: 'names no published version', value: request.base },
    ]);
  }
  const carried = await carryMonthlyRates(db, request.draft);
  const draft = compileOrThrow(carried.document, 'draft');
  const rulebookId = published[0]?.document.id ?? '';
  if (draft.document.id !== rulebookId) {
    throw new LadderError('INVALID_INPUT', `the draft must be a version of ${rulebookId}`, [
      { path: 'draft.id', message: `must be ${rulebookId}`, value: draft.document.id },
    ]);
  }
  const highestBase = Math.max(...baseVersions.map((v) => v.document.version));
  const draftVersion = Math.max(...published.map((v) => v.document.version)) + 1;
  const base = baseVersions[baseVersions.length - 1] as Rulebook;
  return {
    base,
    draft,
    carriedMonths: carried.carriedMonths,
    highestBase,
    draftVersion,
    baseVersions,
  };
}

export async function simulate(
  db: Db,
  request: SimulationRequest,
  onProgress: SimulationProgress = () => {},
): Promise<SimulationResult> {
  const prepared = await prepareSimulation(db, request);
  const { draft, highestBase, draftVersion, baseVersions } = prepared;
  const rulebookId = prepared.base.document.id;

  // Run until the assessment that reads `to`'s amounts, whichever side's calendar says.
  const calendar = [
    ...assessmentCalendar(baseVersions),
    ...assessmentCalendar([...baseVersions, draft]),
  ];
  const until = Math.max(
    quarterEnd(request.to),
    ...calendar.filter((a) => a.quarter === request.to).map((a) => a.at),
  );

  // The lock each assessment takes (runAssessment in run.ts), all of them taken
  // first, in one order. The transaction then holds the events trigger's lock
  // from its first event to the end, and a run elsewhere, which takes one
  // assessment lock and then that events lock, would deadlock with it if the
  // simulation still had an assessment lock to wait for.
  const assessmentLocks = [
    ...new Set(
      calendar.filter((a) => a.at <= until).map((a) => `assess:${a.service}:${a.quarter}`),
    ),
  ].sort();

  try {
    await db.transaction(async (tx) => {
      const scratch = inside(tx, db);
      for (const key of assessmentLocks) {
        await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [key]);
      }
      // Read under the locks, before the first side deletes the runs.
      const ordersSeen = await ordersSeenByAssessments(tx);
      await tx.query('DELETE FROM rulebook_versions WHERE version > $1', [highestBase]);
      onProgress(0, 'base');
      const base = await runSide(scratch, request, until, ordersSeen);
      onProgress(0.5, 'draft');

      await tx.query(
        'INSERT INTO rulebook_versions (id, version, effective_from, document) VALUES ($1, $2, $3, $4::jsonb)',
        [
          rulebookId,
          draftVersion,
          toPg(draft.effectiveFrom),
          JSON.stringify({ ...draft.document, version: draftVersion }),
        ],
      );
      const drafted = await runSide(scratch, request, until, ordersSeen);
      const result = compare(
        request,
        `${rulebookId}@${highestBase}`,
        `${draft.document.id}@draft`,
        base,
        drafted,
      );
      onProgress(1, 'done');
      throw new Rollback({ ...result, carriedMonthlyRates: [...prepared.carriedMonths] });
    });
  } catch (err) {
    if (err instanceof Rollback) return err.result;
    throw err;
  }
  throw new Error('unreachable: the simulation transaction must roll back');
}

function baseVersionNumber(text: string): number {
  const match = /^(?:.+@)?(\d+)$/.exec(text);
  if (!match)
    throw new LadderError('INVALID_INPUT', `--base must be a version such as 3n-2024-07@1 or 1`, [
      { path: 'base', message: 'must be a version such as 3n-2024-07@1', value: text },
    ]);
  return Number(match[1]);
}

/** The highest order `ingest_seq` each assessment already run saw, by `service|quarter`. */
async function ordersSeenByAssessments(db: Queryable): Promise<Map<string, string>> {
  const runs = await db.query<{ service: string; quarter: string; max_order_seq: string }>(
    'SELECT service, quarter, max_order_seq::text AS max_order_seq FROM assessment_runs',
  );
  return new Map(runs.map((run) => [`${run.service}|${run.quarter}`, run.max_order_seq]));
}

async function runSide(
  db: Db,
  request: SimulationRequest,
  until: number,
  ordersSeen: ReadonlyMap<string, string>,
): Promise<SideFigures> {
  for (const table of RESULT_TABLES) await db.query(`DELETE FROM ${table}`);
  await db.query('UPDATE order_events SET applied = false');
  await runUntil(db, until, { ordersSeen });
  return readFigures(db, request, until);
}

async function readFigures(
  db: Queryable,
  request: SimulationRequest,
  until: number,
): Promise<SideFigures> {
  const levels = new Map<string, { level: string; amountUsd: string; explanation: Explanation }>();
  const assessed = (
    await db.query<ExplainedAssessmentRow>(
      `SELECT merchant_id, service, quarter, amount_usd::text AS amount_usd, order_count, level,
              effective_from, rulebook, explanation
       FROM assessments`,
    )
  ).filter(
    (row) =>
      compareQuarters(row.quarter, request.from) >= 0 &&
      compareQuarters(row.quarter, request.to) <= 0,
  );
  const explanations = await explainLevels(db, assessed);
  assessed.forEach((row, i) => {
    levels.set(`${row.merchant_id}|${row.service}|${row.quarter}`, {
      level: row.level,
      amountUsd: row.amount_usd,
      explanation: explanations[i] as Explanation,
    });
  });

  const merchants = new Map<string, Record<keyof MerchantFigures, Dec>>();
  const slot = (id: string) => {
    let figures = merchants.get(id);
    if (!figures) {
      figures = {
        feesNetCny: ZERO,
        standardFeesNetCny: ZERO,
        rebatesCny: ZERO,
        subsidiesCny: ZERO,
        couponsOutstandingCny: ZERO,
      };
      merchants.set(id, figures);
    }
    return figures;
  };
  const periodStart = toPg(quarterStart(request.from));
  const periodEnd = toPg(quarterEnd(request.to));

  for (const row of await db.query<{ merchant_id: string; net: string; standard: string | null }>(
    `SELECT merchant_id, sum(net_cny)::text AS net, sum(standard_net_cny)::text AS standard FROM fees
     WHERE status = 'charged' AND cleared_at >= $1 AND cleared_at < $2 GROUP BY merchant_id`,
    [periodStart, periodEnd],
  )) {
    const figures = slot(row.merchant_id);
    figures.feesNetCny = dec(row.net);
    figures.standardFeesNetCny = dec(row.standard ?? '0');
  }
  for (const row of await db.query<{ merchant_id: string; quarter: string; total: string }>(
    "SELECT merchant_id, quarter, sum(rebate_cny)::text AS total FROM jump_rebates WHERE status = 'issued' GROUP BY merchant_id, quarter",
  )) {
    if (
      compareQuarters(row.quarter, request.from) < 0 ||
      compareQuarters(row.quarter, request.to) > 0
    )
      continue;
    const figures = slot(row.merchant_id);
    figures.rebatesCny = figures.rebatesCny.plus(dec(row.total));
  }
  for (const row of await db.query<{ merchant_id: string; total: string }>(
    `SELECT r.merchant_id, sum(r.subsidy_cny)::text AS total FROM settlement_results r
     JOIN settlements s ON s.merchant_id = r.merchant_id AND s.id = r.settlement_id
     WHERE s.at >= $1 AND s.at < $2 GROUP BY r.merchant_id`,
    [periodStart, periodEnd],
  )) {
    slot(row.merchant_id).subsidiesCny = dec(row.total);
  }
  for (const row of await db.query<{ merchant_id: string; balance: string }>(
    `SELECT merchant_id,
            (SUM(CASE WHEN credit_account LIKE 'coupon:%' THEN amount_cny ELSE 0 END)
           - SUM(CASE WHEN debit_account LIKE 'coupon:%' THEN amount_cny ELSE 0 END))::text AS balance
     FROM ledger_entries WHERE at <= $1 GROUP BY merchant_id`,
    [toPg(until)],
  )) {
    slot(row.merchant_id).couponsOutstandingCny = dec(row.balance);
  }

  const errors = await db.query<{ n: string | number }>(
    "SELECT count(*) AS n FROM fees WHERE status = 'error' AND cleared_at >= $1 AND cleared_at < $2",
    [periodStart, periodEnd],
  );
  const totals = {
    feeErrors: dec(String(errors[0]?.n ?? 0)),
    feeIncomeCny: ZERO,
    discountCostCny: ZERO,
    rebatesCny: ZERO,
    subsidiesCny: ZERO,
    couponLiabilityCny: ZERO,
  };
  for (const f of merchants.values()) {
    totals.feeIncomeCny = totals.feeIncomeCny.plus(f.feesNetCny);
    totals.discountCostCny = totals.discountCostCny.plus(f.standardFeesNetCny.minus(f.feesNetCny));
    totals.rebatesCny = totals.rebatesCny.plus(f.rebatesCny);
    totals.subsidiesCny = totals.subsidiesCny.plus(f.subsidiesCny);
    totals.couponLiabilityCny = totals.couponLiabilityCny.plus(f.couponsOutstandingCny);
  }
  return { levels, merchants, totals };
}

const EMPTY: Record<keyof MerchantFigures, Dec> = {
  feesNetCny: ZERO,
  standardFeesNetCny: ZERO,
  rebatesCny: ZERO,
  subsidiesCny: ZERO,
  couponsOutstandingCny: ZERO,
};

function printFigures(f: Record<keyof MerchantFigures, Dec>): MerchantFigures {
  return {
    feesNetCny: formatFen(f.feesNetCny),
    standardFeesNetCny: formatFen(f.standardFeesNetCny),
    rebatesCny: formatFen(f.rebatesCny),
    subsidiesCny: formatFen(f.subsidiesCny),
    couponsOutstandingCny: formatFen(f.couponsOutstandingCny),
  };
}

function printTotals(t: Record<keyof Totals, Dec>): Totals {
  return {
    feeErrors: t.feeErrors.toFixed(0),
    feeIncomeCny: formatFen(t.feeIncomeCny),
    discountCostCny: formatFen(t.discountCostCny),
    rebatesCny: formatFen(t.rebatesCny),
    subsidiesCny: formatFen(t.subsidiesCny),
    couponLiabilityCny: formatFen(t.couponLiabilityCny),
  };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function compare(
  request: SimulationRequest,
  baseKey: string,
  draftKey: string,
  base: SideFigures,
  draft: SideFigures,
): SimulationResult {
  const levelKeys = [...new Set([...base.levels.keys(), ...draft.levels.keys()])].sort(cmp);
  const counts = new Map<
    string,
    { service: string; quarter: string; level: string; base: number; draft: number }
  >();
  const moves: LevelMove[] = [];
  const levelsOf = new Map<string, MerchantImpact['levels']>();
  for (const key of levelKeys) {
    const [merchantId = '', service = '', quarter = ''] = key.split('|');
    const b = base.levels.get(key);
    const d = draft.levels.get(key);
    for (const [side, row] of [
      ['base', b],
      ['draft', d],
    ] as const) {
      if (!row) continue;
      const countKey = `${service}|${quarter}|${row.level}`;
      const entry = counts.get(countKey) ?? {
        service,
        quarter,
        level: row.level,
        base: 0,
        draft: 0,
      };
      entry[side] += 1;
      counts.set(countKey, entry);
    }
    const list = levelsOf.get(merchantId) ?? [];
    list.push({ service, quarter, base: b?.level ?? null, draft: d?.level ?? null });
    levelsOf.set(merchantId, list);
    if (b?.level !== d?.level) {
      moves.push({
        merchantId,
        service,
        quarter,
        amountUsd: formatAmount(dec((b ?? d)?.amountUsd ?? '0')),
        baseLevel: b?.level ?? null,
        draftLevel: d?.level ?? null,
        base: b?.explanation ?? null,
        draft: d?.explanation ?? null,
      });
    }
  }

  const ids = [
    ...new Set([...base.merchants.keys(), ...draft.merchants.keys(), ...levelsOf.keys()]),
  ];
  const merchants = ids
    .map((merchantId) => {
      const b = base.merchants.get(merchantId) ?? EMPTY;
      const d = draft.merchants.get(merchantId) ?? EMPTY;
      // What the merchant pays, net of rebates and subsidies it receives.
      const net = (f: typeof b) => f.feesNetCny.minus(f.rebatesCny).minus(f.subsidiesCny);
      return {
        merchantId,
        base: printFigures(b),
        draft: printFigures(d),
        impact: net(d).minus(net(b)),
        levels: levelsOf.get(merchantId) ?? [],
      };
    })
    .sort((x, y) => y.impact.abs().cmp(x.impact.abs()) || cmp(x.merchantId, y.merchantId))
    .map(({ impact, ...rest }) => ({ ...rest, netImpactCny: formatFen(impact) }));

  const difference = Object.fromEntries(
    Object.keys(base.totals).map((key) => {
      const k = key as keyof Totals;
      return [k, draft.totals[k].minus(base.totals[k])];
    }),
  ) as Record<keyof Totals, Dec>;

  return {
    baseRulebook: baseKey,
    draftRulebook: draftKey,
    from: request.from,
    to: request.to,
    levelCounts: [...counts.values()].sort(
      (a, b) => cmp(a.service, b.service) || cmp(a.quarter, b.quarter) || cmp(a.level, b.level),
    ),
    moves,
    merchants,
    totals: {
      base: printTotals(base.totals),
      draft: printTotals(draft.totals),
      difference: printTotals(difference),
    },
  };
}
