//! Carriers: who ships a fulfilment. A carrier may have a tracking link template and
//! the Magento carrier code its shipments' tracks carry (`ups`, `fedex`, `custom`, …),
//! unique per organisation so a Magento shipment finds exactly one carrier.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, TransactionTrait,
};
use uuid::Uuid;

use entities::carrier;

use super::{
    check_free, checked_name, locked, none_or_invalid, optional_text, unique_violation, violates,
};
use crate::error::{DomainError, DomainResult, ErrorCode, FieldError};

/// Where a tracking number goes in a carrier's tracking URL template.
pub const TRACKING_NUMBER_PLACEHOLDER: &str = "{trackingNumber}";
/// Magento's `carrier_code` column is 32 characters.
const MAX_MAGENTO_CODE_LENGTH: usize = 32;

/// `None` leaves a field as it is (on create: a name is required); `Some(None)` clears.
#[derive(Debug, Clone, Default)]
pub struct CarrierDraft {
    pub name: Option<String>,
    pub tracking_url_template: Option<Option<String>>,
    pub magento_carrier_code: Option<Option<String>>,
}

pub async fn create_carrier(
    db: &DatabaseConnection,
    org_id: Uuid,
    draft: CarrierDraft,
) -> DomainResult<carrier::Model> {
    let now = Utc::now();
    let blank = carrier::Model {
        id: Uuid::new_v4(),
        org_id,
        name: String::new(),
        tracking_url_template: None,
        magento_carrier_code: None,
        created_at: now,
        updated_at: now,
    };
    let mut errors = Vec::new();
    if draft.name.is_none() {
        errors.push(FieldError::new(
            &["name"],
            ErrorCode::Invalid,
            "a carrier needs a name",
        ));
    }
    let txn = db.begin().await?;
    let saved = save(&txn, blank, false, draft, errors).await?;
    txn.commit().await?;
    Ok(saved)
}

pub async fn update_carrier(
    db: &DatabaseConnection,
    org_id: Uuid,
    id: Uuid,
    draft: CarrierDraft,
) -> DomainResult<carrier::Model> {
    let txn = db.begin().await?;
    let current =
        locked::<carrier::Entity, _>(&txn, org_id, id, carrier::Column::OrgId, "carrier").await?;
    let saved = save(&txn, current, true, draft, Vec::new()).await?;
    txn.commit().await?;
    Ok(saved)
}

async fn save<C: ConnectionTrait>(
    db: &C,
    mut row: carrier::Model,
    exists: bool,
    draft: CarrierDraft,
    mut errors: Vec<FieldError>,
) -> DomainResult<carrier::Model> {
    if let Some(name) = &draft.name
        && let Some(name) = checked_name(&["name"], name, "name", &mut errors)
    {
        check_free(
            db,
            "carriers",
            "name",
            row.org_id,
            &name,
            Some(row.id),
            &["name"],
            format!("a carrier named {name} exists"),
            &mut errors,
        )
        .await?;
        row.name = name;
    }
    if let Some(template) = &draft.tracking_url_template {
        let template = optional_text(template.as_deref());
        if let Some(t) = &template
            && !valid_template(t)
        {
            errors.push(FieldError::new(
                &["trackingUrlTemplate"],
                ErrorCode::Invalid,
                format!(
                    "a tracking URL template is an http(s) URL with {TRACKING_NUMBER_PLACEHOLDER} where the number goes"
                ),
            ));
        }
        row.tracking_url_template = template;
    }
    if let Some(code) = &draft.magento_carrier_code {
        let code = optional_text(code.as_deref());
        if let Some(code) = &code {
            if code.chars().count() > MAX_MAGENTO_CODE_LENGTH
                || !code
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                errors.push(FieldError::new(
                    &["magentoCarrierCode"],
                    ErrorCode::Invalid,
                    format!(
                        "a Magento carrier code is up to {MAX_MAGENTO_CODE_LENGTH} letters, digits, '_' or '-' (e.g. ups, custom)"
                    ),
                ));
            } else {
                check_free(
                    db,
                    "carriers",
                    "magento_carrier_code",
                    row.org_id,
                    code,
                    Some(row.id),
                    &["magentoCarrierCode"],
                    format!("another carrier has the Magento carrier code {code}"),
                    &mut errors,
                )
                .await?;
            }
        }
        row.magento_carrier_code = code;
    }
    none_or_invalid(errors)?;
    row.updated_at = Utc::now();
    let written = if exists {
        row.into_active_model().reset_all().update(db).await
    } else {
        row.into_active_model().reset_all().insert(db).await
    };
    match written {
        Err(err) if violates(&err, "carriers_magento_code") => Err(DomainError::invalid(
            &["magentoCarrierCode"],
            ErrorCode::AlreadyExists,
            "another carrier has this Magento carrier code",
        )),
        Err(err) if unique_violation(&err) => Err(DomainError::invalid(
            &["name"],
            ErrorCode::AlreadyExists,
            "a carrier with this name exists",
        )),
        other => Ok(other?),
    }
}

