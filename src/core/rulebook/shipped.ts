import type { RulebookDocument } from './schema.js';

/**
 * `3n-2024-07`: the 3+N programme as the announcement of 2024-07-04 and SPEC
 * describe it. Each field that SPEC marks as a decision says which one.
 */
const rulebook3n202407: RulebookDocument = {
  id: '3n-2024-07',
  version: 1,
  title: '3+N tiered benefits, announcement of 2024-07-04',
  effectiveFrom: '2024-04-01T00:00:00+08:00',
  programmes: {
    '3+N': {
      // D1: the announcement's table did not survive; these agree with every example.
      levels: [
        { level: 'LV1', fromUsd: '0' },
        { level: 'LV2', fromUsd: '200000' },
        { level: 'LV3', fromUsd: '500000' },
        { level: 'LV4', fromUsd: '1000000' },
        { level: 'LV5', fromUsd: '3000000' },
      ],
      // Assessments on 2024-04-02 … 2025-04-02 at 00:00 Shanghai (D5).
      assessment: { firstQuarter: '2024-Q1', lastQuarter: '2025-Q1', dayOfMonth: 2, hour: 0 },
      excludedStatuses: ['cancelled', 'refunded', 'fraudulent', 'abnormal'], // D13
      jumpRebate: {
        // Assessments of 2024-07-02 … 2025-04-02 pay; the first one does not.
        firstQuarter: '2024-Q2',
        lastQuarter: '2025-Q1',
        cnyPerUsd: '0.005',
        newcomerHeldLevel: 'LV1', // D8
      },
    },
  },
  fees: {
    rules: [
      {
        type: 'level-discount',
        service: '3+N',
        from: '2024-07-08T00:00:00+08:00',
        until: '2025-04-01T00:00:00+08:00',
        baseRate: '0.015',
        standard: { discount: '1', minCny: '200', maxCny: '600' }, // D2
        levels: {
          LV3: { discount: '0.80', minCny: '160', maxCny: '480' },
          LV4: { discount: '0.65', minCny: '130', maxCny: '390' },
          LV5: { discount: '0.45', minCny: '90', maxCny: '270' },
        },
      },
    ],
    vatRate: '0.06', // D4
    reversalStatuses: ['cancelled'], // D7
    monthlyUsdCny: {}, // D3: operators load customs' monthly rates
  },
  coupons: {
    validityDays: null, // D9
    forfeitStatuses: ['cancelled', 'refunded', 'fraudulent', 'abnormal'],
  },
  fxSubsidy: {
    service: '3+N',
    pipsByLevel: { LV4: 40, LV5: 70 },
    ratings: ['A'],
    currencies: ['USD'],
    accounts: ['export'], // D15
    from: '2024-07-08T00:00:00+08:00', // D14
    until: '2025-04-01T00:00:00+08:00',
  },
};

export const SHIPPED_RULEBOOKS: Readonly<Record<string, RulebookDocument>> = {
  [rulebook3n202407.id]: rulebook3n202407,
};
