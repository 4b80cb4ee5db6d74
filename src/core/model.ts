import type { Dec } from './money.js';
import type { Instant, Quarter } from './time.js';

/** The facts the engine reads, parsed: decimals as `Dec`, instants as epoch ms. */

export const TERMINAL_STATUSES = ['cancelled', 'refunded', 'fraudulent', 'abnormal'] as const;
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];
export type OrderStatus = 'cleared' | TerminalStatus;

export const TAX_REFUND_SERVICE_FEE = 'tax-refund-service-fee';

export interface Order {
  readonly id: string;
  readonly merchantId: string;
  readonly service: string;
  readonly type: string;
  readonly amountUsd: Dec;
  readonly clearedAt: Instant;
  readonly usdCny: Dec | null;
}

export interface OrderEvent {
  readonly orderId: string;
  readonly status: TerminalStatus;
  readonly at: Instant;
}

export interface RiskFlag {
  readonly from: Instant;
  /** Exclusive; null while the flag is open. */
  readonly to: Instant | null;
}

export interface FxRatingChange {
  readonly at: Instant;
  readonly rating: string;
}

export interface Merchant {
  readonly id: string;
  readonly fxRating: string;
  readonly fxRatingChanges: readonly FxRatingChange[];
  readonly riskFlags: readonly RiskFlag[];
}

export interface Charge {
  readonly id: string;
  readonly orderId: string;
  readonly merchantId: string;
  readonly kind: typeof TAX_REFUND_SERVICE_FEE;
  readonly amountCny: Dec;
  readonly at: Instant;
}

export interface Settlement {
  readonly id: string;
  readonly merchantId: string;
  readonly currency: string;
  readonly amount: Dec;
  readonly baseRate: Dec;
  readonly account: string;
  readonly at: Instant;
}

/** A frozen assessment: the amount and level given to one merchant for one quarter. */
export interface Assessment {
  readonly merchantId: string;
  readonly service: string;
  readonly quarter: Quarter;
  readonly amountUsd: Dec;
  readonly level: string;
  readonly effectiveFrom: Instant;
  readonly rulebookKey: string;
}

/** A flag whose `from` equals the instant is in force at it; `to` is exclusive (SPEC §12). */
export function isRiskFlagged(merchant: Merchant | undefined, at: Instant): boolean {
  if (!merchant) return false;
  return merchant.riskFlags.some((flag) => flag.from <= at && (flag.to === null || at < flag.to));
}

/** The FX rating in force at an instant: the latest change at or before it, else the base rating. */
export function fxRatingAt(merchant: Merchant, at: Instant): string {
  let rating = merchant.fxRating;
  let latest = Number.NEGATIVE_INFINITY;
  for (const change of merchant.fxRatingChanges) {
    if (change.at <= at && change.at >= latest) {
      rating = change.rating;
      latest = change.at;
    }
  }
  return rating;
}

/**
 * The level in force at an instant: the latest assessment effective at or
 * before it. `history` is one merchant's assessments in one service.
 */
export function assessmentInForce(
  history: readonly Assessment[] | undefined,
  at: Instant,
): Assessment | undefined {
  let found: Assessment | undefined;
  for (const assessment of history ?? []) {
    if (
      assessment.effectiveFrom <= at &&
      (!found || assessment.effectiveFrom > found.effectiveFrom)
    ) {
      found = assessment;
    }
  }
  return found;
}
