#!/usr/bin/env node
// Ladder's benchmark at scale (issue 5). Every figure stands beside a baseline
// measured in the same run on the same machine, and is read as their ratio,
// so that a slower or busier machine does not read as a regression.
//
//   npm run build && npm run bench -- --scale quick|medium|full
//
// `npm run bench` starts a throwaway PostgreSQL 15 (scripts/with-postgres.sh)
// and runs this file with DATABASE_URL set; without a server it refuses. The
// product is reached only as a user reaches it: `ladder generate`, `ladder
// import`, `ladder run`, `ladder token create`, `ladder serve` as child
// processes, and exported service functions for the steps timed in process.
// Results go to bench/results.json (and bench/results.SCALE.json); the
// figures and how to read them are in docs/PERFORMANCE.md.
import {
  linkSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statfsSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import {
  cpuSeconds,
  freePort,
  machine,
  ROOT,
  runLadder,
  seconds,
  startLadder,
} from './lib/proc.mjs';
import { aimsOf, figure, printTable, round, step } from './lib/report.mjs';
import {
  copiesLikeOrders,
  copyIntoBareTable,
  NoPostgres,
  pgliteStore,
  postgresStore,
} from './lib/stores.mjs';

const SIZES = {
  // CI: well under three minutes on two cores.
  quick: {
    postgres: { merchants: 2_000, orders: 100_000 },
    pglite: { merchants: 500, orders: 25_000 },
    fees: 20_000,
    httpSeconds: 4,
    replayOfGenerated: false,
  },
  medium: {
    postgres: { merchants: 20_000, orders: 1_000_000 },
    pglite: { merchants: 20_000, orders: 1_000_000 },
    fees: 100_000,
    httpSeconds: 10,
    replayOfGenerated: true,
  },
  // By hand: tens of minutes.
  full: {
    postgres: { merchants: 200_000, orders: 10_000_000 },
    pglite: { merchants: 20_000, orders: 1_000_000 },
    fees: 200_000,
    httpSeconds: 10,
    replayOfGenerated: true,
  },
};
const SEED = 7;
const FIRST_QUARTER = '2024-Q1';
const LAST_QUARTER = '2025-Q1';
const SERVICE = '3+N';
/** `ladder run` holds a whole step in memory; steps of this many orders keep it near 2 GiB. */
const ORDERS_PER_RUN_STEP = 200_000;
const HTTP_CONNECTIONS = 20;
/** Merchants whose workbench is read: a day's active merchants, not all 200,000. */
const ACTIVE_MERCHANTS = 5_000;
/** The workbench is read as of a day of the last quarter, as a merchant would mid-quarter. */
const WORKBENCH_AT = '2025-03-15';
/** Room a data set takes, files and database, by order: measured about 1.3 KB on PostgreSQL. */
const BYTES_PER_ORDER = 1_600;

const dist = (path) => join(ROOT, 'dist', path);
const { quoteFee } = await import(dist('core/fee.js'));
const { Dec, dec, roundFenHalfUp } = await import(dist('core/money.js'));
const { parseRulebook } = await import(dist('core/rulebook/rulebook.js'));
const { SHIPPED_RULEBOOKS } = await import(dist('core/rulebook/shipped.js'));
const { quarterEnd, quarterStart } = await import(dist('core/time.js'));
const { loadRulebooks } = await import(dist('services/rulebooks.js'));
const { assessmentCalendar, runQuarterAssessment } = await import(dist('services/run.js'));

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : fallback;
}

// ---------------------------------------------------------------------------
// Figures of the core and of replay (no server needed).

/**
 * Fees per second through the core's quoteFee, against the bare arithmetic it
 * must do. Each loop is timed by this process's CPU time, not the clock, and
 * the two take turns three times, each keeping its fastest round: on a machine
 * shared with other work, a burst of load elsewhere then lands on neither.
 */
