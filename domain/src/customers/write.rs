//! Creating and updating a customer: the draft is applied to the current row, every
//! field and list checked (all problems reported together), then the row and the lists
//! given written in one transaction.

use std::collections::BTreeSet;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, TransactionTrait,
};
use uuid::Uuid;

use entities::customer::CustomerStatus;
use entities::customer_address::AddressKind;
use entities::enums::AccountKind;
use entities::{
    account, customer, customer_address, customer_contact, customer_external_id, organization,
    payment_term, tax_rule,
};

use super::{AddressDraft, ContactDraft, CustomerDraft, CustomerRecord, ExternalId, query};
use crate::channel::magento::import::customers::magento_source_store;
use crate::error::{DomainError, DomainResult, ErrorCode, FieldError};
use crate::reference::{checked_country, checked_name, locked, optional_text, unique_violation};

/// More contacts than this is a mailing list, not a customer.
pub const MAX_CONTACTS: usize = 50;
const MAX_EXTERNAL_IDS: usize = 50;

pub async fn create_customer(
    db: &DatabaseConnection,
    org_id: Uuid,
    draft: CustomerDraft,
) -> DomainResult<CustomerRecord> {
    let txn = db.begin().await?;
    let record = create_customer_in(&txn, org_id, draft).await?;
    txn.commit().await?;
    Ok(record)
}

/// Creates a customer inside the caller's transaction.
pub(crate) async fn create_customer_in<C: ConnectionTrait>(
    txn: &C,
    org_id: Uuid,
    draft: CustomerDraft,
) -> DomainResult<CustomerRecord> {
    let base_currency = organization::Entity::find_by_id(org_id)
        .one(txn)
        .await?
        .map(|o| o.base_currency)
        .filter(|c| valid_currency(c))
        .unwrap_or_else(|| "USD".to_owned());
    let now = Utc::now();
    let blank = customer::Model {
        id: Uuid::new_v4(),
        org_id,
        name: String::new(),
        status: CustomerStatus::Active,
        price_tier: 1,
        payment_term_id: None,
        tax_rule_id: None,
        revenue_account_id: None,
        currency: base_currency,
        notes: None,
        created_at: now,
        updated_at: now,
    };
    let mut errors = Vec::new();
    if draft.name.is_none() {
        errors.push(FieldError::new(
            &["name"],
            ErrorCode::Invalid,
            "a customer needs a name",
        ));
    }
    save(txn, blank, None, draft, errors).await
}

pub async fn update_customer(
    db: &DatabaseConnection,
    org_id: Uuid,
    id: Uuid,
    draft: CustomerDraft,
) -> DomainResult<CustomerRecord> {
    let txn = db.begin().await?;
    let record = update_customer_in(&txn, org_id, id, draft).await?;
    txn.commit().await?;
    Ok(record)
}

/// Updates a customer inside the caller's transaction (its row locked till the end).
pub(crate) async fn update_customer_in<C: ConnectionTrait>(
    txn: &C,
    org_id: Uuid,
    id: Uuid,
    draft: CustomerDraft,
) -> DomainResult<CustomerRecord> {
    let current =
        locked::<customer::Entity, _>(txn, org_id, id, customer::Column::OrgId, "customer").await?;
    let current = query::with_details(txn, vec![current])
        .await?
        .pop()
        .ok_or(DomainError::NotFound { entity: "customer" })?;
    save(
        txn,
        current.customer.clone(),
        Some(current),
        draft,
        Vec::new(),
    )
    .await
}

