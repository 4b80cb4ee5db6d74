import { LadderError } from '../core/errors.js';
import { busyStoreError } from '../store/busy.js';

/** Exit code of a transaction the store refused for another's sake (EX_TEMPFAIL): run it again. */
export const EXIT_BUSY = 75;

/**
 * Bad input exits 2 with one line per bad field; a busy store 75 (nothing
 * applied, run it again); anything else is a bug and exits 1.
 */
export function reportFailure(failure: unknown): number {
  const err = busyStoreError(failure) ?? failure;
  if (err instanceof LadderError) {
    console.error(`ladder: ${err.code}: ${err.message}`);
    for (const issue of err.issues) {
      const got = issue.value === undefined ? '' : ` (got ${JSON.stringify(issue.value)})`;
      console.error(`  ${issue.path}: ${issue.message}${got}`);
    }
    return err.code === 'STORE_BUSY' ? EXIT_BUSY : 2;
  }
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  return 1;
}
