//! Large shop data generated deterministically from a seed: a catalogue with configurables
//! and their children, simples, virtuals and bundles, their stock on both sources,
//! customers, and orders placed through the order operation.
//!
//! The same seed gives byte-identical data: every random draw comes from one inline
//! SplitMix64 stream (stable across dependency upgrades, unlike `StdRng`), collections are
//! only ever appended to in generation order, and timestamps count back from an epoch
//! derived from the seed instead of the wall clock.

use std::collections::HashMap;

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use serde_json::{Map, Value, json};

use crate::orders::{self, AddressInput, Guest, OrderLine, PlaceOrder};
use crate::sales::SalesRows;
use crate::seed::{magento_time, stock_item};
use crate::shop::Shop;

/// What to add to the seeded shop (whose 10 products, 3 orders and 2 customers stay).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenerateSpec {
    /// Catalogue rows to add, configurable children included.
    pub products: usize,
    /// Orders to place.
    pub orders: usize,
    pub seed: u64,
}

/// What a generation added, for logs and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Generated {
    pub products: usize,
    pub configurables: usize,
    pub children: usize,
    pub customers: usize,
    pub orders: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// The order operation refused an order the generator built; a generator bug.
    #[error("generated order {index} was refused: {reason}")]
    OrderRefused { index: usize, reason: String },
    /// The catalogue has no stock left for another order (many orders, few products).
    #[error("no stock left for generated order {index}; generate more products")]
    OutOfStock { index: usize },
}

// ---- randomness ------------------------------------------------------------------------

/// SplitMix64: tiny, fast, good enough for test data, and fixed forever.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` > 0; the modulo bias is irrelevant for test data).
    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// Uniform in `lo..=hi`.
    fn between(&mut self, lo: i64, hi: i64) -> i64 {
        let span = u64::try_from(hi - lo).unwrap_or(0) + 1;
        lo + i64::try_from(self.below(span)).unwrap_or(0)
    }

    /// True with probability `percent`/100.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One of `items`, which must not be empty (callers pass constant lists or check).
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let index = usize::try_from(self.below(items.len() as u64)).unwrap_or(0);
        &items[index.min(items.len().saturating_sub(1))]
    }

    /// A money amount with Magento's usual endings (`.00`, `.50`, `.99`).
    fn price(&mut self, lo: i64, hi: i64) -> f64 {
        let cents = *self.pick(&[0.0, 0.5, 0.99]);
        self.between(lo, hi) as f64 + cents
    }
}

/// The fixed point generated timestamps count back from: a day in 2025 chosen by the
/// seed, so two seeds also differ in their dates, and reruns never depend on `now`.
pub(crate) fn epoch(seed: u64) -> DateTime<Utc> {
    let base = Utc
        .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    base + Duration::days(i64::try_from(seed % 365).unwrap_or(0))
        + Duration::seconds(i64::try_from(seed % 86_400).unwrap_or(0))
}

// ---- vocabulary ------------------------------------------------------------------------

const ADJECTIVES: [&str; 24] = [
    "Aero", "Atlas", "Breeze", "Cascade", "Drift", "Ember", "Fjord", "Glacier", "Harbor", "Ion",
    "Juniper", "Kestrel", "Lumen", "Meridian", "Nova", "Orbit", "Pulse", "Quarry", "Ridge",
    "Summit", "Tundra", "Vertex", "Willow", "Zephyr",
];
const MATERIALS: [&str; 8] = [
    "Cotton", "Merino", "Fleece", "Linen", "Canvas", "Bamboo", "Nylon", "Recycled",
];
const TOP_NOUNS: [&str; 8] = [
    "Tee",
    "Tank",
    "Hoodie",
    "Jacket",
    "Pullover",
    "Polo",
    "Shirt",
    "Sweatshirt",
];
const GEAR_NOUNS: [&str; 10] = [
    "Duffle",
    "Backpack",
    "Water Bottle",
    "Yoga Mat",
    "Tote",
    "Mug",
    "Notebook",
    "Headband",
    "Sling Bag",
    "Lunch Box",
];
const SERVICES: [&str; 4] = [
    "Gift Wrap",
    "Personal Engraving",
    "Extended Warranty",
    "Fitting Session",
];
/// Luma's size options (`size`, attribute 144): option id and label.
pub(crate) const SIZES: [(i64, &str); 5] =
    [(166, "XS"), (167, "S"), (168, "M"), (169, "L"), (170, "XL")];
/// Colour options (`color`, attribute 93), ids as the seed uses them (58 Sand, 61 Slate).
pub(crate) const COLORS: [(i64, &str); 12] = [
    (49, "Black"),
    (50, "Blue"),
    (51, "Brown"),
    (52, "Gray"),
    (53, "Green"),
    (56, "Orange"),
    (57, "Purple"),
    (58, "Sand"),
    (59, "White"),
    (60, "Yellow"),
    (61, "Slate"),
    (62, "Red"),
];
const SIZE_ATTRIBUTE: &str = "144";
const COLOR_ATTRIBUTE: &str = "93";
/// The seed's categories: 3 Men, 4 Tops (under Men), 5 Gear.
const TOP_CATEGORIES: [i64; 2] = [3, 4];
const GEAR_CATEGORIES: [i64; 1] = [5];
/// The seed's product attribute sets.
const SET_DEFAULT: i64 = 4;
const SET_TOP: i64 = 9;
const SET_BAG: i64 = 15;
const SET_GEAR: i64 = 16;