async fn save<C: ConnectionTrait>(
    db: &C,
    mut row: customer::Model,
    current: Option<CustomerRecord>,
    draft: CustomerDraft,
    mut errors: Vec<FieldError>,
) -> DomainResult<CustomerRecord> {
    let org_id = row.org_id;
    if let Some(name) = &draft.name
        && let Some(name) = checked_name(&["name"], name, "name", &mut errors)
    {
        row.name = name;
    }
    if let Some(status) = draft.status {
        row.status = status;
    }
    if let Some(tier) = draft.price_tier {
        if (1..=10).contains(&tier) {
            row.price_tier = tier as i16;
        } else {
            errors.push(FieldError::new(
                &["priceTier"],
                ErrorCode::OutOfRange,
                "price tiers are 1 to 10",
            ));
        }
    }
    if let Some(currency) = &draft.currency {
        let code = currency.trim().to_ascii_uppercase();
        if valid_currency(&code) {
            row.currency = code;
        } else {
            errors.push(FieldError::new(
                &["currency"],
                ErrorCode::Invalid,
                "a currency is a three-letter ISO 4217 code, e.g. USD",
            ));
        }
    }
    if let Some(notes) = &draft.notes {
        row.notes = optional_text(notes.as_deref());
    }
    check_references(db, &mut row, &draft, &mut errors).await?;

    let current_contacts = current
        .as_ref()
        .map(|c| c.contacts.clone())
        .unwrap_or_default();
    let contacts = contacts_to_write(&row, &current_contacts, &draft, &mut errors);
    let addresses = draft
        .addresses
        .as_ref()
        .map(|list| check_addresses(&row, list, &mut errors));
    let external_ids = match &draft.external_ids {
        Some(list) => {
            let linked = current
                .as_ref()
                .map_or(&[][..], |c| c.external_ids.as_slice());
            Some(check_external_ids(db, &row, list, linked, &mut errors).await?)
        }
        None => None,
    };
    if !errors.is_empty() {
        return Err(DomainError::Invalid(errors));
    }

    row.updated_at = Utc::now();
    let id = row.id;
    match current {
        None => row.into_active_model().reset_all().insert(db).await?,
        Some(_) => row.into_active_model().reset_all().update(db).await?,
    };
    if let Some(contacts) = contacts {
        customer_contact::Entity::delete_many()
            .filter(customer_contact::Column::CustomerId.eq(id))
            .exec(db)
            .await?;
        if !contacts.is_empty() {
            customer_contact::Entity::insert_many(
                contacts.into_iter().map(|c| c.into_active_model()),
            )
            .exec(db)
            .await?;
        }
    }
    if let Some(addresses) = addresses {
        customer_address::Entity::delete_many()
            .filter(customer_address::Column::CustomerId.eq(id))
            .exec(db)
            .await?;
        if !addresses.is_empty() {
            customer_address::Entity::insert_many(
                addresses.into_iter().map(|a| a.into_active_model()),
            )
            .exec(db)
            .await?;
        }
    }
    if let Some(links) = external_ids {
        customer_external_id::Entity::delete_many()
            .filter(customer_external_id::Column::CustomerId.eq(id))
            .exec(db)
            .await?;
        if !links.is_empty() {
            let written = customer_external_id::Entity::insert_many(
                links.into_iter().map(|l| l.into_active_model()),
            )
            .exec(db)
            .await;
            match written {
                // Another customer took the id between the check and the write.
                Err(err) if unique_violation(&err) => {
                    return Err(DomainError::invalid(
                        &["externalIds"],
                        ErrorCode::AlreadyExists,
                        "another customer has one of these external ids",
                    ));
                }
                other => {
                    other?;
                }
            }
        }
    }
    query::customer(db, org_id, id).await
}

fn valid_currency(code: &str) -> bool {
    code.len() == 3 && code.chars().all(|c| c.is_ascii_uppercase())
}

/// Payment term, tax rule and revenue account must be the organisation's; the revenue
/// account must be a revenue account.
async fn check_references<C: ConnectionTrait>(
    db: &C,
    row: &mut customer::Model,
    draft: &CustomerDraft,
    errors: &mut Vec<FieldError>,
) -> DomainResult<()> {
    let org_id = row.org_id;
    if let Some(term) = draft.payment_term_id {
        row.payment_term_id = term;
        if let Some(id) = term
            && payment_term::Entity::find_by_id(id)
                .filter(payment_term::Column::OrgId.eq(org_id))
                .one(db)
                .await?
                .is_none()
        {
            errors.push(FieldError::new(
                &["paymentTermId"],
                ErrorCode::NotFound,
                "no such payment term",
            ));
        }
    }
    if let Some(rule) = draft.tax_rule_id {
        row.tax_rule_id = rule;
        if let Some(id) = rule
            && tax_rule::Entity::find_by_id(id)
                .filter(tax_rule::Column::OrgId.eq(org_id))
                .one(db)
                .await?
                .is_none()
        {
            errors.push(FieldError::new(
                &["taxRuleId"],
                ErrorCode::NotFound,
                "no such tax rule",
            ));
        }
    }
    if let Some(account_id) = draft.revenue_account_id {
        row.revenue_account_id = account_id;
        if let Some(id) = account_id {
            let found = account::Entity::find_by_id(id)
                .filter(account::Column::OrgId.eq(org_id))
                .one(db)
                .await?;
            match found {
                None => errors.push(FieldError::new(
                    &["revenueAccountId"],
                    ErrorCode::NotFound,
                    "no such account",
                )),
                Some(a) if a.kind != AccountKind::Revenue => errors.push(FieldError::new(
                    &["revenueAccountId"],
                    ErrorCode::InvalidCombination,
                    format!("account {} is not a revenue account", a.code),
                )),
                Some(_) => {}
            }
        }
    }
    Ok(())
}

