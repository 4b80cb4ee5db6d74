import type { z } from 'zod';
import type { ErrorCode } from '../errors.js';
import { type Dec, dec } from '../money.js';
import {
  assessmentInstant,
  compareQuarters,
  type Instant,
  parseInstant,
  type Quarter,
  quartersBetween,
} from '../time.js';
import {
  type FeeRuleDocument,
  type ProgrammeRules,
  type RulebookDocument,
  rulebookSchema,
} from './schema.js';

/** One problem with a document, named by its JSON path. */
export interface FieldIssue {
  readonly path: string;
  readonly message: string;
  readonly value?: unknown;
  /** Set where an issue has a code more precise than INVALID_INPUT (CONFLICT, …). */
  readonly code?: ErrorCode;
}

/** `orders[1].amountUsd` from zod's path array. */
export function formatPath(path: readonly PropertyKey[], prefix = ''): string {
  let out = prefix;
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/** One issue per bad field, the first found: a field can break a pattern and a refinement at once. */
export function zodIssues(error: z.ZodError, input: unknown, prefix = ''): FieldIssue[] {
  const byPath = new Map<string, FieldIssue>();
  for (const issue of error.issues) {
    const path = formatPath(issue.path, prefix);
    if (!byPath.has(path)) {
      byPath.set(path, { path, message: issue.message, value: valueAt(input, issue.path) });
    }
  }
  return [...byPath.values()];
}

export interface Level {
  readonly name: string;
  readonly rank: number;
  readonly fromUsd: Dec;
}

export interface Programme {
  readonly service: string;
  readonly levels: readonly Level[];
  readonly rules: ProgrammeRules;
  /** Assessment instants by the quarter whose amounts they read. */
  readonly calendar: ReadonlyMap<Quarter, Instant>;
  readonly jumpCnyPerUsd: Dec;
}

/** A validated rulebook version with its decimals and instants parsed once. */
export interface Rulebook {
  readonly document: RulebookDocument;
  readonly key: string;
  readonly effectiveFrom: Instant;
  readonly programmes: ReadonlyMap<string, Programme>;
}

/**
 * Validates a rulebook document: the schema first, then the rules that tie
 * fields together. Returns the compiled rulebook or every issue found.
 */
export function parseRulebook(
  input: unknown,
  prefix = '',
): { ok: true; rulebook: Rulebook } | { ok: false; issues: FieldIssue[] } {
  const parsed = rulebookSchema.safeParse(input);
  if (!parsed.success) return { ok: false, issues: zodIssues(parsed.error, input, prefix) };

  const issues = crossFieldIssues(parsed.data).map((issue) => ({
    ...issue,
    path: prefix === '' ? issue.path : `${prefix}.${issue.path}`,
  }));
  if (issues.length > 0) return { ok: false, issues };

  return { ok: true, rulebook: compile(parsed.data) };
}

function crossFieldIssues(doc: RulebookDocument): FieldIssue[] {
  const issues: FieldIssue[] = [];

  for (const [service, programme] of Object.entries(doc.programmes)) {
    const base = `programmes.${service}`;
    const names = new Set<string>();
    programme.levels.forEach((level, i) => {
      if (names.has(level.level)) {
        issues.push({
          path: `${base}.levels[${i}].level`,
          message: 'is used twice',
          value: level.level,
        });
      }
      names.add(level.level);
      const previous = programme.levels[i - 1];
      if (i === 0 && !dec(level.fromUsd).isZero()) {
        issues.push({
          path: `${base}.levels[0].fromUsd`,
          message: 'must be 0',
          value: level.fromUsd,
        });
      }
      if (previous && !dec(level.fromUsd).gt(dec(previous.fromUsd))) {
        issues.push({
          path: `${base}.levels[${i}].fromUsd`,
          message: 'must be above the previous level',
          value: level.fromUsd,
        });
      }
    });
    const { assessment, jumpRebate } = programme;
    if (compareQuarters(assessment.firstQuarter, assessment.lastQuarter) > 0) {
      issues.push({
        path: `${base}.assessment.lastQuarter`,
        message: 'must not be before firstQuarter',
        value: assessment.lastQuarter,
      });
    }
    if (compareQuarters(jumpRebate.firstQuarter, jumpRebate.lastQuarter) > 0) {
      issues.push({
        path: `${base}.jumpRebate.lastQuarter`,
        message: 'must not be before firstQuarter',
        value: jumpRebate.lastQuarter,
      });
    }
    if (jumpRebate.newcomerHeldLevel !== null && !names.has(jumpRebate.newcomerHeldLevel)) {
      issues.push({
        path: `${base}.jumpRebate.newcomerHeldLevel`,
        message: 'is not a level of this programme',
        value: jumpRebate.newcomerHeldLevel,
      });
    }
  }

  const levelsOf = (service: string) =>
    new Set((doc.programmes[service]?.levels ?? []).map((level) => level.level));
  const unknownLevels = (names: readonly string[], service: string, path: string) => {
    const known = levelsOf(service);
    for (const name of names) {
      if (!known.has(name)) {
        issues.push({
          path: `${path}.${name}`,
          message: `is not a level of the ${service} programme`,
          value: name,
        });
      }
    }
  };

  doc.fees.rules.forEach((rule, i) => {
    const path = `fees.rules[${i}]`;
    issues.push(...feeRuleIssues(rule, path));
    if (rule.type === 'level-discount')
      unknownLevels(Object.keys(rule.levels), rule.service, `${path}.levels`);
    else unknownLevels(Object.keys(rule.levelSteps ?? {}), rule.service, `${path}.levelSteps`);

    // Two rules of one service covering the same instant would make the fee depend on their order.
    doc.fees.rules.slice(0, i).forEach((other, j) => {
      const overlaps =
        other.service === rule.service &&
        parseInstant(other.from) < parseInstant(rule.until) &&
        parseInstant(rule.from) < parseInstant(other.until);
      if (overlaps) {
        issues.push({
          path: `${path}.from`,
          message: `overlaps fees.rules[${j}] for ${rule.service}`,
          value: rule.from,
        });
      }
    });
  });
  unknownLevels(
    Object.keys(doc.fxSubsidy.pipsByLevel),
    doc.fxSubsidy.service,
    'fxSubsidy.pipsByLevel',
  );
  if (parseInstant(doc.fxSubsidy.from) >= parseInstant(doc.fxSubsidy.until)) {
    issues.push({
      path: 'fxSubsidy.until',
      message: 'must be after from',
      value: doc.fxSubsidy.until,
    });
  }
  return issues;
}

function feeRuleIssues(rule: FeeRuleDocument, path: string): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (parseInstant(rule.from) >= parseInstant(rule.until)) {
    issues.push({ path: `${path}.until`, message: 'must be after from', value: rule.until });
  }
  const bands =
    rule.type === 'level-discount'
      ? [
          ['standard', rule.standard] as const,
          ...Object.entries(rule.levels).map(([l, b]) => [`levels.${l}`, b] as const),
        ]
      : [['', { minCny: rule.minCny, maxCny: rule.maxCny }] as const];
  for (const [where, band] of bands) {
    if (dec(band.minCny).gt(dec(band.maxCny))) {
      const at = where === '' ? `${path}.maxCny` : `${path}.${where}.maxCny`;
      issues.push({ path: at, message: 'must not be below minCny', value: band.maxCny });
    }
  }
  if (rule.type === 'monthly-order-count') {
    const stepLists = [
      ['steps', rule.steps] as const,
      ...Object.entries(rule.levelSteps ?? {}).map(([l, s]) => [`levelSteps.${l}`, s] as const),
    ];
    for (const [where, steps] of stepLists) {
      if (steps[0]?.fromOrder !== 1) {
        issues.push({
          path: `${path}.${where}[0].fromOrder`,
          message: 'must be 1',
          value: steps[0]?.fromOrder,
        });
      }
      steps.forEach((step, i) => {
        const previous = steps[i - 1];
        if (previous && step.fromOrder <= previous.fromOrder) {
          issues.push({
            path: `${path}.${where}[${i}].fromOrder`,
            message: 'must rise',
            value: step.fromOrder,
          });
        }
      });
    }
  }
  return issues;
}

