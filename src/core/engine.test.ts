import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assessment,
  at,
  compile,
  merchant,
  order,
  SHIPPED,
  shippedDocument,
} from '../test-support/core.js';
import type { CouponBalance } from './coupons.js';
import {
  type ExistingUse,
  type FeeRecord,
  type PricedOrder,
  processSegment,
  type SegmentInput,
  type SegmentOutput,
} from './engine.js';
import { ACCOUNTS, couponBalance, type LedgerEntry } from './ledger.js';
import type { Assessment, Charge, OrderEvent, TerminalStatus } from './model.js';
import { dec, ZERO } from './money.js';
import { formatInstant, type Instant } from './time.js';

const FAR = at('2025-12-31T00:00:00+08:00');

function segment(overrides: Partial<SegmentInput> = {}): SegmentInput {
  return {
    rulebooks: [SHIPPED],
    merchants: new Map([
      ['M-1', merchant()],
      ['M-2', merchant({ id: 'M-2' })],
    ]),
    assessments: new Map(),
    orders: [],
    events: [],
    charges: [],
    settlements: [],
    coupons: [],
    feeStatus: new Map(),
    usesByOrder: new Map(),
    statusChanges: new Map(),
    merchantOfOrder: new Map(),
    ...overrides,
  };
}

function priced(facts: Parameters<typeof order>[0], monthOrderIndex = 1): PricedOrder {
  return { ...order(facts), monthOrderIndex };
}

function history(...rows: Assessment[]): ReadonlyMap<string, readonly Assessment[]> {
  return new Map([['M-1|3+N', rows]]);
}

const Q2_LV5 = assessment({
  quarter: '2024-Q2',
  level: 'LV5',
  amountUsd: '3500000',
  effectiveFrom: '2024-07-02T00:00:00+08:00',
});
const Q3_LV3 = assessment({
  quarter: '2024-Q3',
  level: 'LV3',
  amountUsd: '600000',
  effectiveFrom: '2024-10-02T00:00:00+08:00',
});

function coupon(
  couponId: string,
  remainingCny: string,
  issuedAt: string,
  expiresAt: string | null = null,
  merchantId = 'M-1',
): CouponBalance {
  return {
    couponId,
    merchantId,
    issuedAt: at(issuedAt),
    expiresAt: expiresAt === null ? null : at(expiresAt),
    remainingCny: dec(remainingCny),
  };
}

function charge(id: string, amountCny: string, when: string, orderId = 'O-3'): Charge {
  return {
    id,
    orderId,
    merchantId: 'M-1',
    kind: 'tax-refund-service-fee',
    amountCny: dec(amountCny),
    at: at(when),
  };
}

function event(orderId: string, status: TerminalStatus, when: string): OrderEvent {
  return { orderId, status, at: at(when) };
}

function feeSummary(fee: FeeRecord | undefined): [string, string | null, string] {
  if (!fee) throw new Error('no fee record');
  if (fee.status === 'error') return [fee.orderId, fee.level, fee.error.code];
  return [fee.orderId, fee.quote.level, fee.quote.netCny.toFixed(2)];
}

function ledgerSummary(ledger: readonly LedgerEntry[]): [string, string, string, string][] {
  return ledger.map((e) => [e.kind, e.debitAccount, e.creditAccount, e.amountCny.toFixed(2)]);
}

/** The issue entry the assessment wrote for a coupon, so that balances can be read back. */
function issueOf(c: CouponBalance): LedgerEntry {
  return {
    key: `issue:${c.couponId}`,
    kind: 'issue',
    merchantId: c.merchantId,
    at: c.issuedAt,
    debitAccount: ACCOUNTS.rebateExpense,
    creditAccount: ACCOUNTS.coupon(c.couponId),
    amountCny: c.remainingCny,
    couponId: c.couponId,
    chargeId: null,
  };
}

