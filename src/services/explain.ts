import { LadderError } from '../core/errors.js';
import type { Explanation } from '../core/explanation.js';
import { explainFeeQuote, type FeeQuote } from '../core/fee.js';
import { dec } from '../core/money.js';
import { dateOf, formatInstant, monthOf, previousQuarter } from '../core/time.js';
import type { Queryable } from '../store/db.js';
import { fromPg } from '../store/rows.js';
import { type ExplainedAssessmentRow, explainLevels } from './level-explanations.js';

/** What `ladder explain` and the API return for one computed amount (SPEC §11). */
export interface AmountExplanation extends Explanation {
  readonly kind: 'fee' | 'rebate' | 'subsidy' | 'level';
  readonly subject: string;
  readonly merchantId: string;
}

const missing = (what: string, justSent?: string) =>
  new LadderError(
    'NOT_FOUND',
    justSent === undefined
      ? `no computed ${what}`
      : `no computed ${what}; ${justSent} just sent is priced by the next run ` +
          "(ladder run, POST /v1/assessments/run, or the server's scheduler within a minute)",
  );

interface FeeBreakdown {
  band: FeeQuote['band'];
  ruleType: FeeQuote['ruleType'];
  usdCny: string;
  usdCnySource: FeeQuote['usdCnySource'];
  baseRate: string;
  discount: string;
  minCny: string;
  maxCny: string;
  unclampedCny: string;
  clamp: FeeQuote['clamp'];
  vatRate: string;
  monthOrderIndex: number | null;
}

interface FeeRow {
  merchant_id: string;
  status: string;
  level: string | null;
  net_cny: string | null;
  vat_cny: string | null;
  gross_cny: string | null;
  breakdown: FeeBreakdown | null;
  error_code: string | null;
  error_message: string | null;
  rulebook: string | null;
  reversed_at: string | null;
  amount_usd: string;
  cleared_at: string;
  service: string;
}

/** The fee's sentence, rebuilt from the inputs and steps the store kept with it. */
function feeSentence(orderId: string, row: FeeRow): Explanation | null {
  const b = row.breakdown;
  if (!b || row.net_cny === null || row.vat_cny === null || row.gross_cny === null) return null;
  return explainFeeQuote(
    {
      orderId,
      level: row.level ?? '',
      band: b.band,
      ruleType: b.ruleType,
      usdCny: dec(b.usdCny),
      usdCnySource: b.usdCnySource,
      baseRate: dec(b.baseRate),
      discount: dec(b.discount),
      minCny: dec(b.minCny),
      maxCny: dec(b.maxCny),
      unclampedCny: dec(b.unclampedCny),
      clamp: b.clamp,
      netCny: dec(row.net_cny),
      vatRate: dec(b.vatRate),
      vatCny: dec(row.vat_cny),
      grossCny: dec(row.gross_cny),
      monthOrderIndex: b.monthOrderIndex,
    },
    { id: orderId, amountUsd: dec(row.amount_usd), clearedAt: fromPg(row.cleared_at) },
    row.rulebook ?? '-',
  );
}

/** The reason a fee could not be computed, in Chinese, from the facts the row keeps. */
function errorZh(row: FeeRow): string {
  const clearedAt = fromPg(row.cleared_at);
  const rulebook = row.rulebook ? `规则 ${row.rulebook} ` : '';
  if (row.error_code === 'NO_FX_RATE') {
    return `订单未带美元兑人民币汇率，${rulebook}也没有 ${monthOf(clearedAt)} 的海关月度计征汇率`;
  }
  return `${rulebook}没有适用于 ${dateOf(clearedAt)} 通关的 ${row.service} 订单的基础服务费规则`;
}

