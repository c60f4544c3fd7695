//! Download → Customers: every customer of a Magento store becomes (or updates) a
//! ledger customer, per `docs/mappings.md#customer-download`. Nothing is ever
//! written to Magento.
//!
//! Each Magento customer is one job item. The match key is the Magento id of this
//! store (the binder's customer link), else the email of any
//! contact, else the name; a customer found by email or name that is already linked
//! to another Magento customer of the same store is not taken (two people called
//! "John Smith" stay two customers). The matched customer's name, contacts and
//! addresses are replaced by Magento's; its other fields and external ids stay. A
//! customer already as Magento has it is not written at all, so a re-run changes
//! nothing (not even `updated_at`).
//!
//! A default address the ledger cannot hold (no street, no two-letter country) does
//! not stop the customer: it is saved with the rest, the ledger's own address of that
//! kind is kept, and the item is recorded as failed with `ADDRESS_UNUSABLE`, so the
//! job ends partially succeeded and the operator sees what to fix in Magento.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use entities::customer_address::AddressKind;
use magento::dto;
use magento::search::SearchCriteria;
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};

use crate::Services;
use crate::auth::Principal;
use crate::channel::magento::stores;
use crate::channel::magento::{Binder, LinkKind};
use crate::customers::write::{create_customer_in, update_customer_in};
use crate::customers::{
    AddressDraft, ContactDraft, CustomerDraft, CustomerRecord, customer, customer_by_email,
    customer_by_name,
};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::jobs::{
    self, Earlier, ItemError, ItemErrorCode, ItemRecord, Job, JobContext, JobFailure, JobKind,
    Requested,
};

/// How a customer's link to one store shows among its external ids.
pub fn magento_source(store_id: Uuid) -> String {
    format!("{MAGENTO_SOURCE_PREFIX}{store_id}")
}

pub(crate) const MAGENTO_SOURCE_PREFIX: &str = "magento:";

/// The store an external-id source `magento:<store id>` names.
pub(crate) fn magento_source_store(source: &str) -> Option<Uuid> {
    source
        .trim()
        .strip_prefix(MAGENTO_SOURCE_PREFIX)
        .and_then(|id| Uuid::parse_str(id).ok())
}

/// Starts a `CUSTOMERS_DOWNLOAD` job for a store of the caller's organisation.
pub async fn start_download(
    services: &Services,
    principal: &Principal,
    store_id: Uuid,
) -> DomainResult<entities::job::Model> {
    stores::get(&services.db, principal.org_id, store_id).await?;
    jobs::enqueue_job(
        services,
        Requested::by(principal),
        &CustomersDownload {
            store_id,
            customer_ids: None,
        },
    )
    .await
}

/// Download → Customers of one store.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomersDownload {
    pub store_id: Uuid,
    /// Only these Magento customers (a retry of the failed ones); all when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_ids: Option<Vec<i64>>,
}

impl Job for CustomersDownload {
    const KIND: JobKind = JobKind::CustomersDownload;
    // Idempotent: a retry updates in place what an earlier attempt saved.
    const MAX_ATTEMPTS: i32 = 5;

    fn store_id(&self) -> Option<Uuid> {
        Some(self.store_id)
    }

    async fn run(self, ctx: &JobContext) -> Result<(), JobFailure> {
        download_customers(ctx, self.customer_ids.as_deref()).await
    }

    fn retry(self, earlier: &Earlier) -> Self {
        Self {
            customer_ids: jobs::retried_ids(earlier),
            ..self
        }
    }
}

/// One default address as Magento has it: usable, absent, or unusable (and why).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MappedAddress {
    None,
    Usable(AddressDraft),
    Unusable(String),
}

/// What one Magento customer becomes in the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedCustomer {
    pub magento_id: i64,
    pub name: String,
    pub contact: ContactDraft,
    pub billing: MappedAddress,
    pub shipping: MappedAddress,
}

impl MappedCustomer {
    /// The item error of a customer saved without an address Magento has.
    pub fn address_problem(&self) -> Option<ItemError> {
        let problems: Vec<String> = [("billing", &self.billing), ("shipping", &self.shipping)]
            .into_iter()
            .filter_map(|(kind, slot)| match slot {
                MappedAddress::Unusable(why) => Some(format!("{kind} address: {why}")),
                _ => None,
            })
            .collect();
        (!problems.is_empty()).then(|| ItemError {
            code: ItemErrorCode::AddressUnusable,
            message: format!("saved without it; {}", problems.join("; ")),
        })
    }

