import { readFile, writeFile } from 'node:fs/promises';
import { LadderError } from '../core/errors.js';
import { groupThousands } from '../core/money.js';
import { withRunLock } from '../services/run-lock.js';
import { type SimulationResult, simulate } from '../services/simulate.js';
import { simulationCsv, simulationWorkbook, totalRows } from '../services/simulation-export.js';
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
  // Never beside a run of the engine by a server on the same PostgreSQL.
  const result = await withExistingStore(flags, (db) =>
    withRunLock(db, () =>
      simulate(db, {
        draft,
        from: flags.from,
        to: flags.to,
        ...(flags.base === undefined ? {} : { base: flags.base }),
      }),
    ),
  );

  if (result.carriedMonthlyRates && result.carriedMonthlyRates.length > 0) {
    process.stderr.write(
      `note: the draft had no monthly USD/CNY rate for ${result.carriedMonthlyRates.join(', ')}; ` +
        'carried over from the latest published version\n',
    );
  }
  if (flags.format === 'xlsx') {
    await simulationWorkbook(result).xlsx.writeFile(flags.out ?? 'simulation.xlsx');
    process.stderr.write(`wrote ${flags.out}\n`);
    return;
  }
  const text =
    flags.format === 'json'
      ? `${JSON.stringify(result, null, 2)}\n`
      : flags.format === 'csv'
        ? simulationCsv(result)
        : toTable(result, Number.parseInt(flags.top, 10) || 20);
  if (flags.out) await writeFile(flags.out, text);
  else process.stdout.write(text);
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
    result.moves.length > top
      ? `Level moves: ${result.moves.length}, the first ${top} (--top to see more)`
      : `Level moves: ${result.moves.length}`,
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