fn valid_template(template: &str) -> bool {
    let lower = template.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://"))
        && template.contains(TRACKING_NUMBER_PLACEHOLDER)
        && !template.chars().any(char::is_whitespace)
}

/// The tracking link for `tracking_number`, when the carrier has a template.
pub fn tracking_url(carrier: &carrier::Model, tracking_number: &str) -> Option<String> {
    let template = carrier.tracking_url_template.as_deref()?;
    Some(template.replace(
        TRACKING_NUMBER_PLACEHOLDER,
        &percent_encode(tracking_number.trim()),
    ))
}

/// RFC 3986 unreserved characters stay; everything else is escaped, so a tracking
/// number can never change the link's path or query.
fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

pub async fn carriers<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
) -> DomainResult<Vec<carrier::Model>> {
    Ok(carrier::Entity::find()
        .filter(carrier::Column::OrgId.eq(org_id))
        .order_by_asc(carrier::Column::Name)
        .all(db)
        .await?)
}

pub async fn carrier<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    id: Uuid,
) -> DomainResult<carrier::Model> {
    carrier::Entity::find_by_id(id)
        .filter(carrier::Column::OrgId.eq(org_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound { entity: "carrier" })
}

/// By name, ignoring case (the spec's fallback carrier is found as "Local Pickup").
pub async fn carrier_by_name<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    name: &str,
) -> DomainResult<Option<carrier::Model>> {
    Ok(carrier::Entity::find()
        .filter(carrier::Column::OrgId.eq(org_id))
        .filter(Expr::cust_with_values(
            "lower(name) = lower($1)",
            [name.trim().to_owned()],
        ))
        .one(db)
        .await?)
}

/// By Magento carrier code, ignoring case.
pub async fn carrier_by_magento_code<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    code: &str,
) -> DomainResult<Option<carrier::Model>> {
    Ok(carrier::Entity::find()
        .filter(carrier::Column::OrgId.eq(org_id))
        .filter(Expr::cust_with_values(
            "lower(magento_carrier_code) = lower($1)",
            [code.trim().to_owned()],
        ))
        .one(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tracking_number_is_escaped_into_the_template() {
        let carrier = carrier::Model {
            id: Uuid::new_v4(),
            org_id: Uuid::new_v4(),
            name: "UPS".into(),
            tracking_url_template: Some("https://track.example.com/?n={trackingNumber}".into()),
            magento_carrier_code: Some("ups".into()),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        assert_eq!(
            tracking_url(&carrier, " 1Z 99&x "),
            Some("https://track.example.com/?n=1Z%2099%26x".into())
        );
        assert!(valid_template("https://x.example/{trackingNumber}"));
        assert!(!valid_template("ftp://x.example/{trackingNumber}"));
        assert!(!valid_template("https://x.example/track"));
    }
}
