import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { openPgliteMemory } from '../store/pglite.js';
import { citusSetupCommand } from './citus.js';
import {
  explainCommand,
  generateCommand,
  importCommand,
  reportCommand,
  runCommand,
} from './commands.js';
import { demoCommand } from './demo.js';
import { reportFailure } from './errors.js';
import { replayCommand } from './replay.js';
import { rulebookCommands } from './rulebook.js';
import { serveCommand, tokenCreateCommand, tokenListCommand, tokenRevokeCommand } from './serve.js';
import { simulateCommand } from './simulate.js';
import { withStoreOption } from './store-options.js';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

// `ladder replay … | head` closes stdout early: that is not a failure.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const program = new Command();
program
  .name('ladder')
  .description(
    'Runs the 3+N tiered-benefits programme: levels, fees, jump rebates, coupons, FX subsidies.',
  )
  .version(VERSION, '-V, --version')
  .showHelpAfterError()
  // A usage mistake is bad input like any other: exit code 2. Help and version exit 0.
  .exitOverride((err) => {
    const ok = ['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(
      err.code,
    );
    process.exit(ok ? 0 : 2);
  });

program
  .command('replay')
  .description('replay one scenario file (SPEC §12) and print its report as JSON')
  .argument('<file>', 'scenario JSON file')
  .action(replayCommand);

program
  .command('generate')
  .description('write a realistic, seeded merchant base as CSV files and a replay scenario')
  .option('--out <dir>', 'output directory', 'demo-data')
  .option('--merchants <n>', 'number of merchants', '2000')
  .option('--orders <n>', 'aim for about this many orders in all')
  .option('--seed <n>', 'random seed; the same seed gives the same files', '1')
  .option('--from <quarter>', 'first quarter', '2024-Q1')
  .option('--to <quarter>', 'last quarter', '2025-Q1')
  .option('--no-scenario', 'write the CSV files only, not scenario.json (2 GB at 10M orders)')
  .action(generateCommand);

withStoreOption(
  program
    .command('import')
    .description(
      'load the CSV files of a directory into the store; the same files twice change nothing',
    )
    .argument('<dir>', 'directory with merchants.csv, orders.csv, …')
    .option('--skip-bad', 'apply the good rows and write the bad ones to --rejected')
    .option('--rejected <file>', 'where --skip-bad lists the rows it left out', 'rejected.csv')
    .option(
      '--bulk-load',
      'for a first load or a backfill: hold the big tables until done and build their indexes once',
    ),
).action(importCommand);

withStoreOption(
  program
    .command('run')
    .description(
      'run every assessment, fee, charge and settlement due by an instant, each exactly once',
    )
    .requiredOption(
      '--until <instant>',
      'ISO 8601 instant with offset, or a date (00:00 Asia/Shanghai)',
    )
    .option('--allow-future', 'run up to an instant that has not come yet'),
).action(runCommand);

withStoreOption(
  program
    .command('report')
    .description(
      'the programme report: levels, jumps, fees against the standard fee, subsidies, coupons',
    )
    .option('--format <format>', 'table, json or csv', 'table')
    .option(
      '--table <name>',
      'csv: one table alone, a file of one header: levels, quarters, coupons or fee-errors',
    ),
).action(reportCommand);

withStoreOption(
  program
    .command('explain')
    .description('why an amount is what it is, in Chinese and English')
    .argument(
      '<kind>',
      'fee ORDER_ID... | rebate MERCHANT_ID QUARTER | subsidy SETTLEMENT_ID... | level MERCHANT_ID QUARTER',
    )
    .argument('<ids...>')
    .option('--service <service>', 'programme of a level or rebate', '3+N')
    .option('--lang <lang>', 'zh-CN, en, both or json', 'both'),
).action(explainCommand);

withStoreOption(
  program
    .command('demo')
    .description('generate, import, run and report on the embedded store in one go')
    .option('--merchants <n>', 'number of merchants', '2000')
    .option('--seed <n>', 'random seed', '1')
    .option('--out <dir>', 'where the generated files go', 'demo-data'),
).action(demoCommand);

withStoreOption(
  program
    .command('simulate')
    .description(
      'run the stored history through a draft rulebook beside the published one; writes nothing',
    )
    .requiredOption('--draft <file>', 'draft rulebook JSON (start from `ladder rulebook show`)')
    .option(
      '--base <version>',
      'published version to compare with, e.g. 3n-2024-07@1 (default: all)',
    )
    .requiredOption('--from <quarter>', 'first quarter, e.g. 2024-Q2')
    .requiredOption('--to <quarter>', 'last quarter, e.g. 2025-Q1')
    .option('--format <format>', 'table, json, csv or xlsx', 'table')
    .option('--out <file>', 'write to a file (required for xlsx)')
    .option('--top <n>', 'rows of moves and merchants in the table', '20'),
).action(simulateCommand);

withStoreOption(
  program
    .command('serve')
    .description('serve the HTTP API (docs/api.md), run assessments on time and deliver webhooks')
    .option('--port <port>', 'TCP port', '8080')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--no-scheduler', 'run nothing by the clock; runs only by POST /v1/assessments/run'),
).action(serveCommand);

const token = program.command('token').description('API tokens');
withStoreOption(
  token
    .command('create')
    .description('make an API token and print it once')
    .option('--operator', 'a token for operators: every route')
    .option('--merchant <id>', "a token for one merchant's own routes")
    .option('--label <text>', 'a note kept with the token'),
).action(tokenCreateCommand);
withStoreOption(
  token.command('list').description('every token: id, kind, merchant, label, revoked'),
).action(tokenListCommand);
withStoreOption(
  token.command('revoke').description('revoke a token by its id').argument('<id>', 'tok_…'),
).action(tokenRevokeCommand);

rulebookCommands(program);

withStoreOption(
  program
    .command('citus-setup')
    .description(
      'print the SQL that distributes the tables on a Citus cluster by merchant (docs/SCALING.md)',
    )
    .option('--check', 'first migrate the store and check that its schema fits the placement')
    .option('--shard-count <n>', 'shards per distributed table (default: citus.shard_count)'),
).action(citusSetupCommand);

program
  .command('warm')
  .description('build the embedded store template so that the first replay is fast')
  .action(async () => {
    const db = await openPgliteMemory();
    await db.close();
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  process.exitCode = reportFailure(err);
});
