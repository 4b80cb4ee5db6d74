import { z } from 'zod';
import { quarterText } from './schemas.js';

/**
 * The shapes of `/v1/simulations`: the request, a simulation as it is
 * polled, and its result (the JSON of `ladder simulate --format json`).
 * Declared as answers, they are in the OpenAPI document and checked on the
 * way out.
 */

const decimal = z.string().describe('an exact decimal, as a string');
const instant = z.string().describe('ISO 8601 with its offset, in Asia/Shanghai time');

export const simulationRequestSchema = z.strictObject({
  draft: z
    .record(z.string(), z.unknown())
    .describe('a rulebook document, a version of the published rulebook (docs/rulebook.md)'),
  base: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .describe('the published version the base side stops at, `3n-2024-07@1` or `1`; default all'),
  from: quarterText,
  to: quarterText,
});

const explanation = z.object({
  rulebook: z.string(),
  inputs: z.record(z.string(), z.unknown()),
  en: z.string(),
  zh: z.string(),
});

const figures = z.object({
  feesNetCny: decimal,
  standardFeesNetCny: decimal,
  rebatesCny: decimal,
  subsidiesCny: decimal,
  couponsOutstandingCny: decimal,
});

const totals = z.object({
  feeErrors: z.string().describe('orders without a fee (NO_FEE_RULE, NO_FX_RATE), a count'),
  feeIncomeCny: decimal,
  discountCostCny: decimal,
  rebatesCny: decimal,
  subsidiesCny: decimal,
  couponLiabilityCny: decimal,
});

const totalsTriple = z.object({ base: totals, draft: totals, difference: totals });

export const simulationResultSchema = z.object({
  carriedMonthlyRates: z.array(z.string()).readonly().optional(),
  baseRulebook: z.string(),
  draftRulebook: z.string(),
  from: z.string(),
  to: z.string(),
  levelCounts: z.array(
    z.object({
      service: z.string(),
      quarter: z.string(),
      level: z.string(),
      base: z.number().int(),
      draft: z.number().int(),
    }),
  ),
  moves: z.array(
    z.object({
      merchantId: z.string(),
      service: z.string(),
      quarter: z.string(),
      amountUsd: decimal,
      baseLevel: z.string().nullable(),
      draftLevel: z.string().nullable(),
      base: explanation.nullable(),
      draft: explanation.nullable(),
    }),
  ),
  merchants: z.array(
    z.object({
      merchantId: z.string(),
      base: figures,
      draft: figures,
      netImpactCny: decimal.describe('draft − base of fees net of rebates and subsidies'),
      levels: z.array(
        z.object({
          service: z.string(),
          quarter: z.string(),
          base: z.string().nullable(),
          draft: z.string().nullable(),
        }),
      ),
    }),
  ),
  totals: totalsTriple,
});

const failure = z.object({
  code: z.string(),
  message: z.string(),
  issues: z.array(
    z.object({ path: z.string(), message: z.string(), value: z.unknown().optional() }),
  ),
});

const change = z.object({
  path: z.string(),
  op: z.enum(['added', 'removed', 'changed']),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
});

const common = {
  id: z.string(),
  status: z.enum(['running', 'done', 'failed']),
  stage: z
    .enum(['queued', 'base', 'draft', 'done'])
    .nullable()
    .describe('queued, then the base side, then the draft side; null once failed'),
  progress: z.number().min(0).max(1),
  changes: z.array(change).describe('what the draft changes in the base version'),
  createdAt: instant,
  finishedAt: instant.nullable(),
  error: failure.optional(),
};

export const simulationSchema = z.object({
  ...common,
  request: z.object({
    draft: z.unknown(),
    base: z.string().nullable(),
    from: z.string(),
    to: z.string(),
  }),
  result: simulationResultSchema.optional(),
});

export const simulationSummarySchema = z.object({
  ...common,
  request: z.object({ base: z.string().nullable(), from: z.string(), to: z.string() }),
  baseRulebook: z.string().nullable(),
  draftRulebook: z.string().nullable(),
  moves: z.number().int().nullable(),
  totals: totalsTriple.nullable(),
});
