import {
  type Instant,
  type Quarter,
  quarterEnd,
  quarterStart,
  quartersBetween,
} from '../core/time.js';
import { DAY_MS, shanghaiMonth } from './clock.js';
import { PROFILE } from './profile.js';
import { Random } from './random.js';
import { assertSafe, type Cents, floorDiv, type Pips } from './units.js';

/**
 * The cheap part of generating a merchant: its ratings, flags and how much
 * it clears each quarter, without any order. Planning draws from a stream of
 * its own, so it can be run twice (once to count orders for `ordersTarget`,
 * once to generate them) and give the same plan.
 */

/** Purposes of the random streams; each merchant has one stream per purpose. */
export const STREAM = { rates: 1, plan: 2, orders: 3 } as const;

export interface QuarterSpan {
  readonly label: Quarter;
  readonly start: Instant;
  readonly end: Instant;
  readonly days: number;
  /** 1–4, the quarter of the year, for seasonality. */
  readonly ofYear: number;
}

export interface Calendar {
  readonly quarters: readonly QuarterSpan[];
  readonly months: readonly string[];
  readonly start: Instant;
  readonly end: Instant;
  readonly days: number;
}

export function buildCalendar(firstQuarter: Quarter, lastQuarter: Quarter): Calendar {
  const quarters = quartersBetween(firstQuarter, lastQuarter).map((label) => {
    const start = quarterStart(label);
    const end = quarterEnd(label);
    return { label, start, end, days: (end - start) / DAY_MS, ofYear: Number(label.slice(-1)) };
  });

  const months: string[] = [];
  for (const quarter of quarters) {
    for (let day = 0; day < quarter.days; day++) {
      const month = shanghaiMonth(quarter.start + day * DAY_MS);
      if (months[months.length - 1] !== month) months.push(month);
    }
  }

  const start = quarterStart(firstQuarter);
  const end = quarterEnd(lastQuarter);
  return { quarters, months, start, end, days: (end - start) / DAY_MS };
}

export interface RatingChange {
  readonly at: Instant;
  readonly rating: string;
}

export interface RiskFlag {
  readonly from: Instant;
  readonly to: Instant | null;
}

export interface MerchantPlan {
  readonly index: number;
  readonly id: string;
  readonly fxRating: string;
  readonly ratingChanges: readonly RatingChange[];
  readonly riskFlags: readonly RiskFlag[];
  readonly typicalOrderCents: Cents;
  readonly tradeAssuranceShare: number;
  /** Cleared amount per quarter of the calendar, 0 when the merchant did not trade. */
  readonly amounts3nCents: readonly Cents[];
  readonly amounts2nCents: readonly Cents[];
}

export function merchantId(index: number): string {
  return `M-${String(index + 1).padStart(5, '0')}`;
}

export function planMerchant(seed: number, index: number, calendar: Calendar): MerchantPlan {
  const random = new Random(seed, STREAM.plan, index);
  const shape = PROFILE.merchants;

  const large = random.chance(shape.largeShare);
  const baseUsd = large
    ? random.lognormal(shape.largeMedianUsd, shape.largeSigma)
    : random.lognormal(shape.smallMedianUsd, shape.smallSigma);
  const trend = random.normal() * shape.trendSigma;

  const lastIndex = calendar.quarters.length - 1;
  const newcomer = lastIndex > 0 && random.chance(shape.newcomerShare);
  const firstActive = newcomer ? random.int(1, lastIndex) : 0;
  const pauses = firstActive < lastIndex && random.chance(shape.pauseShare);
  const paused = pauses ? random.int(firstActive + 1, lastIndex) : -1;
  const twoPlusNScale = random.chance(shape.twoPlusNShare)
    ? random.between(shape.twoPlusNScale[0], shape.twoPlusNScale[1])
    : 0;

  const amounts3nCents: Cents[] = [];
  const amounts2nCents: Cents[] = [];
  calendar.quarters.forEach((quarter, k) => {
    const trades = k >= firstActive && k !== paused;
    const season = PROFILE.seasonality[quarter.ofYear] ?? 1;
    const usd = baseUsd * Math.exp(trend * (k - firstActive)) * season;
    const noise3n = Math.exp(shape.quarterNoiseSigma * random.normal());
    const noise2n = Math.exp(shape.quarterNoiseSigma * random.normal());
    amounts3nCents.push(trades ? drawnCents(usd * noise3n) : 0);
    amounts2nCents.push(trades ? drawnCents(usd * twoPlusNScale * noise2n) : 0);
  });

  const orders = PROFILE.orders;
  const typicalUsd =
    orders.typicalMedianUsd *
    (baseUsd / 100_000) ** orders.typicalElasticity *
    Math.exp(orders.typicalSigma * random.normal());
  const [typicalMinUsd, typicalMaxUsd] = orders.typicalBoundsUsd;

  const fxRating = random.weighted(PROFILE.fxRatings.shares);
  return {
    index,
    id: merchantId(index),
    fxRating,
    ratingChanges: planRatingChanges(random, calendar, fxRating),
    riskFlags: planRiskFlags(random, calendar),
    typicalOrderCents:
      Math.round(Math.min(typicalMaxUsd, Math.max(typicalMinUsd, typicalUsd))) * 100,
    tradeAssuranceShare: random.between(...shape.tradeAssuranceShare),
    amounts3nCents,
    amounts2nCents,
  };
}

