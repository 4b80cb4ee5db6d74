import './zod-messages.js';
import { z } from 'zod';
import {
  type Charge,
  type Merchant,
  type Order,
  type OrderEvent,
  type Settlement,
  TAX_REFUND_SERVICE_FEE,
  TERMINAL_STATUSES,
} from './model.js';
import { dec, isPositiveDecimal } from './money.js';
import { type FieldIssue, zodIssues } from './rulebook/rulebook.js';
import { boundedText, plainText } from './text.js';
import { instantProblem, OUT_OF_RANGE_MESSAGE, parseInstant } from './time.js';

/**
 * The schemas of the facts Ladder takes in, shared by the replay file, the
 * CSV import and the HTTP API, so that each refuses the same things with the
 * same words. Input stays strings here; `toOrder` and friends parse it.
 */

/** An id of a merchant, order, charge or settlement. */
export const idText = boundedText(128);
// Bounded so that every product the rules form stays exact within the decimal precision.
const positiveDecimal = z
  .string()
  .refine(isPositiveDecimal, {
    message: 'must be a decimal string greater than 0, such as "1200.50" or "7.1000"',
  })
  .refine((text) => /^\d{1,20}(?:\.\d{1,10})?$/.test(text), {
    message: 'must have at most 20 digits before the point and 10 after',
  });
export const instantText = z.string().superRefine((text, ctx) => {
  const problem = instantProblem(text);
  if (problem === 'missing-offset') {
    ctx.addIssue({ code: 'custom', message: 'must carry an offset (Z or ±hh:mm)' });
  } else if (problem === 'out-of-range') {
    ctx.addIssue({ code: 'custom', message: OUT_OF_RANGE_MESSAGE });
  } else if (problem) {
    ctx.addIssue({
      code: 'custom',
      message: 'must be an ISO 8601 instant such as 2024-08-15T10:00:00+08:00',
    });
  }
});

/** The services of SPEC §8: an order counts for one of these programmes and no other. */
export const SERVICES = ['3+N', '2+N'] as const;
const service = z.enum(SERVICES);

/**
 * An ISO 4217 code: three capital letters. Only the form is checked: a
 * currency that earns no subsidy (EUR, GBP) is a settlement with the reason
 * `currency` (SPEC §9), not bad input.
 */
const CURRENCY_CODE = /^[A-Z]{3}$/;
const currencyCode = z.string().regex(CURRENCY_CODE, {
  message: 'must be an ISO 4217 currency code of three capital letters, such as USD',
});

// The FX rating is left open: SPEC §9 asks only whether it is A, and the
// rulebook lists the ratings that qualify (`fxSubsidy.ratings`).
const rating = boundedText(8);

export const riskFlagInput = z.strictObject({
  from: instantText,
  to: instantText.nullable(),
});

export const fxRatingChangeInput = z.strictObject({
  at: instantText,
  rating,
});

export const merchantInput = z.strictObject({
  id: idText,
  fxRating: rating,
  fxRatingChanges: z.array(fxRatingChangeInput).optional(),
  riskFlags: z.array(riskFlagInput).optional(),
});

export const orderInput = z.strictObject({
  id: idText,
  merchantId: idText,
  service,
  type: boundedText(16),
  amountUsd: positiveDecimal,
  clearedAt: instantText,
  usdCny: positiveDecimal.optional(),
});

export const orderEventInput = z.strictObject({
  orderId: idText,
  at: instantText,
  status: z.enum(TERMINAL_STATUSES),
});

export const chargeInput = z.strictObject({
  id: idText,
  orderId: idText,
  merchantId: idText,
  kind: z.literal(TAX_REFUND_SERVICE_FEE, {
    message: `must be "${TAX_REFUND_SERVICE_FEE}": coupons pay nothing else`,
  }),
  amountCny: positiveDecimal,
  at: instantText,
});

export const settlementInput = z.strictObject({
  id: idText,
  merchantId: idText,
  currency: currencyCode,
  amount: positiveDecimal,
  baseRate: positiveDecimal,
  account: boundedText(32),
  at: instantText,
});

export type MerchantInput = z.infer<typeof merchantInput>;
export type OrderInput = z.infer<typeof orderInput>;
export type OrderEventInput = z.infer<typeof orderEventInput>;
export type ChargeInput = z.infer<typeof chargeInput>;
export type SettlementInput = z.infer<typeof settlementInput>;

