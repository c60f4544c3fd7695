//! Placing an order: cart lines resolved to Magento's order rows (configurable and bundle
//! lines as a parent row plus child rows), priced (coupon, tax, shipping, currency),
//! stock checked against MSI's salable quantity and reserved.

use chrono::{DateTime, Utc};
use rust_decimal::{Decimal, dec};
use serde_json::{Value, json};

use std::sync::Arc;

use super::book::SalesEvent;
use super::money::{dec as dec_of, round};
use super::placement::{Capture, Customer, Placement, Row};
use super::state::bad_request;
use super::stock::{check_salable, custom_attribute};
use super::{AddressInput, OrderLine, PlaceOrder};
use crate::packed::Packed;
use crate::response::ApiError;
use crate::sales::{Lazy, SalesRows};
use crate::seed::magento_time;
use crate::shop::Shop;

/// A cart rule the sandbox knows: code, rule id, percent off each row or a fixed amount
/// off the cart.
#[derive(Debug)]
pub(super) struct Coupon {
    pub code: &'static str,
    pub rule_id: i64,
    pub percent: Option<Decimal>,
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
#[derive(Debug)]
pub(crate) struct Relation {
    pub increment_id: String,
    pub original_increment_id: String,
    pub edit_increment: i64,
    pub parent_id: i64,
    pub parent_real_id: String,
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
    let (customer, customer_address) = customer(shop, input)?;
    let address = address(&customer_address, input.address.as_ref());
    let tax_rate = REGIONS
        .iter()
        .find(|r| address["region_code"] == r.code && address["country_id"] == "US")
        .and_then(|r| r.tax);

    let mut rows = Vec::new();
    let mut catalog = Catalog {
        book: &mut shop.book,
        products: &shop.products,
    };
    for line in &input.items {
        resolve_line(&mut catalog, line, &mut rows)?;
    }
    let wanted: Vec<(String, Decimal)> = rows
        .iter()
        .filter(|r| is_stock_type(&r.product_type))
        .map(|r| (r.sku.clone(), r.qty))
        .collect();
    check_salable(shop, &wanted)?;
    price(&mut rows, coupon, tax_rate);

    let entity_id = shop.orders.last_id().unwrap_or(0) + 1;
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
        orders.max_id(Some("items"), "item_id")
    });
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
    for row in rows.iter().filter(|r| is_stock_type(&r.product_type)) {
        shop.reservations.append(
            &row.sku,
            -row.qty,
            SalesEvent::OrderPlaced,
            entity_id,
            &increment_id,
        );
    }
    // Ids in the order the operations take them: the invoice's (it bills every row),
    // then the capture's history entry.
    let capture = input.paid.then(|| {
        let invoices = &shop.invoices;
        let invoice_id = shop
            .book
            .invoice
            .next(|| invoices.max_id(None, "entity_id"));
        let first_invoice_item = shop.book.invoice_item.next_block(rows.len() as i64, || {
            invoices.max_id(Some("items"), "entity_id")
        });
        let orders = &shop.orders;
        let history_id = shop
            .book
            .history
            .next(|| orders.max_id(Some("status_histories"), "entity_id"));
        Capture {
            invoice_id,
            first_invoice_item,
            history_id,
        }
    });
    let time = magento_time(now);
    let placement = Arc::new(Placement {
        rows: rows.into_boxed_slice(),
        entity_id,
        first_item_id,
        store_id,
        rate,
        time: time.clone(),
        coupon,
        tax_rate,
        increment_id: increment_id.clone(),
        store_name,
        currency,
        customer,
        address: Packed::from(&address),
        shipping: (method, description, base_shipping, is_virtual),
        payment: (payment_code, payment_title),
        relation,
        capture,
    });
    // Kept compact: the rendering is the same whenever it runs (see `Placement`).
    if placement.capture.is_some() {
        shop.invoices
            .push_lazy(Lazy::Invoice(Arc::clone(&placement)));
    }
    shop.orders.push_lazy(Lazy::Order(placement));
    shop.record_event(
        "order.created",
        "order",
        entity_id,
        increment_id,
        store_id,
        time,
    );
    Ok(entity_id)
}

fn is_stock_type(product_type: &str) -> bool {
    matches!(product_type, "simple" | "virtual")
}

