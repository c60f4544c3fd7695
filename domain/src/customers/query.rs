//! Reading customers: one by id, by any contact's email, by name or by external id,
//! and filtered pages (newest first). Every lookup ignores case.

use std::collections::HashMap;

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use entities::customer::CustomerStatus;
use entities::{customer, customer_address, customer_contact, customer_external_id};

use super::CustomerRecord;
use crate::channel::magento::binder::links_of_records;
use crate::channel::magento::import::customers::{magento_source, magento_source_store};
use crate::channel::magento::{Binder, LinkKind};
use crate::error::{DomainError, DomainResult};
use crate::page::{Page, PageRequest};

#[derive(Debug, Clone, Default)]
pub struct CustomerFilter {
    /// The email of any of the customer's contacts, exactly.
    pub email: Option<String>,
    /// The customer's name, exactly.
    pub name: Option<String>,
    /// The start of the customer's name.
    pub name_prefix: Option<String>,
    /// Part of the customer's name or of a contact's name or email.
    pub search: Option<String>,
    pub status: Option<CustomerStatus>,
}

fn non_blank(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// `%` and `_` in a search are literal characters, not wildcards.
fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Customers with a contact whose email is `email` (the index on
/// `(org_id, lower(email))` serves the inner query).
fn with_contact_email(org_id: Uuid, email: &str) -> sea_orm::sea_query::SimpleExpr {
    Expr::cust_with_values(
        "customers.id IN (SELECT customer_id FROM customer_contacts \
         WHERE org_id = $1 AND lower(email) = lower($2))",
        [sea_orm::Value::from(org_id), sea_orm::Value::from(email)],
    )
}

pub async fn customers<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    filter: &CustomerFilter,
    page: PageRequest,
) -> DomainResult<Page<CustomerRecord>> {
    let mut query = customer::Entity::find().filter(customer::Column::OrgId.eq(org_id));
    if let Some(email) = non_blank(filter.email.as_deref()) {
        query = query.filter(with_contact_email(org_id, email));
    }
    if let Some(name) = non_blank(filter.name.as_deref()) {
        query = query.filter(Expr::cust_with_values(
            "lower(customers.name) = lower($1)",
            [name.to_owned()],
        ));
    }
    if let Some(prefix) = non_blank(filter.name_prefix.as_deref()) {
        query = query.filter(Expr::cust_with_values(
            "lower(customers.name) LIKE $1",
            [format!("{}%", escape_like(&prefix.to_lowercase()))],
        ));
    }
    if let Some(search) = non_blank(filter.search.as_deref()) {
        let pattern = format!("%{}%", escape_like(search));
        query = query.filter(Expr::cust_with_values(
            "(customers.name ILIKE $1 OR customers.id IN (SELECT customer_id FROM customer_contacts \
             WHERE org_id = $2 AND (name ILIKE $1 OR email ILIKE $1)))",
            [sea_orm::Value::from(pattern), sea_orm::Value::from(org_id)],
        ));
    }
    if let Some(status) = filter.status {
        query = query.filter(customer::Column::Status.eq(status));
    }
    let page = crate::page::fetch(db, query, page).await?;
    let rows = page.items.iter().map(|(_, c)| c.clone()).collect();
    let records = with_details(db, rows).await?;
    Ok(page.with_items(records))
}

pub async fn customer<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    id: Uuid,
) -> DomainResult<CustomerRecord> {
    let row = customer::Entity::find_by_id(id)
        .filter(customer::Column::OrgId.eq(org_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound { entity: "customer" })?;
    one(db, row).await
}

/// The organisation's customers among `ids`, in one batch of queries.
pub async fn customers_by_ids<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    ids: &[Uuid],
) -> DomainResult<Vec<CustomerRecord>> {
    let rows = customer::Entity::find()
        .filter(customer::Column::OrgId.eq(org_id))
        .filter(customer::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await?;
    with_details(db, rows).await
}

/// The oldest customer with a contact whose email is `email`, ignoring case.
pub async fn customer_by_email<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    email: &str,
) -> DomainResult<Option<CustomerRecord>> {
    let Some(email) = non_blank(Some(email)) else {
        return Ok(None);
    };
    let row = customer::Entity::find()
        .filter(customer::Column::OrgId.eq(org_id))
        .filter(with_contact_email(org_id, email))
        .order_by_asc(customer::Column::CreatedAt)
        .order_by_asc(customer::Column::Id)
        .one(db)
        .await?;
    match row {
        Some(row) => Ok(Some(one(db, row).await?)),
        None => Ok(None),
    }
}