function feesInCore(n) {
  const parsed = parseRulebook(SHIPPED_RULEBOOKS['3n-2024-07']);
  if (!parsed.ok) throw new Error('shipped rulebook invalid');
  const rulebook = parsed.rulebook;
  const clearedAt = Date.parse('2024-08-15T02:00:00Z');
  const amounts = Array.from({ length: 1000 }, (_, i) =>
    dec(`${1000 + i * 37}.${String(i % 100).padStart(2, '0')}`),
  );
  const usdCny = dec('7.1234');
  const rate = dec('0.015');
  const discount = dec('0.65');
  const min = dec('130');
  const max = dec('390');
  const vatRate = dec('0.06');
  let sink = new Dec(0);

  const cpuSince = (start) => {
    const spent = process.cpuUsage(start);
    return (spent.user + spent.system) / 1e6;
  };

  // Baseline: the same decimal steps with nothing around them.
  const bareLoop = () => {
    const t = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      const raw = amounts[i % 1000].times(usdCny).times(rate).times(discount);
      const net = roundFenHalfUp(raw.lt(min) ? min : raw.gt(max) ? max : raw);
      sink = sink.plus(net.plus(roundFenHalfUp(net.times(vatRate))));
    }
    return cpuSince(t);
  };
  const coreLoop = () => {
    const t = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      const order = {
        id: `O-${i}`,
        merchantId: 'M',
        service: '3+N',
        type: 'TA3N',
        amountUsd: amounts[i % 1000],
        clearedAt,
        usdCny,
      };
      const outcome = quoteFee({
        order,
        level: 'LV4',
        riskFlagged: false,
        monthOrderIndex: 1,
        rulebook,
      });
      if (!outcome.ok) throw new Error(outcome.error.message);
      sink = sink.plus(outcome.quote.grossCny);
    }
    return cpuSince(t);
  };

  let bareSeconds = Number.POSITIVE_INFINITY;
  let coreSeconds = Number.POSITIVE_INFINITY;
  for (let turn = 0; turn < 3; turn++) {
    bareSeconds = Math.min(bareSeconds, bareLoop());
    coreSeconds = Math.min(coreSeconds, coreLoop());
  }
  if (sink.isNaN()) throw new Error('unreachable');
  const ratio = round(bareSeconds / coreSeconds);
  return figure({
    store: 'core',
    what: 'fees in the core (quoteFee), per CPU second, fastest of 3 rounds',
    rows: n,
    figure: Math.round(n / coreSeconds),
    unit: 'fees/CPU s',
    baseline: Math.round(n / bareSeconds),
    baselineWhat: 'bare loop of the same decimal arithmetic, fastest of 3 rounds',
    ratio,
    aim: '≥ 0.5',
    met: ratio >= 0.5,
  });
}

/** The announcement case, from process start: what a user waits for. */
async function announcementReplay() {
  const announcement = join(ROOT, '..', 'shared', 'cases', 'announcement.json');
  const run = await runLadder(['replay', announcement], { env: { DATABASE_URL: '' } });
  return figure({
    store: 'pglite (memory)',
    what: 'announcement case replayed, from process start',
    figure: round(run.seconds, 2),
    unit: 's',
    aim: '< 2 s',
    met: run.seconds < 2,
  });
}

/** 100,000 generated orders replayed on a fresh embedded store, beside the announcement case. */
async function replayOfGenerated(work, announcement) {
  const dir = join(work, 'replay');
  await runLadder([
    'generate',
    ...['--out', dir, '--merchants', '1000', '--orders', '100000', '--seed', String(SEED)],
  ]);
  const run = await runLadder(['replay', join(dir, 'scenario.json')], {
    env: { DATABASE_URL: '' },
    timeoutSeconds: 600,
  });
  rmSync(dir, { recursive: true, force: true });
  return figure({
    store: 'pglite (memory)',
    what: 'replay of 100,000 generated orders (1,000 merchants), from process start',
    rows: 100_000,
    figure: round(run.seconds, 2),
    unit: 's',
    baseline: announcement.figure,
    baselineWhat: 'replay of the announcement case (start-up and store creation)',
    ratio: round(run.seconds / announcement.figure, 1),
    aim: '< 30 s',
    met: run.seconds < 30,
    peakRssMiB: Math.round(Math.max(...run.samples.map((p) => p.rssKiB)) / 1024),
  });
}

