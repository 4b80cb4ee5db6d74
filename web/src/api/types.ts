/**
 * The API's response shapes, as docs/api.md describes them. Amounts and
 * rates are decimal strings; instants are ISO 8601 with an offset.
 */

export type Level = string;
export type Service = string;

export interface Page<T> {
  readonly items: T[];
  readonly next: string | null;
}

export interface Me {
  readonly role: 'operator' | 'merchant';
  readonly merchantId: string | null;
}

export interface Merchant {
  readonly id: string;
  readonly fxRating: string;
  readonly fxRatingChanges: { readonly at: string; readonly rating: string }[];
  readonly riskFlags: { readonly from: string; readonly to: string | null }[];
}

export interface FeeBenefit {
  readonly rulebook: string;
  readonly ruleType: 'level-discount' | 'monthly-order-count';
  readonly band: 'level' | 'standard' | 'risk';
  readonly baseRate: string;
  readonly discount: string;
  readonly minNetCny: string;
  readonly maxNetCny: string;
  readonly minGrossCny: string;
  readonly maxGrossCny: string;
  readonly vatRate: string;
}

export interface JumpQuote {
  readonly level: Level;
  readonly thresholdUsd: string;
  readonly rebateCny: string;
}

export interface ThisQuarter {
  readonly quarter: string;
  readonly assessedAt: string | null;
  readonly clearedAmountUsd: string;
  readonly orderCount: number;
  readonly reachesLevel: Level;
  readonly nextLevel: Level | null;
  readonly nextLevelThresholdUsd: string | null;
  readonly gapUsd: string | null;
  readonly heldLevel: Level;
  readonly previousQuarterAmountUsd: string | null;
  readonly jumps: JumpQuote[];
}

export interface ServiceStanding {
  readonly service: Service;
  readonly level: Level;
  readonly levelSince: string | null;
  readonly assessedQuarter: string | null;
  readonly benefits: {
    readonly fee: FeeBenefit | null;
    readonly fx: {
      readonly pips: number;
      readonly eligible: boolean;
      readonly reason: string | null;
    };
    readonly jumpRebate: {
      readonly pays: boolean;
      readonly cnyPerUsd: string;
      readonly reason: string | null;
    };
  };
  readonly thisQuarter: ThisQuarter | null;
}

export interface CouponUse {
  readonly chargeId: string;
  readonly orderId: string;
  readonly amountCny: string;
  readonly at: string;
  readonly forfeited: boolean;
  readonly forfeitedAt: string | null;
}

export interface Coupon {
  readonly id: string;
  readonly merchantId: string;
  readonly faceCny: string;
  readonly remainingCny: string;
  readonly issuedAt: string;
  readonly expiresAt: string | null;
  readonly service: Service;
  readonly quarter: string;
  readonly uses: CouponUse[];
}

export interface FeeBreakdown {
  readonly band: string;
  readonly ruleType: string;
  readonly usdCny: string;
  readonly usdCnySource: 'order' | 'monthly';
  readonly baseRate: string;
  readonly discount: string;
  readonly minCny: string;
  readonly maxCny: string;
  readonly unclampedCny: string;
  readonly clamp: 'min' | 'max' | null;
  readonly vatRate: string;
  readonly monthOrderIndex: number | null;
}

export interface Fee {
  readonly orderId: string;
  readonly merchantId: string;
  readonly service: Service;
  readonly type: string;
  readonly amountUsd: string;
  readonly clearedAt: string;
  readonly status: 'charged' | 'reversed' | 'error';
  readonly level: Level | null;
  readonly netCny: string | null;
  readonly vatCny: string | null;
  readonly grossCny: string | null;
  readonly reversedAt: string | null;
  readonly rulebook: string | null;
  readonly breakdown: FeeBreakdown | null;
  readonly error: { readonly code: string; readonly message: string } | null;
}

