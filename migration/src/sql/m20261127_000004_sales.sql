-- Sales, following DEAR's task model: an order (draft → authorised → voided), its
-- fulfilments with pick / pack / ship stages, invoices with payments, credit notes with
-- refunds and restocks, and assemblies. Stock effects are rows in stock_movements that
-- reference the document that caused them.

-- Human-facing numbers (SO-00001, INV-00001, …) per organisation; the row lock of the
-- UPDATE … RETURNING that takes a number serialises concurrent takers.
CREATE TABLE document_sequences (
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kind   text NOT NULL,
    next   bigint NOT NULL DEFAULT 1,
    PRIMARY KEY (org_id, kind)
);

CREATE TABLE sales (
    id                 uuid PRIMARY KEY,
    org_id             uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    number             text NOT NULL,
    customer_id        uuid NOT NULL REFERENCES customers (id),
    location_id        uuid NOT NULL REFERENCES locations (id),
    currency           text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    tax_inclusive      boolean NOT NULL DEFAULT false,
    order_status       text NOT NULL CHECK (order_status IN ('draft', 'authorised', 'voided')),
    -- {name, email, phone} and {company, line1, line2, city, region, postcode, country}
    contact            jsonb NOT NULL DEFAULT '{}'::jsonb,
    billing_address    jsonb NOT NULL DEFAULT '{}'::jsonb,
    shipping_address   jsonb NOT NULL DEFAULT '{}'::jsonb,
    customer_reference text,
    sales_rep          text,
    notes              text,
    -- Where the sale came from (`magento`, `manual`) and its id there.
    source_channel     text NOT NULL DEFAULT 'manual',
    external_id        text,
    external_reference text,
    subtotal           numeric(19, 4) NOT NULL DEFAULT 0,
    tax_total          numeric(19, 4) NOT NULL DEFAULT 0,
    charges_total      numeric(19, 4) NOT NULL DEFAULT 0,
    total              numeric(19, 4) NOT NULL DEFAULT 0,
    authorised_at      timestamptz,
    voided_at          timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, number)
);
CREATE INDEX sales_by_org ON sales (org_id, created_at DESC, id DESC);
CREATE INDEX sales_by_customer ON sales (customer_id);
CREATE INDEX sales_by_external ON sales (org_id, source_channel, external_id) WHERE external_id IS NOT NULL;

CREATE TABLE sale_lines (
    id           uuid PRIMARY KEY,
    sale_id      uuid NOT NULL REFERENCES sales (id) ON DELETE CASCADE,
    position     integer NOT NULL,
    product_id   uuid NOT NULL REFERENCES products (id),
    sku          text NOT NULL,
    name         text NOT NULL,
    quantity     numeric(19, 4) NOT NULL CHECK (quantity > 0),
    price        numeric(19, 4) NOT NULL CHECK (price >= 0),
    -- A percentage, as DEAR's line discount.
    discount     numeric(9, 4) NOT NULL DEFAULT 0 CHECK (discount >= 0 AND discount <= 100),
    tax_rule_id  uuid REFERENCES tax_rules (id),
    tax_amount   numeric(19, 4) NOT NULL DEFAULT 0 CHECK (tax_amount >= 0),
    -- quantity × price × (1 − discount/100), before tax (or tax included when the sale is).
    total        numeric(19, 4) NOT NULL,
    external_id  text,
    UNIQUE (sale_id, position)
);

CREATE TABLE sale_charges (
    id          uuid PRIMARY KEY,
    sale_id     uuid NOT NULL REFERENCES sales (id) ON DELETE CASCADE,
    position    integer NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('shipping', 'discount', 'coupon_discount', 'gift_card', 'surcharge', 'other')),
    description text NOT NULL,
    -- Discounts are negative.
    amount      numeric(19, 4) NOT NULL,
    tax_rule_id uuid REFERENCES tax_rules (id),
    tax_amount  numeric(19, 4) NOT NULL DEFAULT 0,
    UNIQUE (sale_id, position)
);

-- One sale may ship in several fulfilments; each has the three stages.
CREATE TABLE sale_fulfilments (
    id               uuid PRIMARY KEY,
    sale_id          uuid NOT NULL REFERENCES sales (id) ON DELETE CASCADE,
    number           integer NOT NULL,
    pick_status      text NOT NULL CHECK (pick_status IN ('draft', 'authorised', 'voided')),
    pack_status      text NOT NULL CHECK (pack_status IN ('not_started', 'draft', 'authorised', 'voided')),
    ship_status      text NOT NULL CHECK (ship_status IN ('not_started', 'draft', 'authorised', 'voided')),
    carrier_id       uuid,
    carrier_name     text,
    tracking_numbers jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(tracking_numbers) = 'array'),
    picked_at        timestamptz,
    packed_at        timestamptz,
    shipped_at       timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (sale_id, number)
);

