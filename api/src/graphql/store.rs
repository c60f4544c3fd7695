//! Stores, their settings, cached metadata and mappings.

use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use domain::channel::magento::settings::SettingsPatch;
use domain::channel::magento::stores;
use domain::entities::{enums, magento_setting, magento_store};
use domain::reference;

use super::catalog::{CatalogItem, ListingStatus};
use super::errors::query;
use super::ids;
use super::reference::{Customer, Location};
use super::{require, state};
use domain::auth::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "enums::StoreStatus")]
pub enum StoreStatus {
    Connected,
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "enums::StockMode")]
pub enum StockMode {
    /// Not known until the metadata refresh has run.
    Unknown,
    /// Multi-Source Inventory: stock is pushed per source.
    Msi,
    /// No MSI modules: the legacy stock item of the default source.
    Legacy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "enums::SalesStoreScope")]
pub enum SalesStoreScope {
    DoNotLoad,
    AllStores,
    StoreView,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "enums::CaptureOrderWhen")]
pub enum CaptureOrderWhen {
    Created,
    Paid,
    ProcessingCompleteRefundedClosed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "enums::Consolidation")]
pub enum Consolidation {
    NoConsolidation,
    Daily,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "enums::FulfilmentMode")]
pub enum FulfilmentMode {
    DraftOrder,
    NoPicking,
    AutoPick,
    AutoPickPack,
    AutoPickPackShip,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "enums::AutoAssemblyMode")]
pub enum AutoAssemblyMode {
    ForOrderedQuantity,
    ForMinimumRequired,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "enums::InvoiceStatus")]
pub enum InvoiceStatus {
    Draft,
    Authorised,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "stores::WarningCode")]
pub enum UserWarningCode {
    /// Listed products with on hand 0 here have stock in Magento: with Update Stock
    /// Levels in Magento on, their next push sets Magento to 0 (see
    /// `stockImportFromMagento`).
    StockWouldOverwriteMagento,
    /// Magento could not be asked in time whether those products have stock there.
    MagentoStockNotCompared,
}

/// What a saved change may do that the caller should know about. Not an error: the
/// change was saved.
#[derive(SimpleObject)]
pub struct UserWarning {
    pub code: UserWarningCode,
    pub message: String,
    /// How many products it concerns (a lower bound when the message says "at
    /// least"); null when not known.
    pub count: Option<i64>,
}

impl From<stores::UserWarning> for UserWarning {
    fn from(warning: stores::UserWarning) -> Self {
        Self {
            code: warning.code.into(),
            message: warning.message,
            count: warning.count,
        }
    }
}

pub struct Store(pub magento_store::Model);

