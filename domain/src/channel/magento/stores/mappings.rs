//! Tax Rule Mapping (Magento tax rate → tax rule, plus the Tax Free slot) and Payment
//! Account Mapping (Magento payment method → an account that can receive payments).
//! Location Mapping (Magento MSI source → ledger location) tells the stock push where a
//! location's stock goes. Each call replaces the store's whole mapping, so it is
//! naturally idempotent.

use std::collections::HashSet;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, Set, Statement, TransactionTrait,
};
use uuid::Uuid;

use entities::enums::AccountKind;
use entities::{account, magento_setting, payment_account_mapping, tax_rule, tax_rule_mapping};

use super::{get, metadata_of};
use crate::Services;
use crate::error::{DomainError, DomainResult, ErrorCode, FieldError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxRuleMapping {
    pub tax_rate_code: String,
    pub tax_rule_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentAccountMapping {
    pub payment_method_code: String,
    pub account_code: String,
}

pub async fn set_tax_rule_mappings(
    services: &Services,
    org_id: Uuid,
    store_id: Uuid,
    mappings: Vec<TaxRuleMapping>,
    tax_free_tax_rule_id: Option<Uuid>,
) -> DomainResult<()> {
    let store = get(&services.db, org_id, store_id).await?;
    let rates: HashSet<String> = metadata_of(&store)
        .tax_rates
        .into_iter()
        .map(|r| r.code)
        .collect();
    let rules: HashSet<Uuid> = tax_rule::Entity::find()
        .filter(tax_rule::Column::OrgId.eq(org_id))
        .all(&services.db)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();

    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    for (i, m) in mappings.iter().enumerate() {
        let index = i.to_string();
        if !rates.contains(&m.tax_rate_code) {
            errors.push(FieldError::new(
                &["mappings", &index, "taxRateCode"],
                ErrorCode::NotFound,
                format!(
                    "Magento has no tax rate '{}' (refresh the store's metadata if it is new)",
                    m.tax_rate_code
                ),
            ));
        }
        if !rules.contains(&m.tax_rule_id) {
            errors.push(FieldError::new(
                &["mappings", &index, "taxRuleId"],
                ErrorCode::NotFound,
                "no such tax rule",
            ));
        }
        if !seen.insert(&m.tax_rate_code) {
            errors.push(FieldError::new(
                &["mappings", &index, "taxRateCode"],
                ErrorCode::InvalidCombination,
                "this tax rate is mapped twice",
            ));
        }
    }
    if let Some(id) = tax_free_tax_rule_id
        && !rules.contains(&id)
    {
        errors.push(FieldError::new(
            &["taxFreeTaxRuleId"],
            ErrorCode::NotFound,
            "no such tax rule",
        ));
    }
    if !errors.is_empty() {
        return Err(DomainError::Invalid(errors));
    }

    let txn = services.db.begin().await?;
    tax_rule_mapping::Entity::delete_many()
        .filter(tax_rule_mapping::Column::StoreId.eq(store_id))
        .exec(&txn)
        .await?;
    for m in mappings {
        tax_rule_mapping::ActiveModel {
            store_id: Set(store_id),
            tax_rate_code: Set(m.tax_rate_code),
            org_id: Set(org_id),
            tax_rule_id: Set(m.tax_rule_id),
        }
        .insert(&txn)
        .await?;
    }
    magento_setting::ActiveModel {
        store_id: Set(store_id),
        tax_free_tax_rule_id: Set(tax_free_tax_rule_id),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    txn.commit().await?;
    Ok(())
}

pub async fn tax_rule_mappings(
    db: &DatabaseConnection,
    store_id: Uuid,
) -> DomainResult<Vec<TaxRuleMapping>> {
    Ok(tax_rule_mapping::Entity::find()
        .filter(tax_rule_mapping::Column::StoreId.eq(store_id))
        .order_by_asc(tax_rule_mapping::Column::TaxRateCode)
        .all(db)
        .await?
        .into_iter()
        .map(|m| TaxRuleMapping {
            tax_rate_code: m.tax_rate_code,
            tax_rule_id: m.tax_rule_id,
        })
        .collect())
}

/// Complete when every cached Magento tax rate and the Tax Free slot are mapped; orders
/// are loaded but not processed until then.
pub fn tax_mapping_complete(
    rate_codes: &[String],
    mappings: &[TaxRuleMapping],
    tax_free: Option<Uuid>,
) -> bool {
    tax_free.is_some()
        && rate_codes
            .iter()
            .all(|code| mappings.iter().any(|m| &m.tax_rate_code == code))
}

pub async fn set_payment_account_mappings(
    services: &Services,
    org_id: Uuid,
    store_id: Uuid,
    mappings: Vec<PaymentAccountMapping>,
) -> DomainResult<()> {
    let store = get(&services.db, org_id, store_id).await?;
    let methods: HashSet<String> = metadata_of(&store)
        .payment_methods
        .into_iter()
        .map(|m| m.code)
        .collect();
    let accounts = account::Entity::find()
        .filter(account::Column::OrgId.eq(org_id))
        .all(&services.db)
        .await?;

    let mut errors = Vec::new();
    let mut resolved = Vec::new();
    let mut seen = HashSet::new();
    for (i, m) in mappings.iter().enumerate() {
        let index = i.to_string();
        if !methods.contains(&m.payment_method_code) {
            errors.push(FieldError::new(
                &["mappings", &index, "paymentMethodCode"],
                ErrorCode::NotFound,
                format!(
                    "the store has no payment method '{}'",
                    m.payment_method_code
                ),
            ));
        }
        if !seen.insert(&m.payment_method_code) {
            errors.push(FieldError::new(
                &["mappings", &index, "paymentMethodCode"],
                ErrorCode::InvalidCombination,
                "this payment method is mapped twice",
            ));
        }
        match accounts.iter().find(|a| a.code == m.account_code) {
            None => errors.push(FieldError::new(
                &["mappings", &index, "accountCode"],
                ErrorCode::NotFound,
                "no such account",
            )),
            Some(a) if !a.can_receive_payments || a.kind == AccountKind::Revenue => {
                errors.push(FieldError::new(
                    &["mappings", &index, "accountCode"],
                    ErrorCode::InvalidCombination,
                    "the account must be able to receive payments",
                ))
            }
            Some(a) => resolved.push((m.payment_method_code.clone(), a.id)),
        }
    }
    if !errors.is_empty() {
        return Err(DomainError::Invalid(errors));
    }

    let txn = services.db.begin().await?;
    payment_account_mapping::Entity::delete_many()
        .filter(payment_account_mapping::Column::StoreId.eq(store_id))
        .exec(&txn)
        .await?;
    for (method, account_id) in resolved {
        payment_account_mapping::ActiveModel {
            store_id: Set(store_id),
            payment_method_code: Set(method),
            org_id: Set(org_id),
            account_id: Set(account_id),
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

pub async fn payment_account_mappings(
    db: &DatabaseConnection,
    org_id: Uuid,
    store_id: Uuid,
) -> DomainResult<Vec<PaymentAccountMapping>> {
    let accounts = account::Entity::find()
        .filter(account::Column::OrgId.eq(org_id))
        .all(db)
        .await?;
    Ok(payment_account_mapping::Entity::find()
        .filter(payment_account_mapping::Column::StoreId.eq(store_id))
        .order_by_asc(payment_account_mapping::Column::PaymentMethodCode)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|m| {
            let account = accounts.iter().find(|a| a.id == m.account_id)?;
            Some(PaymentAccountMapping {
                payment_method_code: m.payment_method_code,
                account_code: account.code.clone(),
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tax_mapping_is_complete_only_with_every_rate_and_the_tax_free_slot() {
        let rates = vec!["US-CA".to_owned(), "US-NY".to_owned()];
        let rule = Uuid::new_v4();
        let one = vec![TaxRuleMapping {
            tax_rate_code: "US-CA".into(),
            tax_rule_id: rule,
        }];
        let both = vec![
            TaxRuleMapping {
                tax_rate_code: "US-CA".into(),
                tax_rule_id: rule,
            },
            TaxRuleMapping {
                tax_rate_code: "US-NY".into(),
                tax_rule_id: rule,
            },
        ];
        assert!(!tax_mapping_complete(&rates, &one, Some(rule)));
        assert!(!tax_mapping_complete(&rates, &both, None));
        assert!(tax_mapping_complete(&rates, &both, Some(rule)));
    }
}

/// Location Mapping: which MSI source a ledger location's stock is pushed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationMapping {
    pub source_code: String,
    pub location_id: Uuid,
}

/// Replaces the store's location mappings. Each source and each location appears at most
/// once (a location's stock has one place to go); sources must be among the store's
/// cached MSI sources.
pub async fn set_location_mappings(
    services: &Services,
    org_id: Uuid,
    store_id: Uuid,
    mappings: Vec<LocationMapping>,
) -> DomainResult<()> {
    let store = get(&services.db, org_id, store_id).await?;
    let sources: HashSet<String> = metadata_of(&store)
        .sources
        .into_iter()
        .map(|s| s.source_code)
        .collect();
    let locations: HashSet<Uuid> = crate::reference::locations(&services.db, org_id)
        .await?
        .into_iter()
        .map(|l| l.id)
        .collect();
    let mut errors = Vec::new();
    let mut seen_sources = HashSet::new();
    let mut seen_locations = HashSet::new();
    for (i, m) in mappings.iter().enumerate() {
        let index = i.to_string();
        if !sources.contains(&m.source_code) {
            errors.push(FieldError::new(
                &["mappings", &index, "sourceCode"],
                ErrorCode::NotFound,
                format!(
                    "Magento has no source '{}' (refresh the store's metadata if it is new)",
                    m.source_code
                ),
            ));
        }
        if !locations.contains(&m.location_id) {
            errors.push(FieldError::new(
                &["mappings", &index, "locationId"],
                ErrorCode::NotFound,
                "no such location",
            ));
        }
        if !seen_sources.insert(&m.source_code) {
            errors.push(FieldError::new(
                &["mappings", &index, "sourceCode"],
                ErrorCode::InvalidCombination,
                "this source is mapped twice",
            ));
        }
        if !seen_locations.insert(m.location_id) {
            errors.push(FieldError::new(
                &["mappings", &index, "locationId"],
                ErrorCode::InvalidCombination,
                "this location is mapped to two sources",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(DomainError::Invalid(errors));
    }
    let txn = services.db.begin().await?;
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "DELETE FROM location_mappings WHERE store_id = $1",
        [store_id.into()],
    ))
    .await?;
    for m in mappings {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO location_mappings (store_id, source_code, org_id, location_id) \
             VALUES ($1, $2, $3, $4)",
            [
                store_id.into(),
                m.source_code.into(),
                org_id.into(),
                m.location_id.into(),
            ],
        ))
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

pub async fn location_mappings(
    db: &DatabaseConnection,
    store_id: Uuid,
) -> DomainResult<Vec<LocationMapping>> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT source_code, location_id FROM location_mappings WHERE store_id = $1 \
             ORDER BY source_code",
            [store_id.into()],
        ))
        .await?;
    rows.into_iter()
        .map(|row| {
            Ok(LocationMapping {
                source_code: row.try_get("", "source_code")?,
                location_id: row.try_get("", "location_id")?,
            })
        })
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(DomainError::from)
}