    /// The addresses to store: billing, shipping, and business (= billing). An
    /// unusable one keeps what `current` has of that kind.
    fn addresses(&self, current: Option<&CustomerRecord>) -> Vec<AddressDraft> {
        [
            (AddressKind::Billing, &self.billing),
            (AddressKind::Shipping, &self.shipping),
            (AddressKind::Business, &self.billing),
        ]
        .into_iter()
        .filter_map(|(kind, slot)| match slot {
            MappedAddress::None => None,
            MappedAddress::Usable(address) => Some(AddressDraft {
                kind,
                ..address.clone()
            }),
            MappedAddress::Unusable(_) => {
                current
                    .and_then(|c| c.address(kind))
                    .map(|kept| AddressDraft {
                        kind,
                        company: kept.company.clone(),
                        line1: kept.line1.clone(),
                        line2: kept.line2.clone(),
                        city: kept.city.clone(),
                        region: kept.region.clone(),
                        postcode: kept.postcode.clone(),
                        country: kept.country.clone(),
                    })
            }
        })
        .collect()
    }
}

fn text(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// Applies `docs/mappings.md#customer-fields` to one Magento customer. Fails only when there is no
/// name to save the customer under.
pub fn map_customer(customer: &dto::Customer) -> Result<MappedCustomer, ItemError> {
    let name = [customer.firstname.trim(), customer.lastname.trim()]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if name.is_empty() {
        return Err(ItemError {
            code: ItemErrorCode::NameMissing,
            message: format!("Magento customer {} has no first or last name", customer.id),
        });
    }
    let billing = customer.default_billing_address();
    Ok(MappedCustomer {
        magento_id: customer.id,
        contact: ContactDraft {
            name: Some(name.clone()),
            email: text(Some(&customer.email)),
            phone: billing.and_then(|a| text(a.telephone.as_deref())),
            is_default: true,
        },
        name,
        billing: map_address(billing),
        shipping: map_address(customer.default_shipping_address()),
    })
}

/// street[0] → line 1; street[1] → line 2 (further street lines, which Magento allows
/// up to four of, are appended to line 2 rather than lost); city, region name,
/// postcode, country.
fn map_address(address: Option<&dto::CustomerAddress>) -> MappedAddress {
    let Some(address) = address else {
        return MappedAddress::None;
    };
    let Some(line1) = text(address.street.first().map(String::as_str)) else {
        return MappedAddress::Unusable(format!("Magento address {} has no street", address.id));
    };
    let country = address.country_id.trim().to_ascii_uppercase();
    if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
        return MappedAddress::Unusable(format!(
            "Magento address {} has no two-letter country (\"{}\")",
            address.id, address.country_id
        ));
    }
    let rest: Vec<&str> = address
        .street
        .iter()
        .skip(1)
        .map(|line| line.trim())
        .filter(|line| !line.is_empty())
        .collect();
    MappedAddress::Usable(AddressDraft {
        kind: AddressKind::Billing,
        company: None,
        line1,
        line2: text(Some(&rest.join(", "))),
        city: text(Some(&address.city)),
        region: address
            .region
            .as_ref()
            .and_then(|r| text(r.region.as_deref())),
        postcode: text(address.postcode.as_deref()),
        country,
    })
}

/// The ledger customer this Magento customer already is, if any (see the module doc),
/// and whether the binder links them already.
async fn find_match<C: ConnectionTrait>(
    db: &C,
    binder: Binder,
    mapped: &MappedCustomer,
) -> DomainResult<Option<(CustomerRecord, bool)>> {
    if let Some(id) = binder
        .record(db, LinkKind::Customer, mapped.magento_id)
        .await?
    {
        return Ok(Some((customer(db, binder.org_id, id).await?, true)));
    }
    let mut candidates = Vec::new();
    if let Some(email) = &mapped.contact.email
        && let Some(found) = customer_by_email(db, binder.org_id, email).await?
    {
        candidates.push(found);
    }
    if let Some(found) = customer_by_name(db, binder.org_id, &mapped.name).await? {
        candidates.push(found);
    }
    // One already linked to another Magento customer of this store is someone else.
    for found in candidates {
        if binder
            .external(db, LinkKind::Customer, found.customer.id)
            .await?
            .is_none()
        {
            return Ok(Some((found, false)));
        }
    }
    Ok(None)
}

