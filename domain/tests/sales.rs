//! Sales by DEAR's rules: order, pick, pack, ship, invoice, payments, void.

mod common;

use domain::events::DomainEvent;

use common::{TestDb, qty};
use domain::entities::enums::{
    ChargeKind, OrderStatus, ProductKind, SaleInvoiceStatus, StageStatus,
};
use domain::sales::{self, ChargeDraft, LineDraft, Payment, SaleDraft, Shipment};
use domain::stock::{self, Availability};
use domain::{DomainError, ErrorCode};
use rust_decimal::Decimal;
use rust_decimal::dec;
use uuid::Uuid;

struct Shop {
    t: TestDb,
    customer: Uuid,
    location: Uuid,
}

async fn shop(label: &str) -> Shop {
    let t = TestDb::new(label).await;
    let customer = t.customer("Jane Doe").await;
    let location = t.location("Shop floor").await;
    Shop {
        t,
        customer,
        location,
    }
}

impl Shop {
    async fn stocked(&self, sku: &str, on_hand: i64) -> Uuid {
        let product = self.t.product(sku).await;
        if on_hand != 0 {
            stock::adjust(
                &self.t.db,
                self.t.org_id,
                product,
                self.location,
                qty(on_hand),
                "count",
            )
            .await
            .expect("stock");
        }
        product
    }

    fn draft(&self, lines: Vec<LineDraft>) -> SaleDraft {
        SaleDraft {
            customer_id: self.customer,
            location_id: self.location,
            lines,
            ..SaleDraft::default()
        }
    }

    async fn level(&self, product: Uuid) -> Availability {
        stock::availability(&self.t.db, self.t.org_id, product, Some(self.location))
            .await
            .expect("level")
    }

    async fn authorised_sale(&self, lines: Vec<LineDraft>) -> Uuid {
        let sale = sales::create_sale(&self.t.db, self.t.org_id, self.draft(lines))
            .await
            .expect("sale");
        sales::authorise_order(&self.t.db, self.t.org_id, sale.sale.id)
            .await
            .expect("authorised");
        sale.sale.id
    }
}

impl Shop {
    /// The sale's lifecycle events, oldest first.
    async fn sale_events(&self, sale: Uuid) -> Vec<DomainEvent> {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
        domain::entities::event::Entity::find()
            .filter(domain::entities::event::Column::OrgId.eq(self.t.org_id))
            .filter(domain::entities::event::Column::Kind.starts_with("sale."))
            .order_by_asc(domain::entities::event::Column::Id)
            .all(&self.t.db)
            .await
            .expect("events")
            .into_iter()
            .map(|e| DomainEvent::from_row(&e.kind, e.payload).expect("typed"))
            .filter(|e| sale_of(e) == Some(sale))
            .collect()
    }
}

fn sale_of(event: &DomainEvent) -> Option<Uuid> {
    match event {
        DomainEvent::SaleCreated(s)
        | DomainEvent::SaleAuthorised(s)
        | DomainEvent::SaleVoided(s) => Some(s.sale_id),
        DomainEvent::SalePicked(f) | DomainEvent::SalePacked(f) => Some(f.sale_id),
        DomainEvent::SaleShipped(s) => Some(s.sale_id),
        DomainEvent::InvoiceAuthorised(i) | DomainEvent::InvoicePaid(i) => Some(i.sale_id),
        DomainEvent::CreditNoteAuthorised(c) => Some(c.sale_id),
        _ => None,
    }
}

fn line(product: Uuid, quantity: i64, price: Decimal) -> LineDraft {
    LineDraft {
        product_id: product,
        quantity: qty(quantity),
        price,
        discount: Decimal::ZERO,
        tax_rule_id: None,
        tax_amount: None,
        external_id: None,
    }
}

fn error(err: DomainError) -> (String, ErrorCode, String) {
    match err {
        DomainError::Invalid(errors) => (
            errors[0].field.join("."),
            errors[0].code,
            errors[0].message.clone(),
        ),
        other => panic!("expected a user error, got {other}"),
    }
}

