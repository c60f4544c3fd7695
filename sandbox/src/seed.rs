//! The sandbox store's data, shaped as Magento 2.4.7 renders it: ids as numbers, `0`/`1`
//! flags, optional nulls omitted, timestamps `YYYY-MM-DD HH:MM:SS` in UTC.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

pub(crate) struct Seed {
    pub websites: Vec<Value>,
    pub store_groups: Vec<Value>,
    pub store_views: Vec<Value>,
    pub store_configs: Vec<Value>,
    pub attribute_sets: Vec<Value>,
    pub tax_classes: Vec<Value>,
    pub tax_rates: Vec<Value>,
    pub sources: Vec<Value>,
    pub orders: Vec<Value>,
    pub products: Vec<Value>,
    pub category_tree: Value,
    pub categories: Vec<Value>,
    pub customers: Vec<Value>,
    pub invoices: Vec<Value>,
    pub creditmemos: Vec<Value>,
    pub shipments: Vec<Value>,
    pub source_items: Vec<Value>,
    /// `{"sku": …, "item": <stock item>}`, one per product that carries stock.
    pub stock_items: Vec<Value>,
}

/// Store codes that may appear in `/rest/{code}/V1/...`. `admin` is not one of them:
/// Magento only resolves frontend store views there (plus `all`).
pub(crate) const STORE_CODES: [&str; 3] = ["default", "fr", "all"];

pub(crate) fn magento_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn store_config(id: i64, code: &str, locale: &str, base_url: &str) -> Value {
    let root = format!("{base_url}/");
    json!({
        "id": id,
        "code": code,
        "website_id": 1,
        "locale": locale,
        "base_currency_code": "USD",
        "default_display_currency_code": "USD",
        "timezone": "America/Los_Angeles",
        "weight_unit": "lbs",
        "base_url": root,
        "base_link_url": root,
        "base_static_url": format!("{base_url}/static/version1700000000/"),
        "base_media_url": format!("{base_url}/media/"),
        "secure_base_url": root,
        "secure_base_link_url": root,
        "secure_base_static_url": format!("{base_url}/static/version1700000000/"),
        "secure_base_media_url": format!("{base_url}/media/"),
    })
}

struct OrderSeed<'a> {
    id: i64,
    days_ago: i64,
    email: &'a str,
    first: &'a str,
    last: &'a str,
    sku: &'a str,
    name: &'a str,
    qty: i64,
    price: f64,
    method: &'a str,
    title: &'a str,
    state: &'a str,
}

