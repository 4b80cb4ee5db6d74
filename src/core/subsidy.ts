import type { Explanation } from './explanation.js';
import { fxRatingAt, isRiskFlagged, type Merchant, type Settlement } from './model.js';
import {
  type Dec,
  dec,
  formatAmount,
  formatFen,
  formatRate,
  groupThousands,
  roundFenHalfUp,
  ZERO,
} from './money.js';
import type { Rulebook } from './rulebook/rulebook.js';
import { dateOf, parseInstant } from './time.js';

export const SUBSIDY_REASONS = [
  'level',
  'fx-rating',
  'currency',
  'account',
  'risk',
  'window',
] as const;
export type SubsidyReason = (typeof SUBSIDY_REASONS)[number];

export interface SettlementResult {
  readonly settlementId: string;
  readonly merchantId: string;
  readonly level: string;
  readonly pips: number;
  readonly effectiveRate: Dec;
  readonly subsidyCny: Dec;
  readonly reason: SubsidyReason | null;
  readonly explanation: Explanation;
}

const PIP = dec('0.0001');

/**
 * The FX settlement subsidy (SPEC §9): the pips of the level in force, if
 * every condition holds at the settlement instant; otherwise none, with the
 * first condition that failed, checked in SPEC's order.
 */
export function settleFx(input: {
  readonly settlement: Settlement;
  readonly merchant: Merchant;
  /** The level in force at the settlement instant in the subsidy's service. */
  readonly level: string;
  readonly rulebook: Rulebook;
}): SettlementResult {
  const { settlement, merchant, level, rulebook } = input;
  const rules = rulebook.document.fxSubsidy;
  const levelPips = rules.pipsByLevel[level] ?? 0;
  const at = settlement.at;

  const checks: readonly [SubsidyReason, boolean][] = [
    ['level', levelPips > 0],
    ['fx-rating', rules.ratings.includes(fxRatingAt(merchant, at))],
    ['currency', rules.currencies.includes(settlement.currency)],
    ['account', rules.accounts.includes(settlement.account)],
    ['risk', !isRiskFlagged(merchant, at)],
    ['window', parseInstant(rules.from) <= at && at < parseInstant(rules.until)],
  ];
  const failed = checks.find(([, holds]) => !holds);
  const reason = failed ? failed[0] : null;
  const pips = reason === null ? levelPips : 0;
  const effectiveRate = settlement.baseRate.plus(PIP.times(pips));
  const subsidyCny =
    reason === null ? roundFenHalfUp(settlement.amount.times(pips).times(PIP)) : ZERO;

  return {
    settlementId: settlement.id,
    merchantId: settlement.merchantId,
    level,
    pips,
    effectiveRate,
    subsidyCny,
    reason,
    explanation: explainSettlement(
      settlement,
      level,
      pips,
      effectiveRate,
      subsidyCny,
      reason,
      rulebook.key,
      windowText(rules.from, rules.until),
    ),
  };
}

/** `2024-07-08 … 2025-03-31`: the window with its last day included, as the announcement says it. */
function windowText(from: string, until: string): string {
  return `${dateOf(parseInstant(from))} … ${dateOf(parseInstant(until) - 1)}`;
}

const REASON_TEXT: Record<SubsidyReason, { en: string; zh: string }> = {
  level: { en: 'the level in force earns no pips', zh: '当前等级不享结汇补贴' },
  'fx-rating': { en: 'the FX rating is not A', zh: '外汇评级不是 A 级' },
  currency: { en: 'only USD settlements qualify', zh: '仅限美元结汇' },
  account: { en: 'the account is not the export account', zh: '非一达通出口账户' },
  risk: { en: 'the merchant is risk-flagged', zh: '命中平台风险条件' },
  window: { en: 'outside the subsidy window', zh: '不在结汇补贴活动时间内' },
};

function explainSettlement(
  settlement: Settlement,
  level: string,
  pips: number,
  effectiveRate: Dec,
  subsidyCny: Dec,
  reason: SubsidyReason | null,
  rulebookKey: string,
  window: string,
): Explanation {
  const amount = groupThousands(formatAmount(settlement.amount));
  const inputs = {
    settlementId: settlement.id,
    level,
    currency: settlement.currency,
    amount: formatAmount(settlement.amount),
    baseRate: formatRate(settlement.baseRate),
    account: settlement.account,
  };
  if (reason !== null) {
    return {
      rulebook: rulebookKey,
      inputs,
      en:
        `No FX subsidy at ${level}: ${REASON_TEXT[reason].en}` +
        `${reason === 'window' ? ` (${window})` : ''}; rate stays ${formatRate(effectiveRate)}.`,
      zh:
        `${level} 无结汇补贴：${REASON_TEXT[reason].zh}` +
        `${reason === 'window' ? `（${window}）` : ''}；汇率仍为 ${formatRate(effectiveRate)}。`,
    };
  }
  const cny = groupThousands(formatFen(subsidyCny));
  return {
    rulebook: rulebookKey,
    inputs,
    en:
      `${level} earns ${pips} pips: ${formatRate(settlement.baseRate)} becomes ` +
      `${formatRate(effectiveRate)}; ${amount} USD × ${pips} × 0.0001 = ${cny} CNY.`,
    zh:
      `${level} 享 ${pips} pips：汇率 ${formatRate(settlement.baseRate)} 优惠为 ` +
      `${formatRate(effectiveRate)}；${amount} 美元 × ${pips} × 0.0001 = ${cny} 元。`,
  };
}
