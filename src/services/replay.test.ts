import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Decimal } from 'decimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LadderError } from '../core/errors.js';
import { parseInstant } from '../core/time.js';
import type { Db } from '../store/db.js';
import { HAVE_SHARED_CASES, SHARED_CASES } from '../test-support/shared-cases.js';
import { STORES } from '../test-support/stores.js';
import { replayScenario } from './replay.js';
import { runUntil } from './run.js';

/**
 * The shared acceptance cases (SPEC §12), replayed in-process on every store,
 * plus what a single replay cannot show: that replaying is deterministic to
 * the byte, that running again applies nothing twice, and that the coupon
 * ledger keeps its invariants.
 */

const casesDir = SHARED_CASES;
const haveCases = HAVE_SHARED_CASES;

interface Case {
  readonly name: string;
  readonly scenario: unknown;
}

interface ValidCase extends Case {
  readonly expected: unknown;
}

interface InvalidCase extends Case {
  readonly exitCode: number;
}

const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));

function loadCases(): { valid: ValidCase[]; invalid: InvalidCase[] } {
  const valid: ValidCase[] = [];
  const invalid: InvalidCase[] = [];
  if (!haveCases) return { valid, invalid };
  const names = readdirSync(casesDir)
    .filter((file) => file.endsWith('.json') && !file.endsWith('.expected.json'))
    .map((file) => file.slice(0, -'.json'.length))
    .sort();
  for (const name of names) {
    const scenario = readJson(join(casesDir, `${name}.json`));
    const expectedPath = join(casesDir, `${name}.expected.json`);
    const exitPath = join(casesDir, `${name}.expected-exit.txt`);
    if (existsSync(expectedPath)) {
      valid.push({ name, scenario, expected: readJson(expectedPath) });
    } else if (existsSync(exitPath)) {
      invalid.push({ name, scenario, exitCode: Number(readFileSync(exitPath, 'utf8').trim()) });
    }
  }
  return { valid, invalid };
}

const { valid: VALID, invalid: INVALID } = loadCases();

/**
 * A report as SPEC §12 compares it: coupon ids and error messages are the
 * engine's own and dropped, and a null field is the same as an absent one.
 */
function comparable(value: unknown, key?: string): unknown {
  if (Array.isArray(value)) return value.map((item) => comparable(item));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === null || v === undefined || k === 'couponId') continue;
    if (key === 'error' && k === 'message') continue;
    out[k] = comparable(v, k);
  }
  return out;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** One line per difference, named by its JSON path, so that a failure says where. */
