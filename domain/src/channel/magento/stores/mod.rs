//! Connected Magento stores: connecting (credentials verified before anything is
//! saved, secrets sealed at rest), settings, mappings, the metadata cache, and
//! disconnecting.

mod mappings;
pub(crate) mod metadata;
pub mod webhook;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, SqlErr, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use entities::enums::{StockMode, StoreStatus};
use entities::{customer, location, magento_setting, magento_store};
use magento::{ClientOptions, Credentials, MagentoClient, MagentoError, RetryPolicy};

pub use mappings::{
    LocationMapping, PaymentAccountMapping, TaxRuleMapping, location_mappings,
    payment_account_mappings, set_location_mappings, set_payment_account_mappings,
    set_tax_rule_mappings, tax_mapping_complete, tax_rule_mappings,
};
pub use metadata::{MetadataRefresh, StoreMetadata, remember_sources};

use crate::Services;
use crate::auth::Principal;
use crate::channel::magento::import::stock::overwrite_warning;
pub use crate::channel::magento::import::stock::{UserWarning, WarningCode};
use crate::channel::magento::settings::{self, References, SettingsPatch};
use crate::error::{DomainError, DomainResult, ErrorCode, FieldError};
use crate::events::{self, DomainEvent, StoreNamed};
use crate::jobs::{self, Requested};
use crate::reference;

/// The four values Magento shows when an integration is activated.
pub struct ConnectInput {
    pub name: String,
    pub base_url: String,
    pub credentials: Credentials,
}

const SECRET_FIELDS: [&str; 4] = [
    "consumer_key",
    "consumer_secret",
    "access_token",
    "access_token_secret",
];

fn associated_data(org_id: Uuid, store_id: Uuid, field: &str) -> String {
    format!("{org_id}|{store_id}|{field}")
}

/// Checks the input and builds the client that will verify it; the client owns the rules
/// for a usable shop URL, so they live in one place.
fn validate_connect(
    input: &ConnectInput,
    options: ClientOptions,
) -> Result<MagentoClient, DomainError> {
    let mut errors = Vec::new();
    if input.name.trim().is_empty() {
        errors.push(FieldError::new(
            &["name"],
            ErrorCode::Invalid,
            "must not be empty",
        ));
    }
    let c = &input.credentials;
    for (field, value) in [
        ("consumerKey", &c.consumer_key),
        ("consumerSecret", &c.consumer_secret),
        ("accessToken", &c.access_token),
        ("accessTokenSecret", &c.access_token_secret),
    ] {
        if value.trim().is_empty() {
            errors.push(FieldError::new(
                &[field],
                ErrorCode::Invalid,
                "must not be empty",
            ));
        }
    }
    let trimmed = Credentials {
        consumer_key: c.consumer_key.trim().to_owned(),
        consumer_secret: c.consumer_secret.trim().to_owned(),
        access_token: c.access_token.trim().to_owned(),
        access_token_secret: c.access_token_secret.trim().to_owned(),
    };
    match MagentoClient::new(&input.base_url, trimmed, options) {
        Ok(client) if errors.is_empty() => Ok(client),
        Ok(_) => Err(DomainError::Invalid(errors)),
        Err(err) => {
            errors.push(FieldError::new(
                &["baseUrl"],
                ErrorCode::Invalid,
                err.to_string(),
            ));
            Err(DomainError::Invalid(errors))
        }
    }
}

/// Turns a failed credential check into the error the merchant can act on.
fn connect_error(err: MagentoError) -> DomainError {
    let (code, message) = match &err {
        MagentoError::InvalidCredentials { .. } | MagentoError::SignatureMethodRejected { .. } => (
            ErrorCode::InvalidCredentials,
            "Magento refused these credentials; copy all four values of the activated integration again".to_owned(),
        ),
        MagentoError::AclDenied { resources, .. } => (
            ErrorCode::InvalidCredentials,
            format!("the integration may not read {resources}; set its Resource Access to All in Magento"),
        ),
        MagentoError::Unreachable { .. } | MagentoError::Timeout => {
            (ErrorCode::StoreUnreachable, format!("could not reach the store: {err}"))
        }
        MagentoError::NotFound { .. } => (
            ErrorCode::StoreUnreachable,
            "no Magento REST API answers at this address (check the shop URL)".to_owned(),
        ),
        other => (ErrorCode::MagentoError, format!("Magento answered with an error: {other}")),
    };
    DomainError::invalid(&[], code, message)
}