describe('processSegment prices each order with the level in force at its clearance (D6)', () => {
  // usdCny 7: 4,000 USD × 7 × 1.5% = 420.00 before the discount.
  it.each([
    ['2024-10-01T23:59:59.999+08:00', 'LV5', '189.00', 'the Q2 level, the day before the 2nd'],
    ['2024-10-02T00:00:00+08:00', 'LV3', '336.00', 'the Q3 level, from 00:00 on the 2nd'],
    ['2024-10-01T16:00:00Z', 'LV3', '336.00', 'the same instant written in UTC'],
  ])('an order cleared at %s is priced at %s: %s (%s)', (clearedAt, level, netCny) => {
    const out = processSegment(
      segment({
        assessments: history(Q2_LV5, Q3_LV3),
        orders: [priced({ amountUsd: '4000', clearedAt, usdCny: '7' })],
      }),
      FAR,
      true,
    );
    expect(feeSummary(out.fees[0])).toEqual(['O-1', level, netCny]);
  });

  it('prices a merchant not yet assessed at the lowest level: 420.00', () => {
    const out = processSegment(
      segment({ orders: [priced({ amountUsd: '4000', clearedAt: '2024-08-15', usdCny: '7' })] }),
      FAR,
      true,
    );
    expect(feeSummary(out.fees[0])).toEqual(['O-1', 'LV1', '420.00']);
  });

  it('records what the order would have paid undiscounted: LV5 189.00, standard 420.00', () => {
    const out = processSegment(
      segment({
        assessments: history(Q2_LV5),
        orders: [priced({ amountUsd: '4000', clearedAt: '2024-08-15', usdCny: '7' })],
      }),
      FAR,
      true,
    );
    const fee = out.fees[0];
    expect(fee?.status === 'charged' ? fee.standardNetCny?.toFixed(2) : null).toBe('420.00');
  });

  it('charges a flagged LV5 merchant the standard fee and keeps LV5 on the record', () => {
    const flagged = merchant({ riskFlags: [{ from: at('2024-08-15'), to: null }] });
    const out = processSegment(
      segment({
        merchants: new Map([['M-1', flagged]]),
        assessments: history(Q2_LV5),
        orders: [priced({ amountUsd: '4000', clearedAt: '2024-08-15', usdCny: '7' })],
      }),
      FAR,
      true,
    );
    expect(feeSummary(out.fees[0])).toEqual(['O-1', 'LV5', '420.00']);
  });

  it('records NO_FEE_RULE for an order before 2024-07-08, with its level, naming the date', () => {
    const out = processSegment(
      segment({
        assessments: history(Q2_LV5),
        orders: [
          priced({ amountUsd: '4000', clearedAt: '2024-07-07T10:00:00+08:00', usdCny: '7' }),
        ],
      }),
      FAR,
      true,
    );
    expect(feeSummary(out.fees[0])).toEqual(['O-1', 'LV5', 'NO_FEE_RULE']);
    const fee = out.fees[0];
    expect(fee?.status === 'error' ? fee.error.message : '').toContain('2024-07-07');
  });

  it('records NO_FEE_RULE for a 2+N order, which the shipped rulebook has no programme for', () => {
    const out = processSegment(
      segment({
        orders: [
          priced({ service: '2+N', amountUsd: '4000', clearedAt: '2024-08-15', usdCny: '7' }),
        ],
      }),
      FAR,
      true,
    );
    expect(feeSummary(out.fees[0])).toEqual(['O-1', null, 'NO_FEE_RULE']);
    const fee = out.fees[0];
    expect(fee?.status === 'error' ? fee.error.message : '').toContain('2024-08-15');
  });

  it('records NO_FX_RATE for an order without a rate and goes on with the next', () => {
    const out = processSegment(
      segment({
        orders: [
          priced({ id: 'O-1', amountUsd: '4000', clearedAt: '2024-08-15' }),
          priced({ id: 'O-2', amountUsd: '4000', clearedAt: '2024-08-16', usdCny: '7' }),
        ],
      }),
      FAR,
      true,
    );
    expect(out.fees.map(feeSummary)).toEqual([
      ['O-1', 'LV1', 'NO_FX_RATE'],
      ['O-2', 'LV1', '420.00'],
    ]);
  });

  it.each([
    [true, ['O-1', 'O-2']],
    [false, ['O-1']],
  ])('with inclusive=%s, an order cleared exactly at the bound is in: %j', (inclusive, ids) => {
    const bound = at('2024-09-01T00:00:00+08:00');
    const out = processSegment(
      segment({
        orders: [
          priced({
            id: 'O-2',
            amountUsd: '1',
            clearedAt: '2024-09-01T00:00:00+08:00',
            usdCny: '7',
          }),
          priced({
            id: 'O-1',
            amountUsd: '1',
            clearedAt: '2024-08-31T23:59:59+08:00',
            usdCny: '7',
          }),
        ],
      }),
      bound,
      inclusive,
    );
    expect(out.fees.map((fee) => fee.orderId)).toEqual(ids);
  });
});

