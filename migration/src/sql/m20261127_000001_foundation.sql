-- Foundation: tenancy and API keys, reference books settings point to, connected
-- Magento stores with their settings and mappings, and the job/event tables.
-- Every business row carries org_id; every query is scoped by it.

CREATE TABLE organizations (
    id            uuid PRIMARY KEY,
    name          text NOT NULL UNIQUE,
    base_currency text NOT NULL DEFAULT 'USD',
    timezone      text NOT NULL DEFAULT 'UTC',
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    id           uuid PRIMARY KEY,
    org_id       uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    prefix       text NOT NULL,
    key_hash     text NOT NULL UNIQUE,
    role         text NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);

CREATE TABLE locations (
    id         uuid PRIMARY KEY,
    org_id     uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name       text NOT NULL,
    is_default boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, name)
);
-- at most one default location per organisation
CREATE UNIQUE INDEX locations_one_default ON locations (org_id) WHERE is_default;

CREATE TABLE price_tiers (
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    tier   smallint NOT NULL CHECK (tier BETWEEN 1 AND 10),
    name   text NOT NULL,
    PRIMARY KEY (org_id, tier)
);

CREATE TABLE tax_rules (
    id          uuid PRIMARY KEY,
    org_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name        text NOT NULL,
    rate        numeric(9, 4) NOT NULL CHECK (rate >= 0),
    is_tax_free boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, name)
);

CREATE TABLE accounts (
    id                   uuid PRIMARY KEY,
    org_id               uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    code                 text NOT NULL,
    name                 text NOT NULL,
    kind                 text NOT NULL CHECK (kind IN ('revenue', 'expense', 'asset', 'liability', 'equity', 'bank')),
    can_receive_payments boolean NOT NULL DEFAULT false,
    created_at           timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, code)
);

CREATE TABLE customers (
    id         uuid PRIMARY KEY,
    org_id     uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name       text NOT NULL,
    email      text,
    phone      text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customers_by_email ON customers (org_id, lower(email));
CREATE INDEX customers_by_name ON customers (org_id, lower(name));

CREATE TABLE magento_stores (
    id                        uuid PRIMARY KEY,
    org_id                    uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name                      text NOT NULL,
    base_url                  text NOT NULL,
    status                    text NOT NULL CHECK (status IN ('connected', 'error')),
    connected_at              timestamptz NOT NULL,
    -- AES-256-GCM ciphertexts (nonce || ciphertext+tag); the row (org, store, field)
    -- is the associated data so a ciphertext cannot be moved to another row.
    secret_key_id             text NOT NULL,
    consumer_key_enc          bytea NOT NULL,
    consumer_secret_enc       bytea NOT NULL,
    access_token_enc          bytea NOT NULL,
    access_token_secret_enc   bytea NOT NULL,
    consumer_key_last4        text NOT NULL,
    stock_mode                text NOT NULL DEFAULT 'unknown' CHECK (stock_mode IN ('unknown', 'msi', 'legacy')),
    metadata                  jsonb NOT NULL DEFAULT '{}'::jsonb,
    metadata_refreshed_at     timestamptz,
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, name)
);

