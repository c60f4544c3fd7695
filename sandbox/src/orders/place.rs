//! Placing an order: cart lines resolved to Magento's order rows (configurable and bundle
//! lines as a parent row plus child rows), priced (coupon, tax, shipping, currency),
//! stock checked against MSI's salable quantity and reserved.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::{Decimal, dec};
use serde_json::{Value, json};

use super::book::{SalesEvent, max_id};
use super::money::{convert, dec as dec_of, money, number, round};
use super::state::{add_history, bad_request, finish};
use super::stock::{check_salable, custom_attribute};
use super::{AddressInput, OrderLine, PlaceOrder};
use crate::response::ApiError;
use crate::seed::magento_time;
use crate::shop::Shop;

/// A cart rule the sandbox knows: code, rule id, percent off each row or a fixed amount
/// off the cart.
struct Coupon {
    code: &'static str,
    rule_id: i64,
    percent: Option<Decimal>,
    fixed: Option<Decimal>,
}

const COUPONS: [Coupon; 2] = [
    Coupon {
        code: "SAVE10",
        rule_id: 2,
        percent: Some(dec!(10)),
        fixed: None,
    },
    Coupon {
        code: "TAKE5",
        rule_id: 3,
        percent: None,
        fixed: Some(dec!(5)),
    },
];

/// `(code, base_to_order_rate)` of the currencies the sandbox converts to from USD.
const RATES: [(&str, Decimal); 4] = [
    ("USD", dec!(1)),
    ("EUR", dec!(0.92)),
    ("GBP", dec!(0.79)),
    ("CAD", dec!(1.36)),
];