#[tokio::test]
async fn a_draft_sale_totals_its_lines_charges_and_tax() {
    let s = shop("sale_totals").await;
    let tee = s.stocked("TEE", 0).await;
    let rule = s.t.tax_rule("CA 8.25%", dec!(8.25)).await;
    let sale = sales::create_sale(
        &s.t.db,
        s.t.org_id,
        SaleDraft {
            lines: vec![LineDraft {
                discount: dec!(10),
                tax_rule_id: Some(rule),
                ..line(tee, 2, dec!(50))
            }],
            charges: vec![
                ChargeDraft {
                    kind: ChargeKind::Shipping,
                    description: "Flat rate".into(),
                    amount: dec!(5),
                    tax_rule_id: None,
                    tax_amount: None,
                },
                ChargeDraft {
                    kind: ChargeKind::CouponDiscount,
                    description: "SAVE10".into(),
                    amount: dec!(-9),
                    tax_rule_id: None,
                    tax_amount: None,
                },
            ],
            ..s.draft(vec![])
        },
    )
    .await
    .expect("sale");
    assert_eq!(sale.sale.number, "SO-00001");
    assert_eq!(sale.sale.order_status, OrderStatus::Draft);
    assert_eq!(sale.lines[0].total, dec!(90));
    assert_eq!(sale.lines[0].tax_amount, dec!(7.43));
    assert_eq!(
        (sale.sale.subtotal, sale.sale.charges_total),
        (dec!(90), dec!(-4))
    );
    assert_eq!(sale.sale.total, dec!(93.43));
    assert_eq!(
        s.level(tee).await,
        Availability::ZERO,
        "a draft holds no stock"
    );
    s.t.drop().await;
}

#[tokio::test]
async fn every_bad_line_is_reported_and_nothing_is_written() {
    let s = shop("sale_bad").await;
    let tee = s.stocked("TEE", 0).await;
    let err = sales::create_sale(
        &s.t.db,
        s.t.org_id,
        s.draft(vec![
            line(Uuid::new_v4(), 1, dec!(1)),
            line(tee, -2, dec!(1)),
            LineDraft {
                discount: dec!(120),
                ..line(tee, 1, dec!(1))
            },
        ]),
    )
    .await
    .expect_err("bad lines");
    let DomainError::Invalid(errors) = err else {
        panic!("user errors")
    };
    let fields: Vec<String> = errors.iter().map(|e| e.field.join(".")).collect();
    assert_eq!(
        fields,
        ["lines.0.productId", "lines.1.quantity", "lines.2.discount"]
    );
    let page = sales::sales(
        &s.t.db,
        s.t.org_id,
        &sales::SaleFilter::default(),
        Default::default(),
    )
    .await
    .expect("list");
    assert!(page.items.is_empty());
    s.t.drop().await;
}

#[tokio::test]
async fn authorising_the_order_allocates_its_stock_and_more_than_available_is_a_backorder() {
    let s = shop("sale_authorise").await;
    let tee = s.stocked("TEE", 3).await;
    s.authorised_sale(vec![line(tee, 5, dec!(10))]).await;
    let level = s.level(tee).await;
    assert_eq!(
        (level.on_hand, level.allocated, level.available()),
        (qty(3), qty(5), qty(-2))
    );
    s.t.drop().await;
}

#[tokio::test]
async fn an_order_is_authorised_once() {
    let s = shop("sale_authorise_twice").await;
    let tee = s.stocked("TEE", 3).await;
    let sale = s.authorised_sale(vec![line(tee, 1, dec!(10))]).await;
    let err = sales::authorise_order(&s.t.db, s.t.org_id, sale)
        .await
        .expect_err("twice");
    assert_eq!(error(err).1, ErrorCode::InvalidCombination);
    assert_eq!(s.level(tee).await.allocated, qty(1));
    s.t.drop().await;
}

#[tokio::test]
async fn services_are_sold_without_touching_stock() {
    let s = shop("sale_service").await;
    let fitting = s.t.product_of_kind("FITTING", ProductKind::Service).await;
    let sale = s.authorised_sale(vec![line(fitting, 1, dec!(30))]).await;
    sales::authorise_pick(&s.t.db, s.t.org_id, sale)
        .await
        .expect("nothing to take out");
    assert_eq!(s.level(fitting).await, Availability::ZERO);
    s.t.drop().await;
}

#[tokio::test]
async fn authorising_the_pick_takes_the_stock_out() {
    let s = shop("sale_pick").await;
    let tee = s.stocked("TEE", 10).await;
    let sale = s.authorised_sale(vec![line(tee, 4, dec!(10))]).await;
    let picked = sales::authorise_pick(&s.t.db, s.t.org_id, sale)
        .await
        .expect("picked");
    assert_eq!(
        picked.fulfilments[0].fulfilment.pick_status,
        StageStatus::Authorised
    );
    let level = s.level(tee).await;
    assert_eq!((level.on_hand, level.allocated), (qty(6), qty(0)));
    assert!(
        stock::discrepancies(&s.t.db, s.t.org_id)
            .await
            .expect("check")
            .is_empty()
    );
    s.t.drop().await;
}