describe('a status event reverses a charged fee only when it is `cancelled` (D7)', () => {
  it.each<[TerminalStatus, boolean]>([
    ['cancelled', true],
    ['refunded', false],
    ['fraudulent', false],
    ['abnormal', false],
  ])('%s reverses the fee: %s', (status, reversed) => {
    const out = processSegment(
      segment({
        events: [event('O-3', status, '2024-09-20T00:00:00+08:00')],
        feeStatus: new Map([['O-3', 'charged']]),
        merchantOfOrder: new Map([['O-3', 'M-1']]),
      }),
      FAR,
      true,
    );
    expect(out.appliedEvents).toEqual(['O-3']);
    expect(out.feeReversals).toEqual(
      reversed ? [{ merchantId: 'M-1', orderId: 'O-3', at: at('2024-09-20T00:00:00+08:00') }] : [],
    );
  });

  it('reverses a fee priced earlier in the same segment', () => {
    const out = processSegment(
      segment({
        orders: [priced({ id: 'O-3', amountUsd: '10000', clearedAt: '2024-08-15', usdCny: '7.1' })],
        events: [event('O-3', 'cancelled', '2024-09-20T00:00:00+08:00')],
        merchantOfOrder: new Map([['O-3', 'M-1']]),
      }),
      FAR,
      true,
    );
    expect(out.fees.map(feeSummary)).toEqual([['O-3', 'LV1', '600.00']]);
    expect(out.feeReversals.map((r) => r.orderId)).toEqual(['O-3']);
  });

  it('reverses nothing when the fee was an error', () => {
    const out = processSegment(
      segment({
        events: [event('O-3', 'cancelled', '2024-09-20T00:00:00+08:00')],
        feeStatus: new Map([['O-3', 'error']]),
      }),
      FAR,
      true,
    );
    expect(out.feeReversals).toEqual([]);
  });
});

describe('the statuses that reverse a fee and forfeit coupon value are rulebook settings', () => {
  function rulebookWith(edit: (doc: ReturnType<typeof shippedDocument>) => void) {
    const doc = shippedDocument();
    edit(doc);
    return compile(doc);
  }

  it('reverses a refunded order’s fee when the rulebook lists refunded (D7)', () => {
    const rulebook = rulebookWith((doc) => {
      doc.fees.reversalStatuses = ['cancelled', 'refunded'];
    });
    const out = processSegment(
      segment({
        rulebooks: [rulebook],
        events: [event('O-3', 'refunded', '2024-09-20T00:00:00+08:00')],
        feeStatus: new Map([['O-3', 'charged']]),
        merchantOfOrder: new Map([['O-3', 'M-1']]),
      }),
      FAR,
      true,
    );
    expect(out.feeReversals.map((r) => r.orderId)).toEqual(['O-3']);
  });

  it('keeps the coupon use of a refunded order when the rulebook forfeits only on cancel', () => {
    const rulebook = rulebookWith((doc) => {
      doc.coupons.forfeitStatuses = ['cancelled'];
    });
    const out = processSegment(
      segment({
        rulebooks: [rulebook],
        coupons: [coupon('CP-1', '3500', '2024-07-02')],
        charges: [charge('C-1', '350', '2024-09-01T10:00:00+08:00')],
        events: [event('O-3', 'refunded', '2024-09-20T00:00:00+08:00')],
      }),
      FAR,
      true,
    );
    expect(out.forfeits).toEqual([]);
    expect(out.ledger.map((e) => e.kind)).toEqual(['use']);
  });
});

