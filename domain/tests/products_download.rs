//! Download → Products against the sandbox store: products, families and listings as
//! `docs/mappings.md` has them, matching by SKU, a re-run that changes nothing, the settings that
//! steer it (List products as Draft, Use Magento as Master source), items that fail on
//! their own, and a store that stops answering mid-job.

mod common;

use std::collections::HashMap;

use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use common::TestDb;
use domain::Services;
use domain::auth::Principal;
use domain::channel::magento::export::publish::{self, ListOptions, StoreSession};
use domain::channel::magento::import::products::start_download;
use domain::channel::magento::settings::SettingsPatch;
use domain::channel::magento::stores;
use domain::entities::enums::{
    JobItemOutcome, JobState, ListingStatus, ProductKind, ProductStatus,
};
use domain::entities::{job, job_item, listing, magento_store, product, product_family};
use domain::jobs::{self, JobContext, JobFailure};
use magento::dto::{ProductInput, ProductStatus as MagentoStatus, ProductType, Visibility};
use magento::{ClientOptions, MagentoClient};
use sandbox::{GenerateSpec, RunningSandbox, SandboxOptions};

struct Shop {
    db: TestDb,
    services: Services,
    principal: Principal,
    sandbox: RunningSandbox,
    store: magento_store::Model,
}

async fn shop_with(label: &str, options: SandboxOptions) -> Shop {
    let db = TestDb::new(label).await;
    let services = db.services();
    let principal = db.operator().await;
    let sandbox = sandbox::start(([127, 0, 0, 1], 0).into(), options)
        .await
        .expect("sandbox");
    let store = db.connect_sandbox(&services, &principal, &sandbox).await;
    Shop {
        db,
        services,
        principal,
        sandbox,
        store,
    }
}

async fn shop(label: &str) -> Shop {
    shop_with(label, SandboxOptions::default()).await
}

impl Shop {
    async fn stop(self) {
        self.sandbox.stop().await;
        self.db.drop().await;
    }

    /// Runs one download to its end and returns the job as it finished.
    async fn download(&self) -> job::Model {
        let started = start_download(&self.services, &self.principal, self.store.id)
            .await
            .expect("started");
        jobs::run_job(&self.services, started.id)
            .await
            .expect("ran");
        jobs::get(&self.db.db, self.db.org_id, started.id)
            .await
            .expect("job")
    }

    async fn settings(&self, patch: SettingsPatch) {
        stores::update_settings(&self.services, self.db.org_id, self.store.id, patch)
            .await
            .expect("settings saved");
    }

    /// A client of the sandbox with quick retries.
    fn client(&self) -> MagentoClient {
        MagentoClient::new(
            &self.sandbox.base_url,
            self.sandbox.credentials.clone(),
            ClientOptions::default(),
        )
        .expect("client")
    }

    async fn products(&self) -> HashMap<String, product::Model> {
        product::Entity::find()
            .filter(product::Column::OrgId.eq(self.db.org_id))
            .all(&self.db.db)
            .await
            .expect("products")
            .into_iter()
            .map(|p| (p.sku.clone(), p))
            .collect()
    }

    async fn listings(&self) -> HashMap<Uuid, listing::Model> {
        listing::Entity::find()
            .filter(listing::Column::StoreId.eq(self.store.id))
            .all(&self.db.db)
            .await
            .expect("listings")
            .into_iter()
            .map(|l| (l.product_id, l))
            .collect()
    }

    async fn families(&self) -> HashMap<String, product_family::Model> {
        product_family::Entity::find()
            .filter(product_family::Column::OrgId.eq(self.db.org_id))
            .all(&self.db.db)
            .await
            .expect("families")
            .into_iter()
            .map(|f| (f.sku.clone(), f))
            .collect()
    }

    async fn items(&self, job_id: Uuid) -> HashMap<String, job_item::Model> {
        job_item::Entity::find()
            .filter(job_item::Column::JobId.eq(job_id))
            .all(&self.db.db)
            .await
            .expect("items")
            .into_iter()
            .map(|i| (i.item_key.clone(), i))
            .collect()
    }
}