/// Creates or updates the ledger customer of one Magento customer of the store, and
/// links them, in one transaction; returns its id.
pub async fn save_downloaded(
    db: &DatabaseConnection,
    org_id: Uuid,
    store_id: Uuid,
    mapped: &MappedCustomer,
) -> DomainResult<Uuid> {
    let binder = Binder::new(org_id, store_id);
    // A second pass covers a concurrent download that created or linked the same
    // customer between our lookup and our write (the link then collides).
    for _ in 0..2 {
        let txn = db.begin().await?;
        let current = find_match(&txn, binder, mapped).await?;
        let addresses = mapped.addresses(current.as_ref().map(|(c, _)| c));
        if let Some((found, true)) = &current
            && unchanged(found, mapped, &addresses)
        {
            // A re-run rewrites nothing (and leaves `updated_at` alone).
            return Ok(found.customer.id);
        }
        let draft = CustomerDraft {
            name: Some(mapped.name.clone()),
            contacts: Some(vec![mapped.contact.clone()]),
            addresses: Some(addresses),
            ..CustomerDraft::default()
        };
        let saved = match &current {
            Some((found, _)) => update_customer_in(&txn, org_id, found.customer.id, draft).await?,
            None => create_customer_in(&txn, org_id, draft).await?,
        };
        match binder
            .bind(
                &txn,
                LinkKind::Customer,
                mapped.magento_id,
                saved.customer.id,
            )
            .await?
        {
            Ok(_) => {
                txn.commit().await?;
                return Ok(saved.customer.id);
            }
            Err(refused) => {
                tracing::debug!(%refused, "customer linked concurrently; matching again");
                txn.rollback().await?;
            }
        }
    }
    Err(DomainError::invalid(
        &["magentoCustomerId"],
        ErrorCode::AlreadyExists,
        format!(
            "Magento customer {} is linked to another customer meanwhile",
            mapped.magento_id
        ),
    ))
}

/// Whether the stored customer already is what the mapping would write. The mapped
/// values are trimmed and upper-cased as the writer stores them, so equality is exact.
fn unchanged(
    current: &CustomerRecord,
    mapped: &MappedCustomer,
    addresses: &[AddressDraft],
) -> bool {
    let contact = &mapped.contact;
    let same_contact = match current.contacts.as_slice() {
        [only] => {
            only.is_default
                && only.name == contact.name
                && only.email == contact.email
                && only.phone == contact.phone
        }
        _ => false,
    };
    let same_addresses = current.addresses.len() == addresses.len()
        && addresses.iter().all(|a| {
            current.address(a.kind).is_some_and(|stored| {
                stored.company == a.company
                    && stored.line1 == a.line1
                    && stored.line2 == a.line2
                    && stored.city == a.city
                    && stored.region == a.region
                    && stored.postcode == a.postcode
                    && stored.country == a.country
            })
        });
    current.customer.name == mapped.name && same_contact && same_addresses
}

fn item_key(customer: &dto::Customer) -> String {
    match text(Some(&customer.email)) {
        Some(email) => email,
        None => format!("customer {}", customer.id),
    }
}

/// Customers per page read.
const PAGE_SIZE: u32 = 300;

