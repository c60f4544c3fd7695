//! Customers with their contacts, addresses and external ids. Everyone reads them; an
//! operator creates and updates them.

use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use chrono::{DateTime, Utc};

use domain::DomainError;
use domain::auth::Role;
use domain::customers::{
    self, AddressDraft, ContactDraft, CustomerDraft, CustomerRecord, ExternalId,
};
use domain::entities::{customer, customer_address, customer_contact};
use domain::reference;

use super::errors::{UserError, optional, payload, query};
use super::ids;
use super::query::{connection, page};
use super::reference::{Account, PaymentTerm, TaxRule, change};
use super::{require, state};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "customer::CustomerStatus")]
pub enum CustomerStatus {
    Active,
    /// Kept for old sales; not offered for new ones.
    Deprecated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "customer_address::AddressKind")]
pub enum AddressKind {
    Billing,
    Shipping,
    Business,
}

pub struct Customer(pub CustomerRecord);

#[derive(SimpleObject)]
pub struct CustomerContact {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The contact a sale's contact, email and phone come from.
    pub is_default: bool,
}

impl From<&customer_contact::Model> for CustomerContact {
    fn from(c: &customer_contact::Model) -> Self {
        Self {
            name: c.name.clone(),
            email: c.email.clone(),
            phone: c.phone.clone(),
            is_default: c.is_default,
        }
    }
}

#[derive(SimpleObject)]
pub struct CustomerAddress {
    pub kind: AddressKind,
    pub company: Option<String>,
    pub line1: String,
    pub line2: Option<String>,
    pub city: Option<String>,
    /// State or region.
    pub region: Option<String>,
    pub postcode: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: String,
}

impl From<&customer_address::Model> for CustomerAddress {
    fn from(a: &customer_address::Model) -> Self {
        Self {
            kind: a.kind.into(),
            company: a.company.clone(),
            line1: a.line1.clone(),
            line2: a.line2.clone(),
            city: a.city.clone(),
            region: a.region.clone(),
            postcode: a.postcode.clone(),
            country: a.country.clone(),
        }
    }
}

#[derive(SimpleObject)]
pub struct CustomerExternalId {
    /// The system, e.g. `magento:<store id>`.
    pub source: String,
    pub external_id: String,
}

