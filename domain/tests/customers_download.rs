//! Saving downloaded Magento customers: the match key (Magento id, email, name), what
//! an update replaces and keeps, and a customer without addresses.

mod common;

use common::TestDb;
use domain::channel::magento::import::customers::{
    MappedAddress, MappedCustomer, magento_source, map_customer, save_downloaded,
};
use domain::customers::{self, AddressDraft, CustomerDraft};
use domain::entities::customer_address::AddressKind;
use serde_json::json;

fn magento(id: i64, email: &str, first: &str, last: &str, addresses: bool) -> MappedCustomer {
    let address = json!({"id": id * 10, "country_id": "US", "street": ["1 Main St"],
        "city": "Portland", "postcode": "97205", "telephone": "555-0100",
        "region": {"region": "Oregon"}});
    let customer = json!({
        "id": id, "email": email, "firstname": first, "lastname": last,
        "default_billing": if addresses { json!((id * 10).to_string()) } else { json!("0") },
        "default_shipping": if addresses { json!((id * 10).to_string()) } else { json!("0") },
        "addresses": if addresses { json!([address]) } else { json!([]) },
    });
    map_customer(&serde_json::from_value(customer).expect("a customer")).expect("mapped")
}

async fn count(db: &TestDb) -> usize {
    customers::customers(
        &db.db,
        db.org_id,
        &customers::CustomerFilter::default(),
        domain::page::PageRequest {
            first: Some(100),
            ..Default::default()
        },
    )
    .await
    .expect("customers")
    .items
    .len()
}

#[tokio::test]
async fn a_customer_without_addresses_arrives_with_just_name_and_contact() {
    let db = TestDb::new("dl_no_address").await;
    let store = db.offline_store("shop").await;
    let id = save_downloaded(
        &db.db,
        db.org_id,
        store,
        &magento(5, "ann@example.com", "Ann", "Lee", false),
    )
    .await
    .expect("saved");
    let record = customers::customer(&db.db, db.org_id, id)
        .await
        .expect("customer");
    assert_eq!(record.customer.name, "Ann Lee");
    assert_eq!(record.contacts.len(), 1);
    assert_eq!(record.contacts[0].email.as_deref(), Some("ann@example.com"));
    assert_eq!(record.contacts[0].phone, None);
    assert!(record.addresses.is_empty());
    assert_eq!(record.external_ids.len(), 1);
    assert_eq!(record.external_ids[0].external_id, "5");
    db.drop().await;
}

#[tokio::test]
async fn a_second_save_finds_the_customer_by_its_magento_id_even_after_a_rename() {
    let db = TestDb::new("dl_by_magento_id").await;
    let store = db.offline_store("shop").await;
    let first = save_downloaded(
        &db.db,
        db.org_id,
        store,
        &magento(1, "a@example.com", "Ann", "Lee", true),
    )
    .await
    .expect("saved");
    // New email and name in Magento: only the Magento id still matches.
    let again = save_downloaded(
        &db.db,
        db.org_id,
        store,
        &magento(1, "ann.b@example.com", "Ann", "Brown", true),
    )
    .await
    .expect("saved");
    assert_eq!(first, again);
    assert_eq!(count(&db).await, 1);
    let record = customers::customer(&db.db, db.org_id, first)
        .await
        .expect("customer");
    assert_eq!(record.customer.name, "Ann Brown");
    assert_eq!(record.addresses.len(), 3, "billing, shipping, business");
    db.drop().await;
}

#[tokio::test]
async fn a_name_match_already_linked_to_another_magento_customer_is_not_merged() {
    let db = TestDb::new("dl_same_name").await;
    let store = db.offline_store("shop").await;
    let one = save_downloaded(
        &db.db,
        db.org_id,
        store,
        &magento(1, "john1@example.com", "John", "Smith", true),
    )
    .await
    .expect("saved");
    let two = save_downloaded(
        &db.db,
        db.org_id,
        store,
        &magento(2, "john2@example.com", "John", "Smith", true),
    )
    .await
    .expect("saved");
    assert_ne!(one, two);
    assert_eq!(count(&db).await, 2);
    db.drop().await;
}

