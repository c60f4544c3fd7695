//! Locations: where stock is kept, with an optional address. Exactly one is the
//! default (sales of stores linked to All Locations use it), so the default moves by
//! making another location the default, never by switching it off.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, TransactionTrait,
};
use uuid::Uuid;

use entities::location;

use super::{
    check_free, checked_country, checked_name, default_race, locked, none_or_invalid,
    unique_violation, violates,
};
use crate::error::{DomainError, DomainResult, ErrorCode, FieldError};

/// The fields of a create or an update; `None` leaves a field as it is (on create:
/// empty), `Some(None)` clears an optional one. The address fields are reported under
/// `input.address`.
#[derive(Debug, Clone, Default)]
pub struct LocationDraft {
    pub name: Option<String>,
    pub is_default: Option<bool>,
    pub address_line1: Option<Option<String>>,
    pub address_line2: Option<Option<String>>,
    pub city: Option<Option<String>>,
    pub region: Option<Option<String>>,
    pub postcode: Option<Option<String>>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<Option<String>>,
}

pub async fn create_location(
    db: &DatabaseConnection,
    org_id: Uuid,
    draft: LocationDraft,
) -> DomainResult<location::Model> {
    let blank = location::Model {
        id: Uuid::new_v4(),
        org_id,
        name: String::new(),
        is_default: false,
        address_line1: None,
        address_line2: None,
        city: None,
        region: None,
        postcode: None,
        country: None,
        created_at: Utc::now(),
    };
    let mut errors = Vec::new();
    if draft.name.is_none() {
        errors.push(FieldError::new(
            &["name"],
            ErrorCode::Invalid,
            "a location needs a name",
        ));
    }
    let txn = db.begin().await?;
    let saved = save(&txn, blank, None, draft, errors).await?;
    txn.commit().await?;
    Ok(saved)
}

pub async fn update_location(
    db: &DatabaseConnection,
    org_id: Uuid,
    id: Uuid,
    draft: LocationDraft,
) -> DomainResult<location::Model> {
    let txn = db.begin().await?;
    let current =
        locked::<location::Entity, _>(&txn, org_id, id, location::Column::OrgId, "location")
            .await?;
    let saved = save(&txn, current.clone(), Some(current), draft, Vec::new()).await?;
    txn.commit().await?;
    Ok(saved)
}

async fn save<C: ConnectionTrait>(
    db: &C,
    mut row: location::Model,
    current: Option<location::Model>,
    draft: LocationDraft,
    mut errors: Vec<FieldError>,
) -> DomainResult<location::Model> {
    if let Some(name) = &draft.name
        && let Some(name) = checked_name(&["name"], name, "name", &mut errors)
    {
        check_free(
            db,
            "locations",
            "name",
            row.org_id,
            &name,
            Some(row.id),
            &["name"],
            format!("a location named {name} exists"),
            &mut errors,
        )
        .await?;
        row.name = name;
    }
    let texts = [
        (draft.address_line1, &mut row.address_line1),
        (draft.address_line2, &mut row.address_line2),
        (draft.city, &mut row.city),
        (draft.region, &mut row.region),
        (draft.postcode, &mut row.postcode),
    ];
    for (given, target) in texts {
        if let Some(value) = given {
            *target = super::optional_text(value.as_deref());
        }
    }
    if let Some(country) = draft.country {
        row.country = match super::optional_text(country.as_deref()) {
            Some(code) => checked_country(&["address", "country"], &code, &mut errors),
            None => None,
        };
    }
    if let Some(is_default) = draft.is_default {
        if !is_default && current.as_ref().is_some_and(|c| c.is_default) {
            errors.push(FieldError::new(
                &["isDefault"],
                ErrorCode::InvalidCombination,
                "an organisation always has a default location: make another one the default instead",
            ));
        }
        row.is_default = is_default;
    }
    none_or_invalid(errors)?;

    if row.is_default && !current.as_ref().is_some_and(|c| c.is_default) {
        location::Entity::update_many()
            .col_expr(location::Column::IsDefault, Expr::value(false))
            .filter(location::Column::OrgId.eq(row.org_id))
            .filter(location::Column::IsDefault.eq(true))
            .exec(db)
            .await?;
    }
    let written = match current {
        None => row.into_active_model().reset_all().insert(db).await,
        Some(_) => row.into_active_model().reset_all().update(db).await,
    };
    match written {
        Err(err) if violates(&err, "locations_one_default") => Err(default_race("location")),
        // Another call took the name between the check and the write.
        Err(err) if unique_violation(&err) => Err(DomainError::invalid(
            &["name"],
            ErrorCode::AlreadyExists,
            "a location with this name exists",
        )),
        other => Ok(other?),
    }
}

pub async fn locations<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
) -> DomainResult<Vec<location::Model>> {
    Ok(location::Entity::find()
        .filter(location::Column::OrgId.eq(org_id))
        .order_by_asc(location::Column::Name)
        .all(db)
        .await?)
}

pub async fn location<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    id: Uuid,
) -> DomainResult<location::Model> {
    location::Entity::find_by_id(id)
        .filter(location::Column::OrgId.eq(org_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound { entity: "location" })
}

/// The organisation's locations among `ids`.
pub async fn locations_by_ids<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    ids: &[Uuid],
) -> DomainResult<Vec<location::Model>> {
    Ok(location::Entity::find()
        .filter(location::Column::OrgId.eq(org_id))
        .filter(location::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await?)
}

/// The organisation's default location (sales of stores linked to All Locations).
pub async fn default_location<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
) -> DomainResult<location::Model> {
    location::Entity::find()
        .filter(location::Column::OrgId.eq(org_id))
        .filter(location::Column::IsDefault.eq(true))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound { entity: "location" })
}
