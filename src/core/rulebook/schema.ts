import '../zod-messages.js';
import { z } from 'zod';
import { isNonNegativeDecimal, isPositiveDecimal } from '../money.js';
import { boundedText, plainText } from '../text.js';
import { instantProblem, isQuarter, OUT_OF_RANGE_MESSAGE } from '../time.js';

/**
 * The rulebook format. Every setting of SPEC (thresholds, rates, dates, caps,
 * pips, windows, and each decision D1–D15) is a field here; the engine has no
 * constant of its own for any of them. `docs/rulebook.md` documents each
 * field, and `docs/rulebook.schema.json` is generated from this schema.
 */

// Patterns make it into the generated JSON Schema; the refinements add what a
// pattern cannot say (greater than 0, at most 1, a real calendar instant).
const DECIMAL = /^(?:0|[1-9]\d*)(?:\.\d+)?$/;
const INSTANT_OR_DATE =
  /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::[0-5]\d(?:\.\d{1,3})?)?(?:[Zz]|[+-]\d{2}:\d{2}))?$/;

const positiveDecimal = z
  .string()
  .regex(DECIMAL, 'must be a decimal string greater than 0')
  .refine(isPositiveDecimal, { message: 'must be a decimal string greater than 0' });
const nonNegativeDecimal = z
  .string()
  .regex(DECIMAL, 'must be a decimal string of 0 or more')
  .refine(isNonNegativeDecimal, { message: 'must be a decimal string of 0 or more' });
const fraction = z
  .string()
  .regex(DECIMAL, 'must be a decimal string from 0 to 1')
  .refine((text) => isNonNegativeDecimal(text) && Number(text) <= 1, {
    message: 'must be a decimal string from 0 to 1',
  });
const instant = z
  .string()
  .regex(INSTANT_OR_DATE, 'must be an ISO 8601 instant with an offset, or a bare date')
  .superRefine((text, ctx) => {
    const problem = instantProblem(text);
    if (problem === null) return;
    ctx.addIssue({
      code: 'custom',
      message:
        problem === 'out-of-range'
          ? OUT_OF_RANGE_MESSAGE
          : 'must be an ISO 8601 instant with an offset, or a bare date (00:00 Asia/Shanghai)',
    });
  });
const quarter = z
  .string()
  .regex(/^\d{4}-Q[1-4]$/, 'must be a quarter such as 2024-Q2')
  .refine(isQuarter, { message: 'must be a quarter such as 2024-Q2' });
const levelName = z.string().regex(/^[A-Za-z0-9_-]{1,16}$/, 'must be a short level name');
const status = z.enum(['cancelled', 'refunded', 'fraudulent', 'abnormal']);
const service = boundedText(16);

export const levelThreshold = z.strictObject({
  level: levelName,
  fromUsd: nonNegativeDecimal.describe('inclusive lower bound of the quarter amount, USD'),
});

export const programme = z.strictObject({
  levels: z
    .array(levelThreshold)
    .min(1)
    .describe('D1: thresholds, lowest first; the first must start at 0'),
  assessment: z.strictObject({
    firstQuarter: quarter.describe('the quarter whose amounts the first assessment reads'),
    lastQuarter: quarter.describe('the quarter whose amounts the last assessment reads'),
    dayOfMonth: z.number().int().min(1).max(28).describe('D5: day of the next quarter'),
    hour: z.number().int().min(0).max(23).describe('D5: hour, Asia/Shanghai'),
  }),
  excludedStatuses: z
    .array(status)
    .describe(
      'D13: an order that left `cleared` for one of these before the assessment is no trade',
    ),
  jumpRebate: z.strictObject({
    firstQuarter: quarter.describe('first quarter whose assessment can pay a jump rebate'),
    lastQuarter: quarter.describe('last quarter whose assessment can pay a jump rebate'),
    cnyPerUsd: nonNegativeDecimal.describe('rebate per USD of quarter-over-quarter increase'),
    newcomerHeldLevel: levelName
      .nullable()
      .describe('D8: level a merchant without a previous assessment is taken to have held'),
  }),
});

const feeBand = z.strictObject({
  discount: fraction,
  minCny: nonNegativeDecimal,
  maxCny: nonNegativeDecimal,
});

const period = {
  service,
  from: instant.describe('inclusive'),
  until: instant.describe('exclusive'),
  baseRate: fraction.describe('basic service fee rate before discount, 0.015 = 1.5%'),
};

export const levelDiscountRule = z.strictObject({
  type: z.literal('level-discount'),
  ...period,
  standard: feeBand.describe('D2: the undiscounted fee, also paid while risk-flagged'),
  levels: z.record(levelName, feeBand).describe('a level without a band pays the standard fee'),
});

const ladderStep = z.strictObject({
  fromOrder: z.number().int().min(1).describe('applies from the k-th order of the month'),
  discount: fraction.describe('scales the rate, the minimum and the maximum'),
});

export const monthlyOrderCountRule = z.strictObject({
  type: z.literal('monthly-order-count'),
  ...period,
  minCny: nonNegativeDecimal,
  maxCny: nonNegativeDecimal,
  steps: z.array(ladderStep).min(1),
  levelSteps: z
    .record(levelName, z.array(ladderStep).min(1))
    .optional()
    .describe('steps of their own for some levels'),
});

export const feeRule = z.discriminatedUnion('type', [levelDiscountRule, monthlyOrderCountRule]);

export const rulebookSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1–64 letters, digits, . _ -'),
  version: z.number().int().min(1),
  title: plainText().max(200).optional(),
  effectiveFrom: instant.describe('the version is in force from this instant on'),
  programmes: z.record(service, programme).describe('one programme per service: 3+N, 2+N'),
  fees: z.strictObject({
    rules: z.array(feeRule),
    vatRate: fraction.describe('D4: VAT on each order net fee'),
    reversalStatuses: z.array(status).describe('D7: statuses that reverse a charged fee'),
    monthlyUsdCny: z
      .record(
        z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month YYYY-MM'),
        positiveDecimal,
      )
      .describe('D3: customs monthly conversion rate by clearance month'),
  }),
  coupons: z.strictObject({
    validityDays: z.number().int().min(1).nullable().describe('D9: null means no expiry'),
    forfeitStatuses: z.array(status).describe('statuses that forfeit coupon value a charge used'),
  }),
  fxSubsidy: z.strictObject({
    service: service.describe('whose level decides the subsidy'),
    pipsByLevel: z.record(levelName, z.number().int().min(0)),
    ratings: z.array(plainText().min(1)),
    currencies: z.array(plainText().min(1)),
    accounts: z.array(plainText().min(1)).describe('D15'),
    from: instant.describe('D14: inclusive'),
    until: instant.describe('exclusive'),
  }),
});

export type RulebookDocument = z.infer<typeof rulebookSchema>;
export type ProgrammeRules = z.infer<typeof programme>;
export type FeeRuleDocument = z.infer<typeof feeRule>;
export type LevelDiscountRuleDocument = z.infer<typeof levelDiscountRule>;
export type MonthlyOrderCountRuleDocument = z.infer<typeof monthlyOrderCountRule>;

/** The rulebook format as JSON Schema (draft 2020-12), generated from this schema. */
export function rulebookJsonSchema(): Record<string, unknown> {
  return {
    $id: 'https://ladder.invalid/schemas/rulebook.schema.json',
    title: 'Ladder rulebook version',
    ...z.toJSONSchema(rulebookSchema, { target: 'draft-2020-12', io: 'input' }),
  };
}
