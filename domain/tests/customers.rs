//! Customers: what a create or an update accepts and refuses, how lists in an update
//! replace the stored ones, and the lookups the Magento download matches by.

mod common;

use common::{TestDb, user_errors as errors};
use domain::customers::{
    self, AddressDraft, ContactDraft, CustomerDraft, CustomerFilter, ExternalId,
};
use domain::entities::customer::CustomerStatus;
use domain::entities::customer_address::AddressKind;
use domain::entities::enums::AccountKind;
use domain::page::PageRequest;
use domain::reference::{self, AccountDraft};
use domain::{DomainError, ErrorCode};
use uuid::Uuid;

fn named(name: &str) -> CustomerDraft {
    CustomerDraft {
        name: Some(name.to_owned()),
        ..CustomerDraft::default()
    }
}

fn contact(name: &str, email: &str) -> ContactDraft {
    ContactDraft {
        name: Some(name.to_owned()),
        email: Some(email.to_owned()),
        phone: None,
        is_default: false,
    }
}

fn address(kind: AddressKind, line1: &str, country: &str) -> AddressDraft {
    AddressDraft {
        kind,
        company: None,
        line1: line1.to_owned(),
        line2: None,
        city: Some("Springfield".into()),
        region: Some("IL".into()),
        postcode: Some("62701".into()),
        country: country.to_owned(),
    }
}

fn names(page: &domain::page::Page<customers::CustomerRecord>) -> Vec<String> {
    page.items
        .iter()
        .map(|(_, c)| c.customer.name.clone())
        .collect()
}

async fn find(t: &TestDb, filter: CustomerFilter) -> Vec<String> {
    let page = customers::customers(&t.db, t.org_id, &filter, PageRequest::default())
        .await
        .expect("listed");
    names(&page)
}

#[tokio::test]
async fn a_new_customer_is_active_on_tier_1_in_the_base_currency() {
    let t = TestDb::new("cust_defaults").await;
    let created = customers::create_customer(&t.db, t.org_id, named("  Ada Lovelace "))
        .await
        .expect("created");
    assert_eq!(created.customer.name, "Ada Lovelace");
    assert_eq!(created.customer.status, CustomerStatus::Active);
    assert_eq!(created.customer.price_tier, 1);
    assert_eq!(created.customer.currency, "USD");
    assert!(created.contacts.is_empty() && created.addresses.is_empty());
    let read = customers::customer(&t.db, t.org_id, created.customer.id)
        .await
        .expect("read");
    assert_eq!(read, created);
    t.drop().await;
}

#[tokio::test]
async fn a_customer_keeps_its_contacts_addresses_and_references() {
    let t = TestDb::new("cust_full").await;
    let term = reference::default_payment_term(&t.db, t.org_id)
        .await
        .expect("read")
        .expect("term");
    let sales = t.account("4000").await;
    let vat = t.tax_rule("VAT 20", 20.into()).await;
    let created = customers::create_customer(
        &t.db,
        t.org_id,
        CustomerDraft {
            price_tier: Some(3),
            payment_term_id: Some(Some(term.id)),
            tax_rule_id: Some(Some(vat)),
            revenue_account_id: Some(Some(sales)),
            currency: Some("eur".into()),
            notes: Some(Some("Pays late".into())),
            contacts: Some(vec![
                contact("Ann Buyer", "ann@acme.example"),
                ContactDraft {
                    is_default: true,
                    phone: Some("+44 20 7946 0000".into()),
                    ..contact("Bob Boss", "bob@acme.example")
                },
            ]),
            addresses: Some(vec![
                address(AddressKind::Shipping, "2 Dock Road", "gb"),
                AddressDraft {
                    company: Some("Acme Ltd".into()),
                    ..address(AddressKind::Billing, "1 High Street", "GB")
                },
            ]),
            external_ids: Some(vec![ExternalId {
                source: "magento:store-1".into(),
                external_id: "42".into(),
            }]),
            ..named("Acme Ltd")
        },
    )
    .await
    .expect("created");
    let c = &created.customer;
    assert_eq!(
        (
            c.price_tier,
            c.payment_term_id,
            c.tax_rule_id,
            c.revenue_account_id
        ),
        (3, Some(term.id), Some(vat), Some(sales))
    );
    assert_eq!(c.currency, "EUR");
    let default = created.default_contact().expect("default contact");
    assert_eq!(default.email.as_deref(), Some("bob@acme.example"));
    assert_eq!(created.contacts.len(), 2);
    assert_eq!(created.contacts[0].name.as_deref(), Some("Ann Buyer"));
    let billing = created.address(AddressKind::Billing).expect("billing");
    assert_eq!(
        (billing.company.as_deref(), billing.country.as_str()),
        (Some("Acme Ltd"), "GB")
    );
    assert_eq!(
        created
            .address(AddressKind::Shipping)
            .expect("shipping")
            .country,
        "GB"
    );
    assert!(created.address(AddressKind::Business).is_none());
    assert_eq!(created.external_ids.len(), 1);
    t.drop().await;
}

