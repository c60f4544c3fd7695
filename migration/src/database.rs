//! Creating, migrating and cloning databases.

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr, Statement};
use sea_orm_migration::MigratorTrait;
use std::time::Duration;
use url::Url;

use crate::Migrator;

#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error("DATABASE_URL is not a valid PostgreSQL URL: {0}")]
    InvalidUrl(String),
    #[error("database error: {0}")]
    Db(#[from] DbErr),
}

/// The database name and the URL of the server's maintenance database `postgres`.
fn split_url(database_url: &str) -> Result<(String, String), DatabaseError> {
    let mut url = Url::parse(database_url).map_err(|e| DatabaseError::InvalidUrl(e.to_string()))?;
    let name = url.path().trim_start_matches('/').to_owned();
    if name.is_empty() || name.contains('/') {
        return Err(DatabaseError::InvalidUrl(
            "the URL names no database".into(),
        ));
    }
    url.set_path("/postgres");
    Ok((name, url.to_string()))
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

async fn connect_quietly(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .min_connections(0)
        .connect_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    Database::connect(options).await
}

async fn database_exists(admin: &DatabaseConnection, name: &str) -> Result<bool, DbErr> {
    let row = admin
        .query_one_raw(Statement::from_sql_and_values(
            admin.get_database_backend(),
            "SELECT 1 AS present FROM pg_database WHERE datname = $1",
            [name.into()],
        ))
        .await?;
    Ok(row.is_some())
}

/// Creates the database named by `database_url` when it does not exist yet.
pub async fn create_if_missing(database_url: &str) -> Result<(), DatabaseError> {
    let (name, admin_url) = split_url(database_url)?;
    let admin = connect_quietly(&admin_url, 1).await?;
    if !database_exists(&admin, &name).await? {
        let created = admin
            .execute_unprepared(&format!("CREATE DATABASE {}", quote_ident(&name)))
            .await;
        // Two processes starting at once may race to create it; the loser's
        // "already exists" is the outcome it wanted.
        if let Err(err) = created
            && !database_exists(&admin, &name).await?
        {
            return Err(err.into());
        }
        tracing::info!(database = %name, "created database");
    }
    admin.close().await?;
    Ok(())
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DatabaseError> {
    Migrator::up(db, None).await?;
    Ok(())
}

/// Creates (when missing) and migrates the database, then returns a pool to it.
pub async fn prepare(
    database_url: &str,
    max_connections: u32,
) -> Result<DatabaseConnection, DatabaseError> {
    create_if_missing(database_url).await?;
    let mut options = ConnectOptions::new(database_url.to_owned());
    options
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    let db = Database::connect(options).await?;
    // Several processes (API and workers) start together; one migrates, the others
    // wait on this lock and then find nothing pending.
    let lock = connect_quietly(database_url, 1).await?;
    lock.execute_unprepared("SELECT pg_advisory_lock(727273)")
        .await?;
    let migrated = migrate(&db).await;
    lock.execute_unprepared("SELECT pg_advisory_unlock(727273)")
        .await?;
    lock.close().await?;
    migrated?;
    Ok(db)
}

fn fingerprint() -> String {
    // FNV-1a: stable across processes and Rust versions, unlike DefaultHasher.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for sql in crate::schema_fingerprint_source() {
        for byte in sql.bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

/// A fresh, migrated database for one test, cloned from a template that is built once
/// per schema version (guarded by an advisory lock, so parallel test processes agree).
/// `server_url` is any URL on the server, e.g. `postgres://postgres@127.0.0.1:5432/postgres`.
/// Returns the new database's URL.
pub async fn fresh_test_database(server_url: &str, label: &str) -> Result<String, DatabaseError> {
    let (_, admin_url) = split_url(server_url)?;
    let template = format!("stockbridge_template_{}", fingerprint());
    let admin = connect_quietly(&admin_url, 1).await?;
    admin
        .execute_unprepared("SELECT pg_advisory_lock(727274)")
        .await?;
    let ready = admin
        .query_one_raw(Statement::from_sql_and_values(
            admin.get_database_backend(),
            "SELECT 1 AS present FROM pg_database WHERE datname = $1 AND datistemplate",
            [template.clone().into()],
        ))
        .await?
        .is_some();
    let built = if ready {
        Ok(())
    } else {
        build_template(&admin, &admin_url, &template).await
    };
    admin
        .execute_unprepared("SELECT pg_advisory_unlock(727274)")
        .await?;
    built?;

    let safe_label: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(20)
        .collect();
    let name = format!("sbtest_{safe_label}_{}", uuid_like());
    let mut attempts = 0;
    loop {
        let sql = format!(
            "CREATE DATABASE {} TEMPLATE {}",
            quote_ident(&name),
            quote_ident(&template)
        );
        match admin.execute_unprepared(&sql).await {
            Ok(_) => break,
            // Concurrent clones of one template can collide briefly; retry a little.
            Err(err) if attempts < 20 => {
                attempts += 1;
                tracing::debug!(%err, "retrying template clone");
                tokio::time::sleep(Duration::from_millis(100 * attempts)).await;
            }
            Err(err) => return Err(err.into()),
        }
    }
    admin.close().await?;
    let mut url = Url::parse(server_url).map_err(|e| DatabaseError::InvalidUrl(e.to_string()))?;
    url.set_path(&format!("/{name}"));
    Ok(url.to_string())
}

async fn build_template(
    admin: &DatabaseConnection,
    admin_url: &str,
    template: &str,
) -> Result<(), DatabaseError> {
    if database_exists(admin, template).await? {
        admin
            .execute_unprepared(&format!(
                "DROP DATABASE {} WITH (FORCE)",
                quote_ident(template)
            ))
            .await?;
    }
    admin
        .execute_unprepared(&format!("CREATE DATABASE {}", quote_ident(template)))
        .await?;
    let mut url = Url::parse(admin_url).map_err(|e| DatabaseError::InvalidUrl(e.to_string()))?;
    url.set_path(&format!("/{template}"));
    let db = connect_quietly(url.as_str(), 1).await?;
    migrate(&db).await?;
    db.close().await?;
    admin
        .execute_unprepared(&format!(
            "ALTER DATABASE {} IS_TEMPLATE true",
            quote_ident(template)
        ))
        .await?;
    Ok(())
}

fn uuid_like() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{:x}_{:x}", nanos, std::process::id())
}

/// Drops a database created by [`fresh_test_database`].
pub async fn drop_test_database(database_url: &str) -> Result<(), DatabaseError> {
    let (name, admin_url) = split_url(database_url)?;
    let admin = connect_quietly(&admin_url, 1).await?;
    admin
        .execute_unprepared(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_ident(&name)
        ))
        .await?;
    admin.close().await?;
    Ok(())
}