const FIRST_NAMES: [&str; 16] = [
    "Ada", "Bruno", "Chloé", "Dmitri", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Keiko",
    "Lars", "Maya", "Nils", "Olga", "Paul",
];
const LAST_NAMES: [&str; 16] = [
    "Abbott", "Baker", "Castillo", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ivanova",
    "Jensen", "Kowalski", "Laurent", "Moreau", "Novak", "Okafor", "Petit",
];
/// US regions: code, name, Magento region id, a city and its postcode. The regions the
/// order operation knows (CA and NY have the seeded tax rates).
const US_REGIONS: [(&str, &str, i64, &str, &str); 6] = [
    ("CA", "California", 12, "San Diego", "92101"),
    ("NY", "New York", 43, "Brooklyn", "11201"),
    ("TX", "Texas", 57, "Austin", "78701"),
    ("OR", "Oregon", 49, "Portland", "97205"),
    ("WA", "Washington", 62, "Seattle", "98101"),
    ("MI", "Michigan", 33, "Calder", "49628"),
];
/// French cities: city, postcode, département (a free-text region, id 0 in Magento).
const FR_CITIES: [(&str, &str, &str); 4] = [
    ("Lyon", "69002", "Rhône"),
    ("Paris", "75011", "Paris"),
    ("Bordeaux", "33000", "Gironde"),
    ("Lille", "59000", "Nord"),
];
const US_STREETS: [&str; 6] = [
    "Alder Row",
    "Pier Lane",
    "Honey Bluff Parkway",
    "Maple Court",
    "Harbor Way",
    "Quarry Road",
];
const FR_STREETS: [&str; 4] = [
    "rue des Tanneurs",
    "avenue Jean Jaurès",
    "quai des Chartrons",
    "rue de la Paix",
];

// ---- the catalogue ---------------------------------------------------------------------

/// Share of top-level draws that become configurables. With 3–12 children (7.5 on
/// average) this makes configurable parents about 10 % of all generated rows:
/// p / (p · 8.5 + (1 − p)) = 0.1 ⇔ p = 0.4.
const CONFIGURABLE_DRAW_PERCENT: u64 = 40;

/// Counters for the ids the generated rows take, continuing after the seeded ones.
struct Ids {
    product: i64,
    option: i64,
    media: i64,
    bundle_option: i64,
    bundle_link: i64,
}

/// A product row's own values; the shared shape is added by [`product_row`].
struct ProductDraft {
    id: i64,
    sku: String,
    name: String,
    type_id: &'static str,
    attribute_set_id: i64,
    price: f64,
    visibility: i64,
    status: i64,
    weight: Option<f64>,
    categories: &'static [i64],
    tax_class: &'static str,
    created: DateTime<Utc>,
    extra: Vec<Value>,
}

/// A size option `(id, label)` and, on larger families, a colour option.
type Variant = ((i64, &'static str), Option<(i64, &'static str)>);

/// What a configurable's children share with it.
struct Family {
    id: i64,
    sku: String,
    name: String,
    price: f64,
    status: i64,
    created: DateTime<Utc>,
}

/// Where a product's stock lives: `(default qty, ne_wh qty)`.
type Quantities = (i64, i64);

/// An object from owned values. `json!` would serialise (deep-copy) every interpolated
/// value; at 100k rows building in place halves the allocations.
fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
    Value::Object(
        fields
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect::<Map<String, Value>>(),
    )
}

fn text_attribute(code: &str, value: impl Into<Value>) -> Value {
    object([("attribute_code", code.into()), ("value", value.into())])
}

fn url_key(name: &str, id: i64) -> String {
    let slug: String = name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    // Magento refuses a second product with the same URL key; names repeat here.
    format!("{slug}-{id}")
}

fn custom_attributes(draft: &mut ProductDraft) -> Value {
    let category_ids: Vec<Value> = draft
        .categories
        .iter()
        .map(|id| Value::String(id.to_string()))
        .collect();
    let mut attributes = vec![
        text_attribute("url_key", url_key(&draft.name, draft.id)),
        text_attribute("tax_class_id", draft.tax_class),
        text_attribute("category_ids", category_ids),
        text_attribute("options_container", "container2"),
        text_attribute("required_options", "0"),
        text_attribute(
            "has_options",
            if draft.type_id == "simple" { "0" } else { "1" },
        ),
    ];
    attributes.append(&mut draft.extra);
    Value::Array(attributes)
}

/// The row as the seed shapes products. A stock-carrying row's stock item lives in
/// `inventory.stock_items` alone (the product view and the stock item route read it
/// there); a second copy in every row would cost ~2 KiB each as `Value` maps. Composites
/// keep the zero, in-stock item Magento gives them.
fn product_row(mut draft: ProductDraft, carries_stock: bool) -> Value {
    let attributes = custom_attributes(&mut draft);
    let category_links: Vec<Value> = draft
        .categories
        .iter()
        .enumerate()
        .map(|(i, id)| {
            object([
                ("position", i.into()),
                ("category_id", id.to_string().into()),
            ])
        })
        .collect();
    let mut extension = object([
        ("website_ids", Value::Array(vec![1.into()])),
        ("category_links", Value::Array(category_links)),
    ]);
    if !carries_stock {
        extension["stock_item"] = stock_item(draft.id, 0, true);
    }
    let updated = draft.created + Duration::hours(draft.id % 72);
    let mut row = object([
        ("id", draft.id.into()),
        ("sku", draft.sku.into()),
        ("name", draft.name.into()),
        ("attribute_set_id", draft.attribute_set_id.into()),
        ("price", draft.price.into()),
        ("status", draft.status.into()),
        ("visibility", draft.visibility.into()),
        ("type_id", draft.type_id.into()),
        ("created_at", magento_time(draft.created).into()),
        ("updated_at", magento_time(updated).into()),
        ("extension_attributes", extension),
        ("product_links", Value::Array(Vec::new())),
        ("options", Value::Array(Vec::new())),
        ("media_gallery_entries", Value::Array(Vec::new())),
        ("tier_prices", Value::Array(Vec::new())),
        ("custom_attributes", attributes),
    ]);
    if let Some(weight) = draft.weight {
        row["weight"] = weight.into();
    }
    row
}

fn media_entry(id: i64, label: &str, file: &str) -> Value {
    json!({"id": id, "media_type": "image", "label": label, "position": 1, "disabled": false,
           "types": ["image", "small_image", "thumbnail"], "file": file})
}

/// `(default, ne_wh)` quantities: most items on the default source, some also in the
/// warehouse, a few sold out.
fn quantities(rng: &mut Rng) -> Quantities {
    let default = if rng.chance(8) {
        0
    } else {
        rng.between(1, 200)
    };
    let ne = if rng.chance(55) {
        0
    } else {
        rng.between(1, 80)
    };
    (default, ne)
}

