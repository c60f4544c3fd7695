//! Reference books: what a create or an update of a location, price tier, tax rule,
//! account, payment term or carrier accepts and refuses.

mod common;

use chrono::NaiveDate;
use common::{TestDb, user_errors as errors};
use domain::entities::enums::AccountKind;
use domain::entities::payment_term::PaymentTermMethod;
use domain::reference::{
    self, AccountDraft, CarrierDraft, LocationDraft, PaymentTermDraft, TaxRuleDraft,
};
use domain::{DomainError, ErrorCode};
use rust_decimal::Decimal;

fn named(name: &str) -> LocationDraft {
    LocationDraft {
        name: Some(name.to_owned()),
        ..LocationDraft::default()
    }
}

fn term(name: &str, method: PaymentTermMethod, days: Option<i32>) -> PaymentTermDraft {
    PaymentTermDraft {
        name: Some(name.to_owned()),
        method: Some(method),
        days: Some(days),
        is_default: None,
    }
}

fn liability(code: &str, name: &str) -> AccountDraft {
    AccountDraft {
        code: Some(code.to_owned()),
        name: Some(name.to_owned()),
        kind: Some(AccountKind::Liability),
        can_receive_payments: Some(true),
        is_gift_card_liability: Some(false),
    }
}

#[tokio::test]
async fn a_new_organisation_has_a_default_term_a_gift_card_account_and_local_pickup() {
    let t = TestDb::new("ref_seed").await;
    let term = reference::default_payment_term(&t.db, t.org_id)
        .await
        .expect("read")
        .expect("a default term");
    assert_eq!(
        (term.method, term.days),
        (PaymentTermMethod::DaysAfterInvoice, Some(30))
    );
    let gift = reference::account_by_code(&t.db, t.org_id, "2300")
        .await
        .expect("read")
        .expect("2300");
    assert!(gift.is_gift_card_liability);
    let pickup = reference::carrier_by_name(&t.db, t.org_id, "local pickup")
        .await
        .expect("read");
    assert!(pickup.is_some());
    t.drop().await;
}

#[tokio::test]
async fn a_duplicate_name_is_refused_in_every_book_without_regard_to_case() {
    let t = TestDb::new("ref_duplicates").await;
    let location = reference::create_location(&t.db, t.org_id, named("main warehouse"))
        .await
        .expect_err("taken");
    assert_eq!(
        errors(location),
        vec![("name".into(), ErrorCode::AlreadyExists)]
    );
    let rule = reference::create_tax_rule(
        &t.db,
        t.org_id,
        TaxRuleDraft {
            name: Some("TAX FREE".into()),
            rate: Some(Decimal::ZERO),
            is_tax_free: Some(true),
        },
    )
    .await
    .expect_err("taken");
    assert_eq!(
        errors(rule),
        vec![("name".into(), ErrorCode::AlreadyExists)]
    );
    let account = reference::create_account(&t.db, t.org_id, liability("2300", "sales"))
        .await
        .expect_err("taken");
    assert_eq!(
        errors(account),
        vec![
            ("code".into(), ErrorCode::AlreadyExists),
            ("name".into(), ErrorCode::AlreadyExists)
        ]
    );
    let payment = reference::create_payment_term(
        &t.db,
        t.org_id,
        term("prepaid", PaymentTermMethod::Prepaid, None),
    )
    .await
    .expect_err("taken");
    assert_eq!(
        errors(payment),
        vec![("name".into(), ErrorCode::AlreadyExists)]
    );
    let carrier = reference::create_carrier(
        &t.db,
        t.org_id,
        CarrierDraft {
            name: Some("LOCAL PICKUP".into()),
            ..CarrierDraft::default()
        },
    )
    .await
    .expect_err("taken");
    assert_eq!(
        errors(carrier),
        vec![("name".into(), ErrorCode::AlreadyExists)]
    );
    let tier = reference::rename_price_tier(&t.db, t.org_id, 2, "tier 1")
        .await
        .expect_err("taken");
    assert_eq!(
        errors(tier),
        vec![("name".into(), ErrorCode::AlreadyExists)]
    );
    t.drop().await;
}

#[tokio::test]
async fn another_organisation_may_use_the_same_names() {
    let t = TestDb::new("ref_other_org").await;
    let other = domain::auth::ensure_organization(&t.db, "Other Org")
        .await
        .expect("org");
    reference::create_location(&t.db, other.id, named("Annex"))
        .await
        .expect("other org");
    reference::create_location(&t.db, t.org_id, named("Annex"))
        .await
        .expect("same name in this org");
    t.drop().await;
}

