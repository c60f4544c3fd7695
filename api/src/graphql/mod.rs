//! The GraphQL schema (`docs/architecture.md`, `schema.graphql`). Errors map in one place ([`errors`]): business
//! failures become `userErrors` in the payload; authentication, authorisation, bad
//! input and internal failures become top-level errors with `extensions.code`.

mod bulk_listing;
mod catalog;
mod customers;
pub mod errors;
pub mod ids;
mod job;
mod listing;
pub mod loaders;
mod mutation;
mod orders;
mod products;
mod query;
mod reference;
mod sales;
mod stock;
mod store;
mod subscription;

use std::sync::Arc;

use async_graphql::{Context, Schema};

use domain::Services;
use domain::auth::{Principal, Role};
use domain::events::EventHub;

pub use subscription::SubscriptionRoot;

#[derive(async_graphql::MergedObject, Default)]
pub struct QueryRoot(
    query::CoreQuery,
    reference::ReferenceQuery,
    customers::CustomerQuery,
    products::ProductQuery,
    sales::SaleQuery,
);

#[derive(async_graphql::MergedObject, Default)]
pub struct MutationRoot(
    mutation::CoreMutation,
    reference::ReferenceMutation,
    customers::CustomerMutation,
    products::ProductMutation,
    stock::StockMutation,
    sales::SaleMutation,
    listing::ListingMutation,
    bulk_listing::BulkListingMutation,
    catalog::CatalogMutation,
    orders::OrderMutation,
);

pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Shared by every request of a process.
#[derive(Clone)]
pub struct AppState {
    pub services: Services,
    pub hub: Arc<EventHub>,
    /// Where Magento reaches this server (`store.webhookUrl`).
    pub public_url: String,
}

/// Who is calling, decided once per HTTP request or WebSocket connection.
#[derive(Debug, Clone, Copy)]
pub enum Caller {
    Anonymous,
    InvalidKey,
    Authenticated(Principal),
}

pub fn build_schema(state: Option<AppState>) -> AppSchema {
    let mut builder = schema_builder();
    if let Some(state) = state {
        builder = builder.data(state);
    }
    builder.finish()
}

/// The schema with its limits, before any data is added (tests add extensions).
pub fn schema_builder() -> async_graphql::SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
    // GraphiQL's schema query (graphql-js's introspection, nine `ofType` levels) is 15 deep.
    .limit_depth(15)
    .limit_complexity(5_000)
    .disable_suggestions()
}

/// The SDL committed as `schema.graphql`.
pub fn sdl() -> String {
    build_schema(None).sdl()
}

pub(crate) fn state<'a>(ctx: &Context<'a>) -> &'a AppState {
    ctx.data_unchecked::<AppState>()
}

/// The caller's principal when its role is at least `needed`.
pub(crate) fn require(ctx: &Context<'_>, needed: Role) -> async_graphql::Result<Principal> {
    match ctx
        .data_opt::<Caller>()
        .copied()
        .unwrap_or(Caller::Anonymous)
    {
        Caller::Authenticated(p) if p.may(needed) => Ok(p),
        Caller::Authenticated(_) => Err(errors::forbidden(needed)),
        Caller::Anonymous | Caller::InvalidKey => Err(errors::unauthenticated()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_committed_schema_matches_the_code() {
        let committed = include_str!("../../../schema.graphql");
        assert!(
            committed == super::sdl(),
            "schema.graphql is out of date: run `cargo run -p api --bin stockbridge -- schema > schema.graphql`"
        );
    }
}