#[tokio::test]
async fn without_a_default_contact_the_first_one_is_the_default() {
    let t = TestDb::new("cust_first_default").await;
    let created = customers::create_customer(
        &t.db,
        t.org_id,
        CustomerDraft {
            contacts: Some(vec![
                contact("First", "first@example.com"),
                contact("Second", "second@example.com"),
            ]),
            ..named("Two Contacts")
        },
    )
    .await
    .expect("created");
    assert_eq!(
        created
            .contacts
            .iter()
            .map(|c| c.is_default)
            .collect::<Vec<_>>(),
        vec![true, false]
    );
    t.drop().await;
}

#[tokio::test]
async fn the_email_shorthand_makes_a_default_contact_named_after_the_customer() {
    let t = TestDb::new("cust_shorthand").await;
    let created = customers::create_customer(
        &t.db,
        t.org_id,
        CustomerDraft {
            email: Some(Some("web@shop.example".into())),
            phone: Some(Some("555-0100".into())),
            ..named("Web Sales")
        },
    )
    .await
    .expect("created");
    let default = created.default_contact().expect("a contact");
    assert_eq!(
        (
            default.name.as_deref(),
            default.email.as_deref(),
            default.phone.as_deref()
        ),
        (
            Some("Web Sales"),
            Some("web@shop.example"),
            Some("555-0100")
        )
    );
    let updated = customers::update_customer(
        &t.db,
        t.org_id,
        created.customer.id,
        CustomerDraft {
            phone: Some(None),
            ..CustomerDraft::default()
        },
    )
    .await
    .expect("updated");
    let default = updated.default_contact().expect("still a contact");
    assert_eq!(
        (default.email.as_deref(), default.phone.as_deref()),
        (Some("web@shop.example"), None)
    );
    t.drop().await;
}

#[tokio::test]
async fn a_customer_is_found_by_any_contacts_email_ignoring_case() {
    let t = TestDb::new("cust_by_email").await;
    customers::create_customer(
        &t.db,
        t.org_id,
        CustomerDraft {
            contacts: Some(vec![
                contact("Ann", "ann@acme.example"),
                contact("Accounts", "Accounts@Acme.example"),
            ]),
            ..named("Acme Ltd")
        },
    )
    .await
    .expect("created");
    customers::create_customer(&t.db, t.org_id, named("Other Ltd"))
        .await
        .expect("created");
    let found = customers::customer_by_email(&t.db, t.org_id, " ACCOUNTS@acme.EXAMPLE ")
        .await
        .expect("read")
        .expect("found by the second contact");
    assert_eq!(found.customer.name, "Acme Ltd");
    assert_eq!(
        find(
            &t,
            CustomerFilter {
                email: Some("ann@ACME.example".into()),
                ..CustomerFilter::default()
            }
        )
        .await,
        vec!["Acme Ltd".to_owned()]
    );
    assert!(
        customers::customer_by_email(&t.db, t.org_id, "nobody@acme.example")
            .await
            .expect("read")
            .is_none()
    );
    t.drop().await;
}

