import { LadderError } from '../core/errors.js';
import { dec } from '../core/money.js';
import { parseRulebook, type Rulebook } from '../core/rulebook/rulebook.js';
import type { RulebookDocument } from '../core/rulebook/schema.js';
import { SHIPPED_RULEBOOKS } from '../core/rulebook/shipped.js';
import { parseInstant } from '../core/time.js';
import type { Db, Queryable } from '../store/db.js';
import { toPg } from '../store/rows.js';

/**
 * Rulebook versions in the store. A store follows one rulebook id (the
 * `rulebook` setting); its versions are published, never edited, and the one
 * in force at an instant decides what happens at that instant.
 */

export function shippedRulebook(name: string): RulebookDocument {
  const doc = SHIPPED_RULEBOOKS[name];
  if (!doc) {
    const known = Object.keys(SHIPPED_RULEBOOKS).join(', ');
    throw new LadderError(
      'UNKNOWN_RULEBOOK',
      `no shipped rulebook named "${name}" (known: ${known})`,
      [{ path: 'rulebook', message: `names no shipped rulebook (known: ${known})`, value: name }],
    );
  }
  return doc;
}

export function compileOrThrow(document: unknown, prefix = 'rulebook'): Rulebook {
  const parsed = parseRulebook(document, prefix);
  if (!parsed.ok) {
    throw new LadderError('INVALID_INPUT', 'the rulebook breaks its schema', parsed.issues);
  }
  return parsed.rulebook;
}

export async function activeRulebookId(db: Queryable): Promise<string | null> {
  const rows = await db.query<{ value: string }>(
    "SELECT value FROM settings WHERE key = 'rulebook'",
  );
  return rows[0]?.value ?? null;
}

/**
 * Publishes a rulebook version. The same document again changes nothing;
 * another document under a published id and version is refused.
 */
export async function publishRulebook(db: Queryable, document: unknown): Promise<Rulebook> {
  const rulebook = compileOrThrow(document);
  const doc = rulebook.document;
  const active = await activeRulebookId(db);
  if (active !== null && active !== doc.id) {
    throw new LadderError(
      'CONFLICT',
      `this store follows rulebook ${active}; publish a version of ${active}`,
      [
        {
          path: 'id',
          message: `must be ${active}, the rulebook this store follows`,
          value: doc.id,
        },
      ],
    );
  }
  const existing = await db.query<{ document: unknown }>(
    'SELECT document FROM rulebook_versions WHERE id = $1 AND version = $2',
    [doc.id, doc.version],
  );
  const stored = existing[0];
  if (!stored) {
    // Versions are numbered without gaps, so that "the next version" is never ambiguous.
    const highest = await db.query<{ version: number | null }>(
      'SELECT max(version) AS version FROM rulebook_versions WHERE id = $1',
      [doc.id],
    );
    const top = highest[0]?.version;
    if (top !== null && top !== undefined && doc.version !== Number(top) + 1) {
      throw new LadderError('CONFLICT', `the next version of ${doc.id} is ${Number(top) + 1}`, [
        {
          path: 'version',
          message: `must be ${Number(top) + 1}, the next version`,
          value: doc.version,
        },
      ]);
    }
  }
  if (stored) {
    if (JSON.stringify(canonical(stored.document)) !== JSON.stringify(canonical(doc))) {
      throw new LadderError(
        'CONFLICT',
        `rulebook ${rulebook.key} is already published with other contents; publish a new version`,
        [
          {
            path: 'version',
            message: 'is already published with other contents',
            value: doc.version,
          },
        ],
      );
    }
    return rulebook;
  }
  await db.query(
    'INSERT INTO rulebook_versions (id, version, effective_from, document) VALUES ($1, $2, $3, $4::jsonb)',
    [doc.id, doc.version, toPg(parseInstant(doc.effectiveFrom)), JSON.stringify(canonical(doc))],
  );
  await db.query(
    "INSERT INTO settings (key, value) VALUES ('rulebook', $1) ON CONFLICT (key) DO NOTHING",
    [doc.id],
  );
  return rulebook;
}