#[tokio::test]
async fn renaming_a_record_to_its_own_name_in_another_case_is_allowed() {
    let t = TestDb::new("ref_rename_self").await;
    let annex = reference::create_location(&t.db, t.org_id, named("Annex"))
        .await
        .expect("created");
    let renamed = reference::update_location(&t.db, t.org_id, annex.id, named("ANNEX"))
        .await
        .expect("renamed");
    assert_eq!(renamed.name, "ANNEX");
    t.drop().await;
}

#[tokio::test]
async fn making_a_location_the_default_moves_the_flag_and_unsetting_it_is_refused() {
    let t = TestDb::new("ref_location_default").await;
    let main = reference::default_location(&t.db, t.org_id)
        .await
        .expect("default");
    let annex = reference::create_location(
        &t.db,
        t.org_id,
        LocationDraft {
            is_default: Some(true),
            city: Some(Some(" Leeds ".into())),
            country: Some(Some("gb".into())),
            ..named("Annex")
        },
    )
    .await
    .expect("created");
    assert!(annex.is_default);
    assert_eq!(
        (annex.city.as_deref(), annex.country.as_deref()),
        (Some("Leeds"), Some("GB"))
    );
    let main = reference::location(&t.db, t.org_id, main.id)
        .await
        .expect("main");
    assert!(!main.is_default);

    let refused = reference::update_location(
        &t.db,
        t.org_id,
        annex.id,
        LocationDraft {
            is_default: Some(false),
            ..LocationDraft::default()
        },
    )
    .await
    .expect_err("the only default");
    assert_eq!(
        errors(refused),
        vec![("isDefault".into(), ErrorCode::InvalidCombination)]
    );
    t.drop().await;
}

#[tokio::test]
async fn a_bad_location_update_reports_every_problem_and_saves_nothing() {
    let t = TestDb::new("ref_location_bad").await;
    let annex = reference::create_location(&t.db, t.org_id, named("Annex"))
        .await
        .expect("created");
    let err = reference::update_location(
        &t.db,
        t.org_id,
        annex.id,
        LocationDraft {
            name: Some("Main Warehouse".into()),
            city: Some(Some("York".into())),
            country: Some(Some("England".into())),
            ..LocationDraft::default()
        },
    )
    .await
    .expect_err("bad");
    assert_eq!(
        errors(err),
        vec![
            ("address.country".into(), ErrorCode::Invalid),
            ("name".into(), ErrorCode::AlreadyExists)
        ]
    );
    let unchanged = reference::location(&t.db, t.org_id, annex.id)
        .await
        .expect("read");
    assert_eq!(unchanged, annex);
    t.drop().await;
}

#[tokio::test]
async fn a_price_tier_outside_1_to_10_is_refused() {
    let t = TestDb::new("ref_tier_range").await;
    let err = reference::rename_price_tier(&t.db, t.org_id, 11, "Eleven")
        .await
        .expect_err("out of range");
    assert_eq!(errors(err), vec![("tier".into(), ErrorCode::OutOfRange)]);
    let renamed = reference::rename_price_tier(&t.db, t.org_id, 3, " Wholesale ")
        .await
        .expect("renamed");
    assert_eq!(renamed.name, "Wholesale");
    let tiers = reference::price_tiers(&t.db, t.org_id).await.expect("read");
    assert_eq!(tiers.len(), 10);
    assert_eq!(tiers[2].name, "Wholesale");
    t.drop().await;
}

#[tokio::test]
async fn a_tax_free_rule_keeps_rate_zero_through_an_update() {
    let t = TestDb::new("ref_tax_free").await;
    let rule = reference::create_tax_rule(
        &t.db,
        t.org_id,
        TaxRuleDraft {
            name: Some("VAT 20".into()),
            rate: Some(Decimal::from(20)),
            is_tax_free: Some(false),
        },
    )
    .await
    .expect("created");
    let err = reference::update_tax_rule(
        &t.db,
        t.org_id,
        rule.id,
        TaxRuleDraft {
            is_tax_free: Some(true),
            ..TaxRuleDraft::default()
        },
    )
    .await
    .expect_err("rate 20 is not tax free");
    assert_eq!(
        errors(err),
        vec![("isTaxFree".into(), ErrorCode::InvalidCombination)]
    );
    let err = reference::update_tax_rule(
        &t.db,
        t.org_id,
        rule.id,
        TaxRuleDraft {
            rate: Some(Decimal::from(101)),
            ..TaxRuleDraft::default()
        },
    )
    .await
    .expect_err("over 100 %");
    assert_eq!(errors(err), vec![("rate".into(), ErrorCode::OutOfRange)]);
    let updated = reference::update_tax_rule(
        &t.db,
        t.org_id,
        rule.id,
        TaxRuleDraft {
            name: Some("VAT standard".into()),
            rate: Some(Decimal::new(175, 1)),
            ..TaxRuleDraft::default()
        },
    )
    .await
    .expect("updated");
    assert_eq!(updated.name, "VAT standard");
    assert_eq!(updated.rate, Decimal::new(175, 1));
    t.drop().await;
}

