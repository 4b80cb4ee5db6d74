import { existsSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { LadderError } from '../core/errors.js';
import { groupThousands } from '../core/money.js';
import { formatInstant, instantProblem, isQuarter, parseInstant } from '../core/time.js';
import { checkGenerateOptions, type GenerateOptions, writeDataset } from '../generate/generate.js';
import {
  type AmountExplanation,
  explainFee,
  explainLevel,
  explainRebate,
  explainSubsidy,
} from '../services/explain.js';
import { importDirectory } from '../services/import.js';
import { type ProgrammeReport, programmeReport } from '../services/programme-report.js';
import { runUntil } from '../services/run.js';
import { withRunLock } from '../services/run-lock.js';
import type { Db } from '../store/db.js';
import { progressReporter } from './progress.js';
import { type StoreFlags, withExistingStore, withStore } from './store-options.js';
import { renderTable } from './table.js';

export function parseUntil(text: string): number {
  const problem = instantProblem(text);
  // An instant outside the store's years is outside 2000–2100 too: refused below in those words.
  if (problem === 'out-of-range') return refuseUntil(text);
  if (problem) {
    const why =
      problem === 'missing-offset'
        ? 'carries no offset (add +08:00 or Z)'
        : 'is not an instant or date';
    throw new LadderError('INVALID_INPUT', `--until ${why}`, [
      { path: '--until', message: why, value: text },
    ]);
  }
  const at = parseInstant(text);
  const year = new Date(at).getUTCFullYear();
  if (year < 2000 || year > 2100) return refuseUntil(text);
  return at;
}

function refuseUntil(text: string): never {
  throw new LadderError('INVALID_INPUT', '--until is outside 2000–2100', [
    { path: '--until', message: 'must be between 2000 and 2100', value: text },
  ]);
}

export function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1) {
    throw new LadderError('INVALID_INPUT', `${name} must be a whole number above 0`, [
      { path: name, message: 'must be a whole number above 0', value: text },
    ]);
  }
  return value;
}

export interface GenerateFlags {
  readonly out: string;
  readonly merchants: string;
  readonly seed: string;
  readonly orders?: string;
  readonly from: string;
  readonly to: string;
  /** False with `--no-scenario`. */
  readonly scenario?: boolean;
}

export async function generateCommand(flags: GenerateFlags): Promise<void> {
  const options: GenerateOptions = {
    merchants: positiveInteger('--merchants', flags.merchants),
    seed: Number.parseInt(flags.seed, 10),
    firstQuarter: flags.from,
    lastQuarter: flags.to,
    ...(flags.orders === undefined
      ? {}
      : { ordersTarget: positiveInteger('--orders', flags.orders) }),
  };
  try {
    checkGenerateOptions(options);
  } catch (err) {
    // The generator names its options; the user typed flags.
    const message = (err as Error).message
      .replace(/\bfirstQuarter\b/g, '--from')
      .replace(/\blastQuarter\b/g, '--to')
      .replace(/\bordersTarget\b/g, '--orders')
      .replace(/^merchants\b/, '--merchants')
      .replace(/^seed\b/, '--seed');
    throw new LadderError('INVALID_INPUT', message);
  }
  if (existsSync(flags.out) && !statSync(flags.out).isDirectory()) {
    throw new LadderError('INVALID_INPUT', `--out ${flags.out} is a file, not a directory`, [
      { path: '--out', message: 'is a file, not a directory', value: flags.out },
    ]);
  }
  // A bar on a terminal; nothing in a pipe or CI, where the summary below is enough.
  const progress = progressReporter('generate', { withoutTerminal: 'silent' });
  const summary = await writeDataset(
    flags.out,
    options,
    (done, total) => progress.update(done, total, 'merchants'),
    { scenario: flags.scenario !== false },
  );
  progress.stop();
  for (const [file, rows] of Object.entries(summary.files))
    process.stderr.write(`${file}: ${rows} rows\n`);
  if (summary.scenarioPath !== null) process.stderr.write(`scenario: ${summary.scenarioPath}\n`);
}

export async function importCommand(
  dir: string,
  flags: StoreFlags & { skipBad?: boolean; rejected: string; bulkLoad?: boolean },
): Promise<void> {
  // Refuse before a store is created or anything is read.
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new LadderError('INVALID_INPUT', `${dir} is not a directory`, [
      { path: 'DIR', message: 'is not a directory', value: dir },
    ]);
  }
  if (flags.skipBad) {
    // The rejected rows must have somewhere to go before good ones are committed.
    try {
      await writeFile(flags.rejected, '');
    } catch (err) {
      throw new LadderError(
        'INVALID_INPUT',
        `cannot write ${flags.rejected}: ${(err as Error).message}`,
        [{ path: '--rejected', message: 'is not a writable file', value: flags.rejected }],
      );
    }
  }
  await withStore(flags, (db) => importInto(db, dir, flags));
}