/**
 * Turns a drawn quarterly amount into whole cents. The float here is a random
 * target, not money being computed: flooring it picks the amount, and from
 * this integer on every amount is exact. Below one minimum order is no trade.
 */
function drawnCents(usd: number): Cents {
  const cents = Math.floor(usd * 100);
  return cents < PROFILE.orders.minUsd * 100 ? 0 : assertSafe(cents, 'a quarterly amount');
}

/** A day boundary strictly inside the calendar, so each change falls in the data's range. */
function randomDay(random: Random, calendar: Calendar): Instant {
  return calendar.start + random.int(1, calendar.days - 1) * DAY_MS;
}

function planRatingChanges(random: Random, calendar: Calendar, initial: string): RatingChange[] {
  const ratings = PROFILE.fxRatings;
  if (calendar.days < 2 || !random.chance(ratings.changeShare)) return [];

  const count = random.chance(ratings.secondChangeShare) ? 2 : 1;
  const instants = [randomDay(random, calendar), randomDay(random, calendar)].slice(0, count);
  instants.sort((a, b) => a - b);

  const changes: RatingChange[] = [];
  let current = initial;
  for (const at of instants) {
    if (changes.some((change) => change.at === at)) continue;
    current = random.weighted(ratings.shares.filter(([rating]) => rating !== current));
    changes.push({ at, rating: current });
  }
  return changes;
}

function planRiskFlags(random: Random, calendar: Calendar): RiskFlag[] {
  const flags = PROFILE.riskFlags;
  if (calendar.days < 2 || !random.chance(flags.share)) return [];

  const from = randomDay(random, calendar);
  if (!random.chance(flags.closedShare)) return [{ from, to: null }];

  const to = from + random.int(...flags.durationDays) * DAY_MS;
  return [{ from, to: to < calendar.end ? to : null }];
}

/**
 * How many orders carry a quarter's amount: about amount ÷ typical order,
 * scaled by `factor` (for `ordersTarget`), kept where every order can lie
 * within [min, max] USD with room to vary (an average of at most half the
 * maximum).
 */
export function orderCount(amountCents: Cents, typicalOrderCents: Cents, factor: number): number {
  if (amountCents === 0) return 0;

  const minCents = PROFILE.orders.minUsd * 100;
  const maxCents = PROFILE.orders.maxUsd * 100;
  const fewest = Math.ceil((2 * amountCents) / maxCents);
  const most = floorDiv(amountCents, minCents);
  const wanted = Math.round((amountCents / typicalOrderCents) * factor);
  return Math.max(1, Math.min(most, Math.max(fewest, wanted)));
}

/** Customs' monthly USD/CNY rate for each month of the calendar: a bounded random walk. */
export function planMonthlyRates(seed: number, calendar: Calendar): ReadonlyMap<string, Pips> {
  const walk = PROFILE.monthlyRates;
  const random = new Random(seed, STREAM.rates);
  const [lowest, highest] = walk.boundsPips;

  const rates = new Map<string, Pips>();
  let pips = random.int(...walk.startPips);
  for (const month of calendar.months) {
    rates.set(month, pips);
    const step = Math.round(random.normal() * walk.stepSigmaPips);
    pips = Math.min(highest, Math.max(lowest, pips + step));
  }
  return rates;
}