#[tokio::test]
async fn a_customer_is_found_by_exact_name_by_prefix_and_by_part_ignoring_case() {
    let t = TestDb::new("cust_by_name").await;
    for name in ["Acme Ltd", "Acme Holdings", "Bolt & Co", "100%_Pure"] {
        customers::create_customer(&t.db, t.org_id, named(name))
            .await
            .expect("created");
    }
    let exact = customers::customer_by_name(&t.db, t.org_id, "acme ltd")
        .await
        .expect("read")
        .expect("found");
    assert_eq!(exact.customer.name, "Acme Ltd");
    assert_eq!(
        find(
            &t,
            CustomerFilter {
                name: Some("ACME LTD".into()),
                ..CustomerFilter::default()
            }
        )
        .await,
        vec!["Acme Ltd".to_owned()]
    );
    let mut prefixed = find(
        &t,
        CustomerFilter {
            name_prefix: Some("acme".into()),
            ..CustomerFilter::default()
        },
    )
    .await;
    prefixed.sort();
    assert_eq!(prefixed, vec!["Acme Holdings", "Acme Ltd"]);
    assert_eq!(
        find(
            &t,
            CustomerFilter {
                search: Some("HOLD".into()),
                ..CustomerFilter::default()
            }
        )
        .await,
        vec!["Acme Holdings".to_owned()]
    );
    // `%` and `_` are literal characters, not wildcards.
    assert_eq!(
        find(
            &t,
            CustomerFilter {
                name_prefix: Some("100%_".into()),
                ..CustomerFilter::default()
            }
        )
        .await,
        vec!["100%_Pure".to_owned()]
    );
    assert!(
        find(
            &t,
            CustomerFilter {
                name_prefix: Some("1%".into()),
                ..CustomerFilter::default()
            }
        )
        .await
        .is_empty()
    );
    t.drop().await;
}

#[tokio::test]
async fn a_search_also_matches_a_contacts_name_or_email() {
    let t = TestDb::new("cust_search_contacts").await;
    customers::create_customer(
        &t.db,
        t.org_id,
        CustomerDraft {
            contacts: Some(vec![contact("Grace Hopper", "grace@navy.example")]),
            ..named("US Navy")
        },
    )
    .await
    .expect("created");
    for part in ["hopper", "NAVY.example"] {
        assert_eq!(
            find(
                &t,
                CustomerFilter {
                    search: Some(part.into()),
                    ..CustomerFilter::default()
                }
            )
            .await,
            vec!["US Navy".to_owned()],
            "{part}"
        );
    }
    t.drop().await;
}

#[tokio::test]
async fn an_update_replaces_the_contacts_and_addresses_given_and_keeps_the_others() {
    let t = TestDb::new("cust_update_replace").await;
    let created = customers::create_customer(
        &t.db,
        t.org_id,
        CustomerDraft {
            contacts: Some(vec![
                contact("Ann", "ann@acme.example"),
                contact("Bob", "bob@acme.example"),
            ]),
            addresses: Some(vec![
                address(AddressKind::Billing, "1 High Street", "GB"),
                address(AddressKind::Shipping, "2 Dock Road", "GB"),
            ]),
            external_ids: Some(vec![ExternalId {
                source: "magento:a".into(),
                external_id: "7".into(),
            }]),
            notes: Some(Some("keep me".into())),
            ..named("Acme Ltd")
        },
    )
    .await
    .expect("created");
    let id = created.customer.id;

    let updated = customers::update_customer(
        &t.db,
        t.org_id,
        id,
        CustomerDraft {
            contacts: Some(vec![contact("Cy", "cy@acme.example")]),
            ..CustomerDraft::default()
        },
    )
    .await
    .expect("contacts replaced");
    assert_eq!(updated.contacts.len(), 1);
    assert_eq!(updated.contacts[0].name.as_deref(), Some("Cy"));
    assert!(updated.contacts[0].is_default);
    assert_eq!(updated.addresses, created.addresses);
    assert_eq!(updated.external_ids, created.external_ids);
    assert_eq!(updated.customer.notes.as_deref(), Some("keep me"));
    assert!(
        customers::customer_by_email(&t.db, t.org_id, "ann@acme.example")
            .await
            .expect("read")
            .is_none(),
        "a replaced contact's email no longer finds the customer"
    );

    let updated = customers::update_customer(
        &t.db,
        t.org_id,
        id,
        CustomerDraft {
            addresses: Some(vec![address(AddressKind::Business, "3 Mill Lane", "IE")]),
            external_ids: Some(vec![]),
            notes: Some(None),
            ..CustomerDraft::default()
        },
    )
    .await
    .expect("addresses replaced");
    assert_eq!(
        updated.addresses.iter().map(|a| a.kind).collect::<Vec<_>>(),
        vec![AddressKind::Business]
    );
    assert!(updated.external_ids.is_empty());
    assert_eq!(updated.customer.notes, None);
    assert_eq!(updated.contacts.len(), 1);
    t.drop().await;
}