export async function importInto(
  db: Db,
  dir: string,
  flags: { skipBad?: boolean; rejected: string; bulkLoad?: boolean },
): Promise<void> {
  const progress = progressReporter('import');
  const result = await importDirectory(db, dir, {
    skipBad: flags.skipBad ?? false,
    bulkLoad: flags.bulkLoad ?? false,
    onProgress: ({ file, bytesRead, bytesTotal, rows, phase }) =>
      progress.update(
        bytesRead,
        bytesTotal,
        `${file} ${rows} rows${phase === undefined || phase === 'reading' ? '' : `, ${phase}`}`,
      ),
  });
  progress.stop();
  process.stderr.write(
    `${renderTable(
      ['file', 'rows', 'inserted', 'unchanged', 'rejected'],
      result.files.map((f) => [f.file, f.rows, f.inserted, f.unchanged, f.rejected]),
    )}\n`,
  );
  if (result.rulebookVersions.length > 0) {
    const versions = result.rulebookVersions.join(', ');
    process.stderr.write(`monthly rates published as rulebook ${versions}\n`);
  }
  if (result.rejected.length > 0) {
    const csv = stringify(
      result.rejected.map((issue) => {
        const [where = '', field = ''] = issue.path.split(' ');
        const [file, line] = where.split(':');
        return {
          file,
          line,
          field,
          value: issue.value === undefined ? '' : String(issue.value),
          message: issue.message,
        };
      }),
      { header: true, columns: ['file', 'line', 'field', 'value', 'message'] },
    );
    await writeFile(flags.rejected, csv);
    process.stderr.write(
      `${result.rejected.length} bad row(s) left out, listed in ${resolve(flags.rejected)}\n`,
    );
  }
}

export async function runCommand(
  flags: StoreFlags & { until: string; allowFuture?: boolean },
): Promise<void> {
  const until = parseUntil(flags.until);
  // Assessing a quarter before its orders have all arrived would freeze a level too early.
  if (until > Date.now() && !flags.allowFuture) {
    throw new LadderError('INVALID_INPUT', '--until is in the future', [
      {
        path: '--until',
        message:
          'is after now: orders of that time may not have arrived yet (--allow-future to insist)',
        value: flags.until,
      },
    ]);
  }
  await withExistingStore(flags, async (db) => {
    // A server on the same PostgreSQL may be running too: one run at a time.
    const summary = await withRunLock(db, () => runUntil(db, until));
    printRunSummary(summary, until);
  });
}

export function printRunSummary(
  summary: Awaited<ReturnType<typeof runUntil>>,
  until: number,
): void {
  for (const a of summary.assessments) {
    process.stderr.write(
      `assessed ${a.service} ${a.quarter}: ${a.merchants} merchants, effective ${a.effectiveAt}\n`,
    );
  }
  process.stderr.write(
    `run until ${formatInstant(until)}: ${summary.fees} fees, ${summary.statusChanges} status changes, ` +
      `${summary.charges} charges, ${summary.settlements} settlements\n`,
  );
}

const REPORT_TABLES = ['levels', 'quarters', 'coupons', 'fee-errors'] as const;
type ReportTable = (typeof REPORT_TABLES)[number];

export async function reportCommand(
  flags: StoreFlags & { format: string; table?: string },
): Promise<void> {
  const table = flags.table;
  if (table !== undefined && !(REPORT_TABLES as readonly string[]).includes(table)) {
    throw new LadderError('INVALID_INPUT', `--table must be one of ${REPORT_TABLES.join(', ')}`, [
      { path: '--table', message: `must be one of ${REPORT_TABLES.join(', ')}`, value: table },
    ]);
  }
  await withExistingStore(flags, async (db) =>
    process.stdout.write(
      renderReport(await programmeReport(db), flags.format, table as ReportTable | undefined),
    ),
  );
}

