//! The Bulk Listing tab: one action over a selection of the store's catalogue, run as a
//! job whose items are fixed when it starts.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};

use domain::auth::Role;
use domain::channel::magento::export::bulk_listing::{self, BulkRequest, Selection};
use domain::channel::magento::export::publish::ListOptions;

use super::errors::{UserError, user_errors};
use super::ids;
use super::job::Job;
use super::listing::{ProductBufferInput, buffer_change};
use super::store::CatalogFilter;
use super::{require, state};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "bulk_listing::BulkAction")]
pub enum BulkListingAction {
    /// List the products not yet listed and update those that are.
    List,
    /// Remove the products from Magento; they stay in the ledger, not listed.
    Unlist,
    /// Break the link; both products stay.
    Unlink,
}

/// Select by `skus` or by `filter` (not both).
#[derive(InputObject)]
pub struct ListingBulkApplyInput {
    pub store_id: ID,
    pub action: BulkListingAction,
    /// Exactly these products.
    pub skus: Option<Vec<String>>,
    /// The catalogue's selections (category, brand, family, tag, attribute set, listing
    /// status, listed in another store, search).
    pub filter: Option<CatalogFilter>,
    /// "Create products in enabled status" for products created in Magento.
    #[graphql(default = false)]
    pub create_enabled: bool,
    /// The Magento attribute set for the selected products.
    pub attribute_set: Option<String>,
    pub stock_sync: Option<bool>,
    /// The "Use Buffer Inventory" menu; by default existing settings stay.
    pub product_buffer: Option<ProductBufferInput>,
}

#[derive(SimpleObject)]
pub struct ListingBulkApplyPayload {
    pub job: Option<Job>,
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct BulkListingMutation;

#[Object]
impl BulkListingMutation {
    /// Starts a LISTING_BULK_APPLY job; each selected product is one item of it, and
    /// `jobRetryFailed` runs just the failed ones again.
    async fn listing_bulk_apply(
        &self,
        ctx: &Context<'_>,
        input: ListingBulkApplyInput,
    ) -> async_graphql::Result<ListingBulkApplyPayload> {
        let principal = require(ctx, Role::Operator)?;
        let s = state(ctx);
        let failed = |errors| ListingBulkApplyPayload {
            job: None,
            user_errors: errors,
        };
        let buffer = match buffer_change(input.product_buffer.as_ref()) {
            Ok(buffer) => buffer,
            Err(error) => return Ok(failed(vec![error])),
        };
        let selection = match (input.skus, input.filter) {
            (Some(skus), None) => Selection::Skus(skus),
            (None, filter) => {
                Selection::Filter(Box::new(filter.unwrap_or_default().into_domain()?))
            }
            (Some(_), Some(_)) => {
                return Ok(failed(user_errors(
                    domain::DomainError::invalid(
                        &["input", "skus"],
                        domain::ErrorCode::InvalidCombination,
                        "select by SKUs or by filter, not both",
                    ),
                    &[],
                )?));
            }
        };
        let request = BulkRequest {
            store_id: ids::decode("Store", &input.store_id)?,
            selection,
            action: input.action.into(),
            options: ListOptions {
                attribute_set: input.attribute_set,
                create_enabled: input.create_enabled,
                stock_sync: input.stock_sync,
                buffer,
            },
        };
        match bulk_listing::start_bulk(&s.services, &principal, request).await {
            Ok(job) => Ok(ListingBulkApplyPayload {
                job: Some(Job(job)),
                user_errors: Vec::new(),
            }),
            Err(err) => Ok(failed(user_errors(err, &["input", "storeId"])?)),
        }
    }
}
