//! Customers: who the ledger sells to. A customer has a status, commercial defaults
//! (price tier, payment term, tax rule, revenue account, currency), notes, a list of
//! contacts (one of them the default), up to one billing, shipping and business
//! address, and its ids in other systems (a Magento customer per store). A create or
//! an update is validated as a whole and written in one transaction; lists given in an
//! update replace the stored ones.
//!
//! Lookups serve the Magento download's match key (`docs/mappings.md#customer-matching`):
//! a store's link first, then the email of any contact, then the name, all without
//! regard to case.

mod query;
pub(crate) mod write;

pub use query::{
    CustomerFilter, customer, customer_by_email, customer_by_external_id, customer_by_name,
    customers, customers_by_ids,
};
pub use write::{MAX_CONTACTS, create_customer, update_customer};

use entities::customer::CustomerStatus;
use entities::customer_address::AddressKind;
use entities::{customer, customer_address, customer_contact, customer_external_id};
use uuid::Uuid;

/// A customer with what belongs to it.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerRecord {
    pub customer: customer::Model,
    /// In the customer's order (by position).
    pub contacts: Vec<customer_contact::Model>,
    /// Billing, shipping, business (those present).
    pub addresses: Vec<customer_address::Model>,
    pub external_ids: Vec<customer_external_id::Model>,
}

impl CustomerRecord {
    /// The contact a sale's contact, email and phone come from.
    pub fn default_contact(&self) -> Option<&customer_contact::Model> {
        self.contacts
            .iter()
            .find(|c| c.is_default)
            .or(self.contacts.first())
    }

    pub fn address(&self, kind: AddressKind) -> Option<&customer_address::Model> {
        self.addresses.iter().find(|a| a.kind == kind)
    }

    pub fn is_active(&self) -> bool {
        self.customer.status == CustomerStatus::Active
    }
}

/// The fields of a create or an update. `None` leaves a field as it is (on create: its
/// default); for nullable fields `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct CustomerDraft {
    pub name: Option<String>,
    /// Default ACTIVE.
    pub status: Option<CustomerStatus>,
    /// 1 to 10; default 1.
    pub price_tier: Option<i32>,
    pub payment_term_id: Option<Option<Uuid>>,
    pub tax_rule_id: Option<Option<Uuid>>,
    /// A revenue account overriding the product's on this customer's sales.
    pub revenue_account_id: Option<Option<Uuid>>,
    /// ISO 4217; default the organisation's base currency.
    pub currency: Option<String>,
    pub notes: Option<Option<String>>,
    /// Shorthand for the default contact's email: sets it (creating a default contact
    /// named after the customer when there is none). Not together with `contacts`.
    pub email: Option<Option<String>>,
    /// Shorthand for the default contact's phone, as `email`.
    pub phone: Option<Option<String>>,
    /// Replaces every contact; `[]` removes them. With none marked default, the first
    /// is the default.
    pub contacts: Option<Vec<ContactDraft>>,
    /// Replaces every address; at most one of each kind.
    pub addresses: Option<Vec<AddressDraft>>,
    /// Replaces every external id.
    pub external_ids: Option<Vec<ExternalId>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactDraft {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub is_default: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressDraft {
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalId {
    /// The system, e.g. `magento:<store id>`.
    pub source: String,
    pub external_id: String,
}
