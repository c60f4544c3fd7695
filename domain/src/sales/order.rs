//! The order: drafted with its lines and charges, authorised (allocating stock), voided
//! (reversing every stock effect).

use std::collections::BTreeMap;

use chrono::Utc;
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, Set, TransactionTrait,
};
use uuid::Uuid;

use entities::enums::{
    ChargeKind, CreditNoteStatus, MovementKind, OrderStatus, ProductKind, ProductStatus,
    SaleInvoiceStatus, StageStatus,
};
use entities::{
    customer, location, organization, product, sale, sale_charge, sale_credit_note,
    sale_fulfilment, sale_invoice, sale_line, tax_rule,
};

use super::money::{cents, grand_total, line_total, tax_of};
use super::read::{SaleRecord, lock, record};
use super::{ChargeDraft, LineDraft, SALE_REFERENCE, SaleDraft, numbers};
use crate::error::{DomainError, DomainResult, ErrorCode, FieldError};
use crate::events::DomainEvent;
use crate::stock::{self, Cause, Movement};

pub async fn create_sale(
    db: &DatabaseConnection,
    org_id: Uuid,
    draft: SaleDraft,
) -> DomainResult<SaleRecord> {
    let txn = db.begin().await?;
    let created = insert_sale(&txn, org_id, draft).await?;
    txn.commit().await?;
    Ok(created)
}

/// Creates a draft sale inside the caller's transaction (order processing creates a
/// sale and advances it in one).
pub(crate) async fn insert_sale<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    draft: SaleDraft,
) -> DomainResult<SaleRecord> {
    let mut errors = Vec::new();
    if customer::Entity::find_by_id(draft.customer_id)
        .filter(customer::Column::OrgId.eq(org_id))
        .one(db)
        .await?
        .is_none()
    {
        errors.push(FieldError::new(
            &["customerId"],
            ErrorCode::NotFound,
            "no such customer",
        ));
    }
    if location::Entity::find_by_id(draft.location_id)
        .filter(location::Column::OrgId.eq(org_id))
        .one(db)
        .await?
        .is_none()
    {
        errors.push(FieldError::new(
            &["locationId"],
            ErrorCode::NotFound,
            "no such location",
        ));
    }
    let currency = match &draft.currency {
        Some(code) => code.trim().to_uppercase(),
        None => organization::Entity::find_by_id(org_id)
            .one(db)
            .await?
            .map(|o| o.base_currency)
            .unwrap_or_else(|| "USD".to_owned()),
    };
    if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
        errors.push(FieldError::new(
            &["currency"],
            ErrorCode::Invalid,
            "a currency is a three-letter ISO code",
        ));
    }
    let mut rates = TaxRates::default();
    let mut lines = Vec::new();
    for (index, line) in draft.lines.iter().enumerate() {
        if let Some(checked) = check_line(db, org_id, index, line, &mut rates, &mut errors).await? {
            lines.push(checked);
        }
    }
    let mut charges = Vec::new();
    for (index, charge) in draft.charges.iter().enumerate() {
        if let Some(checked) =
            check_charge(db, org_id, index, charge, &mut rates, &mut errors).await?
        {
            charges.push(checked);
        }
    }
    if !errors.is_empty() {
        return Err(DomainError::Invalid(errors));
    }

    let now = Utc::now();
    let sale_id = Uuid::new_v4();
    let mut subtotal = Decimal::ZERO;
    let mut tax_total = Decimal::ZERO;
    let mut charges_total = Decimal::ZERO;
    let mut line_rows = Vec::with_capacity(lines.len());
    let mut charge_rows = Vec::with_capacity(charges.len());
    for (position, (line, product)) in lines.iter().enumerate() {
        let total = line_total(line.quantity, line.price, line.discount);
        let tax = match (line.tax_amount, line.tax_rule_id) {
            (Some(tax), _) => cents(tax),
            (None, Some(rule)) => tax_of(total, rates.rate(rule), draft.tax_inclusive),
            (None, None) => Decimal::ZERO,
        };
        subtotal += total;
        tax_total += tax;
        line_rows.push(sale_line::ActiveModel {
            id: Set(Uuid::new_v4()),
            sale_id: Set(sale_id),
            position: Set(position as i32 + 1),
            product_id: Set(product.id),
            sku: Set(product.sku.clone()),
            name: Set(product.name.clone()),
            quantity: Set(line.quantity),
            price: Set(line.price),
            discount: Set(line.discount),
            tax_rule_id: Set(line.tax_rule_id),
            tax_amount: Set(tax),
            total: Set(total),
            external_id: Set(line.external_id.clone()),
        });
    }
    for (position, charge) in charges.iter().enumerate() {
        let amount = cents(charge.amount);
        let tax = match (charge.tax_amount, charge.tax_rule_id) {
            (Some(tax), _) => cents(tax),
            (None, Some(rule)) => tax_of(amount, rates.rate(rule), draft.tax_inclusive),
            (None, None) => Decimal::ZERO,
        };
        charges_total += amount;
        tax_total += tax;
        charge_rows.push(sale_charge::ActiveModel {
            id: Set(Uuid::new_v4()),
            sale_id: Set(sale_id),
            position: Set(position as i32 + 1),
            kind: Set(charge.kind),
            description: Set(charge.description.trim().to_owned()),
            amount: Set(amount),
            tax_rule_id: Set(charge.tax_rule_id),
            tax_amount: Set(tax),
        });
    }
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let sale = sale::ActiveModel {
        id: Set(sale_id),
        org_id: Set(org_id),
        number: Set(numbers::next(db, org_id, "SO").await?),
        customer_id: Set(draft.customer_id),
        location_id: Set(draft.location_id),
        currency: Set(currency),
        tax_inclusive: Set(draft.tax_inclusive),
        order_status: Set(OrderStatus::Draft),
        contact: Set(serde_json::to_value(&draft.contact).unwrap_or_default()),
        billing_address: Set(serde_json::to_value(&draft.billing_address).unwrap_or_default()),
        shipping_address: Set(serde_json::to_value(&draft.shipping_address).unwrap_or_default()),
        customer_reference: Set(text(&draft.customer_reference)),
        sales_rep: Set(text(&draft.sales_rep)),
        notes: Set(text(&draft.notes)),
        source_channel: Set(text(&draft.source_channel).unwrap_or_else(|| "manual".to_owned())),
        external_id: Set(text(&draft.external_id)),
        external_reference: Set(text(&draft.external_reference)),
        subtotal: Set(subtotal),
        tax_total: Set(tax_total),
        charges_total: Set(charges_total),
        total: Set(grand_total(
            subtotal,
            charges_total,
            tax_total,
            draft.tax_inclusive,
        )),
        authorised_at: Set(None),
        voided_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let sale = sale.insert(db).await?;
    super::announce(db, &sale, DomainEvent::SaleCreated(super::sale_ref(&sale))).await?;
    if !line_rows.is_empty() {
        sale_line::Entity::insert_many(line_rows).exec(db).await?;
    }
    if !charge_rows.is_empty() {
        sale_charge::Entity::insert_many(charge_rows)
            .exec(db)
            .await?;
    }
    record(db, sale).await
}

