//! "Manage the Catalog" for one product: list it in Magento (or update it when listed),
//! unlink it, or remove it from Magento.
//!
//! Listing needs a description, an image, a default location and a Magento attribute set
//! (all checked together, nothing sent while one is missing). Everything is written at
//! the `all` store scope. Category links and images go out only when the product is
//! created in Magento, never on an update. A product with a bill of materials is listed
//! as a simple product; a family is listed as a configurable product with its variants as
//! children. Listing or updating pushes the product's stock whatever "Update Stock Levels
//! in Magento" says (spec: "Updating products from the catalog will update the stock
//! level in Magento regardless").
//!
//! Choices where the spec is silent:
//! - Services and gift cards list as `virtual` (nothing to ship; Magento Open Source has
//!   no gift card type, and Adobe Commerce's needs amounts the ledger does not keep).
//! - A SKU Magento already has, not yet linked here, is linked and updated rather than
//!   created again; when its gallery is empty it receives the product's images, which
//!   also completes a create whose image uploads were interrupted.
//! - Dimensions go to `ts_dimensions_length` / `_width` / `_height`, which the product
//!   download reads first; `tax_class_id` is left alone (no mapping to Magento's tax
//!   classes exists).
//! - The Sale Price Tier's price goes to `special_price` only when that tier differs
//!   from the Price Tier and the product has a price in it.
//! - A configurable parent takes the family's SKU, name, description, category and
//!   images (else the first variant's, by SKU, that has any); children are not visible
//!   individually and get a url key from their SKU, since variants often share a name.
//! - A variant without images of its own meets the image prerequisite with its family's
//!   and is created in Magento without any: Magento's storefront shows the
//!   configurable's images for such a child, so copying them would only duplicate files.
//! - Removing a family's last listed variant also deletes its configurable parent.
//! - Listing operations on one product of a store take turns across processes (a family
//!   counts as one product): a second list waits and then updates what the first made.

use std::collections::HashMap;
use std::time::Duration;

use chrono::Utc;
use rust_decimal::Decimal;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    EntityTrait, QueryFilter, QueryOrder, Set, Statement, TransactionTrait,
};
use serde_json::{Value, json};
use uuid::Uuid;

use entities::enums::{ListingStatus, ProductKind};
use entities::{listing, magento_setting, magento_store, product, product_family};
use magento::catalog_writes::{FetchedImage, fetch_image};
use magento::dto::{
    self, ConfigurableOptionInput, MAIN_IMAGE_ROLES, MediaEntryInput, Product, ProductAttribute,
    ProductInput, ProductStatus, ProductType, Visibility,
};
use magento::search::SearchCriteria;
use magento::{MagentoClient, MagentoError};

use crate::Services;
use crate::channel::magento::buffer::{self, ChannelBuffer};
use crate::channel::magento::catalog::CatalogEntry;
use crate::channel::magento::export::stock_push::{self, PushScope, PushTrigger};
use crate::channel::magento::link::{self, LinkWriter, ProductLink};
use crate::channel::magento::stores::{self, StoreMetadata};
use crate::channel::magento::{Binder, LinkKind};
use crate::error::{DomainError, DomainResult, ErrorCode, FieldError};
use crate::events::{self, DomainEvent, ListingLinked, ListingSettingsSaved, ListingUnlinked};
use crate::products::{self, ProductRecord};
use crate::stock::{self, Availability};

/// How long one product image may take to download.
const IMAGE_TIMEOUT: Duration = Duration::from_secs(30);

/// How often a listing operation waiting for another on the same product asks again:
/// the first delay, doubled up to the second. The wait polls rather than blocks so a
/// waiter does not sit on a pooled connection the running operation may need.
const LOCK_RETRY_FIRST: Duration = Duration::from_millis(20);
const LOCK_RETRY_MAX: Duration = Duration::from_millis(500);

/// Magento's `attribute_sets` endpoint serves product, customer and address sets alike;
/// 4 is `catalog_product`.
const PRODUCT_ENTITY_TYPE: i64 = 4;

/// The input path of product-level prerequisites.
const PRODUCT_FIELD: [&str; 1] = ["productId"];
const ATTRIBUTE_SET_FIELD: [&str; 1] = ["attributeSet"];

/// What a list or update changes besides Magento.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListOptions {
    /// The Magento attribute set's name; `None` keeps the listing's, else the product's.
    pub attribute_set: Option<String>,
    /// "Create products in enabled status": a created product is enabled, else disabled.
    /// An update leaves the status alone.
    pub create_enabled: bool,
    /// `None` keeps the listing's setting (on for a new listing).
    pub stock_sync: Option<bool>,
    pub buffer: BufferChange,
}

/// Bulk listing's "Use Buffer Inventory" menu: don't update the existing setting, turn
/// on a product-level buffer of this many units, or remove the product-level setting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BufferChange {
    #[default]
    Keep,
    Set(i32),
    Remove,
}

/// What a store operation needs, built once per mutation or job.
pub struct StoreSession {
    pub store: magento_store::Model,
    pub settings: magento_setting::Model,
    pub client: MagentoClient,
    pub metadata: StoreMetadata,
}

impl StoreSession {
    pub async fn open(services: &Services, org_id: Uuid, store_id: Uuid) -> DomainResult<Self> {
        let store = stores::get(&services.db, org_id, store_id).await?;
        let settings = stores::settings_of(&services.db, org_id, store_id).await?;
        let client = stores::client_for(services, &store)?;
        Ok(Self::new(store, settings, client))
    }

    /// For a caller that already holds the store and a client (a store job).
    pub fn new(
        store: magento_store::Model,
        settings: magento_setting::Model,
        client: MagentoClient,
    ) -> Self {
        let metadata = stores::metadata_of(&store);
        Self {
            store,
            settings,
            client,
            metadata,
        }
    }

    fn org_id(&self) -> Uuid {
        self.store.org_id
    }

