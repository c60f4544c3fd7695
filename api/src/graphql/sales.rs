//! Sales: the order, its fulfilments (pick, pack, ship), invoices and payments, credit
//! notes with refunds and restocks, and assemblies.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use domain::DomainError;
use domain::auth::Role;
use domain::entities::{
    assembly, enums, sale_charge, sale_credit_note_line, sale_fulfilment_line, sale_line,
    sale_payment, sale_refund, sale_restock,
};
use domain::sales::{self, Advanced, CreditNoteDraft, Processing, SaleDraft, SaleRecord, Shipment};

use super::customers::Customer;
use super::errors::{UserError, optional, payload, query, user_errors};
use super::ids;
use super::loaders;
use super::products::Product;
use super::query::{connection, page};
use super::reference::Location;
use super::{require, state};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "enums::OrderStatus")]
pub enum OrderStatus {
    Draft,
    Authorised,
    Voided,
}

/// The sale's overall status, derived from its order, fulfilments, invoice and credit
/// notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "sales::SaleStatus")]
pub enum SaleStatus {
    Draft,
    Ordered,
    Picking,
    Picked,
    Packed,
    Shipped,
    Completed,
    Credited,
    Voided,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "enums::StageStatus")]
pub enum StageStatus {
    NotStarted,
    Draft,
    Authorised,
    Voided,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "enums::SaleInvoiceStatus")]
pub enum SaleInvoiceStatus {
    Draft,
    Authorised,
    Paid,
    Voided,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "enums::CreditNoteStatus")]
pub enum CreditNoteStatus {
    Draft,
    Authorised,
    Voided,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "enums::ChargeKind")]
pub enum ChargeKind {
    Shipping,
    Discount,
    CouponDiscount,
    GiftCard,
    Surcharge,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "enums::FulfilmentMode")]
pub enum ProcessingMode {
    DraftOrder,
    NoPicking,
    AutoPick,
    AutoPickPack,
    AutoPickPackShip,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "enums::AutoAssemblyMode")]
pub enum AutoAssembly {
    ForOrderedQuantity,
    ForMinimumRequired,
}

#[derive(SimpleObject, InputObject, Clone, Default)]
#[graphql(input_name = "ContactInput")]
pub struct Contact {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(SimpleObject, InputObject, Clone, Default)]
#[graphql(input_name = "AddressInput")]
pub struct Address {
    pub company: Option<String>,
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postcode: Option<String>,
    pub country: Option<String>,
}

impl From<Address> for sales::Address {
    fn from(a: Address) -> Self {
        Self {
            company: a.company,
            line1: a.line1,
            line2: a.line2,
            city: a.city,
            region: a.region,
            postcode: a.postcode,
            country: a.country,
        }
    }
}

impl From<sales::Address> for Address {
    fn from(a: sales::Address) -> Self {
        Self {
            company: a.company,
            line1: a.line1,
            line2: a.line2,
            city: a.city,
            region: a.region,
            postcode: a.postcode,
            country: a.country,
        }
    }
}

pub struct Sale(pub SaleRecord);

