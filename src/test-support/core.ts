import type { Assessment, Merchant, Order } from '../core/model.js';
import { dec } from '../core/money.js';
import { parseRulebook, type Rulebook } from '../core/rulebook/rulebook.js';
import type { RulebookDocument } from '../core/rulebook/schema.js';
import { SHIPPED_RULEBOOKS } from '../core/rulebook/shipped.js';
import { type Instant, parseInstant } from '../core/time.js';

/**
 * Small builders for the core's unit tests: instants from ISO text, the
 * shipped rulebook compiled, and merchants, orders and assessments with
 * defaults that every test overrides where it matters.
 */

/** An instant from ISO text: `at('2024-07-02T00:00:00+08:00')`. */
export function at(text: string): Instant {
  return parseInstant(text);
}

/** A fresh, editable copy of the shipped `3n-2024-07` document. */
export function shippedDocument(): RulebookDocument {
  const document = SHIPPED_RULEBOOKS['3n-2024-07'];
  if (!document) throw new Error('the shipped rulebook 3n-2024-07 is missing');
  return structuredClone(document);
}

/** Compiles a rulebook document, failing the test with its issues when it is not valid. */
export function compile(document: unknown): Rulebook {
  const parsed = parseRulebook(document);
  if (!parsed.ok) {
    const lines = parsed.issues.map((issue) => `${issue.path}: ${issue.message}`);
    throw new Error(`test rulebook is not valid:\n${lines.join('\n')}`);
  }
  return parsed.rulebook;
}

export const SHIPPED: Rulebook = compile(shippedDocument());

export function merchant(overrides: Partial<Merchant> = {}): Merchant {
  return { id: 'M-1', fxRating: 'A', fxRatingChanges: [], riskFlags: [], ...overrides };
}

export interface OrderFacts {
  readonly id?: string;
  readonly merchantId?: string;
  readonly service?: string;
  readonly amountUsd: string;
  readonly clearedAt: string;
  readonly usdCny?: string | null;
}

export function order(facts: OrderFacts): Order {
  return {
    id: facts.id ?? 'O-1',
    merchantId: facts.merchantId ?? 'M-1',
    service: facts.service ?? '3+N',
    type: 'TA3N',
    amountUsd: dec(facts.amountUsd),
    clearedAt: at(facts.clearedAt),
    usdCny: facts.usdCny === undefined || facts.usdCny === null ? null : dec(facts.usdCny),
  };
}

export function assessment(
  facts: Pick<Assessment, 'quarter' | 'level'> & { amountUsd: string; effectiveFrom: string },
  merchantId = 'M-1',
): Assessment {
  return {
    merchantId,
    service: '3+N',
    quarter: facts.quarter,
    amountUsd: dec(facts.amountUsd),
    level: facts.level,
    effectiveFrom: at(facts.effectiveFrom),
    rulebookKey: '3n-2024-07@1',
  };
}