fn order(seed: &OrderSeed<'_>, now: DateTime<Utc>) -> Value {
    let created = now - Duration::days(seed.days_ago) - Duration::hours(3);
    let updated = created + Duration::minutes(42);
    let (created, updated) = (magento_time(created), magento_time(updated));
    let subtotal = seed.price * seed.qty as f64;
    let shipping = 5.0 * seed.qty as f64;
    let grand_total = subtotal + shipping;
    let address = json!({
        "address_type": "billing",
        "city": "Calder",
        "country_id": "US",
        "email": seed.email,
        "entity_id": seed.id * 2 - 1,
        "firstname": seed.first,
        "lastname": seed.last,
        "parent_id": seed.id,
        "postcode": "49628-7978",
        "region": "Michigan",
        "region_code": "MI",
        "region_id": 33,
        "street": ["6146 Honey Bluff Parkway"],
        "telephone": "(555) 229-3326",
    });
    let item = json!({
        "amount_refunded": 0,
        "base_price": seed.price,
        "base_row_total": subtotal,
        "created_at": created,
        "item_id": seed.id,
        "name": seed.name,
        "order_id": seed.id,
        "price": seed.price,
        "product_id": seed.id + 100,
        "product_type": "simple",
        "qty_canceled": 0,
        "qty_invoiced": 0,
        "qty_ordered": seed.qty,
        "qty_refunded": 0,
        "qty_shipped": 0,
        "row_total": subtotal,
        "sku": seed.sku,
        "store_id": 1,
        "updated_at": updated,
        "weight": 1,
    });
    let payment = json!({
        "account_status": null,
        "additional_information": [seed.title],
        "amount_ordered": grand_total,
        "base_amount_ordered": grand_total,
        "base_shipping_amount": shipping,
        "cc_last4": null,
        "entity_id": seed.id,
        "method": seed.method,
        "parent_id": seed.id,
        "shipping_amount": shipping,
    });
    let extension_attributes = json!({
        "shipping_assignments": [{
            "shipping": {
                "address": address,
                "method": "flatrate_flatrate",
                "total": { "base_shipping_amount": shipping, "shipping_amount": shipping },
            },
            "items": [],
        }],
        "payment_additional_info": [{ "key": "method_title", "value": seed.title }],
        "applied_taxes": [],
        "item_applied_taxes": [],
    });
    // Two halves: one `json!` this large exceeds the macro recursion limit.
    let mut order = json!({
        "base_currency_code": "USD",
        "base_discount_amount": 0,
        "base_grand_total": grand_total,
        "base_shipping_amount": shipping,
        "base_subtotal": subtotal,
        "base_tax_amount": 0,
        "base_to_global_rate": 1,
        "base_to_order_rate": 1,
        "billing_address_id": seed.id * 2 - 1,
        "created_at": created,
        "customer_email": seed.email,
        "customer_firstname": seed.first,
        "customer_group_id": 0,
        "customer_is_guest": 1,
        "customer_lastname": seed.last,
        "customer_note_notify": 1,
        "discount_amount": 0,
        "entity_id": seed.id,
        "global_currency_code": "USD",
        "grand_total": grand_total,
        "increment_id": format!("{:09}", seed.id),
    });
    let rest = json!({
        "is_virtual": 0,
        "order_currency_code": "USD",
        "shipping_amount": shipping,
        "shipping_description": "Flat Rate - Fixed",
        "state": seed.state,
        "status": seed.state,
        "store_currency_code": "USD",
        "store_id": 1,
        "store_name": "Main Website\nMain Website Store\nDefault Store View",
        "store_to_base_rate": 0,
        "store_to_order_rate": 0,
        "subtotal": subtotal,
        "tax_amount": 0,
        "total_due": grand_total,
        "total_item_count": 1,
        "total_qty_ordered": seed.qty,
        "updated_at": updated,
        "weight": seed.qty,
        "items": [item],
        "billing_address": address,
        "payment": payment,
        "status_histories": [],
        "extension_attributes": extension_attributes,
    });
    if let (Some(order), Value::Object(rest)) = (order.as_object_mut(), rest) {
        order.extend(rest);
    }
    order
}

