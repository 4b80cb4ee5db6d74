import { LadderError } from '../core/errors.js';
import { parseRulebook } from '../core/rulebook/rulebook.js';
import type { Queryable } from '../store/db.js';
import { instant } from './merchant-views.js';

/**
 * Published rulebook versions as the API shows them, a draft's validation
 * (the same checks `publishRulebook` makes, with nothing written), and the
 * difference between two versions, path by path.
 */

export async function listRulebookVersions(db: Queryable) {
  const rows = await db.query<{
    id: string;
    version: number;
    effective_from: string;
    published_at: string;
    title: string | null;
  }>(
    `SELECT id, version, effective_from, published_at, document ->> 'title' AS title
     FROM rulebook_versions ORDER BY id, version`,
  );
  return {
    items: rows.map((row) => ({
      id: row.id,
      version: Number(row.version),
      key: `${row.id}@${row.version}`,
      title: row.title,
      effectiveFrom: instant(row.effective_from),
      publishedAt: instant(row.published_at),
    })),
  };
}

export async function readRulebookVersion(db: Queryable, id: string, version: number) {
  const rows = await db.query<{ effective_from: string; published_at: string; document: unknown }>(
    'SELECT effective_from, published_at, document FROM rulebook_versions WHERE id = $1 AND version = $2',
    [id, version],
  );
  const row = rows[0];
  if (!row) throw new LadderError('NOT_FOUND', `no rulebook version ${id}@${version}`);
  return {
    id,
    version,
    key: `${id}@${version}`,
    effectiveFrom: instant(row.effective_from),
    publishedAt: instant(row.published_at),
    document: row.document,
  };
}

export function validateRulebook(document: unknown) {
  const parsed = parseRulebook(document);
  if (parsed.ok) return { valid: true as const, key: parsed.rulebook.key, errors: [] };
  return {
    valid: false as const,
    key: null,
    errors: parsed.issues.map((issue) => ({
      path: issue.path,
      message: issue.message,
      value: issue.value ?? null,
    })),
  };
}

export interface Change {
  readonly path: string;
  readonly op: 'added' | 'removed' | 'changed';
  readonly before?: unknown;
  readonly after?: unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

/** Every leaf that differs between two JSON documents, by path (`fees.rules[0].baseRate`). */
export function jsonDiff(before: unknown, after: unknown, path = ''): Change[] {
  if (isRecord(before) && isRecord(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => {
      const at = join(path, key);
      if (!(key in after)) return [{ path: at, op: 'removed' as const, before: before[key] }];
      if (!(key in before)) return [{ path: at, op: 'added' as const, after: after[key] }];
      return jsonDiff(before[key], after[key], at);
    });
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const changes: Change[] = [];
    for (let i = 0; i < Math.max(before.length, after.length); i += 1) {
      const at = join(path, i);
      if (i >= after.length) changes.push({ path: at, op: 'removed', before: before[i] });
      else if (i >= before.length) changes.push({ path: at, op: 'added', after: after[i] });
      else changes.push(...jsonDiff(before[i], after[i], at));
    }
    return changes;
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  return [{ path: path === '' ? '(root)' : path, op: 'changed', before, after }];
}

export async function diffRulebookVersions(db: Queryable, id: string, from: number, to: number) {
  const [a, b] = await Promise.all([
    readRulebookVersion(db, id, from),
    readRulebookVersion(db, id, to),
  ]);
  return { from: a.key, to: b.key, changes: jsonDiff(a.document, b.document) };
}