/// The catalogue being generated, and what later steps (bundles, orders) pick from.
struct Catalogue<'a> {
    rng: &'a mut Rng,
    epoch: DateTime<Utc>,
    ids: Ids,
    rows: Vec<Value>,
    /// Every stock-carrying row, in row order.
    stock: Vec<StockRow>,
    /// SKUs of the enabled standalone simples, for bundle links.
    simples: Vec<String>,
    /// Products assigned to each seeded category 3, 4, 5.
    category_counts: [i64; 3],
    summary: Generated,
}

impl Catalogue<'_> {
    fn created(&mut self) -> DateTime<Utc> {
        // Spread over the two years before the epoch.
        self.epoch - Duration::minutes(self.rng.between(60, 2 * 365 * 24 * 60))
    }

    fn next_id(&mut self) -> i64 {
        let id = self.ids.product;
        self.ids.product += 1;
        id
    }

    fn count_categories(&mut self, categories: &[i64]) {
        for id in categories {
            if let Some(slot) = usize::try_from(id - 3)
                .ok()
                .and_then(|i| self.category_counts.get_mut(i))
            {
                *slot += 1;
            }
        }
    }

    fn push(&mut self, draft: ProductDraft, stock: Option<Quantities>) {
        self.count_categories(draft.categories);
        if let Some((default, ne)) = stock {
            self.stock.push(StockRow {
                id: draft.id,
                sku: draft.sku.clone(),
                default,
                ne,
            });
        }
        self.rows.push(product_row(draft, stock.is_some()));
        self.summary.products += 1;
    }

    fn status(&mut self) -> i64 {
        if self.rng.chance(3) { 2 } else { 1 }
    }

    /// A configurable parent and `children` simple variants over size (and colour when
    /// there are more than five).
    fn configurable(&mut self, children: usize) {
        let id = self.next_id();
        let family = Family {
            id,
            sku: format!("MT{id:06}"),
            name: format!(
                "{} {} {}",
                self.rng.pick(&ADJECTIVES),
                self.rng.pick(&MATERIALS),
                self.rng.pick(&TOP_NOUNS)
            ),
            price: self.rng.price(19, 120),
            status: self.status(),
            created: self.created(),
        };
        let axes = variant_axes(self.rng, children);
        let variants: Vec<(ProductDraft, Quantities)> = axes
            .iter()
            .map(|&(size, color)| self.variant(&family, size, color))
            .collect();
        let links: Vec<Value> = variants.iter().map(|(draft, _)| draft.id.into()).collect();
        let options = self.configurable_options(id, &axes);
        let parent = self.configurable_parent(&family, options, links);
        self.count_categories(&TOP_CATEGORIES);
        self.rows.push(parent);
        self.summary.products += 1;
        self.summary.configurables += 1;
        self.summary.children += variants.len();
        for (draft, stock) in variants {
            self.push(draft, Some(stock));
        }
    }

    /// One child of a configurable: not visible alone, named and SKU'd after its options.
    fn variant(
        &mut self,
        family: &Family,
        size: (i64, &str),
        color: Option<(i64, &str)>,
    ) -> (ProductDraft, Quantities) {
        let mut sku = format!("{}-{}", family.sku, size.1);
        let mut name = format!("{}-{}", family.name, size.1);
        let mut extra = vec![text_attribute("size", size.0.to_string())];
        if let Some((option, label)) = color {
            sku.push('-');
            sku.push_str(label);
            name.push('-');
            name.push_str(label);
            extra.push(text_attribute("color", option.to_string()));
        }
        let draft = ProductDraft {
            id: self.next_id(),
            sku,
            name,
            type_id: "simple",
            attribute_set_id: SET_TOP,
            price: family.price,
            visibility: 1,
            status: family.status,
            weight: Some(self.rng.between(2, 12) as f64 / 10.0),
            categories: &TOP_CATEGORIES,
            tax_class: "2",
            created: family.created,
            extra,
        };
        (draft, quantities(self.rng))
    }

    /// The configurable row itself: price 0 (the children carry it), its options, links
    /// and an image.
    fn configurable_parent(&mut self, family: &Family, options: Value, links: Vec<Value>) -> Value {
        let mut extra = vec![text_attribute(
            "description",
            format!("<p>The {}, in {} variants.</p>", family.name, links.len()),
        )];
        if self.rng.chance(10) {
            extra.push(text_attribute(
                "special_price",
                format!("{:.6}", family.price * 0.8),
            ));
        }
        let mut parent = product_row(
            ProductDraft {
                id: family.id,
                sku: family.sku.clone(),
                name: family.name.clone(),
                type_id: "configurable",
                attribute_set_id: SET_TOP,
                price: 0.0,
                visibility: 4,
                status: family.status,
                weight: None,
                categories: &TOP_CATEGORIES,
                tax_class: "2",
                created: family.created,
                extra,
            },
            false,
        );
        let extension = &mut parent["extension_attributes"];
        extension["configurable_product_options"] = options;
        extension["configurable_product_links"] = Value::Array(links);
        let image = media_entry(
            self.ids.media,
            &family.name,
            &format!("/m/t/mt{:06}-main.jpg", family.id),
        );
        self.ids.media += 1;
        parent["media_gallery_entries"] = Value::Array(vec![image]);
        parent
    }

    /// `configurable_product_options`: size always, colour when the variants use it; the
    /// values are the option ids the children actually carry.
    fn configurable_options(&mut self, parent_id: i64, axes: &[Variant]) -> Value {
        let mut sizes: Vec<i64> = axes.iter().map(|(s, _)| s.0).collect();
        sizes.sort_unstable();
        sizes.dedup();
        let mut colors: Vec<i64> = axes.iter().filter_map(|(_, c)| c.map(|c| c.0)).collect();
        colors.sort_unstable();
        colors.dedup();
        let mut options = Vec::with_capacity(2);
        for (attribute_id, label, values) in [
            (SIZE_ATTRIBUTE, "Size", sizes),
            (COLOR_ATTRIBUTE, "Color", colors),
        ] {
            if values.is_empty() {
                continue;
            }
            let values = values
                .into_iter()
                .map(|v| object([("value_index", v.into())]))
                .collect();
            options.push(object([
                ("id", self.ids.option.into()),
                ("attribute_id", attribute_id.into()),
                ("label", label.into()),
                ("position", options.len().into()),
                ("values", Value::Array(values)),
                ("product_id", parent_id.into()),
            ]));
            self.ids.option += 1;
        }
        Value::Array(options)
    }

    fn simple(&mut self) {
        let id = self.next_id();
        let name = format!(
            "{} {} {}",
            self.rng.pick(&ADJECTIVES),
            self.rng.pick(&MATERIALS),
            self.rng.pick(&GEAR_NOUNS)
        );
        let sku = format!("24-G{id:06}");
        let price = self.rng.price(4, 150);
        let status = self.status();
        let (attribute_set_id, tax_class) = match self.rng.below(10) {
            0..=4 => (SET_BAG, "2"),
            5..=7 => (SET_GEAR, "2"),
            8 => (SET_DEFAULT, "2"),
            _ => (SET_GEAR, "4"),
        };
        let mut extra = Vec::new();
        if self.rng.chance(30) {
            extra.push(text_attribute(
                "description",
                format!("<p>{name}: sturdy, light, made to last.</p>"),
            ));
        }
        if self.rng.chance(10) {
            extra.push(text_attribute(
                "special_price",
                format!("{:.6}", price * 0.85),
            ));
        }
        let weight = self.rng.between(1, 50) as f64 / 10.0;
        let created = self.created();
        let stock = quantities(self.rng);
        let visibility = *self.rng.pick(&[4, 4, 4, 2, 3]);
        if status == 1 {
            self.simples.push(sku.clone());
        }
        self.push(
            ProductDraft {
                id,
                sku,
                name,
                type_id: "simple",
                attribute_set_id,
                price,
                visibility,
                status,
                weight: Some(weight),
                categories: &GEAR_CATEGORIES,
                tax_class,
                created,
                extra,
            },
            Some(stock),
        );
    }

    fn virtual_product(&mut self) {
        let id = self.next_id();
        let name = format!(
            "{} {}",
            self.rng.pick(&SERVICES),
            self.rng.pick(&ADJECTIVES)
        );
        let price = self.rng.price(2, 40);
        let created = self.created();
        let stock = (self.rng.between(100, 1_000), 0);
        self.push(
            ProductDraft {
                id,
                sku: format!("SV-{id:06}"),
                name,
                type_id: "virtual",
                attribute_set_id: SET_DEFAULT,
                price,
                visibility: 4,
                status: 1,
                weight: None,
                categories: &GEAR_CATEGORIES,
                // Services carry no product tax class, as the seeded virtual.
                tax_class: "0",
                created,
                extra: Vec::new(),
            },
            Some(stock),
        );
    }

    /// A dynamic-price bundle of two options over simples generated before it.
    fn bundle(&mut self) {
        let id = self.next_id();
        let sku = format!("BK-{id:06}");
        let name = format!("{} Kit", self.rng.pick(&ADJECTIVES));
        let created = self.created();
        let mut options = Vec::new();
        for (position, (title, kind, required)) in
            [("Bag", "radio", true), ("Extra", "checkbox", false)]
                .into_iter()
                .enumerate()
        {
            let option_id = self.ids.bundle_option;
            self.ids.bundle_option += 1;
            let mut links = Vec::new();
            for link_position in 1..=2 {
                let linked = self.bundle_link_sku();
                links.push(json!({
                    "id": self.ids.bundle_link.to_string(), "sku": linked, "option_id": option_id,
                    "qty": 1, "position": link_position, "is_default": link_position == 1,
                    "price": 0, "price_type": 0, "can_change_quantity": 0,
                }));
                self.ids.bundle_link += 1;
            }
            options.push(json!({
                "option_id": option_id, "title": title, "required": required, "type": kind,
                "position": position + 1, "sku": sku, "product_links": links,
            }));
        }
        let mut row = product_row(
            ProductDraft {
                id,
                sku,
                name,
                type_id: "bundle",
                attribute_set_id: SET_GEAR,
                price: 0.0,
                visibility: 4,
                status: 1,
                weight: None,
                categories: &GEAR_CATEGORIES,
                tax_class: "2",
                created,
                extra: vec![
                    text_attribute("price_type", "0"),
                    text_attribute("sku_type", "0"),
                    text_attribute("weight_type", "0"),
                    text_attribute("shipment_type", "0"),
                ],
            },
            false,
        );
        row["extension_attributes"]["bundle_product_options"] = Value::Array(options);
        self.count_categories(&GEAR_CATEGORIES);
        self.rows.push(row);
        self.summary.products += 1;
    }

    /// A simple generated before (the seeded duffle when there is none yet).
    fn bundle_link_sku(&mut self) -> String {
        if self.simples.is_empty() {
            return "24-MB01".to_owned();
        }
        self.rng.pick(&self.simples).clone()
    }
}

