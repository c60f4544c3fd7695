use sea_orm::entity::prelude::*;

use crate::enums::{
    AutoAssemblyMode, CaptureOrderWhen, Consolidation, FulfilmentMode, InvoiceStatus,
    SalesStoreScope,
};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "magento_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub store_id: Uuid,
    pub org_id: Uuid,
    pub sales_store_scope: SalesStoreScope,
    pub sales_store_view_code: Option<String>,
    pub capture_order_when: CaptureOrderWhen,
    pub consolidation: Consolidation,
    pub consolidation_time: Option<String>,
    pub default_customer_id: Option<Uuid>,
    pub use_company_as_customer: bool,
    pub price_tier: i16,
    pub sale_price_tier: i16,
    pub fulfilment_mode: FulfilmentMode,
    pub auto_assembly_mode: AutoAssemblyMode,
    pub ignore_restock_for_unfulfilled: bool,
    pub location_id: Option<Uuid>,
    pub invoice_status: InvoiceStatus,
    pub gift_card_liability_account_id: Option<Uuid>,
    pub revenue_account_id: Option<Uuid>,
    pub sales_representative: Option<String>,
    pub list_products_as_draft: bool,
    pub update_stock_levels: bool,
    pub use_buffer_inventory: bool,
    pub buffer_inventory: i32,
    pub update_manage_stock: bool,
    pub update_is_in_stock: bool,
    pub magento_is_master: bool,
    pub import_stock_operations: bool,
    pub export_shipments: bool,
    pub send_shipment_email: bool,
    pub skip_shipment_without_tracking: bool,
    pub load_coupon_codes: bool,
    pub tax_free_tax_rule_id: Option<Uuid>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