/// The seeded catalog: 4 simples, the Helios Tee (configurable) with 3 children, a
/// virtual and a bundle.
const SEEDED: usize = 10;

#[tokio::test]
async fn the_seeded_catalog_arrives_as_products_a_family_and_listings() {
    let shop = shop("pd_seeded").await;
    let job = shop.download().await;
    let failed: Vec<_> = shop
        .items(job.id)
        .await
        .into_values()
        .filter(|i| i.outcome == JobItemOutcome::Failed)
        .collect();
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(job.state, JobState::Succeeded, "{job:?}");
    assert_eq!(job.total_count, Some(SEEDED as i32));
    assert_eq!(job.processed_count, SEEDED as i32);
    assert_eq!(job.failed_count, 0);

    let products = shop.products().await;
    assert_eq!(products.len(), 9, "every product but the configurable");
    let bag = &products["24-MB01"];
    assert_eq!(bag.name, "Joust Duffle Bag");
    assert_eq!(bag.kind, ProductKind::Stock);
    assert_eq!(bag.status, ProductStatus::Active);
    assert_eq!(bag.category.as_deref(), Some("Gear"));
    assert_eq!(
        bag.description.as_deref(),
        Some("<p>A roomy duffle with a shoe pocket and padded strap.</p>")
    );
    assert_eq!(products["SB-ENGRAVE"].kind, ProductKind::Service);
    assert_eq!(products["SB-TRAVEL-KIT"].kind, ProductKind::Stock);
    let mug = &products["MUG 11oz/BLK"];
    let images: Vec<String> = serde_json::from_value(mug.images.clone()).expect("images");
    assert_eq!(
        images,
        [format!(
            "{}/media/catalog/product/m/u/mug-11oz-blk.jpg",
            shop.sandbox.base_url
        )]
    );

    let families = shop.families().await;
    let tee = &families["HT-TEE"];
    assert_eq!(tee.name, "Helios Tee");
    assert_eq!(tee.option1_name.as_deref(), Some("Size"));
    assert_eq!(tee.option2_name.as_deref(), Some("Color"));
    let small = &products["HT-TEE-S-Sand"];
    assert_eq!(small.family_id, Some(tee.id));
    assert_eq!(small.option1_value.as_deref(), Some("S"));
    assert_eq!(small.option2_value.as_deref(), Some("Sand"));
    assert_eq!(
        products["HT-TEE-M-Slate"].option2_value.as_deref(),
        Some("Slate")
    );

    let listings = shop.listings().await;
    assert_eq!(listings.len(), 9);
    let listed = &listings[&small.id];
    assert_eq!(listed.status, ListingStatus::Listed);
    assert_eq!(listed.magento_product_id, Some(111));
    assert_eq!(listed.magento_parent_id, Some(110));
    assert_eq!(listed.magento_sku.as_deref(), Some("HT-TEE-S-Sand"));
    assert_eq!(listed.magento_type.as_deref(), Some("simple"));
    let bag_listing = &listings[&bag.id];
    assert_eq!(bag_listing.magento_product_id, Some(101));
    assert_eq!(bag_listing.magento_parent_id, None);
    assert_eq!(bag_listing.attribute_set.as_deref(), Some("Bag"));
    shop.stop().await;
}

#[tokio::test]
async fn prices_go_to_the_price_tiers_chosen_in_the_settings() {
    let shop = shop("pd_tiers").await;
    shop.settings(SettingsPatch {
        price_tier: Some(3),
        sale_price_tier: Some(5),
        ..SettingsPatch::default()
    })
    .await;
    shop.download().await;
    let products = shop.products().await;
    let record = domain::products::product(&shop.db.db, shop.db.org_id, products["24-WB04"].id)
        .await
        .expect("product");
    assert_eq!(record.price(3), Some(Decimal::from(45)));
    assert_eq!(record.price(5), Some(Decimal::from(39)));
    assert_eq!(record.price(1), None);
    shop.stop().await;
}