/// The `(size, colour)` of each of `count` variants: one size per variant up to five,
/// else a size × colour grid filled row by row.
fn variant_axes(rng: &mut Rng, count: usize) -> Vec<Variant> {
    if count <= SIZES.len() && rng.chance(50) {
        return SIZES.iter().take(count).map(|s| (*s, None)).collect();
    }
    let sizes = if count <= 6 {
        2
    } else {
        3 + usize::from(count > 9)
    };
    let first = usize::try_from(rng.below(SIZES.len() as u64 - sizes as u64 + 1)).unwrap_or(0);
    let color_start = usize::try_from(rng.below(COLORS.len() as u64)).unwrap_or(0);
    (0..count)
        .map(|i| {
            let size = SIZES[first + i % sizes];
            let color = COLORS[(color_start + i / sizes) % COLORS.len()];
            (size, Some(color))
        })
        .collect()
}

/// A stock-carrying product's quantities on the seed's two sources.
struct StockRow {
    id: i64,
    sku: String,
    default: i64,
    ne: i64,
}

fn source_items(stock: &[StockRow]) -> Vec<Value> {
    stock
        .iter()
        .flat_map(|row| {
            [("default", row.default), ("ne_wh", row.ne)].map(|(source, qty)| {
                object([
                    ("sku", row.sku.as_str().into()),
                    ("source_code", source.into()),
                    ("quantity", qty.into()),
                    ("status", i64::from(qty > 0).into()),
                ])
            })
        })
        .collect()
}