pub(crate) fn seed(base_url: &str, now: DateTime<Utc>) -> Seed {
    let orders = [
        OrderSeed {
            id: 1,
            days_ago: 20,
            email: "roni_cost@example.com",
            first: "Veronica",
            last: "Costello",
            sku: "24-MB01",
            name: "Joust Duffle Bag",
            qty: 1,
            price: 34.0,
            method: "checkmo",
            title: "Check / Money order",
            state: "processing",
        },
        OrderSeed {
            id: 2,
            days_ago: 9,
            email: "jane.doe@example.com",
            first: "Jane",
            last: "Doe",
            sku: "24-WB04",
            name: "Overnight Duffle",
            qty: 2,
            price: 45.0,
            method: "checkmo",
            title: "Check / Money order",
            state: "processing",
        },
        OrderSeed {
            id: 3,
            days_ago: 2,
            email: "sam.smith@example.com",
            first: "Sam",
            last: "Smith",
            sku: "24-UG06",
            name: "Affirm Water Bottle",
            qty: 3,
            price: 7.0,
            method: "banktransfer",
            title: "Bank Transfer Payment",
            state: "new",
        },
    ];
    let mut orders: Vec<Value> = orders.iter().map(|o| order(o, now)).collect();
    let (invoices, creditmemos, shipments) = sales_documents(&mut orders);
    let (products, stock) = products(now);
    let (source_items, stock_items) = inventory(&products, &stock);
    let (category_tree, categories) = categories(now);
    Seed {
        products,
        category_tree,
        categories,
        customers: customers(now),
        invoices,
        creditmemos,
        shipments,
        source_items,
        stock_items,
        websites: vec![
            json!({"id": 1, "code": "base", "name": "Main Website", "default_group_id": 1}),
            json!({"id": 0, "code": "admin", "name": "Admin", "default_group_id": 0}),
        ],
        store_groups: vec![
            json!({"id": 0, "website_id": 0, "root_category_id": 0, "default_store_id": 0, "name": "Default", "code": "default"}),
            json!({"id": 1, "website_id": 1, "root_category_id": 2, "default_store_id": 1, "name": "Main Website Store", "code": "main_website_store"}),
        ],
        store_views: vec![
            json!({"id": 1, "code": "default", "name": "Default Store View", "website_id": 1, "store_group_id": 1, "is_active": 1}),
            json!({"id": 2, "code": "fr", "name": "French Store View", "website_id": 1, "store_group_id": 1, "is_active": 1}),
            json!({"id": 0, "code": "admin", "name": "Admin", "website_id": 0, "store_group_id": 0, "is_active": 1}),
        ],
        store_configs: vec![
            store_config(1, "default", "en_US", base_url),
            store_config(2, "fr", "fr_FR", base_url),
        ],
        attribute_sets: vec![
            // A customer set (entity type 1) shares the endpoint with the product sets.
            json!({"attribute_set_id": 1, "attribute_set_name": "Default", "sort_order": 2, "entity_type_id": 1}),
            json!({"attribute_set_id": 4, "attribute_set_name": "Default", "sort_order": 1, "entity_type_id": 4}),
            json!({"attribute_set_id": 9, "attribute_set_name": "Top", "sort_order": 0, "entity_type_id": 4}),
            json!({"attribute_set_id": 15, "attribute_set_name": "Bag", "sort_order": 0, "entity_type_id": 4}),
            json!({"attribute_set_id": 16, "attribute_set_name": "Gear", "sort_order": 0, "entity_type_id": 4}),
        ],
        tax_classes: vec![
            json!({"class_id": 2, "class_name": "Taxable Goods", "class_type": "PRODUCT"}),
            json!({"class_id": 3, "class_name": "Retail Customer", "class_type": "CUSTOMER"}),
            json!({"class_id": 4, "class_name": "Wholesale", "class_type": "PRODUCT"}),
        ],
        tax_rates: vec![
            json!({"id": 1, "tax_country_id": "US", "tax_region_id": 12, "region_name": "CA", "tax_postcode": "*",
                   "rate": 8.25, "code": "US-CA-*-Rate 1", "titles": []}),
            json!({"id": 2, "tax_country_id": "US", "tax_region_id": 43, "region_name": "NY", "tax_postcode": "*",
                   "rate": 8.375, "code": "US-NY-*-Rate 1", "titles": []}),
        ],
        sources: vec![
            json!({"source_code": "default", "name": "Default Source", "enabled": true, "description": "Default Source",
                   "latitude": 0, "longitude": 0, "country_id": "US", "postcode": "00000",
                   "use_default_carrier_config": true,
                   "extension_attributes": {"is_pickup_location_active": false, "frontend_name": "", "frontend_description": ""}}),
            json!({"source_code": "ne_wh", "name": "North-East Warehouse", "enabled": true, "contact_name": "Dock Office",
                   "email": "dock@example.com", "latitude": 40.7506, "longitude": -73.9972, "country_id": "US",
                   "region_id": 43, "region": "New York", "city": "New York", "street": "450 W 33rd St",
                   "postcode": "10001", "phone": "(555) 010-0199", "use_default_carrier_config": true,
                   "extension_attributes": {"is_pickup_location_active": false, "frontend_name": "", "frontend_description": ""}}),
        ],
        orders,
    }
}

// ---- catalog ---------------------------------------------------------------------------

/// The store's stock settings as Magento renders a stock item (`use_config_*` on).
pub(crate) fn stock_item(product_id: i64, qty: i64, in_stock: bool) -> Value {
    json!({
        "item_id": product_id,
        "product_id": product_id,
        "stock_id": 1,
        "qty": qty,
        "is_in_stock": in_stock,
        "is_qty_decimal": false,
        "show_default_notification_message": false,
        "use_config_min_qty": true,
        "min_qty": 0,
        "use_config_min_sale_qty": 1,
        "min_sale_qty": 1,
        "use_config_max_sale_qty": true,
        "max_sale_qty": 10000,
        "use_config_backorders": true,
        "backorders": 0,
        "use_config_notify_stock_qty": true,
        "notify_stock_qty": 1,
        "use_config_qty_increments": true,
        "qty_increments": 0,
        "use_config_enable_qty_inc": true,
        "enable_qty_increments": false,
        "use_config_manage_stock": true,
        "manage_stock": true,
        "is_decimal_divided": false,
        "stock_status_changed_auto": 0,
    })
}

