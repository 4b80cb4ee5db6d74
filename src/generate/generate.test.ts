import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dec, dec, ZERO } from '../core/money.js';
import { rulebookSchema } from '../core/rulebook/schema.js';
import { formatInstant, parseInstant, quarterEnd, quarterOf, quarterStart } from '../core/time.js';
import { type GeneratedRow, type GenerateOptions, generateRows, writeDataset } from './generate.js';

type Row = Record<string, string>;

const OPTIONS: GenerateOptions = {
  merchants: 200,
  seed: 42,
  firstQuarter: '2024-Q1',
  lastQuarter: '2025-Q1',
};
const RANGE_START = quarterStart('2024-Q1');
const RANGE_END = quarterEnd('2025-Q1');
const SHANGHAI_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/;
const TWO_DECIMALS = /^\d+\.\d{2}$/;

let root = '';
let dirA = '';
let dirB = '';
let files: Record<string, number> = {};
const progress: Array<[number, number]> = [];
let csv: Record<string, Row[]> = {};
let scenario: Record<string, unknown> = {};
/** Each order's clearance instant, parsed once: the checks below read it often. */
let clearedAtById = new Map<string, number>();

async function readCsv(dir: string, name: string): Promise<Row[]> {
  return parse(await readFile(join(dir, name), 'utf8'), { columns: true }) as Row[];
}

function byId(rows: readonly Row[], key = 'id'): Map<string, Row> {
  return new Map(rows.map((row) => [row[key] ?? '', row]));
}

function field(row: Row, name: string): string {
  const value = row[name];
  if (value === undefined) throw new Error(`row has no ${name}`);
  return value;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ladder-generate-'));
  dirA = join(root, 'a');
  dirB = join(root, 'b');
  ({ files } = await writeDataset(dirA, OPTIONS, (done, total) => progress.push([done, total])));
  await writeDataset(dirB, OPTIONS);

  for (const name of Object.keys(files)) csv[name] = await readCsv(dirA, name);
  scenario = JSON.parse(await readFile(join(dirA, 'scenario.json'), 'utf8'));
  clearedAtById = new Map(
    rowsOf('orders.csv').map((order) => [
      field(order, 'id'),
      parseInstant(field(order, 'clearedAt')),
    ]),
  );
});

afterAll(async () => {
  csv = {};
  scenario = {};
  await rm(root, { recursive: true, force: true });
});

function rowsOf(name: string): Row[] {
  const rows = csv[name];
  if (rows === undefined) throw new Error(`${name} was not written`);
  return rows;
}

describe('reproducibility', () => {
  it('writes byte-identical files for the same seed', async () => {
    const names = (await readdir(dirA)).sort();

    expect(names).toEqual((await readdir(dirB)).sort());
    expect(names).toEqual([...Object.keys(files), 'scenario.json'].sort());
    for (const name of names) {
      const [a, b] = await Promise.all([readFile(join(dirA, name)), readFile(join(dirB, name))]);
      expect(a.equals(b), name).toBe(true);
    }
  });

  it('writes the same CSV files and no scenario when the scenario is not asked for', async () => {
    const dirC = join(root, 'c');
    const summary = await writeDataset(dirC, OPTIONS, undefined, { scenario: false });

    expect(summary.scenarioPath).toBeNull();
    expect((await readdir(dirC)).sort()).toEqual(Object.keys(files).sort());
    for (const name of Object.keys(files)) {
      const [a, c] = await Promise.all([readFile(join(dirA, name)), readFile(join(dirC, name))]);
      expect(a.equals(c), name).toBe(true);
    }
  });

  it('gives different data for a different seed', () => {
    const ordersOf = (seed: number): string[] =>
      [...generateRows({ ...OPTIONS, merchants: 20, seed })]
        .filter((generated) => generated.kind === 'orders')
        .map((generated) => JSON.stringify(generated.row));

    expect(ordersOf(1)).not.toEqual(ordersOf(2));
    expect(ordersOf(1)).toEqual(ordersOf(1));
  });
});