export async function explainFee(db: Queryable, orderId: string): Promise<AmountExplanation> {
  const rows = await db.query<FeeRow>(
    `SELECT f.merchant_id, f.status, f.level, f.net_cny, f.vat_cny, f.gross_cny, f.breakdown,
            f.error_code, f.error_message, f.rulebook, f.reversed_at, o.amount_usd,
            o.cleared_at, o.service
     FROM fees f JOIN orders o ON o.merchant_id = f.merchant_id AND o.id = f.order_id
     WHERE f.order_id = $1`,
    [orderId],
  );
  const row = rows[0];
  if (!row) throw missing(`basic service fee for order ${orderId}`, 'an order');
  const base = { kind: 'fee' as const, subject: orderId, merchantId: row.merchant_id };
  const sentence = feeSentence(orderId, row);
  if (row.status === 'error' || !sentence) {
    return {
      ...base,
      rulebook: row.rulebook ?? '-',
      inputs: { orderId, code: row.error_code ?? '' },
      en: `No fee: ${row.error_code}: ${row.error_message}.`,
      zh: `无法计算基础服务费（${row.error_code}）：${errorZh(row)}。`,
    };
  }
  if (row.status === 'reversed' && row.reversed_at) {
    const when = formatInstant(fromPg(row.reversed_at));
    return {
      ...base,
      ...sentence,
      en: `${sentence.en} Reversed at ${when}: the order was cancelled.`,
      zh: `${sentence.zh}订单于 ${when} 取消，该笔费用已冲回。`,
    };
  }
  return { ...base, ...sentence };
}

export async function explainLevel(
  db: Queryable,
  merchantId: string,
  quarter: string,
  service = '3+N',
): Promise<AmountExplanation> {
  const rows = await db.query<ExplainedAssessmentRow>(
    `SELECT merchant_id, service, quarter, amount_usd::text AS amount_usd, order_count, level,
            effective_from, rulebook, explanation
     FROM assessments WHERE merchant_id = $1 AND quarter = $2 AND service = $3`,
    [merchantId, quarter, service],
  );
  if (rows.length === 0) throw missing(`${service} level for ${merchantId} in ${quarter}`);
  const [explanation] = await explainLevels(db, rows);
  return {
    kind: 'level',
    subject: `${merchantId} ${service} ${quarter}`,
    merchantId,
    ...(explanation as Explanation),
  };
}

export async function explainRebate(
  db: Queryable,
  merchantId: string,
  quarter: string,
  service = '3+N',
): Promise<AmountExplanation> {
  const rows = await db.query<{ explanation: Explanation }>(
    'SELECT explanation FROM jump_rebates WHERE merchant_id = $1 AND quarter = $2 AND service = $3',
    [merchantId, quarter, service],
  );
  const row = rows[0];
  if (!row) return noJump(db, merchantId, quarter, service);
  return {
    kind: 'rebate',
    subject: `${merchantId} ${service} ${quarter}`,
    merchantId,
    ...row.explanation,
  };
}

export async function explainSubsidy(
  db: Queryable,
  settlementId: string,
): Promise<AmountExplanation> {
  const rows = await db.query<{ merchant_id: string; explanation: Explanation }>(
    'SELECT merchant_id, explanation FROM settlement_results WHERE settlement_id = $1',
    [settlementId],
  );
  const row = rows[0];
  if (!row) throw missing(`FX subsidy for settlement ${settlementId}`, 'a settlement');
  return {
    kind: 'subsidy',
    subject: settlementId,
    merchantId: row.merchant_id,
    ...row.explanation,
  };
}

/** A merchant assessed in the quarter without a jump: say so, with both levels. */
async function noJump(
  db: Queryable,
  merchantId: string,
  quarter: string,
  service: string,
): Promise<AmountExplanation> {
  const rows = await db.query<{ quarter: string; level: string; rulebook: string }>(
    `SELECT quarter, level, rulebook FROM assessments
     WHERE merchant_id = $1 AND service = $2 AND quarter IN ($3, $4)`,
    [merchantId, service, quarter, previousQuarter(quarter)],
  );
  const now = rows.find((r) => r.quarter === quarter);
  if (!now) throw missing(`${service} assessment for ${merchantId} in ${quarter}`);
  const before = rows.find((r) => r.quarter !== quarter);
  const from = before ? `${before.level} → ${now.level}` : `${now.level}`;
  return {
    kind: 'rebate',
    subject: `${merchantId} ${service} ${quarter}`,
    merchantId,
    rulebook: now.rulebook,
    inputs: { merchantId, quarter, level: now.level, previousLevel: before?.level ?? '' },
    en: `No jump rebate for ${quarter}: ${from} is not a climb, so nothing is paid.`,
    zh: `${quarter} 无跃迁返利：${from}，等级未上升，不发放补贴券。`,
  };
}
