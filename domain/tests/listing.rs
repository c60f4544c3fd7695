//! Listing one product: the prerequisites the spec names (description, image, default
//! location, attribute set), checked together before Magento is asked anything, and the
//! refusals of operations on products that are not listed. Magento's side is covered
//! end to end in `tests/tests/listing.rs`.

mod common;

use chrono::Utc;
use common::TestDb;
use domain::ErrorCode;
use domain::channel::magento::export::publish::{
    self, BufferChange, ListOptions, ListingSettings, StoreSession, product_prerequisites,
};
use domain::channel::magento::stores::StoreMetadata;
use domain::entities::enums::{ListingStatus, StockMode, StoreStatus};
use domain::entities::magento_store;
use domain::products::{self, FamilyDraft, FamilyMembership, ProductDraft};
use magento::{ClientOptions, Credentials, MagentoClient, RetryPolicy};
use serde_json::json;
use uuid::Uuid;

/// A store whose Magento is never reached: every case here is decided before a call.
/// "Default" is both a customer (1) and a product (4) attribute set, as in Magento.
fn session_for(org_id: Uuid) -> StoreSession {
    let store_id = Uuid::new_v4();
    let metadata = StoreMetadata {
        attribute_sets: serde_json::from_value(json!([
            {"attribute_set_id": 1, "attribute_set_name": "Default", "entity_type_id": 1},
            {"attribute_set_id": 4, "attribute_set_name": "Default", "entity_type_id": 4},
            {"attribute_set_id": 9, "attribute_set_name": "Top", "entity_type_id": 4},
        ]))
        .expect("attribute sets"),
        ..StoreMetadata::default()
    };
    let now = Utc::now();
    let store = magento_store::Model {
        id: store_id,
        org_id,
        name: "Shop".into(),
        base_url: "http://127.0.0.1:9".into(),
        status: StoreStatus::Connected,
        connected_at: now,
        secret_key_id: "k".into(),
        consumer_key_enc: Vec::new(),
        consumer_secret_enc: Vec::new(),
        access_token_enc: Vec::new(),
        access_token_secret_enc: Vec::new(),
        consumer_key_last4: "abcd".into(),
        stock_mode: StockMode::Msi,
        metadata: serde_json::to_value(&metadata).expect("metadata"),
        metadata_refreshed_at: Some(now),
        created_at: now,
        updated_at: now,
    };
    let token = "a".repeat(32);
    let client = MagentoClient::new(
        &store.base_url,
        Credentials {
            consumer_key: token.clone(),
            consumer_secret: token.clone(),
            access_token: token.clone(),
            access_token_secret: token,
        },
        // One attempt: a store that cannot be reached fails at once.
        ClientOptions {
            retry: RetryPolicy {
                max_attempts: 1,
                ..RetryPolicy::default()
            },
            ..ClientOptions::default()
        },
    )
    .expect("client");
    StoreSession::new(
        store,
        domain::channel::magento::settings::defaults(store_id, org_id),
        client,
    )
}

fn session(db: &TestDb) -> StoreSession {
    session_for(db.org_id)
}

async fn complete_product(db: &TestDb, sku: &str) -> Uuid {
    let id = db.product(sku).await;
    let location = db.location(&format!("Shelf {sku}")).await;
    products::update_product(
        &db.db,
        db.org_id,
        id,
        ProductDraft {
            description: Some(Some("<p>Sturdy.</p>".into())),
            images: Some(vec!["https://cdn.example/bolt.jpg".into()]),
            default_location_id: Some(Some(location)),
            attribute_set: Some(Some("Top".into())),
            ..ProductDraft::default()
        },
    )
    .await
    .expect("updated");
    id
}

/// A product `sku` in the family with one option value, and the fields of `draft`.
async fn variant(
    db: &TestDb,
    sku: &str,
    family_id: Uuid,
    value: &str,
    draft: ProductDraft,
) -> products::ProductRecord {
    let id = db.product(sku).await;
    let membership = ProductDraft {
        family: Some(Some(FamilyMembership {
            family_id,
            option_values: vec![value.into()],
        })),
        ..draft
    };
    products::update_product(&db.db, db.org_id, id, membership)
        .await
        .expect("variant")
}

fn codes(err: domain::DomainError) -> Vec<ErrorCode> {
    let mut found: Vec<ErrorCode> = common::user_errors(err)
        .into_iter()
        .map(|(_, code)| code)
        .collect();
    found.sort_by_key(|c| c.as_str());
    found
}

