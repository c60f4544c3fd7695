//! Catalog writes with Magento's semantics: product save (create, or update by SKU) and
//! delete, a configurable's options and child links, gallery images. Each handler takes
//! the shop under its exclusive lock and changes it whole or not at all.
//!
//! Store scope: a write at a store view (`/rest/default/V1/...`, `/rest/fr/V1/...`, or no
//! code, which is the default store view) keeps its store-view-scoped values (name,
//! status, visibility, url key, descriptions, meta data) for that view only, as Magento
//! does; `/rest/all/V1/...` writes them for every view. A read at a store view shows that
//! view's values.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use serde_json::{Map, Value, json};

use crate::query::raw_url_decode;
use crate::response::ApiError;
use crate::routes::{flag_input, invalid_type, json_body, number_input, product_not_found};
use crate::seed::{Seed, magento_time};
use crate::shop::Shop;
use crate::stock_items::StockRow;

/// The store code of writes meant for every store view.
pub(crate) const ALL_STORE_VIEWS: &str = "all";

/// Top-level product fields whose values Magento keeps per store view.
const STORE_VIEW_FIELDS: [&str; 3] = ["name", "status", "visibility"];

/// Custom attributes whose values Magento keeps per store view (those the sandbox knows).
const STORE_VIEW_ATTRIBUTES: [&str; 6] = [
    "url_key",
    "description",
    "short_description",
    "meta_title",
    "meta_keyword",
    "meta_description",
];

/// Types whose own stock item orders deduct from.
const STOCK_TYPES: [&str; 3] = ["simple", "virtual", "downloadable"];

/// Attribute codes of the configurable super attributes the seed uses, by attribute id.
const SUPER_ATTRIBUTES: [(i64, &str); 2] = [(93, "color"), (144, "size")];

/// Magento's SKU column width.
const SKU_MAX_LENGTH: usize = 64;

/// Values a product write saved for one store view only, keyed by (store code, product
/// id): top-level fields under their names, custom attributes under `custom_attributes`
/// as an object of code to value.
#[derive(Default)]
pub(crate) struct StoreViewValues {
    values: BTreeMap<(String, i64), Map<String, Value>>,
}

impl StoreViewValues {
    fn set_field(&mut self, store: &str, product_id: i64, field: &str, value: Value) {
        self.values
            .entry((store.to_owned(), product_id))
            .or_default()
            .insert(field.to_owned(), value);
    }

    fn set_attribute(&mut self, store: &str, product_id: i64, code: &str, value: Value) {
        let scoped = self
            .values
            .entry((store.to_owned(), product_id))
            .or_default()
            .entry("custom_attributes")
            .or_insert_with(|| Value::Object(Map::new()));
        scoped[code] = value;
    }

    fn forget(&mut self, product_id: i64) {
        self.values.retain(|(_, id), _| *id != product_id);
    }

    /// The product as `store` sees it.
    fn apply(&self, store: &str, product: &mut Value) {
        let Some(id) = product["id"].as_i64() else {
            return;
        };
        let Some(scoped) = self.values.get(&(store.to_owned(), id)) else {
            return;
        };
        for (field, value) in scoped {
            if field == "custom_attributes" {
                for (code, value) in value.as_object().into_iter().flatten() {
                    set_custom_attribute(product, code, value.clone());
                }
            } else {
                product[field] = value.clone();
            }
        }
    }
}

fn now() -> String {
    magento_time(chrono::Utc::now())
}

/// `The "%1" attribute value is empty…`, how Magento's EAV validation names a missing
/// required attribute (by code for `sku`, by label for the others).
fn attribute_empty(name: &str) -> ApiError {
    ApiError::with_parameters(
        StatusCode::BAD_REQUEST,
        "The \"%1\" attribute value is empty. Set the attribute and try again.",
        json!([name]),
    )
}

fn bad_request(message: &str) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, message)
}

/// The position of the product with this SKU (as sent in the path, percent-encoded).
/// Magento matches SKUs case-insensitively.
fn product_index(products: &[Value], raw_sku: &str) -> Result<usize, ApiError> {
    sku_index(products, &raw_url_decode(raw_sku)).ok_or_else(product_not_found)
}

fn sku_index(products: &[Value], sku: &str) -> Option<usize> {
    products.iter().position(|p| {
        p["sku"]
            .as_str()
            .is_some_and(|s| s.eq_ignore_ascii_case(sku))
    })
}

fn custom_attribute<'a>(product: &'a Value, code: &str) -> Option<&'a Value> {
    product["custom_attributes"]
        .as_array()?
        .iter()
        .find(|a| a["attribute_code"] == code)
        .map(|a| &a["value"])
}

