import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db, Queryable } from '../store/db.js';
import { DISTRIBUTION } from '../store/distribution.js';
import { openTestApp, type TestApp } from '../test-support/http.js';
import { COUPON_A, loadFixture } from '../test-support/http-fixture.js';
import { STORES } from '../test-support/stores.js';

/**
 * A merchant's reads stay a few index look-ups whatever the size of the data:
 * every SELECT that a merchant-facing route sends is planned as on a large
 * store (PLANNER_OFF), and each scan of a table that grows with the data must
 * then be an index scan bounded by an index condition. With seq scans off the
 * planner still falls back to a Seq Scan where no index can serve, so a Seq
 * Scan in these plans means an index is missing, not that the table is small;
 * an index scan without a condition means a walk of the whole index.
 */

/** The tables that grow with merchants and orders: those distributed by merchant. */
const GROWING = new Set(DISTRIBUTION.distributed.map((placed) => placed.table));

interface PlanNode {
  readonly 'Node Type': string;
  readonly 'Relation Name'?: string;
  readonly 'Index Name'?: string;
  readonly 'Index Cond'?: string;
  readonly Plans?: readonly PlanNode[];
}

interface ScanFinding {
  readonly relation: string;
  readonly node: string;
  readonly index: string | null;
  readonly bounded: boolean;
}

/** Every scan of a growing table in a plan tree, with whether an index condition bounds it. */
function growingScans(node: PlanNode, out: ScanFinding[] = []): ScanFinding[] {
  const relation = node['Relation Name'];
  if (relation !== undefined && GROWING.has(relation)) {
    const type = node['Node Type'];
    const indexed =
      type === 'Index Scan' || type === 'Index Only Scan' || type === 'Bitmap Heap Scan';
    out.push({
      relation,
      node: type,
      index: node['Index Name'] ?? null,
      // A Bitmap Heap Scan is bounded by its Bitmap Index Scan child, checked there.
      bounded: type === 'Bitmap Heap Scan' || (indexed && node['Index Cond'] !== undefined),
    });
  }
  if (node['Node Type'] === 'Bitmap Index Scan' && node['Index Cond'] === undefined) {
    out.push({
      relation: node['Index Name'] ?? '?',
      node: 'Bitmap Index Scan',
      index: null,
      bounded: false,
    });
  }
  for (const child of node.Plans ?? []) growingScans(child, out);
  return out;
}

/**
 * Seq scans off, and hash and merge joins too: on a fixture of a few rows the
 * planner would otherwise join by walking a whole (tiny) index, a plan it
 * drops at real sizes. What is left is the plan of a large store: nested
 * loops whose inner side must find its rows through an index.
 */
const PLANNER_OFF = [
  'enable_seqscan',
  'enable_hashjoin',
  'enable_mergejoin',
  'enable_material',
] as const;

interface Explained {
  readonly sql: string;
  readonly scans: ScanFinding[];
}

/** A store that plans each SELECT it is sent (seq scans off) before running it. */
function explaining(db: Db, log: Explained[]): Db {
  const plan = async (tx: Queryable, sql: string, params?: readonly unknown[]) => {
    if (!/^\s*(SELECT|WITH)\b/i.test(sql)) return;
    for (const setting of PLANNER_OFF) await tx.query(`SET LOCAL ${setting} = off`);
    const rows = await tx.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${sql}`, params);
    for (const setting of PLANNER_OFF) await tx.query(`SET LOCAL ${setting} = on`);
    const raw = rows[0]?.['QUERY PLAN'];
    const parsed = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan: PlanNode }[];
    log.push({ sql, scans: growingScans(parsed[0]?.Plan as PlanNode) });
  };
  const wrapTx = (tx: Queryable): Queryable => ({
    async query(sql, params) {
      await plan(tx, sql, params);
      return tx.query(sql, params);
    },
    exec: (sql) => tx.exec(sql),
    copyRows: (table, columns, source) => tx.copyRows(table, columns, source),
  });
  return {
    kind: db.kind,
    async query(sql, params) {
      await db.transaction((tx) => plan(tx, sql, params));
      return db.query(sql, params);
    },
    exec: (sql) => db.exec(sql),
    copyRows: (table, columns, source) => db.copyRows(table, columns, source),
    transaction: (work) => db.transaction((tx) => work(wrapTx(tx))),
    onChange: (changed, lost) => db.onChange(changed, lost),
    close: () => db.close(),
  };
}

const READS = [
  '/v1/merchants/M-A',
  `/v1/merchants/M-A/workbench?at=${encodeURIComponent('2024-09-20T12:00:00+08:00')}`,
  '/v1/merchants/M-A/coupons',
  '/v1/merchants/M-A/fees',
  '/v1/merchants/M-A/settlements',
  '/v1/merchants/M-A/assessments',
  '/v1/merchants/M-A/invoice?from=2024-07-01&to=2024-09-30',
  '/v1/orders/O-A3',
  `/v1/coupons/${COUPON_A}`,
  '/v1/events?limit=20',
  '/v1/explain/fee/O-A3',
  '/v1/explain/subsidy/S-A1',
  '/v1/explain/level/M-A/2024-Q2',
  '/v1/explain/rebate/M-A/2024-Q2',
];

describe.each(STORES)("a merchant's reads on $name", ({ open }) => {
  let t: TestApp;
  let raw: Db;
  const log: Explained[] = [];

  beforeAll(async () => {
    raw = await open();
    const setup = await openTestApp(raw);
    await loadFixture(setup);
    await setup.close();
    t = await openTestApp(explaining(raw, log));
  });

  afterAll(async () => {
    await t.close();
    await raw.close();
  });

  it.each(READS)('%s is index look-ups bounded by a condition, never a table scan', async (url) => {
    log.length = 0;
    const res = await t.call('M-A', 'GET', url);
    expect(res.statusCode, res.body).toBe(200);
    const scans = log.flatMap((q) => q.scans.map((s) => ({ ...s, sql: q.sql.slice(0, 120) })));
    expect(scans.length).toBeGreaterThan(0);
    expect(scans.filter((s) => !s.bounded)).toEqual([]);
  });

  it('catches a read that would scan a whole table', async () => {
    log.length = 0;
    await explaining(raw, log).query('SELECT count(*) FROM orders WHERE amount_usd > 0');
    expect(log[0]?.scans).toEqual([
      expect.objectContaining({ relation: 'orders', bounded: false }),
    ]);
  });
});
