//! Seeding products and customers through the control API: minimal input, the rest
//! filled in the way the seeded rows look.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};

use super::AddressInput;
use super::book::max_id;
use super::money::{money, number};
use super::state::bad_request;
use crate::response::ApiError;
use crate::seed::magento_time;
use crate::shop::Shop;

/// `POST /sandbox/products`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewProduct {
    pub sku: String,
    #[serde(default)]
    pub name: Option<String>,
    /// `simple` (default), `virtual`, `configurable` or `bundle`.
    #[serde(default)]
    pub type_id: Option<String>,
    #[serde(default)]
    pub price: Option<Decimal>,
    #[serde(default)]
    pub special_price: Option<Decimal>,
    #[serde(default)]
    pub weight: Option<Decimal>,
    /// Units at the `default` source (simple and virtual only).
    #[serde(default)]
    pub qty: Option<Decimal>,
    /// Units at the `ne_wh` source.
    #[serde(default)]
    pub ne_wh_qty: Option<Decimal>,
    /// Backorders allowed (`backorders` 1, "allow qty below 0").
    #[serde(default)]
    pub backorders: bool,
    /// `false` turns stock management off for the product.
    #[serde(default)]
    pub manage_stock: Option<bool>,
    /// `"2"` taxable goods (default for goods), `"0"` none.
    #[serde(default)]
    pub tax_class_id: Option<String>,
    /// 1 enabled (default), 2 disabled.
    #[serde(default)]
    pub status: Option<i64>,
    /// Configurable: child SKUs (existing simple products).
    #[serde(default)]
    pub children: Vec<String>,
    /// Bundle: its options.
    #[serde(default)]
    pub options: Vec<BundleOption>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleOption {
    pub title: String,
    /// `radio` (default), `select`, `checkbox` or `multi`.
    #[serde(default)]
    pub r#type: Option<String>,
    #[serde(default)]
    pub required: Option<bool>,
    pub selections: Vec<BundleSelection>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleSelection {
    pub sku: String,
    #[serde(default)]
    pub qty: Option<Decimal>,
    #[serde(default)]
    pub is_default: bool,
}

fn stock_item(product_id: i64, qty: Decimal, input: &NewProduct) -> Value {
    let manage = input.manage_stock.unwrap_or(true);
    json!({
        "item_id": product_id, "product_id": product_id, "stock_id": 1, "qty": number(qty),
        "is_in_stock": qty > Decimal::ZERO || input.backorders || !manage,
        "is_qty_decimal": false, "show_default_notification_message": false,
        "use_config_min_qty": true, "min_qty": 0, "use_config_min_sale_qty": 1, "min_sale_qty": 1,
        "use_config_max_sale_qty": true, "max_sale_qty": 10000,
        "use_config_backorders": !input.backorders, "backorders": i64::from(input.backorders),
        "use_config_notify_stock_qty": true, "notify_stock_qty": 1,
        "use_config_qty_increments": true, "qty_increments": 0,
        "use_config_enable_qty_inc": true, "enable_qty_increments": false,
        "use_config_manage_stock": input.manage_stock.is_none(), "manage_stock": manage,
        "is_decimal_divided": false, "stock_status_changed_auto": 0,
    })
}

/// Adds a product (and its source items); returns the product row.
pub(crate) fn create_product(
    shop: &mut Shop,
    input: &NewProduct,
    now: DateTime<Utc>,
) -> Result<Value, ApiError> {
    let sku = input.sku.trim();
    if sku.is_empty() {
        return Err(bad_request("\"sku\" is required. Enter and try again."));
    }
    if shop.book.product(&shop.products, sku).is_some() {
        return Err(bad_request(&format!(
            "A product with SKU \"{sku}\" already exists."
        )));
    }
    let type_id = input.type_id.as_deref().unwrap_or("simple");
    if !matches!(type_id, "simple" | "virtual" | "configurable" | "bundle") {
        return Err(bad_request(
            "type_id must be simple, virtual, configurable or bundle.",
        ));
    }
    let id = max_id(&shop.products, None, "id") + 1;
    let time = magento_time(now);
    let name = input.name.clone().unwrap_or_else(|| sku.to_owned());
    let carries_stock = matches!(type_id, "simple" | "virtual");
    let qty = input.qty.unwrap_or_default() + input.ne_wh_qty.unwrap_or_default();
    let tax_class = input
        .tax_class_id
        .clone()
        .unwrap_or_else(|| if type_id == "virtual" { "0" } else { "2" }.to_owned());
    let mut attributes = vec![
        json!({"attribute_code": "url_key", "value": name.to_lowercase().replace(|c: char| !c.is_ascii_alphanumeric(), "-")}),
        json!({"attribute_code": "tax_class_id", "value": tax_class}),
        json!({"attribute_code": "category_ids", "value": []}),
        json!({"attribute_code": "options_container", "value": "container2"}),
        json!({"attribute_code": "required_options", "value": "0"}),
        json!({"attribute_code": "has_options", "value": if type_id == "simple" { "0" } else { "1" }}),
    ];
    if let Some(special) = input.special_price {
        attributes
            .push(json!({"attribute_code": "special_price", "value": format!("{special:.6}")}));
    }
    let mut product = json!({
        "id": id, "sku": sku, "name": name, "attribute_set_id": 4,
        "price": money(input.price.unwrap_or(if carries_stock { Decimal::TEN } else { Decimal::ZERO })),
        "status": input.status.unwrap_or(1), "visibility": 4, "type_id": type_id,
        "created_at": time, "updated_at": time,
        "extension_attributes": {
            "website_ids": [1], "category_links": [],
            "stock_item": stock_item(id, if carries_stock { qty } else { Decimal::ZERO }, input),
        },
        "product_links": [], "options": [], "media_gallery_entries": [], "tier_prices": [],
        "custom_attributes": attributes,
    });
    if type_id == "simple" {
        product["weight"] = number(input.weight.unwrap_or(Decimal::ONE));
    }
    match type_id {
        "configurable" => link_children(shop, &mut product, &input.children)?,
        "bundle" => bundle_options(shop, &mut product, &input.options)?,
        _ => {}
    }
    if carries_stock {
        for (source, quantity) in [("default", input.qty), ("ne_wh", input.ne_wh_qty)] {
            let quantity = quantity.unwrap_or_default();
            shop.inventory.source_items.push(json!({
                "sku": sku, "source_code": source, "quantity": number(quantity),
                "status": i64::from(quantity > Decimal::ZERO),
            }));
        }
    }
    shop.add_products([product.clone()]);
    Ok(product)
}

fn existing(shop: &mut Shop, sku: &str) -> Result<Value, ApiError> {
    shop.book
        .product(&shop.products, sku)
        .and_then(|i| shop.products.get(i))
        .cloned()
        .ok_or_else(|| bad_request(&format!("No product with SKU \"{sku}\".")))
}

fn link_children(
    shop: &mut Shop,
    product: &mut Value,
    children: &[String],
) -> Result<(), ApiError> {
    if children.is_empty() {
        return Err(bad_request(
            "A configurable product needs children (simple SKUs).",
        ));
    }
    let mut ids = Vec::new();
    let mut colors = Vec::new();
    let mut sizes = Vec::new();
    for sku in children {
        let child = existing(shop, sku)?;
        if child["type_id"] != "simple" {
            return Err(bad_request(&format!("\"{sku}\" is not a simple product.")));
        }
        for (code, list) in [("color", &mut colors), ("size", &mut sizes)] {
            if let Some(v) =
                super::stock::custom_attribute(&child, code).and_then(|v| v.parse::<i64>().ok())
                && !list.contains(&json!({"value_index": v}))
            {
                list.push(json!({"value_index": v}));
            }
        }
        ids.push(child["id"].clone());
    }
    let parent_id = product["id"].clone();
    let mut options = Vec::new();
    for (attribute, label, values, position) in
        [("93", "Color", colors, 1), ("144", "Size", sizes, 0)]
    {
        if !values.is_empty() {
            options.push(
                json!({"id": parent_id, "attribute_id": attribute, "label": label,
                                "position": position, "values": values, "product_id": parent_id}),
            );
        }
    }
    product["extension_attributes"]["configurable_product_options"] = Value::Array(options);
    product["extension_attributes"]["configurable_product_links"] = Value::Array(ids);
    Ok(())
}

fn bundle_options(
    shop: &mut Shop,
    product: &mut Value,
    options: &[BundleOption],
) -> Result<(), ApiError> {
    if options.is_empty() {
        return Err(bad_request("A bundle needs options."));
    }
    let sku = product["sku"].clone();
    let first_option = max_id(&shop.products, None, "id") * 10;
    let mut rendered = Vec::new();
    let mut link_id = first_option * 10;
    for (n, option) in options.iter().enumerate() {
        let option_id = first_option + n as i64 + 1;
        let mut links = Vec::new();
        for (position, selection) in option.selections.iter().enumerate() {
            let child = existing(shop, &selection.sku)?;
            link_id += 1;
            links.push(json!({
                "id": link_id.to_string(), "sku": child["sku"], "option_id": option_id,
                "qty": number(selection.qty.unwrap_or(Decimal::ONE)), "position": position + 1,
                "is_default": selection.is_default, "price": 0, "price_type": 0, "can_change_quantity": 0,
            }));
        }
        rendered.push(json!({
            "option_id": option_id, "title": option.title, "required": option.required.unwrap_or(true),
            "type": option.r#type.as_deref().unwrap_or("radio"), "position": n + 1, "sku": sku,
            "product_links": links,
        }));
    }
    product["extension_attributes"]["bundle_product_options"] = Value::Array(rendered);
    if let Some(attributes) = product["custom_attributes"].as_array_mut() {
        for code in ["price_type", "sku_type", "weight_type", "shipment_type"] {
            attributes.push(json!({"attribute_code": code, "value": "0"}));
        }
    }
    Ok(())
}

/// `POST /sandbox/customers`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCustomer {
    pub email: String,
    #[serde(default)]
    pub firstname: Option<String>,
    #[serde(default)]
    pub lastname: Option<String>,
    /// 1 General (default), 2 Wholesale, 3 Retailer.
    #[serde(default)]
    pub group_id: Option<i64>,
    /// 1 default (default) or 2 fr.
    #[serde(default)]
    pub store_id: Option<i64>,
    /// One address, default billing and shipping; defaults to a Portland address.
    #[serde(default)]
    pub address: Option<AddressInput>,
    /// A customer who never gave an address (registered at checkout-less signup): no
    /// `addresses`, no `default_billing`/`default_shipping`, as Magento renders them.
    #[serde(default)]
    pub without_address: bool,
}

