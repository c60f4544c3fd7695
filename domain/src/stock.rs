//! Stock per product and location: an append-only movement ledger and the levels it
//! maintains. Every change inserts its movements and adds their deltas to the levels in
//! the caller's transaction, with atomic `on_hand = on_hand + delta` updates (never a
//! read-modify-write in Rust), so concurrent workers lose no update. Levels are touched
//! in one global order (product, location), so two transactions moving the same pair of
//! rows cannot deadlock. Each change appends one `stock.changed` event naming what
//! moved, for the stock push to consume.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    Statement, TransactionTrait,
};
use uuid::Uuid;

use entities::enums::{MovementKind, ProductKind};
use entities::{location, product, stock_level};

use crate::error::{DomainError, DomainResult, ErrorCode, FieldError};
use crate::events::{self, DomainEvent, StockChange, StockChanged};

/// One change to one level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Movement {
    pub product_id: Uuid,
    pub location_id: Uuid,
    pub kind: MovementKind,
    pub on_hand_delta: Decimal,
    pub allocated_delta: Decimal,
}

/// Why a set of movements happened: a free-text reason (adjustments) and the document
/// that caused it (a sale, a credit note, an assembly, a transfer).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cause {
    pub reason: Option<String>,
    pub reference_type: Option<&'static str>,
    pub reference_id: Option<Uuid>,
}

/// On hand, allocated and what is left to sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Availability {
    pub on_hand: Decimal,
    pub allocated: Decimal,
}

impl Availability {
    pub const ZERO: Self = Self {
        on_hand: Decimal::ZERO,
        allocated: Decimal::ZERO,
    };

    /// From stored NUMERIC(19,4) values, without their trailing zeros.
    fn read(on_hand: Decimal, allocated: Decimal) -> Self {
        Self {
            on_hand: on_hand.normalize(),
            allocated: allocated.normalize(),
        }
    }

    /// Negative when more is allocated than is on hand (a backorder).
    pub fn available(&self) -> Decimal {
        self.on_hand - self.allocated
    }
}

/// Records `movements` and applies them to the levels, inside the caller's transaction
/// (`db` must be one for the change to be atomic). Returns the levels after the change,
/// keyed by (product, location).
pub async fn apply<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    movements: &[Movement],
    cause: &Cause,
) -> DomainResult<BTreeMap<(Uuid, Uuid), Availability>> {
    let mut ordered: Vec<&Movement> = movements
        .iter()
        .filter(|m| !m.on_hand_delta.is_zero() || !m.allocated_delta.is_zero())
        .collect();
    ordered.sort_by_key(|m| (m.product_id, m.location_id));
    let mut after = BTreeMap::new();
    for movement in &ordered {
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO stock_movements (org_id, product_id, location_id, on_hand_delta, \
             allocated_delta, kind, reason, reference_type, reference_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            [
                org_id.into(),
                movement.product_id.into(),
                movement.location_id.into(),
                movement.on_hand_delta.into(),
                movement.allocated_delta.into(),
                kind_value(movement.kind).into(),
                cause.reason.clone().into(),
                cause.reference_type.map(str::to_owned).into(),
                cause.reference_id.into(),
            ],
        ))
        .await?;
        let Some(level) = add_to_level(db, org_id, movement)
            .await
            .map_err(|err| over_release(err, movement))?
        else {
            return Err(out_of_bounds(db, movement).await);
        };
        after.insert(
            (movement.product_id, movement.location_id),
            Availability::read(
                level.try_get("", "on_hand")?,
                level.try_get("", "allocated")?,
            ),
        );
    }
    if !after.is_empty() {
        let changes = after
            .keys()
            .map(|&(product_id, location_id)| StockChange {
                product_id,
                location_id,
            })
            .collect();
        events::append(
            db,
            events::Scope::org(org_id),
            &DomainEvent::StockChanged(StockChanged { changes }),
        )
        .await?;
    }
    Ok(after)
}

