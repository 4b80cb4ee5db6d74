/**
 * The shape of the demo data: every share, spread and bound the generator
 * draws from, in one place. These are not programme rules (those live in the
 * rulebook); they only make the data look like a platform's merchants:
 * most of them small, a long tail of large ones, busier fourth quarters.
 * Amounts are in whole USD or CNY, rates in pips (0.0001).
 */
export const PROFILE = {
  merchants: {
    /** Most merchants: lognormal quarterly clearance, median and log-spread. */
    smallMedianUsd: 110_000,
    smallSigma: 1.0,
    /** Key accounts: a few percent with a much larger median (the LV4–LV5 tail). */
    largeShare: 0.03,
    largeMedianUsd: 1_500_000,
    largeSigma: 0.8,
    /** Log-growth per quarter, drawn once per merchant; some grow, some shrink. */
    trendSigma: 0.2,
    /** Log-noise of each quarter around the trend. */
    quarterNoiseSigma: 0.2,
    /** Share that starts trading after the first quarter (newcomers). */
    newcomerShare: 0.15,
    /** Share that skips one quarter after their first. */
    pauseShare: 0.05,
    /** Share that also uses 2+N, and its size relative to their 3+N trade. */
    twoPlusNShare: 0.15,
    twoPlusNScale: [0.1, 0.8] as const,
    /** Share of a merchant's orders that are TA3N rather than OT3N, drawn per merchant. */
    tradeAssuranceShare: [0.2, 0.9] as const,
  },
  /** Multiplier of each natural quarter: Q1 quieter, Q4 busiest. */
  seasonality: { 1: 0.8, 2: 1.0, 3: 1.05, 4: 1.3 } as Readonly<Record<number, number>>,
  orders: {
    minUsd: 500,
    maxUsd: 200_000,
    /** A merchant's typical order grows with its size: median × (base / 100k)^elasticity. */
    typicalMedianUsd: 8_000,
    typicalElasticity: 0.4,
    typicalSigma: 0.5,
    typicalBoundsUsd: [1_500, 90_000] as const,
    /** Share cleared at any hour; the rest fall in office hours, 08:00–20:00. */
    anyHourShare: 0.03,
    /** Share carrying their own USD/CNY rate, and its spread around the month's rate. */
    ownRateShare: 0.6,
    ownRateSpreadPips: 300,
  },
  /** Per order, at most one status change; the rest stay cleared. */
  events: {
    shares: [
      ['cancelled', 0.02],
      ['refunded', 0.01],
      ['fraudulent', 0.002],
      ['abnormal', 0.002],
    ] as ReadonlyArray<readonly [string, number]>,
    maxDelayDays: 45,
  },
  charges: {
    /** Tax-refund service fees are charged from this month on (the first coupons came in July). */
    from: '2024-07-01T00:00:00+08:00',
    share: 0.4,
    minCny: 50,
    maxCny: 2_000,
    delayDays: [3, 60] as const,
  },
  fxRatings: {
    shares: [
      ['A', 0.85],
      ['B', 0.1],
      ['C', 0.05],
    ] as ReadonlyArray<readonly [string, number]>,
    changeShare: 0.05,
    secondChangeShare: 0.2,
  },
  riskFlags: {
    share: 0.03,
    closedShare: 0.5,
    durationDays: [14, 120] as const,
  },
  settlements: {
    /** Merchants whose previous quarter reached this much settle each quarter. */
    fromUsd: 500_000,
    perQuarter: [1, 3] as const,
    /** Merchant-quarters below that threshold that settle all the same (shows `level`). */
    smallShare: 0.02,
    /** Each settlement takes this much of the previous quarter's clearance, in percent. */
    percentOfQuarter: [2, 15] as const,
    minUsd: 1_000,
    usdShare: 0.85,
    exportAccountShare: 0.88,
    otherCurrencies: [
      ['EUR', 78_000],
      ['GBP', 91_500],
    ] as ReadonlyArray<readonly [string, number]>,
    otherAccounts: ['agency-export', 'other'] as const,
    bankSpreadPips: 200,
  },
  monthlyRates: {
    /** Customs' monthly USD/CNY rate: a bounded random walk. */
    startPips: [70_800, 72_200] as const,
    stepSigmaPips: 120,
    boundsPips: [70_000, 73_000] as const,
  },
} as const;
