-- The ledger's catalogue and its stock: products (with families and bills of
-- materials) and an append-only movement ledger beside the levels it maintains.

CREATE TABLE product_families (
    id            uuid PRIMARY KEY,
    org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    sku           text NOT NULL CHECK (btrim(sku) <> ''),
    name          text NOT NULL,
    description   text,
    category      text,
    brand         text,
    -- DEAR allows up to three options (e.g. Size, Colour, Material).
    option1_name  text,
    option2_name  text,
    option3_name  text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (option1_name IS NOT NULL OR (option2_name IS NULL AND option3_name IS NULL)),
    CHECK (option2_name IS NOT NULL OR option3_name IS NULL)
);
-- SKUs are compared case-insensitively, as Magento does, so two products can never
-- end up claiming the same Magento product.
CREATE UNIQUE INDEX product_families_sku ON product_families (org_id, lower(sku));

CREATE TABLE products (
    id                  uuid PRIMARY KEY,
    org_id              uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    sku                 text NOT NULL CHECK (btrim(sku) <> ''),
    name                text NOT NULL CHECK (btrim(name) <> ''),
    description         text,
    kind                text NOT NULL CHECK (kind IN ('stock', 'service', 'gift_card')),
    status              text NOT NULL CHECK (status IN ('active', 'draft', 'deprecated')),
    category            text,
    brand               text,
    -- JSON arrays of strings (jsonb: containment queries use the GIN index).
    tags                jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(tags) = 'array'),
    attribute_set       text,
    family_id           uuid REFERENCES product_families (id),
    option1_value       text,
    option2_value       text,
    option3_value       text,
    length              numeric(19, 4) CHECK (length >= 0),
    width               numeric(19, 4) CHECK (width >= 0),
    height              numeric(19, 4) CHECK (height >= 0),
    weight              numeric(19, 4) CHECK (weight >= 0),
    -- Image URLs, the first one the main image.
    images              jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(images) = 'array'),
    default_location_id uuid REFERENCES locations (id) ON DELETE SET NULL,
    sale_tax_rule_id    uuid REFERENCES tax_rules (id) ON DELETE SET NULL,
    auto_assembly       boolean NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK (family_id IS NOT NULL OR (option1_value IS NULL AND option2_value IS NULL AND option3_value IS NULL))
);
CREATE UNIQUE INDEX products_sku ON products (org_id, lower(sku));
CREATE INDEX products_family ON products (family_id) WHERE family_id IS NOT NULL;
CREATE INDEX products_category ON products (org_id, category);
CREATE INDEX products_brand ON products (org_id, brand);
CREATE INDEX products_tags ON products USING gin (tags jsonb_path_ops);
-- Two variants of one family cannot have the same option values.
CREATE UNIQUE INDEX products_family_options ON products (
    family_id, coalesce(option1_value, ''), coalesce(option2_value, ''), coalesce(option3_value, '')
) WHERE family_id IS NOT NULL;

CREATE TABLE product_prices (
    product_id uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    tier       smallint NOT NULL CHECK (tier BETWEEN 1 AND 10),
    price      numeric(19, 4) NOT NULL CHECK (price >= 0),
    PRIMARY KEY (product_id, tier)
);

CREATE TABLE bill_of_materials (
    product_id   uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    component_id uuid NOT NULL REFERENCES products (id),
    quantity     numeric(19, 4) NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (product_id, component_id),
    CHECK (product_id <> component_id)
);

-- The truth of stock: every change is a row here. `stock_levels` is maintained in the
-- same transaction, so for every (product, location) the sums of the deltas equal the
-- level's on_hand and allocated.
CREATE TABLE stock_movements (
    id              bigserial PRIMARY KEY,
    org_id          uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    product_id      uuid NOT NULL REFERENCES products (id),
    location_id     uuid NOT NULL REFERENCES locations (id),
    on_hand_delta   numeric(19, 4) NOT NULL DEFAULT 0,
    allocated_delta numeric(19, 4) NOT NULL DEFAULT 0,
    kind            text NOT NULL CHECK (kind IN (
                        'adjustment', 'transfer_out', 'transfer_in', 'allocation', 'deallocation',
                        'pick', 'pick_reversal', 'restock', 'assembly_consume', 'assembly_produce')),
    reason          text,
    -- What caused it: a sale, a credit note, an assembly, a transfer.
    reference_type  text,
    reference_id    uuid,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (on_hand_delta <> 0 OR allocated_delta <> 0)
);
CREATE INDEX stock_movements_by_level ON stock_movements (product_id, location_id);
CREATE INDEX stock_movements_by_reference ON stock_movements (reference_type, reference_id)
    WHERE reference_id IS NOT NULL;

CREATE TABLE stock_levels (
    product_id  uuid NOT NULL REFERENCES products (id),
    location_id uuid NOT NULL REFERENCES locations (id),
    org_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    on_hand     numeric(19, 4) NOT NULL DEFAULT 0,
    -- Never negative: releasing more than was allocated is a bug, not a backorder.
    allocated   numeric(19, 4) NOT NULL DEFAULT 0 CHECK (allocated >= 0),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (product_id, location_id)
);
CREATE INDEX stock_levels_by_location ON stock_levels (org_id, location_id);
