-- The order pipeline's foundations: one binder table for every Magento link, the job a
-- retry redoes as a column, and the event consumers' cursors under one name.

-- "Magento entity `external_id` of kind K in store S is our record R" (the binder).
-- Products, configurable parents (our family), customers, orders (our sale), credit
-- memos (our credit note) and shipments (our fulfilment). The key is the store, the
-- kind and Magento's entity id: webhook and poller can both capture order 42 of a
-- store, and only the first insert wins, in the database.
CREATE TABLE magento_links (
    store_id    uuid NOT NULL REFERENCES magento_stores (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('product', 'configurable', 'customer', 'order', 'credit_memo', 'shipment')),
    external_id bigint NOT NULL CHECK (external_id > 0),
    org_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    record_id   uuid NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, kind, external_id),
    -- What a listing's foreign key points at (the key plus the record it names).
    UNIQUE (store_id, kind, external_id, record_id)
);
-- A product, family or customer is one Magento entity per store; several orders may
-- become one consolidated sale.
CREATE UNIQUE INDEX magento_links_one_per_record ON magento_links (store_id, kind, record_id)
    WHERE kind IN ('product', 'configurable', 'customer');
CREATE INDEX magento_links_by_record ON magento_links (record_id);

INSERT INTO magento_links (store_id, kind, external_id, org_id, record_id, created_at)
SELECT store_id, 'product', magento_product_id, org_id, product_id, created_at
FROM listings WHERE magento_product_id IS NOT NULL;

INSERT INTO magento_links (store_id, kind, external_id, org_id, record_id, created_at)
SELECT DISTINCT ON (l.store_id, l.magento_parent_id)
       l.store_id, 'configurable', l.magento_parent_id, l.org_id, p.family_id, l.created_at
FROM listings l JOIN products p ON p.id = l.product_id
WHERE l.magento_parent_id IS NOT NULL AND p.family_id IS NOT NULL
ORDER BY l.store_id, l.magento_parent_id, l.created_at
ON CONFLICT DO NOTHING;

-- Customers' Magento ids were external ids with the source `magento:<store id>`.
INSERT INTO magento_links (store_id, kind, external_id, org_id, record_id, created_at)
SELECT s.id, 'customer', c.external_id::bigint, c.org_id, c.customer_id, c.created_at
FROM customer_external_ids c JOIN magento_stores s
  ON s.org_id = c.org_id AND c.source = 'magento:' || s.id::text
WHERE c.external_id ~ '^[1-9][0-9]{0,17}$'
ON CONFLICT DO NOTHING;
DELETE FROM customer_external_ids c USING magento_stores s
WHERE s.org_id = c.org_id AND c.source = 'magento:' || s.id::text
  AND c.external_id ~ '^[1-9][0-9]{0,17}$';

-- Sales recorded with the channel `magento:<store id>` and Magento's order id.
INSERT INTO magento_links (store_id, kind, external_id, org_id, record_id, created_at)
SELECT s.id, 'order', sa.external_id::bigint, sa.org_id, sa.id, sa.created_at
FROM sales sa JOIN magento_stores s
  ON s.org_id = sa.org_id AND sa.source_channel = 'magento:' || s.id::text
WHERE sa.external_id ~ '^[1-9][0-9]{0,17}$'
ON CONFLICT DO NOTHING;

-- A listing's Magento product is a binder link: the pair can only name a product the
-- binder links to this very product (checked at commit, so the one writer may write
-- link and listing in either order).
ALTER TABLE listings
    ADD COLUMN link_kind text NOT NULL DEFAULT 'product' CHECK (link_kind = 'product'),
    ADD CONSTRAINT listings_product_link
        FOREIGN KEY (store_id, link_kind, magento_product_id, product_id)
        REFERENCES magento_links (store_id, kind, external_id, record_id)
        DEFERRABLE INITIALLY DEFERRED;

-- The job a `jobRetryFailed` redoes.
ALTER TABLE jobs ADD COLUMN retry_of uuid REFERENCES jobs (id) ON DELETE SET NULL;
UPDATE jobs SET retry_of = (args ->> 'retryOf')::uuid
WHERE args ? 'retryOf' AND EXISTS (SELECT 1 FROM jobs j WHERE j.id::text = jobs.args ->> 'retryOf');
UPDATE jobs SET args = args - 'retryOf' WHERE args ? 'retryOf';

-- One cursor per consumer of the event log (the stock push was the only one).
ALTER TABLE stock_watch_cursors RENAME TO event_cursors;