export const scenarioInput = z.strictObject({
  description: plainText().optional(),
  rulebook: z.union([z.string().min(1), z.record(z.string(), z.unknown())]),
  asOf: instantText,
  merchants: z.array(merchantInput),
  orders: z.array(orderInput),
  orderEvents: z.array(orderEventInput).default([]),
  charges: z.array(chargeInput).default([]),
  settlements: z.array(settlementInput).default([]),
});
export type ScenarioInput = z.infer<typeof scenarioInput>;

export function toMerchant(input: MerchantInput): Merchant {
  return {
    id: input.id,
    fxRating: input.fxRating,
    fxRatingChanges: (input.fxRatingChanges ?? []).map((c) => ({
      at: parseInstant(c.at),
      rating: c.rating,
    })),
    riskFlags: (input.riskFlags ?? []).map((f) => ({
      from: parseInstant(f.from),
      to: f.to === null ? null : parseInstant(f.to),
    })),
  };
}

export function toOrder(input: OrderInput): Order {
  return {
    id: input.id,
    merchantId: input.merchantId,
    service: input.service,
    type: input.type,
    amountUsd: dec(input.amountUsd),
    clearedAt: parseInstant(input.clearedAt),
    usdCny: input.usdCny === undefined ? null : dec(input.usdCny),
  };
}

export function toOrderEvent(input: OrderEventInput): OrderEvent {
  return { orderId: input.orderId, status: input.status, at: parseInstant(input.at) };
}

export function toCharge(input: ChargeInput): Charge {
  return { ...input, amountCny: dec(input.amountCny), at: parseInstant(input.at) };
}

export function toSettlement(input: SettlementInput): Settlement {
  return {
    ...input,
    amount: dec(input.amount),
    baseRate: dec(input.baseRate),
    at: parseInstant(input.at),
  };
}

/** Two sendings of the same id agree when every fact is the same, compared as values. */
export function sameFacts(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return differingFacts(a, b).length === 0;
}

/**
 * The fields whose facts differ between two sendings of one fact: amounts
 * compared as decimals and instants as instants, so that 1000.0 and 1000.00,
 * or the same instant at two offsets, are the same fact.
 */
export function differingFacts(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((key) => !sameFact(a[key], b[key]));
}

function sameFact(x: unknown, y: unknown): boolean {
  if (x === y) return true;
  if (x === undefined || y === undefined || x === null || y === null) return false;
  if (typeof x === 'string' && typeof y === 'string') {
    if (isPositiveDecimal(x) && isPositiveDecimal(y) && dec(x).eq(dec(y))) return true;
    return (
      instantProblem(x) === null &&
      instantProblem(y) === null &&
      parseInstant(x) === parseInstant(y)
    );
  }
  return JSON.stringify(x) === JSON.stringify(y);
}

export interface CheckedScenario {
  readonly input: ScenarioInput;
  readonly merchants: MerchantInput[];
  readonly orders: OrderInput[];
  readonly orderEvents: OrderEventInput[];
  readonly charges: ChargeInput[];
  readonly settlements: SettlementInput[];
}

/**
 * Validates a whole scenario (SPEC §12): the schema, then references and
 * repeated ids. Returns every issue, each named by its JSON path; an id sent
 * twice with the same facts is kept once.
 */