fn set_custom_attribute(product: &mut Value, code: &str, value: Value) {
    if !product["custom_attributes"].is_array() {
        product["custom_attributes"] = json!([]);
    }
    let Some(attributes) = product["custom_attributes"].as_array_mut() else {
        return;
    };
    match attributes.iter_mut().find(|a| a["attribute_code"] == code) {
        Some(existing) => existing["value"] = value,
        None => attributes.push(json!({ "attribute_code": code, "value": value })),
    }
}

/// The product as a single read renders it at `store`: with its current stock item and
/// that store view's own values.
pub(crate) fn product_view(shop: &Shop, raw_sku: &str, store: &str) -> Result<Value, ApiError> {
    let index = product_index(&shop.products, raw_sku)?;
    Ok(view_at(shop, index, store))
}

fn view_at(shop: &Shop, index: usize, store: &str) -> Value {
    let mut product = shop.products[index].clone();
    if let Some(stock) = shop
        .inventory
        .stock_items
        .iter()
        .find(|s| s.sku == product["sku"])
    {
        product["extension_attributes"]["stock_item"] = stock.item().into_owned();
    }
    if store != ALL_STORE_VIEWS {
        shop.store_view_values.apply(store, &mut product);
    }
    product
}

// ---- product save ----------------------------------------------------------------------

/// The typed top-level fields of a product input, cast as Magento's input processor does.
#[derive(Default)]
struct ProductFields {
    /// `(field, value)` for name, price, weight, status, visibility, type_id,
    /// attribute_set_id, in that order, as given.
    fields: Vec<(&'static str, Value)>,
    custom_attributes: Vec<(String, Value)>,
    extension: Map<String, Value>,
}

impl ProductFields {
    fn parse(input: &Value) -> Result<Self, ApiError> {
        let mut parsed = Self::default();
        let present = |name: &str| input.get(name).filter(|v| !v.is_null());
        if let Some(name) = present("name") {
            let text = name.as_str().ok_or_else(|| invalid_type(name, "string"))?;
            parsed.fields.push(("name", Value::String(text.to_owned())));
        }
        for field in ["price", "weight"] {
            if let Some(value) = present(field) {
                let number = number_input(value).ok_or_else(|| invalid_type(value, "float"))?;
                parsed.fields.push((field, number));
            }
        }
        for field in ["status", "visibility", "attribute_set_id"] {
            if let Some(value) = present(field) {
                let number = number_input(value)
                    .filter(Value::is_i64)
                    .ok_or_else(|| invalid_type(value, "int"))?;
                parsed.fields.push((field, number));
            }
        }
        if let Some(value) = present("type_id") {
            let text = value
                .as_str()
                .ok_or_else(|| invalid_type(value, "string"))?;
            parsed
                .fields
                .push(("type_id", Value::String(text.to_owned())));
        }
        for attribute in present("custom_attributes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(code) = attribute["attribute_code"].as_str() else {
                return Err(ApiError::required("attribute_code"));
            };
            parsed
                .custom_attributes
                .push((code.to_owned(), attribute["value"].clone()));
        }
        if let Some(extension) = present("extension_attributes").and_then(Value::as_object) {
            parsed.extension = extension.clone();
        }
        Ok(parsed)
    }

    fn get(&self, field: &str) -> Option<&Value> {
        self.fields
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, v)| v)
    }

    fn url_key(&self) -> Option<String> {
        self.custom_attributes
            .iter()
            .find(|(code, _)| code == "url_key")
            .and_then(|(_, v)| v.as_str())
            .map(str::to_owned)
    }
}

/// `POST products` (no `path_sku`) and `PUT products/{sku}`: Magento's product save,
/// which updates the product with that SKU or creates it. The answer is the saved
/// product as a read at `store` renders it.
pub(crate) fn save_product(
    shop: &mut Shop,
    seed: &Seed,
    msi: bool,
    store: &str,
    path_sku: Option<&str>,
    body: &[u8],
) -> Result<Value, ApiError> {
    let json = json_body(body)?;
    let input = json
        .get("product")
        .filter(|v| v.is_object())
        .ok_or_else(|| ApiError::required("product"))?;
    // The path names the product a PUT saves; the body's own `sku` does not rename it.
    let sku = match path_sku {
        Some(raw) => raw_url_decode(raw),
        None => input["sku"].as_str().unwrap_or_default().to_owned(),
    };
    let sku = sku.trim().to_owned();
    if sku.is_empty() {
        return Err(attribute_empty("sku"));
    }
    if sku.chars().count() > SKU_MAX_LENGTH {
        return Err(ApiError::with_parameters(
            StatusCode::BAD_REQUEST,
            "SKU length should be %1 characters maximum.",
            json!([SKU_MAX_LENGTH]),
        ));
    }
    let fields = ProductFields::parse(input)?;
    if let Some(set) = fields.get("attribute_set_id") {
        check_attribute_set(seed, set)?;
    }
    let index = match sku_index(&shop.products, &sku) {
        Some(index) => {
            update_product(shop, index, &fields, store)?;
            index
        }
        None => create_product(shop, msi, store, &sku, &fields)?,
    };
    Ok(view_at(shop, index, store))
}

