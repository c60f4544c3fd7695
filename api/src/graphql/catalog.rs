//! A store's catalogue: ledger products with their listing in the store.

use async_graphql::{Enum, ID, Object};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use domain::channel::magento::catalog::CatalogEntry;
use domain::entities::enums;

use super::ids;
use super::products::Product;
use super::stock::StockAvailability;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "enums::ListingStatus")]
pub enum ListingStatus {
    NotListed,
    Listed,
}

pub struct CatalogItem(pub CatalogEntry);

#[Object]
impl CatalogItem {
    async fn product(&self) -> Product {
        Product(self.0.product.clone())
    }
    async fn status(&self) -> ListingStatus {
        self.0.status().into()
    }
    async fn listing_id(&self) -> Option<ID> {
        self.0
            .listing
            .as_ref()
            .map(|l| ids::encode("Listing", l.id))
    }
    /// Magento's product id (a variant's own id).
    async fn magento_product_id(&self) -> Option<i64> {
        self.0.listing.as_ref().and_then(|l| l.magento_product_id)
    }
    /// For a variant: its configurable parent's id.
    async fn magento_parent_id(&self) -> Option<i64> {
        self.0.listing.as_ref().and_then(|l| l.magento_parent_id)
    }
    async fn magento_sku(&self) -> Option<&str> {
        self.0
            .listing
            .as_ref()
            .and_then(|l| l.magento_sku.as_deref())
    }
    async fn attribute_set(&self) -> Option<&str> {
        self.0
            .listing
            .as_ref()
            .and_then(|l| l.attribute_set.as_deref())
            .or(self.0.product.product.attribute_set.as_deref())
    }
    /// Whether the stock push updates this product in the store (on unless turned off).
    async fn stock_sync(&self) -> bool {
        self.0.listing.as_ref().is_none_or(|l| l.stock_sync)
    }
    async fn product_buffer_enabled(&self) -> bool {
        self.0
            .listing
            .as_ref()
            .is_some_and(|l| l.product_buffer_enabled)
    }
    async fn product_buffer(&self) -> Option<i32> {
        self.0
            .listing
            .as_ref()
            .filter(|l| l.product_buffer_enabled)
            .map(|l| l.product_buffer)
    }
    /// At the store's linked location, or all locations when none is linked.
    async fn availability(&self) -> StockAvailability {
        self.0.availability.into()
    }
    /// Only while "Use Buffer Inventory" is in force.
    async fn buffer(&self) -> Option<Decimal> {
        self.0.buffer
    }
    /// Available less buffer; only while "Use Buffer Inventory" is in force.
    async fn sync_quantity(&self) -> Option<Decimal> {
        self.0.sync_quantity
    }
    async fn last_pushed_quantity(&self) -> Option<Decimal> {
        self.0
            .listing
            .as_ref()
            .and_then(|l| l.last_pushed_quantity)
            .map(|q| q.normalize())
    }
    async fn last_pushed_at(&self) -> Option<DateTime<Utc>> {
        self.0.listing.as_ref().and_then(|l| l.last_pushed_at)
    }
}

#[derive(async_graphql::SimpleObject)]
pub struct CatalogDownloadProductsPayload {
    pub job: Option<super::job::Job>,
    pub user_errors: Vec<super::errors::UserError>,
}

#[derive(Default)]
pub struct CatalogMutation;

#[Object]
impl CatalogMutation {
    /// Download → Products: starts a `PRODUCTS_DOWNLOAD` job that brings the store's
    /// catalog into the ledger (matching products by SKU, configurables as families)
    /// and lists each product in the store. Nothing is written to Magento.
    async fn catalog_download_products(
        &self,
        ctx: &async_graphql::Context<'_>,
        store_id: ID,
    ) -> async_graphql::Result<CatalogDownloadProductsPayload> {
        let principal = super::require(ctx, domain::auth::Role::Operator)?;
        let s = super::state(ctx);
        let result = {
            let id = ids::decode("Store", &store_id)?;
            domain::channel::magento::import::products::start_download(&s.services, &principal, id)
                .await
        };
        match result {
            Ok(job) => Ok(CatalogDownloadProductsPayload {
                job: Some(super::job::Job(job)),
                user_errors: Vec::new(),
            }),
            Err(err) => Ok(CatalogDownloadProductsPayload {
                job: None,
                user_errors: super::errors::user_errors(err, &["storeId"])?,
            }),
        }
    }
}