fn max_increment(orders: &SalesRows) -> i64 {
    orders
        .iter()
        .filter_map(|o| {
            o["increment_id"]
                .as_str()?
                .split('-')
                .next()?
                .parse::<i64>()
                .ok()
        })
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

/// The customer placing the order, and the address the order starts from.
fn customer(shop: &Shop, input: &PlaceOrder) -> Result<(Customer, Value), ApiError> {
    let Some(id) = input.customer_id else {
        let guest = input.guest.clone().unwrap_or_default();
        let email = if guest.email.trim().is_empty() {
            "guest@example.com".to_owned()
        } else {
            guest.email
        };
        let address = default_address();
        let customer = Customer {
            id: None,
            group_id: 0,
            email,
            firstname: guest.firstname.unwrap_or_else(|| "Guest".to_owned()),
            lastname: guest.lastname.unwrap_or_else(|| "Shopper".to_owned()),
        };
        return Ok((customer, address));
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
    let customer = Customer {
        id: Some(id),
        group_id: row["group_id"].as_i64().unwrap_or(1),
        email: row["email"].as_str().unwrap_or_default().to_owned(),
        firstname: row["firstname"].as_str().unwrap_or_default().to_owned(),
        lastname: row["lastname"].as_str().unwrap_or_default().to_owned(),
    };
    Ok((customer, address))
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

/// The catalogue as placing reads it: the rows, and the SKU index over them.
struct Catalog<'a> {
    book: &'a mut super::Book,
    products: &'a [Value],
}

impl<'a> Catalog<'a> {
    /// The catalogue row of a SKU, when it can be sold.
    fn product(&mut self, sku: &str) -> Result<&'a Value, ApiError> {
        let products = self.products;
        let row = self
            .book
            .product(products, sku)
            .and_then(|index| products.get(index))
            .ok_or_else(product_not_found)?;
        if row["status"] == 2 {
            return Err(not_available());
        }
        Ok(row)
    }
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
fn resolve_line(
    catalog: &mut Catalog<'_>,
    line: &OrderLine,
    rows: &mut Vec<Row>,
) -> Result<(), ApiError> {
    if line.qty == 0 {
        return Err(bad_request("The qty value is required to update quantity."));
    }
    let qty = Decimal::from(line.qty);
    let product = catalog.product(&line.sku)?;
    let start = rows.len();
    match product["type_id"].as_str() {
        Some("simple" | "virtual") => rows.push(simple_row(product, qty, None)),
        Some("configurable") => configurable_rows(catalog, product, line, qty, rows)?,
        Some("bundle") => bundle_rows(catalog, product, line, qty, rows)?,
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
    catalog: &mut Catalog<'_>,
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
    let child = catalog.product(variant)?;
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
                    let value = custom_attribute(child, code)?.parse::<i64>().ok()?;
                    Some(json!({"option_id": o["attribute_id"], "option_value": value}))
                })
                .collect()
        })
        .unwrap_or_default();
    let index = rows.len();
    let mut row = simple_row(parent, qty, None);
    row.product_type = "configurable".to_owned();
    row.sku = child["sku"].as_str().unwrap_or_default().to_owned();
    row.base_price = final_price(child);
    row.weight = dec_of(&child["weight"]);
    row.taxable = custom_attribute(parent, "tax_class_id").is_none_or(|c| c != "0");
    row.product_option = Some(Packed::from(
        &json!({"extension_attributes": {"configurable_item_options": options}}),
    ));
    rows.push(row);
    rows.push(simple_row(child, qty, Some(index)));
    Ok(())
}

fn bundle_rows(
    catalog: &mut Catalog<'_>,
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
        let child = catalog.product(link["sku"].as_str().unwrap_or_default())?;
        let per_bundle = dec_of(&link["qty"]).max(Decimal::ONE);
        price += final_price(child) * per_bundle;
        weight += dec_of(&child["weight"]) * per_bundle;
        sku.push('-');
        sku.push_str(child["sku"].as_str().unwrap_or_default());
        children.push(simple_row(child, qty * per_bundle, Some(index)));
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
    row.product_option = Some(Packed::from(
        &json!({"extension_attributes": {"bundle_options": bundle_options}}),
    ));
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
