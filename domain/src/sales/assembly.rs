//! Assemblies: finished-goods tasks that consume a product's components at a location
//! and produce the product there. Auto-assembly builds what a sale needs, in DEAR's two
//! modes, judged against the sale's location only (no on-order quantities exist here).

use std::collections::BTreeMap;

use chrono::Utc;
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set, TransactionTrait,
};
use uuid::Uuid;

use entities::enums::{AssemblyStatus, AutoAssemblyMode, MovementKind, ProductKind};
use entities::{assembly, assembly_line, bill_of_materials, product, sale, sale_line};

use super::SALE_REFERENCE;
use super::numbers;
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::stock::{self, Cause, Movement};

/// `stock_movements.reference_type` of assembly movements.
pub const ASSEMBLY_REFERENCE: &str = "assembly";

/// Assembles `quantity` of a product with a bill of materials at a location.
pub async fn assemble(
    db: &DatabaseConnection,
    org_id: Uuid,
    product_id: Uuid,
    location_id: Uuid,
    quantity: Decimal,
) -> DomainResult<assembly::Model> {
    let txn = db.begin().await?;
    stock::known_location(&txn, org_id, location_id, &["locationId"]).await?;
    let done = assemble_in(&txn, org_id, product_id, location_id, quantity, None).await?;
    txn.commit().await?;
    Ok(done)
}

