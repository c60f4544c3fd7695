//! Prometheus metrics: HTTP requests by route and status, jobs by kind and state (read
//! from Postgres at scrape time, so every process reports the same truth), and Magento
//! calls by store, endpoint and outcome (counted by the `magento` client).

use std::sync::OnceLock;

use prometheus::{Encoder, IntCounter, IntCounterVec, IntGaugeVec, Opts, TextEncoder};
use sea_orm::{DatabaseConnection, DbBackend, FromQueryResult, Statement};

struct Metrics {
    http_requests: IntCounterVec,
    jobs: IntGaugeVec,
    db_statements: IntCounter,
}

fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(|| {
        let http_requests = IntCounterVec::new(
            Opts::new("stockbridge_http_requests_total", "HTTP requests served"),
            &["method", "route", "status"],
        )
        .expect("valid metric");
        let jobs = IntGaugeVec::new(
            Opts::new("stockbridge_jobs", "Jobs by kind and state"),
            &["kind", "state"],
        )
        .expect("valid metric");
        let db_statements = IntCounter::new(
            "stockbridge_db_statements_total",
            "SQL statements this process sent to PostgreSQL",
        )
        .expect("valid metric");
        let registry = prometheus::default_registry();
        let _ = registry.register(Box::new(db_statements.clone()));
        // Registering twice only happens in tests that build several apps.
        let _ = registry.register(Box::new(http_requests.clone()));
        let _ = registry.register(Box::new(jobs.clone()));
        Metrics {
            http_requests,
            jobs,
            db_statements,
        }
    })
}

/// Counts every statement the pool runs (what a DataLoader saves shows here).
pub fn count_statements(db: &mut DatabaseConnection) {
    let counter = metrics().db_statements.clone();
    db.set_metric_callback(move |_| counter.inc());
}

pub fn record_http(method: &str, route: &str, status: u16) {
    metrics()
        .http_requests
        .with_label_values(&[method, route, &status.to_string()])
        .inc();
}

#[derive(FromQueryResult)]
struct JobCount {
    kind: String,
    state: String,
    count: i64,
}

pub async fn render(db: &DatabaseConnection) -> Result<String, sea_orm::DbErr> {
    let counts = JobCount::find_by_statement(Statement::from_string(
        DbBackend::Postgres,
        "SELECT kind, state, count(*) AS count FROM jobs GROUP BY kind, state",
    ))
    .all(db)
    .await?;
    let m = metrics();
    m.jobs.reset();
    for c in counts {
        m.jobs.with_label_values(&[&c.kind, &c.state]).set(c.count);
    }
    let mut buffer = Vec::new();
    TextEncoder::new()
        .encode(&prometheus::default_registry().gather(), &mut buffer)
        .map_err(|e| sea_orm::DbErr::Custom(e.to_string()))?;
    Ok(String::from_utf8_lossy(&buffer).into_owned())
}