struct ProductSeed<'a> {
    id: i64,
    sku: &'a str,
    name: &'a str,
    type_id: &'a str,
    attribute_set_id: i64,
    price: f64,
    visibility: i64,
    weight: Option<f64>,
    category_ids: &'a [i64],
    /// Per-source quantities: `default`, `ne_wh`.
    quantities: (i64, i64),
    extra_attributes: Vec<Value>,
}

fn product(seed: &ProductSeed<'_>, now: DateTime<Utc>) -> Value {
    let created = magento_time(now - Duration::days(400 - seed.id));
    let updated = magento_time(now - Duration::days(30) + Duration::minutes(seed.id));
    let url_key = seed
        .name
        .to_lowercase()
        .replace(|c: char| !c.is_ascii_alphanumeric(), "-");
    let mut attributes = vec![
        json!({"attribute_code": "url_key", "value": url_key}),
        json!({"attribute_code": "tax_class_id", "value": if seed.type_id == "virtual" { "0" } else { "2" }}),
        json!({"attribute_code": "category_ids",
               "value": seed.category_ids.iter().map(ToString::to_string).collect::<Vec<_>>()}),
        json!({"attribute_code": "options_container", "value": "container2"}),
        json!({"attribute_code": "required_options", "value": "0"}),
        json!({"attribute_code": "has_options", "value": if seed.type_id == "simple" { "0" } else { "1" }}),
    ];
    attributes.extend(seed.extra_attributes.iter().cloned());
    let qty = seed.quantities.0 + seed.quantities.1;
    let carries_stock = matches!(seed.type_id, "simple" | "virtual");
    let mut product = json!({
        "id": seed.id,
        "sku": seed.sku,
        "name": seed.name,
        "attribute_set_id": seed.attribute_set_id,
        "price": seed.price,
        "status": 1,
        "visibility": seed.visibility,
        "type_id": seed.type_id,
        "created_at": created,
        "updated_at": updated,
        "extension_attributes": {
            "website_ids": [1],
            "category_links": seed.category_ids.iter().enumerate()
                .map(|(i, id)| json!({"position": i, "category_id": id.to_string()}))
                .collect::<Vec<_>>(),
            "stock_item": stock_item(seed.id, if carries_stock { qty } else { 0 }, !carries_stock || qty > 0),
        },
        "product_links": [],
        "options": [],
        "media_gallery_entries": [],
        "tier_prices": [],
        "custom_attributes": attributes,
    });
    if let Some(weight) = seed.weight {
        product["weight"] = json!(weight);
    }
    product
}

/// The product rows, and `(sku, default qty, ne_wh qty)` of those that carry stock.
type StockSeed = (String, i64, i64);