describe('a charge consumes coupons; a later status change forfeits that use (SPEC §7)', () => {
  const rebateCoupon = coupon('CP-1', '3500.00', '2024-07-02T00:00:00+08:00');

  it('uses 350.00 of a 3,500.00 coupon, then forfeits it at the cancel: 3,150.00 left', () => {
    const out = processSegment(
      segment({
        coupons: [rebateCoupon],
        charges: [charge('C-1', '350.00', '2024-09-01T10:00:00+08:00')],
        events: [event('O-3', 'cancelled', '2024-09-20T00:00:00+08:00')],
        feeStatus: new Map([['O-3', 'charged']]),
        merchantOfOrder: new Map([['O-3', 'M-1']]),
      }),
      FAR,
      true,
    );

    expect(
      out.charges.map((c) => [c.chargeId, c.paidByCouponsCny.toFixed(2), c.payableCny.toFixed(2)]),
    ).toEqual([['C-1', '350.00', '0.00']]);
    expect(
      out.newUses.map((u) => [u.chargeId, u.seq, u.couponId, u.amountCny.toFixed(2), u.forfeited]),
    ).toEqual([['C-1', 1, 'CP-1', '350.00', false]]);
    expect(out.forfeits).toEqual([
      { merchantId: 'M-1', chargeId: 'C-1', seq: 1, at: at('2024-09-20T00:00:00+08:00') },
    ]);
    expect(ledgerSummary(out.ledger)).toEqual([
      ['use', 'coupon:CP-1', ACCOUNTS.redeemed, '350.00'],
      ['forfeit', ACCOUNTS.redeemed, ACCOUNTS.forfeited, '350.00'],
    ]);
    expect(couponBalance('CP-1', [issueOf(rebateCoupon), ...out.ledger])?.toFixed(2)).toBe(
      '3150.00',
    );
  });

  it.each<TerminalStatus>(['cancelled', 'refunded', 'fraudulent', 'abnormal'])(
    'forfeits the coupon value when the order is %s',
    (status) => {
      const out = processSegment(
        segment({
          coupons: [rebateCoupon],
          charges: [charge('C-1', '350.00', '2024-09-01T10:00:00+08:00')],
          events: [event('O-3', status, '2024-09-20T00:00:00+08:00')],
        }),
        FAR,
        true,
      );
      expect(out.forfeits.map((f) => f.chargeId)).toEqual(['C-1']);
      expect(out.ledger.map((e) => e.kind)).toEqual(['use', 'forfeit']);
    },
  );

  it('forfeits a use stored by an earlier segment, once', () => {
    const stored: ExistingUse[] = [
      {
        chargeId: 'C-1',
        seq: 1,
        couponId: 'CP-1',
        merchantId: 'M-1',
        orderId: 'O-3',
        amountCny: dec('200'),
        at: at('2024-09-01T10:00:00+08:00'),
        forfeited: false,
      },
      {
        chargeId: 'C-1',
        seq: 2,
        couponId: 'CP-2',
        merchantId: 'M-1',
        orderId: 'O-3',
        amountCny: dec('150'),
        at: at('2024-09-01T10:00:00+08:00'),
        forfeited: false,
      },
      {
        chargeId: 'C-0',
        seq: 1,
        couponId: 'CP-1',
        merchantId: 'M-1',
        orderId: 'O-3',
        amountCny: dec('50'),
        at: at('2024-08-01T10:00:00+08:00'),
        forfeited: true,
      },
    ];
    const out = processSegment(
      segment({
        events: [event('O-3', 'refunded', '2024-09-20T00:00:00+08:00')],
        usesByOrder: new Map([['O-3', stored]]),
      }),
      FAR,
      true,
    );
    expect(out.forfeits.map((f) => [f.chargeId, f.seq])).toEqual([
      ['C-1', 1],
      ['C-1', 2],
    ]);
    expect(ledgerSummary(out.ledger)).toEqual([
      ['forfeit', ACCOUNTS.redeemed, ACCOUNTS.forfeited, '200.00'],
      ['forfeit', ACCOUNTS.redeemed, ACCOUNTS.forfeited, '150.00'],
    ]);
  });

  it('forfeits at once a use by a charge on an order that is already cancelled', () => {
    const out = processSegment(
      segment({
        coupons: [rebateCoupon],
        charges: [charge('C-1', '350.00', '2024-09-25T10:00:00+08:00')],
        statusChanges: new Map([['O-3', event('O-3', 'cancelled', '2024-09-20T00:00:00+08:00')]]),
      }),
      FAR,
      true,
    );
    const when = at('2024-09-25T10:00:00+08:00');
    expect(out.newUses.map((u) => [u.forfeited, u.forfeitedAt])).toEqual([[true, when]]);
    expect(ledgerSummary(out.ledger)).toEqual([
      ['use', 'coupon:CP-1', ACCOUNTS.redeemed, '350.00'],
      ['forfeit', ACCOUNTS.redeemed, ACCOUNTS.forfeited, '350.00'],
    ]);
  });

  it('spends only the charging merchant’s own coupons', () => {
    const out = processSegment(
      segment({
        coupons: [coupon('CP-OTHER', '1000', '2024-07-02', null, 'M-2')],
        charges: [charge('C-1', '350.00', '2024-09-01T10:00:00+08:00')],
      }),
      FAR,
      true,
    );
    expect(out.newUses).toEqual([]);
    expect(out.charges[0]?.payableCny.toFixed(2)).toBe('350.00');
  });
});

