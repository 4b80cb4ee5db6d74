import { readFile, writeFile } from 'node:fs/promises';
import { stringify } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';
import { LadderError } from '../core/errors.js';
import { groupThousands } from '../core/money.js';
import { type SimulationResult, simulate } from '../services/simulate.js';
import { type StoreFlags, withExistingStore } from './store-options.js';
import { renderTable } from './table.js';

export interface SimulateFlags extends StoreFlags {
  readonly draft: string;
  readonly base?: string;
  readonly from: string;
  readonly to: string;
  readonly format: string;
  readonly out?: string;
  readonly top: string;
}

const FORMATS = ['table', 'json', 'csv', 'xlsx'];

export async function simulateCommand(flags: SimulateFlags): Promise<void> {
  if (!FORMATS.includes(flags.format)) {
    throw new LadderError('INVALID_INPUT', `--format must be one of ${FORMATS.join(', ')}`, [
      { path: '--format', message: `must be one of ${FORMATS.join(', ')}`, value: flags.format },
    ]);
  }
  if (flags.format === 'xlsx' && !flags.out) {
    throw new LadderError('INVALID_INPUT', '--format xlsx needs --out FILE', [
      { path: '--out', message: 'is required with --format xlsx' },
    ]);
  }
  let draft: unknown;
  try {
    draft = JSON.parse(await readFile(flags.draft, 'utf8'));
  } catch (err) {
    throw new LadderError(
      'INVALID_INPUT',
      `cannot read ${flags.draft} as JSON: ${(err as Error).message}`,
      [{ path: '--draft', message: 'is not a readable JSON file', value: flags.draft }],
    );
  }
  const result = await withExistingStore(flags, (db) =>
    simulate(db, {
      draft,
      from: flags.from,
      to: flags.to,
      ...(flags.base === undefined ? {} : { base: flags.base }),
    }),
  );

  if (result.carriedMonthlyRates && result.carriedMonthlyRates.length > 0) {
    process.stderr.write(
      `note: the draft had no monthly USD/CNY rate for ${result.carriedMonthlyRates.join(', ')}; ` +
        'carried over from the latest published version\n',
    );
  }
  if (flags.format === 'xlsx') {
    await writeWorkbook(result, flags.out ?? 'simulation.xlsx');
    process.stderr.write(`wrote ${flags.out}\n`);
    return;
  }
  const text =
    flags.format === 'json'
      ? `${JSON.stringify(result, null, 2)}\n`
      : flags.format === 'csv'
        ? toCsv(result)
        : toTable(result, Number.parseInt(flags.top, 10) || 20);
  if (flags.out) await writeFile(flags.out, text);
  else process.stdout.write(text);
}

const TOTAL_LABELS: Record<string, string> = {
  feeErrors: 'orders without a fee (count)',
  feeIncomeCny: 'fee income (net)',
  discountCostCny: 'discount cost',
  rebatesCny: 'jump rebates',
  subsidiesCny: 'FX subsidies',
  couponLiabilityCny: 'coupon liability',
};

function totalRows(result: SimulationResult): string[][] {
  return Object.keys(result.totals.base).map((key) => {
    const k = key as keyof SimulationResult['totals']['base'];
    return [
      TOTAL_LABELS[k] ?? k,
      result.totals.base[k],
      result.totals.draft[k],
      result.totals.difference[k],
    ];
  });
}

function toTable(result: SimulationResult, top: number): string {
  const g = (rows: string[][]) =>
    rows.map((row) =>
      row.map((cell) => (/^-?\d+\.\d\d$/.test(cell) ? groupThousands(cell) : cell)),
    );
  const movers = result.merchants.filter((m) => m.netImpactCny !== '0.00').slice(0, top);
  return [
    `Simulation ${result.from} … ${result.to}: base ${result.baseRulebook}, draft ${result.draftRulebook}`,
    '',
    'Totals (CNY)',
    renderTable(['', 'base', 'draft', 'difference'], g(totalRows(result))),
    '',
    'Merchants per level',
    renderTable(
      ['service', 'quarter', 'level', 'base', 'draft', 'difference'],
      result.levelCounts.map((c) => [
        c.service,
        c.quarter,
        c.level,
        c.base,
        c.draft,
        c.draft - c.base,
      ]),
    ),
    '',
    `Level moves: ${result.moves.length}`,
    renderTable(
      ['merchant', 'service', 'quarter', 'amount USD', 'base', 'draft'],
      result.moves
        .slice(0, top)
        .map((m) => [
          m.merchantId,
          m.service,
          m.quarter,
          groupThousands(m.amountUsd),
          m.baseLevel ?? '-',
          m.draftLevel ?? '-',
        ]),
    ),
    '',
    `Merchants by impact (top ${top}; fees net of rebates and subsidies, draft − base)`,
    renderTable(
      [
        'merchant',
        'fees base',
        'fees draft',
        'rebates base',
        'rebates draft',
        'subsidies base',
        'subsidies draft',
        'impact',
      ],
      g(
        movers.map((m) => [
          m.merchantId,
          m.base.feesNetCny,
          m.draft.feesNetCny,
          m.base.rebatesCny,
          m.draft.rebatesCny,
          m.base.subsidiesCny,
          m.draft.subsidiesCny,
          m.netImpactCny,
        ]),
      ),
    ),
    '',
  ].join('\n');
}

function merchantRows(result: SimulationResult): string[][] {
  return result.merchants.map((m) => [
    m.merchantId,
    m.base.feesNetCny,
    m.draft.feesNetCny,
    m.base.rebatesCny,
    m.draft.rebatesCny,
    m.base.subsidiesCny,
    m.draft.subsidiesCny,
    m.base.couponsOutstandingCny,
    m.draft.couponsOutstandingCny,
    m.netImpactCny,
  ]);
}

const MERCHANT_HEADERS = [
  'merchantId',
  'feesNetCny base',
  'feesNetCny draft',
  'rebatesCny base',
  'rebatesCny draft',
  'subsidiesCny base',
  'subsidiesCny draft',
  'couponsOutstandingCny base',
  'couponsOutstandingCny draft',
  'netImpactCny',
];

function toCsv(result: SimulationResult): string {
  return stringify([MERCHANT_HEADERS, ...merchantRows(result)]);
}

async function writeWorkbook(result: SimulationResult, path: string): Promise<void> {
  const book = new ExcelJS.Workbook();
  const totals = book.addWorksheet('Totals');
  totals.addRow(['', 'base', 'draft', 'difference']);
  for (const row of totalRows(result)) totals.addRow(row);
  const levels = book.addWorksheet('Levels');
  levels.addRow(['service', 'quarter', 'level', 'base', 'draft']);
  for (const c of result.levelCounts)
    levels.addRow([c.service, c.quarter, c.level, c.base, c.draft]);
  const moves = book.addWorksheet('Moves');
  moves.addRow([
    'merchantId',
    'service',
    'quarter',
    'amountUsd',
    'base',
    'draft',
    'why (base)',
    'why (draft)',
  ]);
  for (const m of result.moves)
    moves.addRow([
      m.merchantId,
      m.service,
      m.quarter,
      m.amountUsd,
      m.baseLevel,
      m.draftLevel,
      m.base?.en ?? '',
      m.draft?.en ?? '',
    ]);
  const merchants = book.addWorksheet('Merchants');
  merchants.addRow(MERCHANT_HEADERS);
  // Amounts stay decimal strings: a spreadsheet float would not be exact to the fen.
  for (const row of merchantRows(result)) merchants.addRow(row);
  await book.xlsx.writeFile(path);
}