describe('rows', () => {
  it('reports progress merchant by merchant, ending at the total', () => {
    expect(progress[0]).toEqual([0, 200]);
    expect(progress.at(-1)).toEqual([200, 200]);
    expect(progress.map(([done]) => done)).toEqual([...Array(201).keys()]);
  });

  it('reports the rows of each file, header excluded', () => {
    for (const [name, count] of Object.entries(files))
      expect(rowsOf(name), name).toHaveLength(count);
    expect(files['merchants.csv']).toBe(200);
  });

  it('gives every order a positive two-decimal amount of 500 to 200,000 USD', () => {
    const outOfBounds = rowsOf('orders.csv').filter((order) => {
      const amountUsd = field(order, 'amountUsd');
      return !TWO_DECIMALS.test(amountUsd) || dec(amountUsd).lt(500) || dec(amountUsd).gt(200_000);
    });

    expect(outOfBounds).toEqual([]);
  });

  it('clears every order at an instant with an offset inside the quarters asked for', () => {
    const orders = rowsOf('orders.csv');
    const outside = orders.filter((order) => {
      const at = clearedAtById.get(field(order, 'id')) ?? Number.NaN;
      return (
        !SHANGHAI_INSTANT.test(field(order, 'clearedAt')) || !(at >= RANGE_START && at < RANGE_END)
      );
    });
    // The generator prints Shanghai time itself; core/time must print the same.
    const misprinted = orders
      .filter((_, i) => i % 25 === 0)
      .filter(
        (order) => formatInstant(clearedAtById.get(field(order, 'id')) ?? 0) !== order.clearedAt,
      );

    expect(outside).toEqual([]);
    expect(misprinted).toEqual([]);
  });

  it('gives about 60% of orders a rate of their own, with four decimals', () => {
    const orders = rowsOf('orders.csv');
    const withRate = orders.filter((order) => order.usdCny !== '');

    expect(withRate.length / orders.length).toBeGreaterThan(0.5);
    expect(withRate.length / orders.length).toBeLessThan(0.7);
    expect(withRate.filter((order) => !/^7\.\d{4}$/.test(field(order, 'usdCny')))).toEqual([]);
  });

  it('numbers orders by merchant, then by clearance instant', () => {
    const orders = rowsOf('orders.csv');
    const outOfOrder = orders.filter((current, i) => {
      const previous = orders[i - 1];
      if (previous === undefined) return false;
      if (field(previous, 'id') >= field(current, 'id')) return true;
      if (previous.merchantId !== current.merchantId) {
        return field(previous, 'merchantId') > field(current, 'merchantId');
      }
      const before = clearedAtById.get(field(previous, 'id')) ?? Number.NaN;
      return !(before <= (clearedAtById.get(field(current, 'id')) ?? Number.NaN));
    });

    expect(outOfOrder).toEqual([]);
  });

  it('dates every order event after its clearance, one event per order at most', () => {
    const events = rowsOf('order-events.csv');
    const statuses = ['cancelled', 'refunded', 'fraudulent', 'abnormal'];
    const misdated = events.filter((event) => {
      const clearedAt = clearedAtById.get(field(event, 'orderId')) ?? Number.NaN;
      const at = parseInstant(field(event, 'at'));
      return !statuses.includes(field(event, 'status')) || !(at > clearedAt && at < RANGE_END);
    });

    expect(events.length).toBeGreaterThan(0);
    expect(new Set(events.map((event) => event.orderId)).size).toBe(events.length);
    expect(misdated).toEqual([]);
  });

  it('charges only 3+N orders of the same merchant, after clearance, from July 2024', () => {
    const orders = byId(rowsOf('orders.csv'));
    const charges = rowsOf('charges.csv');
    const chargesFrom = parseInstant('2024-07-01T00:00:00+08:00');
    const wrong = charges.filter((charge) => {
      const order = orders.get(field(charge, 'orderId'));
      const clearedAt = clearedAtById.get(field(charge, 'orderId')) ?? Number.NaN;
      const amountCny = field(charge, 'amountCny');
      return (
        order?.merchantId !== charge.merchantId ||
        order?.service !== '3+N' ||
        charge.kind !== 'tax-refund-service-fee' ||
        !(clearedAt >= chargesFrom && parseInstant(field(charge, 'at')) > clearedAt) ||
        !TWO_DECIMALS.test(amountCny) ||
        dec(amountCny).lt(50) ||
        dec(amountCny).gt(2_000)
      );
    });

    expect(charges.length).toBeGreaterThan(0);
    expect(wrong).toEqual([]);
  });

  it('settles for known merchants, in USD and in other currencies and accounts', () => {
    const merchants = byId(rowsOf('merchants.csv'));
    const settlements = rowsOf('settlements.csv');

    for (const settlement of settlements) {
      expect(merchants.has(field(settlement, 'merchantId'))).toBe(true);
      expect(settlement.amount).toMatch(TWO_DECIMALS);
      expect(settlement.baseRate).toMatch(/^\d+\.\d{4}$/);
      expect(settlement.at).toMatch(SHANGHAI_INSTANT);
    }
    expect(settlements.some((s) => s.currency === 'USD' && s.account === 'export')).toBe(true);
    expect(settlements.some((s) => s.currency !== 'USD' || s.account !== 'export')).toBe(true);
  });

  it('flags some merchants, with closed and open flags whose end follows their start', () => {
    for (const flag of rowsOf('risk-flags.csv')) {
      expect(flag.from).toMatch(SHANGHAI_INSTANT);
      if (flag.to === '') continue;
      expect(parseInstant(field(flag, 'to'))).toBeGreaterThan(parseInstant(field(flag, 'from')));
    }
  });

  it('writes one customs rate per month, 2024-01 to 2025-03, between 7.0 and 7.3', () => {
    const rates = rowsOf('fx-rates.csv');

    expect(rates.map((rate) => rate.month)).toEqual([
      ...['01', '02', '03', '04', '05', '06', '07', '08', '09', '10', '11', '12'].map(
        (month) => `2024-${month}`,
      ),
      '2025-01',
      '2025-02',
      '2025-03',
    ]);
    for (const rate of rates) {
      expect(rate.usdCny).toMatch(/^7\.\d{4}$/);
      expect(dec(field(rate, 'usdCny')).gte(7) && dec(field(rate, 'usdCny')).lte(7.3)).toBe(true);
    }
  });
});