    /// The attribute set's id in Magento, by name (ignoring case).
    pub fn attribute_set_id(&self, name: Option<&str>) -> Result<i64, FieldError> {
        let name = name
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| {
                FieldError::new(
                    &ATTRIBUTE_SET_FIELD,
                    ErrorCode::AttributeSetMissing,
                    "a product needs a Magento attribute set to be listed",
                )
            })?;
        let sets = || {
            self.metadata.attribute_sets.iter().filter(|s| {
                s.entity_type_id
                    .is_none_or(|entity| entity == PRODUCT_ENTITY_TYPE)
            })
        };
        if let Some(set) = sets().find(|s| s.attribute_set_name.trim().eq_ignore_ascii_case(name)) {
            return Ok(set.attribute_set_id);
        }
        let known: Vec<&str> = sets().map(|s| s.attribute_set_name.as_str()).collect();
        let message = if known.is_empty() {
            format!(
                "no such attribute set in Magento: {name} (no attribute sets are known yet; refresh the store's metadata)"
            )
        } else {
            format!(
                "no such attribute set in Magento: {name} (known: {})",
                known.join(", ")
            )
        };
        Err(FieldError::new(
            &ATTRIBUTE_SET_FIELD,
            ErrorCode::AttributeSetMissing,
            message,
        ))
    }

    /// The store's websites, the admin website (0) aside.
    fn website_ids(&self) -> Vec<i64> {
        self.metadata
            .websites
            .iter()
            .map(|w| w.id)
            .filter(|id| *id != 0)
            .collect()
    }
}

/// The spec's listing prerequisites of one product: a description, an image and a
/// default location. A variant may use its family's description, and its family's
/// images (a configurable's gallery, which Magento's storefront shows for a child
/// without images of its own). `label` prefixes the messages when the product is not
/// the one asked for (another variant of its family).
pub fn product_prerequisites(
    product: &ProductRecord,
    family: Option<&product_family::Model>,
    label: Option<&str>,
) -> Vec<FieldError> {
    let p = &product.product;
    let prefix = label.map(|l| format!("{l}: ")).unwrap_or_default();
    let mut errors = Vec::new();
    let has_text = |t: Option<&str>| t.is_some_and(|t| !t.trim().is_empty());
    let family_description = family.and_then(|f| f.description.as_deref());
    if !has_text(p.description.as_deref()) && !has_text(family_description) {
        errors.push(FieldError::new(
            &PRODUCT_FIELD,
            ErrorCode::DescriptionMissing,
            format!(
                "{prefix}the product {} needs a description to be listed",
                p.sku
            ),
        ));
    }
    if product.images().is_empty() && family.is_none_or(|f| products::family_images(f).is_empty()) {
        errors.push(FieldError::new(
            &PRODUCT_FIELD,
            ErrorCode::ImageMissing,
            format!("{prefix}the product {} needs an image to be listed", p.sku),
        ));
    }
    if p.default_location_id.is_none() {
        errors.push(FieldError::new(
            &PRODUCT_FIELD,
            ErrorCode::DefaultLocationMissing,
            format!(
                "{prefix}the product {} needs a default location to be listed",
                p.sku
            ),
        ));
    }
    errors
}

/// The attribute set's Magento id once every prerequisite holds; else every error at
/// once (the prerequisites found so far, the attribute set, the buffer).
fn checked_set_id(
    session: &StoreSession,
    attribute_set: Option<&str>,
    mut errors: Vec<FieldError>,
    options: &ListOptions,
) -> DomainResult<i64> {
    let set_id = session
        .attribute_set_id(attribute_set)
        .map_err(|e| errors.push(e))
        .ok();
    errors.extend(invalid_buffer(options.buffer));
    match set_id {
        Some(id) if errors.is_empty() => Ok(id),
        _ => Err(DomainError::Invalid(errors)),
    }
}

fn invalid_buffer(buffer: BufferChange) -> Option<FieldError> {
    match buffer {
        BufferChange::Set(value) => {
            buffer::product_buffer_error(&["productBuffer", "value"], value)
        }
        _ => None,
    }
}

/// The product's listing in the store, if it was ever linked.
pub async fn listing_of(
    db: &DatabaseConnection,
    session: &StoreSession,
    product_id: Uuid,
) -> DomainResult<Option<listing::Model>> {
    listing_in(db, session.store.id, product_id).await
}

async fn listing_in(
    db: &DatabaseConnection,
    store_id: Uuid,
    product_id: Uuid,
) -> DomainResult<Option<listing::Model>> {
    Ok(listing::Entity::find()
        .filter(listing::Column::StoreId.eq(store_id))
        .filter(listing::Column::ProductId.eq(product_id))
        .one(db)
        .await?)
}

fn is_listed(listing: Option<&listing::Model>) -> bool {
    listing.is_some_and(|l| l.status == ListingStatus::Listed)
}

fn not_listed(field: &[&str]) -> DomainError {
    DomainError::invalid(
        field,
        ErrorCode::Invalid,
        "the product is not listed in this store",
    )
}

/// "Update on Magento": like [`list_or_update`], for a product that is listed.
pub async fn update_listed(
    db: &DatabaseConnection,
    session: &StoreSession,
    product_id: Uuid,
    options: &ListOptions,
) -> DomainResult<listing::Model> {
    serialised(db, session, product_id, async {
        if !is_listed(listing_of(db, session, product_id).await?.as_ref()) {
            return Err(not_listed(&PRODUCT_FIELD));
        }
        write_listing(db, session, product_id, options).await
    })
    .await
}

/// "List on Magento" for a new listing, "Update on Magento" for a listed product; a
/// family variant lists the whole family. Returns the product's listing.
pub async fn list_or_update(
    db: &DatabaseConnection,
    session: &StoreSession,
    product_id: Uuid,
    options: &ListOptions,
) -> DomainResult<listing::Model> {
    serialised(
        db,
        session,
        product_id,
        write_listing(db, session, product_id, options),
    )
    .await
}

// ---- settings only ---------------------------------------------------------------------

/// What the product pop-up's "Save and Close" keeps on a listing: the stock-sync flag
/// and the product-level buffer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListingSettings {
    /// `None` keeps the flag (on for a listing that did not exist).
    pub stock_sync: Option<bool>,
    pub buffer: BufferChange,
}