/// Legacy stock items: MSI keeps them at the sum of the sources.
fn stock_items(stock: &[StockRow]) -> Vec<crate::stock_items::StockRow> {
    stock
        .iter()
        .map(|row| {
            let qty = row.default + row.ne;
            crate::stock_items::StockRow::default_item(&row.sku, row.id, qty, qty > 0)
        })
        .collect()
}

/// Adds the generated products to the tree's `product_count`s (categories 3, 4, 5).
fn add_category_counts(node: &mut Value, counts: &[i64; 3]) {
    if let Some(id) = node["id"].as_i64()
        && let Some(extra) = usize::try_from(id - 3).ok().and_then(|i| counts.get(i))
    {
        let current = node["product_count"].as_i64().unwrap_or(0);
        node["product_count"] = json!(current + extra);
    }
    if let Some(children) = node.get_mut("children_data").and_then(Value::as_array_mut) {
        for child in children {
            add_category_counts(child, counts);
        }
    }
}

fn max_id(rows: &[Value], key: &str) -> i64 {
    rows.iter()
        .filter_map(|r| r[key].as_i64())
        .max()
        .unwrap_or(0)
}

/// Adds `count` catalogue rows to the shop, with their stock.
fn generate_products(
    first_id: i64,
    rng: &mut Rng,
    epoch: DateTime<Utc>,
    count: usize,
) -> Catalogue<'_> {
    let ids = Ids {
        product: first_id,
        option: 100,
        media: 1_000,
        bundle_option: 100,
        bundle_link: 1_000,
    };
    let mut catalogue = Catalogue {
        rng,
        epoch,
        ids,
        rows: Vec::with_capacity(count),
        stock: Vec::with_capacity(count),
        simples: Vec::new(),
        category_counts: [0; 3],
        summary: Generated::default(),
    };
    while catalogue.summary.products < count {
        let remaining = count - catalogue.summary.products;
        if remaining >= 4 && catalogue.rng.chance(CONFIGURABLE_DRAW_PERCENT) {
            let children = usize::try_from(catalogue.rng.between(3, 12)).unwrap_or(3);
            catalogue.configurable(children.min(remaining - 1));
        } else {
            match catalogue.rng.below(100) {
                0..=79 => catalogue.simple(),
                80..=89 => catalogue.virtual_product(),
                _ => catalogue.bundle(),
            }
        }
    }
    catalogue
}

// ---- customers -------------------------------------------------------------------------

/// A registered customer, for orders to name.
struct CustomerRef {
    id: i64,
    french: bool,
}

fn address(
    rng: &mut Rng,
    id: i64,
    customer_id: i64,
    first: &str,
    last: &str,
    french: bool,
) -> Value {
    let number = rng.between(1, 9_999);
    let telephone = format!(
        "(555) {:03}-{:04}",
        rng.between(10, 999),
        rng.between(0, 9_999)
    );
    if french {
        let street = rng.pick(&FR_STREETS);
        let (city, postcode, _) = rng.pick(&FR_CITIES);
        return json!({
            "id": id, "customer_id": customer_id,
            "region": {"region_code": null, "region": null, "region_id": 0}, "region_id": 0,
            "country_id": "FR", "street": [format!("{number} {street}")], "telephone": telephone,
            "postcode": postcode, "city": city, "firstname": first, "lastname": last,
        });
    }
    let street = rng.pick(&US_STREETS);
    let (code, region, region_id, city, postcode) = rng.pick(&US_REGIONS);
    json!({
        "id": id, "customer_id": customer_id,
        "region": {"region_code": code, "region": region, "region_id": region_id},
        "region_id": region_id, "country_id": "US", "street": [format!("{number} {street}")],
        "telephone": telephone, "postcode": postcode, "city": city,
        "firstname": first, "lastname": last,
    })
}

fn next_address_id(customers: &[Value]) -> i64 {
    customers
        .iter()
        .filter_map(|c| c["addresses"].as_array())
        .flatten()
        .filter_map(|a| a["id"].as_i64())
        .max()
        .unwrap_or(0)
        + 1
}

/// Adds `count` customers: a quarter from the French store view, one or two addresses.
fn generate_customers(
    shop: &mut Shop,
    rng: &mut Rng,
    epoch: DateTime<Utc>,
    count: usize,
) -> Vec<CustomerRef> {
    let first_id = max_id(&shop.customers, "id") + 1;
    let mut address_id = next_address_id(&shop.customers);
    let mut refs = Vec::with_capacity(count);
    shop.customers.reserve(count);
    for id in (first_id..).take(count) {
        let first = *rng.pick(&FIRST_NAMES);
        let last = *rng.pick(&LAST_NAMES);
        let french = rng.chance(25);
        let store_id = if french { 2 } else { 1 };
        let group_id = match rng.below(20) {
            0..=1 => 2,
            2 => 3,
            _ => 1,
        };
        let email = format!(
            "{}.{}.{id}@example.com",
            ascii_lower(first),
            ascii_lower(last)
        );
        let billing = address(rng, address_id, id, first, last, french);
        let mut addresses = vec![billing];
        let shipping_id = if rng.chance(30) {
            addresses.push(address(rng, address_id + 1, id, first, last, french));
            address_id + 1
        } else {
            address_id
        };
        for address in &mut addresses {
            let own = address["id"].as_i64();
            if own == Some(address_id) {
                address["default_billing"] = json!(true);
            }
            if own == Some(shipping_id) {
                address["default_shipping"] = json!(true);
            }
        }
        let created = epoch - Duration::minutes(rng.between(60 * 24 * 200, 60 * 24 * 900));
        let created_in = if french {
            "French Store View"
        } else {
            "Default Store View"
        };
        shop.customers.push(object([
            ("id", id.into()),
            ("group_id", group_id.into()),
            ("default_billing", address_id.to_string().into()),
            ("default_shipping", shipping_id.to_string().into()),
            ("created_at", magento_time(created).into()),
            ("updated_at", magento_time(created).into()),
            ("created_in", created_in.into()),
            ("email", email.into()),
            ("firstname", first.into()),
            ("lastname", last.into()),
            ("store_id", store_id.into()),
            ("website_id", 1.into()),
            ("addresses", Value::Array(addresses)),
            ("disable_auto_group_change", 0.into()),
            (
                "extension_attributes",
                json!({"is_subscribed": rng.chance(40)}),
            ),
        ]));
        refs.push(CustomerRef { id, french });
        address_id = shipping_id + 1;
    }
    refs
}