#[tokio::test]
async fn a_pick_short_of_stock_is_refused_naming_the_sku_and_stays_a_draft() {
    let s = shop("sale_pick_short").await;
    let tee = s.stocked("TEE", 1).await;
    let sale = s.authorised_sale(vec![line(tee, 2, dec!(10))]).await;
    let err = sales::authorise_pick(&s.t.db, s.t.org_id, sale)
        .await
        .expect_err("short");
    let (_, code, message) = error(err);
    assert_eq!(code, ErrorCode::OutOfRange);
    assert!(message.contains("TEE"), "{message}");
    let opened = sales::create_pick(&s.t.db, s.t.org_id, sale)
        .await
        .expect("draft pick");
    assert_eq!(opened.fulfilments.len(), 1);
    assert_eq!(
        opened.fulfilments[0].fulfilment.pick_status,
        StageStatus::Draft
    );
    assert_eq!(opened.fulfilments[0].lines[0].quantity, qty(2));
    assert_eq!(opened.status(), sales::SaleStatus::Picking);
    let level = s.level(tee).await;
    assert_eq!((level.on_hand, level.allocated), (qty(1), qty(2)));
    s.t.drop().await;
}

#[tokio::test]
async fn a_pick_needs_an_authorised_order() {
    let s = shop("sale_pick_draft").await;
    let tee = s.stocked("TEE", 5).await;
    let sale = sales::create_sale(&s.t.db, s.t.org_id, s.draft(vec![line(tee, 1, dec!(1))]))
        .await
        .expect("draft");
    let err = sales::authorise_pick(&s.t.db, s.t.org_id, sale.sale.id)
        .await
        .expect_err("draft order");
    assert_eq!(error(err).1, ErrorCode::InvalidCombination);
    s.t.drop().await;
}

#[tokio::test]
async fn pack_needs_an_authorised_pick_and_ship_an_authorised_pack() {
    let s = shop("sale_stages").await;
    let tee = s.stocked("TEE", 5).await;
    let sale = s.authorised_sale(vec![line(tee, 1, dec!(10))]).await;
    let err = sales::authorise_pack(&s.t.db, s.t.org_id, sale)
        .await
        .expect_err("no pick");
    assert_eq!(error(err).1, ErrorCode::InvalidCombination);
    sales::authorise_pick(&s.t.db, s.t.org_id, sale)
        .await
        .expect("picked");
    let err = sales::authorise_ship(&s.t.db, s.t.org_id, sale, Shipment::default())
        .await
        .expect_err("ship before pack");
    assert_eq!(error(err).1, ErrorCode::InvalidCombination);
    sales::authorise_pack(&s.t.db, s.t.org_id, sale)
        .await
        .expect("packed");
    let shipped = sales::authorise_ship(
        &s.t.db,
        s.t.org_id,
        sale,
        Shipment {
            carrier_id: None,
            carrier_name: Some("UPS".into()),
            tracking_numbers: vec!["1Z999".into(), " ".into()],
        },
    )
    .await
    .expect("shipped");
    let fulfilment = &shipped.fulfilments[0].fulfilment;
    assert_eq!(
        (
            fulfilment.pick_status,
            fulfilment.pack_status,
            fulfilment.ship_status
        ),
        (
            StageStatus::Authorised,
            StageStatus::Authorised,
            StageStatus::Authorised
        )
    );
    assert_eq!(fulfilment.carrier_name.as_deref(), Some("UPS"));
    assert_eq!(fulfilment.tracking_numbers, serde_json::json!(["1Z999"]));
    let lifecycle: Vec<&str> = s.sale_events(sale).await.iter().map(|e| e.kind()).collect();
    assert_eq!(
        lifecycle,
        [
            "sale.created",
            "sale.authorised",
            "sale.picked",
            "sale.packed",
            "sale.shipped"
        ]
    );
    let Some(DomainEvent::SaleShipped(shipped)) = s.sale_events(sale).await.pop() else {
        panic!("the last event is the shipment");
    };
    assert_eq!(shipped.fulfilment_id, fulfilment.id);
    assert_eq!(shipped.carrier_name.as_deref(), Some("UPS"));
    assert_eq!(
        shipped.tracking_numbers,
        ["1Z999"],
        "what a shipment export sends"
    );
    s.t.drop().await;
}

