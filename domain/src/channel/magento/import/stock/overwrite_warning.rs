//! The warning when "Update Stock Levels in Magento" is turned on while the ledger has
//! no stock of products Magento has in stock: their next push would set Magento's
//! quantity to 0. A warning, never an error: the setting is saved either way (the spec
//! leaves the choice to the merchant), and the way out is `stockImportFromMagento`.
//!
//! The rule, bounded in time whatever the size of the catalogue:
//! - Only a call that turns the setting from off to on is checked.
//! - Ledger, one query: the listings the automatic push covers (listed, stock sync on,
//!   a stock product with stock of its own) whose on hand is 0 at the store's linked
//!   location (at all locations when none is linked): how many, and the first
//!   [`COMPARED_AT_MOST`] of their SKUs.
//! - Magento, only when there are such listings: MSI — source items with a quantity
//!   above 0 among those SKUs at the source the push writes to, [`SKUS_PER_REQUEST`]
//!   SKUs a request (so at most 5 requests); legacy — the stock items of the first
//!   [`LEGACY_COMPARED_AT_MOST`] SKUs, a few at a time. All within [`COMPARE_BUDGET`],
//!   with a client that retries once.
//! - Some of them have stock in Magento: [`WarningCode::StockWouldOverwriteMagento`]
//!   with how many ("at least" when not every SKU at 0 was compared). None: no warning.
//!   Magento not answering in time, or refusing: [`WarningCode::MagentoStockNotCompared`]
//!   with the number of listings at 0 here.

use std::collections::HashSet;
use std::time::Duration;

use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use uuid::Uuid;

use entities::{magento_setting, magento_store};

use super::{read_stock_items, source_items_search};
use crate::Services;
use crate::channel::magento::export::stock_push::{self, HAS_OWN_STOCK, Target};
use crate::channel::magento::stores;
use crate::error::DomainResult;

/// SKUs at 0 here that Magento is asked about at most (MSI).
const COMPARED_AT_MOST: usize = 500;
/// SKUs in one source item search; also its page size, so each is one request.
const SKUS_PER_REQUEST: usize = 100;
/// Legacy stock items are one request per SKU: this many at most.
const LEGACY_COMPARED_AT_MOST: usize = 20;
/// How long the settings call waits for Magento's side of the comparison.
const COMPARE_BUDGET: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WarningCode {
    /// Listed products at 0 here have stock in Magento.
    StockWouldOverwriteMagento,
    /// Magento could not be asked in time; the listings at 0 here are counted.
    MagentoStockNotCompared,
}

/// Something a saved change may do that the caller should know about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserWarning {
    pub code: WarningCode,
    pub message: String,
    /// How many products it concerns (a lower bound when the message says "at least");
    /// `None` when not known.
    pub count: Option<i64>,
}

/// The warning for turning "Update Stock Levels in Magento" on with these settings, if
/// any (see the module docs for the rule).
pub async fn overwrite_warning(
    services: &Services,
    store: &magento_store::Model,
    settings: &magento_setting::Model,
) -> Option<UserWarning> {
    let zero = match at_zero(&services.db, store, settings.location_id).await {
        Ok(zero) => zero,
        Err(err) => {
            tracing::warn!(store_id = %store.id, %err, "could not count listings without stock");
            return Some(not_compared(None));
        }
    };
    if zero.total == 0 {
        return None;
    }
    let compared = tokio::time::timeout(
        COMPARE_BUDGET,
        in_stock_in_magento(services, store, settings, &zero.skus),
    )
    .await;
    match compared {
        Ok(Ok(Compared { asked, in_stock })) if in_stock > 0 => {
            Some(would_overwrite(in_stock, asked, zero.total))
        }
        Ok(Ok(_)) => None,
        Ok(Err(err)) => {
            tracing::warn!(store_id = %store.id, %err, "could not compare stock with Magento");
            Some(not_compared(Some(zero.total)))
        }
        Err(_) => {
            tracing::warn!(store_id = %store.id, "Magento did not answer the stock comparison in time");
            Some(not_compared(Some(zero.total)))
        }
    }
}

fn would_overwrite(in_stock: i64, asked: i64, total: i64) -> UserWarning {
    let who = if asked < total {
        format!(
            "At least {in_stock} listed products (of {total} with on hand 0 here, {asked} compared) have"
        )
    } else if in_stock == 1 {
        "1 listed product has".to_owned()
    } else {
        format!("{in_stock} listed products have")
    };
    UserWarning {
        code: WarningCode::StockWouldOverwriteMagento,
        message: format!(
            "{who} on hand 0 here but stock in Magento: their next push sets Magento's \
             quantity to 0. Run stockImportFromMagento to take Magento's quantities as the \
             opening balance."
        ),
        count: Some(in_stock),
    }
}

