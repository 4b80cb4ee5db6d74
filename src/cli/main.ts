import { Command } from 'commander';
import { openPgliteMemory } from '../store/pglite.js';
import { reportFailure } from './errors.js';
import { replayCommand } from './replay.js';

const program = new Command();
program
  .name('ladder')
  .description('Runs the 3+N tiered-benefits programme: levels, fees, jump rebates, coupons, FX subsidies.')
  .showHelpAfterError();

program
  .command('replay')
  .description('replay one scenario file (SPEC §12) and print its report as JSON')
  .argument('<file>', 'scenario JSON file')
  .action(replayCommand);

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