/// What the movements caused by one document add up to per (product, location): on
/// hand and allocated. What reverses the document moves the opposite.
pub async fn net_effect<C: ConnectionTrait>(
    db: &C,
    reference_type: &str,
    reference_id: Uuid,
) -> DomainResult<BTreeMap<(Uuid, Uuid), (Decimal, Decimal)>> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT product_id, location_id, sum(on_hand_delta) AS on_hand, \
                    sum(allocated_delta) AS allocated \
             FROM stock_movements WHERE reference_type = $1 AND reference_id = $2 \
             GROUP BY product_id, location_id",
            [reference_type.into(), reference_id.into()],
        ))
        .await?;
    rows.into_iter()
        .map(|row| {
            Ok((
                (
                    row.try_get("", "product_id")?,
                    row.try_get("", "location_id")?,
                ),
                (row.try_get("", "on_hand")?, row.try_get("", "allocated")?),
            ))
        })
        .collect()
}

/// The most a level may hold, and the largest quantity one change may move: Magento
/// stores quantities as decimal(12,4), so nothing above this could ever be pushed.
pub const MAX_QUANTITY: Decimal = Decimal::from_parts(99_999_999, 0, 0, false, 0);

/// Refuses a quantity input above [`MAX_QUANTITY`] (either sign).
pub fn check_quantity_bound(field: &[&str], quantity: Decimal) -> DomainResult<()> {
    match quantity_bound_error(field, quantity) {
        Some(error) => Err(DomainError::Invalid(vec![error])),
        None => Ok(()),
    }
}

/// [`check_quantity_bound`] for validations that collect every error of an input.
pub fn quantity_bound_error(field: &[&str], quantity: Decimal) -> Option<FieldError> {
    (quantity.abs() > MAX_QUANTITY).then(|| {
        FieldError::new(
            field,
            ErrorCode::OutOfRange,
            format!(
                "{} is more than the {MAX_QUANTITY} units a quantity can hold",
                quantity.normalize()
            ),
        )
    })
}

/// Adds a movement's deltas to its level: an UPDATE of the existing row (Postgres checks
/// an INSERT … ON CONFLICT's proposed row against CHECKs before it finds the conflict,
/// so a release would fail as an insert), else the first row, racing inserters settled by
/// ON CONFLICT. On hand never goes below zero (allocations may exceed it: backorders) nor
/// above [`MAX_QUANTITY`]: the UPDATE's condition is evaluated under the row lock, so
/// two concurrent removals cannot both take the last units. `None` when the change was
/// refused for that reason.
async fn add_to_level<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    movement: &Movement,
) -> Result<Option<sea_orm::QueryResult>, sea_orm::DbErr> {
    let deltas = [
        movement.on_hand_delta.into(),
        movement.allocated_delta.into(),
        movement.product_id.into(),
        movement.location_id.into(),
        MAX_QUANTITY.into(),
    ];
    if let Some(level) = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE stock_levels SET on_hand = on_hand + $1, allocated = allocated + $2, \
             updated_at = now() WHERE product_id = $3 AND location_id = $4 \
             AND ($1 >= 0 OR on_hand + $1 >= 0) AND ($1 <= 0 OR on_hand + $1 <= $5) \
             RETURNING on_hand, allocated",
            deltas,
        ))
        .await?
    {
        return Ok(Some(level));
    }
    if movement.on_hand_delta < Decimal::ZERO || movement.on_hand_delta > MAX_QUANTITY {
        // Either the row exists and the change would leave its bounds, or there is no
        // row, so nothing is on hand to take.
        return Ok(None);
    }
    // No row took the change: there is none yet, or it would exceed the most a level
    // holds, which the conflict branch's condition refuses (no row returned).
    db.query_one_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO stock_levels (product_id, location_id, org_id, on_hand, allocated) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (product_id, location_id) DO UPDATE SET \
           on_hand = stock_levels.on_hand + EXCLUDED.on_hand, \
           allocated = stock_levels.allocated + EXCLUDED.allocated, \
           updated_at = now() \
         WHERE stock_levels.on_hand + EXCLUDED.on_hand <= $6 \
         RETURNING on_hand, allocated",
        [
            movement.product_id.into(),
            movement.location_id.into(),
            org_id.into(),
            movement.on_hand_delta.into(),
            movement.allocated_delta.into(),
            MAX_QUANTITY.into(),
        ],
    ))
    .await
}