fn check_attribute_set(seed: &Seed, set: &Value) -> Result<(), ApiError> {
    let is_product_set = seed
        .attribute_sets
        .iter()
        .any(|s| s["attribute_set_id"] == *set && s["entity_type_id"] == 4);
    if is_product_set {
        Ok(())
    } else {
        Err(ApiError::with_parameters(
            StatusCode::BAD_REQUEST,
            "Invalid product data: %1",
            json!(["Invalid attribute set entity type"]),
        ))
    }
}

/// The url key Magento derives from a name: lower case, runs of anything but letters
/// and digits as one `-`.
fn url_key_from(name: &str) -> String {
    let mut key = String::new();
    for c in name.trim().to_lowercase().chars() {
        if c.is_alphanumeric() {
            key.push(c);
        } else if !key.is_empty() && !key.ends_with('-') {
            key.push('-');
        }
    }
    key.trim_end_matches('-').to_owned()
}

/// Refuses a url key another product has, as Magento's URL rewrite check does.
fn check_url_key_free(shop: &Shop, url_key: &str, own_id: Option<i64>) -> Result<(), ApiError> {
    let taken = shop.products.iter().any(|p| {
        p["id"].as_i64() != own_id
            && custom_attribute(p, "url_key").and_then(Value::as_str) == Some(url_key)
    });
    if taken {
        Err(bad_request("URL key for specified store already exists."))
    } else {
        Ok(())
    }
}

fn create_product(
    shop: &mut Shop,
    msi: bool,
    store: &str,
    sku: &str,
    fields: &ProductFields,
) -> Result<usize, ApiError> {
    let name = fields
        .get("name")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| attribute_empty("Product Name"))?;
    // No price is demanded: Magento creates a product without one too (the request in
    // magento/inventory#2950 has none).
    let url_key = fields.url_key().unwrap_or_else(|| url_key_from(name));
    check_url_key_free(shop, &url_key, None)?;
    let id = shop
        .products
        .iter()
        .filter_map(|p| p["id"].as_i64())
        .max()
        .unwrap_or(0)
        + 1;
    let product = new_product(id, sku, name, &url_key, fields);
    if STOCK_TYPES.contains(&product["type_id"].as_str().unwrap_or_default()) {
        let (qty, in_stock) = requested_stock(&fields.extension);
        shop.inventory.stock_items.push(StockRow::new(
            Value::from(sku),
            product["extension_attributes"]["stock_item"].clone(),
        ));
        // MSI mirrors the legacy stock item into the default source.
        if msi {
            shop.inventory.source_items.push(json!({
                "sku": sku, "source_code": "default", "quantity": qty, "status": i64::from(in_stock),
            }));
        }
    }
    if store != ALL_STORE_VIEWS {
        keep_store_view_values(shop, store, id, fields);
    }
    shop.add_products([product]);
    Ok(shop.products.len() - 1)
}

/// A new product row with Magento's defaults for what `fields` leaves out: the default
/// attribute set, enabled, visible in catalog and search, simple, in the main website,
/// taxable goods.
fn new_product(id: i64, sku: &str, name: &str, url_key: &str, fields: &ProductFields) -> Value {
    let stamp = now();
    let type_id = fields.get("type_id").cloned().unwrap_or(json!("simple"));
    let carries_stock = STOCK_TYPES.contains(&type_id.as_str().unwrap_or_default());
    // A composite's own stock item is empty and in stock; its children carry the stock.
    let (qty, in_stock) = if carries_stock {
        requested_stock(&fields.extension)
    } else {
        (0.0, true)
    };
    let mut product = json!({
        "id": id,
        "sku": sku,
        "name": name,
        "attribute_set_id": fields.get("attribute_set_id").cloned().unwrap_or(json!(4)),
        "status": fields.get("status").cloned().unwrap_or(json!(1)),
        "visibility": fields.get("visibility").cloned().unwrap_or(json!(4)),
        "type_id": type_id,
        "created_at": stamp,
        "updated_at": stamp,
        "extension_attributes": {
            "website_ids": fields.extension.get("website_ids").cloned().unwrap_or(json!([1])),
            "category_links": fields.extension.get("category_links").cloned().unwrap_or(json!([])),
            "stock_item": stock_item(id, qty, in_stock),
        },
        "product_links": [],
        "options": [],
        "media_gallery_entries": [],
        "tier_prices": [],
        "custom_attributes": [
            {"attribute_code": "url_key", "value": url_key},
            {"attribute_code": "tax_class_id", "value": "2"},
        ],
    });
    for field in ["price", "weight"] {
        if let Some(value) = fields.get(field) {
            product[field] = value.clone();
        }
    }
    for key in ["configurable_product_options", "configurable_product_links"] {
        if let Some(value) = fields.extension.get(key) {
            product["extension_attributes"][key] = value.clone();
        }
    }
    for (code, value) in &fields.custom_attributes {
        if code != "url_key" {
            set_custom_attribute(&mut product, code, value.clone());
        }
    }
    product
}

