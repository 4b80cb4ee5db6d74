import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * The shared acceptance cases sit next to the clone (`../shared/cases`), as
 * `.ci/run` requires. A clone elsewhere has none: the suites that read them
 * say so by a skipped test rather than failing on a missing file, and
 * `.ci/run` refuses to run without them.
 */
export const SHARED_CASES = resolve(import.meta.dirname, '..', '..', '..', 'shared', 'cases');

export const HAVE_SHARED_CASES = existsSync(SHARED_CASES);
