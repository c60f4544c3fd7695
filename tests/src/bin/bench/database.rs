//! One large statement's round trip over the pool's TCP connection: an insert of 300
//! rows (~40 KB, many TCP segments), as a catalogue page write sends. Without
//! TCP_NODELAY on the socket (sqlx 0.9.0), Nagle's algorithm and the server's delayed
//! ACK added ~40 ms to each such statement; this figure shows they do not.

use std::time::Instant;

use sea_orm::ConnectionTrait;

use super::Figure;

const ROWS: usize = 300;
const ROUNDS: usize = 60;

pub async fn large_statement() -> anyhow::Result<Vec<Figure>> {
    let server = std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let url = migration::database::fresh_test_database(&server, "bench_statement").await?;
    let db = migration::database::prepare(&url, 2).await?;
    db.execute_unprepared("CREATE TABLE bench_rows (sku text, name text, description text)")
        .await?;
    let values: Vec<String> = (0..ROWS)
        .map(|i| {
            format!(
                "('BENCH-{i:05}', 'Bench product {i}', '{}')",
                "a description of some length ".repeat(4)
            )
        })
        .collect();
    let statement = format!(
        "INSERT INTO bench_rows (sku, name, description) VALUES {}",
        values.join(", ")
    );
    let mut took = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let started = Instant::now();
        db.execute_unprepared(&statement).await?;
        took.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    took.sort_by(f64::total_cmp);
    db.close().await?;
    migration::database::drop_test_database(&url).await?;
    Ok(vec![Figure {
        name: "database.insert_300_rows_statement_p50",
        value: took[ROUNDS / 2],
        unit: "ms",
        target: "<=20",
    }])
}