#[tokio::test]
async fn every_missing_prerequisite_is_reported_at_once_with_its_own_code() {
    let db = TestDb::new("listing_prereqs").await;
    let session = session(&db);
    let bare = db.product("BARE").await;
    let err = publish::list_or_update(&db.db, &session, bare, &ListOptions::default())
        .await
        .expect_err("nothing to list with");
    assert_eq!(
        codes(err),
        vec![
            ErrorCode::AttributeSetMissing,
            ErrorCode::DefaultLocationMissing,
            ErrorCode::DescriptionMissing,
            ErrorCode::ImageMissing,
        ]
    );
    db.drop().await;
}

#[tokio::test]
async fn prerequisite_errors_point_at_the_input() {
    let db = TestDb::new("listing_prereq_fields").await;
    let session = session(&db);
    let bare = db.product("BARE").await;
    let err = publish::list_or_update(&db.db, &session, bare, &ListOptions::default())
        .await
        .expect_err("refused");
    let fields: Vec<String> = common::user_errors(err)
        .into_iter()
        .map(|(f, _)| f)
        .collect();
    assert!(fields.contains(&"attributeSet".to_owned()));
    assert!(fields.contains(&"productId".to_owned()));
    db.drop().await;
}

#[tokio::test]
async fn an_attribute_set_magento_does_not_have_is_refused_by_name() {
    let db = TestDb::new("listing_unknown_set").await;
    let session = session(&db);
    let id = complete_product(&db, "BOLT").await;
    let options = ListOptions {
        attribute_set: Some("Shoes".into()),
        ..ListOptions::default()
    };
    let err = publish::list_or_update(&db.db, &session, id, &options)
        .await
        .expect_err("no such set");
    match err {
        domain::DomainError::Invalid(errors) => {
            assert_eq!(errors.len(), 1);
            assert_eq!(errors[0].code, ErrorCode::AttributeSetMissing);
            assert!(
                errors[0]
                    .message
                    .contains("no such attribute set in Magento: Shoes")
            );
        }
        other => panic!("expected a user error, got {other}"),
    }
    db.drop().await;
}

#[test]
fn an_attribute_set_is_found_by_name_among_product_sets_only() {
    let session = session_for(Uuid::new_v4());
    assert_eq!(session.attribute_set_id(Some("default")), Ok(4));
    assert_eq!(session.attribute_set_id(Some(" top ")), Ok(9));
    assert_eq!(
        session.attribute_set_id(None).expect_err("none given").code,
        ErrorCode::AttributeSetMissing
    );
}

#[tokio::test]
async fn a_variant_without_its_own_description_may_use_its_familys() {
    let db = TestDb::new("listing_family_description").await;
    let family = products::create_family(
        &db.db,
        db.org_id,
        FamilyDraft {
            sku: "TEE".into(),
            name: "Tee".into(),
            description: Some("<p>Organic cotton.</p>".into()),
            option_names: vec!["Size".into()],
            ..FamilyDraft::default()
        },
    )
    .await
    .expect("family");
    let record = variant(&db, "TEE-S", family.id, "S", ProductDraft::default()).await;
    let with_family = product_prerequisites(&record, Some(&family), None);
    assert!(
        with_family
            .iter()
            .all(|e| e.code != ErrorCode::DescriptionMissing)
    );
    let alone = product_prerequisites(&record, None, None);
    assert!(
        alone
            .iter()
            .any(|e| e.code == ErrorCode::DescriptionMissing)
    );
    db.drop().await;
}

#[tokio::test]
async fn a_variant_without_its_own_image_may_use_its_familys() {
    let db = TestDb::new("listing_family_images").await;
    let family = |sku: &str, images: Vec<String>| FamilyDraft {
        sku: sku.into(),
        name: "Tee".into(),
        option_names: vec!["Size".into()],
        images: Some(images),
        ..FamilyDraft::default()
    };
    let pictured = products::create_family(
        &db.db,
        db.org_id,
        family("TEE", vec!["https://cdn.example/tee-front.jpg".into()]),
    )
    .await
    .expect("family");
    let bare = products::create_family(&db.db, db.org_id, family("CAP", Vec::new()))
        .await
        .expect("family");
    let record = variant(&db, "TEE-S", pictured.id, "S", ProductDraft::default()).await;
    let image_missing = |family| {
        product_prerequisites(&record, family, None)
            .iter()
            .any(|e| e.code == ErrorCode::ImageMissing)
    };
    assert!(!image_missing(Some(&pictured)), "the family's image counts");
    assert!(
        image_missing(Some(&bare)),
        "a family without images lends none"
    );
    assert!(image_missing(None));
    db.drop().await;
}

#[tokio::test]
async fn a_negative_product_buffer_is_refused_with_the_prerequisites() {
    let db = TestDb::new("listing_negative_buffer").await;
    let session = session(&db);
    let id = complete_product(&db, "BOLT").await;
    let options = ListOptions {
        buffer: BufferChange::Set(-1),
        ..ListOptions::default()
    };
    let err = publish::list_or_update(&db.db, &session, id, &options)
        .await
        .expect_err("negative buffer");
    assert_eq!(
        common::user_errors(err),
        vec![("productBuffer.value".to_owned(), ErrorCode::OutOfRange)]
    );
    db.drop().await;
}

