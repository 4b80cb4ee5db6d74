import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { RulebookDocument } from '../core/rulebook/schema.js';
import { SHIPPED_RULEBOOKS } from '../core/rulebook/shipped.js';
import { assessmentInstant, compareQuarters, isQuarter } from '../core/time.js';
import { formatShanghai } from './clock.js';
import { CsvFile } from './csv-file.js';
import { type IdCounters, merchantRows } from './merchant-rows.js';
import {
  buildCalendar,
  type Calendar,
  orderCount,
  planMerchant,
  planMonthlyRates,
} from './plan.js';
import { COLUMNS, fileNameOf, type GeneratedRow, ROW_KINDS, type RowKind } from './rows.js';
import { ScenarioFile } from './scenario-file.js';
import { formatPips, type Pips } from './units.js';

export type { GeneratedRow, RowKind } from './rows.js';

/**
 * `ladder generate`: a realistic, reproducible demo data set (CSV files and
 * the equivalent replay scenario of SPEC §12). The same options give the
 * same bytes; rows are produced merchant by merchant, so a large data set
 * streams to disk without being held in memory.
 */

export interface GenerateOptions {
  /** How many merchants, 1 to MAX_MERCHANTS. */
  merchants: number;
  /** Any non-negative safe integer. */
  seed: number;
  /** First and last quarter of clearance, both included: `2024-Q1`, `2025-Q1`. */
  firstQuarter: string;
  lastQuarter: string;
  /** Scales each merchant's number of orders to come near this total. */
  ordersTarget?: number;
}

export interface DatasetSummary {
  /** Rows written to each CSV file (header excluded), by file name. */
  files: Record<string, number>;
  /** Where the replay scenario was written; null when it was not asked for. */
  scenarioPath: string | null;
}

export const MAX_MERCHANTS = 1_000_000;
export const MAX_ORDERS_TARGET = 100_000_000;
export const SHIPPED_RULEBOOK_ID = '3n-2024-07';
export const DEMO_RULEBOOK_ID = '3n-2024-07-demo';

/** Refuses options the generator cannot honour, naming the option. */
export function checkGenerateOptions(options: GenerateOptions): void {
  const { merchants, seed, firstQuarter, lastQuarter, ordersTarget } = options;
  if (!Number.isInteger(merchants) || merchants < 1 || merchants > MAX_MERCHANTS) {
    throw new RangeError(`merchants must be an integer from 1 to ${MAX_MERCHANTS}`);
  }
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError('seed must be a non-negative integer');
  }
  if (!isQuarter(firstQuarter))
    throw new RangeError(`firstQuarter ${firstQuarter} is not a quarter`);
  if (!isQuarter(lastQuarter)) throw new RangeError(`lastQuarter ${lastQuarter} is not a quarter`);
  if (compareQuarters(firstQuarter, lastQuarter) > 0) {
    throw new RangeError(`firstQuarter ${firstQuarter} is after lastQuarter ${lastQuarter}`);
  }
  if (
    ordersTarget !== undefined &&
    (!Number.isInteger(ordersTarget) || ordersTarget < 1 || ordersTarget > MAX_ORDERS_TARGET)
  ) {
    throw new RangeError(`ordersTarget must be an integer from 1 to ${MAX_ORDERS_TARGET}`);
  }
}

/**
 * Every row of the data set: first the monthly USD/CNY rates, then each
 * merchant in id order with its rating changes, risk flags, orders (by
 * clearance), order events, charges and settlements.
 */
export function* generateRows(options: GenerateOptions): Generator<GeneratedRow> {
  checkGenerateOptions(options);
  const { seed } = options;
  const calendar = buildCalendar(options.firstQuarter, options.lastQuarter);

  const monthlyPips = planMonthlyRates(seed, calendar);
  for (const [month, pips] of monthlyPips) {
    yield { kind: 'fx-rates', row: { month, usdCny: formatPips(pips) } };
  }

  const counters: IdCounters = { order: 1, charge: 1, settlement: 1 };
  const countFactor = orderCountFactor(options, calendar);
  const context = { seed, calendar, monthlyPips, countFactor, counters };
  for (let index = 0; index < options.merchants; index++) {
    yield* merchantRows(planMerchant(seed, index, calendar), context);
  }
}

/**
 * The factor on every merchant's natural order count that brings the total
 * near `ordersTarget`. Counting needs only the plans, so it replans every
 * merchant (cheap, and nothing kept); a few rounds absorb the effect of the
 * bounds on a single order's amount.
 */
