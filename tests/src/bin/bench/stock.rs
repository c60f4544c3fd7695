//! Stock ledger throughput: eight writers committing one movement per transaction, on
//! one hot SKU (every writer queues on the same level row) and spread over 1,000 SKUs;
//! then the invariant check (levels equal the sums of their movements).

use std::time::Instant;

use domain::entities::enums::MovementKind;
use domain::products::{self, ProductDraft};
use domain::stock::{self, Cause, Movement};
use rust_decimal::Decimal;
use sea_orm::{ConnectOptions, Database, DatabaseConnection, TransactionTrait};
use uuid::Uuid;

use super::Figure;

const WRITERS: usize = 8;
const SKUS: usize = 1_000;
const MOVEMENTS_PER_WRITER: usize = 500;

pub async fn stock_movements() -> anyhow::Result<Vec<Figure>> {
    let server = std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let url = migration::database::fresh_test_database(&server, "bench_stock").await?;
    let mut options = ConnectOptions::new(url.clone());
    options
        .max_connections(WRITERS as u32 + 2)
        .sqlx_logging(false);
    let db = Database::connect(options).await?;
    let figures = measure(&db).await;
    db.close().await?;
    migration::database::drop_test_database(&url).await?;
    figures
}

async fn measure(db: &DatabaseConnection) -> anyhow::Result<Vec<Figure>> {
    let org = domain::auth::ensure_organization(db, "Bench").await?;
    let location = domain::reference::locations(db, org.id)
        .await?
        .first()
        .map(|l| l.id)
        .ok_or_else(|| anyhow::anyhow!("the organisation has no location"))?;
    let mut skus = Vec::with_capacity(SKUS);
    for i in 0..SKUS {
        let created = products::create_product(
            db,
            org.id,
            ProductDraft {
                sku: Some(format!("BENCH-{i:04}")),
                name: Some(format!("Bench product {i}")),
                ..ProductDraft::default()
            },
        )
        .await?;
        skus.push(created.product.id);
    }
    let hot = run(db, org.id, location, &skus[..1]).await?;
    let spread = run(db, org.id, location, &skus).await?;
    let discrepancies = stock::discrepancies(db, org.id).await?.len();
    Ok(vec![
        Figure {
            name: "ledger.stock_movements_hot_sku_8_writers_per_s",
            value: hot,
            unit: "movements/s",
            target: ">=0",
        },
        Figure {
            name: "ledger.stock_movements_1000_skus_8_writers_per_s",
            value: spread,
            unit: "movements/s",
            target: ">=1000",
        },
        Figure {
            name: "ledger.stock_invariant_discrepancies",
            value: discrepancies as f64,
            unit: "levels",
            target: "<=0",
        },
    ])
}

/// Movements per second over all writers; each writer walks the SKUs from its own
/// offset, one movement (+1 on hand) per committed transaction.
async fn run(
    db: &DatabaseConnection,
    org_id: Uuid,
    location_id: Uuid,
    skus: &[Uuid],
) -> anyhow::Result<f64> {
    let started = Instant::now();
    let mut writers = Vec::with_capacity(WRITERS);
    for writer in 0..WRITERS {
        let (db, skus) = (db.clone(), skus.to_vec());
        writers.push(tokio::spawn(async move {
            for i in 0..MOVEMENTS_PER_WRITER {
                let product_id = skus[(writer * 131 + i * 7) % skus.len()];
                let txn = db.begin().await?;
                stock::apply(
                    &txn,
                    org_id,
                    &[Movement {
                        product_id,
                        location_id,
                        kind: MovementKind::Adjustment,
                        on_hand_delta: Decimal::ONE,
                        allocated_delta: Decimal::ZERO,
                    }],
                    &Cause::default(),
                )
                .await?;
                txn.commit().await?;
            }
            anyhow::Ok(())
        }));
    }
    for writer in writers {
        writer.await??;
    }
    Ok((WRITERS * MOVEMENTS_PER_WRITER) as f64 / started.elapsed().as_secs_f64())
}