#[tokio::test]
async fn updating_a_product_that_is_not_listed_is_refused() {
    let db = TestDb::new("listing_update_unlisted").await;
    let session = session(&db);
    let id = complete_product(&db, "BOLT").await;
    let err = publish::update_listed(&db.db, &session, id, &ListOptions::default())
        .await
        .expect_err("not listed");
    assert_eq!(
        common::user_errors(err),
        vec![("productId".to_owned(), ErrorCode::Invalid)]
    );
    db.drop().await;
}

#[tokio::test]
async fn unlinking_or_removing_a_product_that_is_not_listed_is_refused() {
    let db = TestDb::new("listing_unlink_unlisted").await;
    let session = session(&db);
    let id = complete_product(&db, "BOLT").await;
    for err in [
        publish::unlink(&db.db, &session, id)
            .await
            .expect_err("not listed"),
        publish::remove(&db.db, &session, id)
            .await
            .expect_err("not listed"),
    ] {
        assert_eq!(
            common::user_errors(err),
            vec![("productId".to_owned(), ErrorCode::Invalid)]
        );
    }
    db.drop().await;
}

#[tokio::test]
async fn an_unknown_product_is_not_found() {
    let db = TestDb::new("listing_unknown_product").await;
    let session = session(&db);
    let err = publish::list_or_update(&db.db, &session, Uuid::new_v4(), &ListOptions::default())
        .await
        .expect_err("unknown");
    assert!(matches!(
        err,
        domain::DomainError::NotFound { entity: "product" }
    ));
    db.drop().await;
}

#[tokio::test]
async fn a_store_that_cannot_be_reached_stays_a_retryable_magento_error() {
    let db = TestDb::new("listing_unreachable").await;
    let session = session(&db);
    let id = complete_product(&db, "BOLT").await;
    let err = publish::list_or_update(&db.db, &session, id, &ListOptions::default())
        .await
        .expect_err("nothing answers");
    match err {
        domain::DomainError::Magento(err) => assert!(err.is_retryable(), "{err}"),
        other => panic!("expected a Magento error a job retries, got {other}"),
    }
    assert_eq!(
        publish::listing_of(&db.db, &session, id)
            .await
            .expect("read"),
        None,
        "nothing is saved"
    );
    db.drop().await;
}

/// A sandbox store connected to the ledger, its metadata read.
async fn connected(
    db: &TestDb,
) -> (
    domain::Services,
    sandbox::RunningSandbox,
    magento_store::Model,
) {
    let services = db.services();
    let principal = db.operator().await;
    let sandbox = sandbox::start(([127, 0, 0, 1], 0).into(), Default::default())
        .await
        .expect("sandbox");
    let store = db.connect_sandbox(&services, &principal, &sandbox).await;
    (services, sandbox, store)
}

#[tokio::test]
async fn a_new_variant_without_images_is_created_without_any_under_a_configurable_with_the_familys()
{
    let db = TestDb::new("listing_variant_family_image").await;
    let (services, sandbox, store) = connected(&db).await;
    let family = products::create_family(
        &db.db,
        db.org_id,
        FamilyDraft {
            sku: "LANTERN".into(),
            name: "Storm Lantern".into(),
            description: Some("<p>Burns through any weather.</p>".into()),
            option_names: vec!["Color".into()],
            images: Some(vec![sandbox.media_url(sandbox::MEDIA_LIBRARY[0])]),
            ..FamilyDraft::default()
        },
    )
    .await
    .expect("family");
    let shelf = db.location("Shelf").await;
    let red = ProductDraft {
        default_location_id: Some(Some(shelf)),
        attribute_set: Some(Some("Gear".into())),
        ..ProductDraft::default()
    };
    let variant = variant(&db, "LANTERN-RED", family.id, "Red", red)
        .await
        .product
        .id;
    let session = StoreSession::open(&services, db.org_id, store.id)
        .await
        .expect("session");

    publish::list_or_update(&db.db, &session, variant, &ListOptions::default())
        .await
        .expect("listed through the family's image");

    let parent = session.client.product("LANTERN").await.expect("parent");
    assert_eq!(parent.media_gallery_entries.len(), 1, "the family's image");
    let child = session.client.product("LANTERN-RED").await.expect("child");
    assert!(
        child.media_gallery_entries.is_empty(),
        "the child shows the configurable's image in Magento: none is sent"
    );
    sandbox.stop().await;
    db.drop().await;
}

