#!/usr/bin/env node
// Ladder's benchmark: every figure beside a baseline measured in the same run,
// printed as a ratio, so that a slower machine does not read as a regression.
//
//   npm run build && npm run bench [-- --scale quick|full]
//
// quick (CI): 20,000 orders; full: 100,000 orders. Results go to
// bench/results.json; docs/PERFORMANCE.md says how to read them.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (path) => join(root, 'dist', path);
const scaleArg = process.argv.indexOf('--scale');
const scale = scaleArg > 0 ? process.argv[scaleArg + 1] : 'quick';
const SIZES = {
  quick: { orders: 20_000, merchants: 300, fees: 20_000 },
  full: { orders: 100_000, merchants: 1_000, fees: 200_000 },
};
const size = SIZES[scale];
if (!size) {
  console.error(`--scale must be quick or full, got ${scale}`);
  process.exit(2);
}

const { quoteFee } = await import(dist('core/fee.js'));
const { Dec, dec, roundFenHalfUp } = await import(dist('core/money.js'));
const { parseRulebook } = await import(dist('core/rulebook/rulebook.js'));
const { SHIPPED_RULEBOOKS } = await import(dist('core/rulebook/shipped.js'));

/** Fees per second through the core's quoteFee, against the bare arithmetic it must do. */
function feesInCore(n) {
  const parsed = parseRulebook(SHIPPED_RULEBOOKS['3n-2024-07']);
  if (!parsed.ok) throw new Error('shipped rulebook invalid');
  const rulebook = parsed.rulebook;
  const clearedAt = Date.parse('2024-08-15T02:00:00Z');
  const amounts = Array.from({ length: 1000 }, (_, i) =>
    dec(`${1000 + i * 37}.${String(i % 100).padStart(2, '0')}`),
  );
  const usdCny = dec('7.1234');

  // Baseline: the same decimal steps with nothing around them.
  const rate = dec('0.015');
  const discount = dec('0.65');
  const min = dec('130');
  const max = dec('390');
  const vatRate = dec('0.06');
  let sink = new Dec(0);
  let t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const raw = amounts[i % 1000].times(usdCny).times(rate).times(discount);
    const net = roundFenHalfUp(raw.lt(min) ? min : raw.gt(max) ? max : raw);
    sink = sink.plus(net.plus(roundFenHalfUp(net.times(vatRate))));
  }
  const bareSeconds = Number(process.hrtime.bigint() - t) / 1e9;

  t = process.hrtime.bigint();
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
  const coreSeconds = Number(process.hrtime.bigint() - t) / 1e9;
  if (sink.isNaN()) throw new Error('unreachable');
  return {
    what: 'fees in the core',
    figure: Math.round(n / coreSeconds),
    unit: 'fees/s',
    baseline: Math.round(n / bareSeconds),
    baselineWhat: 'bare loop of the same decimal arithmetic',
    ratio: Number((bareSeconds / coreSeconds).toFixed(3)),
    aim: '≥ 0.5',
  };
}

function timeCommand(args) {
  const t = process.hrtime.bigint();
  const run = spawnSync(join(root, 'bin', 'ladder'), args, {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  if (run.status !== 0) throw new Error(`ladder ${args.join(' ')} failed: ${run.stderr}`);
  return Number(process.hrtime.bigint() - t) / 1e9;
}

/** A generated scenario replayed on a fresh embedded store, from process start. */
function replay() {
  const dir = mkdtempSync(join(tmpdir(), 'ladder-bench-'));
  try {
    timeCommand([
      'generate',
      '--out',
      dir,
      '--merchants',
      String(size.merchants),
      '--orders',
      String(size.orders),
      '--seed',
      '7',
    ]);
    const announcement = join(root, '..', 'shared', 'cases', 'announcement.json');
    const small = timeCommand(['replay', announcement]);
    const large = timeCommand(['replay', join(dir, 'scenario.json')]);
    return [
      {
        what: 'announcement case replayed',
        figure: Number(small.toFixed(2)),
        unit: 's from process start',
        aim: '< 2 s',
      },
      {
        what: `replay of ${size.orders} generated orders`,
        figure: Number(large.toFixed(2)),
        unit: 's from process start',
        baseline: Number(small.toFixed(2)),
        baselineWhat: 'replay of the announcement case (start-up and store creation)',
        ratio: Number((large / small).toFixed(1)),
        ordersPerSecond: Math.round(size.orders / (large - small)),
        aim: scale === 'full' ? '< 30 s' : '—',
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const results = {
  scale,
  machine: `${process.platform} ${process.arch}, node ${process.version}`,
  at: new Date().toISOString(),
  figures: [feesInCore(size.fees), ...replay()],
};
for (const f of results.figures) {
  const base =
    f.baseline === undefined
      ? ''
      : `   baseline ${f.baseline} (${f.baselineWhat}), ratio ${f.ratio}`;
  console.log(`${f.what}: ${f.figure} ${f.unit}${base}   aim ${f.aim}`);
}
writeFileSync(join(root, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