fn products(now: DateTime<Utc>) -> (Vec<Value>, Vec<StockSeed>) {
    let text = |code: &str, value: &str| json!({"attribute_code": code, "value": value});
    let simple =
        |id, sku, name, price, weight, categories: &'static [i64], quantities, extra| ProductSeed {
            id,
            sku,
            name,
            type_id: "simple",
            attribute_set_id: 15,
            price,
            visibility: 4,
            weight: Some(weight),
            category_ids: categories,
            quantities,
            extra_attributes: extra,
        };
    let variant = |id, sku, name, color: &str, size: &str, quantities| ProductSeed {
        id,
        sku,
        name,
        type_id: "simple",
        attribute_set_id: 9,
        price: 29.0,
        visibility: 1,
        weight: Some(0.4),
        category_ids: &[3, 4],
        quantities,
        extra_attributes: vec![text("color", color), text("size", size)],
    };
    let seeds = [
        // The products of the seeded orders (product_id = order id + 100).
        simple(
            101,
            "24-MB01",
            "Joust Duffle Bag",
            34.0,
            1.1,
            &[5],
            (40, 12),
            vec![text(
                "description",
                "<p>A roomy duffle with a shoe pocket and padded strap.</p>",
            )],
        ),
        simple(
            102,
            "24-WB04",
            "Overnight Duffle",
            45.0,
            1.4,
            &[5],
            (18, 0),
            vec![
                text(
                    "description",
                    "<p>Weekend-sized, water-resistant canvas.</p>",
                ),
                text("special_price", "39.000000"),
            ],
        ),
        simple(
            103,
            "24-UG06",
            "Affirm Water Bottle",
            7.0,
            0.3,
            &[5],
            (0, 0),
            vec![],
        ),
        simple(
            104,
            "MUG 11oz/BLK",
            "Stoneware Mug 11oz Black",
            12.5,
            0.5,
            &[5],
            (60, 25),
            vec![text(
                "description",
                "<p>Matte black stoneware, dishwasher safe.</p>",
            )],
        ),
        ProductSeed {
            id: 110,
            sku: "HT-TEE",
            name: "Helios Tee",
            type_id: "configurable",
            attribute_set_id: 9,
            price: 0.0,
            visibility: 4,
            weight: None,
            category_ids: &[3, 4],
            quantities: (0, 0),
            extra_attributes: vec![
                text(
                    "description",
                    "<p>Breathable organic cotton tee with a relaxed fit.</p>",
                ),
                text("special_price", "24.000000"),
            ],
        },
        variant(
            111,
            "HT-TEE-S-Sand",
            "Helios Tee-S-Sand",
            "58",
            "167",
            (10, 4),
        ),
        variant(
            112,
            "HT-TEE-M-Sand",
            "Helios Tee-M-Sand",
            "58",
            "168",
            (7, 0),
        ),
        variant(
            113,
            "HT-TEE-M-Slate",
            "Helios Tee-M-Slate",
            "61",
            "168",
            (0, 9),
        ),
        ProductSeed {
            id: 120,
            sku: "SB-ENGRAVE",
            name: "Personal Engraving",
            type_id: "virtual",
            attribute_set_id: 4,
            price: 8.0,
            visibility: 4,
            weight: None,
            category_ids: &[5],
            quantities: (500, 0),
            extra_attributes: vec![],
        },
        ProductSeed {
            id: 130,
            sku: "SB-TRAVEL-KIT",
            name: "Travel Kit Bundle",
            type_id: "bundle",
            attribute_set_id: 16,
            price: 0.0,
            visibility: 4,
            weight: None,
            category_ids: &[5],
            quantities: (0, 0),
            extra_attributes: vec![
                text("price_type", "0"),
                text("sku_type", "0"),
                text("weight_type", "0"),
                text("shipment_type", "0"),
            ],
        },
    ];
    let stock = seeds
        .iter()
        .filter(|s| matches!(s.type_id, "simple" | "virtual"))
        .map(|s| (s.sku.to_owned(), s.quantities.0, s.quantities.1))
        .collect();
    let mut rows: Vec<Value> = seeds.iter().map(|s| product(s, now)).collect();
    for row in &mut rows {
        match row["sku"].as_str() {
            Some("HT-TEE") => {
                let extension = &mut row["extension_attributes"];
                extension["configurable_product_options"] = json!([
                    {"id": 7, "attribute_id": "93", "label": "Color", "position": 1,
                     "values": [{"value_index": 58}, {"value_index": 61}], "product_id": 110},
                    {"id": 8, "attribute_id": "144", "label": "Size", "position": 0,
                     "values": [{"value_index": 167}, {"value_index": 168}], "product_id": 110},
                ]);
                extension["configurable_product_links"] = json!([111, 112, 113]);
                row["media_gallery_entries"] = json!([
                    {"id": 21, "media_type": "image", "label": "Helios Tee, front", "position": 1,
                     "disabled": false, "types": ["image", "small_image", "thumbnail"],
                     "file": "/h/t/ht-tee-front.jpg"},
                    {"id": 22, "media_type": "image", "label": "Helios Tee, back", "position": 2,
                     "disabled": false, "types": [], "file": "/h/t/ht-tee-back.jpg"},
                ]);
            }
            Some("MUG 11oz/BLK") => {
                row["media_gallery_entries"] = json!([
                    {"id": 23, "media_type": "image", "label": "", "position": 1, "disabled": false,
                     "types": ["image", "small_image", "thumbnail", "swatch_image"],
                     "file": "/m/u/mug-11oz-blk.jpg"},
                ]);
            }
            Some("SB-TRAVEL-KIT") => {
                row["extension_attributes"]["bundle_product_options"] = json!([
                    {"option_id": 31, "title": "Bag", "required": true, "type": "radio", "position": 1,
                     "sku": "SB-TRAVEL-KIT", "product_links": [
                        {"id": "41", "sku": "24-MB01", "option_id": 31, "qty": 1, "position": 1,
                         "is_default": true, "price": 0, "price_type": 0, "can_change_quantity": 0},
                        {"id": "42", "sku": "24-WB04", "option_id": 31, "qty": 1, "position": 2,
                         "is_default": false, "price": 0, "price_type": 0, "can_change_quantity": 0},
                    ]},
                    {"option_id": 32, "title": "Mug", "required": false, "type": "checkbox", "position": 2,
                     "sku": "SB-TRAVEL-KIT", "product_links": [
                        {"id": "43", "sku": "MUG 11oz/BLK", "option_id": 32, "qty": 2, "position": 1,
                         "is_default": true, "price": 0, "price_type": 0, "can_change_quantity": 1},
                    ]},
                ]);
            }
            _ => {}
        }
    }
    (rows, stock)
}

