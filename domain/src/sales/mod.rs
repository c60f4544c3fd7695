//! Sales, following DEAR's rules. An order is drafted, then authorised (which allocates
//! its stock at the sale's location; more than is available is a backorder, not an
//! error), or voided (which reverses every stock effect it had; the sale stays for
//! reconciliation). Fulfilments take it through pick (stock leaves: on hand and
//! allocated down), pack (needs the pick) and ship (needs the pack; carrier and
//! tracking). Invoices need the authorised order; payments move them to paid. Every
//! operation locks the sale row first, so two workers cannot advance one sale at once.

mod assembly;
mod credit_note;
mod fulfilment;
mod invoice;
mod money;
mod numbers;
mod order;
mod processing;
mod read;
mod status;

pub use assembly::{ASSEMBLY_REFERENCE, assemble};
pub use credit_note::{
    CREDIT_NOTE_REFERENCE, CreditLine, CreditNoteDraft, Refund, RestockLine, authorise_credit_note,
    create_credit_note,
};
pub use fulfilment::{Shipment, authorise_pack, authorise_pick, authorise_ship, create_pick};
pub use invoice::{Payment, add_payment, authorise_invoice, create_invoice};
pub(crate) use order::void_sale_in;
pub use order::{authorise_order, create_sale, void_sale};
pub use processing::{Advanced, Processing, advance};
pub use read::{SaleFilter, SaleRecord, sale, sales};
pub use status::SaleStatus;

use rust_decimal::Decimal;
use uuid::Uuid;

use entities::enums::ChargeKind;
use entities::sale;

use crate::error::DomainResult;
use crate::events::{self, DomainEvent, SaleRef};

/// Appends a sale's lifecycle event in the transaction that made the change.
pub(crate) async fn announce<C: sea_orm::ConnectionTrait>(
    db: &C,
    sale: &sale::Model,
    event: DomainEvent,
) -> DomainResult<()> {
    events::append(db, events::Scope::org(sale.org_id), &event).await?;
    Ok(())
}

pub(crate) fn sale_ref(sale: &sale::Model) -> SaleRef {
    SaleRef {
        sale_id: sale.id,
        number: sale.number.clone(),
    }
}

/// `sales.reference_type` of the stock movements a sale causes.
pub const SALE_REFERENCE: &str = "sale";

/// A new sale. Amounts are in the sale's currency.
#[derive(Debug, Clone, Default)]
pub struct SaleDraft {
    pub customer_id: Uuid,
    pub location_id: Uuid,
    /// Defaults to the organisation's base currency.
    pub currency: Option<String>,
    pub tax_inclusive: bool,
    pub contact: Contact,
    pub billing_address: Address,
    pub shipping_address: Address,
    pub customer_reference: Option<String>,
    pub sales_rep: Option<String>,
    pub notes: Option<String>,
    /// `magento`, `manual`, …; defaults to `manual`.
    pub source_channel: Option<String>,
    pub external_id: Option<String>,
    pub external_reference: Option<String>,
    pub lines: Vec<LineDraft>,
    pub charges: Vec<ChargeDraft>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Contact {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Address {
    pub company: Option<String>,
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postcode: Option<String>,
    pub country: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineDraft {
    pub product_id: Uuid,
    pub quantity: Decimal,
    /// Unit price before discount.
    pub price: Decimal,
    /// A percentage, 0–100.
    pub discount: Decimal,
    pub tax_rule_id: Option<Uuid>,
    /// As the channel computed it (Magento's item tax); `None` computes it from the
    /// tax rule's rate.
    pub tax_amount: Option<Decimal>,
    pub external_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeDraft {
    pub kind: ChargeKind,
    pub description: String,
    /// Discounts are negative, every other kind positive.
    pub amount: Decimal,
    pub tax_rule_id: Option<Uuid>,
    pub tax_amount: Option<Decimal>,
}
