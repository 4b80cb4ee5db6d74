import { type DomainError, domainError } from './errors.js';
import type { Explanation } from './explanation.js';
import type { Order } from './model.js';
import {
  type Dec,
  dec,
  formatAmount,
  formatFen,
  formatPercent,
  formatRate,
  groupThousands,
  roundFenHalfUp,
} from './money.js';
import type { Rulebook } from './rulebook/rulebook.js';
import type { FeeRuleDocument } from './rulebook/schema.js';
import { dateOf, monthOf, parseInstant } from './time.js';

// Rule periods are parsed once per distinct text, not once per order.
const parsedInstants = new Map<string, number>();
function instantOf(text: string): number {
  let at = parsedInstants.get(text);
  if (at === undefined) {
    at = parseInstant(text);
    parsedInstants.set(text, at);
  }
  return at;
}

/** Everything a basic service fee was computed from, and each step's result. */
export interface FeeQuote {
  readonly orderId: string;
  readonly level: string;
  /** `level` (the level's band), `standard` (no band for the level) or `risk` (flagged). */
  readonly band: 'level' | 'standard' | 'risk';
  readonly ruleType: FeeRuleDocument['type'];
  readonly usdCny: Dec;
  readonly usdCnySource: 'order' | 'monthly';
  readonly baseRate: Dec;
  readonly discount: Dec;
  readonly minCny: Dec;
  readonly maxCny: Dec;
  readonly unclampedCny: Dec;
  readonly clamp: 'min' | 'max' | null;
  readonly netCny: Dec;
  readonly vatRate: Dec;
  readonly vatCny: Dec;
  readonly grossCny: Dec;
  readonly monthOrderIndex: number | null;
}

export interface FeeInput {
  readonly order: Order;
  /** The level in force at the clearance instant (D6). */
  readonly level: string;
  /** A risk flag in force at the clearance instant (D10). */
  readonly riskFlagged: boolean;
  /** This order's place among its merchant's orders of the month, 1-based (legacy ladder). */
  readonly monthOrderIndex: number;
  /** The rulebook version in force at the clearance instant. */
  readonly rulebook: Rulebook;
}

export type FeeOutcome = { ok: true; quote: FeeQuote } | { ok: false; error: DomainError };

/** The fee rule that covers a service at an instant, if any (SPEC §5, D12). */
export function feeRuleAt(
  rulebook: Rulebook,
  service: string,
  at: number,
): FeeRuleDocument | undefined {
  return rulebook.document.fees.rules.find(
    (rule) => rule.service === service && instantOf(rule.from) <= at && at < instantOf(rule.until),
  );
}

interface Band {
  readonly band: FeeQuote['band'];
  readonly discount: Dec;
  readonly minCny: Dec;
  readonly maxCny: Dec;
}

function bandFor(rule: FeeRuleDocument, input: FeeInput): Band {
  if (rule.type === 'level-discount') {
    const levelBand = input.riskFlagged ? undefined : rule.levels[input.level];
    const chosen = levelBand ?? rule.standard;
    const band = input.riskFlagged ? 'risk' : levelBand ? 'level' : 'standard';
    return {
      band,
      discount: dec(chosen.discount),
      minCny: dec(chosen.minCny),
      maxCny: dec(chosen.maxCny),
    };
  }

  // The legacy ladder: the step's discount scales the rate, the minimum and the maximum.
  // A flagged merchant gets no discount at all.
  const steps = rule.levelSteps?.[input.level] ?? rule.steps;
  let discount = dec(1);
  if (!input.riskFlagged) {
    for (const step of steps) {
      if (step.fromOrder <= input.monthOrderIndex) discount = dec(step.discount);
    }
  }
  return {
    band: input.riskFlagged ? 'risk' : 'level',
    discount,
    minCny: dec(rule.minCny).times(discount),
    maxCny: dec(rule.maxCny).times(discount),
  };
}

/**
 * The basic service fee of one order, on its own (SPEC §5): amountUsd ×
 * usdCny × rate × discount, clamped to [minimum, maximum], rounded half-up to
 * the fen once; VAT on that net fee, rounded half-up once more (D4).
 */
