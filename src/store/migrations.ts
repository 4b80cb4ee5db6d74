import type { Db } from './db.js';

/**
 * The schema, one migration per entry, applied in order and never edited once
 * released: a change is a new entry. Money and rates are `numeric` (exact);
 * instants are `timestamptz`. Facts (merchants, orders, events, charges,
 * settlements) are kept as sent; results (assessments, fees, coupons, ledger)
 * are written once by the engine and corrected only by new rows.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE rulebook_versions (
    id text NOT NULL,
    version integer NOT NULL CHECK (version >= 1),
    effective_from timestamptz NOT NULL,
    document jsonb NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id, version)
  );

  CREATE TABLE settings (
    key text PRIMARY KEY,
    value text NOT NULL
  );

  CREATE TABLE merchants (
    id text PRIMARY KEY,
    fx_rating text NOT NULL,
    ingest_seq bigserial NOT NULL
  );

  CREATE TABLE fx_rating_changes (
    merchant_id text NOT NULL REFERENCES merchants (id),
    at timestamptz NOT NULL,
    rating text NOT NULL,
    PRIMARY KEY (merchant_id, at)
  );

  CREATE TABLE risk_flags (
    merchant_id text NOT NULL REFERENCES merchants (id),
    from_at timestamptz NOT NULL,
    to_at timestamptz,
    PRIMARY KEY (merchant_id, from_at),
    CHECK (to_at IS NULL OR to_at >= from_at)
  );

  CREATE TABLE orders (
    id text PRIMARY KEY,
    merchant_id text NOT NULL REFERENCES merchants (id),
    service text NOT NULL,
    type text NOT NULL,
    amount_usd numeric NOT NULL CHECK (amount_usd > 0),
    cleared_at timestamptz NOT NULL,
    usd_cny numeric CHECK (usd_cny > 0),
    ingest_seq bigserial NOT NULL
  );
  CREATE INDEX orders_merchant_service_cleared ON orders (merchant_id, service, cleared_at);
  CREATE INDEX orders_service_cleared ON orders (service, cleared_at);

  CREATE TABLE order_events (
    order_id text PRIMARY KEY REFERENCES orders (id),
    status text NOT NULL CHECK (status IN ('cancelled', 'refunded', 'fraudulent', 'abnormal')),
    at timestamptz NOT NULL,
    applied boolean NOT NULL DEFAULT false
  );
  CREATE INDEX order_events_pending ON order_events (at) WHERE NOT applied;

  CREATE TABLE charges (
    id text PRIMARY KEY,
    order_id text NOT NULL REFERENCES orders (id),
    merchant_id text NOT NULL REFERENCES merchants (id),
    kind text NOT NULL CHECK (kind = 'tax-refund-service-fee'),
    amount_cny numeric NOT NULL CHECK (amount_cny > 0),
    at timestamptz NOT NULL
  );
  CREATE INDEX charges_order ON charges (order_id);
  CREATE INDEX charges_merchant ON charges (merchant_id, at);

  CREATE TABLE settlements (
    id text PRIMARY KEY,
    merchant_id text NOT NULL REFERENCES merchants (id),
    currency text NOT NULL,
    amount numeric NOT NULL CHECK (amount > 0),
    base_rate numeric NOT NULL CHECK (base_rate > 0),
    account text NOT NULL,
    at timestamptz NOT NULL
  );
  CREATE INDEX settlements_merchant ON settlements (merchant_id, at);

  CREATE TABLE assessment_runs (
    service text NOT NULL,
    quarter text NOT NULL,
    effective_at timestamptz NOT NULL,
    rulebook text NOT NULL,
    max_order_seq bigint NOT NULL,
    merchant_count integer NOT NULL,
    ran_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (service, quarter)
  );

  CREATE TABLE assessments (
    merchant_id text NOT NULL REFERENCES merchants (id),
    service text NOT NULL,
    quarter text NOT NULL,
    amount_usd numeric NOT NULL CHECK (amount_usd >= 0),
    order_count integer NOT NULL,
    level text NOT NULL,
    effective_from timestamptz NOT NULL,
    rulebook text NOT NULL,
    explanation jsonb NOT NULL,
    PRIMARY KEY (merchant_id, service, quarter)
  );
  CREATE INDEX assessments_quarter ON assessments (service, quarter, level);

  CREATE TABLE coupons (
    id text PRIMARY KEY,
    merchant_id text NOT NULL REFERENCES merchants (id),
    face_cny numeric NOT NULL CHECK (face_cny > 0),
    issued_at timestamptz NOT NULL,
    expires_at timestamptz,
    service text NOT NULL,
    quarter text NOT NULL
  );
  CREATE INDEX coupons_merchant ON coupons (merchant_id, issued_at);

  CREATE TABLE jump_rebates (
    merchant_id text NOT NULL REFERENCES merchants (id),
    service text NOT NULL,
    quarter text NOT NULL,
    from_level text NOT NULL,
    to_level text NOT NULL,
    increase_usd numeric NOT NULL CHECK (increase_usd >= 0),
    rebate_cny numeric NOT NULL CHECK (rebate_cny >= 0),
    status text NOT NULL CHECK (status IN ('issued', 'suppressed')),
    reason text,
    coupon_id text REFERENCES coupons (id),
    effective_at timestamptz NOT NULL,
    rulebook text NOT NULL,
    explanation jsonb NOT NULL,
    PRIMARY KEY (merchant_id, service, quarter)
  );

  CREATE TABLE fees (
    order_id text PRIMARY KEY REFERENCES orders (id),
    merchant_id text NOT NULL REFERENCES merchants (id),
    cleared_at timestamptz NOT NULL,
    status text NOT NULL CHECK (status IN ('charged', 'reversed', 'error')),
    level text,
    net_cny numeric,
    vat_cny numeric,
    gross_cny numeric,
    standard_net_cny numeric,
    error_code text,
    error_message text,
    reversed_at timestamptz,
    rulebook text,
    breakdown jsonb,
    explanation jsonb,
    CHECK ((status = 'error') = (net_cny IS NULL))
  );
  CREATE INDEX fees_merchant ON fees (merchant_id, cleared_at);

  CREATE TABLE ledger_entries (
    seq bigserial PRIMARY KEY,
    key text NOT NULL UNIQUE,
    kind text NOT NULL CHECK (kind IN ('issue', 'use', 'forfeit', 'expire')),
    merchant_id text NOT NULL REFERENCES merchants (id),
    at timestamptz NOT NULL,
    debit_account text NOT NULL,
    credit_account text NOT NULL,
    amount_cny numeric NOT NULL CHECK (amount_cny > 0),
    coupon_id text NOT NULL REFERENCES coupons (id),
    charge_id text REFERENCES charges (id),
    CHECK (debit_account <> credit_account)
  );
  CREATE INDEX ledger_coupon ON ledger_entries (coupon_id);
  CREATE INDEX ledger_merchant ON ledger_entries (merchant_id, seq);

  CREATE TABLE charge_results (
    charge_id text PRIMARY KEY REFERENCES charges (id),
    merchant_id text NOT NULL REFERENCES merchants (id),
    amount_cny numeric NOT NULL,
    paid_by_coupons_cny numeric NOT NULL CHECK (paid_by_coupons_cny >= 0),
    payable_cny numeric NOT NULL CHECK (payable_cny >= 0),
    CHECK (paid_by_coupons_cny + payable_cny = amount_cny)
  );

  CREATE TABLE coupon_uses (
    charge_id text NOT NULL REFERENCES charges (id),
    seq integer NOT NULL,
    coupon_id text NOT NULL REFERENCES coupons (id),
    merchant_id text NOT NULL REFERENCES merchants (id),
    order_id text NOT NULL REFERENCES orders (id),
    amount_cny numeric NOT NULL CHECK (amount_cny > 0),
    at timestamptz NOT NULL,
    forfeited_at timestamptz,
    PRIMARY KEY (charge_id, seq)
  );
  CREATE INDEX coupon_uses_order ON coupon_uses (order_id);
  CREATE INDEX coupon_uses_coupon ON coupon_uses (coupon_id);

  CREATE TABLE settlement_results (
    settlement_id text PRIMARY KEY REFERENCES settlements (id),
    merchant_id text NOT NULL REFERENCES merchants (id),
    level text NOT NULL,
    pips integer NOT NULL,
    effective_rate numeric NOT NULL,
    subsidy_cny numeric NOT NULL CHECK (subsidy_cny >= 0),
    reason text,
    rulebook text NOT NULL,
    explanation jsonb NOT NULL
  );

  CREATE TABLE events (
    seq bigserial PRIMARY KEY,
    key text NOT NULL UNIQUE,
    type text NOT NULL,
    merchant_id text NOT NULL,
    at timestamptz NOT NULL,
    payload jsonb NOT NULL
  );
  CREATE INDEX events_merchant ON events (merchant_id, seq);
  `,
  // 2: the HTTP server — API tokens (hashed), idempotency keys, webhook
  // subscriptions and their outbox. Events get a statement-level trigger
  // that takes one transaction-scoped advisory lock, so that transactions
  // writing events commit one after the other and `seq` grows in commit
  // order: a reader paging by seq never skips an event committed late.
  `
  CREATE TABLE api_tokens (
    id text PRIMARY KEY,
    token_sha256 text NOT NULL UNIQUE,
    kind text NOT NULL CHECK (kind IN ('operator', 'merchant')),
    merchant_id text,
    label text,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz,
    CHECK ((kind = 'merchant') = (merchant_id IS NOT NULL))
  );

  CREATE TABLE idempotency_keys (
    scope text NOT NULL,
    key text NOT NULL,
    request_sha256 text NOT NULL,
    status_code integer,
    response jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
  );

  CREATE TABLE webhook_subscriptions (
    id text PRIMARY KEY,
    url text NOT NULL,
    secret text NOT NULL,
    merchant_id text,
    cursor_seq bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    disabled_at timestamptz
  );

  CREATE TABLE webhook_deliveries (
    subscription_id text NOT NULL REFERENCES webhook_subscriptions (id),
    event_seq bigint NOT NULL REFERENCES events (seq),
    status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    last_status integer,
    last_error text,
    delivered_at timestamptz,
    PRIMARY KEY (subscription_id, event_seq)
  );
  CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';

  CREATE FUNCTION events_in_commit_order() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM pg_advisory_xact_lock(7277002);
    RETURN NULL;
  END
  $$;
  CREATE TRIGGER events_in_commit_order BEFORE INSERT ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_in_commit_order();
  `,
  // 3: what-if simulations asked of the server (POST /v1/simulations), kept
  // with their request and result so that they survive a restart and can be
  // compared. A row is written when the run is queued and again when it ends;
  // the run itself writes nothing else (it is rolled back). `heartbeat_at`
  // lets a server tell a run of a process that died from one still going.
  `
  CREATE TABLE simulations (
    id text PRIMARY KEY,
    seq bigserial NOT NULL UNIQUE,
    status text NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    stage text CHECK (stage IN ('queued', 'base', 'draft', 'done')),
    progress numeric NOT NULL CHECK (progress >= 0 AND progress <= 1),
    request jsonb NOT NULL,
    changes jsonb NOT NULL,
    result jsonb,
    error jsonb,
    created_at timestamptz NOT NULL,
    finished_at timestamptz,
    heartbeat_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'done') = (result IS NOT NULL)),
    CHECK ((status = 'failed') = (error IS NOT NULL)),
    CHECK ((status = 'running') = (finished_at IS NULL))
  );
  `,
  // 4: every large table distributable by merchant on Citus (docs/SCALING.md;
  // the classification is src/store/distribution.ts). A distributed table's
  // primary key, unique constraints and foreign keys between distributed
  // tables must all carry the distribution column, so each key gains
  // merchant_id and each foreign key names (merchant_id, id). Ids stay
  // unique across merchants: ingest refuses an id that another merchant
  // holds, looking it up through the plain indexes on id made here.
  // Status events get the merchant of their order. Webhook deliveries are
  // local to the coordinator and may not reference a distributed table: they
  // keep the whole key of their event, (event_merchant_id, event_seq),
  // without a foreign key.
  `
  ALTER TABLE order_events ADD COLUMN merchant_id text;
  UPDATE order_events e SET merchant_id = o.merchant_id FROM orders o WHERE o.id = e.order_id;
  ALTER TABLE order_events ALTER COLUMN merchant_id SET NOT NULL;

  ALTER TABLE webhook_deliveries ADD COLUMN event_merchant_id text;
  UPDATE webhook_deliveries d SET event_merchant_id = e.merchant_id
    FROM events e WHERE e.seq = d.event_seq;
  ALTER TABLE webhook_deliveries ALTER COLUMN event_merchant_id SET NOT NULL;
  ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_event_seq_fkey;

  ALTER TABLE order_events DROP CONSTRAINT order_events_order_id_fkey;
  ALTER TABLE charges DROP CONSTRAINT charges_order_id_fkey;
  ALTER TABLE fees DROP CONSTRAINT fees_order_id_fkey;
  ALTER TABLE coupon_uses DROP CONSTRAINT coupon_uses_order_id_fkey,
    DROP CONSTRAINT coupon_uses_charge_id_fkey,
    DROP CONSTRAINT coupon_uses_coupon_id_fkey;
  ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_charge_id_fkey,
    DROP CONSTRAINT ledger_entries_coupon_id_fkey;
  ALTER TABLE charge_results DROP CONSTRAINT charge_results_charge_id_fkey;
  ALTER TABLE jump_rebates DROP CONSTRAINT jump_rebates_coupon_id_fkey;
  ALTER TABLE settlement_results DROP CONSTRAINT settlement_results_settlement_id_fkey;

  ALTER TABLE orders DROP CONSTRAINT orders_pkey, ADD PRIMARY KEY (merchant_id, id);
  CREATE INDEX orders_id ON orders (id);
  ALTER TABLE order_events DROP CONSTRAINT order_events_pkey,
    ADD PRIMARY KEY (merchant_id, order_id);
  ALTER TABLE charges DROP CONSTRAINT charges_pkey, ADD PRIMARY KEY (merchant_id, id);
  CREATE INDEX charges_id ON charges (id);
  ALTER TABLE settlements DROP CONSTRAINT settlements_pkey, ADD PRIMARY KEY (merchant_id, id);
  CREATE INDEX settlements_id ON settlements (id);
  ALTER TABLE coupons DROP CONSTRAINT coupons_pkey, ADD PRIMARY KEY (merchant_id, id);
  CREATE INDEX coupons_id ON coupons (id);
  ALTER TABLE fees DROP CONSTRAINT fees_pkey, ADD PRIMARY KEY (merchant_id, order_id);
  CREATE INDEX fees_order ON fees (order_id);
  ALTER TABLE charge_results DROP CONSTRAINT charge_results_pkey,
    ADD PRIMARY KEY (merchant_id, charge_id);
  ALTER TABLE coupon_uses DROP CONSTRAINT coupon_uses_pkey,
    ADD PRIMARY KEY (merchant_id, charge_id, seq);
  ALTER TABLE settlement_results DROP CONSTRAINT settlement_results_pkey,
    ADD PRIMARY KEY (merchant_id, settlement_id);
  CREATE INDEX settlement_results_settlement ON settlement_results (settlement_id);

  -- The new primary keys lead with (merchant_id, seq): the old indexes on it go.
  ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_pkey,
    DROP CONSTRAINT ledger_entries_key_key,
    ADD PRIMARY KEY (merchant_id, seq),
    ADD CONSTRAINT ledger_entries_merchant_key UNIQUE (merchant_id, key);
  DROP INDEX ledger_merchant;
  ALTER TABLE events DROP CONSTRAINT events_pkey,
    DROP CONSTRAINT events_key_key,
    ADD PRIMARY KEY (merchant_id, seq),
    ADD CONSTRAINT events_merchant_key UNIQUE (merchant_id, key);
  DROP INDEX events_merchant;
  -- The feed and the webhook outbox read events in seq order, all merchants at once.
  CREATE INDEX events_seq ON events (seq);

  ALTER TABLE order_events ADD CONSTRAINT order_events_order_fkey
    FOREIGN KEY (merchant_id, order_id) REFERENCES orders (merchant_id, id);
  ALTER TABLE charges ADD CONSTRAINT charges_order_fkey
    FOREIGN KEY (merchant_id, order_id) REFERENCES orders (merchant_id, id);
  ALTER TABLE fees ADD CONSTRAINT fees_order_fkey
    FOREIGN KEY (merchant_id, order_id) REFERENCES orders (merchant_id, id);
  ALTER TABLE coupon_uses
    ADD CONSTRAINT coupon_uses_order_fkey
      FOREIGN KEY (merchant_id, order_id) REFERENCES orders (merchant_id, id),
    ADD CONSTRAINT coupon_uses_charge_fkey
      FOREIGN KEY (merchant_id, charge_id) REFERENCES charges (merchant_id, id),
    ADD CONSTRAINT coupon_uses_coupon_fkey
      FOREIGN KEY (merchant_id, coupon_id) REFERENCES coupons (merchant_id, id);
  ALTER TABLE ledger_entries
    ADD CONSTRAINT ledger_entries_charge_fkey
      FOREIGN KEY (merchant_id, charge_id) REFERENCES charges (merchant_id, id),
    ADD CONSTRAINT ledger_entries_coupon_fkey
      FOREIGN KEY (merchant_id, coupon_id) REFERENCES coupons (merchant_id, id);
  ALTER TABLE charge_results ADD CONSTRAINT charge_results_charge_fkey
    FOREIGN KEY (merchant_id, charge_id) REFERENCES charges (merchant_id, id);
  ALTER TABLE jump_rebates ADD CONSTRAINT jump_rebates_coupon_fkey
    FOREIGN KEY (merchant_id, coupon_id) REFERENCES coupons (merchant_id, id);
  ALTER TABLE settlement_results ADD CONSTRAINT settlement_results_settlement_fkey
    FOREIGN KEY (merchant_id, settlement_id) REFERENCES settlements (merchant_id, id);
  `,
  // 5: a merchant's coupon uses by time, for the workbench; without it the
  // read walked every use of every merchant (src/http/read-plans.test.ts).
  `
  CREATE INDEX coupon_uses_merchant ON coupon_uses (merchant_id, at);
  `,
  // 6: assessments are written set-based (src/services/run.ts); the sentence
  // that explains a level is worked out from the row when asked for, so new
  // rows carry none. Rows written before keep theirs.
  `
  ALTER TABLE assessments ALTER COLUMN explanation DROP NOT NULL;
  `,
  // 7: the orders an assessment had seen end at the highest ingest_seq; an
  // index on it makes that a look-up (it was a scan of every order, 0.08 s
  // a million) and so are the late orders that came after (ingest_seq >
  // the run's). Appended in order, so cheap to keep.
  `
  CREATE INDEX orders_ingest_seq ON orders (ingest_seq);
  `,
];

/**
 * Applies the migrations not yet applied, in one transaction each, under an
 * advisory lock so that two processes opening one database do not race.
 */
export async function migrate(db: Db): Promise<void> {
  await db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(7277001)');
    const rows = await tx.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((row) => Number(row.version)));
    for (const [index, sql] of MIGRATIONS.entries()) {
      const version = index + 1;
      if (applied.has(version)) continue;
      await tx.exec(sql);
      await tx.query('INSERT INTO schema_migrations (version) VALUES ($1)', [version]);
    }
  });
}

export async function migrationsCurrent(db: Db): Promise<boolean> {
  const rows = await db.query<{ n: string | number }>(
    'SELECT count(*) AS n FROM schema_migrations',
  );
  return Number(rows[0]?.n ?? 0) === MIGRATIONS.length;
}