#[tokio::test]
async fn an_invoice_needs_an_authorised_order_and_payments_covering_it_make_it_paid() {
    let s = shop("sale_invoice").await;
    let tee = s.stocked("TEE", 5).await;
    let draft = sales::create_sale(&s.t.db, s.t.org_id, s.draft(vec![line(tee, 2, dec!(25))]))
        .await
        .expect("draft");
    let err = sales::create_invoice(&s.t.db, s.t.org_id, draft.sale.id)
        .await
        .expect_err("draft order");
    assert_eq!(error(err).1, ErrorCode::InvalidCombination);
    sales::authorise_order(&s.t.db, s.t.org_id, draft.sale.id)
        .await
        .expect("authorised");
    let invoiced = sales::create_invoice(&s.t.db, s.t.org_id, draft.sale.id)
        .await
        .expect("invoice");
    assert_eq!(invoiced.invoices[0].invoice.number, "INV-00001");
    assert_eq!(invoiced.invoices[0].invoice.total, dec!(50));
    let invoice = &invoiced.invoices[0].invoice;
    assert_eq!(
        invoice.due_date,
        Some(invoice.invoice_date + chrono::Days::new(30)),
        "due by the organisation's default term, 30 days"
    );
    sales::authorise_invoice(&s.t.db, s.t.org_id, draft.sale.id)
        .await
        .expect("authorised invoice");

    let bank = s.t.account("1200").await;
    let pay = |amount: Decimal, account: Uuid| Payment {
        account_id: account,
        amount,
        paid_on: chrono::Utc::now().date_naive(),
        reference: Some("chq 42".into()),
    };
    let err = sales::add_payment(
        &s.t.db,
        s.t.org_id,
        draft.sale.id,
        pay(dec!(10), s.t.account("4000").await),
    )
    .await
    .expect_err("a revenue account takes no payments");
    assert_eq!(
        error(err),
        (
            "accountId".into(),
            ErrorCode::InvalidCombination,
            error_message_of_revenue()
        )
    );
    let part = sales::add_payment(&s.t.db, s.t.org_id, draft.sale.id, pay(dec!(20), bank))
        .await
        .expect("part");
    assert_eq!(
        part.invoices[0].invoice.status,
        SaleInvoiceStatus::Authorised
    );
    let err = sales::add_payment(&s.t.db, s.t.org_id, draft.sale.id, pay(dec!(31), bank))
        .await
        .expect_err("more than outstanding");
    assert_eq!(error(err).1, ErrorCode::OutOfRange);
    let paid = sales::add_payment(&s.t.db, s.t.org_id, draft.sale.id, pay(dec!(30), bank))
        .await
        .expect("rest");
    assert_eq!(paid.invoices[0].invoice.status, SaleInvoiceStatus::Paid);
    assert_eq!(paid.invoices[0].payments.len(), 2);
    assert_eq!(
        paid.status(),
        sales::SaleStatus::Ordered,
        "paid but not shipped"
    );
    s.t.drop().await;
}

fn error_message_of_revenue() -> String {
    "account 4000 Sales cannot receive payments".into()
}

#[tokio::test]
async fn voiding_reverses_allocations_and_picked_stock_and_keeps_the_sale() {
    let s = shop("sale_void").await;
    let tee = s.stocked("TEE", 10).await;
    let mug = s.stocked("MUG", 10).await;
    let picked = s.authorised_sale(vec![line(tee, 3, dec!(10))]).await;
    sales::authorise_pick(&s.t.db, s.t.org_id, picked)
        .await
        .expect("picked");
    let allocated = s.authorised_sale(vec![line(mug, 4, dec!(5))]).await;

    let voided = sales::void_sale(&s.t.db, s.t.org_id, picked)
        .await
        .expect("voided");
    assert_eq!(voided.sale.order_status, OrderStatus::Voided);
    assert_eq!(voided.status(), sales::SaleStatus::Voided);
    assert_eq!(
        voided.fulfilments[0].fulfilment.pick_status,
        StageStatus::Voided
    );
    sales::void_sale(&s.t.db, s.t.org_id, allocated)
        .await
        .expect("voided");
    for product in [tee, mug] {
        let level = s.level(product).await;
        assert_eq!((level.on_hand, level.allocated), (qty(10), qty(0)));
    }
    let err = sales::void_sale(&s.t.db, s.t.org_id, picked)
        .await
        .expect_err("twice");
    assert_eq!(error(err).1, ErrorCode::InvalidCombination);
    assert!(
        sales::sale(&s.t.db, s.t.org_id, picked).await.is_ok(),
        "kept for reconciliation"
    );
    assert!(
        stock::discrepancies(&s.t.db, s.t.org_id)
            .await
            .expect("check")
            .is_empty()
    );
    s.t.drop().await;
}

#[tokio::test]
async fn a_sale_with_payments_is_not_voided() {
    let s = shop("sale_void_paid").await;
    let tee = s.stocked("TEE", 10).await;
    let sale = s.authorised_sale(vec![line(tee, 1, dec!(10))]).await;
    sales::create_invoice(&s.t.db, s.t.org_id, sale)
        .await
        .expect("invoice");
    sales::authorise_invoice(&s.t.db, s.t.org_id, sale)
        .await
        .expect("authorised");
    let bank = s.t.account("1200").await;
    sales::add_payment(
        &s.t.db,
        s.t.org_id,
        sale,
        Payment {
            account_id: bank,
            amount: dec!(10),
            paid_on: chrono::Utc::now().date_naive(),
            reference: None,
        },
    )
    .await
    .expect("paid");
    let err = sales::void_sale(&s.t.db, s.t.org_id, sale)
        .await
        .expect_err("money received");
    assert_eq!(error(err).1, ErrorCode::InvalidCombination);
    assert_eq!(s.level(tee).await.allocated, qty(1));
    s.t.drop().await;
}