/// Quantity and stock status of `extension_attributes.stock_item` on a create; a new
/// product without one has none in stock.
fn requested_stock(extension: &Map<String, Value>) -> (f64, bool) {
    let item = extension.get("stock_item");
    let qty = item
        .and_then(|i| i.get("qty"))
        .and_then(number_input)
        .and_then(|n| n.as_f64())
        .unwrap_or(0.0);
    let in_stock = item
        .and_then(|i| i.get("is_in_stock"))
        .and_then(flag_input)
        .unwrap_or(qty > 0.0);
    (qty, in_stock)
}

/// A new product's legacy stock item with the store's stock settings (`use_config_*` on).
fn stock_item(product_id: i64, qty: f64, in_stock: bool) -> Value {
    let qty = serde_json::Number::from_f64(qty).map_or(json!(0), Value::Number);
    json!({
        "item_id": product_id, "product_id": product_id, "stock_id": 1, "qty": qty,
        "is_in_stock": in_stock, "is_qty_decimal": false, "show_default_notification_message": false,
        "use_config_min_qty": true, "min_qty": 0, "use_config_min_sale_qty": 1, "min_sale_qty": 1,
        "use_config_max_sale_qty": true, "max_sale_qty": 10000, "use_config_backorders": true,
        "backorders": 0, "use_config_notify_stock_qty": true, "notify_stock_qty": 1,
        "use_config_qty_increments": true, "qty_increments": 0, "use_config_enable_qty_inc": true,
        "enable_qty_increments": false, "use_config_manage_stock": true, "manage_stock": true,
        "is_decimal_divided": false, "stock_status_changed_auto": 0,
    })
}

/// Records the store-view-scoped values of a write at `store` for that view.
fn keep_store_view_values(shop: &mut Shop, store: &str, id: i64, fields: &ProductFields) {
    for (field, value) in &fields.fields {
        if STORE_VIEW_FIELDS.contains(field) {
            shop.store_view_values
                .set_field(store, id, field, value.clone());
        }
    }
    for (code, value) in &fields.custom_attributes {
        if STORE_VIEW_ATTRIBUTES.contains(&code.as_str()) {
            shop.store_view_values
                .set_attribute(store, id, code, value.clone());
        }
    }
}

fn update_product(
    shop: &mut Shop,
    index: usize,
    fields: &ProductFields,
    store: &str,
) -> Result<(), ApiError> {
    if fields
        .get("name")
        .is_some_and(|n| n.as_str().is_none_or(|n| n.trim().is_empty()))
    {
        return Err(attribute_empty("Product Name"));
    }
    let id = shop.products[index]["id"].as_i64();
    if let Some(url_key) = fields.url_key() {
        check_url_key_free(shop, &url_key, id)?;
    }
    let at_store_view = store != ALL_STORE_VIEWS;
    if at_store_view && let Some(id) = id {
        keep_store_view_values(shop, store, id, fields);
    }
    let product = &mut shop.products[index];
    apply_fields(product, fields, at_store_view);
    product["updated_at"] = Value::String(now());
    let sku = product["sku"].clone();
    if let Some(requested) = fields
        .extension
        .get("stock_item")
        .and_then(Value::as_object)
    {
        update_stock(shop, &sku, requested);
    }
    Ok(())
}

/// Writes the values of `fields` into the product row, except the store-view-scoped
/// ones of a write at a store view (kept apart by [`keep_store_view_values`]).
fn apply_fields(product: &mut Value, fields: &ProductFields, at_store_view: bool) {
    for (field, value) in &fields.fields {
        if !(at_store_view && STORE_VIEW_FIELDS.contains(field)) {
            product[*field] = value.clone();
        }
    }
    for (code, value) in &fields.custom_attributes {
        if !(at_store_view && STORE_VIEW_ATTRIBUTES.contains(&code.as_str())) {
            set_custom_attribute(product, code, value.clone());
        }
    }
    for key in [
        "website_ids",
        "category_links",
        "configurable_product_options",
        "configurable_product_links",
    ] {
        if let Some(value) = fields.extension.get(key) {
            product["extension_attributes"][key] = value.clone();
        }
    }
}

/// Applies `qty` and `is_in_stock` of a saved product's `stock_item` to its stock item.
fn update_stock(shop: &mut Shop, sku: &Value, requested: &Map<String, Value>) {
    let Some(stock) = shop
        .inventory
        .stock_items
        .iter_mut()
        .find(|s| s.sku == *sku)
    else {
        return;
    };
    if let Some(qty) = requested.get("qty").and_then(number_input) {
        stock.item_mut()["qty"] = qty;
    }
    if let Some(in_stock) = requested.get("is_in_stock").and_then(flag_input) {
        stock.item_mut()["is_in_stock"] = Value::Bool(in_stock);
    }
}