/// A US region the sandbox knows; `tax` is the seeded rate (code, percent), none elsewhere.
struct Region {
    code: &'static str,
    name: &'static str,
    id: i64,
    tax: Option<(&'static str, Decimal)>,
}

const fn region(
    code: &'static str,
    name: &'static str,
    id: i64,
    tax: Option<(&'static str, Decimal)>,
) -> Region {
    Region {
        code,
        name,
        id,
        tax,
    }
}

const REGIONS: [Region; 6] = [
    region("CA", "California", 12, Some(("US-CA-*-Rate 1", dec!(8.25)))),
    region("NY", "New York", 43, Some(("US-NY-*-Rate 1", dec!(8.375)))),
    region("MI", "Michigan", 33, None),
    region("OR", "Oregon", 49, None),
    region("WA", "Washington", 62, None),
    region("TX", "Texas", 57, None),
];

const PAYMENTS: [(&str, &str); 5] = [
    ("checkmo", "Check / Money order"),
    ("banktransfer", "Bank Transfer Payment"),
    ("cashondelivery", "Cash On Delivery"),
    ("purchaseorder", "Purchase Order"),
    ("free", "No Payment Information Required"),
];

/// `(method, description, per-unit rate)`.
const SHIPPING: [(&str, &str, Decimal); 2] = [
    ("flatrate_flatrate", "Flat Rate - Fixed", dec!(5)),
    ("freeshipping_freeshipping", "Free Shipping - Free", dec!(0)),
];

/// What `edit` changes about a placement: the increment id and the link to the original.
pub(crate) struct Relation {
    pub increment_id: String,
    pub original_increment_id: String,
    pub edit_increment: i64,
    pub parent_id: i64,
    pub parent_real_id: String,
}

/// One order row before rendering: prices in the base currency.
struct Row {
    product_id: Value,
    product_type: String,
    sku: String,
    name: String,
    qty: Decimal,
    base_price: Decimal,
    weight: Decimal,
    taxable: bool,
    is_virtual: bool,
    /// Index of the parent in the row list.
    parent: Option<usize>,
    product_option: Option<Value>,
    /// Filled by pricing (top-level rows only).
    base_discount: Decimal,
    base_tax: Decimal,
}

struct Customer {
    id: Option<i64>,
    group_id: i64,
    email: String,
    firstname: String,
    lastname: String,
    address: Value,
}

/// See [`super::place`]'s documentation in `mod.rs`.
pub(crate) fn place(
    shop: &mut Shop,
    order: &PlaceOrder,
    now: DateTime<Utc>,
) -> Result<i64, ApiError> {
    place_with(shop, order, now, None)
}

pub(crate) fn place_with(
    shop: &mut Shop,
    input: &PlaceOrder,
    now: DateTime<Utc>,
    relation: Option<Relation>,
) -> Result<i64, ApiError> {
    if input.items.is_empty() {
        return Err(bad_request(
            "The order has no items. Add items and try again.",
        ));
    }
    let (store_id, store_name) = store(input.store.as_deref())?;
    let (currency, rate) = currency(input.currency.as_deref(), input.rate)?;
    let (method, description, per_unit) = shipping_method(input.shipping_method.as_deref())?;
    let (payment_code, payment_title) = payment(input.payment_method.as_deref())?;
    let coupon = coupon(input.coupon_code.as_deref())?;
    let customer = customer(shop, input)?;
    let address = address(&customer.address, input.address.as_ref());
    let tax_rate = REGIONS
        .iter()
        .find(|r| address["region_code"] == r.code && address["country_id"] == "US")
        .and_then(|r| r.tax);

    let mut rows = Vec::new();
    for line in &input.items {
        resolve_line(shop, line, &mut rows)?;
    }
    let wanted: Vec<(String, Decimal)> = rows
        .iter()
        .filter(|r| is_stock_type(&r.product_type))
        .map(|r| (r.sku.clone(), r.qty))
        .collect();
    check_salable(shop, &wanted)?;
    price(&mut rows, coupon, tax_rate);

    let entity_id = shop
        .orders
        .last()
        .and_then(|o| o["entity_id"].as_i64())
        .unwrap_or(0)
        + 1;
    let increment_id = match &relation {
        Some(r) => r.increment_id.clone(),
        None => {
            let orders = &shop.orders;
            let n = shop.book.increment.next(|| max_increment(orders));
            format!("{n:09}")
        }
    };
    let orders = &shop.orders;
    let first_item_id = shop.book.order_item.next_block(rows.len() as i64, || {
        max_id(orders, Some("items"), "item_id")
    });
    let time = magento_time(now);
    let is_virtual = rows
        .iter()
        .filter(|r| r.parent.is_none())
        .all(|r| r.is_virtual);
    let shipped_units: Decimal = rows
        .iter()
        .filter(|r| r.parent.is_none() && !r.is_virtual)
        .map(|r| r.qty)
        .sum();
    let base_shipping = if is_virtual {
        Decimal::ZERO
    } else {
        round(per_unit * shipped_units)
    };
    let context = Context {
        entity_id,
        first_item_id,
        store_id,
        rate,
        time: &time,
        coupon,
        tax_percent: tax_rate.map(|r| r.1),
    };
    let items = render_rows(&rows, &context);
    let mut order = render_order(
        &rows,
        &items,
        &context,
        OrderParts {
            increment_id: &increment_id,
            store_name,
            currency,
            customer: &customer,
            address: &address,
            shipping: (method, description, base_shipping, is_virtual),
            payment: (payment_code, payment_title),
            tax_rate,
        },
    );
    if let Some(relation) = &relation {
        order["relation_parent_id"] = json!(relation.parent_id.to_string());
        order["relation_parent_real_id"] = json!(relation.parent_real_id);
        order["original_increment_id"] = json!(relation.original_increment_id);
        order["edit_increment"] = json!(relation.edit_increment);
    }
    super::state::refresh_copies(&mut order);
    shop.orders.push(order);
    for row in rows.iter().filter(|r| is_stock_type(&r.product_type)) {
        shop.reservations.append(
            &row.sku,
            -row.qty,
            SalesEvent::OrderPlaced,
            entity_id,
            &increment_id,
        );
    }
    let index = shop.orders.len() - 1;
    if input.paid {
        super::documents::invoice_all_paid(shop, index, now)?;
        let total = shop.orders[index]["grand_total"].clone();
        add_history(
            shop,
            index,
            &format!(
                "Captured amount of {} online.",
                amount_text(currency, &total)
            ),
            false,
            false,
            now,
        );
    }
    finish(shop, index, "order.created", now);
    Ok(entity_id)
}

fn is_stock_type(product_type: &str) -> bool {
    matches!(product_type, "simple" | "virtual")
}

fn amount_text(currency: &str, amount: &Value) -> String {
    let value = dec_of(amount);
    match currency {
        "USD" => format!("${value:.2}"),
        "EUR" => format!("€{value:.2}"),
        "GBP" => format!("£{value:.2}"),
        other => format!("{other} {value:.2}"),
    }
}

fn max_increment(orders: &[Value]) -> i64 {
    orders
        .iter()
        .filter_map(|o| o["increment_id"].as_str())
        .filter_map(|s| s.split('-').next()?.parse::<i64>().ok())
        .max()
        .unwrap_or(0)
}

fn store(code: Option<&str>) -> Result<(i64, &'static str), ApiError> {
    match code.unwrap_or("default") {
        "default" => Ok((1, "Main Website\nMain Website Store\nDefault Store View")),
        "fr" => Ok((2, "Main Website\nMain Website Store\nFrench Store View")),
        _ => Err(bad_request(
            "The store that was requested wasn't found. Verify the store and try again.",
        )),
    }
}

fn currency(
    code: Option<&str>,
    rate: Option<Decimal>,
) -> Result<(&'static str, Decimal), ApiError> {
    let code = code.unwrap_or("USD");
    let known = RATES
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(code))
        .ok_or_else(|| {
            bad_request(&format!(
                "The currency {code} is not allowed in this store."
            ))
        })?;
    let rate = rate.unwrap_or(known.1);
    if rate <= Decimal::ZERO {
        return Err(bad_request("The currency rate must be positive."));
    }
    Ok((known.0, rate))
}

fn shipping_method(code: Option<&str>) -> Result<(&'static str, &'static str, Decimal), ApiError> {
    let code = code.unwrap_or("flatrate_flatrate");
    SHIPPING
        .iter()
        .find(|s| s.0 == code)
        .copied()
        .ok_or_else(|| bad_request(&format!("Carrier with such method not found: {code}")))
}

fn payment(code: Option<&str>) -> Result<(&'static str, &'static str), ApiError> {
    let code = code.unwrap_or("checkmo");
    PAYMENTS
        .iter()
        .find(|p| p.0 == code)
        .copied()
        .ok_or_else(|| bad_request("The requested Payment Method is not available."))
}

fn coupon(code: Option<&str>) -> Result<Option<&'static Coupon>, ApiError> {
    let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    COUPONS
        .iter()
        .find(|c| c.code.eq_ignore_ascii_case(code))
        .map(Some)
        .ok_or_else(|| {
            ApiError::with_parameters(
                actix_web::http::StatusCode::BAD_REQUEST,
                "The coupon code \"%1\" is not valid.",
                json!([code]),
            )
        })
}