fn ascii_lower(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            'é' => 'e',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

// ---- orders ----------------------------------------------------------------------------

/// A SKU an order line can take, with the units still free to sell on the default
/// source. Counting the default source alone stays under Magento's salable quantity
/// whichever sources the stock includes, so the order operation never refuses a line.
struct Stocked {
    sku: String,
    free: i64,
}

/// What orders pick from: enabled standalone simples and virtuals, and enabled
/// configurables with their enabled children.
struct Pools {
    standalone: Vec<Stocked>,
    configurables: Vec<(String, Vec<Stocked>)>,
}

/// Units already promised to the shop's existing orders, per SKU.
fn reserved_units(orders: &SalesRows) -> HashMap<String, i64> {
    let mut reserved: HashMap<String, i64> = HashMap::new();
    for order in orders.iter() {
        for item in order["items"].as_array().into_iter().flatten() {
            if let Some(sku) = item["sku"].as_str() {
                *reserved.entry(sku.to_owned()).or_default() +=
                    item["qty_ordered"].as_i64().unwrap_or(0);
            }
        }
    }
    reserved
}

fn pools(shop: &Shop) -> Pools {
    let on_default: HashMap<&str, i64> = shop
        .inventory
        .source_items
        .iter()
        .filter(|s| s["source_code"] == "default")
        .filter_map(|s| Some((s["sku"].as_str()?, s["quantity"].as_i64()?)))
        .collect();
    let reserved = reserved_units(&shop.orders);
    let enabled = |p: &Value| p["status"] == 1;
    let stocked = |sku: &str| Stocked {
        sku: sku.to_owned(),
        free: on_default.get(sku).copied().unwrap_or(0) - reserved.get(sku).copied().unwrap_or(0),
    };
    let by_id: HashMap<i64, &Value> = shop
        .products
        .iter()
        .filter_map(|p| Some((p["id"].as_i64()?, p)))
        .collect();
    let mut pools = Pools {
        standalone: Vec::new(),
        configurables: Vec::new(),
    };
    for product in shop.products.iter().filter(|p| enabled(p)) {
        let Some(sku) = product["sku"].as_str() else {
            continue;
        };
        match product["type_id"].as_str() {
            Some("simple" | "virtual") if product["visibility"] != 1 => {
                pools.standalone.push(stocked(sku));
            }
            Some("configurable") => {
                let children: Vec<Stocked> =
                    product["extension_attributes"]["configurable_product_links"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|id| by_id.get(&id.as_i64()?))
                        .filter(|child| enabled(child))
                        .filter_map(|child| Some(stocked(child["sku"].as_str()?)))
                        .collect();
                if !children.is_empty() {
                    pools.configurables.push((sku.to_owned(), children));
                }
            }
            _ => {}
        }
    }
    pools
}

/// Takes `qty` units of `stocked` when it still has them.
fn take(stocked: &mut Stocked, qty: i64) -> bool {
    if stocked.free < qty {
        return false;
    }
    stocked.free -= qty;
    true
}

fn pick_mut<'a, T>(rng: &mut Rng, items: &'a mut [T]) -> Option<&'a mut T> {
    let index = usize::try_from(rng.below(items.len() as u64)).ok()?;
    items.get_mut(index)
}

/// One cart line with stock for it: a configurable variant about half the time, else a
/// standalone product. A few random tries, then none (the order gets fewer lines).
fn order_line(rng: &mut Rng, pools: &mut Pools) -> Option<OrderLine> {
    let qty: u32 = match rng.below(10) {
        0..=6 => 1,
        7..=8 => 2,
        _ => 3,
    };
    for _ in 0..8 {
        if rng.chance(55)
            && let Some((parent, children)) = pick_mut(rng, &mut pools.configurables)
        {
            if let Some(child) = pick_mut(rng, children)
                && take(child, i64::from(qty))
            {
                return Some(OrderLine {
                    sku: parent.clone(),
                    qty,
                    variant: Some(child.sku.clone()),
                    ..OrderLine::default()
                });
            }
        } else if let Some(product) = pick_mut(rng, &mut pools.standalone)
            && take(product, i64::from(qty))
        {
            return Some(OrderLine {
                sku: product.sku.clone(),
                qty,
                ..OrderLine::default()
            });
        }
    }
    None
}

fn guest_order(rng: &mut Rng, index: usize) -> (Guest, AddressInput, bool) {
    let first = *rng.pick(&FIRST_NAMES);
    let last = *rng.pick(&LAST_NAMES);
    let french = rng.chance(20);
    let number = rng.between(1, 9_999);
    let telephone = format!(
        "(555) {:03}-{:04}",
        rng.between(10, 999),
        rng.between(0, 9_999)
    );
    // A French guest names a département: without a region the order would keep the
    // default guest address's US state.
    let (street, city, region, postcode, country) = if french {
        let (city, postcode, region) = rng.pick(&FR_CITIES);
        (rng.pick(&FR_STREETS), city, region, postcode, "FR")
    } else {
        let (code, _, _, city, postcode) = rng.pick(&US_REGIONS);
        (rng.pick(&US_STREETS), city, code, postcode, "US")
    };
    let guest = Guest {
        email: format!("guest{index}.{}@example.com", ascii_lower(last)),
        firstname: Some(first.to_owned()),
        lastname: Some(last.to_owned()),
    };
    let address = AddressInput {
        firstname: Some(first.to_owned()),
        lastname: Some(last.to_owned()),
        street: Some(vec![format!("{number} {street}")]),
        city: Some((*city).to_owned()),
        region_code: Some((*region).to_owned()),
        postcode: Some((*postcode).to_owned()),
        country_id: Some(country.to_owned()),
        telephone: Some(telephone),
    };
    (guest, address, french)
}