#[tokio::test]
async fn sale_numbers_follow_each_other_per_organisation() {
    let s = shop("sale_numbers").await;
    let tee = s.stocked("TEE", 0).await;
    let mut numbers = Vec::new();
    for _ in 0..3 {
        numbers.push(
            sales::create_sale(&s.t.db, s.t.org_id, s.draft(vec![line(tee, 1, dec!(1))]))
                .await
                .expect("sale")
                .sale
                .number,
        );
    }
    assert_eq!(numbers, ["SO-00001", "SO-00002", "SO-00003"]);
    s.t.drop().await;
}

impl Shop {
    /// An authorised, invoiced (authorised invoice) sale; shipped when `ship`.
    async fn invoiced_sale(&self, lines: Vec<LineDraft>, ship: bool) -> sales::SaleRecord {
        let sale = self.authorised_sale(lines).await;
        if ship {
            sales::authorise_pick(&self.t.db, self.t.org_id, sale)
                .await
                .expect("picked");
            sales::authorise_pack(&self.t.db, self.t.org_id, sale)
                .await
                .expect("packed");
            sales::authorise_ship(&self.t.db, self.t.org_id, sale, Shipment::default())
                .await
                .expect("shipped");
        }
        sales::create_invoice(&self.t.db, self.t.org_id, sale)
            .await
            .expect("invoice");
        sales::authorise_invoice(&self.t.db, self.t.org_id, sale)
            .await
            .expect("authorised")
    }
}

fn credit(record: &sales::SaleRecord, quantity: i64) -> sales::CreditLine {
    sales::CreditLine {
        sale_line_id: record.lines[0].id,
        quantity: qty(quantity),
        price: None,
    }
}

#[tokio::test]
async fn a_credit_note_needs_an_authorised_or_paid_invoice() {
    let s = shop("credit_needs_invoice").await;
    let tee = s.stocked("TEE", 5).await;
    let sale = s.authorised_sale(vec![line(tee, 1, dec!(10))]).await;
    let record = sales::sale(&s.t.db, s.t.org_id, sale).await.expect("read");
    let err = sales::create_credit_note(
        &s.t.db,
        s.t.org_id,
        sale,
        sales::CreditNoteDraft {
            lines: vec![credit(&record, 1)],
            ..Default::default()
        },
    )
    .await
    .expect_err("not invoiced");
    assert_eq!(error(err).1, ErrorCode::InvalidCombination);
    s.t.drop().await;
}

#[tokio::test]
async fn a_credit_note_credits_at_most_what_was_invoiced_and_not_yet_credited() {
    let s = shop("credit_limit").await;
    let tee = s.stocked("TEE", 5).await;
    let record = s.invoiced_sale(vec![line(tee, 3, dec!(10))], false).await;
    let sale = record.sale.id;
    let err = sales::create_credit_note(
        &s.t.db,
        s.t.org_id,
        sale,
        sales::CreditNoteDraft {
            lines: vec![credit(&record, 4)],
            ..Default::default()
        },
    )
    .await
    .expect_err("more than invoiced");
    assert_eq!(error(err).0, "lines.0.quantity");
    let first = sales::create_credit_note(
        &s.t.db,
        s.t.org_id,
        sale,
        sales::CreditNoteDraft {
            lines: vec![credit(&record, 2)],
            ..Default::default()
        },
    )
    .await
    .expect("two of three");
    assert_eq!(first.credit_notes[0].credit_note.total, dec!(20));
    let err = sales::create_credit_note(
        &s.t.db,
        s.t.org_id,
        sale,
        sales::CreditNoteDraft {
            lines: vec![credit(&record, 2)],
            ..Default::default()
        },
    )
    .await
    .expect_err("only one left");
    assert_eq!(error(err).1, ErrorCode::OutOfRange);
    s.t.drop().await;
}

#[tokio::test]
async fn a_restock_is_limited_to_what_was_shipped() {
    let s = shop("credit_restock_unshipped").await;
    let tee = s.stocked("TEE", 5).await;
    let record = s.invoiced_sale(vec![line(tee, 2, dec!(10))], false).await;
    let err = sales::create_credit_note(
        &s.t.db,
        s.t.org_id,
        record.sale.id,
        sales::CreditNoteDraft {
            lines: vec![credit(&record, 2)],
            restock: vec![sales::RestockLine {
                sale_line_id: record.lines[0].id,
                quantity: qty(2),
                location_id: s.location,
            }],
            ..Default::default()
        },
    )
    .await
    .expect_err("nothing shipped");
    assert_eq!(error(err).0, "restock.0.quantity");
    s.t.drop().await;
}