describe('a forfeit is dated by the facts, not by the order they reached the store (SPEC §7, §8)', () => {
  const rebateCoupon = coupon('CP-1', '3500.00', '2024-10-02T00:00:00+08:00');
  const UNTIL = at('2025-02-10T00:00:00+08:00');

  /** The forfeits a store would hold after the outputs, as [ledger key, instant]. */
  function forfeitEntries(...outs: SegmentOutput[]): [string, string][] {
    return outs
      .flatMap((out) => out.ledger)
      .filter((entry) => entry.kind === 'forfeit')
      .map((entry) => [entry.key, formatInstant(entry.at)]);
  }

  /** Each use as a store would hold it after the outputs: [charge, use instant, forfeited at]. */
  function storedUses(...outs: SegmentOutput[]): [string, string, string | null][] {
    const forfeitedAt = new Map<string, Instant>();
    for (const out of outs) {
      for (const use of out.newUses) {
        if (use.forfeitedAt !== null)
          forfeitedAt.set(`${use.chargeId}:${use.seq}`, use.forfeitedAt);
      }
      for (const f of out.forfeits) forfeitedAt.set(`${f.chargeId}:${f.seq}`, f.at);
    }
    return outs
      .flatMap((out) => out.newUses)
      .map((use) => {
        const when = forfeitedAt.get(`${use.chargeId}:${use.seq}`);
        return [
          use.chargeId,
          formatInstant(use.at),
          when === undefined ? null : formatInstant(when),
        ];
      });
  }

  it('uses late charges as usual until the order turned fraudulent, and forfeits them then', () => {
    // The order became fraudulent on 2025-02-01 and that change was applied by an
    // earlier run; its six charges of 2025-01-03 … 01-08 arrive only now.
    const charges = ['03', '04', '05', '06', '07', '08'].map((day, i) =>
      charge(`C-${i + 1}`, '100.00', `2025-01-${day}T00:00:00+08:00`),
    );
    const fraudulent = event('O-3', 'fraudulent', '2025-02-01T00:00:00+08:00');
    const out = processSegment(
      segment({ coupons: [rebateCoupon], charges, statusChanges: new Map([['O-3', fraudulent]]) }),
      UNTIL,
      true,
    );

    const change = '2025-02-01T00:00:00+08:00';
    expect(storedUses(out)).toEqual([
      ['C-1', '2025-01-03T00:00:00+08:00', change],
      ['C-2', '2025-01-04T00:00:00+08:00', change],
      ['C-3', '2025-01-05T00:00:00+08:00', change],
      ['C-4', '2025-01-06T00:00:00+08:00', change],
      ['C-5', '2025-01-07T00:00:00+08:00', change],
      ['C-6', '2025-01-08T00:00:00+08:00', change],
    ]);
    expect(out.ledger.map((e) => [e.key, formatInstant(e.at)])).toEqual([
      ['use:C-1:1', '2025-01-03T00:00:00+08:00'],
      ['forfeit:C-1:1', change],
      ['use:C-2:1', '2025-01-04T00:00:00+08:00'],
      ['forfeit:C-2:1', change],
      ['use:C-3:1', '2025-01-05T00:00:00+08:00'],
      ['forfeit:C-3:1', change],
      ['use:C-4:1', '2025-01-06T00:00:00+08:00'],
      ['forfeit:C-4:1', change],
      ['use:C-5:1', '2025-01-07T00:00:00+08:00'],
      ['forfeit:C-5:1', change],
      ['use:C-6:1', '2025-01-08T00:00:00+08:00'],
      ['forfeit:C-6:1', change],
    ]);
    // On 2025-01-15 the coupon has lent 600.00 to ordinary uses; nothing is forfeited yet.
    const by15th = out.ledger.filter((e) => e.at <= at('2025-01-15T00:00:00+08:00'));
    expect(by15th.map((e) => e.kind)).toEqual(['use', 'use', 'use', 'use', 'use', 'use']);
    expect(couponBalance('CP-1', [issueOf(rebateCoupon), ...out.ledger])?.toFixed(2)).toBe(
      '2900.00',
    );
  });

  // One charge of 100.00 and one status change; the forfeit's instant, worked by hand, is
  // the change's when the charge came first, else the charge's: its value was consumed
  // already forfeited.
  it.each([
    {
      name: 'a change after the charge forfeits at the change',
      chargeAt: '2025-01-03T00:00:00+08:00',
      change: event('O-3', 'fraudulent', '2025-02-01T00:00:00+08:00'),
      forfeitedAt: '2025-02-01T00:00:00+08:00',
    },
    {
      name: 'a change before the charge forfeits at the charge',
      chargeAt: '2025-01-05T00:00:00+08:00',
      change: event('O-3', 'abnormal', '2025-01-04T00:00:00+08:00'),
      forfeitedAt: '2025-01-05T00:00:00+08:00',
    },
    {
      name: 'a change at the charge’s instant forfeits at that instant',
      chargeAt: '2025-01-05T00:00:00+08:00',
      change: event('O-3', 'refunded', '2025-01-05T00:00:00+08:00'),
      forfeitedAt: '2025-01-05T00:00:00+08:00',
    },
  ])('$name, whichever fact arrived first', ({ chargeAt, change, forfeitedAt }) => {
    const theCharge = charge('C-1', '100.00', chargeAt);
    const expected = {
      uses: [['C-1', chargeAt, forfeitedAt]],
      forfeits: [['forfeit:C-1:1', forfeitedAt]],
    };

    // Both facts in one run, as a replay has them.
    const together = processSegment(
      segment({ coupons: [rebateCoupon], charges: [theCharge], events: [change] }),
      UNTIL,
      true,
    );
    expect({ uses: storedUses(together), forfeits: forfeitEntries(together) }).toEqual(expected);

    // The status change first, applied by a run; the charge in a later run.
    const changeRun = processSegment(segment({ events: [change] }), UNTIL, true);
    const lateCharge = processSegment(
      segment({
        coupons: [rebateCoupon],
        charges: [theCharge],
        statusChanges: new Map([['O-3', change]]),
      }),
      UNTIL,
      true,
    );
    expect({
      uses: storedUses(changeRun, lateCharge),
      forfeits: forfeitEntries(changeRun, lateCharge),
    }).toEqual(expected);

    // The charge first, its use stored by a run; the status change in a later run.
    const chargeRun = processSegment(
      segment({ coupons: [rebateCoupon], charges: [theCharge] }),
      UNTIL,
      true,
    );
    const lateChange = processSegment(
      segment({ events: [change], usesByOrder: new Map([['O-3', chargeRun.newUses]]) }),
      UNTIL,
      true,
    );
    expect({
      uses: storedUses(chargeRun, lateChange),
      forfeits: forfeitEntries(chargeRun, lateChange),
    }).toEqual(expected);
  });
});