#[Object]
impl Customer {
    async fn id(&self) -> ID {
        ids::encode("Customer", self.0.customer.id)
    }
    async fn name(&self) -> &str {
        &self.0.customer.name
    }
    async fn status(&self) -> CustomerStatus {
        self.0.customer.status.into()
    }
    /// The default contact's email.
    async fn email(&self) -> Option<&str> {
        self.0.default_contact().and_then(|c| c.email.as_deref())
    }
    /// The default contact's phone.
    async fn phone(&self) -> Option<&str> {
        self.0.default_contact().and_then(|c| c.phone.as_deref())
    }
    /// In the customer's order; one is the default.
    async fn contacts(&self) -> Vec<CustomerContact> {
        self.0.contacts.iter().map(CustomerContact::from).collect()
    }
    async fn default_contact(&self) -> Option<CustomerContact> {
        self.0.default_contact().map(CustomerContact::from)
    }
    /// Billing, shipping, business (those present).
    async fn addresses(&self) -> Vec<CustomerAddress> {
        self.0.addresses.iter().map(CustomerAddress::from).collect()
    }
    async fn billing_address(&self) -> Option<CustomerAddress> {
        self.0
            .address(customer_address::AddressKind::Billing)
            .map(CustomerAddress::from)
    }
    async fn shipping_address(&self) -> Option<CustomerAddress> {
        self.0
            .address(customer_address::AddressKind::Shipping)
            .map(CustomerAddress::from)
    }
    async fn business_address(&self) -> Option<CustomerAddress> {
        self.0
            .address(customer_address::AddressKind::Business)
            .map(CustomerAddress::from)
    }
    /// 1 to 10: the tier this customer's sales are priced at.
    async fn price_tier(&self) -> i32 {
        i32::from(self.0.customer.price_tier)
    }
    async fn payment_term(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<PaymentTerm>> {
        let Some(id) = self.0.customer.payment_term_id else {
            return Ok(None);
        };
        let principal = require(ctx, Role::Viewer)?;
        let s = state(ctx);
        Ok(
            optional(reference::payment_term(&s.services.db, principal.org_id, id).await)?
                .map(PaymentTerm),
        )
    }
    async fn tax_rule(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<TaxRule>> {
        let Some(id) = self.0.customer.tax_rule_id else {
            return Ok(None);
        };
        let principal = require(ctx, Role::Viewer)?;
        let s = state(ctx);
        Ok(optional(reference::tax_rule(&s.services.db, principal.org_id, id).await)?.map(TaxRule))
    }
    /// Overrides the product's revenue account on this customer's sales.
    async fn revenue_account(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Account>> {
        let Some(id) = self.0.customer.revenue_account_id else {
            return Ok(None);
        };
        let principal = require(ctx, Role::Viewer)?;
        let s = state(ctx);
        Ok(optional(reference::account(&s.services.db, principal.org_id, id).await)?.map(Account))
    }
    /// ISO 4217.
    async fn currency(&self) -> &str {
        &self.0.customer.currency
    }
    async fn notes(&self) -> Option<&str> {
        self.0.customer.notes.as_deref()
    }
    async fn external_ids(&self) -> Vec<CustomerExternalId> {
        self.0
            .external_ids
            .iter()
            .map(|l| CustomerExternalId {
                source: l.source.clone(),
                external_id: l.external_id.clone(),
            })
            .collect()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.customer.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.customer.updated_at
    }
}

#[derive(InputObject)]
pub struct CustomerContactInput {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// At most one; with none, the first contact is the default.
    #[graphql(default)]
    pub is_default: bool,
}

#[derive(InputObject)]
pub struct CustomerAddressInput {
    pub kind: AddressKind,
    pub company: Option<String>,
    pub line1: String,
    pub line2: Option<String>,
    pub city: Option<String>,
    /// State or region.
    pub region: Option<String>,
    pub postcode: Option<String>,
    /// ISO 3166-1 alpha-2, e.g. US.
    pub country: String,
}

#[derive(InputObject)]
pub struct CustomerExternalIdInput {
    /// The system, e.g. `magento:<store id>`.
    pub source: String,
    pub external_id: String,
}

#[derive(InputObject)]
pub struct CustomerCreateInput {
    pub name: String,
    /// Default ACTIVE.
    pub status: Option<CustomerStatus>,
    /// 1 to 10; default 1.
    pub price_tier: Option<i32>,
    pub payment_term_id: Option<ID>,
    pub tax_rule_id: Option<ID>,
    /// A revenue account.
    pub revenue_account_id: Option<ID>,
    /// ISO 4217; default the organisation's base currency.
    pub currency: Option<String>,
    pub notes: Option<String>,
    /// Shorthand: one default contact named after the customer with this email. Not
    /// together with `contacts`.
    pub email: Option<String>,
    /// Shorthand, as `email`.
    pub phone: Option<String>,
    pub contacts: Option<Vec<CustomerContactInput>>,
    /// At most one of each kind.
    pub addresses: Option<Vec<CustomerAddressInput>>,
    pub external_ids: Option<Vec<CustomerExternalIdInput>>,
}

/// Fields left out stay as they are; nullable fields set to `null` are cleared. A list
/// given replaces the stored one (`[]` removes them all).
#[derive(InputObject)]
pub struct CustomerUpdateInput {
    pub id: ID,
    pub name: Option<String>,
    pub status: Option<CustomerStatus>,
    pub price_tier: Option<i32>,
    pub payment_term_id: MaybeUndefined<ID>,
    pub tax_rule_id: MaybeUndefined<ID>,
    pub revenue_account_id: MaybeUndefined<ID>,
    pub currency: Option<String>,
    pub notes: MaybeUndefined<String>,
    /// Sets the default contact's email (creating that contact when there is none).
    /// Not together with `contacts`.
    pub email: MaybeUndefined<String>,
    /// Sets the default contact's phone, as `email`.
    pub phone: MaybeUndefined<String>,
    pub contacts: Option<Vec<CustomerContactInput>>,
    pub addresses: Option<Vec<CustomerAddressInput>>,
    pub external_ids: Option<Vec<CustomerExternalIdInput>>,
}

#[derive(InputObject, Default)]
pub struct CustomerFilter {
    /// The email of any contact, exactly (ignoring case).
    pub email: Option<String>,
    /// The name, exactly (ignoring case).
    pub name: Option<String>,
    /// The start of the name (ignoring case).
    pub name_prefix: Option<String>,
    /// Part of the name, or of a contact's name or email (ignoring case).
    pub search: Option<String>,
    pub status: Option<CustomerStatus>,
}

#[derive(SimpleObject)]
pub struct CustomerPayload {
    pub customer: Option<Customer>,
    pub user_errors: Vec<UserError>,
}

fn contacts(input: Vec<CustomerContactInput>) -> Vec<ContactDraft> {
    input
        .into_iter()
        .map(|c| ContactDraft {
            name: c.name,
            email: c.email,
            phone: c.phone,
            is_default: c.is_default,
        })
        .collect()
}

fn addresses(input: Vec<CustomerAddressInput>) -> Vec<AddressDraft> {
    input
        .into_iter()
        .map(|a| AddressDraft {
            kind: a.kind.into(),
            company: a.company,
            line1: a.line1,
            line2: a.line2,
            city: a.city,
            region: a.region,
            postcode: a.postcode,
            country: a.country,
        })
        .collect()
}

fn external_ids(input: Vec<CustomerExternalIdInput>) -> Vec<ExternalId> {
    input
        .into_iter()
        .map(|l| ExternalId {
            source: l.source,
            external_id: l.external_id,
        })
        .collect()
}

fn reference_id(kind: &str, id: Option<ID>) -> async_graphql::Result<Option<uuid::Uuid>> {
    id.map(|id| ids::decode(kind, &id)).transpose()
}

fn reference_change(
    kind: &str,
    id: MaybeUndefined<ID>,
) -> async_graphql::Result<Option<Option<uuid::Uuid>>> {
    change(id).map(|id| reference_id(kind, id)).transpose()
}

impl CustomerCreateInput {
    fn into_draft(self) -> async_graphql::Result<CustomerDraft> {
        Ok(CustomerDraft {
            name: Some(self.name),
            status: self.status.map(Into::into),
            price_tier: self.price_tier,
            payment_term_id: Some(reference_id("PaymentTerm", self.payment_term_id)?),
            tax_rule_id: Some(reference_id("TaxRule", self.tax_rule_id)?),
            revenue_account_id: Some(reference_id("Account", self.revenue_account_id)?),
            currency: self.currency,
            notes: Some(self.notes),
            email: self.email.map(Some),
            phone: self.phone.map(Some),
            contacts: self.contacts.map(contacts),
            addresses: self.addresses.map(addresses),
            external_ids: self.external_ids.map(external_ids),
        })
    }
}

impl CustomerUpdateInput {
    fn into_draft(self) -> async_graphql::Result<CustomerDraft> {
        Ok(CustomerDraft {
            name: self.name,
            status: self.status.map(Into::into),
            price_tier: self.price_tier,
            payment_term_id: reference_change("PaymentTerm", self.payment_term_id)?,
            tax_rule_id: reference_change("TaxRule", self.tax_rule_id)?,
            revenue_account_id: reference_change("Account", self.revenue_account_id)?,
            currency: self.currency,
            notes: change(self.notes),
            email: change(self.email),
            phone: change(self.phone),
            contacts: self.contacts.map(contacts),
            addresses: self.addresses.map(addresses),
            external_ids: self.external_ids.map(external_ids),
        })
    }
}

fn customer_payload(
    result: Result<CustomerRecord, DomainError>,
    not_found_field: &[&str],
) -> async_graphql::Result<CustomerPayload> {
    payload(
        result,
        not_found_field,
        Customer,
        |customer, user_errors| CustomerPayload {
            customer,
            user_errors,
        },
    )
}

#[derive(Default)]
pub struct CustomerQuery;

#[Object]
impl CustomerQuery {
    /// Customers, newest first; by any contact's email, by name (exact or its start),
    /// or by a part of the name or of a contact's name or email; all ignoring case.
    async fn customers(
        &self,
        ctx: &Context<'_>,
        filter: Option<CustomerFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<super::query::Paged<Customer>> {
        let principal = require(ctx, Role::Viewer)?;
        let s = state(ctx);
        let filter = filter.unwrap_or_default();
        let domain_filter = customers::CustomerFilter {
            email: filter.email,
            name: filter.name,
            name_prefix: filter.name_prefix,
            search: filter.search,
            status: filter.status.map(Into::into),
        };
        let page_request = page(ctx, first, after)?;
        let result = query(
            customers::customers(
                &s.services.db,
                principal.org_id,
                &domain_filter,
                page_request,
            )
            .await,
        )?;
        Ok(connection(page_request, result, Customer))
    }

    async fn customer(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Customer>> {
        let principal = require(ctx, Role::Viewer)?;
        let id = ids::decode("Customer", &id)?;
        let s = state(ctx);
        Ok(
            optional(customers::customer(&s.services.db, principal.org_id, id).await)?
                .map(Customer),
        )
    }
}

#[derive(Default)]
pub struct CustomerMutation;

#[Object]
impl CustomerMutation {
    async fn customer_create(
        &self,
        ctx: &Context<'_>,
        input: CustomerCreateInput,
    ) -> async_graphql::Result<CustomerPayload> {
        let principal = require(ctx, Role::Operator)?;
        let s = state(ctx);
        let result =
            customers::create_customer(&s.services.db, principal.org_id, input.into_draft()?).await;
        customer_payload(result, &["input"])
    }

    /// Lists given replace the stored ones; other fields left out stay as they are.
    async fn customer_update(
        &self,
        ctx: &Context<'_>,
        input: CustomerUpdateInput,
    ) -> async_graphql::Result<CustomerPayload> {
        let principal = require(ctx, Role::Operator)?;
        let s = state(ctx);
        let id = ids::decode("Customer", &input.id)?;
        let result =
            customers::update_customer(&s.services.db, principal.org_id, id, input.into_draft()?)
                .await;
        customer_payload(result, &["input", "id"])
    }
}