/// "Save and Close": keeps the stock-sync flag and product-level buffer of a listed or
/// not-listed product in the store, without a request to Magento (a product the store
/// never linked gets a `not_listed` listing to hold them). The catalogue shows the new
/// buffer and sync quantity at once; Magento gets the quantity with the product's next
/// list, update or push, or the next automatic push after its stock changes (spec:
/// "You will then need to Update or List the product for the new stock level quantity
/// to be displayed in the channel").
pub async fn save_settings(
    db: &DatabaseConnection,
    org_id: Uuid,
    store_id: Uuid,
    product_id: Uuid,
    settings: ListingSettings,
) -> DomainResult<CatalogEntry> {
    let store = stores::get(db, org_id, store_id).await?;
    products::product(db, org_id, product_id).await?;
    if let Some(error) = invalid_buffer(settings.buffer) {
        return Err(DomainError::Invalid(vec![error]));
    }
    use listing::Column;
    let mut columns = Vec::new();
    if settings.stock_sync.is_some() {
        columns.push(Column::StockSync);
    }
    if settings.buffer != BufferChange::Keep {
        columns.extend([Column::ProductBufferEnabled, Column::ProductBuffer]);
    }
    if !columns.is_empty() {
        columns.push(Column::UpdatedAt);
        let (buffer_enabled, buffer) = match settings.buffer {
            BufferChange::Set(value) => (true, value),
            BufferChange::Keep | BufferChange::Remove => (false, 0),
        };
        let now = Utc::now();
        let row = listing::ActiveModel {
            id: Set(Uuid::new_v4()),
            org_id: Set(org_id),
            store_id: Set(store.id),
            product_id: Set(product_id),
            status: Set(ListingStatus::NotListed),
            magento_product_id: Set(None),
            magento_parent_id: Set(None),
            magento_sku: Set(None),
            magento_type: Set(None),
            attribute_set: Set(None),
            stock_sync: Set(settings.stock_sync.unwrap_or(true)),
            product_buffer_enabled: Set(buffer_enabled),
            product_buffer: Set(buffer),
            last_pushed_quantity: Set(None),
            last_pushed_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        };
        let txn = db.begin().await?;
        let saved = listing::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([Column::StoreId, Column::ProductId])
                    .update_columns(columns)
                    .to_owned(),
            )
            .exec_with_returning(&txn)
            .await?;
        events::append(
            &txn,
            events::Scope::store(org_id, store.id),
            &DomainEvent::ListingSettingsSaved(ListingSettingsSaved {
                product_id,
                stock_sync: saved.stock_sync,
                product_buffer_enabled: saved.product_buffer_enabled,
                product_buffer: saved.product_buffer,
            }),
        )
        .await?;
        txn.commit().await?;
    }
    let settings = stores::settings_of(db, org_id, store.id).await?;
    entry_of(db, org_id, store.id, &settings, product_id).await
}

// ---- one operation per product at a time -----------------------------------------------

/// Runs `work` while no other listing operation runs on the same product of the same
/// store, in this process or another (API and workers alike). Without it two lists of
/// a new product would both find nothing in Magento and the ledger, and both create.
/// The family is the unit for a variant, since listing one variant writes them all;
/// one lock per operation, so two operations never wait on each other in a cycle.
async fn serialised<T>(
    db: &DatabaseConnection,
    session: &StoreSession,
    product_id: Uuid,
    work: impl Future<Output = DomainResult<T>>,
) -> DomainResult<T> {
    let lock = ListingLock::acquire(db, session, product_id).await?;
    let result = work.await;
    lock.release().await;
    result
}

/// Each running operation keeps one pooled connection for its lock and needs another
/// for its work: as many operations as connections would hold them all and wait for
/// ever. At most half the pool holds locks in one process.
fn lock_holders(db: &DatabaseConnection) -> &'static tokio::sync::Semaphore {
    static HOLDERS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    HOLDERS.get_or_init(|| {
        let pool = match &db.inner {
            sea_orm::DatabaseConnectionType::SqlxPostgresPoolConnection(_) => db
                .get_postgres_connection_pool()
                .options()
                .get_max_connections(),
            // Not a pool: its queries fail on their own.
            _ => 2,
        };
        tokio::sync::Semaphore::new((pool / 2).max(1) as usize)
    })
}

/// A transaction-scoped advisory lock, held by a transaction that does nothing else:
/// the work's own transactions commit on their own schedule, and a process that dies
/// mid-operation drops its connection and with it the lock.
struct ListingLock {
    txn: DatabaseTransaction,
    _turn: tokio::sync::SemaphorePermit<'static>,
}

impl ListingLock {
    async fn acquire(
        db: &DatabaseConnection,
        session: &StoreSession,
        product_id: Uuid,
    ) -> DomainResult<Self> {
        let mut delay = LOCK_RETRY_FIRST;
        loop {
            // A waiter gives its turn back while it sleeps, so a busy product does not
            // hold up operations on others.
            let turn = lock_holders(db)
                .acquire()
                .await
                .map_err(|_| DbErr::Custom("the listing lock limiter was closed".into()))?;
            let txn = db.begin().await?;
            if try_lock(&txn, session, product_id).await? {
                return Ok(Self { txn, _turn: turn });
            }
            txn.rollback().await?;
            drop(turn);
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(LOCK_RETRY_MAX);
        }
    }

    async fn release(self) {
        // A failed rollback means the connection is gone, and the lock with it.
        if let Err(err) = self.txn.rollback().await {
            tracing::warn!(%err, "releasing a listing lock failed");
        }
    }
}

/// Tries the lock of the product's family, else of the product, read and locked in one
/// statement. Two int4 keys: the store's (prefixed, to keep clear of other two-key
/// locks) and the subject's; a hash collision only makes two operations take turns.
async fn try_lock(
    txn: &DatabaseTransaction,
    session: &StoreSession,
    product_id: Uuid,
) -> DomainResult<bool> {
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_try_advisory_xact_lock(hashtext('listing:' || $1), \
                    hashtext(coalesce(family_id, id)::text)) AS locked \
             FROM products WHERE id = $2 AND org_id = $3",
            [
                session.store.id.to_string().into(),
                product_id.into(),
                session.org_id().into(),
            ],
        ))
        .await?
        .ok_or(DomainError::NotFound { entity: "product" })?;
    Ok(row.try_get("", "locked")?)
}