describe('items sort by time, then expiry, fee, status, charge, settlement, then id', () => {
  const T = '2024-09-01T10:00:00+08:00';

  it('lets a charge use a coupon issued at the same instant', () => {
    const out = processSegment(
      segment({ coupons: [coupon('CP-1', '3500', T)], charges: [charge('C-1', '350', T)] }),
      FAR,
      true,
    );
    expect(out.charges[0]?.paidByCouponsCny.toFixed(2)).toBe('350.00');
  });

  it('applies same-instant charges in order of their ids: C-1 takes 80, C-2 the last 20', () => {
    const out = processSegment(
      segment({
        coupons: [coupon('CP-1', '100', '2024-07-02')],
        charges: [charge('C-2', '80', T, 'O-2'), charge('C-1', '80', T, 'O-1')],
      }),
      FAR,
      true,
    );
    expect(
      out.charges.map((c) => [c.chargeId, c.paidByCouponsCny.toFixed(2), c.payableCny.toFixed(2)]),
    ).toEqual([
      ['C-1', '80.00', '0.00'],
      ['C-2', '20.00', '60.00'],
    ]);
  });

  it('applies an earlier charge first whatever the input order', () => {
    const out = processSegment(
      segment({
        coupons: [coupon('CP-1', '100', '2024-07-02')],
        charges: [charge('C-1', '80', '2024-09-02T00:00:00+08:00'), charge('C-2', '80', T)],
      }),
      FAR,
      true,
    );
    expect(out.charges.map((c) => [c.chargeId, c.paidByCouponsCny.toFixed(2)])).toEqual([
      ['C-2', '80.00'],
      ['C-1', '20.00'],
    ]);
  });

  it('applies a cancellation before a charge at the same instant, so the use is forfeited', () => {
    const out = processSegment(
      segment({
        coupons: [coupon('CP-1', '3500', '2024-07-02')],
        charges: [charge('C-1', '350', T)],
        events: [event('O-3', 'cancelled', T)],
      }),
      FAR,
      true,
    );
    expect(out.newUses.map((u) => u.forfeited)).toEqual([true]);
    expect(out.ledger.map((e) => e.kind)).toEqual(['use', 'forfeit']);
  });

  it('prices a fee before a cancellation at its clearance instant, then reverses it', () => {
    const out = processSegment(
      segment({
        orders: [priced({ id: 'O-3', amountUsd: '4000', clearedAt: T, usdCny: '7' })],
        events: [event('O-3', 'cancelled', T)],
        merchantOfOrder: new Map([['O-3', 'M-1']]),
      }),
      FAR,
      true,
    );
    expect(out.fees.map(feeSummary)).toEqual([['O-3', 'LV1', '420.00']]);
    expect(out.feeReversals.map((r) => r.orderId)).toEqual(['O-3']);
  });

  it('expires a coupon before a charge at its expiry instant (expiry is exclusive)', () => {
    const out = processSegment(
      segment({
        coupons: [coupon('CP-1', '500', '2024-07-02', T)],
        charges: [charge('C-1', '350', T)],
      }),
      FAR,
      true,
    );
    expect(out.charges[0]?.paidByCouponsCny.toFixed(2)).toBe('0.00');
    expect(ledgerSummary(out.ledger)).toEqual([
      ['expire', 'coupon:CP-1', ACCOUNTS.expired, '500.00'],
    ]);
  });

  it('expires only what is left: 500 − 350 used the day before = 150', () => {
    const out = processSegment(
      segment({
        coupons: [coupon('CP-1', '500', '2024-07-02', T)],
        charges: [charge('C-1', '350', '2024-08-31T10:00:00+08:00')],
      }),
      FAR,
      true,
    );
    expect(ledgerSummary(out.ledger)).toEqual([
      ['use', 'coupon:CP-1', ACCOUNTS.redeemed, '350.00'],
      ['expire', 'coupon:CP-1', ACCOUNTS.expired, '150.00'],
    ]);
  });
});