#[tokio::test]
async fn an_authorised_credit_note_restocks_at_the_chosen_location_and_records_its_refund() {
    let s = shop("credit_restock").await;
    let tee = s.stocked("TEE", 5).await;
    let returns = s.t.location("Returns bay").await;
    let record = s.invoiced_sale(vec![line(tee, 2, dec!(10))], true).await;
    assert_eq!(s.level(tee).await.on_hand, qty(3));
    let bank = s.t.account("1200").await;
    let drafted = sales::create_credit_note(
        &s.t.db,
        s.t.org_id,
        record.sale.id,
        sales::CreditNoteDraft {
            lines: vec![credit(&record, 1)],
            adjustments: vec![("Shipping refund".into(), dec!(2.5))],
            restock: vec![sales::RestockLine {
                sale_line_id: record.lines[0].id,
                quantity: qty(1),
                location_id: returns,
            }],
            refunds: vec![sales::Refund {
                account_id: bank,
                amount: dec!(12.5),
                refunded_on: chrono::Utc::now().date_naive(),
                reference: None,
            }],
            external_id: Some("creditmemo-7".into()),
            credit_date: None,
        },
    )
    .await
    .expect("drafted");
    let note = &drafted.credit_notes[0];
    assert_eq!(note.credit_note.total, dec!(12.5));
    assert_eq!(
        s.level(tee).await.on_hand,
        qty(3),
        "a draft restocks nothing yet"
    );

    let authorised =
        sales::authorise_credit_note(&s.t.db, s.t.org_id, record.sale.id, note.credit_note.id)
            .await
            .expect("authorised");
    assert_eq!(authorised.credit_notes[0].refunds.len(), 1);
    assert_eq!(authorised.status(), sales::SaleStatus::Credited);
    assert!(
        s.sale_events(record.sale.id)
            .await
            .contains(&DomainEvent::CreditNoteAuthorised(
                domain::events::CreditNoteRef {
                    sale_id: record.sale.id,
                    credit_note_id: note.credit_note.id,
                }
            )),
        "the refund side's trigger is in the log"
    );
    let back = stock::availability(&s.t.db, s.t.org_id, tee, Some(returns))
        .await
        .expect("read");
    assert_eq!(back.on_hand, qty(1));
    let err = sales::void_sale(&s.t.db, s.t.org_id, record.sale.id)
        .await
        .expect_err("credited");
    assert_eq!(error(err).1, ErrorCode::InvalidCombination);
    assert!(
        stock::discrepancies(&s.t.db, s.t.org_id)
            .await
            .expect("check")
            .is_empty()
    );
    s.t.drop().await;
}

#[tokio::test]
async fn refunds_cannot_exceed_the_credit_note() {
    let s = shop("credit_refund_limit").await;
    let tee = s.stocked("TEE", 5).await;
    let record = s.invoiced_sale(vec![line(tee, 1, dec!(10))], false).await;
    let bank = s.t.account("1200").await;
    let err = sales::create_credit_note(
        &s.t.db,
        s.t.org_id,
        record.sale.id,
        sales::CreditNoteDraft {
            lines: vec![credit(&record, 1)],
            refunds: vec![sales::Refund {
                account_id: bank,
                amount: dec!(11),
                refunded_on: chrono::Utc::now().date_naive(),
                reference: None,
            }],
            ..Default::default()
        },
    )
    .await
    .expect_err("too much");
    assert_eq!(error(err).0, "refunds.0.amount");
    s.t.drop().await;
}

use domain::entities::enums::{AutoAssemblyMode, FulfilmentMode};
use domain::products::{ComponentLine, ProductDraft};
use domain::sales::{Advanced, Processing};

fn processing(mode: FulfilmentMode, auto_assembly: AutoAssemblyMode) -> Processing {
    Processing {
        mode,
        auto_assembly,
        shipment: Shipment {
            carrier_id: None,
            carrier_name: Some("DHL".into()),
            tracking_numbers: vec!["JD0001".into()],
        },
    }
}

impl Shop {
    async fn draft_sale(&self, lines: Vec<LineDraft>) -> Uuid {
        sales::create_sale(&self.t.db, self.t.org_id, self.draft(lines))
            .await
            .expect("sale")
            .sale
            .id
    }

    async fn advance(
        &self,
        sale: Uuid,
        mode: FulfilmentMode,
        assembly: AutoAssemblyMode,
    ) -> (sales::SaleRecord, Advanced) {
        sales::advance(&self.t.db, self.t.org_id, sale, &processing(mode, assembly))
            .await
            .expect("advanced")
    }

