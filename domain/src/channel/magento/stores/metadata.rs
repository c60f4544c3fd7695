//! The store's metadata cache: what settings and mappings are checked against.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, Set};
use serde::{Deserialize, Serialize};

use entities::enums::{JobItemOutcome, StockMode};
use entities::magento_store;
use magento::dto;

use crate::error::DomainError;
use uuid::Uuid;

use crate::jobs::{Earlier, ItemError, Job, JobContext, JobFailure, JobKind};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct StoreMetadata {
    pub store_configs: Vec<dto::StoreConfig>,
    pub websites: Vec<dto::Website>,
    pub store_views: Vec<dto::StoreView>,
    pub attribute_sets: Vec<dto::AttributeSet>,
    pub tax_classes: Vec<dto::TaxClass>,
    pub tax_rates: Vec<dto::TaxRate>,
    pub payment_methods: Vec<dto::PaymentMethod>,
    pub sources: Vec<dto::Source>,
}

/// Saves where a store whose stock mode was unknown keeps stock (its MSI sources, or
/// legacy stock when it has none), as the metadata refresh would.
pub async fn remember_sources(
    db: &sea_orm::DatabaseConnection,
    store_id: uuid::Uuid,
    sources: Option<&[dto::Source]>,
) -> crate::error::DomainResult<()> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let mode = if sources.is_some() {
        StockMode::Msi
    } else {
        StockMode::Legacy
    };
    let sources = serde_json::to_value(sources.unwrap_or_default())
        .map_err(|e| sea_orm::DbErr::Custom(e.to_string()))?;
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE magento_stores SET stock_mode = $2, \
                metadata = jsonb_set(coalesce(metadata, '{}'::jsonb), '{sources}', $3::jsonb), \
                updated_at = now() \
         WHERE id = $1 AND stock_mode = 'unknown'",
        [
            store_id.into(),
            sea_orm::ActiveEnum::to_value(&mode).into(),
            sources.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// How far back orders are read to learn which payment methods the store uses:
/// Magento's admin API has no list of a store's payment methods.
const PAYMENT_METHOD_LOOKBACK_DAYS: i64 = 365;

/// Reads each kind of metadata as one job item, so one failing endpoint (say, a
/// missing ACL resource) is reported on its own and the rest is still cached.
/// Reads what a store's settings and mappings choose from (store views, attribute sets,
/// tax rates, payment methods, sources…) into the store's cached metadata.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetadataRefresh {
    pub store_id: Uuid,
    /// Only these steps (a retry of the failed ones); every step when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<Vec<String>>,
}

impl Job for MetadataRefresh {
    const KIND: JobKind = JobKind::StoreMetadataRefresh;
    const MAX_ATTEMPTS: i32 = 5;

    fn store_id(&self) -> Option<Uuid> {
        Some(self.store_id)
    }

    async fn run(self, ctx: &JobContext) -> Result<(), JobFailure> {
        refresh_metadata(ctx, self.steps.as_deref()).await
    }

    /// The steps that failed; every step when the refresh stopped midway.
    fn retry(self, earlier: &Earlier) -> Self {
        Self {
            steps: earlier.failed_keys_or(self.steps.clone()),
            ..self
        }
    }
}

async fn refresh_metadata(ctx: &JobContext, only: Option<&[String]>) -> Result<(), JobFailure> {
    let (store, client) = super::store_of_job(ctx).await?;
    let mut metadata = super::metadata_of(&store);
    let mut stock_mode = store.stock_mode;
    const STEPS: [&str; 8] = [
        "store_configs",
        "websites",
        "store_views",
        "attribute_sets",
        "tax_classes",
        "tax_rates",
        "payment_methods",
        "sources",
    ];
    let wanted = |step: &str| only.is_none_or(|only| only.iter().any(|s| s == step));
    let total = STEPS.iter().filter(|s| wanted(s)).count();
    ctx.set_phase("reading store metadata", Some(total as i32))
        .await?;
    let mut transient = None;

    for (index, step) in STEPS.iter().enumerate() {
        if !wanted(step) {
            continue;
        }
        ctx.check_cancelled().await?;
        let result = match *step {
            "store_configs" => client
                .store_configs()
                .await
                .map(|v| metadata.store_configs = v),
            "websites" => client.websites().await.map(|v| metadata.websites = v),
            "store_views" => client.store_views().await.map(|v| metadata.store_views = v),
            "attribute_sets" => client
                .attribute_sets()
                .await
                .map(|v| metadata.attribute_sets = v),
            "tax_classes" => client.tax_classes().await.map(|v| metadata.tax_classes = v),
            "tax_rates" => client.tax_rates().await.map(|v| metadata.tax_rates = v),
            "payment_methods" => {
                let since = Utc::now() - chrono::Duration::days(PAYMENT_METHOD_LOOKBACK_DAYS);
                client.payment_methods_seen(since).await.map(|seen| {
                    // Keep methods learnt earlier: an old order may still use one.
                    for method in seen {
                        if !metadata
                            .payment_methods
                            .iter()
                            .any(|m| m.code == method.code)
                        {
                            metadata.payment_methods.push(method);
                        }
                    }
                    metadata.payment_methods.sort_by(|a, b| a.code.cmp(&b.code));
                })
            }
            _ => client
                .inventory_sources()
                .await
                .map(|sources| match sources {
                    Some(sources) => {
                        metadata.sources = sources;
                        stock_mode = StockMode::Msi;
                    }
                    None => {
                        metadata.sources = Vec::new();
                        stock_mode = StockMode::Legacy;
                    }
                }),
        };
        match result {
            Ok(()) => {
                ctx.record_item(index as i32, step, JobItemOutcome::Succeeded, None)
                    .await?
            }
            Err(err) if err.is_retryable() => {
                // The whole job is retried; items already recorded are not repeated.
                transient = Some(format!("{step}: {err}"));
                break;
            }
            Err(err) => {
                ctx.record_item(
                    index as i32,
                    step,
                    JobItemOutcome::Failed,
                    Some(ItemError::magento(&err)),
                )
                .await?
            }
        }
    }

    let mut active: magento_store::ActiveModel = store.into();
    active.metadata =
        Set(serde_json::to_value(&metadata).map_err(|e| JobFailure::Permanent(e.to_string()))?);
    active.stock_mode = Set(stock_mode);
    active.metadata_refreshed_at = Set(Some(Utc::now()));
    active.updated_at = Set(Utc::now());
    active
        .update(&ctx.services.db)
        .await
        .map_err(DomainError::from)?;
    match transient {
        Some(error) => Err(JobFailure::Transient(error)),
        None => Ok(()),
    }
}