describe('processSegment settles FX with the level in force at the settlement', () => {
  const settlement = {
    id: 'S-1',
    merchantId: 'M-1',
    currency: 'USD',
    amount: dec('50000.00'),
    baseRate: dec('7.2120'),
    account: 'export',
    at: at('2024-08-01T10:00:00+08:00'),
  };

  // 50,000 × 70 × 0.0001 = 350.00 at LV5; the SPEC example's LV3 gets nothing.
  it.each([
    ['LV5', 70, '7.2190', '350.00', null],
    ['LV3', 0, '7.2120', '0.00', 'level'],
  ])('gives a merchant at %s %i pips', (level, pips, rate, subsidyCny, reason) => {
    const out = processSegment(
      segment({ assessments: history({ ...Q2_LV5, level }), settlements: [settlement] }),
      FAR,
      true,
    );
    const result = out.settlements[0];
    expect([
      result?.pips,
      result?.effectiveRate.toFixed(4),
      result?.subsidyCny.toFixed(2),
      result?.reason,
    ]).toEqual([pips, rate, subsidyCny, reason]);
  });
});

describe('processSegment properties: random charges over random coupons', () => {
  const BASE = at('2024-08-01T00:00:00+08:00');
  const HOUR = 3_600_000;
  const hour = fc.integer({ min: 0, max: 48 }).map((h) => BASE + h * HOUR);
  const fen = fc
    .oneof(fc.constantFrom(1n, 100n, 35_000n), fc.bigInt({ min: 1n, max: 60_000n }))
    .map((units) => dec(units.toString()).div(100));
  const merchantId = fc.constantFrom('M-1', 'M-2');
  const couponRows = fc.array(
    fc.record({
      merchantId,
      remaining: fen,
      issuedAt: hour,
      lifetimeHours: fc.option(fc.integer({ min: 1, max: 48 }), { nil: null }),
    }),
    { maxLength: 5 },
  );
  const chargeRows = fc.array(
    fc.record({
      merchantId,
      amount: fen,
      at: hour,
      status: fc.option(fc.constantFrom<TerminalStatus>('cancelled', 'refunded'), { nil: null }),
      statusAt: hour,
    }),
    { maxLength: 10 },
  );

  it('never drives a coupon below zero, balances every entry and accounts for every charge', () => {
    fc.assert(
      fc.property(couponRows, chargeRows, (couponFacts, chargeFacts) => {
        const coupons: CouponBalance[] = couponFacts.map((c, i) => ({
          couponId: `CP-${i}`,
          merchantId: c.merchantId,
          issuedAt: c.issuedAt,
          expiresAt: c.lifetimeHours === null ? null : c.issuedAt + c.lifetimeHours * HOUR,
          remainingCny: c.remaining,
        }));
        const charges: Charge[] = chargeFacts.map((c, i) => ({
          id: `C-${String(i).padStart(2, '0')}`,
          orderId: `O-${i}`,
          merchantId: c.merchantId,
          kind: 'tax-refund-service-fee',
          amountCny: c.amount,
          at: c.at,
        }));
        const events: OrderEvent[] = chargeFacts.flatMap((c, i) =>
          c.status === null ? [] : [{ orderId: `O-${i}`, status: c.status, at: c.statusAt }],
        );
        const out: SegmentOutput = processSegment(
          segment({
            coupons,
            charges,
            events,
            merchantOfOrder: new Map(chargeFacts.map((c, i) => [`O-${i}`, c.merchantId])),
          }),
          BASE + 200 * HOUR,
          true,
        );

        for (const entry of out.ledger) {
          expect(entry.amountCny.gt(0)).toBe(true);
          expect(entry.debitAccount).not.toBe(entry.creditAccount);
        }

        for (const c of coupons) {
          const balance = couponBalance(c.couponId, [issueOf(c), ...out.ledger]);
          expect(balance?.gte(0)).toBe(true);
          const debits = out.ledger
            .filter((e) => e.debitAccount === ACCOUNTS.coupon(c.couponId))
            .reduce((total, e) => total.plus(e.amountCny), ZERO);
          expect(debits.lte(c.remainingCny)).toBe(true);
        }

        expect(out.charges).toHaveLength(charges.length);
        for (const result of out.charges) {
          const used = out.ledger
            .filter((e) => e.kind === 'use' && e.chargeId === result.chargeId)
            .reduce((total, e) => total.plus(e.amountCny), ZERO);
          expect(used.eq(result.paidByCouponsCny)).toBe(true);
          expect(result.paidByCouponsCny.plus(result.payableCny).eq(result.amountCny)).toBe(true);
          expect(result.payableCny.gte(0)).toBe(true);
        }

        const couponOwner = new Map(coupons.map((c) => [c.couponId, c.merchantId]));
        for (const use of out.newUses) {
          expect(couponOwner.get(use.couponId)).toBe(use.merchantId);
        }

        // A forfeit moves exactly one use's value from redeemed to forfeited.
        const forfeited = out.ledger.filter((e) => e.kind === 'forfeit');
        const useKeys = new Set(out.newUses.map((u) => `${u.chargeId}:${u.seq}`));
        for (const entry of forfeited) {
          expect(entry.debitAccount).toBe(ACCOUNTS.redeemed);
          expect(useKeys.has(entry.key.replace(/^forfeit:/, ''))).toBe(true);
        }
        expect(new Set(out.ledger.map((e) => e.key)).size).toBe(out.ledger.length);
      }),
      { numRuns: 500 },
    );
  });
});
