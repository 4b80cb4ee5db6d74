import { dec, formatFen, ZERO } from '../core/money.js';
import type { Queryable } from '../store/db.js';
import { lateOrders } from './late-orders.js';

/**
 * `ladder report`: what a programme manager wants to see, per quarter —
 * merchants per level, jumps and rebates, fees against the standard fee (the
 * discounts' cost), subsidies, and the coupon liability.
 */

export interface LevelCount {
  readonly service: string;
  readonly quarter: string;
  readonly level: string;
  readonly merchants: number;
}

export interface QuarterFigures {
  readonly quarter: string;
  readonly jumps: number;
  readonly rebatesIssuedCny: string;
  readonly rebatesSuppressed: number;
  readonly feesCharged: number;
  readonly feesReversed: number;
  readonly feeErrors: number;
  readonly feeNetCny: string;
  readonly feeVatCny: string;
  readonly standardFeeNetCny: string;
  readonly discountCostCny: string;
  readonly settlementsSubsidised: number;
  readonly subsidiesCny: string;
}

export interface ProgrammeReport {
  readonly levels: LevelCount[];
  readonly quarters: QuarterFigures[];
  readonly coupons: {
    readonly issuedCny: string;
    readonly usedCny: string;
    readonly forfeitedCny: string;
    readonly expiredCny: string;
    readonly outstandingCny: string;
    readonly count: number;
  };
  readonly feeErrors: { code: string; count: number }[];
  /** Orders of assessed quarters that arrived after the assessment (first 10,000). */
  readonly lateOrders: number;
}

const SHANGHAI_QUARTER = (column: string) =>
  `to_char(${column} AT TIME ZONE 'Asia/Shanghai', 'YYYY') || '-Q' || to_char(${column} AT TIME ZONE 'Asia/Shanghai', 'Q')`;

const money = (text: string | null | undefined) => formatFen(dec(text ?? '0'));

export async function programmeReport(db: Queryable): Promise<ProgrammeReport> {
  const levels = (
    await db.query<{ service: string; quarter: string; level: string; n: string | number }>(
      'SELECT service, quarter, level, count(*) AS n FROM assessments GROUP BY service, quarter, level',
    )
  )
    .map((r) => ({
      service: r.service,
      quarter: r.quarter,
      level: r.level,
      merchants: Number(r.n),
    }))
    .sort(
      (a, b) => cmp(a.service, b.service) || cmp(a.quarter, b.quarter) || cmp(a.level, b.level),
    );

  const byQuarter = new Map<string, Record<string, string | number>>();
  const slot = (quarter: string) => {
    let row = byQuarter.get(quarter);
    if (!row) {
      row = {};
      byQuarter.set(quarter, row);
    }
    return row;
  };

  for (const r of await db.query<{
    quarter: string;
    status: string;
    n: string | number;
    total: string;
  }>(
    'SELECT quarter, status, count(*) AS n, sum(rebate_cny)::text AS total FROM jump_rebates GROUP BY quarter, status',
  )) {
    const row = slot(r.quarter);
    row.jumps = Number(row.jumps ?? 0) + Number(r.n);
    if (r.status === 'issued') row.rebatesIssuedCny = r.total;
    else row.rebatesSuppressed = Number(r.n);
  }

  for (const r of await db.query<{
    quarter: string;
    status: string;
    n: string | number;
    net: string | null;
    vat: string | null;
    standard: string | null;
  }>(
    `SELECT ${SHANGHAI_QUARTER('cleared_at')} AS quarter, status, count(*) AS n,
            sum(net_cny)::text AS net, sum(vat_cny)::text AS vat, sum(standard_net_cny)::text AS standard
     FROM fees GROUP BY 1, status`,
  )) {
    const row = slot(r.quarter);
    if (r.status === 'error') {
      row.feeErrors = Number(r.n);
      continue;
    }
    if (r.status === 'reversed') {
      row.feesReversed = Number(r.n);
      continue;
    }
    row.feesCharged = Number(r.n);
    row.feeNetCny = r.net ?? '0';
    row.feeVatCny = r.vat ?? '0';
    row.standardFeeNetCny = r.standard ?? '0';
  }

  for (const r of await db.query<{ quarter: string; n: string | number; total: string }>(
    `SELECT ${SHANGHAI_QUARTER('s.at')} AS quarter, count(*) AS n, sum(r.subsidy_cny)::text AS total
     FROM settlement_results r
     JOIN settlements s ON s.merchant_id = r.merchant_id AND s.id = r.settlement_id
     WHERE r.reason IS NULL GROUP BY 1`,
  )) {
    const row = slot(r.quarter);
    row.settlementsSubsidised = Number(r.n);
    row.subsidiesCny = r.total;
  }

  const quarters = [...byQuarter.entries()]
    .sort(([a], [b]) => cmp(a, b))
    .map(([quarter, r]) => {
      const net = dec(String(r.feeNetCny ?? '0'));
      const standard = dec(String(r.standardFeeNetCny ?? '0'));
      return {
        quarter,
        jumps: Number(r.jumps ?? 0),
        rebatesIssuedCny: money(String(r.rebatesIssuedCny ?? '0')),
        rebatesSuppressed: Number(r.rebatesSuppressed ?? 0),
        feesCharged: Number(r.feesCharged ?? 0),
        feesReversed: Number(r.feesReversed ?? 0),
        feeErrors: Number(r.feeErrors ?? 0),
        feeNetCny: formatFen(net),
        feeVatCny: money(String(r.feeVatCny ?? '0')),
        standardFeeNetCny: formatFen(standard),
        discountCostCny: formatFen(standard.gt(net) ? standard.minus(net) : ZERO),
        settlementsSubsidised: Number(r.settlementsSubsidised ?? 0),
        subsidiesCny: money(String(r.subsidiesCny ?? '0')),
      };
    });

  const ledger = new Map(
    (
      await db.query<{ kind: string; total: string }>(
        'SELECT kind, sum(amount_cny)::text AS total FROM ledger_entries GROUP BY kind',
      )
    ).map((r) => [r.kind, dec(r.total)]),
  );
  const issued = ledger.get('issue') ?? ZERO;
  const used = ledger.get('use') ?? ZERO;
  const expired = ledger.get('expire') ?? ZERO;
  const couponCount = await db.query<{ n: string | number }>('SELECT count(*) AS n FROM coupons');

  const feeErrors = (
    await db.query<{ code: string; n: string | number }>(
      "SELECT error_code AS code, count(*) AS n FROM fees WHERE status = 'error' GROUP BY error_code",
    )
  )
    .map((r) => ({ code: r.code, count: Number(r.n) }))
    .sort((a, b) => cmp(a.code, b.code));

  return {
    levels,
    quarters,
    coupons: {
      issuedCny: formatFen(issued),
      usedCny: formatFen(used),
      forfeitedCny: formatFen(ledger.get('forfeit') ?? ZERO),
      expiredCny: formatFen(expired),
      outstandingCny: formatFen(issued.minus(used).minus(expired)),
      count: Number(couponCount[0]?.n ?? 0),
    },
    feeErrors,
    lateOrders: (await lateOrders(db, { limit: 10_000 })).length,
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