export interface Settlement {
  readonly id: string;
  readonly merchantId: string;
  readonly currency: string;
  readonly amount: string;
  readonly baseRate: string;
  readonly account: string;
  readonly at: string;
  readonly result: null | {
    readonly level: Level;
    readonly pips: number;
    readonly effectiveRate: string;
    readonly subsidyCny: string;
    readonly reason: string | null;
  };
}

export interface Workbench {
  readonly merchantId: string;
  readonly at: string;
  readonly fxRating: string;
  readonly riskFlagged: boolean;
  readonly services: ServiceStanding[];
  readonly coupons: { readonly balanceCny: string; readonly items: Coupon[] };
  readonly fees: Page<Fee>;
  readonly settlements: Page<Settlement>;
}

export interface Assessment {
  readonly merchantId: string;
  readonly service: Service;
  readonly quarter: string;
  readonly amountUsd: string;
  readonly orderCount: number;
  readonly level: Level;
  readonly effectiveFrom: string;
  readonly rulebook: string;
}

export interface CalendarEntry {
  readonly service: Service;
  readonly quarter: string;
  readonly effectiveAt: string;
  readonly rulebook: string;
  readonly status: 'done' | 'due' | 'scheduled';
  readonly ranAt: string | null;
  readonly merchants: number | null;
  readonly levels: Record<string, number>;
  readonly lateOrders: number;
}

export interface JumpRebate {
  readonly merchantId: string;
  readonly service: string;
  readonly quarter: string;
  readonly fromLevel: string;
  readonly toLevel: string;
  readonly increaseUsd: string;
  readonly rebateCny: string;
  readonly status: 'issued' | 'suppressed';
  readonly reason: string | null;
  readonly couponId: string | null;
  readonly effectiveAt: string;
  readonly rulebook: string;
}

export interface LateOrder {
  readonly id: string;
  readonly merchantId: string;
  readonly amountUsd: string;
  readonly clearedAt: string;
}

export interface QuarterFigures {
  readonly quarter: string;
  readonly jumps: number;
  readonly rebatesIssuedCny: string;
  readonly rebatesSuppressed: number;
  readonly feesCharged: number;
  readonly feesReversed: number;
  readonly feeErrors: number;
  readonly feeNetCny: string;
  readonly feeVatCny: string;
  readonly standardFeeNetCny: string;
  readonly discountCostCny: string;
  readonly settlementsSubsidised: number;
  readonly subsidiesCny: string;
  readonly couponsOutstandingCny?: string;
}

export interface ProgrammeReport {
  readonly levels: { service: Service; quarter: string; level: Level; merchants: number }[];
  readonly quarters: QuarterFigures[];
  readonly coupons: {
    readonly issuedCny: string;
    readonly usedCny: string;
    readonly forfeitedCny: string;
    readonly expiredCny: string;
    readonly outstandingCny: string;
    readonly count: number;
  };
  readonly feeErrors: { code: string; count: number }[];
}

export interface RulebookVersion {
  readonly id: string;
  readonly version: number;
  readonly key: string;
  readonly title: string;
  readonly effectiveFrom: string;
  readonly publishedAt: string;
}

export interface RulebookDocument extends Omit<RulebookVersion, 'title'> {
  readonly document: Record<string, unknown>;
}

export interface FieldError {
  readonly path: string;
  readonly message: string;
  readonly value?: unknown;
}

export type Validation =
  | { readonly valid: true; readonly key: string }
  | { readonly valid: false; readonly errors: FieldError[] };

export interface RulebookDiff {
  readonly from: string;
  readonly to: string;
  readonly changes: {
    readonly path: string;
    readonly op: 'changed' | 'added' | 'removed';
    readonly before?: unknown;
    readonly after?: unknown;
  }[];
}

export interface Explanation {
  readonly kind: string;
  readonly subject: string;
  readonly merchantId: string;
  readonly rulebook: string;
  readonly inputs: Record<string, unknown>;
  readonly lang: string;
  readonly sentence: string;
  readonly en: string;
  readonly zh: string;
}