/// `(source items, legacy stock items)` for the products that carry stock.
fn inventory(products: &[Value], seeds: &[StockSeed]) -> (Vec<Value>, Vec<Value>) {
    let mut source_items = Vec::new();
    let mut stock_items = Vec::new();
    for (sku, default_qty, ne_qty) in seeds {
        for (source, qty) in [("default", *default_qty), ("ne_wh", *ne_qty)] {
            source_items.push(json!({
                "sku": sku, "source_code": source, "quantity": qty, "status": i64::from(qty > 0),
            }));
        }
        if let Some(item) = products
            .iter()
            .find(|p| p["sku"] == sku.as_str())
            .map(|p| p["extension_attributes"]["stock_item"].clone())
        {
            stock_items.push(json!({"sku": sku, "item": item}));
        }
    }
    (source_items, stock_items)
}

/// id, parent, name, position, level, path, children, product count.
type CategoryNode = (
    i64,
    i64,
    &'static str,
    i64,
    i64,
    &'static str,
    &'static str,
    i64,
);

/// `(tree, flat rows)` of root 1 → Default Category 2 → {Men 3 → Tops 4, Gear 5}.
fn categories(now: DateTime<Utc>) -> (Value, Vec<Value>) {
    let nodes: [CategoryNode; 5] = [
        (1, 0, "Root Catalog", 0, 0, "1", "2", 0),
        (2, 1, "Default Category", 1, 1, "1/2", "3,5", 0),
        (3, 2, "Men", 1, 2, "1/2/3", "4", 4),
        (4, 3, "Tops", 1, 3, "1/2/3/4", "", 4),
        (5, 2, "Gear", 2, 2, "1/2/5", "", 6),
    ];
    let created = magento_time(now - Duration::days(500));
    let rows = nodes
        .iter()
        .map(|&(id, parent, name, position, level, path, children, _)| {
            let mut row = json!({
                "id": id, "parent_id": parent, "name": name, "is_active": id != 1,
                "position": position, "level": level, "children": children, "path": path,
                "created_at": created, "updated_at": created, "available_sort_by": [],
                "include_in_menu": level >= 2,
                "custom_attributes": [
                    {"attribute_code": "display_mode", "value": "PRODUCTS"},
                    {"attribute_code": "is_anchor", "value": "1"},
                    {"attribute_code": "children_count", "value": children.split(',').filter(|c| !c.is_empty()).count().to_string()},
                ],
            });
            if level >= 2
                && let Some(attributes) = row["custom_attributes"].as_array_mut()
            {
                attributes.push(json!({"attribute_code": "url_key", "value": name.to_lowercase()}));
            }
            row
        })
        .collect();
    fn node(nodes: &[CategoryNode], id: i64) -> Value {
        let Some(&(id, parent, name, position, level, _, _, count)) =
            nodes.iter().find(|n| n.0 == id)
        else {
            return Value::Null;
        };
        let children: Vec<Value> = nodes
            .iter()
            .filter(|n| n.1 == id)
            .map(|n| node(nodes, n.0))
            .collect();
        json!({"id": id, "parent_id": parent, "name": name, "is_active": id != 1,
               "position": position, "level": level, "product_count": count,
               "children_data": children})
    }
    (node(&nodes, 1), rows)
}

// ---- customers -------------------------------------------------------------------------

