import { z } from 'zod';

/**
 * The shapes of the main answers, for the OpenAPI document and as a check
 * on the way out: a route that declares one cannot answer with another
 * shape (docs/api.md describes the same shapes in prose).
 */

const decimal = z.string().describe('an exact decimal, as a string');
const instant = z.string().describe('ISO 8601 with its offset, in Asia/Shanghai time');
const nextCursor = z
  .string()
  .nullable()
  .describe('pass as `after` for the next page; null at the end');

export const feeSchema = z.object({
  orderId: z.string(),
  merchantId: z.string(),
  service: z.string(),
  type: z.string(),
  amountUsd: decimal,
  clearedAt: instant,
  status: z.enum(['charged', 'reversed', 'error']),
  level: z.string().nullable(),
  netCny: decimal.nullable(),
  vatCny: decimal.nullable(),
  grossCny: decimal.nullable(),
  reversedAt: instant.nullable(),
  rulebook: z.string().nullable(),
  breakdown: z.record(z.string(), z.unknown()).nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
});

export const settlementSchema = z.object({
  id: z.string(),
  merchantId: z.string(),
  currency: z.string(),
  amount: decimal,
  baseRate: decimal,
  account: z.string(),
  at: instant,
  result: z
    .object({
      level: z.string(),
      pips: z.number().int(),
      effectiveRate: decimal,
      subsidyCny: decimal,
      reason: z.string().nullable(),
    })
    .nullable()
    .describe('null until the engine has run past the settlement'),
});

const ledgerEntrySchema = z.object({
  seq: z.string(),
  key: z.string(),
  kind: z.enum(['issue', 'use', 'forfeit', 'expire']),
  at: instant,
  debitAccount: z.string(),
  creditAccount: z.string(),
  amountCny: decimal,
  chargeId: z.string().nullable(),
});

export const couponSchema = z.object({
  id: z.string(),
  merchantId: z.string(),
  faceCny: decimal,
  remainingCny: decimal,
  issuedAt: instant,
  expiresAt: instant.nullable(),
  service: z.string(),
  quarter: z.string(),
  uses: z.array(
    z.object({
      chargeId: z.string(),
      orderId: z.string(),
      amountCny: decimal,
      at: instant,
      forfeited: z.boolean(),
      forfeitedAt: instant.nullable(),
    }),
  ),
  ledger: z.array(ledgerEntrySchema).optional(),
});

export const merchantSchema = z.object({
  id: z.string(),
  fxRating: z.string(),
  fxRatingChanges: z.array(z.object({ at: instant, rating: z.string() })),
  riskFlags: z.array(z.object({ from: instant, to: instant.nullable() })),
});

export const assessmentSchema = z.object({
  merchantId: z.string(),
  service: z.string(),
  quarter: z.string(),
  amountUsd: decimal,
  orderCount: z.number().int(),
  level: z.string(),
  effectiveFrom: instant,
  rulebook: z.string(),
});

export const jumpRebateSchema = z
  .object({
    merchantId: z.string(),
    service: z.string(),
    quarter: z.string().describe('the quarter whose amount climbed'),
    fromLevel: z.string().describe('the level of the quarter before (LV1 for a newcomer, D8)'),
    toLevel: z.string(),
    increaseUsd: decimal,
    rebateCny: decimal.describe('increase × the rulebook rate, half-up to the fen'),
    status: z.enum(['issued', 'suppressed']),
    reason: z.string().nullable().describe('why a rebate was suppressed (a risk flag)'),
    couponId: z.string().nullable().describe('the coupon it was paid as, when issued'),
    effectiveAt: instant.describe('the assessment instant'),
    rulebook: z.string(),
  })
  .describe('A jump rebate (SPEC §6)');

const serviceViewSchema = z.object({
  service: z.string(),
  level: z.string(),
  levelSince: instant.nullable(),
  assessedQuarter: z.string().nullable(),
  benefits: z.object({
    fee: z
      .object({
        rulebook: z.string(),
        ruleType: z.enum(['level-discount', 'monthly-order-count']),
        band: z.enum(['level', 'standard', 'risk']),
        baseRate: decimal,
        discount: decimal,
        minNetCny: decimal,
        maxNetCny: decimal,
        minGrossCny: decimal,
        maxGrossCny: decimal,
        vatRate: decimal,
      })
      .nullable()
      .describe('the basic service fee rule in force; null when none covers the instant'),
    fx: z
      .object({ pips: z.number().int(), eligible: z.boolean(), reason: z.string().nullable() })
      .nullable()
      .describe('the FX settlement subsidy; null for a service it does not follow'),
    jumpRebate: z.object({
      pays: z.boolean(),
      cnyPerUsd: decimal,
      reason: z.enum(['risk', 'window']).nullable(),
    }),
  }),
  thisQuarter: z.object({
    quarter: z.string(),
    assessedAt: instant.nullable(),
    clearedAmountUsd: decimal,
    orderCount: z.number().int(),
    reachesLevel: z.string(),
    nextLevel: z.string().nullable(),
    nextLevelThresholdUsd: decimal.nullable(),
    gapUsd: decimal.nullable(),
    heldLevel: z.string(),
    previousQuarterAmountUsd: decimal.nullable(),
    jumps: z.array(z.object({ level: z.string(), thresholdUsd: decimal, rebateCny: decimal })),
  }),
});

export const workbenchSchema = z.object({
  merchantId: z.string(),
  at: instant,
  fxRating: z.string(),
  riskFlagged: z.boolean(),
  services: z.array(serviceViewSchema).describe('one per programme, the higher level first'),
  coupons: z.object({ balanceCny: decimal, items: z.array(couponSchema) }),
  fees: z.object({ items: z.array(feeSchema), next: nextCursor }),
  settlements: z.object({ items: z.array(settlementSchema), next: nextCursor }),
});

// Loose: the explanation's fields are the engine's, and a field it adds is passed on.
export const explanationSchema = z.looseObject({
  kind: z.enum(['fee', 'rebate', 'subsidy', 'level']),
  subject: z.string(),
  merchantId: z.string(),
  rulebook: z.string(),
  inputs: z.record(z.string(), z.string()),
  en: z.string(),
  zh: z.string(),
  lang: z.enum(['zh-CN', 'en']),
  sentence: z.string(),
});

export const eventSchema = z.object({
  seq: z.string(),
  id: z.string().describe('stable: the same fact always has the same id'),
  type: z.string(),
  merchantId: z.string(),
  at: instant,
  payload: z.unknown(),
});

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), next: nextCursor });
