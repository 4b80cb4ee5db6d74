import { explainLevel } from '../core/assessment.js';
import type { Explanation } from '../core/explanation.js';
import type { Rulebook } from '../core/rulebook/rulebook.js';
import type { Queryable } from '../store/db.js';
import { type AssessmentRow, toAssessment } from './load.js';
import { compileOrThrow } from './rulebooks.js';

/**
 * The sentence that explains a stored level. Assessments are written
 * set-based without one; the core writes it from the row and the rulebook
 * version the row names (versions are never edited, so the sentence is the
 * one the assessment would have stored). Rows from before keep their own.
 */

export interface ExplainedAssessmentRow extends AssessmentRow {
  order_count: string | number;
  explanation: Explanation | null;
}

export function levelExplanation(row: ExplainedAssessmentRow, rulebook: Rulebook): Explanation {
  if (row.explanation !== null) return row.explanation;
  const programme = rulebook.programmes.get(row.service);
  if (!programme) throw new Error(`rulebook ${rulebook.key} has no ${row.service} programme`);
  return explainLevel(toAssessment(row), Number(row.order_count), programme);
}

/** Rulebook versions by key (`3n-2024-07@1`), read from the store once each. */
export async function rulebooksByKey(
  db: Queryable,
  keys: Iterable<string>,
): Promise<Map<string, Rulebook>> {
  const wanted = [...new Set(keys)];
  const out = new Map<string, Rulebook>();
  if (wanted.length === 0) return out;
  const rows = await db.query<{ document: unknown }>(
    `SELECT document FROM rulebook_versions WHERE id || '@' || version = ANY($1)`,
    [wanted],
  );
  for (const row of rows) {
    const rulebook = compileOrThrow(row.document);
    out.set(rulebook.key, rulebook);
  }
  return out;
}

/** The explanation of each row, the rulebooks it needs read once. */
export async function explainLevels(
  db: Queryable,
  rows: readonly ExplainedAssessmentRow[],
): Promise<Explanation[]> {
  const rulebooks = await rulebooksByKey(
    db,
    rows.filter((row) => row.explanation === null).map((row) => row.rulebook),
  );
  return rows.map((row) => {
    if (row.explanation !== null) return row.explanation;
    const rulebook = rulebooks.get(row.rulebook);
    if (!rulebook)
      throw new Error(`assessment names rulebook ${row.rulebook}, which the store lacks`);
    return levelExplanation(row, rulebook);
  });
}