describe('realism at 2,000 merchants', () => {
  // Quarterly sums do not depend on how many orders carry them, so a small
  // ordersTarget keeps this test quick without changing the levels.
  let rows: GeneratedRow[] = [];
  const sums = new Map<string, Dec>();
  const firstQuarter = new Map<string, string>();

  beforeAll(() => {
    rows = [...generateRows({ ...OPTIONS, merchants: 2_000, ordersTarget: 60_000 })];
    for (const { kind, row } of rows) {
      if (kind !== 'orders' || row.service !== '3+N') continue;
      const merchantId = field(row, 'merchantId');
      const quarter = quarterOf(parseInstant(field(row, 'clearedAt')));
      const key = `${merchantId} ${quarter}`;
      sums.set(key, (sums.get(key) ?? ZERO).plus(dec(field(row, 'amountUsd'))));
      if (!firstQuarter.has(merchantId)) firstQuarter.set(merchantId, quarter);
    }
  });

  function levelOf(amountUsd: Dec): number {
    return [0, 200_000, 500_000, 1_000_000, 3_000_000].filter((from) => amountUsd.gte(from)).length;
  }

  it('comes near ordersTarget', () => {
    const orders = rows.filter((generated) => generated.kind === 'orders').length;
    expect(Math.abs(orders - 60_000)).toBeLessThan(600);
  });

  it('ranks most merchant-quarters LV1–LV2, some LV3–LV4 and a few LV5', () => {
    const counts = [0, 0, 0, 0, 0, 0];
    for (const amountUsd of sums.values()) {
      const level = levelOf(amountUsd);
      counts[level] = (counts[level] ?? 0) + 1;
    }
    const [, lv1 = 0, lv2 = 0, lv3 = 0, lv4 = 0, lv5 = 0] = counts;

    expect((lv1 + lv2) / sums.size).toBeGreaterThan(0.8);
    expect(lv3).toBeGreaterThan(0);
    expect(lv4).toBeGreaterThan(0);
    expect(lv5).toBeGreaterThanOrEqual(1);
    expect(lv5).toBeLessThan(lv4);
  });

  it('makes Q4 busier than Q1', () => {
    const total = (quarter: string): Dec =>
      [...sums].filter(([key]) => key.endsWith(quarter)).reduce((sum, [, v]) => sum.plus(v), ZERO);

    expect(total('2024-Q4').gt(total('2024-Q1'))).toBe(true);
    expect(total('2024-Q4').gt(total('2025-Q1'))).toBe(true);
  });

  it('has newcomers, merchants that jump levels, 2+N users and FX ratings B and C', () => {
    const newcomers = [...firstQuarter.values()].filter((quarter) => quarter !== '2024-Q1');
    const jumpers = [...firstQuarter.keys()].filter((merchantId) => {
      const levels = ['2024-Q1', '2024-Q2', '2024-Q3', '2024-Q4', '2025-Q1'].map((quarter) =>
        levelOf(sums.get(`${merchantId} ${quarter}`) ?? ZERO),
      );
      return levels.some((level, i) => i > 0 && level > (levels[i - 1] ?? level));
    });
    const twoPlusN = new Set(
      rows
        .filter((g) => g.kind === 'orders' && g.row.service === '2+N')
        .map((g) => g.row.merchantId),
    );
    const ratings = rows.filter((g) => g.kind === 'merchants').map((g) => g.row.fxRating);

    expect(newcomers.length).toBeGreaterThan(100);
    expect(jumpers.length).toBeGreaterThan(100);
    expect(twoPlusN.size / 2_000).toBeGreaterThan(0.1);
    expect(twoPlusN.size / 2_000).toBeLessThan(0.2);
    expect(ratings.filter((rating) => rating === 'A').length / 2_000).toBeGreaterThan(0.8);
    expect(new Set(ratings)).toEqual(new Set(['A', 'B', 'C']));
  });
});