/// The Michigan address of the seeded guest orders.
fn default_address() -> Value {
    json!({
        "firstname": "Guest", "lastname": "Shopper", "street": ["6146 Honey Bluff Parkway"],
        "city": "Calder", "region": "Michigan", "region_code": "MI", "region_id": 33,
        "postcode": "49628-7978", "country_id": "US", "telephone": "(555) 229-3326",
    })
}

fn customer(shop: &Shop, input: &PlaceOrder) -> Result<Customer, ApiError> {
    let Some(id) = input.customer_id else {
        let guest = input.guest.clone().unwrap_or_default();
        let email = if guest.email.trim().is_empty() {
            "guest@example.com".to_owned()
        } else {
            guest.email
        };
        let address = default_address();
        return Ok(Customer {
            id: None,
            group_id: 0,
            email,
            firstname: guest.firstname.unwrap_or_else(|| "Guest".to_owned()),
            lastname: guest.lastname.unwrap_or_else(|| "Shopper".to_owned()),
            address,
        });
    };
    let guess = usize::try_from(id - 1)
        .ok()
        .and_then(|i| shop.customers.get(i))
        .filter(|c| c["id"] == id);
    let row = guess
        .or_else(|| shop.customers.iter().find(|c| c["id"] == id))
        .ok_or_else(|| {
            ApiError::with_parameters(
                actix_web::http::StatusCode::NOT_FOUND,
                "No such entity with %fieldName = %fieldValue",
                json!({ "fieldName": "customerId", "fieldValue": id }),
            )
        })?;
    let shipping_id = row["default_shipping"]
        .as_str()
        .and_then(|s| s.parse::<i64>().ok());
    let address = row["addresses"]
        .as_array()
        .and_then(|list| {
            list.iter()
                .find(|a| Some(a["id"].as_i64().unwrap_or_default()) == shipping_id)
                .or_else(|| list.first())
        })
        .map(|a| {
            json!({
                "customer_address_id": a["id"], "firstname": a["firstname"], "lastname": a["lastname"],
                "street": a["street"], "city": a["city"], "region": a["region"]["region"],
                "region_code": a["region"]["region_code"], "region_id": a["region_id"],
                "postcode": a["postcode"], "country_id": a["country_id"], "telephone": a["telephone"],
            })
        })
        .unwrap_or_else(default_address);
    Ok(Customer {
        id: Some(id),
        group_id: row["group_id"].as_i64().unwrap_or(1),
        email: row["email"].as_str().unwrap_or_default().to_owned(),
        firstname: row["firstname"].as_str().unwrap_or_default().to_owned(),
        lastname: row["lastname"].as_str().unwrap_or_default().to_owned(),
        address,
    })
}