/** The report as JSON, CSV or text tables; `only` keeps one of its three tables (a CSV file of one header). */
export function renderReport(report: ProgrammeReport, format: string, only?: ReportTable): string {
  if (format === 'json') return `${JSON.stringify(report, null, 2)}\n`;
  const levelNames = [...new Set(report.levels.map((l) => l.level))].sort();
  const services = [...new Set(report.levels.map((l) => l.service))].sort();
  const levelRows = services.flatMap((service) =>
    [...new Set(report.levels.filter((l) => l.service === service).map((l) => l.quarter))].map(
      (quarter) => [
        service,
        quarter,
        ...levelNames.map(
          (name) =>
            report.levels.find(
              (l) => l.service === service && l.quarter === quarter && l.level === name,
            )?.merchants ?? 0,
        ),
      ],
    ),
  );
  const quarterHeaders = [
    'quarter',
    'jumps',
    'rebates CNY',
    'suppressed',
    'fees',
    'reversed',
    'errors',
    'fee net CNY',
    'VAT CNY',
    'standard CNY',
    'discount cost CNY',
    'subsidised',
    'subsidies CNY',
  ];
  const quarterRows = report.quarters.map((q) => [
    q.quarter,
    q.jumps,
    q.rebatesIssuedCny,
    q.rebatesSuppressed,
    q.feesCharged,
    q.feesReversed,
    q.feeErrors,
    q.feeNetCny,
    q.feeVatCny,
    q.standardFeeNetCny,
    q.discountCostCny,
    q.settlementsSubsidised,
    q.subsidiesCny,
  ]);
  if (format === 'csv') {
    const tables: Record<ReportTable, string> = {
      levels: stringify([['service', 'quarter', ...levelNames], ...levelRows]),
      quarters: stringify([quarterHeaders, ...quarterRows]),
      coupons: stringify([Object.keys(report.coupons), Object.values(report.coupons).map(String)]),
      'fee-errors': stringify([
        ['code', 'count'],
        ...report.feeErrors.map((e) => [e.code, e.count]),
      ]),
    };
    return only === undefined ? REPORT_TABLES.map((name) => tables[name]).join('\n') : tables[only];
  }
  if (format !== 'table') {
    throw new LadderError('INVALID_INPUT', '--format must be table, json or csv', [
      { path: '--format', message: 'must be table, json or csv', value: format },
    ]);
  }
  const grouped = (rows: (string | number)[][]) =>
    rows.map((row) =>
      row.map((cell) =>
        typeof cell === 'string' && /^\d+\.\d\d$/.test(cell) ? groupThousands(cell) : cell,
      ),
    );
  const c = report.coupons;
  return [
    'Merchants per level (assessment of each quarter)',
    renderTable(['service', 'quarter', ...levelNames], levelRows),
    '',
    'Per quarter (fees by clearance quarter; rebates by assessed quarter)',
    renderTable(quarterHeaders, grouped(quarterRows)),
    '',
    'Coupons',
    renderTable(
      ['coupons', 'issued CNY', 'used CNY', 'of which forfeited', 'expired CNY', 'outstanding CNY'],
      grouped([[c.count, c.issuedCny, c.usedCny, c.forfeitedCny, c.expiredCny, c.outstandingCny]]),
    ),
    report.feeErrors.length > 0
      ? `\nFees not computed: ${report.feeErrors.map((e) => `${e.code} ${e.count}`).join(', ')}`
      : '',
    report.lateOrders > 0
      ? `Late orders (arrived after their quarter was assessed): ${report.lateOrders}`
      : '',
    '',
  ].join('\n');
}

function quarterArg(text: string): void {
  if (!isQuarter(text)) {
    throw new LadderError('INVALID_INPUT', 'QUARTER must be a quarter such as 2024-Q3', [
      { path: 'QUARTER', message: 'must be a quarter such as 2024-Q3', value: text },
    ]);
  }
}

export async function explainCommand(
  kind: string,
  args: string[],
  flags: StoreFlags & { service: string; lang: string },
): Promise<void> {
  const LANGS = ['zh-CN', 'en', 'both', 'json'];
  if (!LANGS.includes(flags.lang)) {
    throw new LadderError('INVALID_INPUT', `--lang must be one of ${LANGS.join(', ')}`, [
      { path: '--lang', message: `must be one of ${LANGS.join(', ')}`, value: flags.lang },
    ]);
  }
  await withExistingStore(flags, async (db) => {
    const found: AmountExplanation[] = [];
    const [first = '', second = ''] = args;
    // fee and subsidy take any number of ids; level and rebate one merchant and quarter.
    const need = (n: number, usage: string, many = false) => {
      if (args.length < n || (!many && args.length > n)) {
        throw new LadderError('INVALID_INPUT', `usage: ladder explain ${usage}`, [
          { path: 'IDS', message: `must be ${usage.split(' ').slice(1).join(' ')}`, value: args },
        ]);
      }
    };
    switch (kind) {
      case 'fee':
        need(1, 'fee ORDER_ID...', true);
        for (const id of args) found.push(await explainFee(db, id));
        break;
      case 'subsidy':
        need(1, 'subsidy SETTLEMENT_ID...', true);
        for (const id of args) found.push(await explainSubsidy(db, id));
        break;
      case 'level':
        need(2, 'level MERCHANT_ID QUARTER');
        quarterArg(second);
        found.push(await explainLevel(db, first, second, flags.service));
        break;
      case 'rebate':
        need(2, 'rebate MERCHANT_ID QUARTER');
        quarterArg(second);
        found.push(await explainRebate(db, first, second, flags.service));
        break;
      default:
        throw new LadderError(
          'INVALID_INPUT',
          `cannot explain "${kind}": use fee, rebate, subsidy or level`,
          [{ path: 'KIND', message: 'must be fee, rebate, subsidy or level', value: kind }],
        );
    }
    if (flags.lang === 'json') {
      const out = found.length === 1 ? found[0] : found;
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      return;
    }
    process.stdout.write(
      `${found
        .map((one) =>
          [
            ...(flags.lang !== 'en' ? [one.zh] : []),
            ...(flags.lang !== 'zh-CN' ? [one.en] : []),
            `(rulebook ${one.rulebook})`,
          ].join('\n'),
        )
        .join('\n\n')}\n`,
    );
  });
}