export function quoteFee(input: FeeInput): FeeOutcome {
  const { order, rulebook } = input;
  const rule = feeRuleAt(rulebook, order.service, order.clearedAt);
  if (!rule) {
    return {
      ok: false,
      error: domainError(
        'NO_FEE_RULE',
        `no basic service fee rule of rulebook ${rulebook.key} covers ${order.service} orders ` +
          `cleared on ${dateOf(order.clearedAt)} (order ${order.id})`,
      ),
    };
  }

  const month = order.usdCny === null ? monthOf(order.clearedAt) : '';
  const monthly = order.usdCny === null ? rulebook.document.fees.monthlyUsdCny[month] : undefined;
  const usdCny = order.usdCny ?? (monthly === undefined ? null : dec(monthly));
  if (usdCny === null) {
    return {
      ok: false,
      error: domainError(
        'NO_FX_RATE',
        `order ${order.id} carries no usdCny and rulebook ${rulebook.key} has no monthly ` +
          `USD/CNY rate for ${month}`,
      ),
    };
  }

  const band = bandFor(rule, input);
  const baseRate = dec(rule.baseRate);
  const unclampedCny = order.amountUsd.times(usdCny).times(baseRate).times(band.discount);
  let clamp: FeeQuote['clamp'] = null;
  let clampedCny = unclampedCny;
  if (unclampedCny.lt(band.minCny)) {
    clamp = 'min';
    clampedCny = band.minCny;
  } else if (unclampedCny.gt(band.maxCny)) {
    clamp = 'max';
    clampedCny = band.maxCny;
  }
  const netCny = roundFenHalfUp(clampedCny);
  const vatRate = dec(rulebook.document.fees.vatRate);
  const vatCny = roundFenHalfUp(netCny.times(vatRate));
  const grossCny = netCny.plus(vatCny);

  const quote = {
    orderId: order.id,
    level: input.level,
    band: band.band,
    ruleType: rule.type,
    usdCny,
    usdCnySource: order.usdCny ? 'order' : 'monthly',
    baseRate,
    discount: band.discount,
    minCny: band.minCny,
    maxCny: band.maxCny,
    unclampedCny,
    clamp,
    netCny,
    vatRate,
    vatCny,
    grossCny,
    monthOrderIndex: rule.type === 'monthly-order-count' ? input.monthOrderIndex : null,
  } as const;
  return { ok: true, quote };
}

/**
 * The sentence of SPEC §11 for a fee, built from the quote on demand (the
 * store keeps the quote's inputs, not the text), e.g. "10,000.00 USD × 7.1000
 * × 1.5% × 45% = 479.25 CNY, above the LV5 maximum, so 270.00 CNY".
 */
export function explainFeeQuote(
  quote: FeeQuote,
  order: Pick<Order, 'id' | 'amountUsd'> & { readonly clearedAt?: number },
  rulebookKey: string,
): Explanation {
  const usd = groupThousands(formatAmount(order.amountUsd));
  const product = groupThousands(roundFenHalfUp(quote.unclampedCny).toFixed(2));
  const net = groupThousands(formatFen(quote.netCny));
  const formula =
    `${usd} USD × ${formatRate(quote.usdCny)} × ${formatPercent(quote.baseRate)} × ` +
    `${formatPercent(quote.discount)} = ${product}`;
  const formulaZh = formula.replace(' USD', ' 美元');
  const who = quote.band === 'risk' ? `standard fee (${quote.level}, risk-flagged)` : quote.level;
  const whoZh = quote.band === 'risk' ? `标准费率（${quote.level}，命中风险条件）` : quote.level;

  let en: string;
  let zh: string;
  if (quote.clamp === 'max') {
    en = `${formula} CNY, above the ${who} maximum, so ${net} CNY`;
    zh = `${formulaZh} 元，高于 ${whoZh} 最高收费，按 ${net} 元收取`;
  } else if (quote.clamp === 'min') {
    en = `${formula} CNY, below the ${who} minimum, so ${net} CNY`;
    zh = `${formulaZh} 元，低于 ${whoZh} 最低收费，按 ${net} 元收取`;
  } else {
    en = `${formula} CNY, between the ${who} minimum and maximum, so ${net} CNY`;
    zh = `${formulaZh} 元，在 ${whoZh} 最低与最高收费之间，按 ${net} 元收取`;
  }
  const vat = formatFen(quote.vatCny);
  const gross = groupThousands(formatFen(quote.grossCny));
  const vatPct = formatPercent(quote.vatRate);
  en += `; VAT ${vatPct} ${vat} CNY, ${gross} CNY with VAT.`;
  zh += `；增值税 ${vatPct} ${vat} 元，含税 ${gross} 元。`;
  if (quote.usdCnySource === 'monthly') {
    const month = order.clearedAt === undefined ? '' : ` for ${monthOf(order.clearedAt)}`;
    const monthZh = order.clearedAt === undefined ? '' : `${monthOf(order.clearedAt)} `;
    en += ` The rate is customs' monthly rate${month}: the order carries none.`;
    zh += `汇率取${monthZh}海关月度计征汇率（订单未带汇率）。`;
  }

  return {
    rulebook: rulebookKey,
    inputs: {
      orderId: order.id,
      amountUsd: formatAmount(order.amountUsd),
      usdCny: formatRate(quote.usdCny),
      usdCnySource: quote.usdCnySource,
      level: quote.level,
      band: quote.band,
      discount: quote.discount.toFixed(),
      minCny: quote.minCny.toFixed(),
      maxCny: quote.maxCny.toFixed(),
      ...(quote.monthOrderIndex === null ? {} : { monthOrderIndex: String(quote.monthOrderIndex) }),
    },
    en,
    zh,
  };
}
