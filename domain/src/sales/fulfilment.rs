//! Fulfilment: pick (stock leaves the location), pack (needs the pick), ship (needs the
//! pack; carrier and tracking numbers). A sale may be fulfilled in several fulfilments;
//! each stage moves from draft to authorised.

use std::collections::BTreeMap;

use chrono::Utc;
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use uuid::Uuid;

use entities::enums::{MovementKind, OrderStatus, StageStatus};
use entities::{sale, sale_fulfilment, sale_fulfilment_line, sale_line};

use super::order::{cause, stocked_products};
use super::read::{SaleRecord, lock, record};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::events::{DomainEvent, FulfilmentRef, Shipped};
use crate::stock::{self, Movement};

fn refused(message: impl Into<String>) -> DomainError {
    DomainError::invalid(&["saleId"], ErrorCode::InvalidCombination, message)
}

/// Opens a fulfilment with a draft pick for everything not yet picked (or returns the
/// open one). Needs an authorised order.
pub async fn create_pick(
    db: &DatabaseConnection,
    org_id: Uuid,
    sale_id: Uuid,
) -> DomainResult<SaleRecord> {
    let txn = db.begin().await?;
    let sale = lock(&txn, org_id, sale_id).await?;
    open_pick(&txn, &sale).await?;
    let record = record(&txn, sale).await?;
    txn.commit().await?;
    Ok(record)
}