/// The order address: the customer's (or guest default), overridden field by field.
fn address(base: &Value, input: Option<&AddressInput>) -> Value {
    let mut address = base.clone();
    let Some(input) = input else {
        return address;
    };
    let mut set = |field: &str, value: &Option<String>| {
        if let Some(v) = value {
            address[field] = json!(v);
        }
    };
    set("firstname", &input.firstname);
    set("lastname", &input.lastname);
    set("city", &input.city);
    set("postcode", &input.postcode);
    set("country_id", &input.country_id);
    set("telephone", &input.telephone);
    if let Some(street) = &input.street {
        address["street"] = json!(street);
    }
    if let Some(code) = &input.region_code {
        let known = REGIONS.iter().find(|r| r.code.eq_ignore_ascii_case(code));
        address["region_code"] = json!(known.map_or(code.as_str(), |r| r.code));
        address["region"] = json!(known.map_or(code.as_str(), |r| r.name));
        address["region_id"] = json!(known.map_or(0, |r| r.id));
        if input.country_id.is_none() {
            address["country_id"] = json!("US");
        }
    }
    address
}

fn product_not_found() -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::NOT_FOUND,
        "The product that was requested doesn't exist. Verify the product and try again.",
    )
}

fn not_available() -> ApiError {
    bad_request("Product that you are trying to add is not available.")
}

/// The catalogue row of a SKU (a clone: the rows built from it outlive the borrow).
fn product(shop: &mut Shop, sku: &str) -> Result<Value, ApiError> {
    let index = shop
        .book
        .product(&shop.products, sku)
        .ok_or_else(product_not_found)?;
    let row = shop.products[index].clone();
    if row["status"] == 2 {
        return Err(not_available());
    }
    Ok(row)
}

/// The price a shopper pays: `special_price` when set, else `price`.
fn final_price(product: &Value) -> Decimal {
    custom_attribute(product, "special_price")
        .map(|v| dec_of(&json!(v)))
        .filter(|p| *p > Decimal::ZERO)
        .unwrap_or_else(|| dec_of(&product["price"]))
}

fn simple_row(product: &Value, qty: Decimal, parent: Option<usize>) -> Row {
    let product_type = product["type_id"].as_str().unwrap_or("simple").to_owned();
    Row {
        product_id: product["id"].clone(),
        is_virtual: product_type == "virtual",
        product_type,
        sku: product["sku"].as_str().unwrap_or_default().to_owned(),
        name: product["name"].as_str().unwrap_or_default().to_owned(),
        qty,
        base_price: if parent.is_some() {
            Decimal::ZERO
        } else {
            final_price(product)
        },
        weight: dec_of(&product["weight"]),
        taxable: custom_attribute(product, "tax_class_id").is_none_or(|c| c != "0"),
        parent,
        product_option: None,
        base_discount: Decimal::ZERO,
        base_tax: Decimal::ZERO,
    }
}

/// Appends the rows of one cart line.
fn resolve_line(shop: &mut Shop, line: &OrderLine, rows: &mut Vec<Row>) -> Result<(), ApiError> {
    if line.qty == 0 {
        return Err(bad_request("The qty value is required to update quantity."));
    }
    let qty = Decimal::from(line.qty);
    let product = product(shop, &line.sku)?;
    let start = rows.len();
    match product["type_id"].as_str() {
        Some("simple" | "virtual") => rows.push(simple_row(&product, qty, None)),
        Some("configurable") => configurable_rows(shop, &product, line, qty, rows)?,
        Some("bundle") => bundle_rows(shop, &product, line, qty, rows)?,
        _ => return Err(not_available()),
    }
    if let (Some(price), Some(row)) = (line.price, rows.get_mut(start)) {
        if price < Decimal::ZERO {
            return Err(bad_request("The price of an item can't be negative."));
        }
        row.base_price = round(price);
    }
    Ok(())
}

