-- The stock push: which Magento source a store's stock goes to, the legacy stock item
-- ids learnt once per listing, the durable queue of products whose stock still has to
-- reach a store, and the stock watcher's cursor over the event log.

-- Magento source -> ledger location, per store. The push writes the store's linked
-- location's stock to the source mapped to it (else Magento's `default` source).
CREATE TABLE location_mappings (
    store_id    uuid NOT NULL REFERENCES magento_stores (id) ON DELETE CASCADE,
    source_code text NOT NULL,
    org_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    location_id uuid NOT NULL REFERENCES locations (id) ON DELETE CASCADE,
    PRIMARY KEY (store_id, source_code)
);
CREATE INDEX location_mappings_by_location ON location_mappings (location_id);

-- What the push learnt of a listing's Magento stock item: its id (legacy stores write
-- through `PUT /V1/products/{sku}/stockItems/{itemId}`, so it is read once) and whether
-- Manage Stock was already turned on there (MSI stores, where source items cannot
-- carry it).
CREATE TABLE listing_stock_items (
    listing_id    uuid PRIMARY KEY REFERENCES listings (id) ON DELETE CASCADE,
    stock_item_id bigint NOT NULL,
    manage_stock  boolean NOT NULL DEFAULT false,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Products whose stock changed and has not reached a store yet. The watcher inserts a
-- row in the same transaction that moves its cursor, so a change is never lost between
-- the two; a push that Magento refused stays here with a later due time. `seq` grows on
-- every new change, so a push only clears the row when no change came in meanwhile.
CREATE TABLE stock_push_pending (
    store_id   uuid NOT NULL REFERENCES magento_stores (id) ON DELETE CASCADE,
    product_id uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    org_id     uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    seq        bigint NOT NULL DEFAULT 1,
    attempts   integer NOT NULL DEFAULT 0,
    due_at     timestamptz NOT NULL DEFAULT now(),
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, product_id)
);
CREATE INDEX stock_push_pending_due ON stock_push_pending (due_at);

-- The watcher's position in `events` (every id at or below it is handled) and the
-- lease that lets one process at a time read it.
CREATE TABLE stock_watch_cursors (
    name          text PRIMARY KEY,
    last_event_id bigint NOT NULL,
    owner         uuid,
    lease_until   timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
-- Stock changed before the watcher existed is not replayed.
INSERT INTO stock_watch_cursors (name, last_event_id)
SELECT 'stock_push', coalesce(max(id), 0) FROM events;
