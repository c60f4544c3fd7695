use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum Role {
    // Ordered by power: a role may do what every lower role may.
    #[sea_orm(string_value = "viewer")]
    Viewer,
    #[sea_orm(string_value = "operator")]
    Operator,
    #[sea_orm(string_value = "admin")]
    Admin,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum JobState {
    #[sea_orm(string_value = "queued")]
    Queued,
    #[sea_orm(string_value = "running")]
    Running,
    #[sea_orm(string_value = "succeeded")]
    Succeeded,
    #[sea_orm(string_value = "partially_succeeded")]
    PartiallySucceeded,
    #[sea_orm(string_value = "failed")]
    Failed,
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
}

impl JobState {
    pub fn is_terminal(self) -> bool {
        !matches!(self, JobState::Queued | JobState::Running)
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum JobItemOutcome {
    #[sea_orm(string_value = "succeeded")]
    Succeeded,
    #[sea_orm(string_value = "failed")]
    Failed,
    #[sea_orm(string_value = "skipped")]
    Skipped,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum StoreStatus {
    #[sea_orm(string_value = "connected")]
    Connected,
    #[sea_orm(string_value = "error")]
    Error,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum StockMode {
    #[sea_orm(string_value = "unknown")]
    Unknown,
    #[sea_orm(string_value = "msi")]
    Msi,
    #[sea_orm(string_value = "legacy")]
    Legacy,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum AccountKind {
    #[sea_orm(string_value = "revenue")]
    Revenue,
    #[sea_orm(string_value = "expense")]
    Expense,
    #[sea_orm(string_value = "asset")]
    Asset,
    #[sea_orm(string_value = "liability")]
    Liability,
    #[sea_orm(string_value = "equity")]
    Equity,
    #[sea_orm(string_value = "bank")]
    Bank,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum SalesStoreScope {
    #[sea_orm(string_value = "do_not_load")]
    DoNotLoad,
    #[sea_orm(string_value = "all_stores")]
    AllStores,
    #[sea_orm(string_value = "store_view")]
    StoreView,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum CaptureOrderWhen {
    #[sea_orm(string_value = "created")]
    Created,
    #[sea_orm(string_value = "paid")]
    Paid,
    #[sea_orm(string_value = "processing_complete_refunded_closed")]
    ProcessingCompleteRefundedClosed,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum Consolidation {
    #[sea_orm(string_value = "no_consolidation")]
    NoConsolidation,
    #[sea_orm(string_value = "daily")]
    Daily,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum FulfilmentMode {
    #[sea_orm(string_value = "draft_order")]
    DraftOrder,
    #[sea_orm(string_value = "no_picking")]
    NoPicking,
    #[sea_orm(string_value = "auto_pick")]
    AutoPick,
    #[sea_orm(string_value = "auto_pick_pack")]
    AutoPickPack,
    #[sea_orm(string_value = "auto_pick_pack_ship")]
    AutoPickPackShip,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum AutoAssemblyMode {
    #[sea_orm(string_value = "for_ordered_quantity")]
    ForOrderedQuantity,
    #[sea_orm(string_value = "for_minimum_required")]
    ForMinimumRequired,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum InvoiceStatus {
    #[sea_orm(string_value = "draft")]
    Draft,
    #[sea_orm(string_value = "authorised")]
    Authorised,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum ProductKind {
    /// Counted in stock.
    #[sea_orm(string_value = "stock")]
    Stock,
    /// Sold, never stocked (labour, fees).
    #[sea_orm(string_value = "service")]
    Service,
    #[sea_orm(string_value = "gift_card")]
    GiftCard,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum ProductStatus {
    #[sea_orm(string_value = "active")]
    Active,
    #[sea_orm(string_value = "draft")]
    Draft,
    #[sea_orm(string_value = "deprecated")]
    Deprecated,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum MovementKind {
    /// A counted correction (with a reason).
    #[sea_orm(string_value = "adjustment")]
    Adjustment,
    #[sea_orm(string_value = "transfer_out")]
    TransferOut,
    #[sea_orm(string_value = "transfer_in")]
    TransferIn,
    /// An authorised sale order reserving stock.
    #[sea_orm(string_value = "allocation")]
    Allocation,
    /// A reservation released (void, or moved into a pick).
    #[sea_orm(string_value = "deallocation")]
    Deallocation,
    /// An authorised pick taking stock out (on hand and allocated down).
    #[sea_orm(string_value = "pick")]
    Pick,
    /// A voided pick putting its stock back.
    #[sea_orm(string_value = "pick_reversal")]
    PickReversal,
    /// A credit note returning goods to a location.
    #[sea_orm(string_value = "restock")]
    Restock,
    #[sea_orm(string_value = "assembly_consume")]
    AssemblyConsume,
    #[sea_orm(string_value = "assembly_produce")]
    AssemblyProduce,
}

/// A sale order's state: a draft is edited freely, an authorised order holds stock, a
/// voided one stays for reconciliation.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum OrderStatus {
    #[sea_orm(string_value = "draft")]
    Draft,
    #[sea_orm(string_value = "authorised")]
    Authorised,
    #[sea_orm(string_value = "voided")]
    Voided,
}

/// A pick, pack or ship stage of a fulfilment.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum StageStatus {
    #[sea_orm(string_value = "not_started")]
    NotStarted,
    #[sea_orm(string_value = "draft")]
    Draft,
    #[sea_orm(string_value = "authorised")]
    Authorised,
    #[sea_orm(string_value = "voided")]
    Voided,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum SaleInvoiceStatus {
    #[sea_orm(string_value = "draft")]
    Draft,
    #[sea_orm(string_value = "authorised")]
    Authorised,
    #[sea_orm(string_value = "paid")]
    Paid,
    #[sea_orm(string_value = "voided")]
    Voided,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum ChargeKind {
    #[sea_orm(string_value = "shipping")]
    Shipping,
    #[sea_orm(string_value = "discount")]
    Discount,
    #[sea_orm(string_value = "coupon_discount")]
    CouponDiscount,
    #[sea_orm(string_value = "gift_card")]
    GiftCard,
    #[sea_orm(string_value = "surcharge")]
    Surcharge,
    #[sea_orm(string_value = "other")]
    Other,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum CreditNoteStatus {
    #[sea_orm(string_value = "draft")]
    Draft,
    #[sea_orm(string_value = "authorised")]
    Authorised,
    #[sea_orm(string_value = "voided")]
    Voided,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum AssemblyStatus {
    #[sea_orm(string_value = "draft")]
    Draft,
    #[sea_orm(string_value = "completed")]
    Completed,
    #[sea_orm(string_value = "voided")]
    Voided,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum ListingStatus {
    #[sea_orm(string_value = "not_listed")]
    NotListed,
    #[sea_orm(string_value = "listed")]
    Listed,
}

/// What a Magento link binds: the binder's kinds.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum LinkKind {
    /// A simple product or a configurable's child, and our product.
    #[sea_orm(string_value = "product")]
    Product,
    /// A configurable product, and our product family.
    #[sea_orm(string_value = "configurable")]
    Configurable,
    #[sea_orm(string_value = "customer")]
    Customer,
    /// An order, and its entry in the log (which names the sale it became).
    #[sea_orm(string_value = "order")]
    Order,
    /// A credit memo, and our credit note.
    #[sea_orm(string_value = "credit_memo")]
    CreditMemo,
    /// A shipment, and our fulfilment.
    #[sea_orm(string_value = "shipment")]
    Shipment,
}

/// Where a captured Magento order stands in the log.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum LogStatus {
    /// Captured: a pending order holds its stock.
    #[sea_orm(string_value = "pending")]
    Pending,
    /// A sale was created from it.
    #[sea_orm(string_value = "processed")]
    Processed,
    /// Its sale waits for the shipment (the spec's "Pending fulfillment").
    #[sea_orm(string_value = "pending_fulfilment")]
    PendingFulfilment,
    /// Cancelled (or deleted) in Magento before it became a sale; its stock is free.
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
    /// Cancelled in Magento after it became a sale, which was voided.
    #[sea_orm(string_value = "voided")]
    Voided,
}

/// Whether a pending order can become a sale.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum ProcessingState {
    /// Nothing stands in the way.
    #[sea_orm(string_value = "ready")]
    Ready,
    /// Kept with a reason: what must change before it can be processed.
    #[sea_orm(string_value = "held")]
    Held,
    #[sea_orm(string_value = "processed")]
    Processed,
}
