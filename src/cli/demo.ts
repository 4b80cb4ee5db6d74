import { parseInstant } from '../core/time.js';
import { programmeReport } from '../services/programme-report.js';
import { runUntil } from '../services/run.js';
import { withRunLock } from '../services/run-lock.js';
import { generateCommand, importInto, printRunSummary, renderReport } from './commands.js';
import { type StoreFlags, withStore } from './store-options.js';

/** The programme's last assessment: the whole demo year runs up to it. */
const DEMO_UNTIL = '2025-04-02T00:00:00+08:00';

/** `ladder demo`: generate, import, run and report, on the embedded store by default. */
export async function demoCommand(
  flags: StoreFlags & { merchants: string; seed: string; out: string },
): Promise<void> {
  await generateCommand({
    out: flags.out,
    merchants: flags.merchants,
    seed: flags.seed,
    from: '2024-Q1',
    to: '2025-Q1',
  });
  await withStore(flags, async (db) => {
    await importInto(db, flags.out, { rejected: 'rejected.csv' });
    const until = parseInstant(DEMO_UNTIL);
    printRunSummary(await withRunLock(db, () => runUntil(db, until)), until);
    process.stdout.write(renderReport(await programmeReport(db), 'table'));
  });
}
