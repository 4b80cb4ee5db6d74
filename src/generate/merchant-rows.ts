import { type Instant, parseInstant } from '../core/time.js';
import { DAY_MS, formatShanghai, SECOND_MS, shanghaiMonth } from './clock.js';
import { type Calendar, type MerchantPlan, orderCount, type QuarterSpan, STREAM } from './plan.js';
import { PROFILE } from './profile.js';
import { Random } from './random.js';
import type { GeneratedRow } from './rows.js';
import { type Cents, floorDiv, formatCents, formatPips, type Pips, splitCents } from './units.js';

/**
 * Every row of one merchant, from its plan: the merchant, its rating changes
 * and flags, then its orders by clearance instant, their status events and
 * tax-refund charges, and its FX settlements. Only one merchant's orders are
 * ever held, so memory does not grow with the number of merchants.
 */

/** The next free number of each id series, shared by all merchants of a run. */
export interface IdCounters {
  order: number;
  charge: number;
  settlement: number;
}

export interface MerchantContext {
  readonly seed: number;
  readonly calendar: Calendar;
  readonly monthlyPips: ReadonlyMap<string, Pips>;
  readonly countFactor: number;
  readonly counters: IdCounters;
}

interface DraftOrder {
  readonly service: '3+N' | '2+N';
  readonly type: string;
  readonly amountCents: Cents;
  readonly clearedAt: Instant;
  readonly usdCnyPips: Pips | null;
}

interface Dated {
  readonly at: Instant;
  readonly row: Record<string, string>;
}

const CHARGES_FROM = parseInstant(PROFILE.charges.from);

const TYPES: Readonly<Record<DraftOrder['service'], readonly [string, string]>> = {
  '3+N': ['TA3N', 'OT3N'],
  '2+N': ['TA2N', 'OT2N'],
};

function numbered(prefix: string, value: number): string {
  return `${prefix}-${String(value).padStart(7, '0')}`;
}

export function* merchantRows(
  plan: MerchantPlan,
  context: MerchantContext,
): Generator<GeneratedRow> {
  const random = new Random(context.seed, STREAM.orders, plan.index);

  yield { kind: 'merchants', row: { id: plan.id, fxRating: plan.fxRating } };
  for (const change of plan.ratingChanges) {
    const row = { merchantId: plan.id, at: formatShanghai(change.at), rating: change.rating };
    yield { kind: 'fx-rating-changes', row };
  }
  for (const flag of plan.riskFlags) {
    const to = flag.to === null ? '' : formatShanghai(flag.to);
    yield { kind: 'risk-flags', row: { merchantId: plan.id, from: formatShanghai(flag.from), to } };
  }

  const drafts = draftOrders(plan, context, random);
  const events: Dated[] = [];
  const charges: Dated[] = [];
  for (const draft of drafts) {
    const id = numbered('O', context.counters.order++);
    yield { kind: 'orders', row: orderRow(id, plan.id, draft) };

    const event = draftEvent(id, draft.clearedAt, context.calendar, random);
    if (event !== null) events.push(event);
    const charge = draftCharge(id, plan.id, draft, context.calendar, random);
    if (charge !== null) charges.push(charge);
  }

  for (const event of byInstant(events)) yield { kind: 'order-events', row: event.row };
  for (const charge of byInstant(charges)) {
    charge.row.id = numbered('C', context.counters.charge++);
    yield { kind: 'charges', row: charge.row };
  }
  for (const settlement of byInstant(draftSettlements(plan, context, random))) {
    settlement.row.id = numbered('S', context.counters.settlement++);
    yield { kind: 'settlements', row: settlement.row };
  }
}

/** Sorts by instant; the sort is stable, so ties keep their (seeded) order. */
function byInstant(items: Dated[]): Dated[] {
  return items.sort((a, b) => a.at - b.at);
}

function orderRow(id: string, merchantId: string, draft: DraftOrder): Record<string, string> {
  return {
    id,
    merchantId,
    service: draft.service,
    type: draft.type,
    amountUsd: formatCents(draft.amountCents),
    clearedAt: formatShanghai(draft.clearedAt),
    usdCny: draft.usdCnyPips === null ? '' : formatPips(draft.usdCnyPips),
  };
}

function draftOrders(plan: MerchantPlan, context: MerchantContext, random: Random): DraftOrder[] {
  const minCents = PROFILE.orders.minUsd * 100;
  const maxCents = PROFILE.orders.maxUsd * 100;
  const drafts: DraftOrder[] = [];

  context.calendar.quarters.forEach((quarter, k) => {
    const services = [
      ['3+N', plan.amounts3nCents[k] ?? 0],
      ['2+N', plan.amounts2nCents[k] ?? 0],
    ] as const;
    for (const [service, amountCents] of services) {
      const count = orderCount(amountCents, plan.typicalOrderCents, context.countFactor);
      if (count === 0) continue;

      for (const part of splitCents(amountCents, count, minCents, maxCents, random)) {
        const clearedAt = randomClearance(random, quarter);
        const [tradeAssurance, offline] = TYPES[service];
        drafts.push({
          service,
          type: random.chance(plan.tradeAssuranceShare) ? tradeAssurance : offline,
          amountCents: part,
          clearedAt,
          usdCnyPips: random.chance(PROFILE.orders.ownRateShare)
            ? ownRate(random, context.monthlyPips, clearedAt, PROFILE.orders.ownRateSpreadPips)
            : null,
        });
      }
    }
  });

  return drafts.sort((a, b) => a.clearedAt - b.clearedAt);
}