pub fn client_options(services: &Services, store_label: &str) -> ClientOptions {
    ClientOptions {
        timeout: services.magento_timeout,
        store_label: store_label.to_owned(),
        ..ClientOptions::default()
    }
}

/// For a call someone waits on: one quick retry, not a job's patience.
pub(crate) fn interactive_options(services: &Services, store_label: &str) -> ClientOptions {
    ClientOptions {
        timeout: services
            .magento_timeout
            .min(std::time::Duration::from_secs(15)),
        retry: RetryPolicy {
            max_attempts: 2,
            ..RetryPolicy::default()
        },
        ..client_options(services, store_label)
    }
}

/// Verifies the credentials against Magento, then saves the store with its secrets
/// sealed and default settings, then starts the metadata refresh. Nothing is saved
/// when verification fails.
pub async fn connect(
    services: &Services,
    principal: &Principal,
    input: ConnectInput,
) -> DomainResult<(magento_store::Model, entities::job::Model)> {
    let store_id = Uuid::new_v4();
    // The merchant waits on this check.
    let verify = interactive_options(services, &store_id.to_string());
    let client = validate_connect(&input, verify)?;
    let store_configs = client.store_configs().await.map_err(connect_error)?;

    let org_id = principal.org_id;
    let c = &input.credentials;
    let values = [
        &c.consumer_key,
        &c.consumer_secret,
        &c.access_token,
        &c.access_token_secret,
    ];
    let mut sealed = Vec::with_capacity(4);
    for (field, value) in SECRET_FIELDS.iter().zip(values) {
        sealed.push(
            services
                .secrets
                .seal(value.trim(), &associated_data(org_id, store_id, field))?,
        );
    }
    let key_id = sealed[0].key_id.clone();
    let [
        consumer_key,
        consumer_secret,
        access_token,
        access_token_secret,
    ]: [Vec<u8>; 4] = sealed
        .into_iter()
        .map(|s| s.bytes)
        .collect::<Vec<_>>()
        .try_into()
        .map_err(|_| DomainError::Queue("sealing produced the wrong number of values".into()))?;
    let key = c.consumer_key.trim();
    let last4: String = key
        .chars()
        .skip(key.chars().count().saturating_sub(4))
        .collect();
    let now = Utc::now();
    let metadata = StoreMetadata {
        store_configs,
        ..StoreMetadata::default()
    };

    let txn = services.db.begin().await?;
    let inserted = magento_store::ActiveModel {
        id: Set(store_id),
        org_id: Set(org_id),
        name: Set(input.name.trim().to_owned()),
        // The client's form of the URL is what it signs; keep exactly that.
        base_url: Set(client.base_url().to_owned()),
        status: Set(StoreStatus::Connected),
        connected_at: Set(now),
        secret_key_id: Set(key_id),
        consumer_key_enc: Set(consumer_key),
        consumer_secret_enc: Set(consumer_secret),
        access_token_enc: Set(access_token),
        access_token_secret_enc: Set(access_token_secret),
        consumer_key_last4: Set(last4),
        stock_mode: Set(StockMode::Unknown),
        metadata: Set(serde_json::to_value(&metadata).unwrap_or_else(|_| json!({}))),
        metadata_refreshed_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await;
    let store = match inserted {
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return Err(DomainError::invalid(
                &["name"],
                ErrorCode::AlreadyExists,
                "a store with this name is connected",
            ));
        }
        other => other?,
    };
    let defaults: magento_setting::ActiveModel = settings::defaults(store_id, org_id).into();
    magento_setting::Entity::insert(defaults.reset_all())
        .exec(&txn)
        .await?;
    events::append(
        &txn,
        events::Scope::store(org_id, store_id),
        &DomainEvent::StoreConnected(StoreNamed {
            name: store.name.clone(),
        }),
    )
    .await?;
    txn.commit().await?;

    let job = refresh(services, principal, store_id).await?;
    Ok((store, job))
}

