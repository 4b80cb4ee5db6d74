import { LadderError } from '../core/errors.js';

/** Bad input exits 2 with one line per bad field; anything else is a bug and exits 1. */
export function reportFailure(err: unknown): number {
  if (err instanceof LadderError) {
    console.error(`ladder: ${err.code}: ${err.message}`);
    for (const issue of err.issues) {
      const got = issue.value === undefined ? '' : ` (got ${JSON.stringify(issue.value)})`;
      console.error(`  ${issue.path}: ${issue.message}${got}`);
    }
    return 2;
  }
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  return 1;
}