#[tokio::test]
async fn a_bad_customer_reports_every_problem_and_nothing_is_saved() {
    let t = TestDb::new("cust_bad").await;
    let err = customers::create_customer(
        &t.db,
        t.org_id,
        CustomerDraft {
            name: Some("  ".into()),
            price_tier: Some(11),
            currency: Some("euro".into()),
            payment_term_id: Some(Some(Uuid::new_v4())),
            contacts: Some(vec![
                ContactDraft {
                    is_default: true,
                    ..contact("Ann", "not-an-email")
                },
                ContactDraft {
                    is_default: true,
                    ..contact("Bob", "bob@acme.example")
                },
                ContactDraft::default(),
            ]),
            addresses: Some(vec![
                address(AddressKind::Billing, "1 High Street", "GBR"),
                address(AddressKind::Billing, " ", "GB"),
            ]),
            ..CustomerDraft::default()
        },
    )
    .await
    .expect_err("bad");
    assert_eq!(
        errors(err),
        vec![
            ("addresses.0.country".into(), ErrorCode::Invalid),
            ("addresses.1.kind".into(), ErrorCode::Invalid),
            ("addresses.1.line1".into(), ErrorCode::Invalid),
            ("contacts.0.email".into(), ErrorCode::Invalid),
            ("contacts.1.isDefault".into(), ErrorCode::InvalidCombination),
            ("contacts.2".into(), ErrorCode::Invalid),
            ("currency".into(), ErrorCode::Invalid),
            ("name".into(), ErrorCode::Invalid),
            ("paymentTermId".into(), ErrorCode::NotFound),
            ("priceTier".into(), ErrorCode::OutOfRange),
        ]
    );
    let all = find(&t, CustomerFilter::default()).await;
    assert!(all.is_empty(), "{all:?}");
    t.drop().await;
}

#[tokio::test]
async fn a_bad_update_leaves_the_customer_and_its_lists_as_they_were() {
    let t = TestDb::new("cust_bad_update").await;
    let created = customers::create_customer(
        &t.db,
        t.org_id,
        CustomerDraft {
            contacts: Some(vec![contact("Ann", "ann@acme.example")]),
            ..named("Acme Ltd")
        },
    )
    .await
    .expect("created");
    let err = customers::update_customer(
        &t.db,
        t.org_id,
        created.customer.id,
        CustomerDraft {
            name: Some("Acme Renamed".into()),
            contacts: Some(vec![contact("Bob", "bob@acme.example")]),
            addresses: Some(vec![address(AddressKind::Billing, "1 High St", "")]),
            ..CustomerDraft::default()
        },
    )
    .await
    .expect_err("bad country");
    assert_eq!(
        errors(err),
        vec![("addresses.0.country".into(), ErrorCode::Invalid)]
    );
    let read = customers::customer(&t.db, t.org_id, created.customer.id)
        .await
        .expect("read");
    assert_eq!(read, created);
    t.drop().await;
}

#[tokio::test]
async fn contacts_and_the_email_shorthand_are_not_given_together() {
    let t = TestDb::new("cust_shorthand_both").await;
    let err = customers::create_customer(
        &t.db,
        t.org_id,
        CustomerDraft {
            email: Some(Some("a@b.example".into())),
            contacts: Some(vec![contact("Ann", "ann@acme.example")]),
            ..named("Acme")
        },
    )
    .await
    .expect_err("both");
    assert_eq!(
        errors(err),
        vec![("email".into(), ErrorCode::InvalidCombination)]
    );
    t.drop().await;
}