// ---------------------------------------------------------------------------
// The data set.

/**
 * RSS at the first point past 10% of the rows and at the first point at
 * 100%, their ratio, and the peak after 10%. `points` carry the fraction of
 * rows done at each sample.
 */
function flatness(points) {
  const at10 = points.find((p) => p.fraction >= 0.1);
  const at100 = points.find((p) => p.fraction >= 1) ?? points[points.length - 1];
  if (at10 === undefined || at100 === undefined) return null;
  const after10 = points.filter((p) => p.fraction >= 0.1).map((p) => p.rssKiB);
  return {
    rssAt10PctMiB: round(at10.rssKiB / 1024, 1),
    rssAt100PctMiB: round(at100.rssKiB / 1024, 1),
    peakRssMiB: round(Math.max(...after10) / 1024, 1),
    ratio: round(at100.rssKiB / at10.rssKiB),
    samples: points.length,
  };
}

function memoryFigure(what, rows, points, extra = {}) {
  const flat = flatness(points);
  return figure({
    store: extra.store ?? null,
    what,
    rows,
    figure: flat?.rssAt100PctMiB ?? null,
    unit: 'MiB RSS at 100% of the rows',
    baseline: flat?.rssAt10PctMiB ?? null,
    baselineWhat: 'RSS of the same process at 10% of the rows',
    baselineUnit: 'MiB',
    ratio: flat?.ratio ?? null,
    aim: '≤ 1.10 (flat within 10%)',
    met: flat === null ? null : flat.ratio <= 1.1,
    ...(flat === null ? {} : { peakRssMiB: flat.peakRssMiB, samples: flat.samples }),
  });
}

/** Hard links of the generated files in three directories, imported one after another. */
function splitDataset(dir) {
  const parts = {
    reference: ['merchants.csv', 'fx-rating-changes.csv', 'risk-flags.csv', 'fx-rates.csv'],
    orders: ['orders.csv'],
    facts: ['order-events.csv', 'charges.csv', 'settlements.csv'],
  };
  const split = {};
  for (const [part, files] of Object.entries(parts)) {
    split[part] = join(dir, 'split', part);
    mkdirSync(split[part], { recursive: true });
    for (const file of files) linkSync(join(dir, file), join(split[part], file));
  }
  return split;
}

/** `ladder generate` with its memory sampled; the orders file's size tells how far it is. */
async function generateDataset(dir, { merchants, orders }) {
  step(`generate ${merchants.toLocaleString()} merchants, ${orders.toLocaleString()} orders`);
  const ordersCsv = join(dir, 'orders.csv');
  const sizeOf = (path) => {
    try {
      return statSync(path).size;
    } catch {
      return 0;
    }
  };
  const points = [];
  const run = await runLadder(
    [
      'generate',
      ...['--out', dir, '--merchants', String(merchants), '--orders', String(orders)],
      ...['--seed', String(SEED), '--from', FIRST_QUARTER, '--to', LAST_QUARTER],
      '--no-scenario',
    ],
    {
      // A small data set is written in well under a second: sample often enough to see it.
      sampleMs: orders < 1_000_000 ? 50 : 250,
      timeoutSeconds: 3 * 3_600,
      onSample: (p) => points.push({ ...p, bytes: sizeOf(ordersCsv) }),
    },
  );
  const rows = Number(/^orders\.csv: (\d+) rows$/m.exec(run.stderr.join('\n'))?.[1]);
  const total = sizeOf(ordersCsv);
  const memory = memoryFigure(
    `memory during generate (${merchants.toLocaleString()} merchants)`,
    rows,
    points.map((p) => ({ fraction: p.bytes / total, rssKiB: p.rssKiB })),
  );
  memory.seconds = round(run.seconds, 1);
  return { dir, merchants, orders: rows, split: splitDataset(dir), memory };
}

// ---------------------------------------------------------------------------
// The figures of one store.

async function ladderImport(store, dir, options = {}) {
  return runLadder(['import', dir, ...store.args], {
    env: store.env,
    timeoutSeconds: 4 * 3_600,
    ...options,
  });
}