/// A plausible email: one `@` with text before it and a dotted domain after it, no
/// spaces. Deliverability is the mail server's business.
fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(char::is_whitespace)
}

/// The contacts to store, when they change: the `contacts` list, or the current list
/// with the `email` / `phone` shorthand applied to its default contact.
fn contacts_to_write(
    row: &customer::Model,
    current: &[customer_contact::Model],
    draft: &CustomerDraft,
    errors: &mut Vec<FieldError>,
) -> Option<Vec<customer_contact::Model>> {
    let shorthand = draft.email.is_some() || draft.phone.is_some();
    if let Some(list) = &draft.contacts {
        if shorthand {
            let field = if draft.email.is_some() {
                "email"
            } else {
                "phone"
            };
            errors.push(FieldError::new(
                &[field],
                ErrorCode::InvalidCombination,
                "give the email and phone inside `contacts` when you give the contacts",
            ));
        }
        return Some(check_contacts(row, list, errors));
    }
    if !shorthand {
        return None;
    }
    let mut contacts = current.to_vec();
    let index = match contacts.iter().position(|c| c.is_default) {
        Some(index) => index,
        None if !contacts.is_empty() => 0,
        None => {
            contacts.push(customer_contact::Model {
                customer_id: row.id,
                position: 0,
                org_id: row.org_id,
                name: Some(row.name.clone()),
                email: None,
                phone: None,
                is_default: true,
            });
            0
        }
    };
    let contact = &mut contacts[index];
    contact.is_default = true;
    if let Some(email) = &draft.email {
        let email = optional_text(email.as_deref());
        if let Some(e) = &email
            && !valid_email(e)
        {
            errors.push(FieldError::new(
                &["email"],
                ErrorCode::Invalid,
                "not an email address",
            ));
        }
        contact.email = email;
    }
    if let Some(phone) = &draft.phone {
        contact.phone = optional_text(phone.as_deref());
    }
    // A contact left with nothing at all is no contact.
    contacts.retain(|c| c.name.is_some() || c.email.is_some() || c.phone.is_some());
    for (position, contact) in contacts.iter_mut().enumerate() {
        contact.position = position as i16;
    }
    Some(contacts)
}

fn check_contacts(
    row: &customer::Model,
    list: &[ContactDraft],
    errors: &mut Vec<FieldError>,
) -> Vec<customer_contact::Model> {
    if list.len() > MAX_CONTACTS {
        errors.push(FieldError::new(
            &["contacts"],
            ErrorCode::OutOfRange,
            format!("a customer has at most {MAX_CONTACTS} contacts"),
        ));
        return Vec::new();
    }
    let mut emails = BTreeSet::new();
    let mut default_seen = false;
    let mut contacts = Vec::with_capacity(list.len());
    for (index, draft) in list.iter().enumerate() {
        let index = index.to_string();
        let name = optional_text(draft.name.as_deref());
        let email = optional_text(draft.email.as_deref());
        let phone = optional_text(draft.phone.as_deref());
        if name.is_none() && email.is_none() && phone.is_none() {
            errors.push(FieldError::new(
                &["contacts", index.as_str()],
                ErrorCode::Invalid,
                "a contact needs a name, an email or a phone",
            ));
        }
        if let Some(e) = &email {
            if !valid_email(e) {
                errors.push(FieldError::new(
                    &["contacts", index.as_str(), "email"],
                    ErrorCode::Invalid,
                    "not an email address",
                ));
            } else if !emails.insert(e.to_lowercase()) {
                errors.push(FieldError::new(
                    &["contacts", index.as_str(), "email"],
                    ErrorCode::Invalid,
                    "this email is listed twice",
                ));
            }
        }
        if draft.is_default {
            if default_seen {
                errors.push(FieldError::new(
                    &["contacts", index.as_str(), "isDefault"],
                    ErrorCode::InvalidCombination,
                    "only one contact is the default",
                ));
            }
            default_seen = true;
        }
        contacts.push(customer_contact::Model {
            customer_id: row.id,
            position: contacts.len() as i16,
            org_id: row.org_id,
            name,
            email,
            phone,
            is_default: draft.is_default,
        });
    }
    if !default_seen && let Some(first) = contacts.first_mut() {
        first.is_default = true;
    }
    contacts
}

