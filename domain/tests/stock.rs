//! The stock ledger: movements and levels move together, safely under concurrency.

mod common;

use common::{TestDb, qty};
use domain::entities::enums::{MovementKind, ProductKind};
use domain::entities::{event, stock_movement};
use domain::stock::{self, Availability, Cause, Movement};
use domain::{DomainError, ErrorCode};
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait};
use uuid::Uuid;

fn code(err: DomainError) -> (Vec<String>, ErrorCode) {
    match err {
        DomainError::Invalid(errors) => (errors[0].field.clone(), errors[0].code),
        other => panic!("expected a user error, got {other}"),
    }
}

fn allocate(product_id: Uuid, location_id: Uuid, units: i64) -> Movement {
    Movement {
        product_id,
        location_id,
        kind: MovementKind::Allocation,
        on_hand_delta: Decimal::ZERO,
        allocated_delta: qty(units),
    }
}

#[tokio::test]
async fn an_adjustment_changes_on_hand_and_records_its_movement_and_reason() {
    let t = TestDb::new("stock_adjust").await;
    let (product, location) = (t.product("BOLT").await, t.location("Shop").await);

    let after = stock::adjust(&t.db, t.org_id, product, location, qty(12), "stock take")
        .await
        .expect("adjusted");
    assert_eq!(after.on_hand, qty(12));
    let after = stock::adjust(&t.db, t.org_id, product, location, qty(-2), "damaged")
        .await
        .expect("adjusted");
    assert_eq!((after.on_hand, after.available()), (qty(10), qty(10)));

    let movements = stock_movement::Entity::find()
        .filter(stock_movement::Column::ProductId.eq(product))
        .order_by_asc(stock_movement::Column::Id)
        .all(&t.db)
        .await
        .expect("movements");
    let seen: Vec<_> = movements
        .iter()
        .map(|m| (m.kind, m.on_hand_delta, m.reason.clone()))
        .collect();
    assert_eq!(
        seen,
        vec![
            (MovementKind::Adjustment, qty(12), Some("stock take".into())),
            (MovementKind::Adjustment, qty(-2), Some("damaged".into())),
        ]
    );
    t.drop().await;
}

#[tokio::test]
async fn an_adjustment_needs_a_reason_and_a_quantity_other_than_zero() {
    let t = TestDb::new("stock_adjust_bad").await;
    let (product, location) = (t.product("BOLT").await, t.location("Shop").await);

    let err = stock::adjust(&t.db, t.org_id, product, location, qty(0), "why")
        .await
        .expect_err("zero");
    assert_eq!(code(err), (vec!["quantity".into()], ErrorCode::OutOfRange));
    let err = stock::adjust(&t.db, t.org_id, product, location, qty(1), "  ")
        .await
        .expect_err("no reason");
    assert_eq!(code(err), (vec!["reason".into()], ErrorCode::Invalid));
    let err = stock::adjust(&t.db, t.org_id, Uuid::new_v4(), location, qty(1), "x")
        .await
        .expect_err("unknown product");
    assert_eq!(code(err), (vec!["productId".into()], ErrorCode::NotFound));
    assert!(
        stock::discrepancies(&t.db, t.org_id)
            .await
            .expect("check")
            .is_empty()
    );
    assert_eq!(
        stock::availability(&t.db, t.org_id, product, None)
            .await
            .expect("read"),
        Availability::ZERO
    );
    t.drop().await;
}

#[tokio::test]
async fn an_adjustment_cannot_take_on_hand_below_zero() {
    let t = TestDb::new("stock_adjust_below_zero").await;
    let (product, location) = (t.product("BOLT").await, t.location("Shop").await);
    stock::adjust(&t.db, t.org_id, product, location, qty(5), "count")
        .await
        .expect("seeded");

    let err = stock::adjust(&t.db, t.org_id, product, location, qty(-50), "lost")
        .await
        .expect_err("5 on hand");
    let text = err.to_string();
    assert_eq!(
        code(err),
        (vec!["quantity".into()], ErrorCode::InsufficientStock)
    );
    for named in ["BOLT", "Shop", "5 on hand"] {
        assert!(text.contains(named), "{text:?} names {named}");
    }
    let level = stock::availability(&t.db, t.org_id, product, Some(location))
        .await
        .expect("read");
    assert_eq!(level.on_hand, qty(5), "nothing changed");
    stock::adjust(
        &t.db,
        t.org_id,
        product,
        location,
        qty(-5),
        "sold at the counter",
    )
    .await
    .expect("down to exactly zero is fine");
    t.drop().await;
}

