import type { Explanation } from './explanation.js';
import type { Assessment } from './model.js';
import {
  type Dec,
  formatAmount,
  formatFen,
  groupThousands,
  roundFenHalfUp,
  ZERO,
} from './money.js';
import { levelByName, levelFor, type Programme, type Rulebook } from './rulebook/rulebook.js';
import { compareQuarters, formatInstant, type Instant, type Quarter } from './time.js';

export interface MerchantAmount {
  readonly merchantId: string;
  readonly amountUsd: Dec;
  readonly orderCount: number;
}

export interface JumpRebate {
  readonly merchantId: string;
  readonly service: string;
  readonly quarter: Quarter;
  readonly fromLevel: string;
  readonly toLevel: string;
  readonly increaseUsd: Dec;
  readonly rebateCny: Dec;
  readonly status: 'issued' | 'suppressed';
  readonly reason: 'risk' | null;
  readonly effectiveAt: Instant;
  readonly explanation: Explanation;
}

export interface AssessedMerchant {
  readonly assessment: Assessment;
  readonly orderCount: number;
  readonly explanation: Explanation;
  readonly rebate: JumpRebate | null;
}

export interface AssessQuarterInput {
  readonly rulebook: Rulebook;
  readonly programme: Programme;
  readonly quarter: Quarter;
  readonly effectiveAt: Instant;
  /** Every merchant to assess, with its frozen amount; merchants without orders have 0. */
  readonly amounts: readonly MerchantAmount[];
  /** Each merchant's assessment of the quarter before, as frozen then. */
  readonly previous: ReadonlyMap<string, Assessment>;
  readonly isRiskFlagged: (merchantId: string) => boolean;
}

/**
 * One quarter's assessment of one programme (SPEC §4, §6): each merchant's
 * level from its amount, and a jump rebate where the new level is above the
 * one assessed a quarter before.
 */
export function assessQuarter(input: AssessQuarterInput): AssessedMerchant[] {
  const { programme, quarter, effectiveAt, rulebook } = input;

  return input.amounts.map((row) => {
    const level = levelFor(programme, row.amountUsd);
    const assessment: Assessment = {
      merchantId: row.merchantId,
      service: programme.service,
      quarter,
      amountUsd: row.amountUsd,
      level: level.name,
      effectiveFrom: effectiveAt,
      rulebookKey: rulebook.key,
    };
    const rebate = jumpRebate({
      programme,
      current: assessment,
      previous: input.previous.get(row.merchantId),
      riskFlagged: input.isRiskFlagged(row.merchantId),
      rulebookKey: rulebook.key,
    });
    return {
      assessment,
      orderCount: row.orderCount,
      explanation: explainLevel(assessment, row.orderCount, programme),
      rebate,
    };
  });
}

interface JumpInput {
  readonly programme: Programme;
  readonly current: Assessment;
  readonly previous: Assessment | undefined;
  readonly riskFlagged: boolean;
  readonly rulebookKey: string;
}

/**
 * The jump rebate of one assessment, or null when there is no jump or the
 * assessment lies outside the rebate window. Both amounts are the frozen ones.
 * A merchant without a previous assessment held `newcomerHeldLevel` with 0 (D8).
 */
export function jumpRebate(input: JumpInput): JumpRebate | null {
  const { programme, current, previous } = input;
  const window = programme.rules.jumpRebate;
  if (compareQuarters(current.quarter, window.firstQuarter) < 0) return null;
  if (compareQuarters(current.quarter, window.lastQuarter) > 0) return null;

  const held = previous
    ? { level: previous.level, amountUsd: previous.amountUsd }
    : window.newcomerHeldLevel === null
      ? null
      : { level: window.newcomerHeldLevel, amountUsd: ZERO };
  if (!held) return null;

  const fromRank = levelByName(programme, held.level)?.rank ?? 0;
  const toRank = levelByName(programme, current.level)?.rank ?? 0;
  if (toRank <= fromRank) return null;

  const difference = current.amountUsd.minus(held.amountUsd);
  const increaseUsd = difference.gt(0) ? difference : ZERO;
  const rebateCny = roundFenHalfUp(increaseUsd.times(programme.jumpCnyPerUsd));
  const suppressed = input.riskFlagged;

  const base = {
    merchantId: current.merchantId,
    service: current.service,
    quarter: current.quarter,
    fromLevel: held.level,
    toLevel: current.level,
    increaseUsd,
    rebateCny,
    status: suppressed ? ('suppressed' as const) : ('issued' as const),
    reason: suppressed ? ('risk' as const) : null,
    effectiveAt: current.effectiveFrom,
  };
  return {
    ...base,
    explanation: explainRebate(
      base,
      current.amountUsd,
      held.amountUsd,
      programme,
      input.rulebookKey,
      previous === undefined,
    ),
  };
}