#[tokio::test]
async fn a_ledger_customer_of_the_same_name_is_matched_and_keeps_its_other_ids() {
    let db = TestDb::new("dl_by_name").await;
    let store = db.offline_store("shop").await;
    let source = magento_source(store);
    let existing = customers::create_customer(
        &db.db,
        db.org_id,
        CustomerDraft {
            name: Some("ann lee".into()),
            price_tier: Some(4),
            external_ids: Some(vec![customers::ExternalId {
                source: "crm".into(),
                external_id: "A-1".into(),
            }]),
            ..CustomerDraft::default()
        },
    )
    .await
    .expect("created");
    let id = save_downloaded(
        &db.db,
        db.org_id,
        store,
        &magento(3, "ann@example.com", "Ann", "Lee", true),
    )
    .await
    .expect("saved");
    assert_eq!(id, existing.customer.id);
    let record = customers::customer(&db.db, db.org_id, id)
        .await
        .expect("customer");
    assert_eq!(record.customer.name, "Ann Lee");
    assert_eq!(record.customer.price_tier, 4);
    let links: Vec<&str> = record
        .external_ids
        .iter()
        .map(|l| l.source.as_str())
        .collect();
    assert!(links.contains(&"crm"), "{links:?}");
    assert!(links.contains(&source.as_str()), "{links:?}");
    db.drop().await;
}

#[tokio::test]
async fn an_unusable_magento_address_keeps_the_ledgers_address_of_that_kind() {
    let db = TestDb::new("dl_unusable").await;
    let store = db.offline_store("shop").await;
    let id = save_downloaded(
        &db.db,
        db.org_id,
        store,
        &magento(4, "bo@example.com", "Bo", "Ek", true),
    )
    .await
    .expect("saved");
    let mut broken = magento(4, "bo@example.com", "Bo", "Ek", true);
    broken.billing = MappedAddress::Unusable("no street".into());
    broken.shipping = MappedAddress::Usable(AddressDraft {
        kind: AddressKind::Billing,
        company: None,
        line1: "9 New Rd".into(),
        line2: None,
        city: None,
        region: None,
        postcode: None,
        country: "GB".into(),
    });
    assert!(broken.address_problem().is_some());
    save_downloaded(&db.db, db.org_id, store, &broken)
        .await
        .expect("saved");
    let record = customers::customer(&db.db, db.org_id, id)
        .await
        .expect("customer");
    let billing = record.address(AddressKind::Billing).expect("billing kept");
    assert_eq!(billing.line1, "1 Main St");
    let shipping = record.address(AddressKind::Shipping).expect("shipping");
    assert_eq!(shipping.line1, "9 New Rd");
    assert_eq!(
        record
            .address(AddressKind::Business)
            .map(|a| a.line1.as_str()),
        Some("1 Main St")
    );
    db.drop().await;
}

#[tokio::test]
async fn a_magento_customer_is_linked_once_per_store_by_the_database() {
    let db = TestDb::new("dl_bind_once").await;
    let store = db.offline_store("shop").await;
    let ann = db.customer("Ann Lee").await;
    let bob = db.customer("Bob Ray").await;
    let binder = domain::channel::magento::Binder::new(db.org_id, store);
    binder
        .bind(&db.db, domain::channel::magento::LinkKind::Customer, 7, ann)
        .await
        .expect("bind")
        .expect("bound");
    // Around the binder, straight into the table: the key refuses it all the same.
    let second = sea_orm::ConnectionTrait::execute_unprepared(
        &db.db,
        &format!(
            "INSERT INTO magento_links (store_id, kind, external_id, org_id, record_id) \
             VALUES ('{store}', 'customer', 7, '{}', '{bob}')",
            db.org_id
        ),
    )
    .await;
    let err = second.expect_err("a second link of the same Magento customer");
    assert!(err.to_string().contains("magento_links_pkey"), "{err}");
    db.drop().await;
}