function compile(doc: RulebookDocument): Rulebook {
  const programmes = new Map<string, Programme>();
  for (const [service, rules] of Object.entries(doc.programmes)) {
    const levels = rules.levels.map((level, rank) => ({
      name: level.level,
      rank,
      fromUsd: dec(level.fromUsd),
    }));
    const { firstQuarter, lastQuarter, dayOfMonth, hour } = rules.assessment;
    const calendar = new Map<Quarter, Instant>();
    for (const quarter of quartersBetween(firstQuarter, lastQuarter)) {
      calendar.set(quarter, assessmentInstant(quarter, dayOfMonth, hour));
    }
    programmes.set(service, {
      service,
      levels,
      rules,
      calendar,
      jumpCnyPerUsd: dec(rules.jumpRebate.cnyPerUsd),
    });
  }
  return {
    document: doc,
    key: `${doc.id}@${doc.version}`,
    effectiveFrom: parseInstant(doc.effectiveFrom),
    programmes,
  };
}

/** The level an amount earns: the highest whose inclusive lower bound it reaches (SPEC §4). */
export function levelFor(programme: Programme, amountUsd: Dec): Level {
  let found = programme.levels[0];
  for (const level of programme.levels) {
    if (amountUsd.gte(level.fromUsd)) found = level;
  }
  if (!found) throw new Error(`programme ${programme.service} has no levels`);
  return found;
}

export function levelByName(programme: Programme, name: string): Level | undefined {
  return programme.levels.find((level) => level.name === name);
}

/**
 * The version in force at an instant: the latest `effectiveFrom` at or before
 * it, the higher version number on a tie. Versions are never edited; a
 * correction is a new version.
 */
export function versionInForce<T extends Rulebook>(
  versions: readonly T[],
  at: Instant,
): T | undefined {
  let found: T | undefined;
  for (const version of versions) {
    if (version.effectiveFrom > at) continue;
    if (
      !found ||
      version.effectiveFrom > found.effectiveFrom ||
      (version.effectiveFrom === found.effectiveFrom &&
        version.document.version > found.document.version)
    ) {
      found = version;
    }
  }
  return found;
}