CREATE TABLE sale_fulfilment_lines (
    fulfilment_id uuid NOT NULL REFERENCES sale_fulfilments (id) ON DELETE CASCADE,
    sale_line_id  uuid NOT NULL REFERENCES sale_lines (id) ON DELETE CASCADE,
    product_id    uuid NOT NULL REFERENCES products (id),
    location_id   uuid NOT NULL REFERENCES locations (id),
    quantity      numeric(19, 4) NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (fulfilment_id, sale_line_id)
);

CREATE TABLE sale_invoices (
    id           uuid PRIMARY KEY,
    sale_id      uuid NOT NULL REFERENCES sales (id) ON DELETE CASCADE,
    number       text NOT NULL,
    status       text NOT NULL CHECK (status IN ('draft', 'authorised', 'paid', 'voided')),
    invoice_date date NOT NULL,
    due_date     date,
    subtotal     numeric(19, 4) NOT NULL,
    tax_total    numeric(19, 4) NOT NULL,
    total        numeric(19, 4) NOT NULL,
    paid         numeric(19, 4) NOT NULL DEFAULT 0,
    authorised_at timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (sale_id, number)
);

CREATE TABLE sale_invoice_lines (
    invoice_id   uuid NOT NULL REFERENCES sale_invoices (id) ON DELETE CASCADE,
    position     integer NOT NULL,
    sale_line_id uuid REFERENCES sale_lines (id),
    sale_charge_id uuid REFERENCES sale_charges (id),
    description  text NOT NULL,
    quantity     numeric(19, 4) NOT NULL,
    price        numeric(19, 4) NOT NULL,
    discount     numeric(9, 4) NOT NULL DEFAULT 0,
    tax_amount   numeric(19, 4) NOT NULL DEFAULT 0,
    total        numeric(19, 4) NOT NULL,
    PRIMARY KEY (invoice_id, position),
    CHECK ((sale_line_id IS NULL) <> (sale_charge_id IS NULL))
);

CREATE TABLE sale_payments (
    id         uuid PRIMARY KEY,
    invoice_id uuid NOT NULL REFERENCES sale_invoices (id) ON DELETE CASCADE,
    account_id uuid NOT NULL REFERENCES accounts (id),
    amount     numeric(19, 4) NOT NULL CHECK (amount > 0),
    paid_on    date NOT NULL,
    reference  text,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sale_credit_notes (
    id            uuid PRIMARY KEY,
    sale_id       uuid NOT NULL REFERENCES sales (id) ON DELETE CASCADE,
    invoice_id    uuid NOT NULL REFERENCES sale_invoices (id),
    number        text NOT NULL,
    status        text NOT NULL CHECK (status IN ('draft', 'authorised', 'voided')),
    credit_date   date NOT NULL,
    total         numeric(19, 4) NOT NULL,
    external_id   text,
    authorised_at timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (sale_id, number)
);

CREATE TABLE sale_credit_note_lines (
    credit_note_id uuid NOT NULL REFERENCES sale_credit_notes (id) ON DELETE CASCADE,
    position       integer NOT NULL,
    sale_line_id   uuid REFERENCES sale_lines (id),
    description    text NOT NULL,
    quantity       numeric(19, 4) NOT NULL CHECK (quantity >= 0),
    price          numeric(19, 4) NOT NULL,
    tax_amount     numeric(19, 4) NOT NULL DEFAULT 0,
    total          numeric(19, 4) NOT NULL,
    PRIMARY KEY (credit_note_id, position)
);

CREATE TABLE sale_refunds (
    id             uuid PRIMARY KEY,
    credit_note_id uuid NOT NULL REFERENCES sale_credit_notes (id) ON DELETE CASCADE,
    account_id     uuid NOT NULL REFERENCES accounts (id),
    amount         numeric(19, 4) NOT NULL CHECK (amount > 0),
    refunded_on    date NOT NULL,
    reference      text,
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sale_restocks (
    id             uuid PRIMARY KEY,
    credit_note_id uuid NOT NULL REFERENCES sale_credit_notes (id) ON DELETE CASCADE,
    sale_line_id   uuid NOT NULL REFERENCES sale_lines (id),
    product_id     uuid NOT NULL REFERENCES products (id),
    location_id    uuid NOT NULL REFERENCES locations (id),
    quantity       numeric(19, 4) NOT NULL CHECK (quantity > 0),
    created_at     timestamptz NOT NULL DEFAULT now()
);

-- Finished-goods tasks: components consumed at a location, the product produced there.
CREATE TABLE assemblies (
    id           uuid PRIMARY KEY,
    org_id       uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    number       text NOT NULL,
    product_id   uuid NOT NULL REFERENCES products (id),
    location_id  uuid NOT NULL REFERENCES locations (id),
    quantity     numeric(19, 4) NOT NULL CHECK (quantity > 0),
    status       text NOT NULL CHECK (status IN ('draft', 'completed', 'voided')),
    sale_id      uuid REFERENCES sales (id) ON DELETE SET NULL,
    completed_at timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, number)
);

CREATE TABLE assembly_lines (
    assembly_id  uuid NOT NULL REFERENCES assemblies (id) ON DELETE CASCADE,
    component_id uuid NOT NULL REFERENCES products (id),
    quantity     numeric(19, 4) NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (assembly_id, component_id)
);
