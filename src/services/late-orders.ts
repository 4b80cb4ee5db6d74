import { dec, formatAmount } from '../core/money.js';
import { formatInstant, quarterEnd, quarterStart } from '../core/time.js';
import type { Queryable } from '../store/db.js';
import { fromPg, toPg } from '../store/rows.js';

/**
 * Orders of an already assessed quarter that reached the store after its
 * assessment ran (SPEC §4): they never change the level given, so they are
 * listed for operators instead. An order is late when its ingest sequence is
 * above the highest one the assessment saw.
 */
export interface LateOrder {
  readonly orderId: string;
  readonly merchantId: string;
  readonly service: string;
  readonly quarter: string;
  readonly amountUsd: string;
  readonly clearedAt: string;
}

export async function lateOrders(
  db: Queryable,
  filter: { merchantId?: string; quarter?: string; limit?: number } = {},
): Promise<LateOrder[]> {
  const limit = Math.min(Math.max(filter.limit ?? 1000, 1), 10_000);
  const runs = await db.query<{ service: string; quarter: string; max_order_seq: string }>(
    'SELECT service, quarter, max_order_seq FROM assessment_runs WHERE $1::text IS NULL OR quarter = $1 ORDER BY quarter, service',
    [filter.quarter ?? null],
  );
  const rows: {
    id: string;
    merchant_id: string;
    service: string;
    quarter: string;
    amount_usd: string;
    cleared_at: string;
  }[] = [];
  for (const run of runs) {
    if (rows.length >= limit) break;
    rows.push(
      ...(await db.query<(typeof rows)[number]>(
        `SELECT id, merchant_id, service, $5::text AS quarter, amount_usd, cleared_at FROM orders
         WHERE service = $1 AND cleared_at >= $2 AND cleared_at < $3 AND ingest_seq > $4
           AND ($6::text IS NULL OR merchant_id = $6)
         ORDER BY id LIMIT $7`,
        [
          run.service,
          toPg(quarterStart(run.quarter)),
          toPg(quarterEnd(run.quarter)),
          run.max_order_seq,
          run.quarter,
          filter.merchantId ?? null,
          limit - rows.length,
        ],
      )),
    );
  }
  return rows.map((row) => ({
    orderId: row.id,
    merchantId: row.merchant_id,
    service: row.service,
    quarter: row.quarter,
    amountUsd: formatAmount(dec(row.amount_usd)),
    clearedAt: formatInstant(fromPg(row.cleared_at)),
  }));
}
