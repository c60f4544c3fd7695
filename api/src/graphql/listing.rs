//! "Manage the Catalog" for one product: list or update it in a store, unlink it, or
//! remove it from Magento, or keep its listing settings without asking Magento anything.
//! Operators only; the answer is the product as the store's catalogue shows it.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use uuid::Uuid;

use domain::DomainError;
use domain::auth::Role;
use domain::channel::magento::catalog::CatalogEntry;
use domain::channel::magento::export::publish::{
    self, BufferChange, ListOptions, ListingSettings, StoreSession,
};

use super::catalog::CatalogItem;
use super::errors::{UserError, UserErrorCode, user_errors};
use super::ids;
use super::{require, state};

/// Bulk listing's "Use Buffer Inventory" menu, for one product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum ProductBufferMode {
    /// Don't update the existing setting.
    Keep,
    /// Turn on the product-level buffer with `value` units.
    Set,
    /// Remove the product-level setting: the channel buffer applies again.
    Remove,
}

#[derive(InputObject)]
pub struct ProductBufferInput {
    pub mode: ProductBufferMode,
    /// Units, zero or more; needed with `SET`.
    pub value: Option<i32>,
}

#[derive(InputObject)]
pub struct ListingInput {
    pub store_id: ID,
    pub product_id: ID,
    /// The Magento attribute set's name; by default the listing's, else the product's.
    pub attribute_set: Option<String>,
    /// Create the product in Magento enabled; an update leaves the status alone.
    #[graphql(default = false)]
    pub create_enabled: bool,
    /// Whether the stock push updates this product; by default unchanged (on for a new
    /// listing).
    pub stock_sync: Option<bool>,
    /// By default the product-level buffer stays as it is.
    pub product_buffer: Option<ProductBufferInput>,
}

/// The product pop-up's "Save and Close".
#[derive(InputObject)]
pub struct ListingSettingsInput {
    pub store_id: ID,
    pub product_id: ID,
    /// Whether the stock push updates this product; by default unchanged (on for a
    /// product the store never linked).
    pub stock_sync: Option<bool>,
    /// By default the product-level buffer stays as it is.
    pub product_buffer: Option<ProductBufferInput>,
}

#[derive(SimpleObject)]
pub struct ListingPayload {
    pub listing: Option<CatalogItem>,
    pub user_errors: Vec<UserError>,
}

/// The buffer change a [`ProductBufferInput`] asks for (`None`: keep the setting).
/// `SET` needs a value; its range is checked by the domain.
pub fn buffer_change(input: Option<&ProductBufferInput>) -> Result<BufferChange, UserError> {
    let Some(input) = input else {
        return Ok(BufferChange::Keep);
    };
    match (input.mode, input.value) {
        (ProductBufferMode::Keep, _) => Ok(BufferChange::Keep),
        (ProductBufferMode::Remove, _) => Ok(BufferChange::Remove),
        (ProductBufferMode::Set, Some(value)) => Ok(BufferChange::Set(value)),
        (ProductBufferMode::Set, None) => Err(UserError {
            field: vec!["input".into(), "productBuffer".into(), "value".into()],
            message: "a product-level buffer needs a value".into(),
            code: UserErrorCode::OutOfRange,
        }),
    }
}

impl ListingInput {
    fn options(&self) -> Result<ListOptions, UserError> {
        Ok(ListOptions {
            attribute_set: self.attribute_set.clone(),
            create_enabled: self.create_enabled,
            stock_sync: self.stock_sync,
            buffer: buffer_change(self.product_buffer.as_ref())?,
        })
    }
}

impl ListingSettingsInput {
    fn settings(&self) -> Result<ListingSettings, UserError> {
        Ok(ListingSettings {
            stock_sync: self.stock_sync,
            buffer: buffer_change(self.product_buffer.as_ref())?,
        })
    }
}

fn refused(error: UserError) -> async_graphql::Result<ListingPayload> {
    Ok(ListingPayload {
        listing: None,
        user_errors: vec![error],
    })
}

/// The payload of a failure; an unknown store or product is reported at its argument.
fn failed(err: DomainError, prefix: &[&str]) -> async_graphql::Result<ListingPayload> {
    let argument = match &err {
        DomainError::NotFound { entity: "store" } => "storeId",
        _ => "productId",
    };
    let field: Vec<&str> = prefix.iter().copied().chain([argument]).collect();
    Ok(ListingPayload {
        listing: None,
        user_errors: user_errors(err, &field)?,
    })
}

enum Operation {
    List,
    Update,
    Unlink,
    Remove,
}

