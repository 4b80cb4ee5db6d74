// How the benchmark reports: a figure is what was measured, beside the
// baseline measured in the same run, their ratio, the aim and whether it was
// met; the load average says how busy the machine was meanwhile.
import { loadAverage } from './proc.mjs';

const started = process.hrtime.bigint();

/** A line on stderr for each step, with the time since the start: a long run leaves a log. */
export function step(text) {
  const at = new Date().toISOString().slice(11, 19);
  const since = Math.round(Number(process.hrtime.bigint() - started) / 1e9);
  process.stderr.write(`[${at} +${since}s] ${text}\n`);
}

export function round(value, digits = 3) {
  return value === null || value === undefined ? null : Number(value.toFixed(digits));
}

/**
 * One figure of results.json. `ratio` is always figure over baseline in the
 * unit of the aim: rate over rate, or time over time.
 */
export function figure(fields) {
  const { met, ...rest } = fields;
  return { ...rest, met: met ?? null, loadAverage: loadAverage() };
}

/** Each aim with its ratio (or value) and whether it was met. */
export function aimsOf(figures) {
  return figures
    .filter((f) => f.aim !== undefined)
    .map((f) => ({
      store: f.store,
      what: f.what,
      ratio: f.ratio ?? null,
      figure: f.figure,
      unit: f.unit,
      aim: f.aim,
      met: f.met,
    }));
}

const grouped = (value) =>
  typeof value === 'number' ? value.toLocaleString('en-US', { maximumFractionDigits: 3 }) : '—';

export function printTable(figures) {
  const rows = figures.map((f) => [
    f.store ?? '—',
    f.what,
    `${grouped(f.figure)} ${f.unit}`,
    f.baseline === undefined ? '—' : `${grouped(f.baseline)} ${f.baselineUnit ?? f.unit}`,
    f.ratio === undefined || f.ratio === null ? '—' : String(f.ratio),
    f.aim ?? '—',
    f.met === null ? '—' : f.met ? 'yes' : 'NO',
    f.loadAverage.map((n) => n.toFixed(1)).join(' '),
  ]);
  const header = ['store', 'what', 'figure', 'baseline', 'ratio', 'aim', 'met', 'load'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(r));
}