/** One `ladder import` of orders.csv with its memory and the server's CPU sampled. */
async function timedImportOfOrders(store, data, extraArgs) {
  const serverBefore = store.serverCpuSeconds();
  const points = [];
  // When each phase of orders.csv began, from the progress lines (`orders.csv N rows, merging`).
  const began = {};
  let lastLine = 0;
  const run = await runLadder(['import', ...extraArgs, data.split.orders, ...store.args], {
    env: store.env,
    timeoutSeconds: 4 * 3_600,
    sampleMs: 500,
    onStderrLine: (line, s, sample) => {
      const rows = /orders\.csv (\d+) rows/.exec(line)?.[1];
      if (rows === undefined) return;
      const phase = /orders\.csv \d+ rows, (\w+)/.exec(line)?.[1] ?? 'reading';
      began[phase] ??= s;
      lastLine = s;
      const point = sample();
      if (point !== null)
        points.push({ fraction: Number(rows) / data.orders, rssKiB: point.rssKiB });
    },
  });
  const serverAfter = store.serverCpuSeconds();
  // Without progress lines, the fraction of the rows is taken as the fraction of the time.
  const memoryPoints =
    points.length > 0
      ? points
      : run.samples.map((p) => ({ fraction: p.s / run.seconds, rssKiB: p.rssKiB }));
  // reading (and COPY to staging) → checking → merging → indexing (bulk load) → the last line.
  const order = ['reading', 'checking', 'merging', 'indexing'].filter((p) => p in began);
  const phasesSeconds = Object.fromEntries(
    order.map((phase, i) => [
      phase,
      round((i + 1 < order.length ? began[order[i + 1]] : lastLine) - began[phase], 2),
    ]),
  );
  phasesSeconds.startAndCommit = round(run.seconds - lastLine + (began.reading ?? 0), 2);
  return {
    run,
    memoryPoints,
    phasesSeconds,
    postgresCpuSeconds: serverAfter === null ? null : serverAfter - serverBefore,
  };
}

function importFigure(store, data, what, timed, bare, extra = {}) {
  const rate = data.orders / timed.run.seconds;
  const bareRate = data.orders / bare.seconds;
  const ratio = round(rate / bareRate, 4);
  return figure({
    store: store.name,
    what,
    rows: data.orders,
    figure: Math.round(rate),
    unit: 'rows/s',
    baseline: Math.round(bareRate),
    baselineWhat: 'raw COPY of the same orders.csv into a bare table (same columns, no index)',
    ratio,
    aim: '≥ 0.7',
    met: ratio >= 0.7,
    seconds: round(timed.run.seconds, 2),
    baselineSeconds: round(bare.seconds, 2),
    whereTheTimeGoes: {
      nodeCpuSeconds: round(timed.run.cpuSeconds, 1),
      postgresCpuSeconds:
        timed.postgresCpuSeconds === null ? null : round(timed.postgresCpuSeconds, 1),
      phasesSeconds: timed.phasesSeconds,
      ...extra,
    },
  });
}

/**
 * `ladder import` of orders.csv alone into a store that already has the
 * merchants, against psql's (or PGlite's) COPY of the same file into a bare
 * table: first as an ordinary import (indexes and foreign keys kept up to
 * date row by row, the table open to readers), then, after the orders are
 * deleted again, with `--bulk-load` (the table held, its secondary indexes
 * and foreign keys built once at the end). Also measured, to say where the
 * time goes: the CPU of Node and of PostgreSQL, and what COPY into a table
 * shaped like the product's orders costs by itself (copiesLikeOrders).
 * Returns both import figures and the memory of the bulk load.
 */