/// Checks every component is on hand before writing anything, so a shortage leaves the
/// caller's transaction usable (order processing then stops with the pick in draft).
pub(crate) async fn assemble_in<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    product_id: Uuid,
    location_id: Uuid,
    quantity: Decimal,
    sale_id: Option<Uuid>,
) -> DomainResult<assembly::Model> {
    if quantity <= Decimal::ZERO {
        return Err(DomainError::invalid(
            &["quantity"],
            ErrorCode::OutOfRange,
            "assemble a positive quantity",
        ));
    }
    stock::check_quantity_bound(&["quantity"], quantity)?;
    let finished = stock::stock_product(db, org_id, product_id, &["productId"]).await?;
    let components = bill_of_materials::Entity::find()
        .filter(bill_of_materials::Column::ProductId.eq(product_id))
        .all(db)
        .await?;
    if components.is_empty() {
        return Err(DomainError::invalid(
            &["productId"],
            ErrorCode::RequiresSetting,
            format!("{} has no bill of materials to assemble from", finished.sku),
        ));
    }
    let parts: BTreeMap<Uuid, product::Model> = product::Entity::find()
        .filter(product::Column::Id.is_in(components.iter().map(|c| c.component_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let mut movements = Vec::new();
    let mut short = Vec::new();
    for component in &components {
        let Some(part) = parts.get(&component.component_id) else {
            continue;
        };
        if part.kind != ProductKind::Stock {
            continue;
        }
        let needed = component.quantity * quantity;
        let level = stock::locked_level(db, part.id, location_id).await?;
        if level.on_hand < needed {
            short.push(format!(
                "{} (needs {}, on hand {})",
                part.sku,
                needed.normalize(),
                level.on_hand
            ));
        }
        movements.push(Movement {
            product_id: part.id,
            location_id,
            kind: MovementKind::AssemblyConsume,
            on_hand_delta: -needed,
            allocated_delta: Decimal::ZERO,
        });
    }
    if !short.is_empty() {
        return Err(DomainError::invalid(
            &["quantity"],
            ErrorCode::OutOfRange,
            format!(
                "not enough components on hand to assemble {} × {}: {}",
                quantity.normalize(),
                finished.sku,
                short.join(", ")
            ),
        ));
    }
    movements.push(Movement {
        product_id,
        location_id,
        kind: MovementKind::AssemblyProduce,
        on_hand_delta: quantity,
        allocated_delta: Decimal::ZERO,
    });
    let now = Utc::now();
    let assembly = assembly::ActiveModel {
        id: Set(Uuid::new_v4()),
        org_id: Set(org_id),
        number: Set(numbers::next(db, org_id, "AS").await?),
        product_id: Set(product_id),
        location_id: Set(location_id),
        quantity: Set(quantity),
        status: Set(AssemblyStatus::Completed),
        sale_id: Set(sale_id),
        completed_at: Set(Some(now)),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    let lines: Vec<assembly_line::ActiveModel> = components
        .iter()
        .map(|c| assembly_line::ActiveModel {
            assembly_id: Set(assembly.id),
            component_id: Set(c.component_id),
            quantity: Set(c.quantity * quantity),
        })
        .collect();
    assembly_line::Entity::insert_many(lines).exec(db).await?;
    stock::apply(
        db,
        org_id,
        &movements,
        &Cause {
            reason: None,
            reference_type: Some(ASSEMBLY_REFERENCE),
            reference_id: Some(assembly.id),
        },
    )
    .await?;
    Ok(assembly)
}

/// How much of a line to assemble. `available` is the location's on hand less what
/// other sales have allocated (this sale's own allocation left out).
pub(crate) fn quantity_to_assemble(
    mode: AutoAssemblyMode,
    ordered: Decimal,
    available: Decimal,
) -> Decimal {
    match mode {
        AutoAssemblyMode::ForOrderedQuantity => ordered,
        // Below zero, the shortfall of other orders is built too: more than was ordered.
        AutoAssemblyMode::ForMinimumRequired if available >= ordered => Decimal::ZERO,
        AutoAssemblyMode::ForMinimumRequired => ordered - available,
    }
}

/// Assembles what the sale's auto-assembly lines need at its location. Stops at the
/// first line whose components are short, with that shortage as the error.
pub(crate) async fn auto_assemble<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    sale: &sale::Model,
    mode: AutoAssemblyMode,
) -> DomainResult<Vec<assembly::Model>> {
    let lines = sale_line::Entity::find()
        .filter(sale_line::Column::SaleId.eq(sale.id))
        .all(db)
        .await?;
    let assembled: BTreeMap<Uuid, product::Model> = product::Entity::find()
        .filter(product::Column::Id.is_in(lines.iter().map(|l| l.product_id)))
        .filter(product::Column::AutoAssembly.eq(true))
        .filter(product::Column::Kind.eq(ProductKind::Stock))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let mut ordered: BTreeMap<Uuid, Decimal> = BTreeMap::new();
    for line in lines
        .iter()
        .filter(|l| assembled.contains_key(&l.product_id))
    {
        *ordered.entry(line.product_id).or_default() += line.quantity;
    }
    let mut done = Vec::new();
    for (product_id, quantity) in ordered {
        let level = stock::locked_level(db, product_id, sale.location_id).await?;
        let own = own_allocation(db, sale.id, product_id, sale.location_id).await?;
        let available = level.on_hand - (level.allocated - own);
        let build = quantity_to_assemble(mode, quantity, available);
        if build > Decimal::ZERO {
            done.push(
                assemble_in(
                    db,
                    org_id,
                    product_id,
                    sale.location_id,
                    build,
                    Some(sale.id),
                )
                .await?,
            );
        }
    }
    Ok(done)
}

/// What this sale holds allocated of a product at a location.
async fn own_allocation<C: ConnectionTrait>(
    db: &C,
    sale_id: Uuid,
    product_id: Uuid,
    location_id: Uuid,
) -> DomainResult<Decimal> {
    let row = db
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "SELECT coalesce(sum(allocated_delta), 0) AS held FROM stock_movements \
             WHERE reference_type = $1 AND reference_id = $2 AND product_id = $3 AND location_id = $4",
            [SALE_REFERENCE.into(), sale_id.into(), product_id.into(), location_id.into()],
        ))
        .await?;
    Ok(match row {
        Some(row) => row.try_get("", "held")?,
        None => Decimal::ZERO,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn for_ordered_quantity_builds_what_was_ordered_whatever_the_stock() {
        assert_eq!(
            quantity_to_assemble(AutoAssemblyMode::ForOrderedQuantity, dec!(3), dec!(50)),
            dec!(3)
        );
    }

    #[test]
    fn for_minimum_required_builds_the_difference_or_nothing() {
        let mode = AutoAssemblyMode::ForMinimumRequired;
        assert_eq!(quantity_to_assemble(mode, dec!(3), dec!(1)), dec!(2));
        assert_eq!(quantity_to_assemble(mode, dec!(3), dec!(3)), dec!(0));
        assert_eq!(quantity_to_assemble(mode, dec!(3), dec!(9)), dec!(0));
    }

    #[test]
    fn for_minimum_required_with_negative_availability_builds_more_than_ordered() {
        assert_eq!(
            quantity_to_assemble(AutoAssemblyMode::ForMinimumRequired, dec!(3), dec!(-2)),
            dec!(5)
        );
    }
}