#[tokio::test]
async fn the_tax_class_becomes_the_tax_rule_of_the_same_name() {
    let shop = shop("pd_tax").await;
    let rule = shop.db.tax_rule("taxable goods", Decimal::from(8)).await;
    shop.download().await;
    let products = shop.products().await;
    assert_eq!(products["24-MB01"].sale_tax_rule_id, Some(rule));
    assert_eq!(
        products["SB-ENGRAVE"].sale_tax_rule_id, None,
        "tax class 0 names no rule"
    );
    shop.stop().await;
}

#[tokio::test]
async fn running_it_twice_changes_nothing() {
    let shop = shop("pd_twice").await;
    shop.download().await;
    let (products, listings, families) = (
        shop.products().await,
        shop.listings().await,
        shop.families().await,
    );
    let again = shop.download().await;
    assert_eq!(again.state, JobState::Succeeded);
    assert_eq!(again.failed_count, 0);
    assert_eq!(shop.products().await, products);
    assert_eq!(shop.listings().await, listings);
    assert_eq!(shop.families().await, families);
    shop.stop().await;
}

#[tokio::test]
async fn an_existing_product_is_matched_by_sku_ignoring_case_and_keeps_status_and_category() {
    let shop = shop("pd_match").await;
    let existing = shop.db.product("24-mb01").await;
    product::ActiveModel {
        id: Set(existing),
        status: Set(ProductStatus::Deprecated),
        category: Set(Some("Luggage".to_owned())),
        ..Default::default()
    }
    .update(&shop.db.db)
    .await
    .expect("prepared");
    shop.settings(SettingsPatch {
        list_products_as_draft: Some(true),
        ..SettingsPatch::default()
    })
    .await;
    shop.download().await;
    let products = shop.products().await;
    assert_eq!(products.len(), 9, "matched, not duplicated");
    let matched = &products["24-MB01"];
    assert_eq!(matched.id, existing, "Magento's SKU spelling is taken over");
    assert_eq!(matched.name, "Joust Duffle Bag", "Magento's name");
    assert_eq!(matched.status, ProductStatus::Deprecated, "status kept");
    assert_eq!(
        matched.category.as_deref(),
        Some("Luggage"),
        "category kept"
    );
    assert_eq!(
        products["24-WB04"].status,
        ProductStatus::Draft,
        "new products follow List products as Draft"
    );
    assert_eq!(
        shop.listings().await[&existing].magento_product_id,
        Some(101)
    );
    shop.stop().await;
}

#[tokio::test]
async fn an_existing_product_assembled_from_its_bill_of_materials_is_matched_and_keeps_it() {
    let shop = shop("pd_assembled").await;
    let strap = shop.db.product("STRAP").await;
    let bag = shop.db.product("24-MB01").await;
    domain::products::update_product(
        &shop.db.db,
        shop.db.org_id,
        bag,
        domain::products::ProductDraft {
            components: Some(vec![domain::products::ComponentLine {
                component_id: strap,
                quantity: common::qty(2),
            }]),
            auto_assembly: Some(true),
            ..Default::default()
        },
    )
    .await
    .expect("assembled bag");

    let job = shop.download().await;

    assert_eq!(job.state, JobState::Succeeded, "{job:?}");
    let matched = &shop.products().await["24-MB01"];
    assert_eq!(matched.id, bag);
    assert!(matched.auto_assembly, "auto-assembly kept");
    assert_eq!(matched.name, "Joust Duffle Bag", "Magento's name");
    assert_eq!(shop.listings().await[&bag].magento_product_id, Some(101));
    shop.stop().await;
}

#[tokio::test]
async fn an_existing_product_is_matched_by_variant_sku_and_joins_the_family() {
    let shop = shop("pd_match_variant").await;
    let existing = shop.db.product("ht-tee-s-sand").await;

    let job = shop.download().await;

    let failed: Vec<_> = shop
        .items(job.id)
        .await
        .into_values()
        .filter(|i| i.outcome == JobItemOutcome::Failed)
        .collect();
    assert!(failed.is_empty(), "{failed:?}");
    let products = shop.products().await;
    assert_eq!(products.len(), 9, "matched, not duplicated");
    let small = &products["HT-TEE-S-Sand"];
    assert_eq!(small.id, existing);
    assert_eq!(small.family_id, Some(shop.families().await["HT-TEE"].id));
    assert_eq!(small.option1_value.as_deref(), Some("S"));
    assert_eq!(small.option2_value.as_deref(), Some("Sand"));
    assert_eq!(
        shop.listings().await[&existing].magento_parent_id,
        Some(110)
    );
    shop.stop().await;
}