#[Object]
impl Store {
    async fn id(&self) -> ID {
        ids::encode("Store", self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The shop website; changes only by reconnecting.
    async fn base_url(&self) -> &str {
        &self.0.base_url
    }
    async fn status(&self) -> StoreStatus {
        self.0.status.into()
    }
    async fn connected_at(&self) -> DateTime<Utc> {
        self.0.connected_at
    }
    /// The last 4 characters of the consumer key; no secret is ever readable.
    async fn consumer_key_last4(&self) -> &str {
        &self.0.consumer_key_last4
    }
    async fn has_consumer_key(&self) -> bool {
        !self.0.consumer_key_enc.is_empty()
    }
    async fn has_consumer_secret(&self) -> bool {
        !self.0.consumer_secret_enc.is_empty()
    }
    async fn has_access_token(&self) -> bool {
        !self.0.access_token_enc.is_empty()
    }
    async fn has_access_token_secret(&self) -> bool {
        !self.0.access_token_secret_enc.is_empty()
    }
    async fn stock_mode(&self) -> StockMode {
        self.0.stock_mode.into()
    }
    async fn metadata_refreshed_at(&self) -> Option<DateTime<Utc>> {
        self.0.metadata_refreshed_at
    }
    /// Where the Magento module posts this store's notifications.
    async fn webhook_url(&self, ctx: &Context<'_>) -> String {
        super::orders::webhook_url(ctx, self.0.id)
    }
    /// Whether a webhook secret was made (`storeRotateWebhookSecret`); without one every
    /// notification is refused and orders arrive by polling alone.
    async fn has_webhook_secret(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        let s = state(ctx);
        query(stores::webhook::has_secret(&s.services.db, self.0.id).await)
    }
    /// One entry per captured Magento order, newest first, with the sale it became.
    async fn log(
        &self,
        ctx: &Context<'_>,
        filter: Option<super::orders::LogFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<super::query::Paged<super::orders::LogEntry>> {
        super::orders::store_log(ctx, self.0.org_id, self.0.id, filter, first, after).await
    }
    /// Captured orders waiting to become sales (by default those not processed yet),
    /// newest first.
    async fn pending_orders(
        &self,
        ctx: &Context<'_>,
        filter: Option<super::orders::PendingOrderFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<super::query::Paged<super::orders::PendingOrder>> {
        super::orders::store_pending_orders(ctx, self.0.org_id, self.0.id, filter, first, after)
            .await
    }
    /// Every ledger product with its listing in this store, by the product filters.
    async fn catalog(
        &self,
        ctx: &Context<'_>,
        filter: Option<CatalogFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<super::query::Paged<CatalogItem>> {
        let s = state(ctx);
        let filter = filter.unwrap_or_default().into_domain()?;
        let page_request = super::query::page(ctx, first, after)?;
        let result = query(
            domain::channel::magento::catalog::catalog(
                &s.services.db,
                self.0.org_id,
                self.0.id,
                &filter,
                page_request,
            )
            .await,
        )?;
        Ok(super::query::connection(page_request, result, CatalogItem))
    }
    async fn settings(&self, ctx: &Context<'_>) -> async_graphql::Result<StoreSettings> {
        let s = state(ctx);
        Ok(StoreSettings(query(
            stores::settings_of(&s.services.db, self.0.org_id, self.0.id).await,
        )?))
    }
    async fn store_views(&self) -> Vec<MagentoStoreView> {
        stores::metadata_of(&self.0)
            .store_views
            .into_iter()
            .map(|v| MagentoStoreView {
                id: v.id,
                code: v.code,
                name: v.name,
                website_id: v.website_id,
            })
            .collect()
    }
    async fn attribute_sets(&self) -> Vec<MagentoAttributeSet> {
        stores::metadata_of(&self.0)
            .attribute_sets
            .into_iter()
            .map(|a| MagentoAttributeSet {
                id: a.attribute_set_id,
                name: a.attribute_set_name,
            })
            .collect()
    }
    async fn tax_classes(&self) -> Vec<MagentoTaxClass> {
        stores::metadata_of(&self.0)
            .tax_classes
            .into_iter()
            .map(|c| MagentoTaxClass {
                id: c.class_id,
                name: c.class_name,
                class_type: c.class_type,
            })
            .collect()
    }
    async fn tax_rates(&self) -> Vec<MagentoTaxRate> {
        stores::metadata_of(&self.0)
            .tax_rates
            .into_iter()
            .map(|r| MagentoTaxRate {
                code: r.code,
                country_id: r.tax_country_id,
                region_name: r.region_name,
                postcode: r.tax_postcode,
                rate: r.rate,
            })
            .collect()
    }
    async fn payment_methods(&self) -> Vec<MagentoPaymentMethod> {
        stores::metadata_of(&self.0)
            .payment_methods
            .into_iter()
            .map(|m| MagentoPaymentMethod {
                code: m.code,
                title: m.title,
            })
            .collect()
    }
    async fn sources(&self) -> Vec<MagentoSource> {
        stores::metadata_of(&self.0)
            .sources
            .into_iter()
            .map(|s| MagentoSource {
                code: s.source_code,
                name: s.name,
                enabled: s.enabled,
            })
            .collect()
    }
    async fn tax_rule_mappings(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<TaxRuleMapping>> {
        let s = state(ctx);
        let mappings = query(stores::tax_rule_mappings(&s.services.db, self.0.id).await)?;
        Ok(mappings
            .into_iter()
            .map(|m| TaxRuleMapping {
                tax_rate_code: m.tax_rate_code,
                tax_rule_id: ids::encode("TaxRule", m.tax_rule_id),
            })
            .collect())
    }
    /// Which MSI source each location's stock is pushed to.
    async fn location_mappings(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<LocationMapping>> {
        let s = state(ctx);
        let mappings = query(stores::location_mappings(&s.services.db, self.0.id).await)?;
        Ok(mappings
            .into_iter()
            .map(|m| LocationMapping {
                source_code: m.source_code,
                location_id: ids::encode("Location", m.location_id),
            })
            .collect())
    }
    /// The tax rule for lines Magento did not tax.
    async fn tax_free_tax_rule_id(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ID>> {
        let s = state(ctx);
        let settings = query(stores::settings_of(&s.services.db, self.0.org_id, self.0.id).await)?;
        Ok(settings
            .tax_free_tax_rule_id
            .map(|id| ids::encode("TaxRule", id)))
    }
    /// Every cached Magento tax rate and the Tax Free slot are mapped. Orders load but
    /// are not processed until this is true.
    async fn tax_mapping_complete(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        let s = state(ctx);
        let settings = query(stores::settings_of(&s.services.db, self.0.org_id, self.0.id).await)?;
        let mappings = query(stores::tax_rule_mappings(&s.services.db, self.0.id).await)?;
        let codes: Vec<String> = stores::metadata_of(&self.0)
            .tax_rates
            .into_iter()
            .map(|r| r.code)
            .collect();
        Ok(stores::tax_mapping_complete(
            &codes,
            &mappings,
            settings.tax_free_tax_rule_id,
        ))
    }
    async fn payment_account_mappings(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<PaymentAccountMapping>> {
        let s = state(ctx);
        let mappings = query(
            stores::payment_account_mappings(&s.services.db, self.0.org_id, self.0.id).await,
        )?;
        Ok(mappings
            .into_iter()
            .map(|m| PaymentAccountMapping {
                payment_method_code: m.payment_method_code,
                account_code: m.account_code,
            })
            .collect())
    }
}

#[derive(SimpleObject)]
pub struct MagentoStoreView {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub website_id: i64,
}

#[derive(SimpleObject)]
pub struct MagentoAttributeSet {
    pub id: i64,
    pub name: String,
}

#[derive(SimpleObject)]
pub struct MagentoTaxClass {
    pub id: i64,
    pub name: String,
    pub class_type: String,
}

#[derive(SimpleObject)]
pub struct MagentoTaxRate {
    pub code: String,
    pub country_id: String,
    pub region_name: Option<String>,
    pub postcode: Option<String>,
    pub rate: Decimal,
}

#[derive(SimpleObject)]
pub struct MagentoPaymentMethod {
    pub code: String,
    pub title: String,
}

#[derive(SimpleObject)]
pub struct MagentoSource {
    pub code: String,
    pub name: String,
    pub enabled: bool,
}

#[derive(SimpleObject)]
pub struct TaxRuleMapping {
    pub tax_rate_code: String,
    pub tax_rule_id: ID,
}

#[derive(SimpleObject)]
pub struct LocationMapping {
    pub source_code: String,
    pub location_id: ID,
}

#[derive(SimpleObject)]
pub struct PaymentAccountMapping {
    pub payment_method_code: String,
    pub account_code: String,
}

/// Every store setting (`docs/settings.md`).
pub struct StoreSettings(pub magento_setting::Model);

#[Object]
impl StoreSettings {
    async fn sales_store_scope(&self) -> SalesStoreScope {
        self.0.sales_store_scope.into()
    }
    async fn sales_store_view_code(&self) -> Option<&str> {
        self.0.sales_store_view_code.as_deref()
    }
    async fn capture_order_when(&self) -> CaptureOrderWhen {
        self.0.capture_order_when.into()
    }
    async fn consolidation(&self) -> Consolidation {
        self.0.consolidation.into()
    }
    /// `HH:MM` in the organisation's time zone.
    async fn consolidation_time(&self) -> Option<&str> {
        self.0.consolidation_time.as_deref()
    }
    async fn default_customer_id(&self) -> Option<ID> {
        self.0
            .default_customer_id
            .map(|id| ids::encode("Customer", id))
    }
    async fn default_customer(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Customer>> {
        let Some(id) = self.0.default_customer_id else {
            return Ok(None);
        };
        let s = state(ctx);
        Ok(
            super::errors::optional(reference::customer(&s.services.db, self.0.org_id, id).await)?
                .map(Customer),
        )
    }
    async fn use_company_as_customer(&self) -> bool {
        self.0.use_company_as_customer
    }
    async fn price_tier(&self) -> i32 {
        i32::from(self.0.price_tier)
    }
    async fn sale_price_tier(&self) -> i32 {
        i32::from(self.0.sale_price_tier)
    }
    async fn fulfilment_mode(&self) -> FulfilmentMode {
        self.0.fulfilment_mode.into()
    }
    async fn auto_assembly_mode(&self) -> AutoAssemblyMode {
        self.0.auto_assembly_mode.into()
    }
    async fn ignore_restock_for_unfulfilled(&self) -> bool {
        self.0.ignore_restock_for_unfulfilled
    }
    /// Null means All Locations.
    async fn location_id(&self) -> Option<ID> {
        self.0.location_id.map(|id| ids::encode("Location", id))
    }
    async fn location(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Location>> {
        let Some(id) = self.0.location_id else {
            return Ok(None);
        };
        Ok(super::loaders::location(ctx, id).await?.map(Location))
    }
    async fn invoice_status(&self) -> InvoiceStatus {
        self.0.invoice_status.into()
    }
    async fn gift_card_liability_account_code(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<String>> {
        account_code(ctx, self.0.org_id, self.0.gift_card_liability_account_id).await
    }
    async fn revenue_account_code(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<String>> {
        account_code(ctx, self.0.org_id, self.0.revenue_account_id).await
    }
    /// When empty, the store's name is used.
    async fn sales_representative(&self) -> Option<&str> {
        self.0.sales_representative.as_deref()
    }
    async fn list_products_as_draft(&self) -> bool {
        self.0.list_products_as_draft
    }
    async fn update_stock_levels(&self) -> bool {
        self.0.update_stock_levels
    }
    async fn use_buffer_inventory(&self) -> bool {
        self.0.use_buffer_inventory
    }
    async fn buffer_inventory(&self) -> i32 {
        self.0.buffer_inventory
    }
    async fn update_manage_stock(&self) -> bool {
        self.0.update_manage_stock
    }
    async fn update_is_in_stock(&self) -> bool {
        self.0.update_is_in_stock
    }
    async fn magento_is_master(&self) -> bool {
        self.0.magento_is_master
    }
    async fn import_stock_operations(&self) -> bool {
        self.0.import_stock_operations
    }
    async fn export_shipments(&self) -> bool {
        self.0.export_shipments
    }
    async fn send_shipment_email(&self) -> bool {
        self.0.send_shipment_email
    }
    async fn skip_shipment_without_tracking(&self) -> bool {
        self.0.skip_shipment_without_tracking
    }
    async fn load_coupon_codes(&self) -> bool {
        self.0.load_coupon_codes
    }
}

async fn account_code(
    ctx: &Context<'_>,
    org_id: uuid::Uuid,
    id: Option<uuid::Uuid>,
) -> async_graphql::Result<Option<String>> {
    let Some(id) = id else { return Ok(None) };
    let s = state(ctx);
    let accounts = query(reference::accounts(&s.services.db, org_id).await)?;
    Ok(accounts.into_iter().find(|a| a.id == id).map(|a| a.code))
}

/// Every field optional so one call can change one setting; `null` clears a nullable
/// setting.
#[derive(InputObject, Default)]
pub struct StoreSettingsInput {
    pub sales_store_scope: Option<SalesStoreScope>,
    pub sales_store_view_code: MaybeUndefined<String>,
    pub capture_order_when: Option<CaptureOrderWhen>,
    pub consolidation: Option<Consolidation>,
    pub consolidation_time: MaybeUndefined<String>,
    pub default_customer_id: MaybeUndefined<ID>,
    pub use_company_as_customer: Option<bool>,
    pub price_tier: Option<i32>,
    pub sale_price_tier: Option<i32>,
    pub fulfilment_mode: Option<FulfilmentMode>,
    pub auto_assembly_mode: Option<AutoAssemblyMode>,
    pub ignore_restock_for_unfulfilled: Option<bool>,
    pub location_id: MaybeUndefined<ID>,
    pub invoice_status: Option<InvoiceStatus>,
    pub gift_card_liability_account_code: MaybeUndefined<String>,
    pub revenue_account_code: MaybeUndefined<String>,
    pub sales_representative: MaybeUndefined<String>,
    pub list_products_as_draft: Option<bool>,
    pub update_stock_levels: Option<bool>,
    pub use_buffer_inventory: Option<bool>,
    /// Whole units, 0 or more (a Decimal so a fractional value is reported as a
    /// userError naming this setting).
    pub buffer_inventory: Option<Decimal>,
    pub update_manage_stock: Option<bool>,
    pub update_is_in_stock: Option<bool>,
    pub magento_is_master: Option<bool>,
    pub import_stock_operations: Option<bool>,
    pub export_shipments: Option<bool>,
    pub send_shipment_email: Option<bool>,
    pub skip_shipment_without_tracking: Option<bool>,
    pub load_coupon_codes: Option<bool>,
}

fn maybe<T, U>(value: MaybeUndefined<T>, f: impl FnOnce(T) -> U) -> Option<Option<U>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(f(v))),
    }
}

impl StoreSettingsInput {
    pub fn into_patch(self) -> async_graphql::Result<SettingsPatch> {
        let default_customer_id = match self.default_customer_id {
            MaybeUndefined::Value(id) => Some(Some(ids::decode("Customer", &id)?)),
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Undefined => None,
        };
        let location_id = match self.location_id {
            MaybeUndefined::Value(id) => Some(Some(ids::decode("Location", &id)?)),
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Undefined => None,
        };
        Ok(SettingsPatch {
            sales_store_scope: self.sales_store_scope.map(Into::into),
            sales_store_view_code: maybe(self.sales_store_view_code, |v| v),
            capture_order_when: self.capture_order_when.map(Into::into),
            consolidation: self.consolidation.map(Into::into),
            consolidation_time: maybe(self.consolidation_time, |v| v),
            default_customer_id,
            use_company_as_customer: self.use_company_as_customer,
            price_tier: self.price_tier,
            sale_price_tier: self.sale_price_tier,
            fulfilment_mode: self.fulfilment_mode.map(Into::into),
            auto_assembly_mode: self.auto_assembly_mode.map(Into::into),
            ignore_restock_for_unfulfilled: self.ignore_restock_for_unfulfilled,
            location_id,
            invoice_status: self.invoice_status.map(Into::into),
            gift_card_liability_account_code: maybe(self.gift_card_liability_account_code, |v| v),
            revenue_account_code: maybe(self.revenue_account_code, |v| v),
            sales_representative: maybe(self.sales_representative, |v| v),
            list_products_as_draft: self.list_products_as_draft,
            update_stock_levels: self.update_stock_levels,
            use_buffer_inventory: self.use_buffer_inventory,
            buffer_inventory: self.buffer_inventory,
            update_manage_stock: self.update_manage_stock,
            update_is_in_stock: self.update_is_in_stock,
            magento_is_master: self.magento_is_master,
            import_stock_operations: self.import_stock_operations,
            export_shipments: self.export_shipments,
            send_shipment_email: self.send_shipment_email,
            skip_shipment_without_tracking: self.skip_shipment_without_tracking,
            load_coupon_codes: self.load_coupon_codes,
        })
    }
}

/// Loads a store of the caller's organisation (viewer and up).
pub(crate) async fn load_store(ctx: &Context<'_>, id: &ID) -> async_graphql::Result<Option<Store>> {
    let principal = require(ctx, Role::Viewer)?;
    let uuid = ids::decode("Store", id)?;
    let s = state(ctx);
    Ok(
        super::errors::optional(stores::get(&s.services.db, principal.org_id, uuid).await)?
            .map(Store),
    )
}

/// What the catalogue and bulk listing select by: the product filters, the listing
/// status in this store, and "Products Listed in" another connected store.
#[derive(InputObject, Default)]
pub struct CatalogFilter {
    #[graphql(flatten)]
    pub product: super::products::ProductFilter,
    pub listing_status: Option<ListingStatus>,
    /// Only products listed in this (other) connected store.
    pub listed_in_store_id: Option<ID>,
}

impl CatalogFilter {
    pub(crate) fn into_domain(
        self,
    ) -> async_graphql::Result<domain::channel::magento::catalog::CatalogFilter> {
        Ok(domain::channel::magento::catalog::CatalogFilter {
            products: self.product.into_domain()?,
            status: self.listing_status.map(Into::into),
            listed_in_store: self
                .listed_in_store_id
                .map(|id| ids::decode("Store", &id))
                .transpose()?,
        })
    }
}