/// `DELETE products/{sku}`: the product goes, with its stock, its store-view values and
/// its place among any configurable's children.
pub(crate) fn delete_product(shop: &mut Shop, raw_sku: &str) -> Result<Value, ApiError> {
    let index = product_index(&shop.products, raw_sku)?;
    let product = shop.products.remove(index);
    let sku = &product["sku"];
    shop.inventory.stock_items.retain(|s| s.sku != *sku);
    shop.inventory.source_items.retain(|s| s["sku"] != *sku);
    if let Some(id) = product["id"].as_i64() {
        shop.store_view_values.forget(id);
        for parent in &mut shop.products {
            if let Some(links) =
                parent["extension_attributes"]["configurable_product_links"].as_array_mut()
            {
                links.retain(|link| link.as_i64() != Some(id));
            }
        }
    }
    Ok(Value::Bool(true))
}

// ---- configurable products -------------------------------------------------------------

/// The configurable with this SKU; Magento's option service refuses other types.
fn configurable_index(shop: &Shop, raw_sku: &str) -> Result<usize, ApiError> {
    let index = product_index(&shop.products, raw_sku)?;
    if shop.products[index]["type_id"] == "configurable" {
        Ok(index)
    } else {
        Err(ApiError::with_parameters(
            StatusCode::BAD_REQUEST,
            "This is implemented for the \"%1\" configurable product only.",
            json!([raw_url_decode(raw_sku)]),
        ))
    }
}

