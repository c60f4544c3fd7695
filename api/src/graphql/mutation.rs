use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use domain::auth::Role;
use domain::channel::magento::stores::{
    self, ConnectInput, LocationMapping, PaymentAccountMapping, TaxRuleMapping,
};
use domain::{DomainError, jobs};
use magento::Credentials;

use super::errors::{UserError, payload, user_errors, user_errors_under};
use super::ids;
use super::job::Job;
use super::store::{Store, StoreSettings, StoreSettingsInput, UserWarning};
use super::{require, state};

/// Stores and jobs (reference books and customers: `reference`, `customers`).
#[derive(Default)]
pub struct CoreMutation;

/// The four values Magento shows when an integration is activated. They are
/// write-only: never readable again.
#[derive(InputObject)]
pub struct StoreConnectInput {
    pub name: String,
    /// The shop's address, e.g. https://shop.example.com
    pub base_url: String,
    #[graphql(secret)]
    pub consumer_key: String,
    #[graphql(secret)]
    pub consumer_secret: String,
    #[graphql(secret)]
    pub access_token: String,
    #[graphql(secret)]
    pub access_token_secret: String,
}

#[derive(SimpleObject)]
pub struct StoreConnectPayload {
    pub store: Option<Store>,
    /// The `STORE_METADATA_REFRESH` job started after connecting.
    pub job: Option<Job>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct StoreUpdateSettingsPayload {
    pub store: Option<Store>,
    pub settings: Option<StoreSettings>,
    /// What the saved settings may do that the merchant should know (turning Update
    /// Stock Levels in Magento on while Magento has stock of products at 0 here).
    pub warnings: Vec<UserWarning>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct StorePayload {
    pub store: Option<Store>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct StoreDisconnectPayload {
    pub disconnected_store_id: Option<ID>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct JobPayload {
    pub job: Option<Job>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct TaxRuleMappingInput {
    /// The Magento tax rate's code, as in `store.taxRates`.
    pub tax_rate_code: String,
    pub tax_rule_id: ID,
}

#[derive(InputObject)]
pub struct StoreSetTaxRuleMappingsInput {
    pub store_id: ID,
    /// Replaces the store's whole mapping.
    pub mappings: Vec<TaxRuleMappingInput>,
    /// The rule for lines Magento did not tax.
    pub tax_free_tax_rule_id: Option<ID>,
}

#[derive(InputObject)]
pub struct LocationMappingInput {
    /// The MSI source's code, as in `store.sources`.
    pub source_code: String,
    pub location_id: ID,
}

#[derive(InputObject)]
pub struct StoreSetLocationMappingsInput {
    pub store_id: ID,
    /// Replaces the store's whole mapping.
    pub mappings: Vec<LocationMappingInput>,
}

#[derive(InputObject)]
pub struct PaymentAccountMappingInput {
    pub payment_method_code: String,
    /// An account that can receive payments.
    pub account_code: String,
}

#[derive(InputObject)]
pub struct StoreSetPaymentAccountMappingsInput {
    pub store_id: ID,
    /// Replaces the store's whole mapping; unmapped methods leave invoices unpaid.
    pub mappings: Vec<PaymentAccountMappingInput>,
}

fn store_uuid(id: &ID) -> async_graphql::Result<uuid::Uuid> {
    ids::decode("Store", id)
}

#[Object]
impl CoreMutation {
    /// Verifies the credentials against Magento before saving anything, seals them,
    /// and starts a `STORE_METADATA_REFRESH` job.
    async fn store_connect(
        &self,
        ctx: &Context<'_>,
        input: StoreConnectInput,
    ) -> async_graphql::Result<StoreConnectPayload> {
        let principal = require(ctx, Role::Admin)?;
        let s = state(ctx);
        let connect = ConnectInput {
            name: input.name,
            base_url: input.base_url,
            credentials: Credentials {
                consumer_key: input.consumer_key,
                consumer_secret: input.consumer_secret,
                access_token: input.access_token,
                access_token_secret: input.access_token_secret,
            },
        };
        match stores::connect(&s.services, &principal, connect).await {
            Ok((store, job)) => Ok(StoreConnectPayload {
                store: Some(Store(store)),
                job: Some(Job(job)),
                user_errors: vec![],
            }),
            Err(err) => Ok(StoreConnectPayload {
                store: None,
                job: None,
                user_errors: user_errors(err, &["input"])?,
            }),
        }
    }

    /// Changes any subset of the settings; every rule is checked against the result
    /// and nothing is saved when one fails.
    async fn store_update_settings(
        &self,
        ctx: &Context<'_>,
        store_id: ID,
        input: StoreSettingsInput,
    ) -> async_graphql::Result<StoreUpdateSettingsPayload> {
        let principal = require(ctx, Role::Admin)?;
        let s = state(ctx);
        let patch = input.into_patch()?;
        let result = {
            let id = store_uuid(&store_id)?;
            stores::update_settings(&s.services, principal.org_id, id, patch)
                .await
                .map(|saved| (id, saved))
        };
        match result {
            Ok((id, saved)) => {
                let store = stores::get(&s.services.db, principal.org_id, id)
                    .await
                    .ok()
                    .map(Store);
                Ok(StoreUpdateSettingsPayload {
                    store,
                    settings: Some(StoreSettings(saved.settings)),
                    warnings: saved.warnings.into_iter().map(Into::into).collect(),
                    user_errors: vec![],
                })
            }
            Err(err) => Ok(StoreUpdateSettingsPayload {
                store: None,
                settings: None,
                warnings: vec![],
                user_errors: user_errors_under(err, &["input"], &["storeId"])?,
            }),
        }
    }

    async fn store_set_tax_rule_mappings(
        &self,
        ctx: &Context<'_>,
        input: StoreSetTaxRuleMappingsInput,
    ) -> async_graphql::Result<StorePayload> {
        let principal = require(ctx, Role::Admin)?;
        let s = state(ctx);
        let mut mappings = Vec::with_capacity(input.mappings.len());
        for m in input.mappings {
            let rule = ids::decode("TaxRule", &m.tax_rule_id)?;
            mappings.push(TaxRuleMapping {
                tax_rate_code: m.tax_rate_code,
                tax_rule_id: rule,
            });
        }
        let tax_free = match &input.tax_free_tax_rule_id {
            Some(id) => Some(ids::decode("TaxRule", id)?),
            None => None,
        };
        let id = store_uuid(&input.store_id)?;
        let result = {
            stores::set_tax_rule_mappings(&s.services, principal.org_id, id, mappings, tax_free)
                .await
                .map(|()| id)
        };
        store_payload(ctx, principal.org_id, result, &["input", "storeId"]).await
    }

    /// Which MSI source each location's stock is pushed to (the store's linked
    /// location's source receives the sync quantities; unmapped: Magento's `default`).
    async fn store_set_location_mappings(
        &self,
        ctx: &Context<'_>,
        input: StoreSetLocationMappingsInput,
    ) -> async_graphql::Result<StorePayload> {
        let principal = require(ctx, Role::Admin)?;
        let s = state(ctx);
        let mut mappings = Vec::with_capacity(input.mappings.len());
        for m in input.mappings {
            mappings.push(LocationMapping {
                source_code: m.source_code,
                location_id: ids::decode("Location", &m.location_id)?,
            });
        }
        let result = {
            let id = store_uuid(&input.store_id)?;
            stores::set_location_mappings(&s.services, principal.org_id, id, mappings)
                .await
                .map(|()| id)
        };
        store_payload(ctx, principal.org_id, result, &["input", "storeId"]).await
    }

    async fn store_set_payment_account_mappings(
        &self,
        ctx: &Context<'_>,
        input: StoreSetPaymentAccountMappingsInput,
    ) -> async_graphql::Result<StorePayload> {
        let principal = require(ctx, Role::Admin)?;
        let s = state(ctx);
        let mappings = input
            .mappings
            .into_iter()
            .map(|m| PaymentAccountMapping {
                payment_method_code: m.payment_method_code,
                account_code: m.account_code,
            })
            .collect();
        let id = store_uuid(&input.store_id)?;
        let result = {
            stores::set_payment_account_mappings(&s.services, principal.org_id, id, mappings)
                .await
                .map(|()| id)
        };
        store_payload(ctx, principal.org_id, result, &["input", "storeId"]).await
    }

    /// Removes every association of the store (listings, log, pending orders,
    /// mappings, cursors); products, customers and sales stay.
    async fn store_disconnect(
        &self,
        ctx: &Context<'_>,
        store_id: ID,
    ) -> async_graphql::Result<StoreDisconnectPayload> {
        let principal = require(ctx, Role::Admin)?;
        let s = state(ctx);
        let result = {
            let id = store_uuid(&store_id)?;
            stores::disconnect(&s.services, principal.org_id, id).await
        };
        payload(
            result,
            &["storeId"],
            |store| ids::encode("Store", store.id),
            |disconnected_store_id, user_errors| StoreDisconnectPayload {
                disconnected_store_id,
                user_errors,
            },
        )
    }

    /// Re-reads store views, attribute sets, tax rates, payment methods and sources.
    async fn store_refresh_metadata(
        &self,
        ctx: &Context<'_>,
        store_id: ID,
    ) -> async_graphql::Result<JobPayload> {
        let principal = require(ctx, Role::Operator)?;
        let s = state(ctx);
        let result = {
            let id = store_uuid(&store_id)?;
            stores::refresh(&s.services, &principal, id).await
        };
        job_payload(result, &["storeId"])
    }

    /// Starts a `CUSTOMERS_DOWNLOAD` job: every customer of the store is created in the
    /// ledger, or updated when it already is one (same Magento customer, else same
    /// email, else same name). Nothing is written to Magento.
    async fn customers_download(
        &self,
        ctx: &Context<'_>,
        store_id: ID,
    ) -> async_graphql::Result<JobPayload> {
        let principal = require(ctx, Role::Operator)?;
        let s = state(ctx);
        let result = {
            let id = store_uuid(&store_id)?;
            domain::channel::magento::import::customers::start_download(&s.services, &principal, id)
                .await
        };
        job_payload(result, &["storeId"])
    }

    /// Cooperative cancel: a queued job stops at once, a running one at its next check.
    async fn job_cancel(&self, ctx: &Context<'_>, job_id: ID) -> async_graphql::Result<JobPayload> {
        let principal = require(ctx, Role::Operator)?;
        let s = state(ctx);
        let result = {
            let id = ids::decode("Job", &job_id)?;
            jobs::cancel(&s.services, principal.org_id, id).await
        };
        job_payload(result, &["jobId"])
    }

    /// Starts a new job that redoes what a failed, partially succeeded or cancelled job did
    /// not do: its failed items (and what it never reached, if it stopped midway); the new
    /// job's `retryOf` names this one.
    async fn job_retry_failed(
        &self,
        ctx: &Context<'_>,
        job_id: ID,
    ) -> async_graphql::Result<JobPayload> {
        let principal = require(ctx, Role::Operator)?;
        let s = state(ctx);
        let id = ids::decode("Job", &job_id)?;
        let result = {
            jobs::retry_failed(
                &s.services,
                principal.org_id,
                id,
                Some(principal.api_key_id),
            )
            .await
        };
        job_payload(result, &["jobId"])
    }
}

async fn store_payload(
    ctx: &Context<'_>,
    org_id: uuid::Uuid,
    result: Result<uuid::Uuid, DomainError>,
    not_found_field: &[&str],
) -> async_graphql::Result<StorePayload> {
    match result {
        Ok(id) => {
            let store = stores::get(&state(ctx).services.db, org_id, id)
                .await
                .map_err(super::errors::internal)?;
            Ok(StorePayload {
                store: Some(Store(store)),
                user_errors: vec![],
            })
        }
        Err(err) => Ok(StorePayload {
            store: None,
            user_errors: user_errors(err, not_found_field)?,
        }),
    }
}

fn job_payload(
    result: Result<domain::entities::job::Model, DomainError>,
    not_found_field: &[&str],
) -> async_graphql::Result<JobPayload> {
    payload(result, not_found_field, Job, |job, user_errors| {
        JobPayload { job, user_errors }
    })
}
