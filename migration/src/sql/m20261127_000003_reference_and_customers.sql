-- The reference books completed (location addresses, the gift-card flag on accounts,
-- payment terms, carriers) and customers with their contacts, addresses and ids in
-- other systems. Names of reference books are unique per organisation without regard
-- to case, as a person reading a drop-down would tell them apart.

-- ---- locations: an address, names unique ignoring case -------------------------------
ALTER TABLE locations
    ADD COLUMN address_line1 text,
    ADD COLUMN address_line2 text,
    ADD COLUMN city          text,
    ADD COLUMN region        text,
    ADD COLUMN postcode      text,
    ADD COLUMN country       text CHECK (country ~ '^[A-Z]{2}$'),
    ADD CONSTRAINT locations_name_not_blank CHECK (btrim(name) <> '');
ALTER TABLE locations DROP CONSTRAINT locations_org_id_name_key;
CREATE UNIQUE INDEX locations_name ON locations (org_id, lower(name));

-- ---- price tiers: names unique ignoring case -----------------------------------------
ALTER TABLE price_tiers ADD CONSTRAINT price_tiers_name_not_blank CHECK (btrim(name) <> '');
CREATE UNIQUE INDEX price_tiers_name ON price_tiers (org_id, lower(name));

-- ---- tax rules: a percentage; tax-free means rate 0 -----------------------------------
ALTER TABLE tax_rules
    ADD CONSTRAINT tax_rules_rate_percentage CHECK (rate <= 100),
    ADD CONSTRAINT tax_rules_tax_free_is_zero CHECK (NOT is_tax_free OR rate = 0),
    ADD CONSTRAINT tax_rules_name_not_blank CHECK (btrim(name) <> '');
ALTER TABLE tax_rules DROP CONSTRAINT tax_rules_org_id_name_key;
CREATE UNIQUE INDEX tax_rules_name ON tax_rules (org_id, lower(name));

-- ---- accounts: codes and names unique ignoring case; the gift-card flag ---------------
-- Gift card sales are owed to the buyer until redeemed, so only a liability account can
-- hold them.
ALTER TABLE accounts
    ADD COLUMN is_gift_card_liability boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT accounts_gift_card_is_liability CHECK (NOT is_gift_card_liability OR kind = 'liability'),
    ADD CONSTRAINT accounts_code_not_blank CHECK (btrim(code) <> ''),
    ADD CONSTRAINT accounts_name_not_blank CHECK (btrim(name) <> '');
ALTER TABLE accounts DROP CONSTRAINT accounts_org_id_code_key;
CREATE UNIQUE INDEX accounts_code ON accounts (org_id, lower(code));
CREATE UNIQUE INDEX accounts_name ON accounts (org_id, lower(name));
-- The account every organisation was seeded with.
UPDATE accounts SET is_gift_card_liability = true
 WHERE kind = 'liability' AND code = '2300' AND name = 'Gift Card Liability';

-- ---- payment terms ---------------------------------------------------------------------
-- When an invoice falls due: `days` after the invoice date, on day `days` of the month
-- after the invoice's, or before it is issued (prepaid, no days).
CREATE TABLE payment_terms (
    id         uuid PRIMARY KEY,
    org_id     uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name       text NOT NULL CHECK (btrim(name) <> ''),
    method     text NOT NULL CHECK (method IN ('days_after_invoice', 'day_of_next_month', 'prepaid')),
    days       integer,
    -- Sales without a term of their own (e.g. Magento orders) use the default.
    is_default boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (CASE method
               WHEN 'days_after_invoice' THEN days BETWEEN 0 AND 365
               WHEN 'day_of_next_month' THEN days BETWEEN 1 AND 31
               ELSE days IS NULL
           END)
);
CREATE UNIQUE INDEX payment_terms_name ON payment_terms (org_id, lower(name));
CREATE UNIQUE INDEX payment_terms_one_default ON payment_terms (org_id) WHERE is_default;