#[tokio::test]
async fn with_magento_as_master_the_category_of_an_existing_product_is_overwritten() {
    let shop = shop("pd_master").await;
    let existing = shop.db.product("24-MB01").await;
    product::ActiveModel {
        id: Set(existing),
        category: Set(Some("Luggage".to_owned())),
        ..Default::default()
    }
    .update(&shop.db.db)
    .await
    .expect("prepared");
    shop.settings(SettingsPatch {
        magento_is_master: Some(true),
        ..SettingsPatch::default()
    })
    .await;
    shop.download().await;
    assert_eq!(
        shop.products().await["24-MB01"].category.as_deref(),
        Some("Gear")
    );
    shop.stop().await;
}

#[tokio::test]
async fn a_grouped_product_fails_alone_and_the_rest_arrive() {
    let shop = shop("pd_grouped").await;
    shop.client()
        .create_product(&ProductInput {
            name: Some("Gym Set".to_owned()),
            type_id: Some(ProductType::Grouped),
            attribute_set_id: Some(4),
            status: Some(MagentoStatus::Enabled),
            visibility: Some(Visibility::CatalogAndSearch),
            ..ProductInput::new("GYM-SET")
        })
        .await
        .expect("grouped product");
    let job = shop.download().await;
    assert_eq!(job.state, JobState::PartiallySucceeded, "{job:?}");
    assert_eq!(job.failed_count, 1);
    let items = shop.items(job.id).await;
    let grouped = &items["GYM-SET"];
    assert_eq!(grouped.outcome, JobItemOutcome::Failed);
    assert_eq!(grouped.error_code.as_deref(), Some("UNSUPPORTED_TYPE"));
    assert!(
        grouped
            .error_message
            .as_deref()
            .is_some_and(|m| m.contains("grouped"))
    );
    assert_eq!(shop.products().await.len(), 9);
    shop.stop().await;
}

#[tokio::test]
async fn a_second_magento_product_with_the_same_sku_fails_and_leaves_the_first_alone() {
    let shop = shop("pd_duplicate").await;
    // We compare SKUs without regard to case, beyond ASCII too; a store can hold both
    // of these (the sandbox, like some collations, folds ASCII letters only).
    for (sku, name) in [("CAFÉ-MUG", "First Mug"), ("café-mug", "Second Mug")] {
        shop.client()
            .create_product(&ProductInput {
                name: Some(name.to_owned()),
                type_id: Some(ProductType::Simple),
                attribute_set_id: Some(4),
                price: Some(rust_decimal::Decimal::from(1)),
                ..ProductInput::new(sku)
            })
            .await
            .expect("product");
    }
    let job = shop.download().await;
    assert_eq!(job.state, JobState::PartiallySucceeded, "{job:?}");
    assert_eq!(job.failed_count, 1);
    let items = shop.items(job.id).await;
    assert_eq!(items["CAFÉ-MUG"].outcome, JobItemOutcome::Succeeded);
    let second = &items["café-mug"];
    assert_eq!(second.outcome, JobItemOutcome::Failed);
    assert_eq!(second.error_code.as_deref(), Some("DUPLICATE_SKU"));
    let products = shop.products().await;
    assert_eq!(products.len(), 10, "one mug, not two");
    assert_eq!(products["CAFÉ-MUG"].name, "First Mug", "the first one kept");
    shop.stop().await;
}

