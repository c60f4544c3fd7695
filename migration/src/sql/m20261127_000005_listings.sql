-- The store's catalogue: how each ledger product is linked to a Magento product, and
-- what the stock push needs per listing (stock sync, product-level buffer, last push).

CREATE TABLE listings (
    id                     uuid PRIMARY KEY,
    org_id                 uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    store_id               uuid NOT NULL REFERENCES magento_stores (id) ON DELETE CASCADE,
    product_id             uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    status                 text NOT NULL CHECK (status IN ('not_listed', 'listed')),
    -- Magento's product id (a variant's own id for configurable children) and, for a
    -- variant, its configurable parent's id: the spec's external variant / family ids.
    magento_product_id     bigint,
    magento_parent_id      bigint,
    magento_sku            text,
    magento_type           text,
    attribute_set          text,
    stock_sync             boolean NOT NULL DEFAULT true,
    -- Off by default (spec: "Product level inventory buffer is disabled by default").
    product_buffer_enabled boolean NOT NULL DEFAULT false,
    product_buffer         integer NOT NULL DEFAULT 0 CHECK (product_buffer >= 0),
    last_pushed_quantity   numeric(19, 4),
    last_pushed_at         timestamptz,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    UNIQUE (store_id, product_id),
    CHECK (status = 'not_listed' OR magento_product_id IS NOT NULL)
);
CREATE UNIQUE INDEX listings_magento_product ON listings (store_id, magento_product_id)
    WHERE magento_product_id IS NOT NULL;
CREATE INDEX listings_by_product ON listings (product_id);