/// Adds a customer with one default address; returns the customer row.
pub(crate) fn create_customer(
    shop: &mut Shop,
    input: &NewCustomer,
    now: DateTime<Utc>,
) -> Result<Value, ApiError> {
    let email = input.email.trim();
    if !email.contains('@') {
        return Err(bad_request("\"email\" must be an email address."));
    }
    if shop.customers.iter().any(|c| {
        c["email"]
            .as_str()
            .is_some_and(|e| e.eq_ignore_ascii_case(email))
    }) {
        return Err(bad_request(
            "A customer with the same email address already exists in an associated website.",
        ));
    }
    let store_id = input.store_id.unwrap_or(1);
    if !matches!(store_id, 1 | 2) {
        return Err(bad_request("store_id must be 1 (default) or 2 (fr)."));
    }
    let id = max_id(&shop.customers, None, "id") + 1;
    let address_id = max_id(&shop.customers, Some("addresses"), "id") + 1;
    let time = magento_time(now);
    let firstname = input.firstname.clone().unwrap_or_else(|| "Alex".to_owned());
    let lastname = input.lastname.clone().unwrap_or_else(|| "Doe".to_owned());
    let a = input.address.clone().unwrap_or_default();
    let region_code = a.region_code.clone().unwrap_or_else(|| "OR".to_owned());
    let (region, region_id) = match region_code.as_str() {
        "CA" => ("California", 12),
        "NY" => ("New York", 43),
        "MI" => ("Michigan", 33),
        "WA" => ("Washington", 62),
        "TX" => ("Texas", 57),
        "OR" => ("Oregon", 49),
        other => (other, 0),
    };
    let address = json!({
        "id": address_id, "customer_id": id,
        "region": {"region_code": region_code, "region": region, "region_id": region_id},
        "region_id": region_id, "country_id": a.country_id.unwrap_or_else(|| "US".to_owned()),
        "street": a.street.unwrap_or_else(|| vec!["1820 Alder Row".to_owned()]),
        "telephone": a.telephone.unwrap_or_else(|| "(555) 014-0000".to_owned()),
        "postcode": a.postcode.unwrap_or_else(|| "97205".to_owned()),
        "city": a.city.unwrap_or_else(|| "Portland".to_owned()),
        "firstname": a.firstname.unwrap_or_else(|| firstname.clone()),
        "lastname": a.lastname.unwrap_or_else(|| lastname.clone()),
        "default_billing": true, "default_shipping": true,
    });
    let mut customer = json!({
        "id": id, "group_id": input.group_id.unwrap_or(1),
        "default_billing": address_id.to_string(), "default_shipping": address_id.to_string(),
        "created_at": time, "updated_at": time,
        "created_in": if store_id == 2 { "French Store View" } else { "Default Store View" },
        "email": email, "firstname": firstname, "lastname": lastname,
        "store_id": store_id, "website_id": 1, "addresses": [address],
        "disable_auto_group_change": 0, "extension_attributes": {"is_subscribed": false},
    });
    if input.without_address {
        if let Some(fields) = customer.as_object_mut() {
            fields.remove("default_billing");
            fields.remove("default_shipping");
        }
        customer["addresses"] = json!([]);
    }
    shop.customers.push(customer.clone());
    Ok(customer)
}