/// Starts a `STORE_METADATA_REFRESH` job.
pub async fn refresh(
    services: &Services,
    principal: &Principal,
    store_id: Uuid,
) -> DomainResult<entities::job::Model> {
    get(&services.db, principal.org_id, store_id).await?;
    jobs::enqueue_job(
        services,
        Requested::by(principal),
        &MetadataRefresh {
            store_id,
            steps: None,
        },
    )
    .await
}

pub async fn list(
    db: &DatabaseConnection,
    org_id: Uuid,
) -> DomainResult<Vec<magento_store::Model>> {
    Ok(magento_store::Entity::find()
        .filter(magento_store::Column::OrgId.eq(org_id))
        .order_by_asc(magento_store::Column::CreatedAt)
        .all(db)
        .await?)
}

pub async fn get(
    db: &DatabaseConnection,
    org_id: Uuid,
    id: Uuid,
) -> DomainResult<magento_store::Model> {
    magento_store::Entity::find_by_id(id)
        .filter(magento_store::Column::OrgId.eq(org_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound { entity: "store" })
}

pub fn metadata_of(store: &magento_store::Model) -> StoreMetadata {
    serde_json::from_value(store.metadata.clone()).unwrap_or_default()
}

/// A signed client for the store; the secrets are opened only here.
pub fn client_for(
    services: &Services,
    store: &magento_store::Model,
) -> DomainResult<MagentoClient> {
    client_with(
        services,
        store,
        client_options(services, &store.id.to_string()),
    )
}

/// [`client_for`] with other options (an [`interactive_options`] client).
pub(crate) fn client_with(
    services: &Services,
    store: &magento_store::Model,
    options: ClientOptions,
) -> DomainResult<MagentoClient> {
    let open = |field: &str, bytes: &[u8]| {
        services.secrets.open(
            &store.secret_key_id,
            bytes,
            &associated_data(store.org_id, store.id, field),
        )
    };
    let credentials = Credentials {
        consumer_key: open(SECRET_FIELDS[0], &store.consumer_key_enc)?,
        consumer_secret: open(SECRET_FIELDS[1], &store.consumer_secret_enc)?,
        access_token: open(SECRET_FIELDS[2], &store.access_token_enc)?,
        access_token_secret: open(SECRET_FIELDS[3], &store.access_token_secret_enc)?,
    };
    Ok(MagentoClient::new(&store.base_url, credentials, options)?)
}

/// The store a store job works on, and a client for it. A store disconnected since the
/// job was queued is a permanent failure: retrying cannot bring it back.
pub async fn store_of_job(
    ctx: &crate::jobs::JobContext,
) -> Result<(magento_store::Model, MagentoClient), crate::jobs::JobFailure> {
    use crate::jobs::JobFailure;
    let store_id = ctx
        .job
        .store_id
        .ok_or_else(|| JobFailure::Permanent("the job names no store".into()))?;
    let store = get(&ctx.services.db, ctx.org_id(), store_id)
        .await
        .map_err(|e| match e {
            DomainError::NotFound { .. } => {
                JobFailure::Permanent("the store was disconnected".into())
            }
            other => other.into(),
        })?;
    let client = client_for(&ctx.services, &store)?;
    Ok((store, client))
}

pub async fn settings_of(
    db: &DatabaseConnection,
    org_id: Uuid,
    store_id: Uuid,
) -> DomainResult<magento_setting::Model> {
    magento_setting::Entity::find_by_id(store_id)
        .filter(magento_setting::Column::OrgId.eq(org_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound { entity: "store" })
}

/// Where the store's sales and stock live in the ledger ("Link Magento sales to
/// Location"): the linked location, else, with All Locations, the organisation's
/// default location.
pub async fn sales_location<C: sea_orm::ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    settings: &magento_setting::Model,
) -> DomainResult<Uuid> {
    match settings.location_id {
        Some(linked) => Ok(linked),
        None => Ok(reference::default_location(db, org_id).await?.id),
    }
}

/// Settings as saved, and what the merchant should know about them.
#[derive(Debug, Clone)]
pub struct SettingsSaved {
    pub settings: magento_setting::Model,
    pub warnings: Vec<UserWarning>,
}

/// Applies a settings patch as one unit: every rule checked against the merged result,
/// all saved or none. Turning "Update Stock Levels in Magento" on is saved whatever the
/// stock looks like (the spec leaves that choice to the merchant), with a warning when
/// it would overwrite Magento's quantities with the ledger's zeros
/// ([`overwrite_warning`]); that comparison runs after the save, outside its
/// transaction.
pub async fn update_settings(
    services: &Services,
    org_id: Uuid,
    store_id: Uuid,
    patch: SettingsPatch,
) -> DomainResult<SettingsSaved> {
    let txn = services.db.begin().await?;
    let store = magento_store::Entity::find_by_id(store_id)
        .filter(magento_store::Column::OrgId.eq(org_id))
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound { entity: "store" })?;
    let current = magento_setting::Entity::find_by_id(store_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound { entity: "store" })?;

    let mut refs = References {
        store_view_codes: metadata_of(&store)
            .store_views
            .into_iter()
            .map(|v| v.code)
            .collect(),
        ..References::default()
    };
    if let Some(Some(id)) = patch.default_customer_id {
        refs.customer_exists = customer::Entity::find_by_id(id)
            .filter(customer::Column::OrgId.eq(org_id))
            .one(&txn)
            .await?
            .is_some();
    }
    if let Some(Some(id)) = patch.location_id {
        refs.location_exists = location::Entity::find_by_id(id)
            .filter(location::Column::OrgId.eq(org_id))
            .one(&txn)
            .await?
            .is_some();
    }
    if let Some(Some(code)) = &patch.gift_card_liability_account_code {
        refs.gift_card_account = reference::account_by_code(&txn, org_id, code.trim()).await?;
    }
    if let Some(Some(code)) = &patch.revenue_account_code {
        refs.revenue_account = reference::account_by_code(&txn, org_id, code.trim()).await?;
    }

    let mut next = settings::apply(&current, &patch, &refs).map_err(DomainError::Invalid)?;
    next.updated_at = Utc::now();
    let saved = magento_setting::ActiveModel::from(next)
        .reset_all()
        .update(&txn)
        .await?;
    events::append(
        &txn,
        events::Scope::store(org_id, store_id),
        &DomainEvent::StoreSettingsChanged {},
    )
    .await?;
    txn.commit().await?;
    let mut warnings = Vec::new();
    if !current.update_stock_levels && saved.update_stock_levels {
        warnings.extend(overwrite_warning(services, &store, &saved).await);
    }
    Ok(SettingsSaved {
        settings: saved,
        warnings,
    })
}

/// Removes every association of the store with Stockbridge (its settings, mappings and
/// everything else keyed to it cascades); ledger data stays.
pub async fn disconnect(
    services: &Services,
    org_id: Uuid,
    store_id: Uuid,
) -> DomainResult<magento_store::Model> {
    let txn = services.db.begin().await?;
    let store = magento_store::Entity::find_by_id(store_id)
        .filter(magento_store::Column::OrgId.eq(org_id))
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound { entity: "store" })?;
    // The log goes with the store; the stock its pending orders hold must not stay held.
    crate::channel::magento::import::orders::log::release_store(&txn, org_id, store_id).await?;
    magento_store::Entity::delete_by_id(store_id)
        .exec(&txn)
        .await?;
    events::append(
        &txn,
        events::Scope::store(org_id, store_id),
        &DomainEvent::StoreDisconnected(StoreNamed {
            name: store.name.clone(),
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(store)
}