/// One order's cart and checkout choices; `None` when no product has stock left.
fn order_input(
    rng: &mut Rng,
    pools: &mut Pools,
    customers: &[CustomerRef],
    index: usize,
) -> Option<PlaceOrder> {
    let lines = match rng.below(10) {
        0..=5 => 1,
        6..=8 => 2,
        _ => 3,
    };
    let items: Vec<OrderLine> = (0..lines).filter_map(|_| order_line(rng, pools)).collect();
    if items.is_empty() {
        return None;
    }
    let mut order = PlaceOrder {
        items,
        ..PlaceOrder::default()
    };
    // About 30 % guests; every registered order names one of the generated customers.
    let french = match customers.is_empty() || rng.chance(30) {
        true => {
            let (guest, address, french) = guest_order(rng, index);
            order.guest = Some(guest);
            order.address = Some(address);
            french
        }
        false => {
            let customer = rng.pick(customers);
            order.customer_id = Some(customer.id);
            customer.french
        }
    };
    if french {
        order.store = Some("fr".to_owned());
        if rng.chance(50) {
            order.currency = Some("EUR".to_owned());
        }
    }
    order.coupon_code = match rng.below(100) {
        0..=11 => Some("SAVE10".to_owned()),
        12..=16 => Some("TAKE5".to_owned()),
        _ => None,
    };
    if rng.chance(15) {
        order.shipping_method = Some("freeshipping_freeshipping".to_owned());
    }
    order.payment_method = Some(
        (*rng.pick(&[
            "checkmo",
            "checkmo",
            "banktransfer",
            "cashondelivery",
            "purchaseorder",
        ]))
        .to_owned(),
    );
    order.paid = rng.chance(60);
    Some(order)
}

/// Places `count` orders through the order operation, in time order over the 180 days
/// before the epoch (entity ids rise with `created_at`, as in a real shop).
fn generate_orders(
    shop: &mut Shop,
    rng: &mut Rng,
    epoch: DateTime<Utc>,
    customers: &[CustomerRef],
    count: usize,
) -> Result<usize, GenerateError> {
    let mut pools = pools(shop);
    let span = Duration::days(180).num_seconds();
    let step = span / i64::try_from(count.max(1)).unwrap_or(1);
    for index in 0..count {
        let offset = i64::try_from(index).unwrap_or(0) * step + rng.between(0, (step - 1).max(0));
        let at = epoch - Duration::seconds(span - offset);
        let order = order_input(rng, &mut pools, customers, index)
            .ok_or(GenerateError::OutOfStock { index })?;
        orders::place(shop, &order, at).map_err(|err| GenerateError::OrderRefused {
            index,
            reason: err.body["message"].as_str().unwrap_or_default().to_owned(),
        })?;
    }
    Ok(count)
}

// ---- entry point -----------------------------------------------------------------------