fn configurable_rows(
    shop: &mut Shop,
    parent: &Value,
    line: &OrderLine,
    qty: Decimal,
    rows: &mut Vec<Row>,
) -> Result<(), ApiError> {
    let options_missing = || {
        bad_request(
            "The product's required option(s) weren't entered. Make sure the options are entered and try again.",
        )
    };
    let variant = line.variant.as_deref().ok_or_else(options_missing)?;
    let child = product(shop, variant)?;
    let linked = parent["extension_attributes"]["configurable_product_links"]
        .as_array()
        .is_some_and(|links| links.iter().any(|id| *id == child["id"]));
    if !linked {
        return Err(options_missing());
    }
    // `configurable_item_options`: the parent's super attributes with the child's values.
    let options: Vec<Value> = parent["extension_attributes"]["configurable_product_options"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|o| {
                    let code = match o["label"].as_str()? {
                        "Color" => "color",
                        "Size" => "size",
                        other => {
                            return Some(
                                json!({"option_id": o["attribute_id"], "option_value": other}),
                            );
                        }
                    };
                    let value = custom_attribute(&child, code)?.parse::<i64>().ok()?;
                    Some(json!({"option_id": o["attribute_id"], "option_value": value}))
                })
                .collect()
        })
        .unwrap_or_default();
    let index = rows.len();
    let mut row = simple_row(parent, qty, None);
    row.product_type = "configurable".to_owned();
    row.sku = child["sku"].as_str().unwrap_or_default().to_owned();
    row.base_price = final_price(&child);
    row.weight = dec_of(&child["weight"]);
    row.taxable = custom_attribute(parent, "tax_class_id").is_none_or(|c| c != "0");
    row.product_option =
        Some(json!({"extension_attributes": {"configurable_item_options": options}}));
    rows.push(row);
    rows.push(simple_row(&child, qty, Some(index)));
    Ok(())
}