async function importOfOrders(store, data) {
  const csv = join(data.split.orders, 'orders.csv');
  step(`${store.name}: raw COPY of ${data.orders.toLocaleString()} orders into a bare table`);
  const bare = await copyIntoBareTable(store, csv);

  step(`${store.name}: ladder import of the same orders.csv`);
  const ordinary = await timedImportOfOrders(store, data, []);

  step(`${store.name}: orders deleted, then ladder import --bulk-load of the same file`);
  const db = await store.open();
  await db.exec('TRUNCATE orders CASCADE');
  await db.close();
  const bulk = await timedImportOfOrders(store, data, ['--bulk-load']);

  step(`${store.name}: COPY into tables shaped like orders (checks, indexes, foreign keys)`);
  let like = null;
  try {
    like = await copiesLikeOrders(store, csv);
  } catch (err) {
    like = { error: err.message.split('\n')[0] };
  }
  const copyLikeOrders = Object.fromEntries(
    Object.entries(like).map(([k, v]) => [k, typeof v === 'number' ? round(v, 2) : v]),
  );

  const memory = memoryFigure(
    'memory during import of orders.csv (--bulk-load)',
    data.orders,
    bulk.memoryPoints,
    { store: store.name },
  );
  return [
    importFigure(
      store,
      data,
      'import of orders.csv (ladder import, from process start)',
      ordinary,
      bare,
      {
        copyLikeOrders,
      },
    ),
    importFigure(
      store,
      data,
      'import of orders.csv (ladder import --bulk-load, from process start)',
      bulk,
      bare,
    ),
    memory,
  ];
}

/** The instant of the assessment the benchmark times: the last quarter's, from the rulebooks. */
async function lastAssessmentAt(store) {
  const db = await store.open();
  try {
    const due = assessmentCalendar(await loadRulebooks(db)).find(
      (entry) => entry.service === SERVICE && entry.quarter === LAST_QUARTER,
    );
    if (due === undefined)
      throw new Error(`no ${SERVICE} ${LAST_QUARTER} assessment on the calendar`);
    return due.at;
  } finally {
    await db.close();
  }
}

/**
 * `ladder run` up to just before the last quarter's assessment, in steps of
 * about ORDERS_PER_RUN_STEP orders, as a scheduler would run it. No aim: it
 * prices every fee, so that the assessment and the workbench meet the store
 * a merchant would.
 */
async function runOfProgramme(store, data, untilAt) {
  const steps = Math.max(1, Math.ceil(data.orders / ORDERS_PER_RUN_STEP));
  const from = quarterStart(FIRST_QUARTER);
  let fees = 0;
  let totalSeconds = 0;
  let peakKiB = 0;
  for (let i = 1; i <= steps; i++) {
    const until = i === steps ? untilAt - 1 : from + Math.round(((untilAt - 1 - from) * i) / steps);
    const iso = new Date(until).toISOString();
    step(`${store.name}: ladder run --until ${iso} (${i}/${steps})`);
    const run = await runLadder(['run', '--until', iso, ...store.args], {
      env: store.env,
      sampleMs: 500,
      timeoutSeconds: 2 * 3_600,
    });
    fees += Number(/: (\d+) fees/.exec(run.stderr.join('\n'))?.[1] ?? 0);
    totalSeconds += run.seconds;
    peakKiB = Math.max(peakKiB, ...run.samples.map((p) => p.rssKiB));
  }

  // Fresh planner statistics after the bulk of fees, as autovacuum would soon take.
  const db = await store.open();
  await db.exec('ANALYZE');
  await db.close();
  return figure({
    store: store.name,
    what: `ladder run up to the last assessment, in ${steps} step(s)`,
    rows: fees,
    figure: Math.round(fees / totalSeconds),
    unit: 'fees/s',
    seconds: round(totalSeconds, 1),
    peakRssMiB: Math.round(peakKiB / 1024),
  });
}

/** A Db whose every statement is timed, to say how much of a service call is SQL. */
function timedDb(db, log) {
  const timed = (q) => ({
    async query(sql, params) {
      const t = process.hrtime.bigint();
      const rows = await q.query(sql, params);
      log.push({ sql, seconds: seconds(t), rows: rows.length });
      return rows;
    },
    async exec(sql) {
      const t = process.hrtime.bigint();
      await q.exec(sql);
      log.push({ sql, seconds: seconds(t), rows: 0 });
    },
  });
  return {
    kind: db.kind,
    ...timed(db),
    transaction: (work) => db.transaction((tx) => work(timed(tx))),
    close: () => db.close(),
  };
}