#[tokio::test]
async fn a_product_never_stocked_has_nothing_to_take() {
    let t = TestDb::new("stock_adjust_nothing").await;
    let (product, location) = (t.product("BOLT").await, t.location("Shop").await);
    let err = stock::adjust(&t.db, t.org_id, product, location, qty(-1), "lost")
        .await
        .expect_err("nothing on hand");
    assert_eq!(code(err).1, ErrorCode::InsufficientStock);
    assert!(
        stock::levels(&t.db, t.org_id, product)
            .await
            .expect("levels")
            .is_empty(),
        "no level row was created"
    );
    t.drop().await;
}

#[tokio::test]
async fn allocations_beyond_on_hand_stay_allowed_as_backorders() {
    let t = TestDb::new("stock_backorder").await;
    let (product, location) = (t.product("BOLT").await, t.location("Shop").await);
    stock::adjust(&t.db, t.org_id, product, location, qty(2), "count")
        .await
        .expect("seeded");
    let txn = t.db.begin().await.expect("txn");
    stock::apply(
        &txn,
        t.org_id,
        &[allocate(product, location, 5)],
        &Cause::default(),
    )
    .await
    .expect("a backorder");
    txn.commit().await.expect("commit");
    let level = stock::availability(&t.db, t.org_id, product, Some(location))
        .await
        .expect("read");
    assert_eq!((level.on_hand, level.available()), (qty(2), qty(-3)));
    t.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_removals_never_take_on_hand_below_zero() {
    let t = TestDb::new("stock_adjust_race").await;
    let (product, location) = (t.product("LAST").await, t.location("Shop").await);
    stock::adjust(&t.db, t.org_id, product, location, qty(10), "count")
        .await
        .expect("seeded");

    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (db, org_id) = (t.db.clone(), t.org_id);
            tokio::spawn(async move {
                stock::adjust(&db, org_id, product, location, qty(-3), "shrinkage")
                    .await
                    .is_ok()
            })
        })
        .collect();
    let mut taken = 0;
    for task in tasks {
        taken += i32::from(task.await.expect("task"));
    }
    assert_eq!(taken, 3, "three removals of 3 fit in 10, a fourth does not");
    let level = stock::availability(&t.db, t.org_id, product, Some(location))
        .await
        .expect("read");
    assert_eq!(level.on_hand, qty(1));
    assert!(
        stock::discrepancies(&t.db, t.org_id)
            .await
            .expect("check")
            .is_empty(),
        "every refused removal left no movement behind"
    );
    t.drop().await;
}

#[tokio::test]
async fn quantities_above_what_magento_can_hold_are_out_of_range() {
    let t = TestDb::new("stock_upper_bound").await;
    let (product, location) = (t.product("BOLT").await, t.location("Shop").await);
    let other = t.location("Back room").await;
    let err = stock::adjust(
        &t.db,
        t.org_id,
        product,
        location,
        qty(100_000_000),
        "count",
    )
    .await
    .expect_err("above 99,999,999");
    assert_eq!(code(err).1, ErrorCode::OutOfRange);
    stock::adjust(&t.db, t.org_id, product, location, qty(99_999_999), "count")
        .await
        .expect("the most is fine");
    let err = stock::adjust(&t.db, t.org_id, product, location, qty(1), "count")
        .await
        .expect_err("the level would exceed the most");
    assert_eq!(code(err).1, ErrorCode::OutOfRange);
    stock::adjust(&t.db, t.org_id, product, other, qty(99_999_999), "count")
        .await
        .expect("the most at a fresh location");
    let err = stock::transfer(&t.db, t.org_id, product, location, other, qty(1))
        .await
        .expect_err("the destination would exceed the most");
    assert_eq!(code(err).1, ErrorCode::OutOfRange);
    t.drop().await;
}

#[tokio::test]
async fn services_and_gift_cards_have_no_stock() {
    let t = TestDb::new("stock_service").await;
    let location = t.location("Shop").await;
    for (sku, kind) in [
        ("FITTING", ProductKind::Service),
        ("GIFT50", ProductKind::GiftCard),
    ] {
        let product = t.product_of_kind(sku, kind).await;
        let err = stock::adjust(&t.db, t.org_id, product, location, qty(1), "x")
            .await
            .expect_err("not stocked");
        assert_eq!(code(err).1, ErrorCode::Invalid);
    }
    t.drop().await;
}

#[tokio::test]
async fn a_transfer_moves_available_stock_from_one_location_to_another() {
    let t = TestDb::new("stock_transfer").await;
    let product = t.product("BOLT").await;
    let (north, south) = (t.location("North").await, t.location("South").await);
    stock::adjust(&t.db, t.org_id, product, north, qty(10), "count")
        .await
        .expect("seed");

    let (from, to) = stock::transfer(&t.db, t.org_id, product, north, south, qty(4))
        .await
        .expect("moved");
    assert_eq!((from.on_hand, to.on_hand), (qty(6), qty(4)));
    let total = stock::availability(&t.db, t.org_id, product, None)
        .await
        .expect("all");
    assert_eq!(
        total.on_hand,
        qty(10),
        "a transfer creates and destroys nothing"
    );
    t.drop().await;
}