/// Why a movement was refused by its level's bounds, in words that name the SKU, the
/// location and what is on hand there.
async fn out_of_bounds<C: ConnectionTrait>(db: &C, movement: &Movement) -> DomainError {
    let described = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT p.sku, l.name, coalesce(s.on_hand, 0) AS on_hand \
             FROM products p CROSS JOIN locations l \
             LEFT JOIN stock_levels s ON s.product_id = p.id AND s.location_id = l.id \
             WHERE p.id = $1 AND l.id = $2",
            [movement.product_id.into(), movement.location_id.into()],
        ))
        .await;
    let (sku, location, on_hand) = match described {
        Ok(Some(row)) => (
            row.try_get::<String>("", "sku").unwrap_or_default(),
            row.try_get::<String>("", "name").unwrap_or_default(),
            row.try_get::<Decimal>("", "on_hand")
                .unwrap_or_default()
                .normalize(),
        ),
        Ok(None) => {
            return DomainError::NotFound {
                entity: "product or location",
            };
        }
        Err(err) => return DomainError::Db(err),
    };
    if movement.on_hand_delta > Decimal::ZERO {
        return DomainError::invalid(
            &["quantity"],
            ErrorCode::OutOfRange,
            format!(
                "{sku} at {location} would have {} on hand, more than the {MAX_QUANTITY} a \
                 level can hold",
                (on_hand + movement.on_hand_delta).normalize()
            ),
        );
    }
    DomainError::invalid(
        &["quantity"],
        ErrorCode::InsufficientStock,
        format!(
            "{sku} at {location} has {on_hand} on hand; taking {} would leave it below zero",
            (-movement.on_hand_delta).normalize()
        ),
    )
}

/// The levels' CHECK refuses a negative allocation: releasing more than is reserved is a
/// bookkeeping error of the caller, reported as such rather than as a database failure.
fn over_release(err: sea_orm::DbErr, movement: &Movement) -> DomainError {
    if err.to_string().contains("stock_levels_allocated_check") {
        DomainError::invalid(
            &["quantity"],
            ErrorCode::OutOfRange,
            format!(
                "cannot release {} more than is allocated of product {} at location {}",
                -movement.allocated_delta, movement.product_id, movement.location_id
            ),
        )
    } else {
        DomainError::Db(err)
    }
}

fn kind_value(kind: MovementKind) -> String {
    use sea_orm::ActiveEnum as _;
    kind.to_value()
}

/// A stock product of the organisation; services and gift cards are never stocked.
pub async fn stock_product<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    product_id: Uuid,
    field: &[&str],
) -> DomainResult<product::Model> {
    let product = product::Entity::find_by_id(product_id)
        .filter(product::Column::OrgId.eq(org_id))
        .one(db)
        .await?
        .ok_or_else(|| DomainError::invalid(field, ErrorCode::NotFound, "no such product"))?;
    if product.kind != ProductKind::Stock {
        return Err(DomainError::invalid(
            field,
            ErrorCode::Invalid,
            format!(
                "{} is not a stock product; only stock products have stock",
                product.sku
            ),
        ));
    }
    Ok(product)
}

/// A location of the organisation.
pub async fn known_location<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    location_id: Uuid,
    field: &[&str],
) -> DomainResult<location::Model> {
    location::Entity::find_by_id(location_id)
        .filter(location::Column::OrgId.eq(org_id))
        .one(db)
        .await?
        .ok_or_else(|| DomainError::invalid(field, ErrorCode::NotFound, "no such location"))
}

