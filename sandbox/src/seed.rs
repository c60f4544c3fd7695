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
    Seed {
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
        orders: orders.iter().map(|o| order(o, now)).collect(),
    }
}