/// The oldest customer named `name`, ignoring case.
pub async fn customer_by_name<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    name: &str,
) -> DomainResult<Option<CustomerRecord>> {
    let Some(name) = non_blank(Some(name)) else {
        return Ok(None);
    };
    let row = customer::Entity::find()
        .filter(customer::Column::OrgId.eq(org_id))
        .filter(Expr::cust_with_values(
            "lower(customers.name) = lower($1)",
            [name.to_owned()],
        ))
        .order_by_asc(customer::Column::CreatedAt)
        .order_by_asc(customer::Column::Id)
        .one(db)
        .await?;
    match row {
        Some(row) => Ok(Some(one(db, row).await?)),
        None => Ok(None),
    }
}

/// The customer known in `source` as `external_id` (exact: ids are not words).
pub async fn customer_by_external_id<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    source: &str,
    external_id: &str,
) -> DomainResult<Option<CustomerRecord>> {
    let found = match magento_source_store(source) {
        // A Magento store's customer ids are the binder's links.
        Some(store_id) => match external_id.trim().parse::<i64>() {
            Ok(magento_id) => {
                Binder::new(org_id, store_id)
                    .record(db, LinkKind::Customer, magento_id)
                    .await?
            }
            Err(_) => None,
        },
        None => customer_external_id::Entity::find_by_id((
            org_id,
            source.trim().to_owned(),
            external_id.trim().to_owned(),
        ))
        .one(db)
        .await?
        .map(|link| link.customer_id),
    };
    match found {
        Some(id) => Ok(Some(customer(db, org_id, id).await?)),
        None => Ok(None),
    }
}

async fn one<C: ConnectionTrait>(db: &C, row: customer::Model) -> DomainResult<CustomerRecord> {
    with_details(db, vec![row])
        .await?
        .pop()
        .ok_or(DomainError::NotFound { entity: "customer" })
}

/// Contacts, addresses and external ids of a batch of customers, in three queries.
pub(crate) async fn with_details<C: ConnectionTrait>(
    db: &C,
    rows: Vec<customer::Model>,
) -> DomainResult<Vec<CustomerRecord>> {
    let ids: Vec<Uuid> = rows.iter().map(|c| c.id).collect();
    let mut contacts: HashMap<Uuid, Vec<customer_contact::Model>> = HashMap::new();
    for contact in customer_contact::Entity::find()
        .filter(customer_contact::Column::CustomerId.is_in(ids.clone()))
        .order_by_asc(customer_contact::Column::Position)
        .all(db)
        .await?
    {
        contacts
            .entry(contact.customer_id)
            .or_default()
            .push(contact);
    }
    let mut addresses: HashMap<Uuid, Vec<customer_address::Model>> = HashMap::new();
    for address in customer_address::Entity::find()
        .filter(customer_address::Column::CustomerId.is_in(ids.clone()))
        .all(db)
        .await?
    {
        addresses
            .entry(address.customer_id)
            .or_default()
            .push(address);
    }
    let mut external: HashMap<Uuid, Vec<customer_external_id::Model>> = HashMap::new();
    let org_id = rows.first().map(|c| c.org_id).unwrap_or_default();
    // A customer's Magento ids show as external ids of the source `magento:<store id>`.
    for link in links_of_records(db, org_id, LinkKind::Customer, &ids).await? {
        external
            .entry(link.record_id)
            .or_default()
            .push(customer_external_id::Model {
                org_id: link.org_id,
                source: magento_source(link.store_id),
                external_id: link.external_id.to_string(),
                customer_id: link.record_id,
                created_at: link.created_at,
            });
    }
    for link in customer_external_id::Entity::find()
        .filter(customer_external_id::Column::CustomerId.is_in(ids))
        .order_by_asc(customer_external_id::Column::Source)
        .order_by_asc(customer_external_id::Column::ExternalId)
        .all(db)
        .await?
    {
        external.entry(link.customer_id).or_default().push(link);
    }
    Ok(rows
        .into_iter()
        .map(|customer| {
            let mut addresses = addresses.remove(&customer.id).unwrap_or_default();
            addresses.sort_by_key(|a| a.kind);
            let mut external_ids = external.remove(&customer.id).unwrap_or_default();
            external_ids
                .sort_by(|a, b| (&a.source, &a.external_id).cmp(&(&b.source, &b.external_id)));
            CustomerRecord {
                contacts: contacts.remove(&customer.id).unwrap_or_default(),
                addresses,
                external_ids,
                customer,
            }
        })
        .collect())
}