fn customers(now: DateTime<Utc>) -> Vec<Value> {
    let created = |days: i64| magento_time(now - Duration::days(days));
    vec![
        json!({
            "id": 1, "group_id": 1, "default_billing": "1", "default_shipping": "2",
            "created_at": created(300), "updated_at": created(12), "created_in": "Default Store View",
            "email": "marta.lindqvist@example.net", "firstname": "Marta", "lastname": "Lindqvist",
            "gender": 2, "store_id": 1, "website_id": 1,
            "addresses": [
                {"id": 1, "customer_id": 1,
                 "region": {"region_code": "OR", "region": "Oregon", "region_id": 49}, "region_id": 49,
                 "country_id": "US", "street": ["1820 Alder Row", "Suite 4"], "telephone": "(555) 014-2231",
                 "postcode": "97205", "city": "Portland", "firstname": "Marta", "lastname": "Lindqvist",
                 "company": "Lindqvist Ceramics", "default_billing": true},
                {"id": 2, "customer_id": 1,
                 "region": {"region_code": "WA", "region": "Washington", "region_id": 62}, "region_id": 62,
                 "country_id": "US", "street": ["77 Pier Lane"], "telephone": "(555) 014-9980",
                 "postcode": "98101", "city": "Seattle", "firstname": "Marta", "lastname": "Lindqvist",
                 "default_shipping": true},
            ],
            "disable_auto_group_change": 0,
            "extension_attributes": {"is_subscribed": true},
        }),
        json!({
            "id": 2, "group_id": 2, "default_billing": "3", "default_shipping": "3",
            "created_at": created(90), "updated_at": created(90), "created_in": "French Store View",
            "email": "theo.marchand@example.org", "firstname": "Théo", "lastname": "Marchand",
            "store_id": 2, "website_id": 1,
            "addresses": [
                {"id": 3, "customer_id": 2,
                 "region": {"region_code": null, "region": null, "region_id": 0}, "region_id": 0,
                 "country_id": "FR", "street": ["14 rue des Tanneurs"], "telephone": "+33 5 55 01 23 45",
                 "postcode": "69002", "city": "Lyon", "firstname": "Théo", "lastname": "Marchand",
                 "default_billing": true, "default_shipping": true},
            ],
            "disable_auto_group_change": 0,
            "extension_attributes": {"is_subscribed": false},
        }),
    ]
}

// ---- sales documents -------------------------------------------------------------------

/// One row of an invoice or credit memo for the order's only item.
fn document_item(entity_id: i64, parent_id: i64, order: &Value, qty: i64) -> Value {
    let item = &order["items"][0];
    let price = item["price"].as_f64().unwrap_or_default();
    let row_total = price * qty as f64;
    json!({
        "entity_id": entity_id, "parent_id": parent_id, "order_item_id": item["item_id"],
        "product_id": item["product_id"], "sku": item["sku"], "name": item["name"], "qty": qty,
        "price": price, "base_price": price, "row_total": row_total, "base_row_total": row_total,
        "price_incl_tax": price, "base_price_incl_tax": price,
        "row_total_incl_tax": row_total, "base_row_total_incl_tax": row_total,
        "tax_amount": 0, "base_tax_amount": 0, "discount_amount": 0, "base_discount_amount": 0,
        "discount_tax_compensation_amount": 0, "base_discount_tax_compensation_amount": 0,
        "base_cost": price * 0.4,
    })
}

/// Totals shared by invoices and credit memos: `qty` of the order's item plus `shipping`.
fn document_totals(order: &Value, qty: i64, shipping: f64, created: &str) -> Value {
    let price = order["items"][0]["price"].as_f64().unwrap_or_default();
    let subtotal = price * qty as f64;
    json!({
        "order_id": order["entity_id"], "store_id": 1,
        "billing_address_id": order["billing_address_id"],
        "shipping_address_id": order["billing_address_id"],
        "base_currency_code": "USD", "order_currency_code": "USD",
        "global_currency_code": "USD", "store_currency_code": "USD",
        "base_to_global_rate": 1, "base_to_order_rate": 1,
        "store_to_base_rate": 0, "store_to_order_rate": 0,
        "subtotal": subtotal, "base_subtotal": subtotal,
        "subtotal_incl_tax": subtotal, "base_subtotal_incl_tax": subtotal,
        "tax_amount": 0, "base_tax_amount": 0,
        "shipping_amount": shipping, "base_shipping_amount": shipping,
        "shipping_incl_tax": shipping, "base_shipping_incl_tax": shipping,
        "shipping_tax_amount": 0, "base_shipping_tax_amount": 0,
        "discount_amount": 0, "base_discount_amount": 0,
        "discount_tax_compensation_amount": 0, "base_discount_tax_compensation_amount": 0,
        "grand_total": subtotal + shipping, "base_grand_total": subtotal + shipping,
        "created_at": created, "updated_at": created, "email_sent": 1,
    })
}