#[tokio::test]
async fn the_gift_card_flag_is_only_allowed_on_liability_accounts() {
    let t = TestDb::new("ref_gift_card_flag").await;
    let err = reference::create_account(
        &t.db,
        t.org_id,
        AccountDraft {
            kind: Some(AccountKind::Revenue),
            is_gift_card_liability: Some(true),
            ..liability("4100", "Gift Sales")
        },
    )
    .await
    .expect_err("revenue");
    assert_eq!(
        errors(err),
        vec![("isGiftCardLiability".into(), ErrorCode::InvalidCombination)]
    );
    let gift = reference::create_account(
        &t.db,
        t.org_id,
        AccountDraft {
            is_gift_card_liability: Some(true),
            ..liability("2310", "Store Credit")
        },
    )
    .await
    .expect("a liability may hold gift cards");
    assert!(gift.is_gift_card_liability);
    let err = reference::update_account(
        &t.db,
        t.org_id,
        gift.id,
        AccountDraft {
            kind: Some(AccountKind::Asset),
            ..AccountDraft::default()
        },
    )
    .await
    .expect_err("stops being a liability while flagged");
    assert_eq!(
        errors(err),
        vec![("kind".into(), ErrorCode::InvalidCombination)]
    );
    t.drop().await;
}

#[tokio::test]
async fn a_gift_card_account_must_be_able_to_receive_payments() {
    let t = TestDb::new("ref_gift_card_payments").await;
    let err = reference::create_account(
        &t.db,
        t.org_id,
        AccountDraft {
            can_receive_payments: Some(false),
            is_gift_card_liability: Some(true),
            ..liability("2310", "Store Credit")
        },
    )
    .await
    .expect_err("no payments");
    assert_eq!(
        errors(err),
        vec![("isGiftCardLiability".into(), ErrorCode::RequiresSetting)]
    );
    t.drop().await;
}

#[tokio::test]
async fn an_account_update_changes_only_the_fields_given() {
    let t = TestDb::new("ref_account_update").await;
    let account = reference::create_account(&t.db, t.org_id, liability("2400", "Deposits"))
        .await
        .expect("created");
    let updated = reference::update_account(
        &t.db,
        t.org_id,
        account.id,
        AccountDraft {
            name: Some("Customer Deposits".into()),
            ..AccountDraft::default()
        },
    )
    .await
    .expect("updated");
    assert_eq!(updated.name, "Customer Deposits");
    assert_eq!(
        (
            updated.code.as_str(),
            updated.kind,
            updated.can_receive_payments
        ),
        ("2400", AccountKind::Liability, true)
    );
    t.drop().await;
}

#[tokio::test]
async fn a_day_based_payment_term_needs_days_in_range_and_prepaid_has_none() {
    let t = TestDb::new("ref_term_days").await;
    let missing = reference::create_payment_term(
        &t.db,
        t.org_id,
        term("Net", PaymentTermMethod::DaysAfterInvoice, None),
    )
    .await
    .expect_err("no days");
    assert_eq!(
        errors(missing),
        vec![("days".into(), ErrorCode::RequiresSetting)]
    );
    let out_of_range = reference::create_payment_term(
        &t.db,
        t.org_id,
        term("32nd", PaymentTermMethod::DayOfNextMonth, Some(32)),
    )
    .await
    .expect_err("no 32nd");
    assert_eq!(
        errors(out_of_range),
        vec![("days".into(), ErrorCode::OutOfRange)]
    );
    let prepaid_days = reference::create_payment_term(
        &t.db,
        t.org_id,
        term("Upfront", PaymentTermMethod::Prepaid, Some(3)),
    )
    .await
    .expect_err("prepaid has no days");
    assert_eq!(
        errors(prepaid_days),
        vec![("days".into(), ErrorCode::InvalidCombination)]
    );
    let twentieth = reference::create_payment_term(
        &t.db,
        t.org_id,
        term(
            "20th of next month",
            PaymentTermMethod::DayOfNextMonth,
            Some(20),
        ),
    )
    .await
    .expect("created");
    let invoice = NaiveDate::from_ymd_opt(2026, 11, 27).expect("date");
    assert_eq!(
        reference::due_date(&twentieth, invoice),
        NaiveDate::from_ymd_opt(2026, 12, 20).expect("date")
    );
    t.drop().await;
}