/// The `CUSTOMERS_DOWNLOAD` handler: the customers page by page in `entity_id` order,
/// never all in memory; each page's items are recorded together. A customer's item
/// index is its Magento id, so a retried attempt (reads are retried by the client,
/// then by the job) skips those recorded and names the rest as before; saving is
/// idempotent, so one saved but not recorded is found as it is.
async fn download_customers(ctx: &JobContext, only: Option<&[i64]>) -> Result<(), JobFailure> {
    let (store, client) = stores::store_of_job(ctx).await?;
    let client = client.with_page_size(PAGE_SIZE);
    ctx.set_phase("reading customers", None).await?;
    let done = ctx.recorded_items().await?;
    let criteria = jobs::only_ids(SearchCriteria::new().sort("entity_id", true), only);
    let mut last: Option<i64> = None;
    let mut page = 1;
    loop {
        ctx.check_cancelled().await?;
        let (customers, total) = client
            .customers_page(criteria.clone(), page)
            .await
            .map_err(DomainError::from)?;
        if page == 1 {
            ctx.set_phase("customers", Some(i32::try_from(total).unwrap_or(i32::MAX)))
                .await?;
        }
        let mut records = Vec::with_capacity(customers.len());
        for customer in &customers {
            let index = jobs::item_index(customer.id, "Magento customer")?;
            // Pages come in id order; a store changing between pages may repeat one.
            if done.contains_key(&index) || last.is_some_and(|last| customer.id <= last) {
                continue;
            }
            last = Some(customer.id);
            let problem = match map_customer(customer) {
                Err(problem) => Some(problem),
                Ok(mapped) => {
                    match save_downloaded(&ctx.services.db, ctx.org_id(), store.id, &mapped).await {
                        Ok(_) => mapped.address_problem(),
                        Err(DomainError::Invalid(errors)) => Some(ItemError::refused(&errors)),
                        Err(other) => return Err(other.into()),
                    }
                }
            };
            records.push(ItemRecord::new(index, item_key(customer), problem));
        }
        let txn = ctx.services.db.begin().await.map_err(DomainError::from)?;
        ctx.record_items(&txn, &records).await?;
        txn.commit().await.map_err(DomainError::from)?;
        if customers.is_empty() || page >= client.last_page(total) {
            return Ok(());
        }
        page += 1;
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn customer(value: serde_json::Value) -> dto::Customer {
        serde_json::from_value(value).expect("a customer")
    }

    fn marta() -> dto::Customer {
        customer(json!({
            "id": 1, "default_billing": "1", "default_shipping": "2",
            "email": "marta@example.net", "firstname": "Marta", "lastname": "Lindqvist",
            "addresses": [
                {"id": 1, "region": {"region_code": "OR", "region": "Oregon", "region_id": 49},
                 "country_id": "US", "street": ["1820 Alder Row", "Suite 4"], "telephone": "(555) 014-2231",
                 "postcode": "97205", "city": "Portland", "company": "Lindqvist Ceramics"},
                {"id": 2, "region": {"region_code": "WA", "region": "Washington", "region_id": 62},
                 "country_id": "us", "street": ["77 Pier Lane"], "telephone": "(555) 014-9980",
                 "postcode": "98101", "city": "Seattle"},
            ],
        }))
    }

    #[test]
    fn a_customer_maps_name_contact_and_default_addresses() {
        let mapped = map_customer(&marta()).expect("mapped");
        assert_eq!(mapped.name, "Marta Lindqvist");
        assert_eq!(
            mapped.contact,
            ContactDraft {
                name: Some("Marta Lindqvist".into()),
                email: Some("marta@example.net".into()),
                phone: Some("(555) 014-2231".into()),
                is_default: true,
            }
        );
        let addresses = mapped.addresses(None);
        let kinds: Vec<AddressKind> = addresses.iter().map(|a| a.kind).collect();
        assert_eq!(
            kinds,
            [
                AddressKind::Billing,
                AddressKind::Shipping,
                AddressKind::Business
            ]
        );
        assert_eq!(addresses[0].line1, "1820 Alder Row");
        assert_eq!(addresses[0].line2.as_deref(), Some("Suite 4"));
        assert_eq!(addresses[0].region.as_deref(), Some("Oregon"));
        assert_eq!(addresses[0].company, None, "company is not in the mapping");
        assert_eq!(addresses[1].city.as_deref(), Some("Seattle"));
        assert_eq!(addresses[1].country, "US");
        assert_eq!(addresses[1].line2, None);
        assert_eq!(
            AddressDraft {
                kind: AddressKind::Billing,
                ..addresses[2].clone()
            },
            addresses[0]
        );
        assert_eq!(mapped.address_problem(), None);
    }

    #[test]
    fn a_customer_without_addresses_has_only_name_and_contact() {
        let mapped = map_customer(&customer(json!({
            "id": 7, "default_billing": "0", "email": "a@example.com",
            "firstname": "Ann", "lastname": "Lee", "addresses": [],
        })))
        .expect("mapped");
        assert_eq!(mapped.billing, MappedAddress::None);
        assert_eq!(mapped.shipping, MappedAddress::None);
        assert_eq!(mapped.contact.phone, None);
        assert!(mapped.addresses(None).is_empty());
        assert_eq!(mapped.address_problem(), None);
    }

    #[test]
    fn an_address_without_a_street_or_country_is_reported_and_left_out() {
        let mut c = marta();
        c.addresses[0].street = vec![" ".into()];
        c.addresses[1].country_id = "USA".into();
        let mapped = map_customer(&c).expect("mapped");
        assert!(matches!(mapped.billing, MappedAddress::Unusable(_)));
        assert!(matches!(mapped.shipping, MappedAddress::Unusable(_)));
        assert!(mapped.addresses(None).is_empty());
        let problem = mapped.address_problem().expect("a problem");
        assert_eq!(problem.code, ItemErrorCode::AddressUnusable);
        assert!(problem.message.contains("no street"), "{}", problem.message);
        assert!(problem.message.contains("\"USA\""), "{}", problem.message);
        assert_eq!(
            mapped.contact.phone.as_deref(),
            Some("(555) 014-2231"),
            "the phone still comes from the billing address"
        );
    }

    #[test]
    fn extra_street_lines_join_line_two() {
        let mut c = marta();
        c.addresses[0].street = vec!["1 Main St".into(), "Floor 2".into(), "Unit 9".into()];
        let mapped = map_customer(&c).expect("mapped");
        let MappedAddress::Usable(billing) = mapped.billing else {
            panic!("usable")
        };
        assert_eq!(billing.line2.as_deref(), Some("Floor 2, Unit 9"));
    }

    #[test]
    fn a_customer_without_a_name_cannot_be_mapped() {
        let err = map_customer(&customer(json!({
            "id": 9, "email": "x@example.com", "firstname": " ", "lastname": "",
        })))
        .expect_err("no name");
        assert_eq!(err.code, ItemErrorCode::NameMissing);
    }
}