#[tokio::test]
async fn a_transfer_cannot_take_allocated_or_missing_stock() {
    let t = TestDb::new("stock_transfer_short").await;
    let product = t.product("BOLT").await;
    let (north, south) = (t.location("North").await, t.location("South").await);
    stock::adjust(&t.db, t.org_id, product, north, qty(5), "count")
        .await
        .expect("seed");
    let txn = t.db.begin().await.expect("txn");
    stock::apply(
        &txn,
        t.org_id,
        &[allocate(product, north, 3)],
        &Cause::default(),
    )
    .await
    .expect("allocated");
    txn.commit().await.expect("commit");

    let err = stock::transfer(&t.db, t.org_id, product, north, south, qty(3))
        .await
        .expect_err("only 2 available");
    assert_eq!(
        code(err),
        (vec!["quantity".into()], ErrorCode::InsufficientStock)
    );
    let err = stock::transfer(&t.db, t.org_id, product, north, north, qty(1))
        .await
        .expect_err("same place");
    assert_eq!(code(err).1, ErrorCode::InvalidCombination);
    let err = stock::transfer(&t.db, t.org_id, product, north, south, qty(-1))
        .await
        .expect_err("negative");
    assert_eq!(code(err).1, ErrorCode::OutOfRange);
    let north_level = stock::availability(&t.db, t.org_id, product, Some(north))
        .await
        .expect("read");
    assert_eq!(
        (north_level.on_hand, north_level.allocated),
        (qty(5), qty(3))
    );
    t.drop().await;
}

#[tokio::test]
async fn availability_is_read_for_one_location_or_summed_over_all() {
    let t = TestDb::new("stock_availability").await;
    let product = t.product("BOLT").await;
    let (north, south) = (t.location("North").await, t.location("South").await);
    stock::adjust(&t.db, t.org_id, product, north, qty(7), "count")
        .await
        .expect("seed");
    stock::adjust(&t.db, t.org_id, product, south, qty(2), "count")
        .await
        .expect("seed");
    let txn = t.db.begin().await.expect("txn");
    stock::apply(
        &txn,
        t.org_id,
        &[allocate(product, south, 5)],
        &Cause::default(),
    )
    .await
    .expect("backorder allocation");
    txn.commit().await.expect("commit");

    let south_level = stock::availability(&t.db, t.org_id, product, Some(south))
        .await
        .expect("one");
    assert_eq!(
        south_level.available(),
        qty(-3),
        "allocating beyond stock is a backorder"
    );
    let all = stock::availability(&t.db, t.org_id, product, None)
        .await
        .expect("all");
    assert_eq!(
        (all.on_hand, all.allocated, all.available()),
        (qty(9), qty(5), qty(4))
    );
    t.drop().await;
}

#[tokio::test]
async fn every_stock_change_appends_one_event_naming_its_products_and_locations() {
    let t = TestDb::new("stock_event").await;
    let product = t.product("BOLT").await;
    let (north, south) = (t.location("North").await, t.location("South").await);
    stock::adjust(&t.db, t.org_id, product, north, qty(5), "count")
        .await
        .expect("seed");
    stock::transfer(&t.db, t.org_id, product, north, south, qty(1))
        .await
        .expect("moved");

    let events = event::Entity::find()
        .filter(event::Column::OrgId.eq(t.org_id))
        .filter(event::Column::Kind.eq(domain::events::STOCK_CHANGED))
        .order_by_asc(event::Column::Id)
        .all(&t.db)
        .await
        .expect("events");
    assert_eq!(events.len(), 2);
    let mut named: Vec<String> = events[1].payload["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| {
            format!(
                "{}@{}",
                c["productId"].as_str().unwrap_or(""),
                c["locationId"].as_str().unwrap_or("")
            )
        })
        .collect();
    named.sort();
    let mut expected = vec![format!("{product}@{north}"), format!("{product}@{south}")];
    expected.sort();
    assert_eq!(named, expected);
    t.drop().await;
}

#[tokio::test]
async fn releasing_more_than_is_allocated_is_refused_and_nothing_is_written() {
    let t = TestDb::new("stock_over_release").await;
    let (product, location) = (t.product("BOLT").await, t.location("Shop").await);
    let txn = t.db.begin().await.expect("txn");
    let err = stock::apply(
        &txn,
        t.org_id,
        &[allocate(product, location, -1)],
        &Cause::default(),
    )
    .await
    .expect_err("nothing allocated");
    drop(txn);
    assert_eq!(code(err).1, ErrorCode::OutOfRange);
    assert_eq!(
        stock_movement::Entity::find()
            .all(&t.db)
            .await
            .expect("read")
            .len(),
        0
    );
    t.drop().await;
}