function statementSummary(log) {
  const byStatement = new Map();
  for (const entry of log) {
    const key = entry.sql.replace(/\s+/g, ' ').trim().slice(0, 90);
    const seen = byStatement.get(key) ?? { statement: key, count: 0, seconds: 0, rows: 0 };
    seen.count += 1;
    seen.seconds += entry.seconds;
    seen.rows += entry.rows;
    byStatement.set(key, seen);
  }
  return [...byStatement.values()]
    .sort((a, b) => b.seconds - a.seconds)
    .slice(0, 8)
    .map((s) => ({ ...s, seconds: round(s.seconds) }));
}

/**
 * The last quarter's assessment, all merchants, through the product's
 * runQuarterAssessment, against the bare GROUP BY that it must at least run,
 * on the same data through the same driver. The bare query is run once to
 * warm the cache, then three times; the median counts.
 */
async function assessmentOfQuarter(store) {
  step(`${store.name}: assessment of ${SERVICE} ${LAST_QUARTER}`);
  const db = await store.open();
  try {
    const bounds = [SERVICE, quarterStart(LAST_QUARTER), quarterEnd(LAST_QUARTER)].map((v) =>
      typeof v === 'number' ? new Date(v).toISOString() : v,
    );
    const bare = `SELECT merchant_id, sum(amount_usd) FROM orders
      WHERE service = $1 AND cleared_at >= $2 AND cleared_at < $3 GROUP BY merchant_id`;
    let groups = (await db.query(bare, bounds)).length;
    const times = [];
    for (let i = 0; i < 3; i++) {
      const t = process.hrtime.bigint();
      groups = (await db.query(bare, bounds)).length;
      times.push(seconds(t));
    }
    const baseline = times.sort((a, b) => a - b)[1];

    const log = [];
    const t = process.hrtime.bigint();
    const done = await runQuarterAssessment(timedDb(db, log), SERVICE, LAST_QUARTER);
    const productSeconds = seconds(t);
    if (done === null)
      throw new Error(`${SERVICE} ${LAST_QUARTER} was assessed before it was timed`);
    const sqlSeconds = log.reduce((sum, entry) => sum + entry.seconds, 0);

    const ratio = round(productSeconds / baseline, 2);
    return figure({
      store: store.name,
      what: `one quarter's assessment (${SERVICE} ${LAST_QUARTER}, runQuarterAssessment)`,
      rows: done.merchants,
      figure: round(productSeconds, 3),
      unit: 's',
      baseline: round(baseline, 3),
      baselineWhat: `bare SELECT merchant_id, sum(amount_usd) … GROUP BY merchant_id (${groups} groups), median of 3`,
      ratio,
      aim: '≤ 1.3',
      met: ratio <= 1.3,
      whereTheTimeGoes: {
        sqlSeconds: round(sqlSeconds, 3),
        outsideSqlSeconds: round(productSeconds - sqlSeconds, 3),
        statements: statementSummary(log),
      },
    });
  } finally {
    await db.close();
  }
}