-- One row per store; every setting of docs/settings.md with its default.
CREATE TABLE magento_settings (
    store_id                        uuid PRIMARY KEY REFERENCES magento_stores (id) ON DELETE CASCADE,
    org_id                          uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    sales_store_scope               text NOT NULL DEFAULT 'do_not_load',
    sales_store_view_code           text,
    capture_order_when              text NOT NULL DEFAULT 'created',
    consolidation                   text NOT NULL DEFAULT 'no_consolidation',
    consolidation_time              text,
    default_customer_id             uuid REFERENCES customers (id) ON DELETE RESTRICT,
    use_company_as_customer         boolean NOT NULL DEFAULT false,
    price_tier                      smallint NOT NULL DEFAULT 1,
    sale_price_tier                 smallint NOT NULL DEFAULT 1,
    fulfilment_mode                 text NOT NULL DEFAULT 'draft_order',
    auto_assembly_mode              text NOT NULL DEFAULT 'for_ordered_quantity',
    ignore_restock_for_unfulfilled  boolean NOT NULL DEFAULT false,
    location_id                     uuid REFERENCES locations (id) ON DELETE RESTRICT,
    invoice_status                  text NOT NULL DEFAULT 'draft',
    gift_card_liability_account_id  uuid REFERENCES accounts (id) ON DELETE RESTRICT,
    revenue_account_id              uuid REFERENCES accounts (id) ON DELETE RESTRICT,
    sales_representative            text,
    list_products_as_draft          boolean NOT NULL DEFAULT false,
    update_stock_levels             boolean NOT NULL DEFAULT false,
    use_buffer_inventory            boolean NOT NULL DEFAULT false,
    buffer_inventory                integer NOT NULL DEFAULT 0 CHECK (buffer_inventory >= 0),
    update_manage_stock             boolean NOT NULL DEFAULT false,
    update_is_in_stock              boolean NOT NULL DEFAULT false,
    magento_is_master               boolean NOT NULL DEFAULT false,
    import_stock_operations         boolean NOT NULL DEFAULT false,
    export_shipments                boolean NOT NULL DEFAULT false,
    send_shipment_email             boolean NOT NULL DEFAULT false,
    skip_shipment_without_tracking  boolean NOT NULL DEFAULT false,
    load_coupon_codes               boolean NOT NULL DEFAULT false,
    tax_free_tax_rule_id            uuid REFERENCES tax_rules (id) ON DELETE RESTRICT,
    updated_at                      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tax_rule_mappings (
    store_id      uuid NOT NULL REFERENCES magento_stores (id) ON DELETE CASCADE,
    org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    tax_rate_code text NOT NULL,
    tax_rule_id   uuid NOT NULL REFERENCES tax_rules (id) ON DELETE RESTRICT,
    PRIMARY KEY (store_id, tax_rate_code)
);

CREATE TABLE payment_account_mappings (
    store_id            uuid NOT NULL REFERENCES magento_stores (id) ON DELETE CASCADE,
    org_id              uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    payment_method_code text NOT NULL,
    account_id          uuid NOT NULL REFERENCES accounts (id) ON DELETE RESTRICT,
    PRIMARY KEY (store_id, payment_method_code)
);

-- Postgres is the truth for jobs; Redis only carries their ids.
CREATE TABLE jobs (
    id               uuid PRIMARY KEY,
    org_id           uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    store_id         uuid REFERENCES magento_stores (id) ON DELETE SET NULL,
    kind             text NOT NULL,
    state            text NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'partially_succeeded', 'failed', 'cancelled')),
    phase            text,
    total_count      integer,
    processed_count  integer NOT NULL DEFAULT 0,
    failed_count     integer NOT NULL DEFAULT 0,
    args             jsonb NOT NULL DEFAULT '{}'::jsonb,
    requested_by     uuid REFERENCES api_keys (id) ON DELETE SET NULL,
    idempotency_key  text,
    attempts         integer NOT NULL DEFAULT 0,
    max_attempts     integer NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
    cancel_requested boolean NOT NULL DEFAULT false,
    last_error       text,
    task_id          text NOT NULL,
    run_after        timestamptz NOT NULL DEFAULT now(),
    heartbeat_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz,
    finished_at      timestamptz
);
CREATE UNIQUE INDEX jobs_idempotency ON jobs (org_id, kind, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX jobs_by_org ON jobs (org_id, created_at DESC, id DESC);
CREATE INDEX jobs_for_reaper ON jobs (state, updated_at) WHERE state IN ('queued', 'running');

CREATE TABLE job_items (
    id            bigserial PRIMARY KEY,
    job_id        uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    item_index    integer NOT NULL,
    item_key      text NOT NULL,
    outcome       text NOT NULL CHECK (outcome IN ('succeeded', 'failed', 'skipped')),
    error_code    text,
    error_message text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (job_id, item_index)
);

-- Append-only; subscriptions replay it after a cursor (the id), then go live.
CREATE TABLE events (
    id         bigserial PRIMARY KEY,
    org_id     uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    store_id   uuid,
    job_id     uuid,
    kind       text NOT NULL,
    payload    jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_by_job ON events (job_id, id) WHERE job_id IS NOT NULL;
CREATE INDEX events_by_store ON events (store_id, id) WHERE store_id IS NOT NULL;

-- NOTIFY is sent at commit and never for a rolled-back event, so a listener's wake-up
-- always points at a row it can read. The payload stays far below NOTIFY's 8000 bytes.
CREATE FUNCTION events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('stockbridge_events', json_build_object(
        'id', NEW.id, 'org_id', NEW.org_id, 'store_id', NEW.store_id,
        'job_id', NEW.job_id, 'kind', NEW.kind)::text);
    RETURN NEW;
END;
$$;
CREATE TRIGGER events_notify AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION events_notify();
