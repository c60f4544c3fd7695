//! Stock levels, adjustments and transfers.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use domain::auth::Role;
use domain::entities::stock_level;
use domain::stock;

use super::errors::{UserError, payload, user_errors};
use super::ids;
use super::job::Job;
use super::reference::Location;
use super::{require, state};

/// On hand, allocated to authorised orders, and what is left to sell (negative on a
/// backorder).
#[derive(SimpleObject, Clone, Copy)]
pub struct StockAvailability {
    pub on_hand: Decimal,
    pub allocated: Decimal,
    pub available: Decimal,
}

impl From<stock::Availability> for StockAvailability {
    fn from(level: stock::Availability) -> Self {
        Self {
            on_hand: level.on_hand,
            allocated: level.allocated,
            available: level.available(),
        }
    }
}

pub struct StockLevel(pub stock_level::Model);

#[Object]
impl StockLevel {
    async fn location(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Location>> {
        require(ctx, Role::Viewer)?;
        Ok(super::loaders::location(ctx, self.0.location_id)
            .await?
            .map(Location))
    }
    async fn on_hand(&self) -> Decimal {
        self.0.on_hand
    }
    async fn allocated(&self) -> Decimal {
        self.0.allocated
    }
    async fn available(&self) -> Decimal {
        self.0.on_hand - self.0.allocated
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

#[derive(InputObject)]
pub struct StockAdjustInput {
    pub product_id: ID,
    pub location_id: ID,
    /// The change to on hand: positive found, negative lost or damaged.
    pub quantity: Decimal,
    pub reason: String,
}

#[derive(InputObject)]
pub struct StockTransferInput {
    pub product_id: ID,
    pub from_location_id: ID,
    pub to_location_id: ID,
    pub quantity: Decimal,
}

#[derive(SimpleObject)]
pub struct StockAdjustPayload {
    /// The product's stock at the location after the adjustment.
    pub availability: Option<StockAvailability>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct StockTransferPayload {
    pub from: Option<StockAvailability>,
    pub to: Option<StockAvailability>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct StockPushPayload {
    /// The `STOCK_PUSH` job started.
    pub job: Option<Job>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct StockImportPayload {
    /// The `STOCK_IMPORT` job started.
    pub job: Option<Job>,
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct StockMutation;

#[Object]
impl StockMutation {
    async fn stock_adjust(
        &self,
        ctx: &Context<'_>,
        input: StockAdjustInput,
    ) -> async_graphql::Result<StockAdjustPayload> {
        let principal = require(ctx, Role::Operator)?;
        let s = state(ctx);
        let result = stock::adjust(
            &s.services.db,
            principal.org_id,
            ids::decode("Product", &input.product_id)?,
            ids::decode("Location", &input.location_id)?,
            input.quantity,
            &input.reason,
        )
        .await;
        payload(
            result,
            &["input"],
            |level| level.into(),
            |availability, user_errors| StockAdjustPayload {
                availability,
                user_errors,
            },
        )
    }

    async fn stock_transfer(
        &self,
        ctx: &Context<'_>,
        input: StockTransferInput,
    ) -> async_graphql::Result<StockTransferPayload> {
        let principal = require(ctx, Role::Operator)?;
        let s = state(ctx);
        let result = stock::transfer(
            &s.services.db,
            principal.org_id,
            ids::decode("Product", &input.product_id)?,
            ids::decode("Location", &input.from_location_id)?,
            ids::decode("Location", &input.to_location_id)?,
            input.quantity,
        )
        .await;
        match result {
            Ok((from, to)) => Ok(StockTransferPayload {
                from: Some(from.into()),
                to: Some(to.into()),
                user_errors: vec![],
            }),
            Err(err) => Ok(StockTransferPayload {
                from: None,
                to: None,
                user_errors: user_errors(err, &["input"])?,
            }),
        }
    }

    /// "Update Quantities": starts a `STOCK_PUSH` job that sends the sync quantity
    /// (available stock at the store's linked location less the buffer) of the named
    /// SKUs, or of every listed, stock-synced listing when `skus` is left out, to
    /// Magento. It is the operator's explicit request, so it runs whatever "Update
    /// Stock Levels in Magento" says (the buffer still needs that setting on).
    async fn stock_push(
        &self,
        ctx: &Context<'_>,
        store_id: ID,
        skus: Option<Vec<String>>,
    ) -> async_graphql::Result<StockPushPayload> {
        let principal = require(ctx, Role::Operator)?;
        let s = state(ctx);
        let result = {
            let id = ids::decode("Store", &store_id)?;
            domain::channel::magento::export::stock_push::start_push(
                &s.services,
                &principal,
                id,
                skus,
            )
            .await
        };
        payload(result, &["storeId"], Job, |job, user_errors| {
            StockPushPayload { job, user_errors }
        })
    }

    /// The opening balance from Magento: starts a `STOCK_IMPORT` job that sets on hand
    /// of the named SKUs (each must be listed in the store), or of every product listed
    /// in it when `skus` is left out, to Magento's quantities. MSI sources land at their
    /// mapped locations (the push's source for the linked location at the linked
    /// location, else the organisation's default location); legacy stock at the linked
    /// location, else the default location. Each change is a stock adjustment whose
    /// reason names Magento, the store and the source. Without `overwrite` only products
    /// that have no stock movement yet are set; the others are skipped
    /// (`HAS_STOCK_MOVEMENTS`). Repeating the import changes nothing.
    async fn stock_import_from_magento(
        &self,
        ctx: &Context<'_>,
        store_id: ID,
        skus: Option<Vec<String>>,
        #[graphql(default_with = "Some(false)")] overwrite: Option<bool>,
    ) -> async_graphql::Result<StockImportPayload> {
        let principal = require(ctx, Role::Operator)?;
        let s = state(ctx);
        let id = ids::decode("Store", &store_id)?;
        let result = {
            domain::channel::magento::import::stock::start_import(
                &s.services,
                &principal,
                id,
                skus,
                // An explicit null is the default too.
                overwrite.unwrap_or(false),
            )
            .await
        };
        payload(result, &["storeId"], Job, |job, user_errors| {
            StockImportPayload { job, user_errors }
        })
    }
}