/// A counted correction: on hand changes by `delta` (positive found, negative lost or
/// damaged). The reason is required, as in DEAR's stock adjustments.
pub async fn adjust(
    db: &DatabaseConnection,
    org_id: Uuid,
    product_id: Uuid,
    location_id: Uuid,
    delta: Decimal,
    reason: &str,
) -> DomainResult<Availability> {
    if delta.is_zero() {
        return Err(DomainError::invalid(
            &["quantity"],
            ErrorCode::OutOfRange,
            "an adjustment changes the quantity; zero changes nothing",
        ));
    }
    check_quantity_bound(&["quantity"], delta)?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(DomainError::invalid(
            &["reason"],
            ErrorCode::Invalid,
            "say why the stock is adjusted",
        ));
    }
    let txn = db.begin().await?;
    stock_product(&txn, org_id, product_id, &["productId"]).await?;
    known_location(&txn, org_id, location_id, &["locationId"]).await?;
    let after = apply(
        &txn,
        org_id,
        &[Movement {
            product_id,
            location_id,
            kind: MovementKind::Adjustment,
            on_hand_delta: delta,
            allocated_delta: Decimal::ZERO,
        }],
        &Cause {
            reason: Some(reason.to_owned()),
            ..Cause::default()
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after
        .get(&(product_id, location_id))
        .copied()
        .unwrap_or(Availability::ZERO))
}

/// Moves `quantity` from one location to another. Only what is available at the source
/// (on hand less allocated) can go: stock promised to orders stays. Checked under the
/// source level's row lock, so two transfers cannot both take the last units.
pub async fn transfer(
    db: &DatabaseConnection,
    org_id: Uuid,
    product_id: Uuid,
    from: Uuid,
    to: Uuid,
    quantity: Decimal,
) -> DomainResult<(Availability, Availability)> {
    if quantity <= Decimal::ZERO {
        return Err(DomainError::invalid(
            &["quantity"],
            ErrorCode::OutOfRange,
            "a transfer moves a positive quantity",
        ));
    }
    check_quantity_bound(&["quantity"], quantity)?;
    if from == to {
        return Err(DomainError::invalid(
            &["toLocationId"],
            ErrorCode::InvalidCombination,
            "a transfer goes to another location",
        ));
    }
    let txn = db.begin().await?;
    let product = stock_product(&txn, org_id, product_id, &["productId"]).await?;
    let source_location = known_location(&txn, org_id, from, &["fromLocationId"]).await?;
    known_location(&txn, org_id, to, &["toLocationId"]).await?;
    let source = locked_level(&txn, product_id, from).await?;
    if source.available() < quantity {
        return Err(DomainError::invalid(
            &["quantity"],
            ErrorCode::InsufficientStock,
            format!(
                "{} at {} has {} on hand and {} available (the rest is allocated to \
                 orders); a transfer of {} cannot leave",
                product.sku,
                source_location.name,
                source.on_hand,
                source.available().normalize(),
                quantity.normalize()
            ),
        ));
    }
    let transfer_id = Uuid::new_v4();
    let after = apply(
        &txn,
        org_id,
        &[
            Movement {
                product_id,
                location_id: from,
                kind: MovementKind::TransferOut,
                on_hand_delta: -quantity,
                allocated_delta: Decimal::ZERO,
            },
            Movement {
                product_id,
                location_id: to,
                kind: MovementKind::TransferIn,
                on_hand_delta: quantity,
                allocated_delta: Decimal::ZERO,
            },
        ],
        &Cause {
            reason: None,
            reference_type: Some("transfer"),
            reference_id: Some(transfer_id),
        },
    )
    .await?;
    txn.commit().await?;
    let level = |location| {
        after
            .get(&(product_id, location))
            .copied()
            .unwrap_or(Availability::ZERO)
    };
    Ok((level(from), level(to)))
}

/// The level of one product at one location, locked until the transaction ends.
pub async fn locked_level<C: ConnectionTrait>(
    db: &C,
    product_id: Uuid,
    location_id: Uuid,
) -> DomainResult<Availability> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT on_hand, allocated FROM stock_levels \
             WHERE product_id = $1 AND location_id = $2 FOR UPDATE",
            [product_id.into(), location_id.into()],
        ))
        .await?;
    Ok(match row {
        Some(row) => Availability::read(row.try_get("", "on_hand")?, row.try_get("", "allocated")?),
        None => Availability::ZERO,
    })
}