    /// A kit made of two `PART`s (with `part_on_hand` of them in stock), auto-assembled.
    async fn kit(&self, part_on_hand: i64) -> (Uuid, Uuid) {
        let part = self.stocked("PART", part_on_hand).await;
        let kit = domain::products::create_product(
            &self.t.db,
            self.t.org_id,
            ProductDraft {
                sku: Some("KIT".into()),
                name: Some("Kit".into()),
                components: Some(vec![ComponentLine {
                    component_id: part,
                    quantity: qty(2),
                }]),
                auto_assembly: Some(true),
                ..ProductDraft::default()
            },
        )
        .await
        .expect("kit")
        .product
        .id;
        (kit, part)
    }
}

#[tokio::test]
async fn draft_order_mode_leaves_the_sale_a_draft_and_no_picking_only_authorises_it() {
    let s = shop("process_draft").await;
    let tee = s.stocked("TEE", 5).await;
    let sale = s.draft_sale(vec![line(tee, 1, dec!(10))]).await;
    let (record, outcome) = s
        .advance(
            sale,
            FulfilmentMode::DraftOrder,
            AutoAssemblyMode::ForOrderedQuantity,
        )
        .await;
    assert_eq!(
        (record.sale.order_status, outcome),
        (OrderStatus::Draft, Advanced::Done)
    );
    let (record, _) = s
        .advance(
            sale,
            FulfilmentMode::NoPicking,
            AutoAssemblyMode::ForOrderedQuantity,
        )
        .await;
    assert_eq!(record.sale.order_status, OrderStatus::Authorised);
    assert!(record.fulfilments.is_empty());
    assert_eq!(s.level(tee).await.allocated, qty(1));
    s.t.drop().await;
}

#[tokio::test]
async fn auto_pick_pack_ship_takes_the_sale_through_every_stage_with_its_carrier() {
    let s = shop("process_ship").await;
    let tee = s.stocked("TEE", 5).await;
    let sale = s.draft_sale(vec![line(tee, 2, dec!(10))]).await;
    let (record, outcome) = s
        .advance(
            sale,
            FulfilmentMode::AutoPickPackShip,
            AutoAssemblyMode::ForOrderedQuantity,
        )
        .await;
    assert_eq!(outcome, Advanced::Done);
    let fulfilment = &record.fulfilments[0].fulfilment;
    assert_eq!(fulfilment.ship_status, StageStatus::Authorised);
    assert_eq!(fulfilment.carrier_name.as_deref(), Some("DHL"));
    let level = s.level(tee).await;
    assert_eq!((level.on_hand, level.allocated), (qty(3), qty(0)));
    s.t.drop().await;
}

#[tokio::test]
async fn auto_pick_stops_with_a_draft_pick_when_stock_is_short() {
    let s = shop("process_short").await;
    let tee = s.stocked("TEE", 1).await;
    let sale = s.draft_sale(vec![line(tee, 3, dec!(10))]).await;
    let (record, outcome) = s
        .advance(
            sale,
            FulfilmentMode::AutoPickPackShip,
            AutoAssemblyMode::ForOrderedQuantity,
        )
        .await;
    let Advanced::StockShort(reason) = outcome else {
        panic!("expected a shortage")
    };
    assert!(reason.contains("TEE"), "{reason}");
    assert_eq!(record.sale.order_status, OrderStatus::Authorised);
    assert_eq!(
        record.fulfilments[0].fulfilment.pick_status,
        StageStatus::Draft
    );
    assert_eq!(
        record.fulfilments[0].fulfilment.pack_status,
        StageStatus::NotStarted
    );
    let level = s.level(tee).await;
    assert_eq!((level.on_hand, level.allocated), (qty(1), qty(3)));
    s.t.drop().await;
}

#[tokio::test]
async fn an_assembly_consumes_components_and_produces_the_product() {
    let s = shop("assembly").await;
    let (kit, part) = s.kit(10).await;
    sales::assemble(&s.t.db, s.t.org_id, kit, s.location, qty(3))
        .await
        .expect("assembled");
    assert_eq!(s.level(part).await.on_hand, qty(4));
    assert_eq!(s.level(kit).await.on_hand, qty(3));
    let err = sales::assemble(&s.t.db, s.t.org_id, kit, s.location, qty(3))
        .await
        .expect_err("short");
    let (_, code, message) = error(err);
    assert_eq!(code, ErrorCode::OutOfRange);
    assert!(message.contains("PART"), "{message}");
    assert_eq!(
        s.level(part).await.on_hand,
        qty(4),
        "a short assembly changes nothing"
    );
    assert!(
        stock::discrepancies(&s.t.db, s.t.org_id)
            .await
            .expect("check")
            .is_empty()
    );
    s.t.drop().await;
}