describe('scenario.json', () => {
  it('holds the facts of the CSV files and a valid rulebook with the monthly rates', () => {
    const merchants = scenario.merchants as Array<Record<string, unknown[] | string>>;
    const nested = (name: string): number =>
      merchants.reduce((sum, merchant) => sum + (merchant[name]?.length ?? 0), 0);

    expect(scenario.asOf).toBe('2025-04-02T00:00:00+08:00');
    expect(merchants).toHaveLength(files['merchants.csv'] ?? -1);
    expect(nested('fxRatingChanges')).toBe(files['fx-rating-changes.csv']);
    expect(nested('riskFlags')).toBe(files['risk-flags.csv']);
    expect(scenario.orders).toHaveLength(files['orders.csv'] ?? -1);
    expect(scenario.orderEvents).toHaveLength(files['order-events.csv'] ?? -1);
    expect(scenario.charges).toHaveLength(files['charges.csv'] ?? -1);
    expect(scenario.settlements).toHaveLength(files['settlements.csv'] ?? -1);

    const rulebook = rulebookSchema.parse(scenario.rulebook);
    expect(rulebook.id).toBe('3n-2024-07-demo');
    expect(rulebook.fees.monthlyUsdCny).toEqual(
      Object.fromEntries(rowsOf('fx-rates.csv').map((rate) => [rate.month, rate.usdCny])),
    );
  });

  it('omits usdCny of an order without its own rate and writes an open flag as null', () => {
    const orders = scenario.orders as Row[];

    rowsOf('orders.csv').forEach((row, i) => {
      const { usdCny, ...rest } = row;
      const expected = JSON.stringify(usdCny === '' ? rest : row);
      if (JSON.stringify(orders[i]) !== expected) expect(orders[i]).toEqual(JSON.parse(expected));
    });
    const flags = (scenario.merchants as Array<{ riskFlags?: Array<{ to: unknown }> }>).flatMap(
      (merchant) => merchant.riskFlags ?? [],
    );
    const openInCsv = rowsOf('risk-flags.csv').filter((flag) => flag.to === '').length;
    expect(flags.filter((flag) => flag.to === null)).toHaveLength(openInCsv);
  });
});

describe('options', () => {
  it.each([
    ['no merchants', { merchants: 0 }],
    ['a fractional seed', { seed: 1.5 }],
    ['a malformed quarter', { firstQuarter: '2024-5' }],
    ['quarters out of order', { firstQuarter: '2025-Q1', lastQuarter: '2024-Q1' }],
    ['a zero ordersTarget', { ordersTarget: 0 }],
  ])('refuses %s', async (_, change) => {
    expect(() => generateRows({ ...OPTIONS, ...change }).next()).toThrow(RangeError);
    await expect(writeDataset(join(root, 'refused'), { ...OPTIONS, ...change })).rejects.toThrow(
      RangeError,
    );
  });
});
