-- Orders in: the secrets notifications are signed with, the notifications received,
-- the log (one entry per Magento order, through the binder's unique link), the pending
-- orders captured from it, what Magento itself still reserves for them, and the
-- pollers' high-water marks.

-- A store's webhook secrets, sealed like its credentials. Rotating adds a row and gives
-- the ones before it an end, so a merchant can switch Magento over without losing a
-- notification signed with the old one.
CREATE TABLE magento_webhook_secrets (
    id            uuid PRIMARY KEY,
    store_id      uuid NOT NULL REFERENCES magento_stores (id) ON DELETE CASCADE,
    secret_key_id text NOT NULL,
    secret_enc    bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    valid_until   timestamptz
);
CREATE INDEX magento_webhook_secrets_by_store ON magento_webhook_secrets (store_id, created_at);

-- Verified notifications, once per store and event id: a replay finds its row.
CREATE TABLE inbound_notifications (
    id          uuid PRIMARY KEY,
    org_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    store_id    uuid NOT NULL REFERENCES magento_stores (id) ON DELETE CASCADE,
    event_id    text NOT NULL CHECK (length(event_id) BETWEEN 1 AND 200),
    event       text NOT NULL,
    entity_type text NOT NULL,
    entity_id   bigint NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    job_id      uuid REFERENCES jobs (id) ON DELETE SET NULL,
    UNIQUE (store_id, event_id)
);
CREATE INDEX inbound_notifications_received ON inbound_notifications (received_at);

-- The log: one entry per captured Magento order (the binder's `order` link names it),
-- with the sale it became once processed. Deleting an entry (and its link) lets the
-- order be captured again; its sale stays.
CREATE TABLE sales_log (
    id                 uuid PRIMARY KEY,
    org_id             uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    store_id           uuid NOT NULL REFERENCES magento_stores (id) ON DELETE CASCADE,
    magento_order_id   bigint NOT NULL CHECK (magento_order_id > 0),
    increment_id       text NOT NULL,
    status             text NOT NULL CHECK (status IN ('pending', 'processed', 'pending_fulfilment', 'cancelled', 'voided')),
    sale_id            uuid REFERENCES sales (id) ON DELETE SET NULL,
    -- An edited order (`…-1`): the entry of the order it replaced, when captured.
    original_id        uuid REFERENCES sales_log (id) ON DELETE SET NULL,
    relation_parent_id bigint,
    grand_total        numeric(19, 4) NOT NULL DEFAULT 0,
    currency           text NOT NULL DEFAULT '',
    magento_created_at timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(), -- when it was captured
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sales_log_by_store ON sales_log (store_id, created_at DESC, id DESC);
CREATE INDEX sales_log_by_increment ON sales_log (store_id, increment_id);
CREATE INDEX sales_log_by_sale ON sales_log (sale_id) WHERE sale_id IS NOT NULL;

-- A captured order waiting to become a sale. `processing_state`: `ready` (can be
-- processed), `held` (kept with `reason`: what must change first), `processed`.
CREATE TABLE pending_orders (
    id                 uuid PRIMARY KEY REFERENCES sales_log (id) ON DELETE CASCADE,
    org_id             uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    store_id           uuid NOT NULL REFERENCES magento_stores (id) ON DELETE CASCADE,
    magento_order_id   bigint NOT NULL,
    increment_id       text NOT NULL,
    magento_store_id   bigint,
    store_view_code    text,
    state              text NOT NULL,
    status             text NOT NULL,
    magento_updated_at timestamptz,
    grand_total        numeric(19, 4) NOT NULL DEFAULT 0,
    currency           text NOT NULL DEFAULT '',
    location_id        uuid NOT NULL REFERENCES locations (id),
    payload            jsonb NOT NULL,
    processing_state   text NOT NULL CHECK (processing_state IN ('ready', 'held', 'processed')),
    reason_code        text,
    reason             text,
    created_at         timestamptz NOT NULL DEFAULT now(), -- when it was captured
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pending_orders_by_store ON pending_orders (store_id, created_at DESC, id DESC);

-- What Magento (MSI) still reserves of a captured order, per ledger product: ordered,
-- not shipped, not cancelled or refunded. The quantity pushed to the order's store adds
-- it back, since the ledger's allocation already counts it.
CREATE TABLE magento_reservations (
    log_id     uuid NOT NULL REFERENCES sales_log (id) ON DELETE CASCADE,
    product_id uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    store_id   uuid NOT NULL REFERENCES magento_stores (id) ON DELETE CASCADE,
    org_id     uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    quantity   numeric(19, 4) NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (log_id, product_id)
);
CREATE INDEX magento_reservations_by_store ON magento_reservations (store_id, product_id);

-- High-water marks of incremental reads (`orders`, …) per store, and the lease that
-- lets one process poll a store at a time.
CREATE TABLE sync_cursors (
    store_id    uuid NOT NULL REFERENCES magento_stores (id) ON DELETE CASCADE,
    stream      text NOT NULL,
    high_water  timestamptz,
    owner       uuid,
    lease_until timestamptz,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, stream)
);

-- Sales linked to a Magento order before the log existed become log entries; their
-- links name the entry from now on.
INSERT INTO sales_log (id, org_id, store_id, magento_order_id, increment_id, status, sale_id,
                       grand_total, currency, created_at, updated_at)
SELECT gen_random_uuid(), l.org_id, l.store_id, l.external_id, coalesce(s.external_reference, l.external_id::text),
       CASE WHEN s.order_status = 'voided' THEN 'voided' ELSE 'processed' END,
       s.id, s.total, s.currency, l.created_at, now()
FROM magento_links l JOIN sales s ON s.id = l.record_id
WHERE l.kind = 'order';
UPDATE magento_links l SET record_id = g.id
FROM sales_log g
WHERE l.kind = 'order' AND g.store_id = l.store_id AND g.magento_order_id = l.external_id;

-- A live reader of a store's events (`logEvents`) must never step past an event whose
-- transaction may still commit. Each event carries its transaction's id; a reader
-- delivers, in (transaction, id) order, only events of transactions older than every
-- one still running (`pg_snapshot_xmin`), so whatever commits later sorts after its
-- cursor.
ALTER TABLE events ADD COLUMN tx xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX events_by_store_tx ON events (store_id, tx, id) WHERE store_id IS NOT NULL;