/** Merchant ids in a fixed shuffled order, so that reads do not walk the index in order. */
function shuffled(ids) {
  const out = [...ids];
  let state = SEED;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

async function waitForHealth(url, server) {
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    if (server.exited) throw new Error(`ladder serve ended:\n${server.stderr.join('\n')}`);
    try {
      const answer = await fetch(`${url}/healthz`);
      if (answer.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`ladder serve did not answer ${url}/healthz within 180 s`);
}

/** autocannon for a bounded time, with the CPU each side spent meanwhile. */
/** `span`: a number of seconds, or `{ amount }` requests in all. */
async function load(url, span, token, requests, cpu) {
  const before = cpu();
  const started = process.hrtime.bigint();
  const result = await autocannon({
    url,
    connections: HTTP_CONNECTIONS,
    ...(typeof span === 'number' ? { duration: span } : { amount: span.amount }),
    headers: { authorization: `Bearer ${token}` },
    requests,
  });
  const after = cpu();
  const seconds_ = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(
      `${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors, ${result.timeouts} timeouts`,
    );
  }
  const spent = Object.fromEntries(
    Object.entries(after).map(([k, v]) => [
      k,
      v === null ? null : round((v - before[k]) / seconds_, 2),
    ]),
  );
  return {
    rps: typeof span === 'number' ? result.requests.average : result.requests.total / seconds_,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    coresUsed: spent,
    cpuMsPerRequest: Object.fromEntries(
      Object.entries(spent).map(([k, v]) => [
        k,
        v === null ? null : round((v * 1_000 * seconds_) / result.requests.total, 3),
      ]),
    ),
  };
}

/**
 * `ladder serve` on 127.0.0.1 with an operator token (which may read any
 * merchant's workbench, src/http/auth.ts): GET /v1/merchants/{id}/workbench
 * for every merchant in turn, against GET /healthz on the same server.
 */
async function workbenchReads(store, data, httpSeconds) {
  step(`${store.name}: workbench reads for ${data.merchants.toLocaleString()} merchants`);
  const db = await store.open();
  const ids = shuffled((await db.query('SELECT id FROM merchants ORDER BY id')).map((r) => r.id));
  await db.close();
  const active = ids.slice(0, ACTIVE_MERCHANTS);
  const created = await runLadder(['token', 'create', '--operator', ...store.args], {
    env: store.env,
  });
  const token = created.stdout.trim();

  const port = await freePort();
  const server = startLadder(
    ['serve', '--host', '127.0.0.1', '--port', String(port), '--no-scheduler', ...store.args],
    { env: { ...store.env, LOG_LEVEL: 'warn' } },
  );
  server.ended.then(() => {
    server.exited = true;
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(url, server);
    const harnessStart = process.cpuUsage();
    const cpu = () => {
      const harness = process.cpuUsage(harnessStart);
      return {
        server: cpuSeconds(server.pid),
        postgres: store.serverCpuSeconds(),
        loadGenerator: (harness.user + harness.system) / 1e6,
      };
    };
    let next = 0;
    const workbench = [
      {
        method: 'GET',
        setupRequest: (request) => ({
          ...request,
          path: `/v1/merchants/${encodeURIComponent(active[next++ % active.length])}/workbench?at=${WORKBENCH_AT}`,
        }),
      },
    ];
    // The first read of each active merchant goes to the store (the server
    // keeps answers until the store changes, src/http/read-cache.ts): timed
    // on its own, then the reads that follow, as a workbench is read again
    // and again between two changes.
    const cold = await load(url, { amount: active.length }, token, workbench, cpu);
    const trivial = await load(url, httpSeconds, token, [{ method: 'GET', path: '/healthz' }], cpu);
    const reads = await load(url, httpSeconds, token, workbench, cpu);

    const first = figure({
      store: store.name,
      what: `workbench first reads (each of ${active.length.toLocaleString()} merchants once, from the store)`,
      rows: ids.length,
      figure: Math.round(cold.rps),
      unit: 'req/s',
      p99Ms: cold.p99Ms,
      aim: '—',
      met: null,
      workbench: cold,
    });
    return [
      first,
      figure({
        store: store.name,
        what: `workbench reads (GET /v1/merchants/{id}/workbench, ${active.length.toLocaleString()} merchants, ${HTTP_CONNECTIONS} connections, ${httpSeconds} s)`,
        rows: ids.length,
        figure: Math.round(reads.rps),
        unit: 'req/s',
        p99Ms: reads.p99Ms,
        baseline: Math.round(trivial.rps),
        baselineWhat: `GET /healthz on the same server (p99 ${trivial.p99Ms} ms)`,
        baselineUnit: 'req/s',
        ratio: round(reads.rps / trivial.rps),
        aim: '≥ 5,000 req/s and p99 ≤ 20 ms',
        met: reads.rps >= 5_000 && reads.p99Ms <= 20,
        distinctMerchants: Math.min(active.length, reads.requests),
        workbench: reads,
        healthz: trivial,
      }),
    ];
  } finally {
    await server.stop();
  }
}

/** Every figure of one store, on its data set. */
async function benchStore(store, data, httpSeconds) {
  step(`${store.name}: ladder import of merchants, rating changes, flags and monthly rates`);
  await ladderImport(store, data.split.reference);
  const [imported, bulkLoaded, memory] = await importOfOrders(store, data);
  step(`${store.name}: ladder import of order events, charges and settlements`);
  await ladderImport(store, data.split.facts);
  const run = await runOfProgramme(store, data, await lastAssessmentAt(store));
  const assessment = await assessmentOfQuarter(store);
  const reads = await workbenchReads(store, data, httpSeconds);
  return [imported, bulkLoaded, memory, run, assessment, ...reads];
}

// ---------------------------------------------------------------------------

function checkDisk(work, size, stores) {
  const orders = stores.reduce((sum, name) => sum + size[name].orders, 0);
  const needed = orders * BYTES_PER_ORDER;
  const { bavail, bsize } = statfsSync(work);
  const free = bavail * bsize;
  if (free < needed) {
    throw new Error(
      `${work} has ${(free / 2 ** 30).toFixed(1)} GiB free; this scale needs about ` +
        `${(needed / 2 ** 30).toFixed(1)} GiB (--work DIR elsewhere)`,
    );
  }
}

async function main() {
  const scale = option('scale', 'quick');
  const size = SIZES[scale];
  if (!size) {
    console.error(`bench: --scale must be one of ${Object.keys(SIZES).join(', ')}, got ${scale}`);
    process.exit(2);
  }
  const storeNames = option('stores', 'postgres,pglite').split(',');
  if (storeNames.some((name) => !(name in size))) {
    console.error('bench: --stores is a comma-separated list of postgres and pglite');
    process.exit(2);
  }

  let postgres = null;
  if (storeNames.includes('postgres')) {
    try {
      postgres = await postgresStore(process.env.DATABASE_URL);
    } catch (err) {
      if (!(err instanceof NoPostgres)) throw err;
      console.error(`bench: ${err.message}`);
      process.exit(69);
    }
  }

  const work = mkdtempSync(join(option('work', tmpdir()), 'ladder-bench-'));
  const figures = [];
  try {
    checkDisk(work, size, storeNames);
    step(`scale ${scale}; work in ${work}`);
    figures.push(feesInCore(size.fees));
    const announcement = await announcementReplay();
    figures.push(announcement);
    if (size.replayOfGenerated) figures.push(await replayOfGenerated(work, announcement));

    const datasets = new Map();
    for (const name of storeNames) {
      const wanted = size[name];
      const key = `${wanted.merchants}/${wanted.orders}`;
      if (!datasets.has(key)) {
        const data = await generateDataset(join(work, `data-${datasets.size}`), wanted);
        datasets.set(key, data);
        figures.push(data.memory);
      }
      const data = datasets.get(key);
      const store = name === 'postgres' ? postgres : pgliteStore(join(work, 'pglite-store'));
      figures.push(...(await benchStore(store, data, size.httpSeconds)));
    }
  } finally {
    await postgres?.close();
    if (process.argv.includes('--keep')) step(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }

  const results = {
    scale,
    at: new Date().toISOString(),
    machine: { ...machine(), pglite: await pgliteVersion() },
    postgresSettings: postgres?.settings ?? null,
    sizes: Object.fromEntries(storeNames.map((name) => [name, size[name]])),
    figures,
    aims: aimsOf(figures),
  };
  printTable(figures);
  const text = `${JSON.stringify(results, null, 2)}\n`;
  writeFileSync(join(ROOT, 'bench', 'results.json'), text);
  writeFileSync(join(ROOT, 'bench', `results.${scale}.json`), text);
  const missed = results.aims.filter((a) => a.met === false).length;
  console.log(
    `${results.aims.length - missed} of ${results.aims.length} aims met (bench/results.json)`,
  );
}

async function pgliteVersion() {
  const { readFile } = await import('node:fs/promises');
  const path = join(ROOT, 'node_modules', '@electric-sql', 'pglite', 'package.json');
  return JSON.parse(await readFile(path, 'utf8')).version;
}

await main();