fn not_compared(total: Option<i64>) -> UserWarning {
    let which = match total {
        Some(total) => format!("{total} listed products have on hand 0 here"),
        None => "Listed products may have on hand 0 here".to_owned(),
    };
    UserWarning {
        code: WarningCode::MagentoStockNotCompared,
        message: format!(
            "{which}, and Magento could not be asked in time whether it has stock of them: \
             their next push sets Magento's quantity to 0. If Magento's quantities are \
             right, run stockImportFromMagento to take them as the opening balance."
        ),
        count: total,
    }
}

/// Listings the push covers with on hand 0: how many, and the first few SKUs.
struct AtZero {
    total: i64,
    skus: Vec<String>,
}

async fn at_zero(
    db: &DatabaseConnection,
    store: &magento_store::Model,
    location_id: Option<Uuid>,
) -> DomainResult<AtZero> {
    let sql = format!(
        "SELECT coalesce(nullif(btrim(l.magento_sku), ''), p.sku) AS sku, count(*) OVER () AS total \
         FROM listings l JOIN products p ON p.id = l.product_id \
         WHERE l.org_id = $1 AND l.store_id = $2 AND l.status = 'listed' AND l.stock_sync \
           AND p.kind = 'stock' AND {HAS_OWN_STOCK} \
           AND coalesce((SELECT sum(s.on_hand) FROM stock_levels s \
                         WHERE s.product_id = l.product_id \
                           AND ($3::uuid IS NULL OR s.location_id = $3)), 0) = 0 \
         ORDER BY 1 LIMIT $4"
    );
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            [
                store.org_id.into(),
                store.id.into(),
                location_id.into(),
                (COMPARED_AT_MOST as i64).into(),
            ],
        ))
        .await?;
    let total = match rows.first() {
        Some(row) => row.try_get("", "total")?,
        None => 0,
    };
    let skus = rows
        .iter()
        .map(|row| row.try_get("", "sku"))
        .collect::<Result<_, _>>()?;
    Ok(AtZero { total, skus })
}

/// How many SKUs Magento was asked about, and how many of them it has in stock.
struct Compared {
    asked: i64,
    in_stock: i64,
}

async fn in_stock_in_magento(
    services: &Services,
    store: &magento_store::Model,
    settings: &magento_setting::Model,
    skus: &[String],
) -> DomainResult<Compared> {
    let options = stores::interactive_options(services, &store.id.to_string());
    let client = stores::client_with(services, store, options)?;
    let skus: Vec<&str> = skus.iter().map(String::as_str).collect();
    let mut compared = Compared {
        asked: 0,
        in_stock: 0,
    };
    match stock_push::target(&services.db, store, &client, settings).await? {
        Target::Msi { source_code } => {
            let client = client.with_page_size(SKUS_PER_REQUEST as u32);
            for chunk in skus.chunks(SKUS_PER_REQUEST) {
                // SKUs with a comma would cost a request each: they stay uncompared.
                let (Some(search), odd) = source_items_search(chunk) else {
                    continue;
                };
                let search = search
                    .filter("source_code", &source_code, "eq")
                    .filter("quantity", "0", "gt");
                let found: HashSet<String> = client
                    .source_items(search)
                    .await?
                    .into_iter()
                    .map(|item| item.sku.to_lowercase())
                    .collect();
                compared.asked += (chunk.len() - odd.len()) as i64;
                compared.in_stock += found.len() as i64;
            }
        }
        Target::Legacy => {
            let asked = &skus[..skus.len().min(LEGACY_COMPARED_AT_MOST)];
            let reading = read_stock_items(&client, asked).await?;
            compared.asked = asked.len() as i64;
            compared.in_stock = reading
                .values()
                .filter(|held| {
                    held.as_ref()
                        .is_ok_and(|h| h.iter().any(|(_, q)| *q > Decimal::ZERO))
                })
                .count() as i64;
        }
    }
    Ok(compared)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partial_comparison_reports_at_least_what_it_found() {
        let warning = would_overwrite(7, 500, 1200);
        assert_eq!(warning.count, Some(7));
        assert!(
            warning
                .message
                .starts_with("At least 7 listed products (of 1200")
        );
        assert!(warning.message.contains("stockImportFromMagento"));
    }

    #[test]
    fn a_full_comparison_reports_the_exact_count() {
        let warning = would_overwrite(3, 3, 3);
        assert!(
            warning
                .message
                .starts_with("3 listed products have on hand 0")
        );
    }
}
