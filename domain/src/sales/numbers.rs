//! Document numbers per organisation (SO-00001, INV-00001, CR-00001, AS-00001).

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use uuid::Uuid;

use crate::error::{DomainError, DomainResult};

/// Takes the next number of `kind` inside the caller's transaction; concurrent takers
/// queue on the sequence row, so numbers are never repeated (a rolled-back transaction
/// gives its number back).
pub(crate) async fn next<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    kind: &str,
) -> DomainResult<String> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO document_sequences (org_id, kind, next) VALUES ($1, $2, 2) \
             ON CONFLICT (org_id, kind) DO UPDATE SET next = document_sequences.next + 1 \
             RETURNING next - 1 AS taken",
            [org_id.into(), kind.into()],
        ))
        .await?
        .ok_or(DomainError::Db(sea_orm::DbErr::RecordNotInserted))?;
    let taken: i64 = row.try_get("", "taken")?;
    Ok(format!("{kind}-{taken:05}"))
}