/**
 * Why an assessment gave its level: the amount, the band it falls in and the
 * instant it took effect. Worked out from the stored assessment whenever it
 * is asked for, so that a set-based assessment need not store a sentence per
 * merchant (the rulebook version it names never changes).
 */
export function explainLevel(
  assessment: Assessment,
  orderCount: number,
  programme: Programme,
): Explanation {
  const level = levelByName(programme, assessment.level);
  const next = programme.levels.find((l) => level && l.rank === level.rank + 1);
  const amount = groupThousands(formatAmount(assessment.amountUsd));
  const from = groupThousands(formatAmount(level?.fromUsd ?? ZERO));
  const upper = next ? ` and below ${groupThousands(formatAmount(next.fromUsd))} USD` : '';
  const upperZh = next ? `、低于 ${groupThousands(formatAmount(next.fromUsd))} 美元` : '';
  const when = formatInstant(assessment.effectiveFrom);
  return {
    rulebook: assessment.rulebookKey,
    inputs: {
      merchantId: assessment.merchantId,
      service: assessment.service,
      quarter: assessment.quarter,
      amountUsd: formatAmount(assessment.amountUsd),
      orderCount: String(orderCount),
    },
    en:
      `${assessment.service} clearance in ${assessment.quarter}: ${amount} USD over ` +
      `${orderCount} orders, at least ${from} USD${upper}, so ${assessment.level} from ${when}.`,
    zh:
      `${assessment.quarter} ${assessment.service} 通关金额 ${amount} 美元（${orderCount} 单），` +
      `不低于 ${from} 美元${upperZh}，自 ${when} 起为 ${assessment.level}。`,
  };
}

function explainRebate(
  rebate: Omit<JumpRebate, 'explanation'>,
  currentAmountUsd: Dec,
  heldAmountUsd: Dec,
  programme: Programme,
  rulebookKey: string,
  newcomer: boolean,
): Explanation {
  const rate = programme.jumpCnyPerUsd.toFixed();
  const now = groupThousands(formatAmount(currentAmountUsd));
  const before = groupThousands(formatAmount(heldAmountUsd));
  const cny = groupThousands(formatFen(rebate.rebateCny));
  const suppressed = rebate.status === 'suppressed';
  const suffixEn = suppressed
    ? '; suppressed: the merchant is risk-flagged'
    : ', paid as one coupon';
  const suffixZh = suppressed ? '；因命中平台风险条件不予发放' : '，以等额补贴券发放';
  const heldEn = newcomer
    ? ` No assessment of the quarter before: taken to have held ${rebate.fromLevel} with 0 USD.`
    : '';
  const heldZh = newcomer ? `上季度无等级记录，视为 ${rebate.fromLevel}、通关金额 0 美元。` : '';
  return {
    rulebook: rulebookKey,
    inputs: {
      merchantId: rebate.merchantId,
      quarter: rebate.quarter,
      fromLevel: rebate.fromLevel,
      toLevel: rebate.toLevel,
      increaseUsd: formatAmount(rebate.increaseUsd),
      cnyPerUsd: rate,
    },
    en:
      `${rebate.fromLevel} → ${rebate.toLevel}: (${now} − ${before}) USD × ${rate} CNY = ` +
      `${cny} CNY${suffixEn}.${heldEn}`,
    zh:
      `${rebate.fromLevel} → ${rebate.toLevel} 跃迁：（${now} − ${before}）美元 × ${rate} 元 = ` +
      `${cny} 元${suffixZh}。${heldZh}`,
  };
}
