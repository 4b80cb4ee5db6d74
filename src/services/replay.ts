import { LadderError } from '../core/errors.js';
import { checkScenario, type ScenarioInput } from '../core/input.js';
import { parseInstant } from '../core/time.js';
import type { Db } from '../store/db.js';
import type { Located } from './ingest.js';
import { ingest } from './ingest.js';
import { replayReport } from './replay-report.js';
import { publishRulebook, shippedRulebook } from './rulebooks.js';
import { type RunOptions, runUntil } from './run.js';

const located = <T>(list: string, rows: readonly T[]): Located<T>[] =>
  rows.map((value, i) => ({ value, where: `${list}[${i}]` }));

/**
 * `ladder replay`: one scenario through the same services and store as every
 * other command, on a store of its own. The scenario is checked whole before
 * anything is written; a bad one is refused with every bad field named.
 */
export async function replayScenario(db: Db, raw: unknown, options: RunOptions = {}) {
  const checked = checkScenario(raw);
  if (!checked.ok)
    throw new LadderError('INVALID_INPUT', 'the scenario breaks the schema', checked.issues);
  const { scenario } = checked;
  const input: ScenarioInput = scenario.input;

  const rulebook =
    typeof input.rulebook === 'string' ? shippedRulebook(input.rulebook) : input.rulebook;
  await db.transaction(async (tx) => {
    await publishRulebook(tx, rulebook);
    await ingest(tx, {
      merchants: located('merchants', scenario.merchants),
      orders: located('orders', scenario.orders),
      orderEvents: located('orderEvents', scenario.orderEvents),
      charges: located('charges', scenario.charges),
      settlements: located('settlements', scenario.settlements),
    });
  });

  const asOf = parseInstant(input.asOf);
  await runUntil(db, asOf, options);
  return replayReport(
    db,
    asOf,
    scenario.merchants.map((m) => m.id),
  );
}