export function checkScenario(
  raw: unknown,
): { ok: true; scenario: CheckedScenario } | { ok: false; issues: FieldIssue[] } {
  const parsed = scenarioInput.safeParse(raw);
  if (!parsed.success) return { ok: false, issues: zodIssues(parsed.error, raw) };
  const input = parsed.data;
  const issues: FieldIssue[] = [];

  const merchants = dedupe(input.merchants, (m) => m.id, 'merchants', issues);
  const orders = dedupe(input.orders, (o) => o.id, 'orders', issues);
  const orderEvents = dedupe(
    input.orderEvents,
    (e) => `${e.orderId}|${e.status}`,
    'orderEvents',
    issues,
  );
  const charges = dedupe(input.charges, (c) => c.id, 'charges', issues);
  const settlements = dedupe(input.settlements, (s) => s.id, 'settlements', issues);

  input.merchants.forEach((merchant, i) => {
    const flagEnds = new Map<number, string | null>();
    merchant.riskFlags?.forEach((flag, j) => {
      const from = parseInstant(flag.from);
      const to = flag.to === null ? null : String(parseInstant(flag.to));
      if (flagEnds.has(from) && flagEnds.get(from) !== to) {
        issues.push({
          path: `merchants[${i}].riskFlags[${j}]`,
          message: 'repeats the start of another flag with another end',
          code: 'CONFLICT',
          value: flag.from,
        });
      }
      flagEnds.set(from, to);
    });
    const ratings = new Map<number, string>();
    merchant.fxRatingChanges?.forEach((change, j) => {
      const at = parseInstant(change.at);
      if (ratings.has(at) && ratings.get(at) !== change.rating) {
        issues.push({
          path: `merchants[${i}].fxRatingChanges[${j}]`,
          message: 'gives another rating at the same instant as an earlier change',
          code: 'CONFLICT',
          value: change.at,
        });
      }
      ratings.set(at, change.rating);
    });
    merchant.riskFlags?.forEach((flag, j) => {
      if (flag.to !== null && parseInstant(flag.to) < parseInstant(flag.from)) {
        issues.push({
          path: `merchants[${i}].riskFlags[${j}].to`,
          message: 'must not be before from',
          value: flag.to,
        });
      }
    });
  });

  const merchantIds = new Set(input.merchants.map((m) => m.id));
  const orderById = new Map(input.orders.map((o) => [o.id, o]));
  input.orders.forEach((order, i) => {
    if (!merchantIds.has(order.merchantId)) {
      issues.push({
        path: `orders[${i}].merchantId`,
        message: 'names no merchant of the scenario',
        value: order.merchantId,
      });
    }
  });

  const statusByOrder = new Map<string, string>();
  input.orderEvents.forEach((event, i) => {
    const order = orderById.get(event.orderId);
    if (!order) {
      issues.push({
        path: `orderEvents[${i}].orderId`,
        message: 'names no order of the scenario',
        value: event.orderId,
      });
      return;
    }
    const earlier = statusByOrder.get(event.orderId);
    if (earlier !== undefined && earlier !== event.status) {
      issues.push({
        path: `orderEvents[${i}].status`,
        message: `order ${event.orderId} is already ${earlier}; a status never changes again`,
        value: event.status,
      });
    }
    statusByOrder.set(event.orderId, event.status);
    if (parseInstant(event.at) < parseInstant(order.clearedAt)) {
      issues.push({
        path: `orderEvents[${i}].at`,
        message: 'is before the order was cleared',
        value: event.at,
      });
    }
  });

  input.charges.forEach((charge, i) => {
    if (!merchantIds.has(charge.merchantId)) {
      issues.push({
        path: `charges[${i}].merchantId`,
        message: 'names no merchant of the scenario',
        value: charge.merchantId,
      });
    }
    const order = orderById.get(charge.orderId);
    if (!order) {
      issues.push({
        path: `charges[${i}].orderId`,
        message: 'names no order of the scenario',
        value: charge.orderId,
      });
    } else if (parseInstant(charge.at) < parseInstant(order.clearedAt)) {
      issues.push({
        path: `charges[${i}].at`,
        message: `is before order ${charge.orderId} was cleared`,
        value: charge.at,
      });
    } else if (order.merchantId !== charge.merchantId) {
      issues.push({
        path: `charges[${i}].merchantId`,
        message: `order ${charge.orderId} belongs to ${order.merchantId}`,
        value: charge.merchantId,
      });
    }
  });

  input.settlements.forEach((settlement, i) => {
    if (!merchantIds.has(settlement.merchantId)) {
      issues.push({
        path: `settlements[${i}].merchantId`,
        message: 'names no merchant of the scenario',
        value: settlement.merchantId,
      });
    }
  });

  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, scenario: { input, merchants, orders, orderEvents, charges, settlements } };
}

function dedupe<T extends Record<string, unknown>>(
  rows: readonly T[],
  keyOf: (row: T) => string,
  list: string,
  issues: FieldIssue[],
): T[] {
  const seen = new Map<string, T>();
  rows.forEach((row, i) => {
    const key = keyOf(row);
    const first = seen.get(key);
    if (!first) {
      seen.set(key, row);
    } else if (!sameFacts(first, row)) {
      issues.push({
        path: `${list}[${i}]`,
        message: `repeats id ${key} with other facts`,
        value: key,
      });
    }
  });
  return [...seen.values()];
}