async fn write_listing(
    db: &DatabaseConnection,
    session: &StoreSession,
    product_id: Uuid,
    options: &ListOptions,
) -> DomainResult<listing::Model> {
    let record = products::product(db, session.org_id(), product_id).await?;
    match record.product.family_id {
        Some(family_id) => list_family(db, session, record, family_id, options).await,
        None => list_single(db, session, record, options).await,
    }
}

/// What a listing links to in Magento.
struct Link {
    magento_id: i64,
    parent_id: Option<i64>,
    /// A variant's family, which its configurable parent is.
    family_id: Option<Uuid>,
    sku: String,
    type_id: ProductType,
}

/// The attribute set: the option, else the listing's, else the product's.
fn chosen_attribute_set(
    options: &ListOptions,
    listing: Option<&listing::Model>,
    product: &product::Model,
) -> Option<String> {
    options
        .attribute_set
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .or_else(|| listing.and_then(|l| l.attribute_set.clone()))
        .or_else(|| product.attribute_set.clone())
}

async fn list_single(
    db: &DatabaseConnection,
    session: &StoreSession,
    record: ProductRecord,
    options: &ListOptions,
) -> DomainResult<listing::Model> {
    let existing = listing_of(db, session, record.product.id).await?;
    let attribute_set = chosen_attribute_set(options, existing.as_ref(), &record.product);
    let errors = product_prerequisites(&record, None, None);
    let set_id = checked_set_id(session, attribute_set.as_deref(), errors, options)?;

    let input = item_input(session, &record, None, set_id, Visibility::CatalogAndSearch);
    let linked_sku = existing
        .as_ref()
        .filter(|l| l.status == ListingStatus::Listed)
        .and_then(|l| l.magento_sku.clone());
    let saved = write_item(
        session,
        &record,
        input,
        linked_sku,
        CreateExtras {
            type_id: simple_type(&record),
            enabled: options.create_enabled,
            category: record.product.category.clone(),
            images: record.images(),
            label: record.product.name.clone(),
            url_key: None,
        },
    )
    .await?;
    let link = Link {
        magento_id: saved.id,
        parent_id: None,
        family_id: None,
        sku: saved.sku.clone(),
        type_id: saved.type_id.clone(),
    };
    let saved_listing = save_listings(
        db,
        session,
        vec![(record.product.id, existing, link)],
        attribute_set,
        options,
    )
    .await?
    .remove(0);
    push_stock(db, session, &[record.product.id]).await?;
    Ok(saved_listing)
}

/// Services and gift cards have nothing to ship: `virtual`; anything else, a bill of
/// materials included, is `simple`.
fn simple_type(record: &ProductRecord) -> ProductType {
    match record.product.kind {
        ProductKind::Stock => ProductType::Simple,
        ProductKind::Service | ProductKind::GiftCard => ProductType::Virtual,
    }
}

fn decimal_text(value: Decimal) -> String {
    value.normalize().to_string()
}

/// The fields a list and an update both write for one product.
fn item_input(
    session: &StoreSession,
    record: &ProductRecord,
    family_description: Option<&str>,
    attribute_set_id: i64,
    visibility: Visibility,
) -> ProductInput {
    let p = &record.product;
    let settings = &session.settings;
    let mut input = ProductInput {
        name: Some(p.name.clone()),
        attribute_set_id: Some(attribute_set_id),
        price: record.price(settings.price_tier),
        visibility: Some(visibility),
        weight: p.weight,
        ..ProductInput::new(p.sku.clone())
    };
    let description = p
        .description
        .as_deref()
        .filter(|d| !d.trim().is_empty())
        .or(family_description);
    if let Some(description) = description {
        input = input.with_attribute("description", description);
    }
    if settings.sale_price_tier != settings.price_tier
        && let Some(special) = record.price(settings.sale_price_tier)
    {
        input = input.with_attribute("special_price", decimal_text(special));
    }
    for (axis, value) in [
        ("length", p.length),
        ("width", p.width),
        ("height", p.height),
    ] {
        if let Some(value) = value {
            input = input.with_attribute(&format!("ts_dimensions_{axis}"), decimal_text(value));
        }
    }
    set_websites(session, &mut input);
    input
}

fn set_websites(session: &StoreSession, input: &mut ProductInput) {
    let websites = session.website_ids();
    if !websites.is_empty() {
        set_extension(input, "website_ids", json!(websites));
    }
}