/// Tax rule rates looked up once per sale.
#[derive(Default)]
struct TaxRates(BTreeMap<Uuid, Decimal>);

impl TaxRates {
    fn rate(&self, rule: Uuid) -> Decimal {
        self.0.get(&rule).copied().unwrap_or(Decimal::ZERO)
    }

    async fn known<C: ConnectionTrait>(
        &mut self,
        db: &C,
        org_id: Uuid,
        rule: Uuid,
    ) -> DomainResult<bool> {
        if self.0.contains_key(&rule) {
            return Ok(true);
        }
        match tax_rule::Entity::find_by_id(rule)
            .filter(tax_rule::Column::OrgId.eq(org_id))
            .one(db)
            .await?
        {
            Some(found) => {
                let rate = if found.is_tax_free {
                    Decimal::ZERO
                } else {
                    found.rate
                };
                self.0.insert(rule, rate);
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

async fn check_line<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    index: usize,
    line: &LineDraft,
    rates: &mut TaxRates,
    errors: &mut Vec<FieldError>,
) -> DomainResult<Option<(LineDraft, product::Model)>> {
    let index = index.to_string();
    let path = |field: &'static str| ["lines", index.as_str(), field];
    let before = errors.len();
    if line.quantity <= Decimal::ZERO {
        errors.push(FieldError::new(
            &path("quantity"),
            ErrorCode::OutOfRange,
            "a line's quantity must be positive",
        ));
    }
    errors.extend(stock::quantity_bound_error(
        &path("quantity"),
        line.quantity,
    ));
    if line.price < Decimal::ZERO {
        errors.push(FieldError::new(
            &path("price"),
            ErrorCode::OutOfRange,
            "a price cannot be negative",
        ));
    }
    if line.discount < Decimal::ZERO || line.discount > Decimal::ONE_HUNDRED {
        errors.push(FieldError::new(
            &path("discount"),
            ErrorCode::OutOfRange,
            "a discount is a percentage from 0 to 100",
        ));
    }
    if line.tax_amount.is_some_and(|t| t < Decimal::ZERO) {
        errors.push(FieldError::new(
            &path("taxAmount"),
            ErrorCode::OutOfRange,
            "tax cannot be negative",
        ));
    }
    if let Some(rule) = line.tax_rule_id
        && !rates.known(db, org_id, rule).await?
    {
        errors.push(FieldError::new(
            &path("taxRuleId"),
            ErrorCode::NotFound,
            "no such tax rule",
        ));
    }
    let product = product::Entity::find_by_id(line.product_id)
        .filter(product::Column::OrgId.eq(org_id))
        .one(db)
        .await?;
    let product = match product {
        None => {
            errors.push(FieldError::new(
                &path("productId"),
                ErrorCode::NotFound,
                "no such product",
            ));
            None
        }
        Some(p) if p.status == ProductStatus::Deprecated => {
            errors.push(FieldError::new(
                &path("productId"),
                ErrorCode::Invalid,
                format!("{} is deprecated and cannot be sold", p.sku),
            ));
            None
        }
        Some(p) => Some(p),
    };
    Ok(match product {
        Some(product) if errors.len() == before => Some((line.clone(), product)),
        _ => None,
    })
}

async fn check_charge<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    index: usize,
    charge: &ChargeDraft,
    rates: &mut TaxRates,
    errors: &mut Vec<FieldError>,
) -> DomainResult<Option<ChargeDraft>> {
    let index = index.to_string();
    let path = |field: &'static str| ["charges", index.as_str(), field];
    let before = errors.len();
    if charge.description.trim().is_empty() {
        errors.push(FieldError::new(
            &path("description"),
            ErrorCode::Invalid,
            "a charge needs a description",
        ));
    }
    let is_reduction = matches!(
        charge.kind,
        ChargeKind::Discount | ChargeKind::CouponDiscount | ChargeKind::GiftCard
    );
    if is_reduction && charge.amount > Decimal::ZERO {
        errors.push(FieldError::new(
            &path("amount"),
            ErrorCode::OutOfRange,
            "discounts and gift cards reduce the total: give a negative amount",
        ));
    }
    if !is_reduction && charge.amount < Decimal::ZERO {
        errors.push(FieldError::new(
            &path("amount"),
            ErrorCode::OutOfRange,
            "this charge adds to the total: give a positive amount",
        ));
    }
    if let Some(rule) = charge.tax_rule_id
        && !rates.known(db, org_id, rule).await?
    {
        errors.push(FieldError::new(
            &path("taxRuleId"),
            ErrorCode::NotFound,
            "no such tax rule",
        ));
    }
    Ok((errors.len() == before).then(|| charge.clone()))
}

/// Authorises a draft order and allocates its stock products at the sale's location.
/// More than is available is allocated all the same: a backorder, as in DEAR.
pub async fn authorise_order(
    db: &DatabaseConnection,
    org_id: Uuid,
    sale_id: Uuid,
) -> DomainResult<SaleRecord> {
    let txn = db.begin().await?;
    let authorised = authorise_order_in(&txn, org_id, sale_id).await?;
    txn.commit().await?;
    Ok(authorised)
}

pub(crate) async fn authorise_order_in<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    sale_id: Uuid,
) -> DomainResult<SaleRecord> {
    let sale = lock(db, org_id, sale_id).await?;
    if sale.order_status != OrderStatus::Draft {
        return Err(DomainError::invalid(
            &["saleId"],
            ErrorCode::InvalidCombination,
            format!(
                "sale {} is {:?}; only a draft order can be authorised",
                sale.number, sale.order_status
            ),
        ));
    }
    let lines = sale_line::Entity::find()
        .filter(sale_line::Column::SaleId.eq(sale.id))
        .all(db)
        .await?;
    if lines.is_empty() {
        return Err(DomainError::invalid(
            &["saleId"],
            ErrorCode::Invalid,
            "an order needs at least one line",
        ));
    }
    let stocked = stocked_products(db, &lines).await?;
    let movements: Vec<Movement> = lines
        .iter()
        .filter(|l| stocked.contains(&l.product_id))
        .map(|l| Movement {
            product_id: l.product_id,
            location_id: sale.location_id,
            kind: MovementKind::Allocation,
            on_hand_delta: Decimal::ZERO,
            allocated_delta: l.quantity,
        })
        .collect();
    stock::apply(db, org_id, &movements, &cause(sale.id)).await?;
    let mut active = sale.into_active_model();
    active.order_status = Set(OrderStatus::Authorised);
    active.authorised_at = Set(Some(Utc::now()));
    active.updated_at = Set(Utc::now());
    let sale = active.update(db).await?;
    super::announce(
        db,
        &sale,
        DomainEvent::SaleAuthorised(super::sale_ref(&sale)),
    )
    .await?;
    record(db, sale).await
}

pub(crate) fn cause(sale_id: Uuid) -> Cause {
    Cause {
        reason: None,
        reference_type: Some(SALE_REFERENCE),
        reference_id: Some(sale_id),
    }
}

/// The ids of the lines' products that are counted in stock.
pub(crate) async fn stocked_products<C: ConnectionTrait>(
    db: &C,
    lines: &[sale_line::Model],
) -> DomainResult<std::collections::BTreeSet<Uuid>> {
    let ids: Vec<Uuid> = lines.iter().map(|l| l.product_id).collect();
    Ok(product::Entity::find()
        .filter(product::Column::Id.is_in(ids))
        .filter(product::Column::Kind.eq(ProductKind::Stock))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect())
}

/// Voids a draft or authorised sale: every stock effect it had (allocations, picks) is
/// reversed, its fulfilments and unpaid invoices are voided, and the sale stays, voided,
/// for reconciliation. A sale with money received must have it refunded first.
pub async fn void_sale(
    db: &DatabaseConnection,
    org_id: Uuid,
    sale_id: Uuid,
) -> DomainResult<SaleRecord> {
    let txn = db.begin().await?;
    let voided = void_sale_in(&txn, org_id, sale_id).await?;
    txn.commit().await?;
    Ok(voided)
}

pub(crate) async fn void_sale_in<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    sale_id: Uuid,
) -> DomainResult<SaleRecord> {
    let sale = lock(db, org_id, sale_id).await?;
    if sale.order_status == OrderStatus::Voided {
        return Err(DomainError::invalid(
            &["saleId"],
            ErrorCode::InvalidCombination,
            format!("sale {} is already voided", sale.number),
        ));
    }
    let invoices = sale_invoice::Entity::find()
        .filter(sale_invoice::Column::SaleId.eq(sale.id))
        .all(db)
        .await?;
    let credited = sale_credit_note::Entity::find()
        .filter(sale_credit_note::Column::SaleId.eq(sale.id))
        .filter(sale_credit_note::Column::Status.eq(CreditNoteStatus::Authorised))
        .one(db)
        .await?
        .is_some();
    if credited {
        return Err(DomainError::invalid(
            &["saleId"],
            ErrorCode::InvalidCombination,
            format!(
                "sale {} has an authorised credit note; it is settled by that, not voided",
                sale.number
            ),
        ));
    }
    if invoices.iter().any(|i| i.paid > Decimal::ZERO) {
        return Err(DomainError::invalid(
            &["saleId"],
            ErrorCode::InvalidCombination,
            format!(
                "sale {} has payments; refund them with a credit note before voiding",
                sale.number
            ),
        ));
    }
    let reversal = stock::net_effect(db, SALE_REFERENCE, sale.id)
        .await?
        .into_iter()
        .flat_map(|((product_id, location_id), (on_hand, allocated))| {
            let mut movements = Vec::new();
            if !allocated.is_zero() {
                movements.push(Movement {
                    product_id,
                    location_id,
                    kind: MovementKind::Deallocation,
                    on_hand_delta: Decimal::ZERO,
                    allocated_delta: -allocated,
                });
            }
            if !on_hand.is_zero() {
                movements.push(Movement {
                    product_id,
                    location_id,
                    kind: MovementKind::PickReversal,
                    on_hand_delta: -on_hand,
                    allocated_delta: Decimal::ZERO,
                });
            }
            movements
        })
        .collect::<Vec<_>>();
    stock::apply(db, org_id, &reversal, &cause(sale.id)).await?;
    let now = Utc::now();
    sale_fulfilment::Entity::update_many()
        .col_expr(
            sale_fulfilment::Column::PickStatus,
            sea_orm::sea_query::Expr::value(StageStatus::Voided),
        )
        .col_expr(
            sale_fulfilment::Column::PackStatus,
            sea_orm::sea_query::Expr::value(StageStatus::Voided),
        )
        .col_expr(
            sale_fulfilment::Column::ShipStatus,
            sea_orm::sea_query::Expr::value(StageStatus::Voided),
        )
        .filter(sale_fulfilment::Column::SaleId.eq(sale.id))
        .exec(db)
        .await?;
    sale_invoice::Entity::update_many()
        .col_expr(
            sale_invoice::Column::Status,
            sea_orm::sea_query::Expr::value(SaleInvoiceStatus::Voided),
        )
        .filter(sale_invoice::Column::SaleId.eq(sale.id))
        .exec(db)
        .await?;
    let mut active = sale.into_active_model();
    active.order_status = Set(OrderStatus::Voided);
    active.voided_at = Set(Some(now));
    active.updated_at = Set(now);
    let sale = active.update(db).await?;
    super::announce(db, &sale, DomainEvent::SaleVoided(super::sale_ref(&sale))).await?;
    record(db, sale).await
}