/** jsonb reorders keys; compare and store one canonical form. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
  );
}

/** Every published version of the store's rulebook, compiled. */
export async function loadRulebooks(db: Queryable): Promise<Rulebook[]> {
  const id = await activeRulebookId(db);
  if (id === null) return [];
  const rows = await db.query<{ document: unknown }>(
    'SELECT document FROM rulebook_versions WHERE id = $1 ORDER BY version',
    [id],
  );
  return rows.map((row) => compileOrThrow(row.document));
}

/** Publishes the shipped rulebook when the store has none yet. */
export async function ensureRulebook(db: Db, name = '3n-2024-07'): Promise<void> {
  if ((await activeRulebookId(db)) !== null) return;
  // Two processes opening a new store at once (two imports) would both find
  // no rulebook and both publish it: one waits for the other, then finds it.
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [ENSURE_RULEBOOK_LOCK]);
    if ((await activeRulebookId(tx)) === null) await publishRulebook(tx, shippedRulebook(name));
  });
}

/** The advisory lock key under which a new store gets its first rulebook (migrations use 7277001). */
const ENSURE_RULEBOOK_LOCK = 7277002;

/**
 * Loads customs' monthly USD/CNY rates (D3) into the store's rulebook. Each
 * version that is in force somewhere (the highest version of each
 * `effectiveFrom`) and lacks a rate, or has another one, gets a new version
 * with the rates merged in and the same `effectiveFrom`, so that it
 * supersedes that version wherever it was in force: an order cleared under an
 * older version is priced with the rate as much as one cleared under the
 * latest. New versions are numbered in order of `effectiveFrom`, so the
 * highest version is still the one in force last. Returns the new versions'
 * keys, none when every rate was already everywhere.
 */
export async function publishMonthlyRates(
  db: Queryable,
  rates: Readonly<Record<string, string>>,
): Promise<string[]> {
  const versions = await loadRulebooks(db);
  if (versions.length === 0)
    throw new LadderError('UNKNOWN_RULEBOOK', 'the store has no rulebook to add monthly rates to');
  let next = Math.max(...versions.map((v) => v.document.version)) + 1;
  const published: string[] = [];
  for (const head of versionsInForce(versions)) {
    const current = head.document.fees.monthlyUsdCny;
    const lacking = Object.entries(rates).some(
      ([month, rate]) => current[month] === undefined || dec(current[month]).cmp(dec(rate)) !== 0,
    );
    if (!lacking) continue;
    const document: RulebookDocument = {
      ...head.document,
      version: next,
      fees: { ...head.document.fees, monthlyUsdCny: { ...current, ...rates } },
    };
    published.push((await publishRulebook(db, document)).key);
    next += 1;
  }
  return published;
}

/** The highest version of each `effectiveFrom`, earliest `effectiveFrom` first. */
export function versionsInForce(versions: readonly Rulebook[]): Rulebook[] {
  const heads = new Map<number, Rulebook>();
  for (const version of versions) {
    const found = heads.get(version.effectiveFrom);
    if (!found || version.document.version > found.document.version) {
      heads.set(version.effectiveFrom, version);
    }
  }
  return [...heads.values()].sort((a, b) => a.effectiveFrom - b.effectiveFrom);
}

/**
 * Customs' monthly rates are facts loaded by operators, not policy: a draft
 * made from the shipped rulebook would silently drop them. Returns the draft
 * with every month the latest published version has and the draft lacks,
 * and which months were carried over, so that the caller can say so.
 */
export async function carryMonthlyRates(
  db: Queryable,
  document: unknown,
): Promise<{ document: unknown; carriedMonths: string[] }> {
  const versions = await loadRulebooks(db);
  const latest = versions[versions.length - 1];
  const draft = document as { fees?: { monthlyUsdCny?: Record<string, string> } } | null;
  const draftRates = draft?.fees?.monthlyUsdCny;
  if (!latest || !draft || typeof draftRates !== 'object' || draftRates === null) {
    return { document, carriedMonths: [] };
  }
  const published = latest.document.fees.monthlyUsdCny;
  const carriedMonths = Object.keys(published)
    .filter((month) => !(month in draftRates))
    .sort();
  if (carriedMonths.length === 0) return { document, carriedMonths };
  const merged = { ...draftRates };
  for (const month of carriedMonths) merged[month] = published[month] as string;
  return {
    document: { ...draft, fees: { ...draft.fees, monthlyUsdCny: merged } },
    carriedMonths,
  };
}
