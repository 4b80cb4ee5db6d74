/**
 * Where each table of the schema lives on a Citus cluster (docs/SCALING.md),
 * in one place: the large tables are distributed by merchant and co-located
 * with `merchants`, so that everything of one merchant sits on one shard;
 * the rulebook is a reference table, copied to every node; the small tables
 * of the server's own bookkeeping stay local to the coordinator.
 *
 * `distribution-check.ts` holds this list against the catalog (a table left
 * out, a key without merchant_id, a foreign key that Citus would refuse),
 * and its test runs on every store, so the list cannot drift from the
 * migrations.
 */

export interface DistributedTable {
  readonly table: string;
  /** The distribution column: the merchant's id. */
  readonly column: string;
  readonly why: string;
}

export interface PlacedTable {
  readonly table: string;
  readonly why: string;
}

export interface Distribution {
  /** In dependency order: a table comes after every table its foreign keys name. */
  readonly distributed: readonly DistributedTable[];
  readonly reference: readonly PlacedTable[];
  readonly local: readonly PlacedTable[];
}

/** The table every distributed table is co-located with. */
export const COLOCATION_ANCHOR = 'merchants';

const byMerchant = (table: string, why: string): DistributedTable => ({
  table,
  column: 'merchant_id',
  why,
});

export const DISTRIBUTION: Distribution = {
  distributed: [
    // merchants keeps `id` as its key: Citus co-locates by the column's type
    // (text), not its name, and every API and query names a merchant by id.
    { table: 'merchants', column: 'id', why: 'the tenant itself; every large table follows it' },
    byMerchant('fx_rating_changes', "a merchant's FX rating history, read with the merchant"),
    byMerchant('risk_flags', "a merchant's risk flags, read with the merchant"),
    byMerchant('orders', 'the largest table; summed, priced and listed per merchant'),
    byMerchant('order_events', 'status changes, always joined with their order'),
    byMerchant('charges', "tax-refund fee charges, paid from the same merchant's coupons"),
    byMerchant('settlements', "a merchant's FX settlements"),
    byMerchant('assessments', 'one row per merchant, service and quarter'),
    byMerchant('coupons', 'never leave their merchant (SPEC §7)'),
    byMerchant('jump_rebates', 'one row per merchant, service and quarter, with its coupon'),
    byMerchant('fees', 'one basic service fee per order'),
    byMerchant('ledger_entries', "the coupon ledger; every entry moves one merchant's coupon"),
    byMerchant('charge_results', 'one row per charge'),
    byMerchant('coupon_uses', 'which coupon paid which charge, within one merchant'),
    byMerchant('settlement_results', 'one row per settlement'),
    byMerchant('events', 'the feed grows with every fee, rebate and level; keyed by merchant too'),
  ],
  reference: [
    {
      table: 'rulebook_versions',
      why: 'a few published versions, read by every run, quote and explanation',
    },
    { table: 'settings', why: 'a handful of keys (default rulebook, what the last run saw)' },
    {
      table: 'assessment_runs',
      why: 'one row per service and quarter, joined with orders to find late orders on each shard',
    },
  ],
  local: [
    { table: 'schema_migrations', why: "the migration runner's bookkeeping, on the coordinator" },
    { table: 'api_tokens', why: 'read by the server on each request; never joined with facts' },
    {
      table: 'idempotency_keys',
      why: "the API's own replay protection, per request; never joined with facts",
    },
    { table: 'webhook_subscriptions', why: 'a few rows, locked FOR UPDATE by the enqueuer' },
    {
      table: 'webhook_deliveries',
      why:
        'the outbox, claimed FOR UPDATE SKIP LOCKED across merchants, which Citus allows ' +
        'only within one shard; it names its event by (event_merchant_id, event_seq), no FK',
    },
    { table: 'simulations', why: 'what-if runs and their JSON results, read by id' },
  ],
};

/** The most shards the set-up asks for: Citus allows more, but no cluster of Ladder needs them. */
export const MAX_SHARD_COUNT = 4096;

/**
 * The Citus set-up of a placement, as SQL for psql: reference tables, then
 * distributed ones in order. Each statement skips a table already placed.
 * `shardCount`, when given, is set for the session before anything is
 * distributed, so that every co-located table gets it; else Citus's own
 * `citus.shard_count` holds.
 */
export function citusSetupSql(
  options: { readonly shardCount?: number; readonly distribution?: Distribution } = {},
): string {
  const distribution = options.distribution ?? DISTRIBUTION;
  const { shardCount } = options;
  if (shardCount !== undefined && !(Number.isInteger(shardCount) && shardCount >= 1)) {
    throw new Error(`shard count ${shardCount} must be a whole number above 0`);
  }
  if (shardCount !== undefined && shardCount > MAX_SHARD_COUNT) {
    throw new Error(`shard count ${shardCount} is above ${MAX_SHARD_COUNT}`);
  }
  const unplaced = (table: string) =>
    '  WHERE NOT EXISTS (SELECT 1 FROM pg_dist_partition ' +
    `WHERE logicalrelid = '${table}'::regclass);`;
  const lines = [
    '-- Ladder on Citus: run once on the coordinator, after the migrations (docs/SCALING.md).',
    '-- A table already placed is skipped, so a set-up that stopped half way can be run again.',
    'CREATE EXTENSION IF NOT EXISTS citus;',
    ...(shardCount === undefined ? [] : [`SET citus.shard_count = ${shardCount};`]),
    '',
    '-- Citus does not distribute a table with a trigger. The feed writer takes the',
    "-- trigger's commit-order lock itself (services/run.ts, writeFeed).",
    'DROP TRIGGER IF EXISTS events_in_commit_order ON events;',
    '',
    '-- Reference tables: one copy on every node.',
    ...distribution.reference.flatMap(({ table }) => [
      `SELECT create_reference_table('${table}')`,
      unplaced(table),
    ]),
    '',
    `-- Distributed by merchant and co-located with ${COLOCATION_ANCHOR},`,
    '-- each after the tables that it references.',
    ...distribution.distributed.flatMap(({ table, column }) => {
      const colocated =
        table === COLOCATION_ANCHOR ? '' : `, colocate_with => '${COLOCATION_ANCHOR}'`;
      return [
        `SELECT create_distributed_table('${table}', '${column}'${colocated})`,
        unplaced(table),
      ];
    }),
    '',
    '-- Left local to the coordinator:',
    ...distribution.local.map(({ table, why }) => `--   ${table}: ${why}`),
  ];
  return `${lines.join('\n')}\n`;
}