#[Object]
impl Sale {
    async fn id(&self) -> ID {
        ids::encode("Sale", self.0.sale.id)
    }
    /// SO-00001, …
    async fn number(&self) -> &str {
        &self.0.sale.number
    }
    async fn customer(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Customer>> {
        require(ctx, Role::Viewer)?;
        Ok(loaders::customer(ctx, self.0.sale.customer_id)
            .await?
            .map(Customer))
    }
    async fn location(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Location>> {
        require(ctx, Role::Viewer)?;
        Ok(loaders::location(ctx, self.0.sale.location_id)
            .await?
            .map(Location))
    }
    async fn currency(&self) -> &str {
        &self.0.sale.currency
    }
    async fn tax_inclusive(&self) -> bool {
        self.0.sale.tax_inclusive
    }
    async fn status(&self) -> SaleStatus {
        self.0.status().into()
    }
    async fn order_status(&self) -> OrderStatus {
        self.0.sale.order_status.into()
    }
    async fn contact(&self) -> Contact {
        let c = self.0.contact();
        Contact {
            name: c.name,
            email: c.email,
            phone: c.phone,
        }
    }
    async fn billing_address(&self) -> Address {
        self.0.billing_address().into()
    }
    async fn shipping_address(&self) -> Address {
        self.0.shipping_address().into()
    }
    async fn customer_reference(&self) -> Option<&str> {
        self.0.sale.customer_reference.as_deref()
    }
    async fn sales_rep(&self) -> Option<&str> {
        self.0.sale.sales_rep.as_deref()
    }
    async fn notes(&self) -> Option<&str> {
        self.0.sale.notes.as_deref()
    }
    async fn source_channel(&self) -> &str {
        &self.0.sale.source_channel
    }
    async fn external_id(&self) -> Option<&str> {
        self.0.sale.external_id.as_deref()
    }
    async fn external_reference(&self) -> Option<&str> {
        self.0.sale.external_reference.as_deref()
    }
    async fn subtotal(&self) -> Decimal {
        self.0.sale.subtotal
    }
    async fn charges_total(&self) -> Decimal {
        self.0.sale.charges_total
    }
    async fn tax_total(&self) -> Decimal {
        self.0.sale.tax_total
    }
    async fn total(&self) -> Decimal {
        self.0.sale.total
    }
    async fn lines(&self) -> Vec<SaleLine> {
        self.0.lines.iter().cloned().map(SaleLine).collect()
    }
    async fn charges(&self) -> Vec<SaleCharge> {
        self.0.charges.iter().cloned().map(SaleCharge).collect()
    }
    async fn fulfilments(&self) -> Vec<Fulfilment> {
        self.0
            .fulfilments
            .iter()
            .map(|f| Fulfilment {
                number: f.fulfilment.number,
                pick_status: f.fulfilment.pick_status.into(),
                pack_status: f.fulfilment.pack_status.into(),
                ship_status: f.fulfilment.ship_status.into(),
                carrier_name: f.fulfilment.carrier_name.clone(),
                tracking_numbers: f.tracking_numbers(),
                lines: f.lines.iter().map(fulfilment_line).collect(),
                picked_at: f.fulfilment.picked_at,
                packed_at: f.fulfilment.packed_at,
                shipped_at: f.fulfilment.shipped_at,
            })
            .collect()
    }
    async fn invoices(&self) -> Vec<Invoice> {
        self.0
            .invoices
            .iter()
            .map(|i| Invoice {
                id: ids::encode("Invoice", i.invoice.id),
                number: i.invoice.number.clone(),
                status: i.invoice.status.into(),
                invoice_date: i.invoice.invoice_date,
                due_date: i.invoice.due_date,
                subtotal: i.invoice.subtotal,
                tax_total: i.invoice.tax_total,
                total: i.invoice.total,
                paid: i.invoice.paid,
                outstanding: i.outstanding(),
                payments: i.payments.iter().map(payment).collect(),
            })
            .collect()
    }
    async fn credit_notes(&self) -> Vec<CreditNote> {
        self.0
            .credit_notes
            .iter()
            .map(|c| CreditNote {
                id: ids::encode("CreditNote", c.credit_note.id),
                number: c.credit_note.number.clone(),
                status: c.credit_note.status.into(),
                credit_date: c.credit_note.credit_date,
                total: c.credit_note.total,
                external_id: c.credit_note.external_id.clone(),
                lines: c.lines.iter().map(credit_line).collect(),
                refunds: c.refunds.iter().map(refund).collect(),
                restocks: c.restocks.iter().map(restock).collect(),
            })
            .collect()
    }
    async fn authorised_at(&self) -> Option<DateTime<Utc>> {
        self.0.sale.authorised_at
    }
    async fn voided_at(&self) -> Option<DateTime<Utc>> {
        self.0.sale.voided_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.sale.created_at
    }
}

pub struct SaleLine(sale_line::Model);

#[Object]
impl SaleLine {
    async fn id(&self) -> ID {
        ids::encode("SaleLine", self.0.id)
    }
    async fn product(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Product>> {
        require(ctx, Role::Viewer)?;
        Ok(loaders::product(ctx, self.0.product_id).await?.map(Product))
    }
    /// As it was when the line was written.
    async fn sku(&self) -> &str {
        &self.0.sku
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn quantity(&self) -> Decimal {
        self.0.quantity
    }
    async fn price(&self) -> Decimal {
        self.0.price
    }
    /// A percentage.
    async fn discount(&self) -> Decimal {
        self.0.discount
    }
    async fn tax_rule_id(&self) -> Option<ID> {
        self.0.tax_rule_id.map(|id| ids::encode("TaxRule", id))
    }
    async fn tax_amount(&self) -> Decimal {
        self.0.tax_amount
    }
    async fn total(&self) -> Decimal {
        self.0.total
    }
    async fn external_id(&self) -> Option<&str> {
        self.0.external_id.as_deref()
    }
}

pub struct SaleCharge(sale_charge::Model);

#[Object]
impl SaleCharge {
    async fn kind(&self) -> ChargeKind {
        self.0.kind.into()
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn amount(&self) -> Decimal {
        self.0.amount
    }
    async fn tax_amount(&self) -> Decimal {
        self.0.tax_amount
    }
}

#[derive(SimpleObject)]
pub struct Fulfilment {
    pub number: i32,
    pub pick_status: StageStatus,
    pub pack_status: StageStatus,
    pub ship_status: StageStatus,
    pub carrier_name: Option<String>,
    pub tracking_numbers: Vec<String>,
    pub lines: Vec<FulfilmentLine>,
    pub picked_at: Option<DateTime<Utc>>,
    pub packed_at: Option<DateTime<Utc>>,
    pub shipped_at: Option<DateTime<Utc>>,
}

#[derive(SimpleObject)]
pub struct FulfilmentLine {
    pub sale_line_id: ID,
    pub location_id: ID,
    pub quantity: Decimal,
}

fn fulfilment_line(line: &sale_fulfilment_line::Model) -> FulfilmentLine {
    FulfilmentLine {
        sale_line_id: ids::encode("SaleLine", line.sale_line_id),
        location_id: ids::encode("Location", line.location_id),
        quantity: line.quantity,
    }
}

#[derive(SimpleObject)]
pub struct Invoice {
    pub id: ID,
    pub number: String,
    pub status: SaleInvoiceStatus,
    pub invoice_date: NaiveDate,
    pub due_date: Option<NaiveDate>,
    pub subtotal: Decimal,
    pub tax_total: Decimal,
    pub total: Decimal,
    pub paid: Decimal,
    pub outstanding: Decimal,
    pub payments: Vec<PaymentView>,
}

#[derive(SimpleObject)]
#[graphql(name = "Payment")]
pub struct PaymentView {
    pub account_id: ID,
    pub amount: Decimal,
    pub paid_on: NaiveDate,
    pub reference: Option<String>,
}

fn payment(p: &sale_payment::Model) -> PaymentView {
    PaymentView {
        account_id: ids::encode("Account", p.account_id),
        amount: p.amount.normalize(),
        paid_on: p.paid_on,
        reference: p.reference.clone(),
    }
}

#[derive(SimpleObject)]
pub struct CreditNote {
    pub id: ID,
    pub number: String,
    pub status: CreditNoteStatus,
    pub credit_date: NaiveDate,
    pub total: Decimal,
    pub external_id: Option<String>,
    pub lines: Vec<CreditNoteLine>,
    pub refunds: Vec<RefundView>,
    pub restocks: Vec<Restock>,
}

#[derive(SimpleObject)]
pub struct CreditNoteLine {
    pub sale_line_id: Option<ID>,
    pub description: String,
    pub quantity: Decimal,
    pub price: Decimal,
    pub tax_amount: Decimal,
    pub total: Decimal,
}

fn credit_line(l: &sale_credit_note_line::Model) -> CreditNoteLine {
    CreditNoteLine {
        sale_line_id: l.sale_line_id.map(|id| ids::encode("SaleLine", id)),
        description: l.description.clone(),
        quantity: l.quantity,
        price: l.price.normalize(),
        tax_amount: l.tax_amount.normalize(),
        total: l.total,
    }
}

#[derive(SimpleObject)]
#[graphql(name = "Refund")]
pub struct RefundView {
    pub account_id: ID,
    pub amount: Decimal,
    pub refunded_on: NaiveDate,
    pub reference: Option<String>,
}

fn refund(r: &sale_refund::Model) -> RefundView {
    RefundView {
        account_id: ids::encode("Account", r.account_id),
        amount: r.amount.normalize(),
        refunded_on: r.refunded_on,
        reference: r.reference.clone(),
    }
}

#[derive(SimpleObject)]
pub struct Restock {
    pub sale_line_id: ID,
    pub location_id: ID,
    pub quantity: Decimal,
}

fn restock(r: &sale_restock::Model) -> Restock {
    Restock {
        sale_line_id: ids::encode("SaleLine", r.sale_line_id),
        location_id: ids::encode("Location", r.location_id),
        quantity: r.quantity,
    }
}

pub struct Assembly(assembly::Model);

#[Object]
impl Assembly {
    async fn id(&self) -> ID {
        ids::encode("Assembly", self.0.id)
    }
    /// AS-00001, …
    async fn number(&self) -> &str {
        &self.0.number
    }
    async fn product_id(&self) -> ID {
        ids::encode("Product", self.0.product_id)
    }
    async fn location_id(&self) -> ID {
        ids::encode("Location", self.0.location_id)
    }
    async fn quantity(&self) -> Decimal {
        self.0.quantity.normalize()
    }
    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.completed_at
    }
}

// ---- inputs ----------------------------------------------------------------------

#[derive(InputObject)]
pub struct SaleLineInput {
    pub product_id: ID,
    pub quantity: Decimal,
    pub price: Decimal,
    /// A percentage; default 0.
    pub discount: Option<Decimal>,
    pub tax_rule_id: Option<ID>,
    /// As the channel computed it; left out, it is computed from the tax rule.
    pub tax_amount: Option<Decimal>,
    pub external_id: Option<String>,
}

#[derive(InputObject)]
pub struct SaleChargeInput {
    pub kind: ChargeKind,
    pub description: String,
    /// Negative for discounts and gift cards.
    pub amount: Decimal,
    pub tax_rule_id: Option<ID>,
    pub tax_amount: Option<Decimal>,
}

#[derive(InputObject)]
pub struct SaleCreateInput {
    pub customer_id: ID,
    pub location_id: ID,
    /// Default: the organisation's base currency.
    pub currency: Option<String>,
    #[graphql(default)]
    pub tax_inclusive: bool,
    pub contact: Option<Contact>,
    pub billing_address: Option<Address>,
    pub shipping_address: Option<Address>,
    pub customer_reference: Option<String>,
    pub sales_rep: Option<String>,
    pub notes: Option<String>,
    pub lines: Vec<SaleLineInput>,
    #[graphql(default)]
    pub charges: Vec<SaleChargeInput>,
}

#[derive(InputObject)]
pub struct SaleShipInput {
    pub sale_id: ID,
    pub carrier_id: Option<ID>,
    pub carrier_name: Option<String>,
    #[graphql(default)]
    pub tracking_numbers: Vec<String>,
}

#[derive(InputObject)]
pub struct SalePaymentInput {
    pub sale_id: ID,
    pub account_id: ID,
    pub amount: Decimal,
    /// Default: today.
    pub paid_on: Option<NaiveDate>,
    pub reference: Option<String>,
}

#[derive(InputObject)]
pub struct CreditNoteLineInput {
    pub sale_line_id: ID,
    pub quantity: Decimal,
    /// Default: the line's price after discount.
    pub price: Option<Decimal>,
}

#[derive(InputObject)]
pub struct CreditNoteAdjustmentInput {
    pub description: String,
    pub amount: Decimal,
}

#[derive(InputObject)]
pub struct RestockInput {
    pub sale_line_id: ID,
    pub quantity: Decimal,
    pub location_id: ID,
}

#[derive(InputObject)]
pub struct RefundInput {
    pub account_id: ID,
    pub amount: Decimal,
    /// Default: today.
    pub refunded_on: Option<NaiveDate>,
    pub reference: Option<String>,
}

#[derive(InputObject)]
pub struct SaleCreditNoteCreateInput {
    pub sale_id: ID,
    #[graphql(default)]
    pub lines: Vec<CreditNoteLineInput>,
    #[graphql(default)]
    pub adjustments: Vec<CreditNoteAdjustmentInput>,
    #[graphql(default)]
    pub restock: Vec<RestockInput>,
    #[graphql(default)]
    pub refunds: Vec<RefundInput>,
    pub external_id: Option<String>,
}

#[derive(InputObject)]
pub struct SaleAdvanceInput {
    pub sale_id: ID,
    pub mode: ProcessingMode,
    pub auto_assembly: AutoAssembly,
    pub carrier_name: Option<String>,
    #[graphql(default)]
    pub tracking_numbers: Vec<String>,
}

#[derive(InputObject)]
pub struct AssemblyCreateInput {
    pub product_id: ID,
    pub location_id: ID,
    pub quantity: Decimal,
}

#[derive(InputObject, Default)]
pub struct SaleFilter {
    pub customer_id: Option<ID>,
    pub order_status: Option<OrderStatus>,
    pub source_channel: Option<String>,
    pub external_id: Option<String>,
}

#[derive(SimpleObject)]
pub struct SalePayload {
    pub sale: Option<Sale>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct SaleAdvancePayload {
    pub sale: Option<Sale>,
    /// Set when the sale stopped with its pick in draft: what was short.
    pub stock_short: Option<String>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct AssemblyPayload {
    pub assembly: Option<Assembly>,
    pub user_errors: Vec<UserError>,
}

fn sale_payload(result: Result<SaleRecord, DomainError>) -> async_graphql::Result<SalePayload> {
    payload(result, &["saleId"], Sale, |sale, user_errors| SalePayload {
        sale,
        user_errors,
    })
}

fn decode(kind: &str, id: &ID) -> async_graphql::Result<Uuid> {
    ids::decode(kind, id)
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

impl SaleCreateInput {
    fn into_draft(self) -> async_graphql::Result<SaleDraft> {
        let lines = self
            .lines
            .into_iter()
            .map(|l| {
                Ok(sales::LineDraft {
                    product_id: decode("Product", &l.product_id)?,
                    quantity: l.quantity,
                    price: l.price,
                    discount: l.discount.unwrap_or_default(),
                    tax_rule_id: l.tax_rule_id.map(|id| decode("TaxRule", &id)).transpose()?,
                    tax_amount: l.tax_amount,
                    external_id: l.external_id,
                })
            })
            .collect::<async_graphql::Result<Vec<_>>>()?;
        let charges = self
            .charges
            .into_iter()
            .map(|c| {
                Ok(sales::ChargeDraft {
                    kind: c.kind.into(),
                    description: c.description,
                    amount: c.amount,
                    tax_rule_id: c.tax_rule_id.map(|id| decode("TaxRule", &id)).transpose()?,
                    tax_amount: c.tax_amount,
                })
            })
            .collect::<async_graphql::Result<Vec<_>>>()?;
        let contact = self.contact.unwrap_or_default();
        Ok(SaleDraft {
            customer_id: decode("Customer", &self.customer_id)?,
            location_id: decode("Location", &self.location_id)?,
            currency: self.currency,
            tax_inclusive: self.tax_inclusive,
            contact: sales::Contact {
                name: contact.name,
                email: contact.email,
                phone: contact.phone,
            },
            billing_address: self.billing_address.unwrap_or_default().into(),
            shipping_address: self.shipping_address.unwrap_or_default().into(),
            customer_reference: self.customer_reference,
            sales_rep: self.sales_rep,
            notes: self.notes,
            source_channel: None,
            external_id: None,
            external_reference: None,
            lines,
            charges,
        })
    }
}

impl SaleCreditNoteCreateInput {
    fn into_draft(self) -> async_graphql::Result<CreditNoteDraft> {
        Ok(CreditNoteDraft {
            lines: self
                .lines
                .into_iter()
                .map(|l| {
                    Ok(sales::CreditLine {
                        sale_line_id: decode("SaleLine", &l.sale_line_id)?,
                        quantity: l.quantity,
                        price: l.price,
                    })
                })
                .collect::<async_graphql::Result<_>>()?,
            adjustments: self
                .adjustments
                .into_iter()
                .map(|a| (a.description, a.amount))
                .collect(),
            restock: self
                .restock
                .into_iter()
                .map(|r| {
                    Ok(sales::RestockLine {
                        sale_line_id: decode("SaleLine", &r.sale_line_id)?,
                        quantity: r.quantity,
                        location_id: decode("Location", &r.location_id)?,
                    })
                })
                .collect::<async_graphql::Result<_>>()?,
            refunds: self
                .refunds
                .into_iter()
                .map(|r| {
                    Ok(sales::Refund {
                        account_id: decode("Account", &r.account_id)?,
                        amount: r.amount,
                        refunded_on: r.refunded_on.unwrap_or_else(today),
                        reference: r.reference,
                    })
                })
                .collect::<async_graphql::Result<_>>()?,
            external_id: self.external_id,
            credit_date: None,
        })
    }
}

#[derive(Default)]
pub struct SaleQuery;

#[Object]
impl SaleQuery {
    /// Sales, newest first.
    async fn sales(
        &self,
        ctx: &Context<'_>,
        filter: Option<SaleFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<super::query::Paged<Sale>> {
        let principal = require(ctx, Role::Viewer)?;
        let s = state(ctx);
        let filter = filter.unwrap_or_default();
        let domain_filter = sales::SaleFilter {
            customer_id: filter
                .customer_id
                .map(|id| decode("Customer", &id))
                .transpose()?,
            order_status: filter.order_status.map(Into::into),
            source_channel: filter.source_channel,
            external_id: filter.external_id,
        };
        let page_request = page(ctx, first, after)?;
        let result = query(
            sales::sales(
                &s.services.db,
                principal.org_id,
                &domain_filter,
                page_request,
            )
            .await,
        )?;
        Ok(connection(page_request, result, Sale))
    }

    async fn sale(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Sale>> {
        let principal = require(ctx, Role::Viewer)?;
        let s = state(ctx);
        let id = ids::decode("Sale", &id)?;
        Ok(optional(sales::sale(&s.services.db, principal.org_id, id).await)?.map(Sale))
    }
}

#[derive(Default)]
pub struct SaleMutation;

#[Object]
impl SaleMutation {
    /// A draft sale.
    async fn sale_create(
        &self,
        ctx: &Context<'_>,
        input: SaleCreateInput,
    ) -> async_graphql::Result<SalePayload> {
        let principal = require(ctx, Role::Operator)?;
        let s = state(ctx);
        let draft = input.into_draft()?;
        match sales::create_sale(&s.services.db, principal.org_id, draft).await {
            Ok(record) => sale_payload(Ok(record)),
            Err(err) => Ok(SalePayload {
                sale: None,
                user_errors: user_errors(err, &["input"])?,
            }),
        }
    }

    /// Authorises the order: its stock is allocated (beyond availability: a backorder).
    async fn sale_authorise(
        &self,
        ctx: &Context<'_>,
        sale_id: ID,
    ) -> async_graphql::Result<SalePayload> {
        let principal = require(ctx, Role::Operator)?;
        let s = state(ctx);
        sale_payload(
            sales::authorise_order(&s.services.db, principal.org_id, decode("Sale", &sale_id)?)
                .await,
        )
    }

    /// Authorises the pick of everything not yet picked: the stock leaves the location.
    async fn sale_pick(
        &self,
        ctx: &Context<'_>,
        sale_id: ID,
    ) -> async_graphql::Result<SalePayload> {
        let principal = require(ctx, Role::Operator)?;
        let s = state(ctx);
        sale_payload(
            sales::authorise_pick(&s.services.db, principal.org_id, decode("Sale", &sale_id)?)
                .await,
        )
    }

    /// Authorises the pack (needs an authorised pick).
    async fn sale_pack(
        &self,
        ctx: &Context<'_>,
        sale_id: ID,
    ) -> async_graphql::Result<SalePayload> {
        let principal = require(ctx, Role::Operator)?;
        let s = state(ctx);
        sale_payload(
            sales::authorise_pack(&s.services.db, principal.org_id, decode("Sale", &sale_id)?)
                .await,
        )
    }

    /// Authorises the shipment (needs an authorised pack) with carrier and tracking.
    async fn sale_ship(
        &self,
        ctx: &Context<'_>,
        input: SaleShipInput,
    ) -> async_graphql::Result<SalePayload> {
        let principal = require(ctx, Role::Operator)?;
        let s = state(ctx);
        let shipment = Shipment {
            carrier_id: input
                .carrier_id
                .map(|id| decode("Carrier", &id))
                .transpose()?,
            carrier_name: input.carrier_name,
            tracking_numbers: input.tracking_numbers,
        };
        sale_payload(
            sales::authorise_ship(
                &s.services.db,
                principal.org_id,
                decode("Sale", &input.sale_id)?,
                shipment,
            )
            .await,
        )
    }

    /// Voids the sale, reversing its allocations and stock movements; it stays listed.
    async fn sale_void(
        &self,
        ctx: &Context<'_>,
        sale_id: ID,
    ) -> async_graphql::Result<SalePayload> {
        let principal = require(ctx, Role::Operator)?;
        let s = state(ctx);
        sale_payload(
            sales::void_sale(&s.services.db, principal.org_id, decode("Sale", &sale_id)?).await,
        )
    }

    /// Advances the sale as order processing would in this mode.
    async fn sale_advance(
        &self,
        ctx: &Context<'_>,
        input: SaleAdvanceInput,
    ) -> async_graphql::Result<SaleAdvancePayload> {
        let principal = require(ctx, Role::Operator)?;
        let s = state(ctx);
        let processing = Processing {
            mode: input.mode.into(),
            auto_assembly: input.auto_assembly.into(),
            shipment: Shipment {
                carrier_id: None,
                carrier_name: input.carrier_name,
                tracking_numbers: input.tracking_numbers,
            },
        };
        let result = sales::advance(
            &s.services.db,
            principal.org_id,
            decode("Sale", &input.sale_id)?,
            &processing,
        )
        .await;
        match result {
            Ok((record, advanced)) => Ok(SaleAdvancePayload {
                sale: Some(Sale(record)),
                stock_short: match advanced {
                    Advanced::Done => None,
                    Advanced::StockShort(why) => Some(why),
                },
                user_errors: vec![],
            }),
            Err(err) => Ok(SaleAdvancePayload {
                sale: None,
                stock_short: None,
                user_errors: user_errors(err, &["input", "saleId"])?,
            }),
        }
    }

    async fn sale_invoice_create(
        &self,
        ctx: &Context<'_>,
        sale_id: ID,
    ) -> async_graphql::Result<SalePayload> {
        let principal = require(ctx, Role::Operator)?;
        let s = state(ctx);
        sale_payload(
            sales::create_invoice(&s.services.db, principal.org_id, decode("Sale", &sale_id)?)
                .await,
        )
    }

    async fn sale_invoice_authorise(
        &self,
        ctx: &Context<'_>,
        sale_id: ID,
    ) -> async_graphql::Result<SalePayload> {
        let principal = require(ctx, Role::Operator)?;
        let s = state(ctx);
        sale_payload(
            sales::authorise_invoice(&s.services.db, principal.org_id, decode("Sale", &sale_id)?)
                .await,
        )
    }

    /// A payment against the sale's authorised invoice; paid in full moves it to PAID.
    async fn sale_payment_add(
        &self,
        ctx: &Context<'_>,
        input: SalePaymentInput,
    ) -> async_graphql::Result<SalePayload> {
        let principal = require(ctx, Role::Operator)?;
        let s = state(ctx);
        let payment = sales::Payment {
            account_id: decode("Account", &input.account_id)?,
            amount: input.amount,
            paid_on: input.paid_on.unwrap_or_else(today),
            reference: input.reference,
        };
        sale_payload(
            sales::add_payment(
                &s.services.db,
                principal.org_id,
                decode("Sale", &input.sale_id)?,
                payment,
            )
            .await,
        )
    }

    async fn sale_credit_note_create(
        &self,
        ctx: &Context<'_>,
        input: SaleCreditNoteCreateInput,
    ) -> async_graphql::Result<SalePayload> {
        let principal = require(ctx, Role::Operator)?;
        let s = state(ctx);
        let sale_id = decode("Sale", &input.sale_id)?;
        let draft = input.into_draft()?;
        sale_payload(
            sales::create_credit_note(&s.services.db, principal.org_id, sale_id, draft).await,
        )
    }

    /// Authorises a draft credit note: its restock goes back on hand, its refunds stand.
    async fn sale_credit_note_authorise(
        &self,
        ctx: &Context<'_>,
        sale_id: ID,
        credit_note_id: ID,
    ) -> async_graphql::Result<SalePayload> {
        let principal = require(ctx, Role::Operator)?;
        let s = state(ctx);
        sale_payload(
            sales::authorise_credit_note(
                &s.services.db,
                principal.org_id,
                decode("Sale", &sale_id)?,
                decode("CreditNote", &credit_note_id)?,
            )
            .await,
        )
    }

    /// Assembles a product from its bill of materials at a location.
    async fn assembly_create(
        &self,
        ctx: &Context<'_>,
        input: AssemblyCreateInput,
    ) -> async_graphql::Result<AssemblyPayload> {
        let principal = require(ctx, Role::Operator)?;
        let s = state(ctx);
        let result = sales::assemble(
            &s.services.db,
            principal.org_id,
            decode("Product", &input.product_id)?,
            decode("Location", &input.location_id)?,
            input.quantity,
        )
        .await;
        payload(result, &["input"], Assembly, |assembly, user_errors| {
            AssemblyPayload {
                assembly,
                user_errors,
            }
        })
    }
}