function differences(expected: unknown, actual: unknown, path = '$'): string[] {
  if (Array.isArray(expected) && Array.isArray(actual)) {
    const length = Math.max(expected.length, actual.length);
    return Array.from({ length }, (_, i) =>
      differences(expected[i], actual[i], `${path}[${i}]`),
    ).flat();
  }
  if (isRecord(expected) && isRecord(actual)) {
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
    return [...keys].flatMap((k) => differences(expected[k], actual[k], `${path}.${k}`));
  }
  if (JSON.stringify(expected) === JSON.stringify(actual)) return [];
  return [`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
}

function reportDifferences(expected: unknown, actual: unknown): string[] {
  return differences(comparable(expected), comparable(actual));
}

/** The report as `ladder replay` prints it. */
const printed = (report: unknown) => `${JSON.stringify(report, null, 2)}\n`;

async function withStore<T>(open: () => Promise<Db>, work: (db: Db) => Promise<T>): Promise<T> {
  const db = await open();
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

const RESULT_TABLES = [
  'assessments',
  'fees',
  'jump_rebates',
  'coupons',
  'ledger_entries',
  'coupon_uses',
  'charge_results',
  'settlement_results',
  'events',
  'assessment_runs',
] as const;

async function rowCounts(db: Db, tables: readonly string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const rows = await db.query<{ n: string | number }>(`SELECT count(*) AS n FROM ${table}`);
    counts[table] = Number(rows[0]?.n);
  }
  return counts;
}

function asOfOf(scenario: unknown): number {
  if (!isRecord(scenario) || typeof scenario.asOf !== 'string') {
    throw new Error('a valid case has a string asOf');
  }
  return parseInstant(scenario.asOf);
}

if (!haveCases) {
  describe('shared acceptance cases', () => {
    it.skip(`are absent: no folder at ${casesDir}, so no case was replayed`, () => {});
  });
}

describe.runIf(haveCases).each(STORES)('replay of the shared cases on $name', ({ open }) => {
  it('finds both valid and invalid cases to replay', () => {
    expect(VALID.length).toBeGreaterThan(0);
    expect(INVALID.length).toBeGreaterThan(0);
  });

  it.each(VALID)('replays $name to the expected report', async ({ scenario, expected }) => {
    const report = await withStore(open, (db) => replayScenario(db, scenario));

    expect(reportDifferences(expected, report)).toEqual([]);
  });

  it.each(INVALID)('refuses $name whole, with a LadderError', async ({ scenario, exitCode }) => {
    // Exit code 2 is how the CLI reports a LadderError (src/cli/errors.ts).
    expect(exitCode).toBe(2);

    await withStore(open, async (db) => {
      const before = await rowCounts(db, ['rulebook_versions', 'merchants', 'orders', 'charges']);

      await expect(replayScenario(db, scenario)).rejects.toBeInstanceOf(LadderError);

      expect(await rowCounts(db, Object.keys(before))).toEqual(before);
    });
  });

  it.each(VALID)('prints the same bytes when $name is replayed twice', async ({ scenario }) => {
    const first = await withStore(open, (db) => replayScenario(db, scenario));
    const second = await withStore(open, (db) => replayScenario(db, scenario));

    expect(printed(second)).toBe(printed(first));
  });

  it.each(VALID)('applies $name exactly once when runUntil runs again', async ({ scenario }) => {
    await withStore(open, async (db) => {
      const report = await replayScenario(db, scenario);
      const before = await rowCounts(db, RESULT_TABLES);

      await runUntil(db, asOfOf(scenario));

      expect(await rowCounts(db, RESULT_TABLES)).toEqual(before);
      const again = await replayScenario(db, scenario);
      expect(printed(again)).toBe(printed(report));
      expect(await rowCounts(db, RESULT_TABLES)).toEqual(before);
    });
  });
});

describe.runIf(haveCases && STORES.length > 1)('replay across stores', () => {
  it.each(VALID)('prints the same bytes for $name on every store', async ({ scenario }) => {
    const outputs = new Map<string, string>();
    for (const store of STORES) {
      outputs.set(
        store.name,
        printed(await withStore(store.open, (db) => replayScenario(db, scenario))),
      );
    }

    expect(new Set(outputs.values()).size).toBe(1);
  });
});

interface LedgerRow {
  key: string;
  kind: string;
  merchant_id: string;
  debit_account: string;
  credit_account: string;
  amount_cny: string;
  coupon_id: string;
  charge_id: string | null;
}

interface LedgerState {
  readonly entries: LedgerRow[];
  readonly coupons: { id: string; merchant_id: string; face_cny: string }[];
  readonly uses: { coupon_id: string; amount_cny: string }[];
  readonly charges: { charge_id: string; paid_by_coupons_cny: string }[];
}

async function readLedger(db: Db): Promise<LedgerState> {
  return {
    entries: await db.query<LedgerRow>(
      `SELECT key, kind, merchant_id, debit_account, credit_account, amount_cny, coupon_id,
              charge_id
       FROM ledger_entries ORDER BY seq`,
    ),
    coupons: await db.query('SELECT id, merchant_id, face_cny FROM coupons ORDER BY id'),
    uses: await db.query('SELECT coupon_id, amount_cny FROM coupon_uses'),
    charges: await db.query('SELECT charge_id, paid_by_coupons_cny FROM charge_results'),
  };
}

/** Sums CNY amounts exactly; the result prints without trailing zeros ('350.00' is '350'). */
const sumCny = (rows: readonly { amount_cny: string }[]): string =>
  rows.reduce((total, row) => total.plus(row.amount_cny), new Decimal(0)).toString();

const exact = (text: string) => new Decimal(text).toString();

/** A coupon account is credit-normal: its balance is what was credited less what was debited. */
function couponBalance(entries: readonly LedgerRow[], couponId: string): Decimal {
  const account = `coupon:${couponId}`;
  const credits = sumCny(entries.filter((e) => e.credit_account === account));
  const debits = sumCny(entries.filter((e) => e.debit_account === account));
  return new Decimal(credits).minus(debits);
}

describe.runIf(haveCases).each(STORES)(
  'coupon ledger after the announcement on $name',
  ({ open }) => {
    // One replay for the suite; every case below only reads what it wrote.
    let db: Db;
    let ledger: LedgerState;
    let wallets: { merchantId: string; balanceCny: string }[];

    beforeAll(async () => {
      const announcement = VALID.find((c) => c.name === 'announcement');
      if (!announcement) throw new Error(`no announcement case in ${casesDir}`);
      db = await open();
      wallets = (await replayScenario(db, announcement.scenario)).wallets;
      ledger = await readLedger(db);
    });

    afterAll(async () => {
      await db?.close();
    });

    it('has coupons issued and spent, so that the checks below are not vacuous', () => {
      expect(ledger.coupons.length).toBeGreaterThan(0);
      expect(ledger.entries.filter((e) => e.kind === 'use').length).toBeGreaterThan(0);
    });

    it('moves an amount above zero between two different accounts in every entry', () => {
      for (const entry of ledger.entries) {
        expect(new Decimal(entry.amount_cny).gt(0), entry.key).toBe(true);
        expect(entry.debit_account, entry.key).not.toBe(entry.credit_account);
      }
    });

    it('leaves every coupon at its face value less what was used, never below zero', () => {
      for (const coupon of ledger.coupons) {
        const balance = couponBalance(ledger.entries, coupon.id);
        const used = sumCny(ledger.uses.filter((u) => u.coupon_id === coupon.id));
        const expired = sumCny(
          ledger.entries.filter((e) => e.coupon_id === coupon.id && e.kind === 'expire'),
        );

        expect(balance.gte(0), coupon.id).toBe(true);
        expect(balance.toString(), coupon.id).toBe(
          new Decimal(coupon.face_cny).minus(used).minus(expired).toString(),
        );
      }
    });

    it('reports each wallet as the sum of its coupon balances', () => {
      for (const wallet of wallets) {
        const own = ledger.coupons.filter((c) => c.merchant_id === wallet.merchantId);
        const balance = own.reduce(
          (total, coupon) => total.plus(couponBalance(ledger.entries, coupon.id)),
          new Decimal(0),
        );

        expect(exact(wallet.balanceCny), wallet.merchantId).toBe(balance.toString());
      }
    });

    it('records as coupon use exactly what each charge says coupons paid', () => {
      for (const charge of ledger.charges) {
        const uses = ledger.entries.filter(
          (e) => e.kind === 'use' && e.charge_id === charge.charge_id,
        );

        expect(sumCny(uses), charge.charge_id).toBe(exact(charge.paid_by_coupons_cny));
      }
    });
  },
);