fn options_of(product: &Value) -> Vec<Value> {
    product["extension_attributes"]["configurable_product_options"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn links_of(product: &Value) -> Vec<i64> {
    product["extension_attributes"]["configurable_product_links"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_i64)
        .collect()
}

/// `GET configurable-products/{sku}/options/all`.
pub(crate) fn configurable_options(shop: &Shop, raw_sku: &str) -> Result<Value, ApiError> {
    let index = configurable_index(shop, raw_sku)?;
    Ok(Value::from(options_of(&shop.products[index])))
}

/// An option's attribute id as Magento casts it: a number or numeric string.
fn attribute_id_of(option: &Value) -> Option<i64> {
    match &option["attribute_id"] {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `POST configurable-products/{sku}/options`: adds a super attribute; the answer is the
/// new option id, rendered as a string like Magento's integer results.
pub(crate) fn add_configurable_option(
    shop: &mut Shop,
    raw_sku: &str,
    body: &[u8],
) -> Result<Value, ApiError> {
    let index = configurable_index(shop, raw_sku)?;
    let json = json_body(body)?;
    let option = json
        .get("option")
        .filter(|v| v.is_object())
        .ok_or_else(|| ApiError::required("option"))?;
    let (attribute_id, label, value_indexes) = parse_option(option)?;
    let product = &shop.products[index];
    if options_of(product)
        .iter()
        .any(|o| attribute_id_of(o) == Some(attribute_id))
    {
        return Err(bad_request("Something went wrong while saving option."));
    }
    let option_id = shop
        .products
        .iter()
        .flat_map(options_of)
        .filter_map(|o| o["id"].as_i64())
        .max()
        .unwrap_or(0)
        + 1;
    let position = option
        .get("position")
        .and_then(number_input)
        .unwrap_or(json!(0));
    let mut stored = json!({
        "id": option_id, "attribute_id": attribute_id.to_string(), "label": label,
        "position": position, "values": value_indexes, "product_id": product["id"],
    });
    if let Some(flag) = option.get("is_use_default").and_then(flag_input) {
        stored["is_use_default"] = Value::Bool(flag);
    }
    let product = &mut shop.products[index];
    push_to(
        &mut product["extension_attributes"],
        "configurable_product_options",
        stored,
    );
    product["updated_at"] = Value::String(now());
    Ok(Value::String(option_id.to_string()))
}

/// Attribute id, label and `values` of a new option, checked as Magento's option
/// repository does.
fn parse_option(option: &Value) -> Result<(i64, &str, Vec<Value>), ApiError> {
    let attribute_id = attribute_id_of(option)
        .ok_or_else(|| bad_request("Option attribute ID is not specified."))?;
    let label = option["label"]
        .as_str()
        .filter(|l| !l.trim().is_empty())
        .ok_or_else(|| bad_request("Option label is not specified."))?;
    let values = option["values"]
        .as_array()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| bad_request("Option values are not specified."))?;
    let mut value_indexes = Vec::with_capacity(values.len());
    for value in values {
        let index = value
            .get("value_index")
            .and_then(number_input)
            .and_then(|n| n.as_i64())
            .ok_or_else(|| bad_request("Value index is not specified for an option."))?;
        value_indexes.push(json!({ "value_index": index }));
    }
    Ok((attribute_id, label, value_indexes))
}

/// Appends to the list `key` of `object`, making the list when absent.
fn push_to(object: &mut Value, key: &str, value: Value) {
    if !object[key].is_array() {
        object[key] = json!([]);
    }
    if let Some(list) = object[key].as_array_mut() {
        list.push(value);
    }
}

/// `POST configurable-products/{sku}/child`: links a child, as Magento's link management
/// does: refused when linked already, when the parent has no options, or when the child
/// lacks a value for one of them. Each option's values then cover the child's value:
/// Magento reads a configurable's option values from its linked children.
pub(crate) fn add_configurable_child(
    shop: &mut Shop,
    raw_sku: &str,
    body: &[u8],
) -> Result<Value, ApiError> {
    let parent_index = product_index(&shop.products, raw_sku)?;
    let json = json_body(body)?;
    let child_sku = json
        .get("childSku")
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| ApiError::required("childSku"))?;
    let child_index = sku_index(&shop.products, child_sku).ok_or_else(product_not_found)?;
    let parent = &shop.products[parent_index];
    let child = &shop.products[child_index];
    let child_id = child["id"].as_i64().ok_or_else(ApiError::internal)?;
    if links_of(parent).contains(&child_id) {
        return Err(bad_request("The product is already attached."));
    }
    let options = options_of(parent);
    if options.is_empty() {
        return Err(bad_request(
            "The parent product doesn't have configurable product options.",
        ));
    }
    for option in &options {
        let Some((_, code)) = SUPER_ATTRIBUTES
            .iter()
            .find(|(id, _)| Some(*id) == attribute_id_of(option))
        else {
            continue;
        };
        let has_value = custom_attribute(child, code)
            .is_some_and(|v| v.as_str().is_some_and(|s| !s.is_empty()) || v.is_number());
        if !has_value {
            return Err(ApiError::with_parameters(
                StatusCode::BAD_REQUEST,
                "The child product doesn't have the \"%1\" attribute value. Verify the value and try again.",
                json!([code]),
            ));
        }
    }
    let child_values: Vec<(i64, i64)> = SUPER_ATTRIBUTES
        .iter()
        .filter_map(|(id, code)| Some((*id, value_index_of(custom_attribute(child, code)?)?)))
        .collect();
    let parent = &mut shop.products[parent_index];
    push_to(
        &mut parent["extension_attributes"],
        "configurable_product_links",
        json!(child_id),
    );
    if let Some(options) =
        parent["extension_attributes"]["configurable_product_options"].as_array_mut()
    {
        for option in options {
            let Some((_, value)) = child_values
                .iter()
                .find(|(id, _)| Some(*id) == attribute_id_of(option))
            else {
                continue;
            };
            let covered = option["values"].as_array().is_some_and(|values| {
                values
                    .iter()
                    .any(|v| value_index_of(&v["value_index"]) == Some(*value))
            });
            if !covered {
                push_to(option, "values", json!({ "value_index": value }));
            }
        }
    }
    parent["updated_at"] = Value::String(now());
    Ok(Value::Bool(true))
}

/// A select attribute's value or an option's `value_index`: an option id, as a number or
/// a numeric string.
fn value_index_of(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `DELETE configurable-products/{sku}/children/{childSku}`.
pub(crate) fn remove_configurable_child(
    shop: &mut Shop,
    raw_sku: &str,
    raw_child_sku: &str,
) -> Result<Value, ApiError> {
    let parent_index = product_index(&shop.products, raw_sku)?;
    if shop.products[parent_index]["type_id"] != "configurable" {
        return Err(ApiError::with_parameters(
            StatusCode::BAD_REQUEST,
            "The product with the \"%1\" SKU isn't a configurable product.",
            json!([raw_url_decode(raw_sku)]),
        ));
    }
    let child_sku = raw_url_decode(raw_child_sku);
    let child_id = links_of(&shop.products[parent_index])
        .into_iter()
        .find(|id| {
            shop.products
                .iter()
                .any(|p| p["id"] == *id && p["sku"] == child_sku.as_str())
        })
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "The option that was requested doesn't exist. Verify the entity and try again.",
            )
        })?;
    let parent = &mut shop.products[parent_index];
    if let Some(links) = parent["extension_attributes"]["configurable_product_links"].as_array_mut()
    {
        links.retain(|link| link.as_i64() != Some(child_id));
    }
    parent["updated_at"] = Value::String(now());
    Ok(Value::Bool(true))
}

// ---- media gallery ---------------------------------------------------------------------

/// `GET products/{sku}/media`.
pub(crate) fn media_entries(shop: &Shop, raw_sku: &str) -> Result<Value, ApiError> {
    let index = product_index(&shop.products, raw_sku)?;
    Ok(shop.products[index]["media_gallery_entries"]
        .as_array()
        .cloned()
        .map_or_else(|| json!([]), Value::from))
}

const IMAGE_CONTENT_INVALID: &str =
    "The image content is invalid. Verify the content and try again.";
