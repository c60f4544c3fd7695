//! MSI as the order operations see it: salable quantity (source quantity of in-stock
//! source items minus reservations), stock settings, source deductions on shipment and
//! returns to stock on credit memo.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::money::{dec, number};
use super::state::bad_request;
use crate::response::ApiError;
use crate::shop::Shop;
use crate::stock_items::{StockRow, settings_of};

/// A product's `custom_attributes` value for `code`, when it is a string.
pub(crate) fn custom_attribute<'a>(product: &'a Value, code: &str) -> Option<&'a str> {
    product["custom_attributes"]
        .as_array()?
        .iter()
        .find(|a| a["attribute_code"] == code)?["value"]
        .as_str()
}

/// MSI's salable quantity on the default stock: the quantities of the SKU's in-stock
/// source items (every sandbox source is enabled and assigned to stock 1) plus its
/// reservations (negative while orders hold units).
pub(crate) fn salable_qty(shop: &mut Shop, sku: &str) -> Decimal {
    let positions = shop.book.source_items(&shop.inventory.source_items, sku);
    let on_hand: Decimal = positions
        .iter()
        .filter_map(|&i| shop.inventory.source_items.get(i))
        .filter(|row| row["status"] == 1)
        .map(|row| dec(&row["quantity"]))
        .sum();
    on_hand + shop.reservations.reserved(sku)
}

/// `(manage_stock, backorders allowed)` from the SKU's current stock item: its written
/// one, else the product's own (composites); Magento's defaults without either.
pub(crate) fn stock_settings(shop: &mut Shop, sku: &str) -> (bool, bool) {
    let from_row = shop
        .book
        .stock_item(&shop.inventory.stock_items, sku)
        .and_then(|i| shop.inventory.stock_items.get(i))
        .map(StockRow::settings);
    let settings = match from_row {
        Some(settings) => settings,
        None => shop
            .book
            .product(&shop.products, sku)
            .and_then(|i| shop.products.get(i))
            .and_then(|p| settings_of(&p["extension_attributes"]["stock_item"])),
    };
    settings.unwrap_or((true, false))
}

/// Refuses the order when any SKU is wanted beyond its salable quantity (summed over the
/// order's rows), unless the SKU backorders or does not manage stock.
pub(crate) fn check_salable(shop: &mut Shop, wanted: &[(String, Decimal)]) -> Result<(), ApiError> {
    let mut per_sku: BTreeMap<String, (String, Decimal)> = BTreeMap::new();
    for (sku, qty) in wanted {
        per_sku
            .entry(sku.to_lowercase())
            .or_insert_with(|| (sku.clone(), Decimal::ZERO))
            .1 += *qty;
    }
    for (sku, qty) in per_sku.values() {
        let (manage, backorders) = stock_settings(shop, sku);
        if manage && !backorders && salable_qty(shop, sku) < *qty {
            return Err(bad_request(
                "Product that you are trying to add is not available.",
            ));
        }
    }
    Ok(())
}

/// The planned change of one source item.
pub(crate) struct SourceChange {
    position: Option<usize>,
    sku: String,
    source_code: String,
    quantity: Decimal,
}

/// The position of `sku`'s source item at `source` (if there is one) and its quantity
/// (zero without one).
fn source_quantity(shop: &mut Shop, sku: &str, source: &str) -> (Option<usize>, Decimal) {
    let position = shop
        .book
        .source_items(&shop.inventory.source_items, sku)
        .into_iter()
        .find(|&i| shop.inventory.source_items[i]["source_code"] == source);
    let current = position
        .map(|i| dec(&shop.inventory.source_items[i]["quantity"]))
        .unwrap_or_default();
    (position, current)
}

/// Plans deducting `qty` of `sku` from `source` (a shipment), refusing a source that does
/// not hold the units; nothing is changed until [`apply`].
pub(crate) fn plan_deduction(
    shop: &mut Shop,
    sku: &str,
    qty: Decimal,
    source: &str,
) -> Result<Option<SourceChange>, ApiError> {
    let (manage, backorders) = stock_settings(shop, sku);
    if !manage {
        return Ok(None);
    }
    let (position, current) = source_quantity(shop, sku, source);
    if current < qty && !backorders {
        return Err(bad_request(
            "Not all of your products are available in the requested quantity.",
        ));
    }
    Ok(Some(SourceChange {
        position,
        sku: sku.to_owned(),
        source_code: source.to_owned(),
        quantity: current - qty,
    }))
}

/// Plans returning `qty` of `sku` to `source` (a credit memo's return to stock).
pub(crate) fn plan_return(shop: &mut Shop, sku: &str, qty: Decimal, source: &str) -> SourceChange {
    let (position, current) = source_quantity(shop, sku, source);
    SourceChange {
        position,
        sku: sku.to_owned(),
        source_code: source.to_owned(),
        quantity: current + qty,
    }
}

/// Writes a planned change; the status follows the quantity, as MSI sets it.
pub(crate) fn apply(shop: &mut Shop, change: SourceChange) {
    let row = json!({
        "sku": change.sku,
        "source_code": change.source_code,
        "quantity": number(change.quantity),
        "status": i64::from(change.quantity > Decimal::ZERO),
    });
    match change
        .position
        .and_then(|i| shop.inventory.source_items.get_mut(i))
    {
        Some(existing) => *existing = row,
        None => shop.inventory.source_items.push(row),
    }
}
