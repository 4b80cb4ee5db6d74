import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openPgliteMemory } from '../store/pglite.js';
import { HAVE_SHARED_CASES, SHARED_CASES } from '../test-support/shared-cases.js';
import { replayScenario } from './replay.js';

/** The SPEC §12 example, varied at the edges a breaker found. */
interface Scenario {
  asOf: string;
  orders: { clearedAt: string; amountUsd: string; service: string }[];
  orderEvents: unknown[];
  settlements: { at: string; currency: string }[];
  merchants: {
    riskFlags: { from: string; to: string | null }[];
    fxRatingChanges: { at: string; rating: string }[];
  }[];
}

const example = () =>
  JSON.parse(readFileSync(resolve(SHARED_CASES, 'spec-example.json'), 'utf8')) as Scenario;

function one<T>(list: T[], index = 0): T {
  const item = list[index];
  if (item === undefined) throw new Error(`the example has no item ${index}`);
  return item;
}

async function replay(scenario: unknown) {
  const db = await openPgliteMemory();
  try {
    return await replayScenario(db, scenario);
  } finally {
    await db.close();
  }
}

describe.runIf(HAVE_SHARED_CASES)('replaying edge cases of the SPEC example', () => {
  it('gives a settlement before the rulebook takes effect a reason, not a crash', async () => {
    const scenario = example();
    one(scenario.settlements).at = '2024-03-01T10:00:00+08:00';
    const report = await replay(scenario);
    // No assessment yet: LV1, which earns no pips, the first condition of SPEC §9.
    expect(report.settlements).toEqual([
      expect.objectContaining({ settlementId: 'S-1', level: 'LV1', pips: 0, reason: 'level' }),
    ]);
  });

  it('takes the same risk flag sent twice as one', async () => {
    const scenario = example();
    one(scenario.merchants).riskFlags.push({ ...one(one(scenario.merchants).riskFlags) });
    const report = await replay(scenario);
    expect(report.wallets).toEqual([{ merchantId: 'M-001', balanceCny: '3150.00' }]);
  });

  it.each([
    [
      'a charge before its order cleared',
      (s: Scenario) => {
        one(s.orders, 2).clearedAt = '2024-10-05T10:00:00+08:00';
        s.orderEvents = [];
      },
      'charges[0].at',
    ],
    [
      'a flag repeated with another end',
      (s: Scenario) => {
        one(s.merchants).riskFlags.push({
          from: '2025-01-10T00:00:00+08:00',
          to: '2025-02-01T00:00:00+08:00',
        });
      },
      'merchants[0].riskFlags[1]',
    ],
    [
      'two ratings at one instant',
      (s: Scenario) => {
        one(s.merchants).fxRatingChanges.push({ at: '2024-12-01T00:00:00+08:00', rating: 'C' });
      },
      'merchants[0].fxRatingChanges[1]',
    ],
    [
      'an instant finer than a millisecond',
      (s: Scenario) => {
        one(s.orders, 0).clearedAt = '2024-03-15T10:00:00.0001+08:00';
      },
      'orders[0].clearedAt',
    ],
    [
      'a 60th second',
      (s: Scenario) => {
        one(s.orders, 0).clearedAt = '2024-03-15T10:00:60+08:00';
      },
      'orders[0].clearedAt',
    ],
    [
      'an amount longer than the schema allows',
      (s: Scenario) => {
        one(s.orders, 0).amountUsd = '20000.33333333333333333333';
      },
      'orders[0].amountUsd',
    ],
  ])('refuses %s, naming the field', async (_, change, path) => {
    const scenario = example();
    change(scenario);
    await expect(replay(scenario)).rejects.toMatchObject({
      issues: [expect.objectContaining({ path })],
    });
  });

  // PostgreSQL's timestamptz reads the years 0001 to 9999 in UTC; a local
  // year inside them can name an instant outside (year 0 or 10000 in UTC).
  it.each([
    ['a clearance in year 0', 'orders[0].clearedAt', '0000-03-15T10:00:00+08:00'],
    [
      'a clearance at 00:00 on 1 January 1 in +08:00',
      'orders[0].clearedAt',
      '0001-01-01T00:00:00+08:00',
    ],
    [
      'a flag from 07:00 on 1 January 1 in +08:00',
      'merchants[0].riskFlags[0].from',
      '0001-01-01T07:00:00+08:00',
    ],
    ['an asOf of year 10000 in UTC', 'asOf', '9999-12-31T23:59:59-08:00'],
  ])('refuses %s as bad input, not a crash of the store', async (_, path, value) => {
    const scenario = example() as unknown as Record<string, unknown>;
    setAt(scenario, path, value);
    await expect(replay(scenario)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      issues: [{ path, message: 'must lie in the years 0001 to 9999 in UTC', value }],
    });
  });

  it('replays the first and the last instants the store holds, a 2+N order and a EUR settlement', async () => {
    const scenario = example();
    scenario.asOf = '9999-12-31T23:59:59.999Z';
    one(scenario.orders, 0).clearedAt = '0001-01-01T00:00:00Z';
    one(scenario.orders, 1).service = '2+N';
    one(scenario.settlements).currency = 'EUR';

    const report = await replay(scenario);

    // SPEC §9: a currency other than USD earns no subsidy; LV3 fails first, on `level`.
    expect(report.settlements).toEqual([
      expect.objectContaining({ settlementId: 'S-1', subsidyCny: '0.00', reason: 'level' }),
    ]);
    // The shipped rulebook has no 2+N programme: NO_FEE_RULE (SPEC §12).
    expect(report.fees.find((f) => f.orderId === 'O-2')).toMatchObject({
      status: 'error',
      error: { code: 'NO_FEE_RULE' },
    });
  });
});

/** Sets the value at a path such as `merchants[0].riskFlags[0].from`. */
function setAt(root: Record<string, unknown>, path: string, value: string): void {
  const keys = path.split(/[.[\]]+/).filter((key) => key !== '');
  let node: Record<string, unknown> = root;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[keys[keys.length - 1] as string] = value;
}