const NOT_BASE64: &str = "The image content must be valid base64 encoded data.";
const MIME_INVALID: &str = "The image MIME type is not valid or not supported.";
const NAME_INVALID: &str = "Provided image name contains forbidden characters.";

/// The MIME type of the image these bytes start with, as PHP's `getimagesizefromstring`
/// recognises the formats Magento accepts.
fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else {
        None
    }
}

/// Strict base64 (standard alphabet, padding optional), as PHP's `base64_decode($s, true)`.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    };
    let data: Vec<u8> = text
        .trim_end_matches('=')
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let mut out = Vec::with_capacity(data.len() * 3 / 4);
    for chunk in data.chunks(4) {
        if chunk.len() == 1 {
            return None;
        }
        let mut bits = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            bits |= value(*c)? << (18 - 6 * i);
        }
        let bytes = bits.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

/// The image, validated as Magento's image content validator does: its name, MIME type
/// and bytes.
fn image_content(content: &Value) -> Result<(String, &'static str, Vec<u8>), ApiError> {
    let data = content["base64_encoded_data"]
        .as_str()
        .and_then(decode_base64)
        .filter(|d| !d.is_empty())
        .ok_or_else(|| bad_request(NOT_BASE64))?;
    let sniffed = sniff_image(&data).ok_or_else(|| bad_request(NOT_BASE64))?;
    if content["type"].as_str() != Some(sniffed) {
        return Err(bad_request(MIME_INVALID));
    }
    let name = content["name"].as_str().unwrap_or_default();
    let forbidden = |c: char| "/?*:\";<>()|{}\\".contains(c);
    if name.is_empty() || name.contains(forbidden) {
        return Err(bad_request(NAME_INVALID));
    }
    Ok((name.to_owned(), sniffed, data))
}

/// The name Magento's uploader stores: characters outside `[A-Za-z0-9_.-]` as `_`, the
/// MIME type's extension when the name has none.
fn corrected_file_name(name: &str, mime: &str) -> String {
    let mut corrected: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !corrected.contains('.') {
        corrected.push_str(match mime {
            "image/png" => ".png",
            "image/gif" => ".gif",
            _ => ".jpg",
        });
    }
    corrected
}

/// `/a/b/ab-name.jpg`: the first two characters of the name as directories (a `.` as
/// `_`), and `_1`, `_2`… before the extension while the path is taken.
fn stored_file_path(name: &str, taken: &[String]) -> String {
    let dispersion: String = name
        .chars()
        .take(2)
        .map(|c| {
            let c = if c == '.' {
                '_'
            } else {
                c.to_ascii_lowercase()
            };
            format!("/{c}")
        })
        .collect();
    let (stem, extension) = name.rsplit_once('.').unwrap_or((name, ""));
    let is_taken = |path: &str| taken.iter().any(|t| t.eq_ignore_ascii_case(path));
    let mut path = format!("{dispersion}/{name}");
    let mut suffix = 0;
    while is_taken(&path) {
        suffix += 1;
        path = format!("{dispersion}/{stem}_{suffix}.{extension}");
    }
    path
}