/// The fulfilment whose pick is still a draft, created for the unpicked quantities when
/// there is none.
pub(crate) async fn open_pick<C: ConnectionTrait>(
    db: &C,
    sale: &sale::Model,
) -> DomainResult<sale_fulfilment::Model> {
    if sale.order_status != OrderStatus::Authorised {
        return Err(refused(format!(
            "sale {} must be authorised before it is picked",
            sale.number
        )));
    }
    let fulfilments = sale_fulfilment::Entity::find()
        .filter(sale_fulfilment::Column::SaleId.eq(sale.id))
        .order_by_asc(sale_fulfilment::Column::Number)
        .all(db)
        .await?;
    if let Some(open) = fulfilments
        .iter()
        .find(|f| f.pick_status == StageStatus::Draft)
    {
        return Ok(open.clone());
    }
    let remaining = unpicked(db, sale.id, &fulfilments).await?;
    if remaining.is_empty() {
        return Err(refused(format!(
            "everything on sale {} is picked already",
            sale.number
        )));
    }
    let fulfilment = sale_fulfilment::ActiveModel {
        id: Set(Uuid::new_v4()),
        sale_id: Set(sale.id),
        number: Set(fulfilments.iter().map(|f| f.number).max().unwrap_or(0) + 1),
        pick_status: Set(StageStatus::Draft),
        pack_status: Set(StageStatus::NotStarted),
        ship_status: Set(StageStatus::NotStarted),
        carrier_id: Set(None),
        carrier_name: Set(None),
        tracking_numbers: Set(serde_json::json!([])),
        picked_at: Set(None),
        packed_at: Set(None),
        shipped_at: Set(None),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    let lines: Vec<sale_fulfilment_line::ActiveModel> = remaining
        .into_iter()
        .map(|(line, quantity)| sale_fulfilment_line::ActiveModel {
            fulfilment_id: Set(fulfilment.id),
            sale_line_id: Set(line.id),
            product_id: Set(line.product_id),
            location_id: Set(sale.location_id),
            quantity: Set(quantity),
        })
        .collect();
    sale_fulfilment_line::Entity::insert_many(lines)
        .exec(db)
        .await?;
    Ok(fulfilment)
}

/// Each sale line with the quantity no live fulfilment covers yet.
async fn unpicked<C: ConnectionTrait>(
    db: &C,
    sale_id: Uuid,
    fulfilments: &[sale_fulfilment::Model],
) -> DomainResult<Vec<(sale_line::Model, Decimal)>> {
    let live: Vec<Uuid> = fulfilments
        .iter()
        .filter(|f| f.pick_status != StageStatus::Voided)
        .map(|f| f.id)
        .collect();
    let mut covered: BTreeMap<Uuid, Decimal> = BTreeMap::new();
    for line in sale_fulfilment_line::Entity::find()
        .filter(sale_fulfilment_line::Column::FulfilmentId.is_in(live))
        .all(db)
        .await?
    {
        *covered.entry(line.sale_line_id).or_default() += line.quantity;
    }
    Ok(sale_line::Entity::find()
        .filter(sale_line::Column::SaleId.eq(sale_id))
        .order_by_asc(sale_line::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|line| {
            let left = line.quantity - covered.get(&line.id).copied().unwrap_or_default();
            (left > Decimal::ZERO).then_some((line, left))
        })
        .collect())
}

/// Authorises the open pick: its stock products leave the sale's location (on hand and
/// allocated both go down). Refused, with the short SKUs named, when the location does
/// not have them on hand; the pick then stays a draft.
pub async fn authorise_pick(
    db: &DatabaseConnection,
    org_id: Uuid,
    sale_id: Uuid,
) -> DomainResult<SaleRecord> {
    let txn = db.begin().await?;
    let sale = lock(&txn, org_id, sale_id).await?;
    let fulfilment = open_pick(&txn, &sale).await?;
    authorise_pick_in(&txn, org_id, &sale, fulfilment).await?;
    let record = record(&txn, sale).await?;
    txn.commit().await?;
    Ok(record)
}

pub(crate) async fn authorise_pick_in<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    sale: &sale::Model,
    fulfilment: sale_fulfilment::Model,
) -> DomainResult<sale_fulfilment::Model> {
    let lines = sale_fulfilment_line::Entity::find()
        .filter(sale_fulfilment_line::Column::FulfilmentId.eq(fulfilment.id))
        .all(db)
        .await?;
    let sale_lines = sale_line::Entity::find()
        .filter(sale_line::Column::SaleId.eq(sale.id))
        .all(db)
        .await?;
    let stocked = stocked_products(db, &sale_lines).await?;
    let mut needed: BTreeMap<(Uuid, Uuid), Decimal> = BTreeMap::new();
    for line in lines.iter().filter(|l| stocked.contains(&l.product_id)) {
        *needed
            .entry((line.product_id, line.location_id))
            .or_default() += line.quantity;
    }
    let mut short = Vec::new();
    for ((product_id, location_id), quantity) in &needed {
        let level = stock::locked_level(db, *product_id, *location_id).await?;
        if level.on_hand < *quantity {
            let sku = sale_lines
                .iter()
                .find(|l| l.product_id == *product_id)
                .map(|l| l.sku.clone())
                .unwrap_or_default();
            short.push(format!(
                "{sku} (needs {}, on hand {})",
                quantity.normalize(),
                level.on_hand
            ));
        }
    }
    if !short.is_empty() {
        return Err(DomainError::invalid(
            &["saleId"],
            ErrorCode::OutOfRange,
            format!("not enough stock on hand to pick: {}", short.join(", ")),
        ));
    }
    let movements: Vec<Movement> = needed
        .into_iter()
        .map(|((product_id, location_id), quantity)| Movement {
            product_id,
            location_id,
            kind: MovementKind::Pick,
            on_hand_delta: -quantity,
            allocated_delta: -quantity,
        })
        .collect();
    stock::apply(db, org_id, &movements, &cause(sale.id)).await?;
    let mut active = fulfilment.into_active_model();
    active.pick_status = Set(StageStatus::Authorised);
    active.pack_status = Set(StageStatus::Draft);
    active.picked_at = Set(Some(Utc::now()));
    let picked = active.update(db).await?;
    let event = DomainEvent::SalePicked(fulfilment_ref(&picked));
    super::announce(db, sale, event).await?;
    Ok(picked)
}