fn bundle_rows(
    shop: &mut Shop,
    bundle: &Value,
    line: &OrderLine,
    qty: Decimal,
    rows: &mut Vec<Row>,
) -> Result<(), ApiError> {
    let options = bundle["extension_attributes"]["bundle_product_options"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    // (option, link) pairs chosen.
    let mut chosen: Vec<(&Value, &Value)> = Vec::new();
    for option in &options {
        let links = option["product_links"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        let picked: Vec<&Value> = if line.selections.is_empty() {
            let defaults: Vec<&Value> = links.iter().filter(|l| l["is_default"] == true).collect();
            if defaults.is_empty() && option["required"] == true {
                links.iter().take(1).collect()
            } else {
                defaults
            }
        } else {
            links
                .iter()
                .filter(|l| {
                    l["sku"].as_str().is_some_and(|s| {
                        line.selections
                            .iter()
                            .any(|sel| sel.eq_ignore_ascii_case(s))
                    })
                })
                .collect()
        };
        if picked.is_empty() && option["required"] == true {
            return Err(bad_request("Please specify product option(s)."));
        }
        chosen.extend(picked.into_iter().map(|l| (option, l)));
    }
    let unknown = line.selections.iter().find(|sel| {
        !chosen.iter().any(|(_, l)| {
            l["sku"]
                .as_str()
                .is_some_and(|s| s.eq_ignore_ascii_case(sel))
        })
    });
    if unknown.is_some() || chosen.is_empty() {
        return Err(bad_request("Please specify product option(s)."));
    }
    let index = rows.len();
    let mut children = Vec::new();
    let mut price = Decimal::ZERO;
    let mut weight = Decimal::ZERO;
    let mut sku = bundle["sku"].as_str().unwrap_or_default().to_owned();
    for (_, link) in &chosen {
        let child = product(shop, link["sku"].as_str().unwrap_or_default())?;
        let per_bundle = dec_of(&link["qty"]).max(Decimal::ONE);
        price += final_price(&child) * per_bundle;
        weight += dec_of(&child["weight"]) * per_bundle;
        sku.push('-');
        sku.push_str(child["sku"].as_str().unwrap_or_default());
        children.push(simple_row(&child, qty * per_bundle, Some(index)));
    }
    let bundle_options: Vec<Value> = options
        .iter()
        .filter_map(|option| {
            let ids: Vec<Value> = chosen
                .iter()
                .filter(|(o, _)| o["option_id"] == option["option_id"])
                .map(|(_, l)| json!(l["id"].as_str().and_then(|s| s.parse::<i64>().ok()).unwrap_or_default()))
                .collect();
            (!ids.is_empty()).then(|| json!({"option_id": option["option_id"], "option_qty": 1, "option_selections": ids}))
        })
        .collect();
    let mut row = simple_row(bundle, qty, None);
    row.product_type = "bundle".to_owned();
    row.sku = sku;
    row.base_price = round(price);
    row.weight = weight;
    row.is_virtual = children.iter().all(|c| c.is_virtual);
    row.product_option = Some(json!({"extension_attributes": {"bundle_options": bundle_options}}));
    rows.push(row);
    rows.extend(children);
    Ok(())
}

/// Discounts and taxes of the top-level rows, in the base currency. Tax applies after
/// discount (Magento's default), per row, rounded per row.
fn price(rows: &mut [Row], coupon: Option<&Coupon>, tax_rate: Option<(&str, Decimal)>) {
    let subtotal: Decimal = rows
        .iter()
        .filter(|r| r.parent.is_none())
        .map(|r| r.base_price * r.qty)
        .sum();
    let top: Vec<usize> = (0..rows.len())
        .filter(|&i| rows[i].parent.is_none())
        .collect();
    if let Some(coupon) = coupon {
        if let Some(percent) = coupon.percent {
            for &i in &top {
                rows[i].base_discount =
                    round(rows[i].base_price * rows[i].qty * percent / dec!(100));
            }
        } else if let Some(fixed) = coupon.fixed.filter(|_| subtotal > Decimal::ZERO) {
            let total = fixed.min(subtotal);
            let mut left = total;
            for (n, &i) in top.iter().enumerate() {
                let row_total = rows[i].base_price * rows[i].qty;
                let part = if n + 1 == top.len() {
                    left
                } else {
                    round(total * row_total / subtotal)
                };
                let part = part.min(row_total).min(left);
                rows[i].base_discount = part;
                left -= part;
            }
        }
    }
    if let Some((_, percent)) = tax_rate {
        for &i in &top {
            if rows[i].taxable {
                let taxable = rows[i].base_price * rows[i].qty - rows[i].base_discount;
                rows[i].base_tax = round(taxable * percent / dec!(100));
            }
        }
    }
}

struct Context<'a> {
    entity_id: i64,
    first_item_id: i64,
    store_id: i64,
    rate: Decimal,
    time: &'a str,
    coupon: Option<&'static Coupon>,
    tax_percent: Option<Decimal>,
}

/// The rows as Magento renders them. A parent's money is on the parent; a configurable
/// child repeats the parent's `price` but has no base price, row total or tax.
fn render_rows(rows: &[Row], cx: &Context<'_>) -> Vec<Value> {
    rows.iter()
        .enumerate()
        .map(|(i, row)| {
            let item_id = cx.first_item_id + i as i64;
            let rate = cx.rate;
            let base_row_total = row.base_price * row.qty;
            let row_total = convert(row.base_price, rate) * row.qty;
            let price = convert(row.base_price, rate);
            let tax = convert(row.base_tax, rate);
            let discount = convert(row.base_discount, rate);
            let incl = |total: Decimal, tax: Decimal| money(total + tax);
            let unit_incl = |total: Decimal, tax: Decimal| {
                if row.qty.is_zero() { money(Decimal::ZERO) } else { money((total + tax) / row.qty) }
            };
            let mut value = json!({
                "amount_refunded": 0, "base_amount_refunded": 0,
                "base_discount_amount": money(row.base_discount), "base_discount_invoiced": 0,
                "base_discount_tax_compensation_amount": 0,
                "base_original_price": money(row.base_price), "base_price": money(row.base_price),
                "base_price_incl_tax": unit_incl(base_row_total, row.base_tax),
                "base_row_invoiced": 0, "base_row_total": money(base_row_total),
                "base_row_total_incl_tax": incl(base_row_total, row.base_tax),
                "base_tax_amount": money(row.base_tax), "base_tax_invoiced": 0,
                "created_at": cx.time, "discount_amount": money(discount), "discount_invoiced": 0,
                "discount_percent": number(cx.coupon.and_then(|c| c.percent).filter(|_| !row.base_discount.is_zero()).unwrap_or_default()),
                "free_shipping": 0, "discount_tax_compensation_amount": 0,
                "is_qty_decimal": 0, "is_virtual": i64::from(row.is_virtual),
            });
            // Two halves: one `json!` this large exceeds the macro recursion limit.
            let rest = json!({
                "item_id": item_id, "name": row.name, "no_discount": 0, "order_id": cx.entity_id,
                "original_price": money(price), "price": money(price),
                "price_incl_tax": unit_incl(row_total, tax),
                "product_id": row.product_id, "product_type": row.product_type,
                "qty_canceled": 0, "qty_invoiced": 0, "qty_ordered": number(row.qty),
                "qty_refunded": 0, "qty_shipped": 0, "quote_item_id": item_id,
                "row_invoiced": 0, "row_total": money(row_total),
                "row_total_incl_tax": incl(row_total, tax), "row_weight": number(row.weight * row.qty),
                "sku": row.sku, "store_id": cx.store_id, "tax_amount": money(tax), "tax_invoiced": 0,
                "tax_percent": 0, "updated_at": cx.time, "weight": number(row.weight),
            });
            if let (Some(object), Value::Object(rest)) = (value.as_object_mut(), rest) {
                object.extend(rest);
            }
            if let Some(percent) = cx.tax_percent.filter(|_| !row.base_tax.is_zero()) {
                value["tax_percent"] = number(percent);
            }
            if let Some(coupon) = cx.coupon.filter(|_| row.parent.is_none()) {
                value["applied_rule_ids"] = json!(coupon.rule_id.to_string());
            }
            if let Some(option) = &row.product_option {
                value["product_option"] = option.clone();
            }
            if let Some(parent) = row.parent {
                value["parent_item_id"] = json!(cx.first_item_id + parent as i64);
                let child_of_configurable = rows.get(parent).is_some_and(|p| p.product_type == "configurable");
                if child_of_configurable {
                    // Magento copies the parent's price onto the child row.
                    let parent_price = rows.get(parent).map(|p| convert(p.base_price, rate)).unwrap_or_default();
                    value["price"] = money(parent_price);
                }
                if let Some(object) = value.as_object_mut() {
                    object.remove("price_incl_tax");
                    object.remove("base_price_incl_tax");
                }
            }
            value
        })
        .collect()
}

struct OrderParts<'a> {
    increment_id: &'a str,
    store_name: &'a str,
    currency: &'a str,
    customer: &'a Customer,
    address: &'a Value,
    /// method, description, base shipping amount, virtual order
    shipping: (&'a str, &'a str, Decimal, bool),
    /// code, title
    payment: (&'a str, &'a str),
    tax_rate: Option<(&'a str, Decimal)>,
}

/// Sums of the rendered top-level rows in one currency (`prefix` "" or "base_").
fn sum(items: &[Value], field: &str) -> Decimal {
    items
        .iter()
        .filter(|r| r.get("parent_item_id").is_none())
        .map(|r| dec_of(&r[field]))
        .sum()
}

fn render_order(rows: &[Row], items: &[Value], cx: &Context<'_>, parts: OrderParts<'_>) -> Value {
    let (method, description, base_shipping, is_virtual) = parts.shipping;
    let shipping = convert(base_shipping, cx.rate);
    let totals = |prefix: &str, shipping: Decimal| {
        let subtotal = sum(items, &format!("{prefix}row_total"));
        let tax = sum(items, &format!("{prefix}tax_amount"));
        let discount = sum(items, &format!("{prefix}discount_amount"));
        (
            subtotal,
            tax,
            discount,
            subtotal + tax - discount + shipping,
        )
    };
    let (base_subtotal, base_tax, base_discount, base_grand) = totals("base_", base_shipping);
    let (subtotal, tax, discount, grand) = totals("", shipping);
    let id = cx.entity_id;
    let mut billing = parts.address.clone();
    billing["address_type"] = json!("billing");
    billing["email"] = json!(parts.customer.email);
    billing["entity_id"] = json!(id * 2 - 1);
    billing["parent_id"] = json!(id);
    let mut shipping_address = billing.clone();
    shipping_address["address_type"] = json!("shipping");
    shipping_address["entity_id"] = json!(id * 2);
    let total_qty: Decimal = rows
        .iter()
        .filter(|r| r.parent.is_none())
        .map(|r| r.qty)
        .sum();
    let weight: Decimal = rows
        .iter()
        .filter(|r| r.parent.is_none())
        .map(|r| r.weight * r.qty)
        .sum();
    let mut order = json!({
        "base_currency_code": "USD", "base_discount_amount": money(-base_discount),
        "base_discount_tax_compensation_amount": 0, "base_grand_total": money(base_grand),
        "base_shipping_amount": money(base_shipping), "base_shipping_discount_amount": 0,
        "base_shipping_incl_tax": money(base_shipping), "base_shipping_tax_amount": 0,
        "base_subtotal": money(base_subtotal), "base_subtotal_incl_tax": money(base_subtotal + base_tax),
        "base_tax_amount": money(base_tax), "base_total_due": money(base_grand),
        "base_to_global_rate": 1, "base_to_order_rate": number(cx.rate),
        "billing_address_id": id * 2 - 1, "created_at": cx.time,
        "customer_email": parts.customer.email, "customer_firstname": parts.customer.firstname,
        "customer_group_id": parts.customer.group_id,
        "customer_is_guest": i64::from(parts.customer.id.is_none()),
        "customer_lastname": parts.customer.lastname, "customer_note_notify": 1,
        "discount_amount": money(-discount), "discount_tax_compensation_amount": 0,
        "entity_id": id, "global_currency_code": "USD", "grand_total": money(grand),
        "increment_id": parts.increment_id,
    });
    let rest = json!({
        "is_virtual": i64::from(is_virtual), "order_currency_code": parts.currency,
        "protect_code": format!("{:032x}", (id as u128).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835)),
        "quote_id": id, "shipping_amount": money(shipping), "shipping_discount_amount": 0,
        "shipping_discount_tax_compensation_amount": 0, "shipping_incl_tax": money(shipping),
        "shipping_tax_amount": 0, "state": "new", "status": "pending",
        "store_currency_code": "USD", "store_id": cx.store_id, "store_name": parts.store_name,
        "store_to_base_rate": 0, "store_to_order_rate": 0,
        "subtotal": money(subtotal), "subtotal_incl_tax": money(subtotal + tax),
        "tax_amount": money(tax), "total_due": money(grand),
        "total_item_count": rows.iter().filter(|r| r.parent.is_none()).count(),
        "total_qty_ordered": number(total_qty), "updated_at": cx.time, "weight": number(weight),
        "items": items, "billing_address": billing,
        "payment": {
            "account_status": null, "additional_information": [parts.payment.1],
            "amount_ordered": money(grand), "base_amount_ordered": money(base_grand),
            "base_shipping_amount": money(base_shipping), "cc_last4": null, "entity_id": id,
            "method": parts.payment.0, "parent_id": id, "shipping_amount": money(shipping),
        },
        "status_histories": [],
    });
    if let (Some(order), Value::Object(rest)) = (order.as_object_mut(), rest) {
        order.extend(rest);
    }
    if let Some(customer_id) = parts.customer.id {
        order["customer_id"] = json!(customer_id);
    }
    if !is_virtual {
        order["shipping_description"] = json!(description);
    }
    if let Some(coupon) = cx.coupon {
        order["coupon_code"] = json!(coupon.code);
        order["discount_description"] = json!(coupon.code);
        order["applied_rule_ids"] = json!(coupon.rule_id.to_string());
    }
    let shipping_assignment = if is_virtual {
        json!({"shipping": {"total": shipping_total(Decimal::ZERO, Decimal::ZERO)}, "items": []})
    } else {
        json!({"shipping": {"address": shipping_address, "method": method, "total": shipping_total(base_shipping, shipping)}, "items": []})
    };
    order["extension_attributes"] = json!({
        "shipping_assignments": [shipping_assignment],
        "payment_additional_info": [{"key": "method_title", "value": parts.payment.1}],
        "applied_taxes": applied_taxes(parts.tax_rate, base_tax, tax),
        "item_applied_taxes": item_applied_taxes(items, parts.tax_rate),
        "converting_from_quote": true,
    });
    order
}

