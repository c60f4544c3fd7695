//! Organisations and API keys. A key is `sbk_` + 40 random base62 characters: the
//! prefix makes a leaked key recognisable to secret scanners; only its SHA-256 is
//! stored, so a database leak reveals no usable key.

use chrono::Utc;
use rand::Rng;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set, TransactionTrait,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub use entities::enums::Role;
use entities::{api_key, organization};

use crate::error::DomainResult;
use crate::reference;

const KEY_PREFIX: &str = "sbk_";
const KEY_RANDOM_LEN: usize = 40;

/// Who is calling: decided by the API key, never by an argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    pub org_id: Uuid,
    pub api_key_id: Uuid,
    pub role: Role,
}

impl Principal {
    pub fn may(&self, needed: Role) -> bool {
        self.role >= needed
    }
}

/// A freshly created key; `secret` is shown once and never stored.
pub struct IssuedKey {
    pub secret: String,
    pub api_key_id: Uuid,
    pub org_id: Uuid,
    pub role: Role,
}

impl std::fmt::Debug for IssuedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedKey")
            .field("api_key_id", &self.api_key_id)
            .field("org_id", &self.org_id)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

fn hash_key(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn generate_secret() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut rng = rand::rng();
    let random: String = (0..KEY_RANDOM_LEN)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{KEY_PREFIX}{random}")
}

/// Finds the organisation by name or creates it (with its default reference books).
pub async fn ensure_organization<C: ConnectionTrait>(
    db: &C,
    name: &str,
) -> DomainResult<organization::Model> {
    if let Some(org) = organization::Entity::find()
        .filter(organization::Column::Name.eq(name))
        .one(db)
        .await?
    {
        return Ok(org);
    }
    let org = organization::ActiveModel {
        id: Set(Uuid::new_v4()),
        name: Set(name.to_owned()),
        base_currency: Set("USD".to_owned()),
        timezone: Set("UTC".to_owned()),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    reference::seed_defaults(db, org.id).await?;
    Ok(org)
}

pub async fn organization(
    db: &DatabaseConnection,
    org_id: Uuid,
) -> DomainResult<organization::Model> {
    organization::Entity::find_by_id(org_id)
        .one(db)
        .await?
        .ok_or(crate::error::DomainError::NotFound {
            entity: "organization",
        })
}

/// `stockbridge api-key create --org NAME --role ROLE`: creates the organisation when
/// it does not exist, else adds a key to it.
pub async fn create_api_key(
    db: &DatabaseConnection,
    org_name: &str,
    role: Role,
) -> DomainResult<IssuedKey> {
    let txn = db.begin().await?;
    let org = ensure_organization(&txn, org_name).await?;
    let secret = generate_secret();
    let key = api_key::ActiveModel {
        id: Set(Uuid::new_v4()),
        org_id: Set(org.id),
        prefix: Set(secret[..KEY_PREFIX.len() + 6].to_owned()),
        key_hash: Set(hash_key(&secret)),
        role: Set(role),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(IssuedKey {
        secret,
        api_key_id: key.id,
        org_id: org.id,
        role,
    })
}

/// The principal of a presented key, or `None` for an unknown, malformed or revoked one.
pub async fn authenticate(
    db: &DatabaseConnection,
    presented: &str,
) -> DomainResult<Option<Principal>> {
    if !presented.starts_with(KEY_PREFIX) || presented.len() != KEY_PREFIX.len() + KEY_RANDOM_LEN {
        return Ok(None);
    }
    let key = api_key::Entity::find()
        .filter(api_key::Column::KeyHash.eq(hash_key(presented)))
        .filter(api_key::Column::RevokedAt.is_null())
        .one(db)
        .await?;
    let Some(key) = key else { return Ok(None) };
    // Best effort and coarse (once a minute) so authentication stays a read.
    let stale = key
        .last_used_at
        .is_none_or(|t| Utc::now() - t > chrono::Duration::minutes(1));
    if stale {
        let mut active: api_key::ActiveModel = key.clone().into();
        active.last_used_at = Set(Some(Utc::now()));
        if let Err(err) = active.update(db).await {
            tracing::warn!(%err, "could not record API key use");
        }
    }
    Ok(Some(Principal {
        org_id: key.org_id,
        api_key_id: key.id,
        role: key.role,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_carry_the_prefix_and_enough_randomness() {
        let a = generate_secret();
        let b = generate_secret();
        assert!(a.starts_with("sbk_"));
        assert_eq!(a.len(), 44);
        assert_ne!(a, b);
    }

    #[test]
    fn the_stored_hash_is_not_the_key() {
        let key = generate_secret();
        let hash = hash_key(&key);
        assert_eq!(hash.len(), 64);
        assert!(!hash.contains(&key[4..]));
    }

    #[test]
    fn roles_are_ordered_by_power() {
        let operator = Principal {
            org_id: Uuid::nil(),
            api_key_id: Uuid::nil(),
            role: Role::Operator,
        };
        assert!(operator.may(Role::Viewer));
        assert!(operator.may(Role::Operator));
        assert!(!operator.may(Role::Admin));
    }
}