fn buffer_of(buffer: BufferChange) -> ListingSettings {
    ListingSettings {
        stock_sync: None,
        buffer,
    }
}

#[tokio::test]
async fn saved_settings_of_a_product_the_store_never_linked_are_kept_for_its_listing() {
    let db = TestDb::new("listing_saved_settings").await;
    let (services, sandbox, store) = connected(&db).await;
    let lantern = complete_product(&db, "LANTERN").await;
    products::update_product(
        &db.db,
        db.org_id,
        lantern,
        ProductDraft {
            images: Some(vec![sandbox.media_url(sandbox::MEDIA_LIBRARY[0])]),
            ..ProductDraft::default()
        },
    )
    .await
    .expect("an image the sandbox serves");
    let before = common::sandbox_requests(&sandbox).await;

    let saved = publish::save_settings(
        &db.db,
        db.org_id,
        store.id,
        lantern,
        ListingSettings {
            stock_sync: Some(false),
            buffer: BufferChange::Set(3),
        },
    )
    .await
    .expect("saved");

    assert_eq!(
        common::sandbox_requests(&sandbox).await,
        before,
        "Magento is not asked"
    );
    let kept = saved.listing.expect("a listing holds them");
    assert_eq!(kept.status, ListingStatus::NotListed);
    assert_eq!(
        (
            kept.stock_sync,
            kept.product_buffer_enabled,
            kept.product_buffer
        ),
        (false, true, 3)
    );
    let session = StoreSession::open(&services, db.org_id, store.id)
        .await
        .expect("session");
    let listed = publish::list_or_update(&db.db, &session, lantern, &ListOptions::default())
        .await
        .expect("listed");
    assert_eq!(listed.status, ListingStatus::Listed);
    assert_eq!(listed.id, kept.id, "the same listing");
    assert_eq!(
        (
            listed.stock_sync,
            listed.product_buffer_enabled,
            listed.product_buffer
        ),
        (false, true, 3),
        "the listing keeps what was saved"
    );
    sandbox.stop().await;
    db.drop().await;
}

#[tokio::test]
async fn saving_only_the_buffer_keeps_the_stock_sync_flag_and_remove_restores_the_channels() {
    let db = TestDb::new("listing_saved_buffer_only").await;
    let (_services, sandbox, store) = connected(&db).await;
    let bolt = complete_product(&db, "BOLT").await;
    let save = |settings| publish::save_settings(&db.db, db.org_id, store.id, bolt, settings);
    save(ListingSettings {
        stock_sync: Some(false),
        buffer: BufferChange::Keep,
    })
    .await
    .expect("saved");
    let set = save(buffer_of(BufferChange::Set(0))).await.expect("saved");
    let listing = set.listing.expect("listing");
    assert_eq!(
        (listing.stock_sync, listing.product_buffer_enabled),
        (false, true)
    );
    let removed = save(buffer_of(BufferChange::Remove)).await.expect("saved");
    let listing = removed.listing.expect("listing");
    assert_eq!(
        (listing.stock_sync, listing.product_buffer_enabled),
        (false, false)
    );
    sandbox.stop().await;
    db.drop().await;
}

#[tokio::test]
async fn saving_settings_refuses_a_negative_buffer_and_unknown_stores_or_products() {
    let db = TestDb::new("listing_saved_settings_refused").await;
    let (_services, sandbox, store) = connected(&db).await;
    let bolt = complete_product(&db, "BOLT").await;
    let negative = publish::save_settings(
        &db.db,
        db.org_id,
        store.id,
        bolt,
        buffer_of(BufferChange::Set(-1)),
    )
    .await
    .expect_err("negative");
    assert_eq!(
        common::user_errors(negative),
        vec![("productBuffer.value".to_owned(), ErrorCode::OutOfRange)]
    );
    let unknown_store = publish::save_settings(
        &db.db,
        db.org_id,
        Uuid::new_v4(),
        bolt,
        buffer_of(BufferChange::Set(1)),
    )
    .await
    .expect_err("no such store");
    assert!(matches!(
        unknown_store,
        domain::DomainError::NotFound { entity: "store" }
    ));
    let unknown_product = publish::save_settings(
        &db.db,
        db.org_id,
        store.id,
        Uuid::new_v4(),
        buffer_of(BufferChange::Set(1)),
    )
    .await
    .expect_err("no such product");
    assert!(matches!(
        unknown_product,
        domain::DomainError::NotFound { entity: "product" }
    ));
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let listings = domain::entities::listing::Entity::find()
        .filter(domain::entities::listing::Column::ProductId.eq(bolt))
        .all(&db.db)
        .await
        .expect("read");
    assert!(listings.is_empty(), "nothing is saved: {listings:?}");
    sandbox.stop().await;
    db.drop().await;
}
