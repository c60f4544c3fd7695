//! Per-row lookups batched per request (async-graphql's DataLoader): a page of 50 sales
//! asks for its customers, locations and line products in one query each, not one per
//! row. Each request (and each subscription connection) gets its own loaders for the
//! caller's organisation; they batch but keep no cache, so nothing outlives the request
//! or crosses organisations.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::Context;
use async_graphql::dataloader::{DataLoader, Loader};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use domain::customers::CustomerRecord;
use domain::entities::location;
use domain::products::ProductRecord;

use super::errors::internal;

/// One batch lookup of an organisation's records by id.
pub struct ById<T> {
    db: DatabaseConnection,
    org_id: Uuid,
    _of: std::marker::PhantomData<fn() -> T>,
}

impl<T> ById<T> {
    fn new(db: DatabaseConnection, org_id: Uuid) -> Self {
        Self {
            db,
            org_id,
            _of: std::marker::PhantomData,
        }
    }
}

impl Loader<Uuid> for ById<ProductRecord> {
    type Value = ProductRecord;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, ProductRecord>, Self::Error> {
        let found = domain::products::products_by_ids(&self.db, self.org_id, keys)
            .await
            .map_err(internal)?;
        Ok(found.into_iter().map(|p| (p.product.id, p)).collect())
    }
}

impl Loader<Uuid> for ById<CustomerRecord> {
    type Value = CustomerRecord;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, CustomerRecord>, Self::Error> {
        let found = domain::customers::customers_by_ids(&self.db, self.org_id, keys)
            .await
            .map_err(internal)?;
        Ok(found.into_iter().map(|c| (c.customer.id, c)).collect())
    }
}

impl Loader<Uuid> for ById<location::Model> {
    type Value = location::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, location::Model>, Self::Error> {
        let found = domain::reference::locations_by_ids(&self.db, self.org_id, keys)
            .await
            .map_err(internal)?;
        Ok(found.into_iter().map(|l| (l.id, l)).collect())
    }
}

/// The loaders of one request.
pub struct Loaders {
    products: DataLoader<ById<ProductRecord>>,
    customers: DataLoader<ById<CustomerRecord>>,
    locations: DataLoader<ById<location::Model>>,
}

impl Loaders {
    pub fn new(db: &DatabaseConnection, org_id: Uuid) -> Self {
        Self {
            products: DataLoader::new(ById::new(db.clone(), org_id), tokio::spawn),
            customers: DataLoader::new(ById::new(db.clone(), org_id), tokio::spawn),
            locations: DataLoader::new(ById::new(db.clone(), org_id), tokio::spawn),
        }
    }
}

fn loaders<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Loaders> {
    // Set for every authenticated request; resolvers that use it require a role first.
    ctx.data::<Arc<Loaders>>().map(|l| l.as_ref())
}

pub async fn product(ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Option<ProductRecord>> {
    loaders(ctx)?.products.load_one(id).await
}

pub async fn customer(
    ctx: &Context<'_>,
    id: Uuid,
) -> async_graphql::Result<Option<CustomerRecord>> {
    loaders(ctx)?.customers.load_one(id).await
}

pub async fn location(
    ctx: &Context<'_>,
    id: Uuid,
) -> async_graphql::Result<Option<location::Model>> {
    loaders(ctx)?.locations.load_one(id).await
}
