//! The secret a store's notifications are signed with. Rotating it returns the new one
//! once (it is sealed at rest like the store's credentials and never readable again)
//! and keeps the ones before it valid for a grace period, so the merchant can switch the
//! Magento module over without a notification being refused meanwhile.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, Set, Statement, TransactionTrait,
};
use uuid::Uuid;

use entities::magento_webhook_secret;

use crate::Services;
use crate::error::DomainResult;

/// How long a replaced secret still verifies notifications.
pub const ROTATION_GRACE: Duration = Duration::from_secs(24 * 3600);

/// Recognisable in a config screen or a leaked log line.
const PREFIX: &str = "whsec_";

fn associated_data(store_id: Uuid, secret_id: Uuid) -> String {
    format!("{store_id}|webhook_secret|{secret_id}")
}

/// A new secret for the store (which must be the organisation's): the plaintext, shown
/// this once. Earlier secrets stay valid for [`ROTATION_GRACE`].
pub async fn rotate(services: &Services, org_id: Uuid, store_id: Uuid) -> DomainResult<String> {
    super::get(&services.db, org_id, store_id).await?;
    let plaintext = format!(
        "{PREFIX}{}",
        URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
    );
    let id = Uuid::new_v4();
    let sealed = services
        .secrets
        .seal(&plaintext, &associated_data(store_id, id))?;
    let now = Utc::now();
    let grace = chrono::Duration::from_std(ROTATION_GRACE).unwrap_or_default();
    let txn = services.db.begin().await?;
    magento_webhook_secret::Entity::update_many()
        .col_expr(
            magento_webhook_secret::Column::ValidUntil,
            sea_orm::sea_query::Expr::value(now + grace),
        )
        .filter(magento_webhook_secret::Column::StoreId.eq(store_id))
        .filter(magento_webhook_secret::Column::ValidUntil.is_null())
        .exec(&txn)
        .await?;
    magento_webhook_secret::ActiveModel {
        id: Set(id),
        store_id: Set(store_id),
        secret_key_id: Set(sealed.key_id),
        secret_enc: Set(sealed.bytes),
        created_at: Set(now),
        valid_until: Set(None),
    }
    .insert(&txn)
    .await?;
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "DELETE FROM magento_webhook_secrets WHERE store_id = $1 AND valid_until < now()",
        [store_id.into()],
    ))
    .await?;
    txn.commit().await?;
    Ok(plaintext)
}

/// The secrets that verify the store's notifications now, newest first, with the
/// store's organisation; empty for a store that has none (or does not exist).
pub async fn valid_secrets(
    services: &Services,
    store_id: Uuid,
) -> DomainResult<(Option<Uuid>, Vec<String>)> {
    let store = entities::magento_store::Entity::find_by_id(store_id)
        .one(&services.db)
        .await?;
    let Some(store) = store else {
        return Ok((None, Vec::new()));
    };
    let rows = magento_webhook_secret::Entity::find()
        .filter(magento_webhook_secret::Column::StoreId.eq(store_id))
        .order_by_desc(magento_webhook_secret::Column::CreatedAt)
        .all(&services.db)
        .await?;
    let now = Utc::now();
    let mut secrets = Vec::new();
    for row in rows
        .into_iter()
        .filter(|r| r.valid_until.is_none_or(|until| until > now))
    {
        match services.secrets.open(
            &row.secret_key_id,
            &row.secret_enc,
            &associated_data(store_id, row.id),
        ) {
            Ok(secret) => secrets.push(secret),
            // A row that does not open (its key was removed) verifies nothing.
            Err(err) => tracing::warn!(%store_id, %err, "a webhook secret could not be opened"),
        }
    }
    Ok((Some(store.org_id), secrets))
}

/// Whether the store has a current secret (notifications can be verified).
pub async fn has_secret<C: ConnectionTrait>(db: &C, store_id: Uuid) -> DomainResult<bool> {
    Ok(magento_webhook_secret::Entity::find()
        .filter(magento_webhook_secret::Column::StoreId.eq(store_id))
        .filter(magento_webhook_secret::Column::ValidUntil.is_null())
        .one(db)
        .await?
        .is_some())
}