#[tokio::test]
async fn a_variant_whose_option_value_has_no_label_fails_alone() {
    let shop = shop("pd_no_label").await;
    let client = shop.client();
    client
        .create_product(
            &ProductInput {
                name: Some("Helios Tee-L-Ocean".to_owned()),
                type_id: Some(ProductType::Simple),
                attribute_set_id: Some(9),
                price: Some(Decimal::from(29)),
                status: Some(MagentoStatus::Enabled),
                visibility: Some(Visibility::NotVisibleIndividually),
                ..ProductInput::new("HT-TEE-L-Ocean")
            }
            .with_attribute("color", "4711")
            .with_attribute("size", "169"),
        )
        .await
        .expect("child");
    client
        .link_configurable_child("HT-TEE", "HT-TEE-L-Ocean")
        .await
        .expect("linked");
    let job = shop.download().await;
    assert_eq!(job.failed_count, 1, "{job:?}");
    let items = shop.items(job.id).await;
    assert_eq!(
        items["HT-TEE-L-Ocean"].error_code.as_deref(),
        Some("OPTION_VALUES_MISSING")
    );
    assert_eq!(items["HT-TEE"].outcome, JobItemOutcome::Succeeded);
    assert_eq!(items["HT-TEE-M-Sand"].outcome, JobItemOutcome::Succeeded);
    let products = shop.products().await;
    assert!(!products.contains_key("HT-TEE-L-Ocean"));
    assert!(products.contains_key("HT-TEE-M-Sand"));
    shop.stop().await;
}

#[tokio::test]
async fn non_english_option_labels_arrive_as_they_are() {
    let shop = shop("pd_labels").await;
    let client = shop.client();
    let ocean = client
        .add_attribute_option("color", "Océan 海")
        .await
        .expect("option");
    client
        .create_product(
            &ProductInput {
                name: Some("Helios Tee-L-Ocean".to_owned()),
                type_id: Some(ProductType::Simple),
                attribute_set_id: Some(9),
                status: Some(MagentoStatus::Enabled),
                visibility: Some(Visibility::NotVisibleIndividually),
                ..ProductInput::new("HT-TEE-L-Ocean")
            }
            .with_attribute("color", ocean)
            .with_attribute("size", "169"),
        )
        .await
        .expect("child without a price");
    client
        .link_configurable_child("HT-TEE", "HT-TEE-L-Ocean")
        .await
        .expect("linked");
    let job = shop.download().await;
    assert_eq!(job.failed_count, 0, "{job:?}");
    let variant = &shop.products().await["HT-TEE-L-Ocean"];
    assert_eq!(variant.option1_value.as_deref(), Some("L"));
    assert_eq!(variant.option2_value.as_deref(), Some("Océan 海"));
    shop.stop().await;
}

#[tokio::test]
async fn a_product_listed_under_another_magento_id_is_a_failed_item_not_an_overwrite() {
    let shop = shop("pd_listed_elsewhere").await;
    let existing = shop.db.product("24-UG06").await;
    domain::channel::magento::Binder::new(shop.db.org_id, shop.store.id)
        .bind(
            &shop.db.db,
            domain::channel::magento::LinkKind::Product,
            9999,
            existing,
        )
        .await
        .expect("bind")
        .expect("bound");
    listing::ActiveModel {
        id: Set(Uuid::new_v4()),
        org_id: Set(shop.db.org_id),
        store_id: Set(shop.store.id),
        product_id: Set(existing),
        status: Set(ListingStatus::Listed),
        magento_product_id: Set(Some(9999)),
        magento_sku: Set(Some("24-UG06".to_owned())),
        created_at: Set(chrono::Utc::now()),
        updated_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&shop.db.db)
    .await
    .expect("listing");
    let job = shop.download().await;
    let items = shop.items(job.id).await;
    assert_eq!(
        items["24-UG06"].error_code.as_deref(),
        Some("ALREADY_LISTED")
    );
    assert_eq!(
        shop.listings().await[&existing].magento_product_id,
        Some(9999)
    );
    shop.stop().await;
}

