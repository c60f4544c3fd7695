//! "Advance this sale per processing mode": what order processing calls after creating
//! a sale. Draft order leaves it a draft; no picking authorises the order; the auto
//! modes go on to pick, pack and ship. When stock (or an auto-assembly's components) is
//! short the sale stops with its pick in draft, and the reason is returned, not raised:
//! the order is still good, it waits for stock.

use sea_orm::{DatabaseConnection, TransactionTrait};
use uuid::Uuid;

use entities::enums::{AutoAssemblyMode, FulfilmentMode, OrderStatus};

use super::assembly::auto_assemble;
use super::fulfilment::{
    Shipment, authorise_pack_in, authorise_pick_in, authorise_ship_in, open_pick,
};
use super::order::authorise_order_in;
use super::read::{SaleRecord, lock, record};
use crate::error::{DomainError, DomainResult, ErrorCode};

#[derive(Debug, Clone)]
pub struct Processing {
    pub mode: FulfilmentMode,
    pub auto_assembly: AutoAssemblyMode,
    /// Carrier and tracking for an automatic shipment.
    pub shipment: Shipment,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Advanced {
    /// Everything the mode asks for was done.
    Done,
    /// Stopped with the pick in draft; why.
    StockShort(String),
}

pub async fn advance(
    db: &DatabaseConnection,
    org_id: Uuid,
    sale_id: Uuid,
    processing: &Processing,
) -> DomainResult<(SaleRecord, Advanced)> {
    let txn = db.begin().await?;
    let advanced = advance_in(&txn, org_id, sale_id, processing).await?;
    let sale = lock(&txn, org_id, sale_id).await?;
    let record = record(&txn, sale).await?;
    txn.commit().await?;
    Ok((record, advanced))
}

pub(crate) async fn advance_in<C: sea_orm::ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    sale_id: Uuid,
    processing: &Processing,
) -> DomainResult<Advanced> {
    if processing.mode == FulfilmentMode::DraftOrder {
        return Ok(Advanced::Done);
    }
    let sale = lock(db, org_id, sale_id).await?;
    if sale.order_status == OrderStatus::Draft {
        authorise_order_in(db, org_id, sale_id).await?;
    }
    let sale = lock(db, org_id, sale_id).await?;
    if processing.mode == FulfilmentMode::NoPicking {
        return Ok(Advanced::Done);
    }
    if let Err(err) = auto_assemble(db, org_id, &sale, processing.auto_assembly).await {
        return short_or_fail(db, &sale, err).await;
    }
    let pick = open_pick(db, &sale).await?;
    if let Err(err) = authorise_pick_in(db, org_id, &sale, pick).await {
        return short_or_fail(db, &sale, err).await;
    }
    if processing.mode == FulfilmentMode::AutoPick {
        return Ok(Advanced::Done);
    }
    authorise_pack_in(db, &sale).await?;
    if processing.mode == FulfilmentMode::AutoPickPack {
        return Ok(Advanced::Done);
    }
    authorise_ship_in(db, &sale, processing.shipment.clone()).await?;
    Ok(Advanced::Done)
}

/// A shortage (checked before anything was written) stops the sale with a draft pick;
/// anything else is a real failure.
async fn short_or_fail<C: sea_orm::ConnectionTrait>(
    db: &C,
    sale: &entities::sale::Model,
    err: DomainError,
) -> DomainResult<Advanced> {
    match err {
        DomainError::Invalid(errors) if errors.iter().all(|e| e.code == ErrorCode::OutOfRange) => {
            open_pick(db, sale).await?;
            Ok(Advanced::StockShort(
                errors
                    .into_iter()
                    .map(|e| e.message)
                    .collect::<Vec<_>>()
                    .join("; "),
            ))
        }
        other => Err(other),
    }
}
