//! The order lifecycle with Magento's semantics: place, invoice, ship, cancel, edit,
//! refund. Every operation takes `&mut Shop` (the caller holds the exclusive lock), runs
//! whole or not at all, bumps the order's `updated_at` and appends to `shop.events`; the
//! caller wakes `state.events_recorded` after releasing the lock.

mod book;
mod cancel;
mod control;
mod documents;
mod money;
mod place;
mod placement;
mod refund;
mod rest;
mod setup;
mod ship;
mod state;
mod stock;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::response::ApiError;
use crate::shop::Shop;

pub(crate) use book::{Book, Reservations};
pub(crate) use cancel::{EditOrder, cancel, edit};
pub(crate) use control::handle as control;
pub(crate) use documents::{InvoiceRequest, invoice};
pub(crate) use placement::Placement;
pub(crate) use refund::{RefundRequest, refund};
pub(crate) use rest::{add_comment_route, salable_quantity_route, ship_route};
pub(crate) use ship::{ShipRequest, ship};

/// A new order, as the control API takes it (`POST /sandbox/orders`) and the generator
/// builds it. Everything but `items` has a default: a guest order in the default store
/// view, USD, flat-rate shipping, unpaid (`new`/`pending`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaceOrder {
    /// A registered customer (`customers[].id`); `None` places a guest order
    /// (`customer_is_guest` 1, `customer_group_id` 0).
    #[serde(default)]
    pub customer_id: Option<i64>,
    /// Guest contact; ignored for a registered customer (whose own email and names are
    /// used). Defaults to a made-up guest.
    #[serde(default)]
    pub guest: Option<Guest>,
    /// At least one line.
    pub items: Vec<OrderLine>,
    /// One of the sandbox's cart rules (see `COUPONS` in `orders`: `SAVE10` 10 % off,
    /// `TAKE5` 5.00 off the cart); an unknown code is refused as Magento does.
    #[serde(default)]
    pub coupon_code: Option<String>,
    /// Store view code: `default` (id 1) or `fr` (id 2).
    #[serde(default)]
    pub store: Option<String>,
    /// Order currency when it differs from the base currency USD, e.g. `EUR`.
    #[serde(default)]
    pub currency: Option<String>,
    /// `base_to_order_rate` for `currency`; defaults to the sandbox's fixed rate
    /// (EUR 0.92, GBP 0.79, CAD 1.36).
    #[serde(default)]
    pub rate: Option<Decimal>,
    /// Shipping address; defaults to the customer's default shipping address, or a
    /// Michigan address for guests. Region `CA` or `NY` applies the seeded tax rates.
    #[serde(default)]
    pub address: Option<AddressInput>,
    /// `flatrate_flatrate` (5.00 per unit, the default) or `freeshipping_freeshipping`.
    #[serde(default)]
    pub shipping_method: Option<String>,
    /// `checkmo` (default), `banktransfer`, `cashondelivery` or `purchaseorder`.
    #[serde(default)]
    pub payment_method: Option<String>,
    /// `true`: the payment was captured at checkout, so the order is invoiced in full at
    /// once and placed as `processing` (an online capture in Magento).
    #[serde(default)]
    pub paid: bool,
}

/// Contact details of a guest.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guest {
    pub email: String,
    #[serde(default)]
    pub firstname: Option<String>,
    #[serde(default)]
    pub lastname: Option<String>,
}

/// One cart line.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderLine {
    /// The product as added to the cart: a simple or virtual SKU, a configurable parent
    /// (with `variant`) or a bundle (with optional `selections`).
    pub sku: String,
    /// Units; at least 1.
    pub qty: u32,
    /// For a configurable parent: the chosen child SKU (one of its
    /// `configurable_product_links`). Required for configurables.
    #[serde(default)]
    pub variant: Option<String>,
    /// For a bundle: the selected child SKUs. Empty takes each option's default
    /// selections. Each selection ships `link qty × qty` units.
    #[serde(default)]
    pub selections: Vec<String>,
    /// Unit price override (base currency); defaults to the catalogue price
    /// (`special_price` when set).
    #[serde(default)]
    pub price: Option<Decimal>,
}

/// A shipping (and billing) address; missing fields get the default guest address's.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    #[serde(default)]
    pub firstname: Option<String>,
    #[serde(default)]
    pub lastname: Option<String>,
    #[serde(default)]
    pub street: Option<Vec<String>>,
    #[serde(default)]
    pub city: Option<String>,
    /// `CA`, `NY`, `MI`, … (US) or none.
    #[serde(default)]
    pub region_code: Option<String>,
    #[serde(default)]
    pub postcode: Option<String>,
    #[serde(default)]
    pub country_id: Option<String>,
    #[serde(default)]
    pub telephone: Option<String>,
}

/// Places an order: checks stock (salable quantity, unless the product backorders),
/// prices it (coupon, tax, shipping, currency), appends the order with increment id
/// `000000004`, `000000005`, … and MSI reservations, records `order.created` (and, when
/// `paid`, invoices it). Returns the new order's `entity_id`. Deterministic given the
/// shop and `now`; costs SKU look-ups, not catalogue scans.
pub(crate) fn place(
    shop: &mut Shop,
    order: &PlaceOrder,
    now: DateTime<Utc>,
) -> Result<i64, ApiError> {
    place::place(shop, order, now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::seed;

    fn shop() -> (Shop, DateTime<Utc>) {
        let now = chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap_or_default();
        let mut seed = seed("http://127.0.0.1:1", now);
        (Shop::from_seed(&mut seed), now)
    }

    fn order(lines: &[(&str, u32)]) -> PlaceOrder {
        PlaceOrder {
            items: lines
                .iter()
                .map(|(sku, qty)| OrderLine {
                    sku: (*sku).to_owned(),
                    qty: *qty,
                    ..OrderLine::default()
                })
                .collect(),
            ..PlaceOrder::default()
        }
    }

    #[test]
    fn placing_is_deterministic_given_now() {
        let (mut a, now) = shop();
        let (mut b, _) = shop();
        for shop in [&mut a, &mut b] {
            for _ in 0..3 {
                place(shop, &order(&[("24-MB01", 1), ("MUG 11oz/BLK", 2)]), now).expect("placed");
            }
        }
        assert_eq!(a.orders, b.orders);
    }

    #[test]
    fn placing_five_thousand_orders_stays_fast() {
        let (mut shop, now) = shop();
        let input = setup::NewProduct {
            sku: "BULK".to_owned(),
            name: None,
            type_id: None,
            price: None,
            special_price: None,
            weight: None,
            qty: Some(Decimal::from(1_000_000)),
            ne_wh_qty: None,
            backorders: false,
            manage_stock: None,
            tax_class_id: None,
            status: None,
            children: Vec::new(),
            options: Vec::new(),
        };
        setup::create_product(&mut shop, &input, now).expect("product");
        let started = std::time::Instant::now();
        for n in 0..5_000 {
            let mut lines = order(&[("BULK", 1 + n % 3)]);
            lines.paid = n % 2 == 0;
            place(&mut shop, &lines, now).expect("placed");
        }
        let elapsed = started.elapsed();
        assert_eq!(shop.orders.len(), 5_003);
        assert_eq!(
            shop.orders
                .iter()
                .next_back()
                .and_then(|o| o["increment_id"].as_str().map(str::to_owned)),
            Some("000005003".to_owned())
        );
        // About 1 ms an order in a debug build; a catalogue or order scan per order would
        // make this quadratic and take minutes.
        assert!(elapsed < std::time::Duration::from_secs(60), "{elapsed:?}");
    }
}