fn merge(mut base: Value, extra: Value) -> Value {
    if let (Some(base), Value::Object(extra)) = (base.as_object_mut(), extra) {
        base.extend(extra);
    }
    base
}

fn later(order: &Value, hours: i64) -> String {
    let created = order["created_at"]
        .as_str()
        .and_then(|t| chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S").ok())
        .map(|t| t.and_utc())
        .unwrap_or_default();
    magento_time(created + Duration::hours(hours))
}

/// Invoices (orders 1 and 2 in full), one credit memo (one unit of order 2) and shipments
/// (order 1 in full, one unit of order 2); the orders' item counters are set to match.
fn sales_documents(orders: &mut [Value]) -> (Vec<Value>, Vec<Value>, Vec<Value>) {
    let mut invoices = Vec::new();
    let mut creditmemos = Vec::new();
    let mut shipments = Vec::new();
    // (order index, invoiced, refunded, shipped)
    for (index, invoiced, refunded, shipped) in [(0, 1, 0, 1), (1, 2, 1, 1)] {
        let Some(order) = orders.get_mut(index) else {
            continue;
        };
        let order_id = order["entity_id"].as_i64().unwrap_or_default();
        let per_unit_shipping = 5.0;
        let id = order_id;
        let created = later(order, 1);
        invoices.push(merge(
            document_totals(order, invoiced, per_unit_shipping * invoiced as f64, &created),
            json!({
                "entity_id": id, "increment_id": format!("{id:09}"), "state": 2,
                "base_total_refunded": order["items"][0]["price"].as_f64().unwrap_or_default() * refunded as f64,
                "total_qty": invoiced, "can_void_flag": 0,
                "transaction_id": format!("{order_id}-capture"),
                "items": [document_item(id, id, order, invoiced)], "comments": [],
            }),
        ));
        if refunded > 0 {
            let created = later(order, 48);
            creditmemos.push(merge(
                document_totals(order, refunded, 0.0, &created),
                json!({
                    "entity_id": id, "increment_id": format!("{id:09}"), "invoice_id": id,
                    "state": 2, "creditmemo_status": 2,
                    "adjustment": 0, "base_adjustment": 0,
                    "adjustment_positive": 0, "base_adjustment_positive": 0,
                    "adjustment_negative": 0, "base_adjustment_negative": 0,
                    "items": [document_item(id, id, order, refunded)],
                    "comments": [{"entity_id": id, "parent_id": id, "comment": "Returned: wrong colour.",
                                  "created_at": created, "is_customer_notified": 1, "is_visible_on_front": 0}],
                }),
            ));
        }
        if shipped > 0 {
            let created = later(order, 20);
            let item = &order["items"][0];
            shipments.push(json!({
                "entity_id": id, "increment_id": format!("{id:09}"), "order_id": order_id,
                "store_id": 1, "billing_address_id": order["billing_address_id"],
                "shipping_address_id": order["billing_address_id"], "total_qty": shipped,
                "email_sent": 1, "created_at": created, "updated_at": created,
                "items": [{
                    "entity_id": id, "parent_id": id, "order_item_id": item["item_id"],
                    "product_id": item["product_id"], "sku": item["sku"], "name": item["name"],
                    "qty": shipped, "price": item["price"], "weight": item["weight"],
                }],
                "tracks": [{
                    "entity_id": id, "parent_id": id, "order_id": order_id,
                    "track_number": format!("1Z999AA1{:08}", order_id * 7919),
                    "title": "United Parcel Service", "carrier_code": "ups", "qty": shipped,
                    "created_at": created, "updated_at": created,
                }],
                "comments": [], "packages": [],
                "extension_attributes": {"source_code": if index == 0 { "default" } else { "ne_wh" }},
            }));
        }
        let item = &mut order["items"][0];
        let price = item["price"].as_f64().unwrap_or_default();
        item["qty_invoiced"] = json!(invoiced);
        item["qty_refunded"] = json!(refunded);
        item["qty_shipped"] = json!(shipped);
        item["amount_refunded"] = json!(price * refunded as f64);
        item["row_invoiced"] = json!(price * invoiced as f64);
    }
    (invoices, creditmemos, shipments)
}