#[tokio::test]
async fn switching_a_term_to_prepaid_drops_its_days() {
    let t = TestDb::new("ref_term_prepaid").await;
    let net = reference::create_payment_term(
        &t.db,
        t.org_id,
        term("Net 14", PaymentTermMethod::DaysAfterInvoice, Some(14)),
    )
    .await
    .expect("created");
    let prepaid = reference::update_payment_term(
        &t.db,
        t.org_id,
        net.id,
        PaymentTermDraft {
            name: Some("Cash in advance".into()),
            method: Some(PaymentTermMethod::Prepaid),
            ..PaymentTermDraft::default()
        },
    )
    .await
    .expect("updated");
    assert_eq!(
        (prepaid.method, prepaid.days),
        (PaymentTermMethod::Prepaid, None)
    );
    let err = reference::update_payment_term(
        &t.db,
        t.org_id,
        net.id,
        PaymentTermDraft {
            method: Some(PaymentTermMethod::DaysAfterInvoice),
            ..PaymentTermDraft::default()
        },
    )
    .await
    .expect_err("back to day-based without days");
    assert_eq!(
        errors(err),
        vec![("method".into(), ErrorCode::RequiresSetting)]
    );
    t.drop().await;
}

#[tokio::test]
async fn a_new_default_payment_term_replaces_the_old_default() {
    let t = TestDb::new("ref_term_default").await;
    let old = reference::default_payment_term(&t.db, t.org_id)
        .await
        .expect("read")
        .expect("seeded default");
    let new = reference::create_payment_term(
        &t.db,
        t.org_id,
        PaymentTermDraft {
            is_default: Some(true),
            ..term("Net 7", PaymentTermMethod::DaysAfterInvoice, Some(7))
        },
    )
    .await
    .expect("created");
    let default = reference::default_payment_term(&t.db, t.org_id)
        .await
        .expect("read")
        .expect("a default");
    assert_eq!(default.id, new.id);
    let old = reference::payment_term(&t.db, t.org_id, old.id)
        .await
        .expect("read");
    assert!(!old.is_default);
    t.drop().await;
}

#[tokio::test]
async fn a_carrier_template_needs_the_placeholder_and_a_magento_code_is_unique() {
    let t = TestDb::new("ref_carrier").await;
    let ups = reference::create_carrier(
        &t.db,
        t.org_id,
        CarrierDraft {
            name: Some("UPS".into()),
            tracking_url_template: Some(Some(
                "https://www.ups.com/track?tracknum={trackingNumber}".into(),
            )),
            magento_carrier_code: Some(Some("ups".into())),
        },
    )
    .await
    .expect("created");
    assert_eq!(
        reference::tracking_url(&ups, "1Z999"),
        Some("https://www.ups.com/track?tracknum=1Z999".into())
    );
    let err = reference::create_carrier(
        &t.db,
        t.org_id,
        CarrierDraft {
            name: Some("UPS Ground".into()),
            tracking_url_template: Some(Some("https://www.ups.com/track".into())),
            magento_carrier_code: Some(Some("UPS".into())),
        },
    )
    .await
    .expect_err("bad");
    assert_eq!(
        errors(err),
        vec![
            ("magentoCarrierCode".into(), ErrorCode::AlreadyExists),
            ("trackingUrlTemplate".into(), ErrorCode::Invalid)
        ]
    );
    let found = reference::carrier_by_magento_code(&t.db, t.org_id, "Ups")
        .await
        .expect("read")
        .expect("found");
    assert_eq!(found.id, ups.id);
    let cleared = reference::update_carrier(
        &t.db,
        t.org_id,
        ups.id,
        CarrierDraft {
            tracking_url_template: Some(None),
            ..CarrierDraft::default()
        },
    )
    .await
    .expect("updated");
    assert_eq!(cleared.tracking_url_template, None);
    assert_eq!(cleared.magento_carrier_code.as_deref(), Some("ups"));
    t.drop().await;
}

#[tokio::test]
async fn another_organisations_reference_record_is_not_found() {
    let t = TestDb::new("ref_not_found").await;
    let other = domain::auth::ensure_organization(&t.db, "Other Org")
        .await
        .expect("org");
    let theirs = reference::create_carrier(
        &t.db,
        other.id,
        CarrierDraft {
            name: Some("DHL".into()),
            ..CarrierDraft::default()
        },
    )
    .await
    .expect("created");
    let err = reference::update_carrier(
        &t.db,
        t.org_id,
        theirs.id,
        CarrierDraft {
            name: Some("Mine".into()),
            ..CarrierDraft::default()
        },
    )
    .await
    .expect_err("not ours");
    assert!(matches!(err, DomainError::NotFound { .. }), "{err}");
    t.drop().await;
}