function orderCountFactor(options: GenerateOptions, calendar: Calendar): number {
  const target = options.ordersTarget;
  if (target === undefined) return 1;

  let factor = 1;
  for (let round = 0; round < 4; round++) {
    const total = countOrders(options, calendar, factor);
    if (total === 0 || Math.abs(total - target) <= target * 0.005) break;
    factor *= target / total;
  }
  return factor;
}

function countOrders(options: GenerateOptions, calendar: Calendar, factor: number): number {
  let total = 0;
  for (let index = 0; index < options.merchants; index++) {
    const plan = planMerchant(options.seed, index, calendar);
    for (const amounts of [plan.amounts3nCents, plan.amounts2nCents]) {
      for (const amount of amounts) total += orderCount(amount, plan.typicalOrderCents, factor);
    }
  }
  return total;
}

/**
 * The shipped rulebook with customs' monthly rates filled in, so that orders
 * without a rate of their own can be priced (SPEC §5, D3).
 */
export function demoRulebook(monthlyPips: ReadonlyMap<string, Pips>): RulebookDocument {
  const shipped = SHIPPED_RULEBOOKS[SHIPPED_RULEBOOK_ID];
  if (shipped === undefined) throw new Error(`rulebook ${SHIPPED_RULEBOOK_ID} is not shipped`);

  const monthlyUsdCny: Record<string, string> = {};
  for (const [month, pips] of monthlyPips) monthlyUsdCny[month] = formatPips(pips);
  return { ...shipped, id: DEMO_RULEBOOK_ID, fees: { ...shipped.fees, monthlyUsdCny } };
}

/**
 * The replay's `asOf`: the effective instant of the assessment of the last
 * quarter (2025-04-02T00:00:00+08:00 for 2025-Q1), so the replay reaches the
 * last jump rebates and sees every fact of the data set.
 */
function replayAsOf(rulebook: RulebookDocument, lastQuarter: string): string {
  const assessment = rulebook.programmes['3+N']?.assessment;
  if (assessment === undefined) throw new Error(`rulebook ${rulebook.id} has no 3+N programme`);
  return formatShanghai(assessmentInstant(lastQuarter, assessment.dayOfMonth, assessment.hour));
}

function describeDataset(options: GenerateOptions): string {
  const target = options.ordersTarget === undefined ? '' : `, about ${options.ordersTarget} orders`;
  return (
    `Generated by ladder generate: ${options.merchants} merchants, seed ${options.seed}, ` +
    `${options.firstQuarter} to ${options.lastQuarter}${target}.`
  );
}

/**
 * Writes one CSV file per row kind and `scenario.json` into `dir` (created
 * if missing; files of the same names are replaced). `onProgress` is called
 * with the number of merchants done and the total. With `scenario: false`
 * only the CSV files are written: at ten million orders the scenario is
 * 2 GB of the 2.8 GB, and an import needs only the CSV files.
 */
export async function writeDataset(
  dir: string,
  options: GenerateOptions,
  onProgress?: (done: number, total: number) => void,
  output: { scenario?: boolean } = {},
): Promise<DatasetSummary> {
  checkGenerateOptions(options);
  await mkdir(dir, { recursive: true });

  const calendar = buildCalendar(options.firstQuarter, options.lastQuarter);
  const rulebook = demoRulebook(planMonthlyRates(options.seed, calendar));
  const asOf = replayAsOf(rulebook, options.lastQuarter);
  const scenario =
    output.scenario === false
      ? null
      : new ScenarioFile(dir, { description: describeDataset(options), rulebook, asOf });
  const csvFiles = Object.fromEntries(
    ROW_KINDS.map((kind) => [kind, new CsvFile(join(dir, fileNameOf(kind)), COLUMNS[kind])]),
  ) as Record<RowKind, CsvFile>;

  try {
    let merchantsDone = 0;
    for (const generated of generateRows(options)) {
      if (generated.kind === 'merchants') onProgress?.(merchantsDone++, options.merchants);

      const csvWait = csvFiles[generated.kind].write(generated.row);
      const scenarioWait = scenario?.write(generated) ?? null;
      if (csvWait !== null) await csvWait;
      if (scenarioWait !== null) await scenarioWait;
    }

    await Promise.all(ROW_KINDS.map((kind) => csvFiles[kind].close()));
    await scenario?.close();
    onProgress?.(options.merchants, options.merchants);
  } catch (error) {
    for (const kind of ROW_KINDS) csvFiles[kind].destroy();
    await scenario?.abort();
    throw error;
  }

  const files: Record<string, number> = {};
  for (const kind of ROW_KINDS) files[fileNameOf(kind)] = csvFiles[kind].rows;
  return { files, scenarioPath: scenario?.path ?? null };
}