-- ---- carriers --------------------------------------------------------------------------
CREATE TABLE carriers (
    id                    uuid PRIMARY KEY,
    org_id                uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name                  text NOT NULL CHECK (btrim(name) <> ''),
    -- An http(s) URL with `{trackingNumber}` where the number goes.
    tracking_url_template text,
    -- Magento's `carrier_code` on shipment tracks (`ups`, `fedex`, `custom`, …).
    magento_carrier_code  text,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX carriers_name ON carriers (org_id, lower(name));
CREATE UNIQUE INDEX carriers_magento_code ON carriers (org_id, lower(magento_carrier_code))
    WHERE magento_carrier_code IS NOT NULL;

-- Existing organisations get what new ones are seeded with: a default term and the
-- carrier the spec uses when an order names none.
INSERT INTO payment_terms (id, org_id, name, method, days, is_default)
SELECT gen_random_uuid(), o.id, '30 days', 'days_after_invoice', 30, true FROM organizations o;
INSERT INTO payment_terms (id, org_id, name, method, days, is_default)
SELECT gen_random_uuid(), o.id, 'Prepaid', 'prepaid', NULL, false FROM organizations o;
INSERT INTO carriers (id, org_id, name) SELECT gen_random_uuid(), o.id, 'Local Pickup' FROM organizations o;

-- ---- customers -------------------------------------------------------------------------
ALTER TABLE customers
    ADD COLUMN status             text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deprecated')),
    ADD COLUMN price_tier         smallint NOT NULL DEFAULT 1 CHECK (price_tier BETWEEN 1 AND 10),
    ADD COLUMN payment_term_id    uuid REFERENCES payment_terms (id) ON DELETE RESTRICT,
    ADD COLUMN tax_rule_id        uuid REFERENCES tax_rules (id) ON DELETE RESTRICT,
    ADD COLUMN revenue_account_id uuid REFERENCES accounts (id) ON DELETE RESTRICT,
    -- The application sets the organisation's base currency; the default serves rows
    -- written without one.
    ADD COLUMN currency           text NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
    ADD COLUMN notes              text,
    ADD COLUMN updated_at         timestamptz NOT NULL DEFAULT now(),
    ADD CONSTRAINT customers_name_not_blank CHECK (btrim(name) <> '');
UPDATE customers c SET currency = o.base_currency, updated_at = c.created_at
  FROM organizations o WHERE o.id = c.org_id AND o.base_currency ~ '^[A-Z]{3}$';
-- Exact and prefix lookups by name (text_pattern_ops serves `LIKE 'abc%'`).
DROP INDEX customers_by_name;
CREATE INDEX customers_by_name ON customers (org_id, lower(name) text_pattern_ops);
CREATE INDEX customers_by_org ON customers (org_id, created_at DESC, id DESC);

-- People to talk to at a customer, in their order; at most one is the default (the one
-- a sale's contact, email and phone come from).
CREATE TABLE customer_contacts (
    customer_id uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    position    smallint NOT NULL CHECK (position >= 0),
    org_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name        text,
    email       text,
    phone       text,
    is_default  boolean NOT NULL DEFAULT false,
    PRIMARY KEY (customer_id, position),
    CHECK (coalesce(btrim(name), '') <> '' OR coalesce(btrim(email), '') <> '' OR coalesce(btrim(phone), '') <> '')
);
CREATE UNIQUE INDEX customer_contacts_one_default ON customer_contacts (customer_id) WHERE is_default;
CREATE INDEX customer_contacts_by_email ON customer_contacts (org_id, lower(email)) WHERE email IS NOT NULL;

-- The email and phone a customer had become its default contact.
INSERT INTO customer_contacts (customer_id, position, org_id, name, email, phone, is_default)
SELECT id, 0, org_id, name, email, phone, true FROM customers
 WHERE coalesce(btrim(email), '') <> '' OR coalesce(btrim(phone), '') <> '';
ALTER TABLE customers DROP COLUMN email, DROP COLUMN phone;

-- At most one address of each kind (Magento's default billing and shipping addresses;
-- DEAR's business address).
CREATE TABLE customer_addresses (
    customer_id uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('billing', 'shipping', 'business')),
    org_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    company     text,
    line1       text NOT NULL CHECK (btrim(line1) <> ''),
    line2       text,
    city        text,
    region      text,
    postcode    text,
    country     text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    PRIMARY KEY (customer_id, kind)
);

-- The customer's id in another system, e.g. source `magento:<store id>` and Magento's
-- customer id: downloads match on it before email or name.
CREATE TABLE customer_external_ids (
    org_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    source      text NOT NULL CHECK (btrim(source) <> ''),
    external_id text NOT NULL CHECK (btrim(external_id) <> ''),
    customer_id uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, source, external_id)
);
CREATE INDEX customer_external_ids_by_customer ON customer_external_ids (customer_id);