/** A whole second of the quarter, mostly in office hours (08:00–20:00 Shanghai). */
function randomClearance(random: Random, quarter: QuarterSpan): Instant {
  const day = quarter.start + random.int(0, quarter.days - 1) * DAY_MS;
  const second = random.chance(PROFILE.orders.anyHourShare)
    ? random.int(0, 86_399)
    : random.int(8 * 3_600, 20 * 3_600 - 1);
  return day + second * SECOND_MS;
}

/** A rate near the month's customs rate: what a bank quoted on the day. */
function ownRate(
  random: Random,
  monthlyPips: ReadonlyMap<string, Pips>,
  at: Instant,
  spreadPips: number,
): Pips {
  const month = shanghaiMonth(at);
  const base = monthlyPips.get(month);
  if (base === undefined) throw new Error(`generator: no monthly rate planned for ${month}`);
  return base + random.int(-spreadPips, spreadPips);
}

/**
 * An instant after `after`, at most `maxDays` later and before the end of the
 * calendar, or null when the calendar ends too soon after it.
 */
function laterInstant(
  random: Random,
  after: Instant,
  minDays: number,
  maxDays: number,
  calendar: Calendar,
): Instant | null {
  const roomSeconds = floorDiv(calendar.end - after, SECOND_MS) - 1;
  const latest = Math.min(maxDays * 86_400, roomSeconds);
  if (latest < 60) return null;

  const earliest = Math.min(minDays * 86_400, latest);
  return after + random.int(Math.max(60, earliest), latest) * SECOND_MS;
}

function draftEvent(
  orderId: string,
  clearedAt: Instant,
  calendar: Calendar,
  random: Random,
): Dated | null {
  const draw = random.float();
  let threshold = 0;
  for (const [status, share] of PROFILE.events.shares) {
    threshold += share;
    if (draw >= threshold) continue;

    const at = laterInstant(random, clearedAt, 0, PROFILE.events.maxDelayDays, calendar);
    return at === null ? null : { at, row: { orderId, at: formatShanghai(at), status } };
  }
  return null;
}

function draftCharge(
  orderId: string,
  merchantId: string,
  draft: DraftOrder,
  calendar: Calendar,
  random: Random,
): Dated | null {
  const shape = PROFILE.charges;
  if (draft.service !== '3+N' || draft.clearedAt < CHARGES_FROM) return null;
  if (!random.chance(shape.share)) return null;

  const at = laterInstant(random, draft.clearedAt, ...shape.delayDays, calendar);
  if (at === null) return null;

  const amountCny = formatCents(random.int(shape.minCny * 100, shape.maxCny * 100));
  const row = {
    id: '',
    orderId,
    merchantId,
    kind: 'tax-refund-service-fee',
    amountCny,
    at: formatShanghai(at),
  };
  return { at, row };
}

/**
 * FX settlements of each quarter by merchants whose previous quarter reached
 * the settling threshold (the LV3 and up of the default rulebook, where the
 * subsidy question arises), and a few by smaller merchants. Most are USD into
 * the export account; some are not, so every reason of SPEC §9 turns up.
 */
function draftSettlements(plan: MerchantPlan, context: MerchantContext, random: Random): Dated[] {
  const shape = PROFILE.settlements;
  const settlements: Dated[] = [];

  context.calendar.quarters.forEach((quarter, k) => {
    const previousCents = k === 0 ? 0 : (plan.amounts3nCents[k - 1] ?? 0);
    const settles = previousCents >= shape.fromUsd * 100 || random.chance(shape.smallShare);
    if (k === 0 || !settles) return;

    const count = random.int(...shape.perQuarter);
    for (let i = 0; i < count; i++) {
      const at = randomClearance(random, quarter);
      const [lowPercent, highPercent] = shape.percentOfQuarter;
      const basisPoints = random.int(lowPercent * 100, highPercent * 100);
      const drawnCents = floorDiv(previousCents * basisPoints, 10_000);
      const amountCents = Math.max(shape.minUsd * 100, drawnCents);

      const other = random.chance(shape.usdShare)
        ? null
        : random.weighted(shape.otherCurrencies.map((entry) => [entry, 1] as const));
      const currency = other === null ? 'USD' : other[0];
      const baseRate =
        other === null
          ? ownRate(random, context.monthlyPips, at, shape.bankSpreadPips)
          : other[1] + random.int(-1_500, 1_500);
      const account = random.chance(shape.exportAccountShare)
        ? 'export'
        : random.weighted(shape.otherAccounts.map((name) => [name, 1] as const));

      const row = {
        id: '',
        merchantId: plan.id,
        currency,
        amount: formatCents(amountCents),
        baseRate: formatPips(baseRate),
        account,
        at: formatShanghai(at),
      };
      settlements.push({ at, row });
    }
  });

  return settlements;
}