/// Eight workers, each committing many small transactions against the same levels (one
/// hot SKU, and multi-line changes over several SKUs in shuffled order, which would
/// deadlock without a global lock order): no update is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_lose_no_update_and_levels_equal_their_movements() {
    let t = TestDb::new("stock_concurrency").await;
    let hot = t.product("HOT").await;
    let (north, south) = (t.location("North").await, t.location("South").await);
    let mut spread = Vec::new();
    for i in 0..6 {
        spread.push(t.product(&format!("SPREAD-{i}")).await);
    }
    const WORKERS: i64 = 8;
    const ROUNDS: i64 = 25;
    let mut tasks = Vec::new();
    for worker in 0..WORKERS {
        let (db, org_id, spread) = (t.db.clone(), t.org_id, spread.clone());
        tasks.push(tokio::spawn(async move {
            for round in 0..ROUNDS {
                let txn = db.begin().await.expect("txn");
                let mut movements = vec![
                    Movement {
                        product_id: hot,
                        location_id: north,
                        kind: MovementKind::Adjustment,
                        on_hand_delta: qty(2),
                        allocated_delta: Decimal::ZERO,
                    },
                    allocate(hot, north, 1),
                ];
                // Each worker lists the spread SKUs in its own order.
                for k in 0..spread.len() {
                    let product = spread[(k + worker as usize + round as usize) % spread.len()];
                    let location = if (k + round as usize).is_multiple_of(2) {
                        north
                    } else {
                        south
                    };
                    movements.push(Movement {
                        product_id: product,
                        location_id: location,
                        kind: MovementKind::Adjustment,
                        on_hand_delta: qty(1),
                        allocated_delta: Decimal::ZERO,
                    });
                }
                stock::apply(&txn, org_id, &movements, &Cause::default())
                    .await
                    .expect("applied");
                txn.commit().await.expect("commit");
            }
        }));
    }
    for task in tasks {
        task.await.expect("worker");
    }

    let hot_level = stock::availability(&t.db, t.org_id, hot, Some(north))
        .await
        .expect("read");
    assert_eq!(hot_level.on_hand, qty(2 * WORKERS * ROUNDS));
    assert_eq!(hot_level.allocated, qty(WORKERS * ROUNDS));
    let mut spread_total = Decimal::ZERO;
    for product in &spread {
        spread_total += stock::availability(&t.db, t.org_id, *product, None)
            .await
            .expect("read")
            .on_hand;
    }
    assert_eq!(spread_total, qty(WORKERS * ROUNDS * spread.len() as i64));
    assert_eq!(
        stock::discrepancies(&t.db, t.org_id).await.expect("check"),
        vec![]
    );
    t.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_transfers_never_move_more_than_was_available() {
    let t = TestDb::new("stock_transfer_race").await;
    let product = t.product("LAST").await;
    let (north, south) = (t.location("North").await, t.location("South").await);
    stock::adjust(&t.db, t.org_id, product, north, qty(10), "count")
        .await
        .expect("seed");

    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (db, org_id) = (t.db.clone(), t.org_id);
        tasks.push(tokio::spawn(async move {
            stock::transfer(&db, org_id, product, north, south, qty(3))
                .await
                .is_ok()
        }));
    }
    let mut moved = 0;
    for task in tasks {
        moved += i32::from(task.await.expect("task"));
    }
    assert_eq!(
        moved, 3,
        "three transfers of 3 fit in 10, a fourth does not"
    );
    let north_level = stock::availability(&t.db, t.org_id, product, Some(north))
        .await
        .expect("read");
    assert_eq!(north_level.on_hand, qty(1));
    assert!(
        stock::discrepancies(&t.db, t.org_id)
            .await
            .expect("check")
            .is_empty()
    );
    t.drop().await;
}

#[tokio::test]
async fn allocated_stock_can_be_released_again() {
    let t = TestDb::new("stock_release").await;
    let (product, location) = (t.product("BOLT").await, t.location("Shop").await);
    for units in [3, -2] {
        let txn = t.db.begin().await.expect("txn");
        stock::apply(
            &txn,
            t.org_id,
            &[allocate(product, location, units)],
            &Cause::default(),
        )
        .await
        .expect("applied");
        txn.commit().await.expect("commit");
    }
    let level = stock::availability(&t.db, t.org_id, product, Some(location))
        .await
        .expect("read");
    assert_eq!(level.allocated, qty(1));
    t.drop().await;
}