fn check_addresses(
    row: &customer::Model,
    list: &[AddressDraft],
    errors: &mut Vec<FieldError>,
) -> Vec<customer_address::Model> {
    let mut kinds = BTreeSet::new();
    let mut addresses = Vec::with_capacity(list.len());
    for (index, draft) in list.iter().enumerate() {
        let index = index.to_string();
        let path = |field: &'static str| ["addresses", index.as_str(), field];
        if !kinds.insert(draft.kind) {
            errors.push(FieldError::new(
                &path("kind"),
                ErrorCode::Invalid,
                format!("a customer has one {} address", kind_name(draft.kind)),
            ));
        }
        let line1 = optional_text(Some(&draft.line1));
        if line1.is_none() {
            errors.push(FieldError::new(
                &path("line1"),
                ErrorCode::Invalid,
                "an address needs its first line",
            ));
        }
        let country = checked_country(&path("country"), &draft.country, errors);
        if let (Some(line1), Some(country)) = (line1, country) {
            addresses.push(customer_address::Model {
                customer_id: row.id,
                kind: draft.kind,
                org_id: row.org_id,
                company: optional_text(draft.company.as_deref()),
                line1,
                line2: optional_text(draft.line2.as_deref()),
                city: optional_text(draft.city.as_deref()),
                region: optional_text(draft.region.as_deref()),
                postcode: optional_text(draft.postcode.as_deref()),
                country,
            });
        }
    }
    addresses
}

fn kind_name(kind: AddressKind) -> &'static str {
    match kind {
        AddressKind::Billing => "billing",
        AddressKind::Shipping => "shipping",
        AddressKind::Business => "business",
    }
}

/// The external ids to keep. A Magento store's id (source `magento:<store id>`) is the
/// binder's and is made by that store's download: one the customer has is accepted as
/// it is (a front-end sends back what it read), any other is refused.
async fn check_external_ids<C: ConnectionTrait>(
    db: &C,
    row: &customer::Model,
    list: &[ExternalId],
    linked: &[customer_external_id::Model],
    errors: &mut Vec<FieldError>,
) -> DomainResult<Vec<customer_external_id::Model>> {
    if list.len() > MAX_EXTERNAL_IDS {
        errors.push(FieldError::new(
            &["externalIds"],
            ErrorCode::OutOfRange,
            format!("a customer has at most {MAX_EXTERNAL_IDS} external ids"),
        ));
        return Ok(Vec::new());
    }
    let mut seen = BTreeSet::new();
    let mut links = Vec::with_capacity(list.len());
    let now = Utc::now();
    for (index, draft) in list.iter().enumerate() {
        let index = index.to_string();
        let path = ["externalIds", index.as_str()];
        let source = draft.source.trim().to_owned();
        let external_id = draft.external_id.trim().to_owned();
        if source.is_empty() || external_id.is_empty() {
            errors.push(FieldError::new(
                &path,
                ErrorCode::Invalid,
                "an external id needs a source and an id",
            ));
            continue;
        }
        if magento_source_store(&source).is_some() {
            let has = linked
                .iter()
                .any(|l| l.source == source && l.external_id == external_id);
            if !has {
                errors.push(FieldError::new(
                    &path,
                    ErrorCode::Invalid,
                    "a Magento store's customer ids are linked by that store's customer download",
                ));
            }
            continue;
        }
        if !seen.insert((source.clone(), external_id.clone())) {
            errors.push(FieldError::new(
                &path,
                ErrorCode::Invalid,
                "this external id is listed twice",
            ));
            continue;
        }
        let holder = customer_external_id::Entity::find_by_id((
            row.org_id,
            source.clone(),
            external_id.clone(),
        ))
        .one(db)
        .await?;
        if holder.is_some_and(|h| h.customer_id != row.id) {
            errors.push(FieldError::new(
                &path,
                ErrorCode::AlreadyExists,
                format!("another customer is {external_id} in {source}"),
            ));
            continue;
        }
        links.push(customer_external_id::Model {
            org_id: row.org_id,
            source,
            external_id,
            customer_id: row.id,
            created_at: now,
        });
    }
    Ok(links)
}