/// Sets one `extension_attributes` entry, keeping the others.
fn set_extension(input: &mut ProductInput, key: &str, value: Value) {
    let mut map = match input.extension_attributes.take() {
        Some(Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    map.insert(key.to_owned(), value);
    input.extension_attributes = Some(Value::Object(map));
}

/// What only a create sends.
struct CreateExtras {
    type_id: ProductType,
    enabled: bool,
    category: Option<String>,
    images: Vec<String>,
    /// The gallery label of the images.
    label: String,
    url_key: Option<String>,
}

/// Creates the product in Magento, or updates it: by the linked SKU when listed, else by
/// its own SKU when Magento has it already (linked from now on).
async fn write_item(
    session: &StoreSession,
    record: &ProductRecord,
    input: ProductInput,
    linked_sku: Option<String>,
    extras: CreateExtras,
) -> DomainResult<Product> {
    let client = &session.client;
    if let Some(sku) = linked_sku {
        return client
            .update_product(&sku, &input)
            .await
            .map_err(DomainError::from);
    }
    if let Some(found) = find_product(client, &record.product.sku).await? {
        let saved = client.update_product(&found.sku, &input).await?;
        if found.media_gallery_entries.is_empty() && !extras.images.is_empty() {
            let images = fetch_images(&extras.images).await?;
            upload_images(client, &saved.sku, &extras.label, images).await?;
        }
        return Ok(saved);
    }
    create(client, input, extras).await
}

/// Creates a product in Magento with what only a create sends: type, status, url key,
/// category link and images. The images are read before anything is created, so an
/// image that cannot be read fails the listing while Magento is still untouched.
async fn create(
    client: &MagentoClient,
    mut input: ProductInput,
    extras: CreateExtras,
) -> DomainResult<Product> {
    let images = fetch_images(&extras.images).await?;
    input.type_id = Some(extras.type_id);
    input.status = Some(if extras.enabled {
        ProductStatus::Enabled
    } else {
        ProductStatus::Disabled
    });
    if let Some(url_key) = extras.url_key {
        input = input.with_attribute("url_key", url_key);
    }
    if let Some(category_id) = category_id(client, extras.category.as_deref()).await? {
        set_extension(
            &mut input,
            "category_links",
            json!([{ "position": 0, "category_id": category_id.to_string() }]),
        );
    }
    let created = client.create_product(&input).await?;
    upload_images(client, &created.sku, &extras.label, images).await?;
    Ok(created)
}

async fn find_product(client: &MagentoClient, sku: &str) -> DomainResult<Option<Product>> {
    match client.product(sku).await {
        Ok(found) => Ok(Some(found)),
        Err(MagentoError::NotFound { .. }) => Ok(None),
        Err(err) => Err(err.into()),
    }
}

/// The category named `name` (ignoring case) in the store's tree; the deepest when the
/// name repeats. `None` when the product has no category or Magento has no such one.
async fn category_id(client: &MagentoClient, name: Option<&str>) -> DomainResult<Option<i64>> {
    let Some(name) = name.map(str::trim).filter(|n| !n.is_empty()) else {
        return Ok(None);
    };
    let tree = client.category_tree().await?;
    let mut best: Option<(i64, i64)> = None;
    let mut stack = vec![&tree];
    while let Some(node) = stack.pop() {
        // Level 0 is the invisible root, which holds no products.
        if node.level > 0
            && node.name.trim().eq_ignore_ascii_case(name)
            && best.is_none_or(|(level, _)| node.level > level)
        {
            best = Some((node.level, node.id));
        }
        stack.extend(node.children_data.iter().rev());
    }
    Ok(best.map(|(_, id)| id))
}

async fn fetch_images(urls: &[String]) -> DomainResult<Vec<FetchedImage>> {
    let mut images = Vec::with_capacity(urls.len());
    for url in urls {
        let image = fetch_image(url, IMAGE_TIMEOUT).await.map_err(|e| {
            DomainError::invalid(&PRODUCT_FIELD, ErrorCode::ImageMissing, e.to_string())
        })?;
        images.push(image);
    }
    Ok(images)
}

/// Uploads the images in order; the first takes the main image roles.
async fn upload_images(
    client: &MagentoClient,
    sku: &str,
    label: &str,
    images: Vec<FetchedImage>,
) -> DomainResult<()> {
    for (index, image) in images.into_iter().enumerate() {
        let entry = MediaEntryInput {
            label: label.to_owned(),
            position: index as i64 + 1,
            disabled: false,
            types: if index == 0 {
                MAIN_IMAGE_ROLES.iter().map(|r| (*r).to_owned()).collect()
            } else {
                Vec::new()
            },
            file_name: image.file_name,
            mime_type: image.mime_type.to_owned(),
            data: image.data,
        };
        client.add_media_entry(sku, &entry).await?;
    }
    Ok(())
}

/// Saves the listings of one list or update in one transaction, with an event each.
async fn save_listings(
    db: &DatabaseConnection,
    session: &StoreSession,
    items: Vec<(Uuid, Option<listing::Model>, Link)>,
    attribute_set: Option<String>,
    options: &ListOptions,
) -> DomainResult<Vec<listing::Model>> {
    let links: Vec<ProductLink> = items
        .iter()
        .map(|(product_id, _, link)| ProductLink {
            product_id: *product_id,
            magento_id: link.magento_id,
            parent: link.parent_id.map(|parent| (parent, link.family_id)),
            sku: link.sku.clone(),
            type_code: link.type_id.code().to_owned(),
            attribute_set: attribute_set.clone(),
        })
        .collect();
    let txn = db.begin().await?;
    let written = link::link_products(
        &txn,
        binder_of(session),
        &links,
        LinkWriter::Publish {
            stock_sync: options.stock_sync,
            buffer: options.buffer,
        },
    )
    .await?;
    let mut saved = Vec::with_capacity(items.len());
    for ((product_id, existing, link), written) in items.into_iter().zip(written) {
        let model = written.map_err(|refused| {
            DomainError::invalid(
                &["productId"],
                ErrorCode::AlreadyExists,
                format!("Magento's product {}: {refused}", link.sku),
            )
        })?;
        let linked = ListingLinked {
            product_id,
            magento_product_id: link.magento_id,
            magento_parent_id: link.parent_id,
            sku: link.sku.clone(),
        };
        let event = if is_listed(existing.as_ref()) {
            DomainEvent::ListingUpdated(linked)
        } else {
            DomainEvent::ListingListed(linked)
        };
        events::append(&txn, store_scope(session), &event).await?;
        saved.push(model);
    }
    txn.commit().await?;
    Ok(saved)
}

fn store_scope(session: &StoreSession) -> events::Scope {
    events::Scope::store(session.org_id(), session.store.id)
}

fn binder_of(session: &StoreSession) -> Binder {
    Binder::new(session.org_id(), session.store.id)
}

/// Pushes the products' stock, whatever "Update Stock Levels in Magento" says.
async fn push_stock(
    db: &DatabaseConnection,
    session: &StoreSession,
    product_ids: &[Uuid],
) -> DomainResult<()> {
    let report = stock_push::push_store(
        db,
        &session.store,
        &session.client,
        PushScope::Products(product_ids),
        PushTrigger::ListingUpdate,
    )
    .await?;
    if report.failed.is_empty() {
        return Ok(());
    }
    // The listing is saved; what failed is its stock, which a repeat pushes again.
    let refused: Vec<String> = report
        .failed
        .iter()
        .map(|(sku, reason)| format!("{sku}: {reason}"))
        .collect();
    Err(DomainError::invalid(
        &[],
        ErrorCode::MagentoError,
        format!(
            "listed, but Magento refused the stock of {}",
            refused.join("; ")
        ),
    ))
}

// ---- families --------------------------------------------------------------------------

/// A family option matched to a Magento attribute.
struct FamilyAttribute {
    name: String,
    attribute: ProductAttribute,
}

async fn family_variants(
    db: &DatabaseConnection,
    org_id: Uuid,
    family_id: Uuid,
) -> DomainResult<Vec<ProductRecord>> {
    let rows = product::Entity::find()
        .filter(product::Column::OrgId.eq(org_id))
        .filter(product::Column::FamilyId.eq(family_id))
        .order_by_asc(product::Column::Sku)
        .all(db)
        .await?;
    products::with_details(db, rows).await
}

fn option_names(family: &product_family::Model) -> Vec<String> {
    [
        &family.option1_name,
        &family.option2_name,
        &family.option3_name,
    ]
    .into_iter()
    .flatten()
    .map(|n| n.trim().to_owned())
    .filter(|n| !n.is_empty())
    .collect()
}

/// The variant's value of option `index` (0-based), in the family's option order.
fn option_value(record: &ProductRecord, index: usize) -> Option<&str> {
    let p = &record.product;
    [&p.option1_value, &p.option2_value, &p.option3_value]
        .get(index)
        .and_then(|v| v.as_deref())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// Whether Magento can make a configurable of this attribute: a dropdown of global
/// scope (Magento's own rule for super attributes).
fn is_global_dropdown(attribute: &ProductAttribute) -> bool {
    attribute.frontend_input.as_deref() == Some("select")
        && attribute
            .scope
            .as_deref()
            .is_none_or(|s| s.eq_ignore_ascii_case("global"))
}

fn matches_option(attribute: &ProductAttribute, name: &str) -> bool {
    attribute.attribute_code.eq_ignore_ascii_case(name)
        || attribute
            .default_frontend_label
            .as_deref()
            .is_some_and(|l| l.trim().eq_ignore_ascii_case(name))
}

/// The configurable attribute for a family option: a global dropdown whose code or label
/// is the option's name (ignoring case). The code is tried first (one read); the list of
/// dropdowns is read only when that misses.
async fn option_attribute(
    client: &MagentoClient,
    name: &str,
    dropdowns: &mut Option<Vec<ProductAttribute>>,
) -> DomainResult<Option<ProductAttribute>> {
    let code = name.trim().to_lowercase().replace([' ', '-'], "_");
    match client.product_attribute(&code).await {
        Ok(found) if is_global_dropdown(&found) && matches_option(&found, name) => {
            return Ok(Some(found));
        }
        Ok(_) | Err(MagentoError::NotFound { .. }) => {}
        Err(err) => return Err(err.into()),
    }
    if dropdowns.is_none() {
        let criteria = SearchCriteria::new().filter("frontend_input", "select", "eq");
        *dropdowns = Some(client.product_attributes(criteria).await?);
    }
    let found = dropdowns
        .iter()
        .flatten()
        .find(|a| is_global_dropdown(a) && matches_option(a, name))
        .cloned();
    // The list may carry no options; the single read does.
    match found {
        Some(found) => Ok(Some(client.product_attribute(&found.attribute_code).await?)),
        None => Ok(None),
    }
}

async fn list_family(
    db: &DatabaseConnection,
    session: &StoreSession,
    requested: ProductRecord,
    family_id: Uuid,
    options: &ListOptions,
) -> DomainResult<listing::Model> {
    let org_id = session.org_id();
    let client = &session.client;
    let family = products::family(db, org_id, family_id).await?;
    let variants = family_variants(db, org_id, family_id).await?;
    let ids: Vec<Uuid> = variants.iter().map(|v| v.product.id).collect();
    let mut listings: HashMap<Uuid, listing::Model> = listing::Entity::find()
        .filter(listing::Column::StoreId.eq(session.store.id))
        .filter(listing::Column::ProductId.is_in(ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|l| (l.product_id, l))
        .collect();

    let attribute_set = chosen_attribute_set(
        options,
        listings.get(&requested.product.id),
        &requested.product,
    )
    .or_else(|| {
        variants
            .iter()
            .find_map(|v| v.product.attribute_set.clone())
    });
    let family_description = family.description.as_deref();
    let names = option_names(&family);
    let errors = family_prerequisites(&family, &names, &requested, &variants);
    let set_id = checked_set_id(session, attribute_set.as_deref(), errors, options)?;

    let mut attributes = family_attributes(client, &names).await?;
    let value_ids = variant_value_ids(client, &mut attributes, &variants).await?;

    // The configurable parent.
    let parent_linked = variants
        .iter()
        .filter_map(|v| listings.get(&v.product.id))
        .any(|l| l.status == ListingStatus::Listed && l.magento_parent_id.is_some());
    let mut parent_input = ProductInput {
        name: Some(family.name.clone()),
        attribute_set_id: Some(set_id),
        visibility: Some(Visibility::CatalogAndSearch),
        ..ProductInput::new(family.sku.clone())
    };
    let parent_description = family_description
        .filter(|d| !d.trim().is_empty())
        .or_else(|| {
            variants
                .iter()
                .find_map(|v| v.product.description.as_deref())
        });
    if let Some(description) = parent_description {
        parent_input = parent_input.with_attribute("description", description);
    }
    set_websites(session, &mut parent_input);
    let parent = write_configurable(
        session,
        &family,
        parent_input,
        parent_linked,
        CreateExtras {
            type_id: ProductType::Configurable,
            enabled: options.create_enabled,
            category: family
                .category
                .clone()
                .or_else(|| requested.product.category.clone()),
            images: parent_images(&family, &variants),
            label: family.name.clone(),
            url_key: None,
        },
    )
    .await?;

    // The children.
    let mut links = Vec::with_capacity(variants.len());
    for (variant, values) in variants.iter().zip(&value_ids) {
        let mut input = item_input(
            session,
            variant,
            family_description,
            set_id,
            Visibility::NotVisibleIndividually,
        );
        for (family_attribute, value) in attributes.iter().zip(values) {
            input = input.with_attribute(&family_attribute.attribute.attribute_code, value);
        }
        let existing = listings.get(&variant.product.id);
        let linked_sku = existing
            .filter(|l| l.status == ListingStatus::Listed)
            .and_then(|l| l.magento_sku.clone());
        let child = write_item(
            session,
            variant,
            input,
            linked_sku,
            CreateExtras {
                type_id: simple_type(variant),
                enabled: options.create_enabled,
                category: variant
                    .product
                    .category
                    .clone()
                    .or_else(|| family.category.clone()),
                images: variant.images(),
                label: variant.product.name.clone(),
                url_key: Some(child_url_key(&variant.product.sku)),
            },
        )
        .await?;
        links.push(Link {
            magento_id: child.id,
            parent_id: Some(parent.id),
            family_id: Some(family.id),
            sku: child.sku,
            type_id: child.type_id,
        });
    }

    attach_children(client, &parent.sku, &attributes, &value_ids, &links).await?;

    let items = variants
        .iter()
        .zip(links)
        .map(|(v, link)| (v.product.id, listings.remove(&v.product.id), link))
        .collect();
    let saved = save_listings(db, session, items, attribute_set, options).await?;
    push_stock(db, session, &ids).await?;
    saved
        .into_iter()
        .find(|l| l.product_id == requested.product.id)
        .ok_or(DomainError::NotFound { entity: "listing" })
}

/// The configurable's images: the family's own, else the first variant's that has any.
fn parent_images(family: &product_family::Model, variants: &[ProductRecord]) -> Vec<String> {
    let own = products::family_images(family);
    if !own.is_empty() {
        return own;
    }
    variants
        .iter()
        .map(ProductRecord::images)
        .find(|images| !images.is_empty())
        .unwrap_or_default()
}

/// The prerequisites of every variant (the one asked for first), and a value for each
/// of the family's options.
fn family_prerequisites(
    family: &product_family::Model,
    names: &[String],
    requested: &ProductRecord,
    variants: &[ProductRecord],
) -> Vec<FieldError> {
    let mut errors = product_prerequisites(requested, Some(family), None);
    let label = format!("variant of family {}", family.sku);
    for variant in variants
        .iter()
        .filter(|v| v.product.id != requested.product.id)
    {
        errors.extend(product_prerequisites(variant, Some(family), Some(&label)));
    }
    for variant in variants {
        for (index, name) in names.iter().enumerate() {
            if option_value(variant, index).is_none() {
                errors.push(FieldError::new(
                    &PRODUCT_FIELD,
                    ErrorCode::Invalid,
                    format!(
                        "the variant {} has no value for the family option {name}",
                        variant.product.sku
                    ),
                ));
            }
        }
    }
    errors
}

/// The family's options as Magento attributes; every option without one is reported.
async fn family_attributes(
    client: &MagentoClient,
    names: &[String],
) -> DomainResult<Vec<FamilyAttribute>> {
    let mut dropdowns = None;
    let mut attributes = Vec::with_capacity(names.len());
    let mut errors = Vec::new();
    for name in names {
        match option_attribute(client, name, &mut dropdowns).await? {
            Some(attribute) => attributes.push(FamilyAttribute {
                name: name.clone(),
                attribute,
            }),
            None => errors.push(FieldError::new(
                &PRODUCT_FIELD,
                ErrorCode::Invalid,
                format!(
                    "Magento has no global dropdown attribute for the family option {name}; create one with this code or label"
                ),
            )),
        }
    }
    if errors.is_empty() {
        Ok(attributes)
    } else {
        Err(DomainError::Invalid(errors))
    }
}

/// Each variant's option values as Magento option ids (per variant, in option order);
/// a value the attribute lacks is added to it.
async fn variant_value_ids(
    client: &MagentoClient,
    attributes: &mut [FamilyAttribute],
    variants: &[ProductRecord],
) -> DomainResult<Vec<Vec<String>>> {
    let mut value_ids: Vec<Vec<String>> = vec![Vec::new(); variants.len()];
    for (index, family_attribute) in attributes.iter_mut().enumerate() {
        let attribute = &mut family_attribute.attribute;
        for (variant, ids) in variants.iter().zip(value_ids.iter_mut()) {
            let label = option_value(variant, index).unwrap_or_default();
            let value = match attribute.option_by_label(label) {
                Some(option) => option.value.clone(),
                None => {
                    let value = client
                        .add_attribute_option(&attribute.attribute_code, label)
                        .await?;
                    attribute.options.push(dto::AttributeOption {
                        label: label.to_owned(),
                        value: value.clone(),
                    });
                    value
                }
            };
            ids.push(value);
        }
    }
    Ok(value_ids)
}

/// Adds the super attributes the configurable lacks, offering every value its children
/// use, then links the children (one linked already counts as done). An option the
/// configurable has already is left alone: Magento derives its values from the linked
/// children, so a child with a new value widens it when it is linked.
async fn attach_children(
    client: &MagentoClient,
    parent_sku: &str,
    attributes: &[FamilyAttribute],
    value_ids: &[Vec<String>],
    children: &[Link],
) -> DomainResult<()> {
    let present = client.configurable_options(parent_sku).await?;
    for (position, family_attribute) in attributes.iter().enumerate() {
        let attribute_id = family_attribute.attribute.attribute_id;
        if present.iter().any(|o| o.attribute_id == attribute_id) {
            continue;
        }
        let mut value_indexes: Vec<i64> = value_ids
            .iter()
            .filter_map(|values| values.get(position)?.parse().ok())
            .collect();
        value_indexes.sort_unstable();
        value_indexes.dedup();
        let option = ConfigurableOptionInput {
            attribute_id,
            label: family_attribute.name.clone(),
            position: position as i64,
            is_use_default: true,
            value_indexes,
        };
        client.add_configurable_option(parent_sku, &option).await?;
    }
    for child in children {
        client
            .link_configurable_child(parent_sku, &child.sku)
            .await?;
    }
    Ok(())
}

/// A child's url key: its SKU in Magento's url-key form, unique where names are not.
fn child_url_key(sku: &str) -> String {
    let mut key = String::new();
    for c in sku.trim().to_lowercase().chars() {
        if c.is_alphanumeric() {
            key.push(c);
        } else if !key.is_empty() && !key.ends_with('-') {
            key.push('-');
        }
    }
    key.trim_end_matches('-').to_owned()
}

/// The family's configurable: updated by its SKU once a variant links to it, else
/// created (or, when Magento has the SKU, linked and updated).
async fn write_configurable(
    session: &StoreSession,
    family: &product_family::Model,
    input: ProductInput,
    linked: bool,
    extras: CreateExtras,
) -> DomainResult<Product> {
    let client = &session.client;
    if linked {
        return client
            .update_product(&family.sku, &input)
            .await
            .map_err(DomainError::from);
    }
    if let Some(found) = find_product(client, &family.sku).await? {
        if found.type_id != ProductType::Configurable {
            return Err(DomainError::invalid(
                &PRODUCT_FIELD,
                ErrorCode::MagentoError,
                format!(
                    "Magento has a {} product with the family's SKU {}; a family lists as a configurable product",
                    found.type_id.code(),
                    family.sku
                ),
            ));
        }
        return client
            .update_product(&found.sku, &input)
            .await
            .map_err(DomainError::from);
    }
    create(client, input, extras).await
}

// ---- unlink and remove -----------------------------------------------------------------

/// "Unlink": the link between the products goes; both stay, in Magento and the ledger.
/// The listing keeps its settings (stock sync, buffer) for a later listing.
pub async fn unlink(
    db: &DatabaseConnection,
    session: &StoreSession,
    product_id: Uuid,
) -> DomainResult<listing::Model> {
    serialised(db, session, product_id, async {
        let listing = listing_of(db, session, product_id)
            .await?
            .filter(|l| is_listed(Some(l)))
            .ok_or_else(|| not_listed(&["productId"]))?;
        mark_unlinked(db, session, listing, DomainEvent::ListingUnlinked).await
    })
    .await
}

async fn mark_unlinked(
    db: &DatabaseConnection,
    session: &StoreSession,
    listing: listing::Model,
    event: fn(ListingUnlinked) -> DomainEvent,
) -> DomainResult<listing::Model> {
    let event = event(ListingUnlinked {
        product_id: listing.product_id,
        magento_product_id: listing.magento_product_id,
        sku: listing.magento_sku.clone(),
    });
    let txn = db.begin().await?;
    let saved = link::unlink_product(&txn, binder_of(session), listing.product_id)
        .await?
        .ok_or(DomainError::NotFound { entity: "listing" })?;
    events::append(&txn, store_scope(session), &event).await?;
    txn.commit().await?;
    Ok(saved)
}

/// "Remove from Magento": deletes the product in Magento, then unlinks it. A product
/// Magento no longer has counts as deleted.
pub async fn remove(
    db: &DatabaseConnection,
    session: &StoreSession,
    product_id: Uuid,
) -> DomainResult<listing::Model> {
    serialised(
        db,
        session,
        product_id,
        remove_locked(db, session, product_id),
    )
    .await
}

async fn remove_locked(
    db: &DatabaseConnection,
    session: &StoreSession,
    product_id: Uuid,
) -> DomainResult<listing::Model> {
    let record = products::product(db, session.org_id(), product_id).await?;
    let listing = listing_of(db, session, product_id)
        .await?
        .filter(|l| l.status == ListingStatus::Listed)
        .ok_or_else(|| not_listed(&["productId"]))?;
    let sku = listing
        .magento_sku
        .clone()
        .unwrap_or_else(|| record.product.sku.clone());
    delete_in_magento(&session.client, &sku).await?;

    // A configurable left without listed children goes too.
    if let (Some(parent_id), Some(family_id)) =
        (listing.magento_parent_id, record.product.family_id)
    {
        let siblings = listing::Entity::find()
            .filter(listing::Column::StoreId.eq(session.store.id))
            .filter(listing::Column::MagentoParentId.eq(parent_id))
            .filter(listing::Column::Status.eq(ListingStatus::Listed))
            .filter(listing::Column::ProductId.ne(product_id))
            .all(db)
            .await?;
        if siblings.is_empty() {
            let family = products::family(db, session.org_id(), family_id).await?;
            delete_in_magento(&session.client, &family.sku).await?;
            binder_of(session)
                .unbind_record(db, LinkKind::Configurable, family_id)
                .await?;
        }
    }
    mark_unlinked(db, session, listing, DomainEvent::ListingRemoved).await
}

async fn delete_in_magento(client: &MagentoClient, sku: &str) -> DomainResult<()> {
    match client.delete_product(sku).await {
        Ok(()) | Err(MagentoError::NotFound { .. }) => Ok(()),
        Err(err) => Err(err.into()),
    }
}

// ---- the catalogue entry ---------------------------------------------------------------

/// The product as the store's catalogue shows it (what a mutation answers with).
pub async fn catalog_entry(
    db: &DatabaseConnection,
    session: &StoreSession,
    product_id: Uuid,
) -> DomainResult<CatalogEntry> {
    entry_of(
        db,
        session.org_id(),
        session.store.id,
        &session.settings,
        product_id,
    )
    .await
}

async fn entry_of(
    db: &DatabaseConnection,
    org_id: Uuid,
    store_id: Uuid,
    settings: &magento_setting::Model,
    product_id: Uuid,
) -> DomainResult<CatalogEntry> {
    let product = products::product(db, org_id, product_id).await?;
    let listing = listing_in(db, store_id, product_id).await?;
    let availability = stock::availability_of(db, org_id, &[product_id], settings.location_id)
        .await?
        .remove(&product_id)
        .unwrap_or(Availability::ZERO);
    Ok(CatalogEntry::new(
        product,
        listing,
        availability,
        &ChannelBuffer::from(settings),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_childs_url_key_comes_from_its_sku() {
        assert_eq!(child_url_key("HT-TEE/S Sand"), "ht-tee-s-sand");
        assert_eq!(child_url_key(" MUG 11oz "), "mug-11oz");
    }

    #[test]
    fn only_a_global_dropdown_makes_a_configurable_option() {
        let attribute = |input: &str, scope: Option<&str>| ProductAttribute {
            attribute_id: 93,
            attribute_code: "color".into(),
            default_frontend_label: Some("Color".into()),
            frontend_input: Some(input.into()),
            scope: scope.map(str::to_owned),
            options: Vec::new(),
        };
        assert!(is_global_dropdown(&attribute("select", Some("global"))));
        assert!(!is_global_dropdown(&attribute("select", Some("store"))));
        assert!(!is_global_dropdown(&attribute("text", Some("global"))));
        assert!(matches_option(&attribute("select", None), "COLOR"));
        assert!(!matches_option(&attribute("select", None), "Colour"));
    }
}