/// Fills the shop with the spec's products, customers and orders.
pub(crate) fn generate(shop: &mut Shop, spec: &GenerateSpec) -> Result<Generated, GenerateError> {
    let mut rng = Rng::new(spec.seed);
    let epoch = epoch(spec.seed);
    let first_id = max_id(&shop.products, "id") + 1;
    let catalogue = generate_products(first_id, &mut rng, epoch, spec.products);
    let Catalogue {
        rows,
        stock,
        category_counts,
        mut summary,
        ..
    } = catalogue;
    shop.add_products(rows);
    shop.inventory.source_items.extend(source_items(&stock));
    shop.inventory.stock_items.extend(stock_items(&stock));
    add_category_counts(&mut shop.category_tree, &category_counts);
    let customers = generate_customers(shop, &mut rng, epoch, spec.orders.div_ceil(4));
    summary.customers = customers.len();
    summary.orders = generate_orders(shop, &mut rng, epoch, &customers, spec.orders)?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;

    fn seeded_shop() -> Shop {
        let now = Utc
            .with_ymd_and_hms(2026, 6, 1, 12, 0, 0)
            .single()
            .expect("valid time");
        let mut seed = crate::seed::seed("http://127.0.0.1:1", now);
        Shop::from_seed(&mut seed)
    }

    fn generated(products: usize, seed: u64) -> Shop {
        generated_with_orders(products, 0, seed)
    }

    fn generated_with_orders(products: usize, orders: usize, seed: u64) -> Shop {
        let mut shop = seeded_shop();
        let spec = GenerateSpec {
            products,
            orders,
            seed,
        };
        generate(&mut shop, &spec).expect("generates");
        shop
    }

    fn fingerprint(shop: &Shop) -> String {
        serde_json::to_string(&(
            &shop.products,
            &shop.customers,
            &shop.inventory.source_items,
            &shop.inventory.stock_items,
            &shop.category_tree,
            &shop.orders,
            &shop.invoices,
        ))
        .expect("serialises")
    }

    #[test]
    fn the_same_seed_gives_identical_data_and_another_seed_other_data() {
        let a = fingerprint(&generated_with_orders(500, 30, 7));
        assert_eq!(a, fingerprint(&generated_with_orders(500, 30, 7)));
        assert_ne!(a, fingerprint(&generated_with_orders(500, 30, 8)));
    }

    #[test]
    fn the_exact_count_is_added_after_the_seeded_rows_with_unique_ids_and_skus() {
        let seeded = seeded_shop().products.len();
        for count in [0, 1, 3, 4, 17, 1_000] {
            let shop = generated(count, 3);
            assert_eq!(shop.products.len(), seeded + count, "{count} products");
            let ids: HashSet<i64> = shop
                .products
                .iter()
                .filter_map(|p| p["id"].as_i64())
                .collect();
            let skus: HashSet<&str> = shop
                .products
                .iter()
                .filter_map(|p| p["sku"].as_str())
                .collect();
            assert_eq!(ids.len(), shop.products.len());
            assert_eq!(skus.len(), shop.products.len());
            let first_generated = shop.products.get(seeded).and_then(|p| p["id"].as_i64());
            assert!(
                first_generated.is_none_or(|id| id == 131),
                "{first_generated:?}"
            );
        }
    }

    #[test]
    fn about_a_tenth_are_configurables_whose_children_resolve() {
        let shop = generated(2_000, 11);
        let generated_rows = &shop.products[10..];
        let by_id: HashMap<i64, &Value> = shop
            .products
            .iter()
            .filter_map(|p| Some((p["id"].as_i64()?, p)))
            .collect();
        let parents: Vec<&Value> = generated_rows
            .iter()
            .filter(|p| p["type_id"] == "configurable")
            .collect();
        let share = parents.len() as f64 / generated_rows.len() as f64;
        assert!((0.07..=0.13).contains(&share), "configurable share {share}");
        let mut linked = HashSet::new();
        for parent in parents {
            let links = parent["extension_attributes"]["configurable_product_links"]
                .as_array()
                .expect("links");
            assert!((3..=12).contains(&links.len()), "{} children", links.len());
            let options = parent["extension_attributes"]["configurable_product_options"]
                .as_array()
                .expect("options");
            for option in options {
                let values = option["values"].as_array().expect("values");
                let distinct: HashSet<String> = values.iter().map(ToString::to_string).collect();
                assert_eq!(distinct.len(), values.len(), "repeated option values");
            }
            for link in links {
                let child = by_id[&link.as_i64().expect("id")];
                assert!(
                    linked.insert(child["id"].clone()),
                    "a child has two parents"
                );
                assert_eq!(child["type_id"], "simple");
                assert_eq!(child["visibility"], 1);
                // Each option's attribute value on the child is one the parent offers.
                for option in options {
                    let code = if option["attribute_id"] == SIZE_ATTRIBUTE {
                        "size"
                    } else {
                        "color"
                    };
                    let value = child["custom_attributes"]
                        .as_array()
                        .and_then(|a| a.iter().find(|c| c["attribute_code"] == code))
                        .and_then(|c| c["value"].as_str())
                        .and_then(|v| v.parse::<i64>().ok())
                        .expect("variant attribute");
                    assert!(
                        option["values"]
                            .as_array()
                            .is_some_and(|vs| vs.iter().any(|v| v["value_index"] == value))
                    );
                }
            }
        }
        let types: HashSet<&str> = generated_rows
            .iter()
            .filter_map(|p| p["type_id"].as_str())
            .collect();
        assert_eq!(
            types,
            HashSet::from(["simple", "configurable", "virtual", "bundle"])
        );
    }

    #[test]
    fn stock_carrying_products_have_both_source_items_and_a_stock_item() {
        let shop = generated(300, 5);
        let carrying: Vec<&str> = shop.products[10..]
            .iter()
            .filter(|p| matches!(p["type_id"].as_str(), Some("simple" | "virtual")))
            .filter_map(|p| p["sku"].as_str())
            .collect();
        for sku in &carrying {
            let sources: Vec<&Value> = shop
                .inventory
                .source_items
                .iter()
                .filter(|s| s["sku"] == *sku)
                .collect();
            assert_eq!(sources.len(), 2, "{sku}");
            let total: i64 = sources.iter().filter_map(|s| s["quantity"].as_i64()).sum();
            let item = shop
                .inventory
                .stock_items
                .iter()
                .find(|s| s.sku == *sku)
                .expect("stock item");
            assert_eq!(item.item()["qty"], total, "{sku}");
        }
    }

    #[test]
    fn bundles_link_existing_simples_and_timestamps_precede_the_epoch() {
        let shop = generated(1_000, 21);
        let skus: HashSet<&str> = shop
            .products
            .iter()
            .filter_map(|p| p["sku"].as_str())
            .collect();
        let limit = magento_time(epoch(21));
        for product in &shop.products[10..] {
            assert!(
                product["created_at"]
                    .as_str()
                    .is_some_and(|t| t < limit.as_str())
            );
            for option in product["extension_attributes"]["bundle_product_options"]
                .as_array()
                .into_iter()
                .flatten()
            {
                for link in option["product_links"].as_array().into_iter().flatten() {
                    assert!(link["sku"].as_str().is_some_and(|s| skus.contains(s)));
                }
            }
        }
    }

    #[test]
    fn customers_get_unique_ids_and_default_addresses_that_exist() {
        let mut shop = seeded_shop();
        let mut rng = Rng::new(4);
        let refs = generate_customers(&mut shop, &mut rng, epoch(4), 50);
        assert_eq!(refs.len(), 50);
        assert_eq!(shop.customers.len(), 52);
        let mut address_ids = HashSet::new();
        for customer in &shop.customers {
            let addresses = customer["addresses"].as_array().expect("addresses");
            for address in addresses {
                assert!(address_ids.insert(address["id"].clone()));
            }
            for key in ["default_billing", "default_shipping"] {
                let id = customer[key].as_str().expect("string id");
                assert!(
                    addresses
                        .iter()
                        .any(|a| a["id"].as_i64().map(|n| n.to_string()).as_deref() == Some(id)),
                    "{key}"
                );
            }
        }
    }

    #[test]
    fn orders_are_placed_in_time_order_and_a_catalogue_without_stock_is_a_clear_error() {
        let shop = generated_with_orders(300, 40, 2);
        let generated: Vec<Value> = shop.orders.iter().skip(3).map(|o| o.into_owned()).collect();
        assert_eq!(generated.len(), 40);
        assert!(
            generated
                .windows(2)
                .all(|w| w[0]["created_at"].as_str() <= w[1]["created_at"].as_str())
        );
        assert!(
            generated
                .iter()
                .all(|o| o["created_at"].as_str() < Some(magento_time(epoch(2)).as_str()))
        );

        let mut shop = seeded_shop();
        let spec = GenerateSpec {
            products: 0,
            orders: 5_000,
            seed: 2,
        };
        assert!(matches!(
            generate(&mut shop, &spec),
            Err(GenerateError::OutOfStock { .. })
        ));
    }
}
