-- A family's own images: a configurable product's gallery as the product download reads
-- it. Its variants without an image of their own are shown with these (Magento's
-- storefront shows the configurable's images for a child that has none), so listing
-- takes them as the variant's image.
ALTER TABLE product_families
    ADD COLUMN images jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(images) = 'array');
