import { allocateCoupons, type CouponBalance } from './coupons.js';
import type { DomainError } from './errors.js';
import { type FeeQuote, quoteFee } from './fee.js';
import { ACCOUNTS, type LedgerEntry, ledgerEntry } from './ledger.js';
import {
  type Assessment,
  assessmentInForce,
  type Charge,
  isRiskFlagged,
  type Merchant,
  type Order,
  type OrderEvent,
  type Settlement,
} from './model.js';
import type { Dec } from './money.js';
import { type Rulebook, versionInForce } from './rulebook/rulebook.js';
import { type SettlementResult, settleFx } from './subsidy.js';
import { dateOf, type Instant } from './time.js';

/**
 * The engine's step between two assessments: every fee, status change,
 * charge, settlement and coupon expiry due in a window, applied in time order
 * to a snapshot of the state the store loaded. Pure: it returns what to
 * write; the service writes it in one transaction.
 */

export interface PricedOrder extends Order {
  /** 1-based place among the merchant's orders of the service in its Shanghai month. */
  readonly monthOrderIndex: number;
  /**
   * A status change already applied while this order's fee could not be
   * computed: a fee priced on a later run must still be reversed by it.
   */
  readonly appliedEvent?: OrderEvent | null;
}

export interface ExistingUse {
  readonly chargeId: string;
  readonly seq: number;
  readonly couponId: string;
  readonly merchantId: string;
  readonly orderId: string;
  readonly amountCny: Dec;
  /** The instant of the charge that consumed the value. */
  readonly at: Instant;
  readonly forfeited: boolean;
}

export interface SegmentInput {
  readonly rulebooks: readonly Rulebook[];
  readonly merchants: ReadonlyMap<string, Merchant>;
  /** Assessments by `merchantId|service`. */
  readonly assessments: ReadonlyMap<string, readonly Assessment[]>;
  readonly orders: readonly PricedOrder[];
  readonly events: readonly OrderEvent[];
  readonly charges: readonly Charge[];
  readonly settlements: readonly Settlement[];
  /** Coupons with value left, of the merchants this window touches. */
  readonly coupons: readonly CouponBalance[];
  /** Already stored: the fee status of orders that events touch. */
  readonly feeStatus: ReadonlyMap<string, 'charged' | 'reversed' | 'error'>;
  /** Already stored: the coupon uses of orders that events touch. */
  readonly usesByOrder: ReadonlyMap<string, readonly ExistingUse[]>;
  /** Already applied status changes, with their instants, of orders that charges touch. */
  readonly statusChanges: ReadonlyMap<string, OrderEvent>;
  /** The merchant of each order that events touch. */
  readonly merchantOfOrder: ReadonlyMap<string, string>;
}

export type FeeRecord =
  | {
      readonly orderId: string;
      readonly merchantId: string;
      readonly clearedAt: Instant;
      readonly status: 'charged';
      readonly quote: FeeQuote;
      readonly standardNetCny: Dec | null;
      readonly rulebookKey: string;
    }
  | {
      readonly orderId: string;
      readonly merchantId: string;
      readonly clearedAt: Instant;
      readonly status: 'error';
      readonly level: string | null;
      readonly error: DomainError;
      readonly rulebookKey: string | null;
    };

export interface CouponUseRecord extends ExistingUse {
  readonly forfeitedAt: Instant | null;
}

export interface ChargeRecord {
  readonly chargeId: string;
  readonly merchantId: string;
  readonly amountCny: Dec;
  readonly paidByCouponsCny: Dec;
  readonly payableCny: Dec;
}

export interface FeedEvent {
  readonly key: string;
  readonly type: string;
  readonly merchantId: string;
  readonly at: Instant;
  readonly payload: Readonly<Record<string, string | number | boolean | null>>;
}