/// `POST products/{sku}/media`: stores the image under a derived file name, gives it the
/// roles it asks for (taking them from the product's other images) and answers the new
/// entry id as a string.
pub(crate) fn add_media_entry(
    shop: &mut Shop,
    raw_sku: &str,
    body: &[u8],
) -> Result<Value, ApiError> {
    let index = product_index(&shop.products, raw_sku)?;
    let json = json_body(body)?;
    let entry = json
        .get("entry")
        .filter(|v| v.is_object())
        .ok_or_else(|| ApiError::required("entry"))?;
    let content = entry
        .get("content")
        .filter(|v| v.is_object())
        .ok_or_else(|| bad_request(IMAGE_CONTENT_INVALID))?;
    let (name, mime, data) = image_content(content)?;
    let types: Vec<String> = entry["types"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t.as_str().map(str::to_owned))
        .collect();
    let every_entry = || {
        shop.products.iter().flat_map(|p| {
            p["media_gallery_entries"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
    };
    // A file already in the media folder is taken too, as on disk.
    let taken: Vec<String> = every_entry()
        .filter_map(|e| e["file"].as_str().map(str::to_owned))
        .chain(shop.media.keys().cloned())
        .collect();
    let id = every_entry()
        .filter_map(|e| e["id"].as_i64())
        .max()
        .unwrap_or(0)
        + 1;
    let file = stored_file_path(&corrected_file_name(&name, mime), &taken);
    let stored = json!({
        "id": id,
        "media_type": "image",
        "label": entry["label"].as_str().unwrap_or_default(),
        "position": entry.get("position").and_then(number_input).unwrap_or(json!(0)),
        "disabled": entry.get("disabled").and_then(flag_input).unwrap_or(false),
        "types": types,
        "file": file,
    });
    let product = &mut shop.products[index];
    take_roles(product, &types, &file);
    push_to(product, "media_gallery_entries", stored);
    product["updated_at"] = Value::String(now());
    let sku = product["sku"].as_str().map(str::to_owned);
    shop.media.insert(
        file,
        crate::media::StoredImage {
            mime_type: mime,
            data,
            sku,
        },
    );
    Ok(Value::String(id.to_string()))
}

/// Gives the image `file` the `roles`: a role belongs to one image of a product, so the
/// other entries lose it, and the role's attribute (`image`, `thumbnail`…) names the file.
fn take_roles(product: &mut Value, roles: &[String], file: &str) {
    for other in product["media_gallery_entries"]
        .as_array_mut()
        .into_iter()
        .flatten()
    {
        if let Some(types) = other["types"].as_array_mut() {
            types.retain(|t| t.as_str().is_none_or(|t| !roles.iter().any(|r| r == t)));
        }
    }
    for role in roles {
        set_custom_attribute(product, role, Value::String(file.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_keys_are_derived_from_names_in_lower_case_with_single_dashes() {
        assert_eq!(url_key_from("Helios Tee (Sand) -- S"), "helios-tee-sand-s");
        assert_eq!(url_key_from("  Mug 11oz/BLK "), "mug-11oz-blk");
    }

    #[test]
    fn base64_decodes_strictly() {
        assert_eq!(decode_base64("/9j/"), Some(vec![0xff, 0xd8, 0xff]));
        assert_eq!(decode_base64("aGk="), Some(b"hi".to_vec()));
        assert_eq!(decode_base64("a!=="), None);
        assert_eq!(decode_base64("a"), None);
    }

    #[test]
    fn stored_file_names_disperse_by_their_first_letters_and_avoid_clashes() {
        let taken = vec!["/t/e/tee.jpg".to_owned(), "/t/e/tee_1.jpg".to_owned()];
        assert_eq!(stored_file_path("tee.jpg", &taken), "/t/e/tee_2.jpg");
        assert_eq!(stored_file_path("Back.png", &[]), "/b/a/Back.png");
        assert_eq!(stored_file_path(".x.gif", &[]), "/_/x/.x.gif");
        assert_eq!(corrected_file_name("my photo", "image/png"), "my_photo.png");
    }

    #[test]
    fn images_are_recognised_by_their_first_bytes() {
        assert_eq!(sniff_image(&[0xff, 0xd8, 0xff, 0xe0]), Some("image/jpeg"));
        assert_eq!(sniff_image(b"GIF89a..."), Some("image/gif"));
        assert_eq!(sniff_image(b"hello"), None);
    }

    #[test]
    fn a_linked_childs_values_join_the_configurables_option_values() {
        let mut seed = crate::seed::seed("http://sandbox.test", chrono::Utc::now());
        let mut shop = Shop::from_seed(&mut seed);
        shop.add_products([json!({
            "id": 900, "sku": "HT-TEE-L-Slate", "type_id": "simple",
            "custom_attributes": [
                {"attribute_code": "color", "value": "61"},
                {"attribute_code": "size", "value": "169"},
            ],
        })]);
        add_configurable_child(&mut shop, "HT-TEE", br#"{"childSku": "HT-TEE-L-Slate"}"#)
            .expect("linked");
        let options = configurable_options(&shop, "HT-TEE").expect("options");
        let values = |attribute: &str| -> Vec<Value> {
            options
                .as_array()
                .into_iter()
                .flatten()
                .find(|o| o["attribute_id"] == attribute)
                .map(|o| o["values"].as_array().cloned().unwrap_or_default())
                .unwrap_or_default()
        };
        assert_eq!(
            values("144"),
            [
                json!({"value_index": 167}),
                json!({"value_index": 168}),
                json!({"value_index": 169})
            ]
        );
        assert_eq!(
            values("93"),
            [json!({"value_index": 58}), json!({"value_index": 61})],
            "a value it had already is not repeated"
        );
    }

    #[test]
    fn store_view_values_apply_only_to_their_view() {
        let mut values = StoreViewValues::default();
        values.set_field("fr", 7, "name", json!("T-shirt"));
        values.set_attribute("fr", 7, "url_key", json!("t-shirt"));
        let mut product = json!({"id": 7, "name": "Tee", "custom_attributes": [
            {"attribute_code": "url_key", "value": "tee"}]});
        let mut default_view = product.clone();
        values.apply("default", &mut default_view);
        assert_eq!(default_view["name"], "Tee");
        values.apply("fr", &mut product);
        assert_eq!(product["name"], "T-shirt");
        assert_eq!(
            custom_attribute(&product, "url_key"),
            Some(&json!("t-shirt"))
        );
        values.forget(7);
        let mut again = json!({"id": 7, "name": "Tee"});
        values.apply("fr", &mut again);
        assert_eq!(again["name"], "Tee");
    }
}