#[tokio::test]
async fn a_revenue_account_must_be_of_kind_revenue_and_keeps_it() {
    let t = TestDb::new("cust_revenue_account").await;
    let bank = t.account("1200").await;
    let err = customers::create_customer(
        &t.db,
        t.org_id,
        CustomerDraft {
            revenue_account_id: Some(Some(bank)),
            ..named("Acme")
        },
    )
    .await
    .expect_err("a bank account");
    assert_eq!(
        errors(err),
        vec![("revenueAccountId".into(), ErrorCode::InvalidCombination)]
    );
    let sales = t.account("4000").await;
    customers::create_customer(
        &t.db,
        t.org_id,
        CustomerDraft {
            revenue_account_id: Some(Some(sales)),
            ..named("Acme")
        },
    )
    .await
    .expect("created");
    let err = reference::update_account(
        &t.db,
        t.org_id,
        sales,
        AccountDraft {
            kind: Some(AccountKind::Expense),
            ..AccountDraft::default()
        },
    )
    .await
    .expect_err("a customer relies on it being revenue");
    assert_eq!(
        errors(err),
        vec![("kind".into(), ErrorCode::InvalidCombination)]
    );
    t.drop().await;
}

#[tokio::test]
async fn an_external_id_belongs_to_one_customer_and_finds_it() {
    let t = TestDb::new("cust_external_ids").await;
    let magento_42 = ExternalId {
        source: "magento:store-1".into(),
        external_id: "42".into(),
    };
    let ann = customers::create_customer(
        &t.db,
        t.org_id,
        CustomerDraft {
            external_ids: Some(vec![magento_42.clone()]),
            ..named("Ann")
        },
    )
    .await
    .expect("created");
    let err = customers::create_customer(
        &t.db,
        t.org_id,
        CustomerDraft {
            external_ids: Some(vec![magento_42.clone()]),
            ..named("Bob")
        },
    )
    .await
    .expect_err("taken");
    assert_eq!(
        errors(err),
        vec![("externalIds.0".into(), ErrorCode::AlreadyExists)]
    );
    let found = customers::customer_by_external_id(&t.db, t.org_id, "magento:store-1", "42")
        .await
        .expect("read")
        .expect("found");
    assert_eq!(found.customer.id, ann.customer.id);
    // Updating Ann with her own id again is no conflict.
    customers::update_customer(
        &t.db,
        t.org_id,
        ann.customer.id,
        CustomerDraft {
            external_ids: Some(vec![magento_42]),
            ..CustomerDraft::default()
        },
    )
    .await
    .expect("same customer");
    t.drop().await;
}

#[tokio::test]
async fn another_organisations_customer_is_not_found() {
    let t = TestDb::new("cust_other_org").await;
    let other = domain::auth::ensure_organization(&t.db, "Other Org")
        .await
        .expect("org");
    let theirs = customers::create_customer(
        &t.db,
        other.id,
        CustomerDraft {
            contacts: Some(vec![contact("Zed", "zed@other.example")]),
            ..named("Their Customer")
        },
    )
    .await
    .expect("created");
    let read = customers::customer(&t.db, t.org_id, theirs.customer.id)
        .await
        .expect_err("not ours");
    assert!(matches!(read, DomainError::NotFound { .. }), "{read}");
    let update = customers::update_customer(&t.db, t.org_id, theirs.customer.id, named("Mine"))
        .await
        .expect_err("not ours");
    assert!(matches!(update, DomainError::NotFound { .. }), "{update}");
    assert!(
        customers::customer_by_email(&t.db, t.org_id, "zed@other.example")
            .await
            .expect("read")
            .is_none()
    );
    assert!(
        find(
            &t,
            CustomerFilter {
                name: Some("Their Customer".into()),
                ..CustomerFilter::default()
            }
        )
        .await
        .is_empty()
    );
    t.drop().await;
}

#[tokio::test]
async fn deprecated_customers_can_be_filtered_by_status() {
    let t = TestDb::new("cust_status").await;
    let old = customers::create_customer(&t.db, t.org_id, named("Old Co"))
        .await
        .expect("created");
    customers::create_customer(&t.db, t.org_id, named("New Co"))
        .await
        .expect("created");
    customers::update_customer(
        &t.db,
        t.org_id,
        old.customer.id,
        CustomerDraft {
            status: Some(CustomerStatus::Deprecated),
            ..CustomerDraft::default()
        },
    )
    .await
    .expect("deprecated");
    assert_eq!(
        find(
            &t,
            CustomerFilter {
                status: Some(CustomerStatus::Active),
                ..CustomerFilter::default()
            }
        )
        .await,
        vec!["New Co".to_owned()]
    );
    t.drop().await;
}