/// The latest fulfilment whose `stage` is next: its previous stage authorised, this one
/// not yet.
async fn next_for<C: ConnectionTrait>(
    db: &C,
    sale: &sale::Model,
    ready: impl Fn(&sale_fulfilment::Model) -> bool,
    what: &str,
) -> DomainResult<sale_fulfilment::Model> {
    sale_fulfilment::Entity::find()
        .filter(sale_fulfilment::Column::SaleId.eq(sale.id))
        .order_by_asc(sale_fulfilment::Column::Number)
        .all(db)
        .await?
        .into_iter()
        .find(|f| ready(f))
        .ok_or_else(|| refused(format!("sale {} has nothing ready to {what}", sale.number)))
}

/// Authorises the pack of a fulfilment whose pick is authorised.
pub async fn authorise_pack(
    db: &DatabaseConnection,
    org_id: Uuid,
    sale_id: Uuid,
) -> DomainResult<SaleRecord> {
    let txn = db.begin().await?;
    let sale = lock(&txn, org_id, sale_id).await?;
    authorise_pack_in(&txn, &sale).await?;
    let record = record(&txn, sale).await?;
    txn.commit().await?;
    Ok(record)
}

pub(crate) async fn authorise_pack_in<C: ConnectionTrait>(
    db: &C,
    sale: &sale::Model,
) -> DomainResult<sale_fulfilment::Model> {
    let fulfilment = next_for(
        db,
        sale,
        |f| f.pick_status == StageStatus::Authorised && f.pack_status == StageStatus::Draft,
        "pack (a pack needs an authorised pick)",
    )
    .await?;
    let mut active = fulfilment.into_active_model();
    active.pack_status = Set(StageStatus::Authorised);
    active.ship_status = Set(StageStatus::Draft);
    active.packed_at = Set(Some(Utc::now()));
    let packed = active.update(db).await?;
    let event = DomainEvent::SalePacked(fulfilment_ref(&packed));
    super::announce(db, sale, event).await?;
    Ok(packed)
}

fn fulfilment_ref(fulfilment: &sale_fulfilment::Model) -> FulfilmentRef {
    FulfilmentRef {
        sale_id: fulfilment.sale_id,
        fulfilment_id: fulfilment.id,
    }
}

/// How a shipment went out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shipment {
    pub carrier_id: Option<Uuid>,
    pub carrier_name: Option<String>,
    pub tracking_numbers: Vec<String>,
}

/// Authorises the shipment of a packed fulfilment, recording carrier and tracking.
pub async fn authorise_ship(
    db: &DatabaseConnection,
    org_id: Uuid,
    sale_id: Uuid,
    shipment: Shipment,
) -> DomainResult<SaleRecord> {
    let txn = db.begin().await?;
    let sale = lock(&txn, org_id, sale_id).await?;
    authorise_ship_in(&txn, &sale, shipment).await?;
    let record = record(&txn, sale).await?;
    txn.commit().await?;
    Ok(record)
}

pub(crate) async fn authorise_ship_in<C: ConnectionTrait>(
    db: &C,
    sale: &sale::Model,
    shipment: Shipment,
) -> DomainResult<sale_fulfilment::Model> {
    let fulfilment = next_for(
        db,
        sale,
        |f| f.pack_status == StageStatus::Authorised && f.ship_status == StageStatus::Draft,
        "ship (a shipment needs an authorised pack)",
    )
    .await?;
    let tracking: Vec<String> = shipment
        .tracking_numbers
        .iter()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    let mut active = fulfilment.into_active_model();
    active.ship_status = Set(StageStatus::Authorised);
    active.carrier_id = Set(shipment.carrier_id);
    active.carrier_name = Set(shipment
        .carrier_name
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty()));
    active.tracking_numbers = Set(serde_json::json!(tracking));
    active.shipped_at = Set(Some(Utc::now()));
    let shipped = active.update(db).await?;
    let event = DomainEvent::SaleShipped(Shipped {
        sale_id: sale.id,
        fulfilment_id: shipped.id,
        carrier_id: shipped.carrier_id,
        carrier_name: shipped.carrier_name.clone(),
        tracking_numbers: tracking,
    });
    super::announce(db, sale, event).await?;
    Ok(shipped)
}