/// A product's stock at one location, or summed over all of them.
pub async fn availability<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    product_id: Uuid,
    location_id: Option<Uuid>,
) -> DomainResult<Availability> {
    Ok(availability_of(db, org_id, &[product_id], location_id)
        .await?
        .remove(&product_id)
        .unwrap_or(Availability::ZERO))
}

/// Stock of several products in one query (a catalogue page); products without a
/// level are absent.
pub async fn availability_of<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    product_ids: &[Uuid],
    location_id: Option<Uuid>,
) -> DomainResult<std::collections::HashMap<Uuid, Availability>> {
    let mut query = stock_level::Entity::find()
        .filter(stock_level::Column::OrgId.eq(org_id))
        .filter(stock_level::Column::ProductId.is_in(product_ids.iter().copied()));
    if let Some(location_id) = location_id {
        query = query.filter(stock_level::Column::LocationId.eq(location_id));
    }
    let mut sums: std::collections::HashMap<Uuid, (Decimal, Decimal)> =
        std::collections::HashMap::new();
    for level in query.all(db).await? {
        let sum = sums.entry(level.product_id).or_default();
        sum.0 += level.on_hand;
        sum.1 += level.allocated;
    }
    Ok(sums
        .into_iter()
        .map(|(product, (on_hand, allocated))| (product, Availability::read(on_hand, allocated)))
        .collect())
}

/// A product's level at each location that has one.
pub async fn levels<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    product_id: Uuid,
) -> DomainResult<Vec<stock_level::Model>> {
    use sea_orm::QueryOrder as _;
    let mut levels = stock_level::Entity::find()
        .filter(stock_level::Column::OrgId.eq(org_id))
        .filter(stock_level::Column::ProductId.eq(product_id))
        .order_by_asc(stock_level::Column::LocationId)
        .all(db)
        .await?;
    for level in &mut levels {
        level.on_hand = level.on_hand.normalize();
        level.allocated = level.allocated.normalize();
    }
    Ok(levels)
}

/// A level that disagrees with the sum of its movements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discrepancy {
    pub product_id: Uuid,
    pub location_id: Uuid,
    pub level: Availability,
    pub movements: Availability,
}

/// Every (product, location) of the organisation whose level differs from the sum of
/// its movements. Empty means the ledger and the levels agree.
pub async fn discrepancies<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
) -> DomainResult<Vec<Discrepancy>> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT coalesce(l.product_id, m.product_id) AS product_id, \
                    coalesce(l.location_id, m.location_id) AS location_id, \
                    coalesce(l.on_hand, 0) AS level_on_hand, coalesce(l.allocated, 0) AS level_allocated, \
                    coalesce(m.on_hand, 0) AS moved_on_hand, coalesce(m.allocated, 0) AS moved_allocated \
             FROM (SELECT * FROM stock_levels WHERE org_id = $1) l \
             FULL JOIN (SELECT product_id, location_id, sum(on_hand_delta) AS on_hand, \
                               sum(allocated_delta) AS allocated \
                        FROM stock_movements WHERE org_id = $1 \
                        GROUP BY product_id, location_id) m \
               ON l.product_id = m.product_id AND l.location_id = m.location_id \
             WHERE coalesce(l.on_hand, 0) <> coalesce(m.on_hand, 0) \
                OR coalesce(l.allocated, 0) <> coalesce(m.allocated, 0)",
            [org_id.into()],
        ))
        .await?;
    rows.into_iter()
        .map(|row| {
            Ok(Discrepancy {
                product_id: row.try_get("", "product_id")?,
                location_id: row.try_get("", "location_id")?,
                level: Availability {
                    on_hand: row.try_get("", "level_on_hand")?,
                    allocated: row.try_get("", "level_allocated")?,
                },
                movements: Availability {
                    on_hand: row.try_get("", "moved_on_hand")?,
                    allocated: row.try_get("", "moved_allocated")?,
                },
            })
        })
        .collect()
}
