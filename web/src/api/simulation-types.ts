/**
 * The shapes of `/v1/simulations` (docs/api.md, Simulations). Amounts are the
 * API's decimal strings; counts and progress are numbers.
 */

export interface SimulationExplanation {
  readonly rulebook: string;
  readonly inputs: Record<string, unknown>;
  readonly en: string;
  readonly zh: string;
}

export interface SimulationFigures {
  readonly feesNetCny: string;
  readonly standardFeesNetCny: string;
  readonly rebatesCny: string;
  readonly subsidiesCny: string;
  readonly couponsOutstandingCny: string;
}

export interface SimulationTotals {
  readonly feeErrors: string;
  readonly feeIncomeCny: string;
  readonly discountCostCny: string;
  readonly rebatesCny: string;
  readonly subsidiesCny: string;
  readonly couponLiabilityCny: string;
}

export interface LevelCount {
  readonly service: string;
  readonly quarter: string;
  readonly level: string;
  readonly base: number;
  readonly draft: number;
}

export interface LevelMove {
  readonly merchantId: string;
  readonly service: string;
  readonly quarter: string;
  readonly amountUsd: string;
  readonly baseLevel: string | null;
  readonly draftLevel: string | null;
  readonly base: SimulationExplanation | null;
  readonly draft: SimulationExplanation | null;
}

export interface MerchantImpact {
  readonly merchantId: string;
  readonly base: SimulationFigures;
  readonly draft: SimulationFigures;
  readonly netImpactCny: string;
  readonly levels: readonly {
    readonly service: string;
    readonly quarter: string;
    readonly base: string | null;
    readonly draft: string | null;
  }[];
}

export interface SimulationResult {
  readonly carriedMonthlyRates?: readonly string[];
  readonly baseRulebook: string;
  readonly draftRulebook: string;
  readonly from: string;
  readonly to: string;
  readonly levelCounts: readonly LevelCount[];
  readonly moves: readonly LevelMove[];
  readonly merchants: readonly MerchantImpact[];
  readonly totals: {
    readonly base: SimulationTotals;
    readonly draft: SimulationTotals;
    readonly difference: SimulationTotals;
  };
}

export interface DraftChange {
  readonly path: string;
  readonly op: 'added' | 'removed' | 'changed';
  readonly before?: unknown;
  readonly after?: unknown;
}

export interface SimulationFailure {
  readonly code: string;
  readonly message: string;
  readonly issues: readonly { path: string; message: string; value?: unknown }[];
}

interface SimulationCommon {
  readonly id: string;
  readonly status: 'running' | 'done' | 'failed';
  readonly stage: 'queued' | 'base' | 'draft' | 'done' | null;
  readonly progress: number;
  readonly changes: readonly DraftChange[];
  readonly createdAt: string;
  readonly finishedAt: string | null;
  readonly error?: SimulationFailure;
}

export interface Simulation extends SimulationCommon {
  readonly request: {
    readonly draft: Record<string, unknown>;
    readonly base: string | null;
    readonly from: string;
    readonly to: string;
  };
  readonly result?: SimulationResult;
}

export interface SimulationSummary extends SimulationCommon {
  readonly request: { readonly base: string | null; readonly from: string; readonly to: string };
  readonly baseRulebook: string | null;
  readonly draftRulebook: string | null;
  readonly moves: number | null;
  readonly totals: SimulationResult['totals'] | null;
}