async fn run(
    ctx: &Context<'_>,
    store_id: &ID,
    product_id: &ID,
    operation: Operation,
    options: Option<ListOptions>,
    prefix: &[&str],
) -> async_graphql::Result<ListingPayload> {
    let principal = require(ctx, Role::Operator)?;
    let s = state(ctx);
    let store_id: Uuid = ids::decode("Store", store_id)?;
    let product_id: Uuid = ids::decode("Product", product_id)?;
    let session = match StoreSession::open(&s.services, principal.org_id, store_id).await {
        Ok(session) => session,
        Err(err) => return failed(err, prefix),
    };
    let db = &s.services.db;
    let options = options.unwrap_or_default();
    let result = match operation {
        Operation::List => publish::list_or_update(db, &session, product_id, &options).await,
        Operation::Update => publish::update_listed(db, &session, product_id, &options).await,
        Operation::Unlink => publish::unlink(db, &session, product_id).await,
        Operation::Remove => publish::remove(db, &session, product_id).await,
    };
    if let Err(err) = result {
        return failed(err, prefix);
    }
    answer(
        publish::catalog_entry(db, &session, product_id).await,
        prefix,
    )
}

fn answer(
    entry: Result<CatalogEntry, DomainError>,
    prefix: &[&str],
) -> async_graphql::Result<ListingPayload> {
    match entry {
        Ok(entry) => Ok(ListingPayload {
            listing: Some(CatalogItem(entry)),
            user_errors: Vec::new(),
        }),
        Err(err) => failed(err, prefix),
    }
}

async fn list_or_update(
    ctx: &Context<'_>,
    input: ListingInput,
    operation: Operation,
) -> async_graphql::Result<ListingPayload> {
    require(ctx, Role::Operator)?;
    let options = match input.options() {
        Ok(options) => options,
        Err(error) => return refused(error),
    };
    run(
        ctx,
        &input.store_id,
        &input.product_id,
        operation,
        Some(options),
        &["input"],
    )
    .await
}

#[derive(Default)]
pub struct ListingMutation;

#[Object]
impl ListingMutation {
    /// "List on Magento": creates the product in Magento (a family as a configurable
    /// product with its variants), or updates it when it is listed already, then pushes
    /// its stock. Needs a description, an image, a default location and an attribute set.
    async fn listing_list(
        &self,
        ctx: &Context<'_>,
        input: ListingInput,
    ) -> async_graphql::Result<ListingPayload> {
        list_or_update(ctx, input, Operation::List).await
    }

    /// "Update on Magento": for a listed product only. Category and images are not
    /// sent again; the stock is pushed whatever "Update Stock Levels in Magento" says.
    async fn listing_update(
        &self,
        ctx: &Context<'_>,
        input: ListingInput,
    ) -> async_graphql::Result<ListingPayload> {
        list_or_update(ctx, input, Operation::Update).await
    }

    /// "Save and Close": keeps the product's stock sync and product-level buffer in the
    /// store, listed or not, without a request to Magento. The catalogue shows the new
    /// buffer and sync quantity at once; Magento gets the quantity with the next list,
    /// update or `stockPush`, or the next automatic push after the stock changes.
    async fn listing_save_settings(
        &self,
        ctx: &Context<'_>,
        input: ListingSettingsInput,
    ) -> async_graphql::Result<ListingPayload> {
        let principal = require(ctx, Role::Operator)?;
        let settings = match input.settings() {
            Ok(settings) => settings,
            Err(error) => return refused(error),
        };
        let store_id: Uuid = ids::decode("Store", &input.store_id)?;
        let product_id: Uuid = ids::decode("Product", &input.product_id)?;
        let saved = publish::save_settings(
            &state(ctx).services.db,
            principal.org_id,
            store_id,
            product_id,
            settings,
        )
        .await;
        answer(saved, &["input"])
    }

    /// "Unlink": the link goes; the product stays in Magento and in the ledger.
    async fn listing_unlink(
        &self,
        ctx: &Context<'_>,
        store_id: ID,
        product_id: ID,
    ) -> async_graphql::Result<ListingPayload> {
        run(ctx, &store_id, &product_id, Operation::Unlink, None, &[]).await
    }

    /// "Remove from Magento": deletes the product in Magento and unlinks it.
    async fn listing_remove(
        &self,
        ctx: &Context<'_>,
        store_id: ID,
        product_id: ID,
    ) -> async_graphql::Result<ListingPayload> {
        run(ctx, &store_id, &product_id, Operation::Remove, None, &[]).await
    }
}
