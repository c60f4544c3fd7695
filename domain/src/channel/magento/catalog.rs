//! The store's catalogue view: every ledger product with its listing in this store (or
//! none: not listed), its stock at the store's linked location (all locations when none
//! is linked) and, while buffers are in force, its buffer and sync quantity.

use std::collections::HashMap;

use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use entities::enums::ListingStatus;
use entities::listing;

use crate::channel::magento::buffer::{ChannelBuffer, ProductBuffer};
use crate::channel::magento::stores;
use crate::error::DomainResult;
use crate::page::{Page, PageRequest};
use crate::products::{self, ProductFilter, ProductRecord};
use crate::stock::{self, Availability};

#[derive(Debug, Clone, PartialEq)]
pub struct CatalogEntry {
    pub product: ProductRecord,
    /// `None`: the product has never been linked to this store.
    pub listing: Option<listing::Model>,
    pub availability: Availability,
    /// Present while the store's buffers are in force.
    pub buffer: Option<Decimal>,
    pub sync_quantity: Option<Decimal>,
}

impl CatalogEntry {
    pub fn status(&self) -> ListingStatus {
        self.listing
            .as_ref()
            .map_or(ListingStatus::NotListed, |l| l.status)
    }
}

/// The selections of the catalogue and of bulk listing: the product filters, the
/// listing status in this store, and "Products Listed in" another connected store.
#[derive(Debug, Clone, Default)]
pub struct CatalogFilter {
    pub products: ProductFilter,
    pub status: Option<ListingStatus>,
    pub listed_in_store: Option<Uuid>,
}

impl CatalogFilter {
    /// The product filter that selects this in `store_id`'s catalogue.
    pub fn for_store(&self, store_id: Uuid) -> ProductFilter {
        let mut filter = self.products.clone();
        match self.status {
            Some(ListingStatus::Listed) => filter.listed_in.push(store_id),
            Some(ListingStatus::NotListed) => filter.not_listed_in.push(store_id),
            None => {}
        }
        filter.listed_in.extend(self.listed_in_store);
        filter
    }
}

impl CatalogEntry {
    /// The entry of a product with its listing (if any) and stock; buffer and sync
    /// quantity only when the store's buffers are on.
    pub fn new(
        product: ProductRecord,
        listing: Option<listing::Model>,
        availability: Availability,
        buffers: &ChannelBuffer,
    ) -> Self {
        let own = listing
            .as_ref()
            .map(ProductBuffer::from)
            .unwrap_or_default();
        let (buffer, sync_quantity) = if buffers.active() {
            (
                Some(buffers.buffer_for(own)),
                Some(buffers.sync_quantity(availability.available(), own)),
            )
        } else {
            (None, None)
        };
        Self {
            product,
            listing,
            availability,
            buffer,
            sync_quantity,
        }
    }
}

/// One page of the store's catalogue, by the selections bulk listing uses.
pub async fn catalog(
    db: &DatabaseConnection,
    org_id: Uuid,
    store_id: Uuid,
    filter: &CatalogFilter,
    page: PageRequest,
) -> DomainResult<Page<CatalogEntry>> {
    let settings = stores::settings_of(db, org_id, store_id).await?;
    let buffers = ChannelBuffer::from(&settings);
    let filter = filter.for_store(store_id);
    let products = products::products(db, org_id, &filter, page).await?;
    let ids: Vec<Uuid> = products.items.iter().map(|(_, p)| p.product.id).collect();
    let mut stock = stock::availability_of(db, org_id, &ids, settings.location_id).await?;
    let mut listings: HashMap<Uuid, listing::Model> = listing::Entity::find()
        .filter(listing::Column::StoreId.eq(store_id))
        .filter(listing::Column::ProductId.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|l| (l.product_id, l))
        .collect();
    let mut items = Vec::with_capacity(products.items.len());
    for (cursor, product) in products.items {
        let availability = stock
            .remove(&product.product.id)
            .unwrap_or(Availability::ZERO);
        let listing = listings.remove(&product.product.id);
        items.push((
            cursor,
            CatalogEntry::new(product, listing, availability, &buffers),
        ));
    }
    Ok(Page {
        items,
        has_next_page: products.has_next_page,
        total_count: products.total_count,
    })
}