export interface SegmentOutput {
  readonly fees: FeeRecord[];
  readonly feeReversals: { merchantId: string; orderId: string; at: Instant }[];
  readonly newUses: CouponUseRecord[];
  readonly forfeits: { merchantId: string; chargeId: string; seq: number; at: Instant }[];
  readonly charges: ChargeRecord[];
  readonly settlements: (SettlementResult & { rulebookKey: string })[];
  readonly appliedEvents: string[];
  readonly ledger: LedgerEntry[];
  readonly feed: FeedEvent[];
}

type Item =
  | { at: Instant; rank: 0; id: string; kind: 'expiry'; coupon: CouponBalance }
  | { at: Instant; rank: 1; id: string; kind: 'fee'; order: PricedOrder }
  | { at: Instant; rank: 2; id: string; kind: 'event'; event: OrderEvent }
  | { at: Instant; rank: 3; id: string; kind: 'charge'; charge: Charge }
  | { at: Instant; rank: 4; id: string; kind: 'settlement'; settlement: Settlement };

/**
 * Items at one instant go expiry, fee, status change, charge, settlement;
 * ties within a kind by id ("charges at the same instant are applied in
 * order of their ids", SPEC §12).
 */
function timeline(input: SegmentInput, until: Instant, inclusive: boolean): Item[] {
  const items: Item[] = [];
  for (const coupon of input.coupons) {
    if (coupon.expiresAt !== null) {
      items.push({ at: coupon.expiresAt, rank: 0, id: coupon.couponId, kind: 'expiry', coupon });
    }
  }
  for (const order of input.orders)
    items.push({ at: order.clearedAt, rank: 1, id: order.id, kind: 'fee', order });
  for (const event of input.events)
    items.push({ at: event.at, rank: 2, id: event.orderId, kind: 'event', event });
  for (const charge of input.charges)
    items.push({ at: charge.at, rank: 3, id: charge.id, kind: 'charge', charge });
  for (const settlement of input.settlements) {
    items.push({ at: settlement.at, rank: 4, id: settlement.id, kind: 'settlement', settlement });
  }
  return items
    .filter((item) => (inclusive ? item.at <= until : item.at < until))
    .sort((a, b) => a.at - b.at || a.rank - b.rank || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function lowestLevel(rulebook: Rulebook | undefined, service: string): string | null {
  return rulebook?.programmes.get(service)?.levels[0]?.name ?? null;
}

/** The level of a merchant in a service at an instant; the lowest level before any assessment. */
export function levelAt(
  input: Pick<SegmentInput, 'assessments' | 'rulebooks'>,
  merchantId: string,
  service: string,
  at: Instant,
): string | null {
  const assessed = assessmentInForce(input.assessments.get(`${merchantId}|${service}`), at);
  if (assessed) return assessed.level;
  return lowestLevel(versionInForce(input.rulebooks, at), service);
}

export function processSegment(
  input: SegmentInput,
  until: Instant,
  inclusive: boolean,
): SegmentOutput {
  const out: SegmentOutput = {
    fees: [],
    feeReversals: [],
    newUses: [],
    forfeits: [],
    charges: [],
    settlements: [],
    appliedEvents: [],
    ledger: [],
    feed: [],
  };
  const coupons = new Map(input.coupons.map((c) => [c.couponId, { ...c }]));
  const couponsOf = new Map<string, string[]>();
  for (const coupon of input.coupons) {
    couponsOf.set(coupon.merchantId, [
      ...(couponsOf.get(coupon.merchantId) ?? []),
      coupon.couponId,
    ]);
  }
  const feeStatus = new Map(input.feeStatus);
  const statusChanges = new Map(input.statusChanges);
  const usesByOrder = new Map<string, ExistingUse[]>();
  for (const [orderId, uses] of input.usesByOrder) usesByOrder.set(orderId, [...uses]);

  for (const item of timeline(input, until, inclusive)) {
    switch (item.kind) {
      case 'expiry':
        expireCoupon(item.coupon.couponId, item.at, coupons, out);
        break;
      case 'fee':
        priceOrder(input, item.order, feeStatus, out);
        break;
      case 'event':
        applyStatus(input, item.event, feeStatus, statusChanges, usesByOrder, out);
        break;
      case 'charge':
        applyCharge(input, item.charge, coupons, couponsOf, statusChanges, usesByOrder, out);
        break;
      case 'settlement':
        settle(input, item.settlement, out);
        break;
    }
  }
  return out;
}

function expireCoupon(
  couponId: string,
  at: Instant,
  coupons: Map<string, CouponBalance>,
  out: SegmentOutput,
): void {
  const coupon = coupons.get(couponId);
  if (!coupon?.remainingCny.gt(0)) return;
  out.ledger.push(
    ledgerEntry({
      key: `expire:${couponId}`,
      kind: 'expire',
      merchantId: coupon.merchantId,
      at,
      debitAccount: ACCOUNTS.coupon(couponId),
      creditAccount: ACCOUNTS.expired,
      amountCny: coupon.remainingCny,
      couponId,
      chargeId: null,
    }),
  );
  out.feed.push({
    key: `coupon-expired:${couponId}`,
    type: 'coupon.expired',
    merchantId: coupon.merchantId,
    at,
    payload: { couponId, amountCny: coupon.remainingCny.toFixed(2) },
  });
  coupons.set(couponId, {
    ...coupon,
    remainingCny: coupon.remainingCny.minus(coupon.remainingCny),
  });
}

function priceOrder(
  input: SegmentInput,
  order: PricedOrder,
  feeStatus: Map<string, 'charged' | 'reversed' | 'error'>,
  out: SegmentOutput,
): void {
  const base = { orderId: order.id, merchantId: order.merchantId, clearedAt: order.clearedAt };
  const rulebook = versionInForce(input.rulebooks, order.clearedAt);
  const level = levelAt(input, order.merchantId, order.service, order.clearedAt);
  if (!rulebook || level === null) {
    const where = rulebook
      ? `rulebook ${rulebook.key} has no ${order.service} programme`
      : 'no rulebook version is in force';
    out.fees.push({
      ...base,
      status: 'error',
      level,
      rulebookKey: rulebook?.key ?? null,
      error: {
        code: 'NO_FEE_RULE',
        message: `no basic service fee rule covers order ${order.id} cleared on ${dateOf(order.clearedAt)}: ${where}`,
      },
    });
    feeStatus.set(order.id, 'error');
    return;
  }

  const merchant = input.merchants.get(order.merchantId);
  const riskFlagged = isRiskFlagged(merchant, order.clearedAt);
  const outcome = quoteFee({
    order,
    level,
    riskFlagged,
    monthOrderIndex: order.monthOrderIndex,
    rulebook,
  });
  if (!outcome.ok) {
    out.fees.push({
      ...base,
      status: 'error',
      level,
      rulebookKey: rulebook.key,
      error: outcome.error,
    });
    feeStatus.set(order.id, 'error');
    return;
  }

  // What the order would have paid undiscounted: the programme's cost of the discount.
  const standard = quoteFee({ order, level, riskFlagged: true, monthOrderIndex: 1, rulebook });
  out.fees.push({
    ...base,
    status: 'charged',
    quote: outcome.quote,
    standardNetCny: standard.ok ? standard.quote.netCny : null,
    rulebookKey: rulebook.key,
  });
  feeStatus.set(order.id, 'charged');
  if (order.appliedEvent) reverseFee(input, order.appliedEvent, order.merchantId, feeStatus, out);
}

/** Reverses a charged fee when the status is one that reverses it (D7). */
function reverseFee(
  input: SegmentInput,
  event: OrderEvent,
  merchantId: string,
  feeStatus: Map<string, 'charged' | 'reversed' | 'error'>,
  out: SegmentOutput,
): void {
  const rulebook = versionInForce(input.rulebooks, event.at);
  const reverses = rulebook?.document.fees.reversalStatuses.includes(event.status) ?? false;
  if (!reverses || feeStatus.get(event.orderId) !== 'charged') return;
  // The reversal is written by (merchant_id, order_id): without the merchant it would match nothing.
  if (merchantId === '') throw new Error(`no merchant known for order ${event.orderId}`);
  feeStatus.set(event.orderId, 'reversed');
  out.feeReversals.push({ merchantId, orderId: event.orderId, at: event.at });
  out.feed.push({
    key: `fee-reversed:${event.orderId}`,
    type: 'fee.reversed',
    merchantId,
    at: event.at,
    payload: { orderId: event.orderId, status: event.status },
  });
}

function applyStatus(
  input: SegmentInput,
  event: OrderEvent,
  feeStatus: Map<string, 'charged' | 'reversed' | 'error'>,
  statusChanges: Map<string, OrderEvent>,
  usesByOrder: Map<string, ExistingUse[]>,
  out: SegmentOutput,
): void {
  out.appliedEvents.push(event.orderId);
  statusChanges.set(event.orderId, event);

  reverseFee(input, event, input.merchantOfOrder.get(event.orderId) ?? '', feeStatus, out);

  const uses = (usesByOrder.get(event.orderId) ?? []).map((use) => {
    if (use.forfeited) return use;
    const forfeitedAt = forfeitInstant(input.rulebooks, event, use.at);
    if (forfeitedAt === null) return use;
    forfeitUse(use, forfeitedAt, out);
    return { ...use, forfeited: true };
  });
  usesByOrder.set(event.orderId, uses);
}

/**
 * When a status change forfeits the coupon value a use consumed, or null when
 * its status does not forfeit (SPEC §7, §8). Value consumed while the order
 * was still `cleared` is an ordinary use until the change, and forfeited at
 * the change's instant; value consumed after the change is forfeited as it is
 * consumed, at the use's instant. The answer depends only on the two
 * instants, never on which fact reached the store first, so that facts
 * arriving in any order, with runs in between, end in the rows a replay
 * writes. The rulebook in force at that instant says which statuses forfeit.
 */
function forfeitInstant(
  rulebooks: readonly Rulebook[],
  event: OrderEvent,
  useAt: Instant,
): Instant | null {
  const at = Math.max(event.at, useAt);
  const rulebook = versionInForce(rulebooks, at);
  const forfeits = rulebook?.document.coupons.forfeitStatuses.includes(event.status) ?? false;
  return forfeits ? at : null;
}

/** Marks a stored use forfeited and writes its ledger entry. */
function forfeitUse(use: ExistingUse, at: Instant, out: SegmentOutput): void {
  out.forfeits.push({ merchantId: use.merchantId, chargeId: use.chargeId, seq: use.seq, at });
  recordForfeit(use, at, out);
}

/**
 * The ledger entry of a forfeit: the value the charge consumed moves from
 * redeemed to forfeited, and no coupon gets it back (SPEC §7).
 */
function recordForfeit(use: ExistingUse, at: Instant, out: SegmentOutput): void {
  out.ledger.push(
    ledgerEntry({
      key: `forfeit:${use.chargeId}:${use.seq}`,
      kind: 'forfeit',
      merchantId: use.merchantId,
      at,
      debitAccount: ACCOUNTS.redeemed,
      creditAccount: ACCOUNTS.forfeited,
      amountCny: use.amountCny,
      couponId: use.couponId,
      chargeId: use.chargeId,
    }),
  );
  out.feed.push({
    key: `coupon-forfeited:${use.chargeId}:${use.seq}`,
    type: 'coupon.forfeited',
    merchantId: use.merchantId,
    at,
    payload: {
      chargeId: use.chargeId,
      couponId: use.couponId,
      amountCny: use.amountCny.toFixed(2),
    },
  });
}

function applyCharge(
  input: SegmentInput,
  charge: Charge,
  coupons: Map<string, CouponBalance>,
  couponsOf: ReadonlyMap<string, readonly string[]>,
  statusChanges: ReadonlyMap<string, OrderEvent>,
  usesByOrder: Map<string, ExistingUse[]>,
  out: SegmentOutput,
): void {
  const own = [...(couponsOf.get(charge.merchantId) ?? [])]
    .map((id) => coupons.get(id))
    .filter((c): c is CouponBalance => c !== undefined);
  const allocation = allocateCoupons(charge.amountCny, own, charge.at);
  out.charges.push({
    chargeId: charge.id,
    merchantId: charge.merchantId,
    amountCny: charge.amountCny,
    paidByCouponsCny: allocation.paidByCouponsCny,
    payableCny: allocation.payableCny,
  });

  // A status change already applied may lie after this charge when the charge
  // reached the store late: its uses are then forfeited at the change, not now.
  const change = statusChanges.get(charge.orderId);
  const forfeitedAt =
    change === undefined ? null : forfeitInstant(input.rulebooks, change, charge.at);

  allocation.uses.forEach((use, index) => {
    const seq = index + 1;
    const coupon = coupons.get(use.couponId);
    if (!coupon) throw new Error(`allocated coupon ${use.couponId} is not loaded`);
    coupons.set(use.couponId, {
      ...coupon,
      remainingCny: coupon.remainingCny.minus(use.amountCny),
    });
    const record: CouponUseRecord = {
      chargeId: charge.id,
      seq,
      couponId: use.couponId,
      merchantId: charge.merchantId,
      orderId: charge.orderId,
      amountCny: use.amountCny,
      at: charge.at,
      forfeited: forfeitedAt !== null,
      forfeitedAt,
    };
    out.newUses.push(record);
    out.ledger.push(
      ledgerEntry({
        key: `use:${charge.id}:${seq}`,
        kind: 'use',
        merchantId: charge.merchantId,
        at: charge.at,
        debitAccount: ACCOUNTS.coupon(use.couponId),
        creditAccount: ACCOUNTS.redeemed,
        amountCny: use.amountCny,
        couponId: use.couponId,
        chargeId: charge.id,
      }),
    );
    out.feed.push({
      key: `coupon-used:${charge.id}:${seq}`,
      type: 'coupon.used',
      merchantId: charge.merchantId,
      at: charge.at,
      payload: { chargeId: charge.id, couponId: use.couponId, amountCny: use.amountCny.toFixed(2) },
    });
    if (forfeitedAt !== null) recordForfeit(record, forfeitedAt, out);
    const list = usesByOrder.get(charge.orderId) ?? [];
    list.push(record);
    usesByOrder.set(charge.orderId, list);
  });
}

function earliest(rulebooks: readonly Rulebook[]): Rulebook | undefined {
  return [...rulebooks].sort(
    (a, b) => a.effectiveFrom - b.effectiveFrom || a.document.version - b.document.version,
  )[0];
}

function settle(input: SegmentInput, settlement: Settlement, out: SegmentOutput): void {
  // Before the first version takes effect, the first version's conditions are the
  // ones to fail (its level and window), so such a settlement gets a reason, not a crash.
  const rulebook = versionInForce(input.rulebooks, settlement.at) ?? earliest(input.rulebooks);
  const merchant = input.merchants.get(settlement.merchantId);
  if (!rulebook || !merchant) {
    throw new Error(`settlement ${settlement.id}: no rulebook or merchant loaded`);
  }
  const service = rulebook.document.fxSubsidy.service;
  const level =
    levelAt(input, settlement.merchantId, service, settlement.at) ??
    lowestLevel(rulebook, service) ??
    '-';
  const result = settleFx({ settlement, merchant, level, rulebook });
  out.settlements.push({ ...result, rulebookKey: rulebook.key });
}