#[tokio::test]
async fn a_large_generated_catalog_arrives_whole_with_every_variant_in_its_family() {
    let shop = shop_with(
        "pd_generated",
        SandboxOptions {
            generate: Some(GenerateSpec {
                products: 1500,
                orders: 0,
                seed: 42,
            }),
            ..SandboxOptions::default()
        },
    )
    .await;
    let job = shop.download().await;
    assert_eq!(job.state, JobState::Succeeded, "{job:?}");
    assert_eq!(job.total_count, Some(1500 + SEEDED as i32));
    assert_eq!(job.processed_count, 1500 + SEEDED as i32);
    let products = shop.products().await;
    let families = shop.families().await;
    assert_eq!(products.len() + families.len(), 1500 + SEEDED);
    assert!(families.len() > 50, "{} families", families.len());
    let listings = shop.listings().await;
    assert_eq!(listings.len(), products.len());
    for variant in products.values().filter(|p| p.family_id.is_some()) {
        assert!(variant.option1_value.is_some(), "{}", variant.sku);
        assert!(listings[&variant.id].magento_parent_id.is_some());
    }
    shop.stop().await;
}

#[tokio::test]
async fn a_store_that_stops_answering_fails_the_attempt_transiently_and_a_retry_finishes_without_duplicates()
 {
    let shop = shop_with(
        "pd_outage",
        SandboxOptions {
            generate: Some(GenerateSpec {
                products: 3000,
                orders: 0,
                seed: 3,
            }),
            latency: std::time::Duration::from_millis(20),
            ..SandboxOptions::default()
        },
    )
    .await;
    let started = start_download(&shop.services, &shop.principal, shop.store.id)
        .await
        .expect("started");
    let mut ctx = JobContext {
        services: shop.services.clone(),
        job: jobs::get(&shop.db.db, shop.db.org_id, started.id)
            .await
            .expect("job"),
    };
    ctx.job.attempts = 1;
    // Once the first pages are recorded, the store answers every catalog request with
    // 503, for longer than the client retries (ten pages: more than are read ahead).
    let outage = async {
        loop {
            let recorded = job_item::Entity::find()
                .filter(job_item::Column::JobId.eq(started.id))
                .all(&shop.db.db)
                .await
                .expect("items")
                .len();
            if recorded > 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let answer = common::sandbox_control(
            &shop.sandbox,
            "POST",
            "faults",
            serde_json::json!({"endpoint": "products", "kind": "status", "status": 503}),
        )
        .await;
        assert!(answer.contains("201"), "{answer}");
    };
    let (first, ()) = tokio::join!(domain::jobs::run_handler(&ctx), outage);
    assert!(matches!(first, Err(JobFailure::Transient(_))), "{first:?}");
    let partial = jobs::get(&shop.db.db, shop.db.org_id, started.id)
        .await
        .expect("job");
    assert!(
        partial.processed_count > 0 && partial.processed_count < 3000,
        "{partial:?}"
    );
    common::sandbox_control(&shop.sandbox, "DELETE", "faults", serde_json::json!({})).await;
    ctx.job.attempts = 2;
    domain::jobs::run_handler(&ctx)
        .await
        .expect("second attempt");
    let job = jobs::get(&shop.db.db, shop.db.org_id, started.id)
        .await
        .expect("job");
    assert_eq!(job.processed_count, 3000 + SEEDED as i32);
    assert_eq!(job.failed_count, 0);
    let products = shop.products().await;
    let families = shop.families().await;
    assert_eq!(products.len() + families.len(), 3000 + SEEDED);
    assert_eq!(shop.listings().await.len(), products.len());
    shop.stop().await;
}

#[tokio::test]
async fn an_update_that_changes_nothing_writes_nothing() {
    let db = TestDb::new("pd_noop_update").await;
    let draft = || domain::products::ProductDraft {
        sku: Some("MUG-1".to_owned()),
        name: Some("Mug".to_owned()),
        weight: Some(Some("0.35".parse().expect("decimal"))),
        prices: Some(vec![(1, Some("12.345678".parse().expect("decimal")))]),
        ..domain::products::ProductDraft::default()
    };
    let created = domain::products::create_product(&db.db, db.org_id, draft())
        .await
        .expect("created");
    let id = created.product.id;
    let again = domain::products::update_product(&db.db, db.org_id, id, draft())
        .await
        .expect("updated");
    assert_eq!(
        again.product.updated_at, created.product.updated_at,
        "a price Magento gives with six decimals compares as stored"
    );
    let renamed = domain::products::update_product(
        &db.db,
        db.org_id,
        id,
        domain::products::ProductDraft {
            name: Some("Enamel Mug".to_owned()),
            ..draft()
        },
    )
    .await
    .expect("updated");
    assert!(renamed.product.updated_at > created.product.updated_at);
    db.drop().await;
}

/// The organisation's default location.
async fn default_location(shop: &Shop) -> Uuid {
    domain::reference::default_location(&shop.db.db, shop.db.org_id)
        .await
        .expect("a default location")
        .id
}

#[tokio::test]
async fn a_downloaded_product_gets_the_organisations_default_location_when_no_location_is_linked() {
    let shop = shop("pd_default_location").await;
    let default = default_location(&shop).await;
    shop.download().await;
    let products = shop.products().await;
    for sku in ["24-MB01", "HT-TEE-S-Sand", "SB-ENGRAVE"] {
        assert_eq!(products[sku].default_location_id, Some(default), "{sku}");
    }
    shop.stop().await;
}

#[tokio::test]
async fn a_downloaded_product_gets_the_stores_linked_location() {
    let shop = shop("pd_linked_location").await;
    let shopfront = shop.db.location("Shopfront").await;
    shop.settings(SettingsPatch {
        location_id: Some(Some(shopfront)),
        ..SettingsPatch::default()
    })
    .await;
    shop.download().await;
    let products = shop.products().await;
    assert_eq!(products["24-MB01"].default_location_id, Some(shopfront));
    assert_eq!(
        products["HT-TEE-M-Slate"].default_location_id,
        Some(shopfront)
    );
    shop.stop().await;
}

#[tokio::test]
async fn a_matched_product_keeps_its_default_location_and_one_without_gets_it() {
    let shop = shop("pd_matched_location").await;
    let back_room = shop.db.location("Back room").await;
    let kept = shop.db.product("24-MB01").await;
    product::ActiveModel {
        id: Set(kept),
        default_location_id: Set(Some(back_room)),
        ..Default::default()
    }
    .update(&shop.db.db)
    .await
    .expect("prepared");
    let blank = shop.db.product("24-wb04").await;
    shop.download().await;
    let products = shop.products().await;
    assert_eq!(products["24-MB01"].default_location_id, Some(back_room));
    assert_eq!(products["24-WB04"].id, blank);
    assert_eq!(
        products["24-WB04"].default_location_id,
        Some(default_location(&shop).await)
    );
    shop.stop().await;
}

#[tokio::test]
async fn a_configurables_images_are_kept_on_its_family() {
    let shop = shop("pd_family_images").await;
    shop.download().await;
    let tee = &shop.families().await["HT-TEE"];
    assert_eq!(
        domain::products::family_images(tee),
        [
            shop.sandbox.media_url("/h/t/ht-tee-front.jpg"),
            shop.sandbox.media_url("/h/t/ht-tee-back.jpg"),
        ]
    );
    let small = &shop.products().await["HT-TEE-S-Sand"];
    assert_eq!(small.images, serde_json::json!([]), "no image of its own");
    shop.stop().await;
}

#[tokio::test]
async fn a_downloaded_variant_without_its_own_image_is_updated_through_its_familys() {
    let shop = shop("pd_variant_update").await;
    shop.download().await;
    let small = shop.products().await["HT-TEE-S-Sand"].id;
    let session = StoreSession::open(&shop.services, shop.db.org_id, shop.store.id)
        .await
        .expect("session");

    let updated = publish::update_listed(&shop.db.db, &session, small, &ListOptions::default())
        .await
        .expect("every prerequisite holds after the download");

    assert_eq!(updated.status, ListingStatus::Listed);
    let child = shop.client().product("HT-TEE-S-Sand").await.expect("child");
    assert!(child.media_gallery_entries.is_empty(), "still none sent");
    shop.stop().await;
}