#[tokio::test]
async fn auto_assembly_for_ordered_quantity_builds_what_was_ordered_then_picks_it() {
    let s = shop("auto_assembly_ordered").await;
    let (kit, part) = s.kit(20).await;
    stock::adjust(&s.t.db, s.t.org_id, kit, s.location, qty(5), "count")
        .await
        .expect("kits");
    let sale = s.draft_sale(vec![line(kit, 3, dec!(40))]).await;
    let (_, outcome) = s
        .advance(
            sale,
            FulfilmentMode::AutoPick,
            AutoAssemblyMode::ForOrderedQuantity,
        )
        .await;
    assert_eq!(outcome, Advanced::Done);
    assert_eq!(
        s.level(part).await.on_hand,
        qty(14),
        "3 kits built whatever the stock"
    );
    assert_eq!(s.level(kit).await.on_hand, qty(5));
    s.t.drop().await;
}

#[tokio::test]
async fn auto_assembly_for_minimum_required_builds_only_the_shortfall() {
    let s = shop("auto_assembly_min").await;
    let (kit, part) = s.kit(20).await;
    stock::adjust(&s.t.db, s.t.org_id, kit, s.location, qty(1), "count")
        .await
        .expect("one kit");
    let sale = s.draft_sale(vec![line(kit, 3, dec!(40))]).await;
    s.advance(
        sale,
        FulfilmentMode::AutoPick,
        AutoAssemblyMode::ForMinimumRequired,
    )
    .await;
    assert_eq!(s.level(part).await.on_hand, qty(16), "two kits built");
    assert_eq!(s.level(kit).await.on_hand, qty(0));

    let plenty = s.draft_sale(vec![line(kit, 1, dec!(40))]).await;
    stock::adjust(&s.t.db, s.t.org_id, kit, s.location, qty(4), "count")
        .await
        .expect("kits");
    s.advance(
        plenty,
        FulfilmentMode::AutoPick,
        AutoAssemblyMode::ForMinimumRequired,
    )
    .await;
    assert_eq!(
        s.level(part).await.on_hand,
        qty(16),
        "enough kits: nothing built"
    );
    s.t.drop().await;
}

#[tokio::test]
async fn auto_assembly_for_minimum_required_with_negative_availability_builds_more_than_ordered() {
    let s = shop("auto_assembly_negative").await;
    let (kit, part) = s.kit(20).await;
    // Another order holds two kits that do not exist yet: availability −2.
    s.authorised_sale(vec![line(kit, 2, dec!(40))]).await;
    let sale = s.draft_sale(vec![line(kit, 3, dec!(40))]).await;
    let (_, outcome) = s
        .advance(
            sale,
            FulfilmentMode::AutoPick,
            AutoAssemblyMode::ForMinimumRequired,
        )
        .await;
    assert_eq!(outcome, Advanced::Done);
    assert_eq!(
        s.level(part).await.on_hand,
        qty(10),
        "five kits built for an order of three"
    );
    let level = s.level(kit).await;
    assert_eq!((level.on_hand, level.allocated), (qty(2), qty(2)));
    s.t.drop().await;
}

#[tokio::test]
async fn auto_assembly_short_of_components_stops_with_a_draft_pick() {
    let s = shop("auto_assembly_short").await;
    let (kit, part) = s.kit(3).await;
    let sale = s.draft_sale(vec![line(kit, 2, dec!(40))]).await;
    let (record, outcome) = s
        .advance(
            sale,
            FulfilmentMode::AutoPickPack,
            AutoAssemblyMode::ForOrderedQuantity,
        )
        .await;
    assert!(
        matches!(outcome, Advanced::StockShort(ref why) if why.contains("PART")),
        "{outcome:?}"
    );
    assert_eq!(
        record.fulfilments[0].fulfilment.pick_status,
        StageStatus::Draft
    );
    assert_eq!(s.level(part).await.on_hand, qty(3));
    s.t.drop().await;
}

#[tokio::test]
async fn a_tax_inclusive_sale_takes_its_tax_out_of_the_prices_not_on_top() {
    let s = shop("sale_tax_inclusive").await;
    let tee = s.stocked("TEE", 0).await;
    let rule = s.t.tax_rule("GST 10%", dec!(10)).await;
    let sale = sales::create_sale(
        &s.t.db,
        s.t.org_id,
        SaleDraft {
            tax_inclusive: true,
            lines: vec![LineDraft {
                tax_rule_id: Some(rule),
                ..line(tee, 1, dec!(110))
            }],
            ..s.draft(vec![])
        },
    )
    .await
    .expect("sale");
    assert_eq!(sale.lines[0].tax_amount, dec!(10));
    assert_eq!(sale.sale.tax_total, dec!(10));
    assert_eq!(
        sale.sale.total,
        dec!(110),
        "the customer pays the price as shown"
    );
    s.t.drop().await;
}