fn shipping_total(base: Decimal, amount: Decimal) -> Value {
    json!({
        "base_shipping_amount": money(base), "base_shipping_discount_amount": 0,
        "base_shipping_discount_tax_compensation_amnt": 0, "base_shipping_incl_tax": money(base),
        "base_shipping_tax_amount": 0, "shipping_amount": money(amount),
        "shipping_discount_amount": 0, "shipping_discount_tax_compensation_amount": 0,
        "shipping_incl_tax": money(amount), "shipping_tax_amount": 0,
    })
}

fn applied_taxes(rate: Option<(&str, Decimal)>, base: Decimal, amount: Decimal) -> Value {
    match rate {
        Some((code, percent)) if !base.is_zero() => json!([{
            "code": code, "title": code, "percent": number(percent),
            "amount": money(amount), "base_amount": money(base),
        }]),
        _ => json!([]),
    }
}

fn item_applied_taxes(items: &[Value], rate: Option<(&str, Decimal)>) -> Value {
    let Some((code, percent)) = rate else {
        return json!([]);
    };
    let mut by_item = BTreeMap::new();
    for row in items.iter().filter(|r| r.get("parent_item_id").is_none()) {
        if dec_of(&row["base_tax_amount"]).is_zero() {
            continue;
        }
        by_item.insert(
            row["item_id"].as_i64().unwrap_or_default(),
            json!({
                "type": "product", "item_id": row["item_id"],
                "applied_taxes": [{
                    "code": code, "title": code, "percent": number(percent),
                    "amount": row["tax_amount"], "base_amount": row["base_tax_amount"],
                }],
            }),
        );
    }
    Value::Array(by_item.into_values().collect())
}
