//! Products, families and bills of materials: what a create or an update accepts and
//! refuses, and the filters bulk listing will select by.

mod common;

use common::{TestDb, qty, user_errors as errors};
use domain::entities::enums::{ProductKind, ProductStatus};
use domain::page::PageRequest;
use domain::products::{
    self, ComponentLine, FamilyDraft, FamilyMembership, ProductDraft, ProductFilter,
};
use domain::{DomainError, ErrorCode};
use rust_decimal::Decimal;
use uuid::Uuid;

fn draft(sku: &str) -> ProductDraft {
    ProductDraft {
        sku: Some(sku.to_owned()),
        name: Some(format!("Product {sku}")),
        ..ProductDraft::default()
    }
}

fn price(units: i64, cents: i64) -> Decimal {
    Decimal::new(units * 100 + cents, 2)
}

#[tokio::test]
async fn a_new_product_is_an_active_stock_product_with_its_prices() {
    let t = TestDb::new("product_create").await;
    let created = products::create_product(
        &t.db,
        t.org_id,
        ProductDraft {
            tags: Some(vec![
                "summer".into(),
                " summer ".into(),
                "".into(),
                "sale".into(),
            ]),
            prices: Some(vec![(1, Some(price(19, 99))), (3, Some(price(15, 0)))]),
            weight: Some(Some(qty(2))),
            ..draft("TEE-1")
        },
    )
    .await
    .expect("created");
    assert_eq!(created.product.kind, ProductKind::Stock);
    assert_eq!(created.product.status, ProductStatus::Active);
    assert_eq!(created.price(1), Some(price(19, 99)));
    assert_eq!(created.price(2), None);
    assert_eq!(created.price(3), Some(price(15, 0)));
    assert_eq!(created.tags(), vec!["summer".to_owned(), "sale".to_owned()]);
    let read = products::product_by_sku(&t.db, t.org_id, "tee-1")
        .await
        .expect("by sku");
    assert_eq!(read, created);
    t.drop().await;
}

#[tokio::test]
async fn a_sku_is_unique_per_organisation_without_regard_to_case() {
    let t = TestDb::new("product_sku_unique").await;
    products::create_product(&t.db, t.org_id, draft("MUG-BLK"))
        .await
        .expect("first");
    let err = products::create_product(&t.db, t.org_id, draft("mug-blk"))
        .await
        .expect_err("taken");
    assert_eq!(errors(err), vec![("sku".into(), ErrorCode::AlreadyExists)]);

    let other = domain::auth::ensure_organization(&t.db, "Other Org")
        .await
        .expect("org");
    products::create_product(&t.db, other.id, draft("MUG-BLK"))
        .await
        .expect("another organisation may use the same SKU");
    t.drop().await;
}

#[tokio::test]
async fn every_problem_of_a_create_is_reported_together_and_nothing_is_saved() {
    let t = TestDb::new("product_bad").await;
    let err = products::create_product(
        &t.db,
        t.org_id,
        ProductDraft {
            sku: Some("  ".into()),
            name: None,
            length: Some(Some(qty(-1))),
            prices: Some(vec![(11, Some(qty(1))), (2, Some(qty(-5)))]),
            default_location_id: Some(Some(Uuid::new_v4())),
            ..ProductDraft::default()
        },
    )
    .await
    .expect_err("bad");
    let mut found = errors(err);
    found.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        found,
        vec![
            ("defaultLocationId".into(), ErrorCode::NotFound),
            ("length".into(), ErrorCode::OutOfRange),
            ("name".into(), ErrorCode::Invalid),
            ("prices.0".into(), ErrorCode::OutOfRange),
            ("prices.1".into(), ErrorCode::OutOfRange),
            ("sku".into(), ErrorCode::Invalid),
        ]
    );
    let page = products::products(
        &t.db,
        t.org_id,
        &ProductFilter::default(),
        PageRequest::default(),
    )
    .await
    .expect("list");
    assert!(page.items.is_empty());
    t.drop().await;
}

#[tokio::test]
async fn a_sku_longer_than_magento_allows_is_refused() {
    let t = TestDb::new("product_sku_long").await;
    let err = products::create_product(&t.db, t.org_id, draft(&"X".repeat(65)))
        .await
        .expect_err("too long");
    assert_eq!(errors(err), vec![("sku".into(), ErrorCode::OutOfRange)]);
    t.drop().await;
}

#[tokio::test]
async fn an_update_changes_only_what_it_names_and_can_clear_a_field() {
    let t = TestDb::new("product_update").await;
    let created = products::create_product(
        &t.db,
        t.org_id,
        ProductDraft {
            description: Some(Some("Heavy cotton".into())),
            brand: Some(Some("Acme".into())),
            prices: Some(vec![(1, Some(qty(20))), (2, Some(qty(18)))]),
            ..draft("TEE-2")
        },
    )
    .await
    .expect("created");
    let updated = products::update_product(
        &t.db,
        t.org_id,
        created.product.id,
        ProductDraft {
            brand: Some(None),
            status: Some(ProductStatus::Deprecated),
            prices: Some(vec![(2, None), (4, Some(qty(12)))]),
            ..ProductDraft::default()
        },
    )
    .await
    .expect("updated");
    assert_eq!(updated.product.description.as_deref(), Some("Heavy cotton"));
    assert_eq!(updated.product.brand, None);
    assert_eq!(updated.product.status, ProductStatus::Deprecated);
    assert_eq!(
        updated
            .prices
            .iter()
            .map(|p| (p.tier, p.price))
            .collect::<Vec<_>>(),
        vec![(1, qty(20)), (4, qty(12))]
    );
    t.drop().await;
}

#[tokio::test]
async fn another_organisations_product_is_not_found() {
    let t = TestDb::new("product_tenancy").await;
    let other = domain::auth::ensure_organization(&t.db, "Other Org")
        .await
        .expect("org");
    let theirs = products::create_product(&t.db, other.id, draft("SECRET"))
        .await
        .expect("theirs");
    let err = products::update_product(&t.db, t.org_id, theirs.product.id, draft("MINE"))
        .await
        .expect_err("hidden");
    assert!(matches!(err, DomainError::NotFound { entity: "product" }));
    assert!(
        products::product(&t.db, t.org_id, theirs.product.id)
            .await
            .is_err()
    );
    t.drop().await;
}

async fn tee_family(t: &TestDb) -> Uuid {
    products::create_family(
        &t.db,
        t.org_id,
        FamilyDraft {
            sku: "TEE".into(),
            name: "Tee".into(),
            option_names: vec!["Size".into(), "Colour".into()],
            ..FamilyDraft::default()
        },
    )
    .await
    .expect("family")
    .id
}

fn variant(sku: &str, family_id: Uuid, values: &[&str]) -> ProductDraft {
    ProductDraft {
        family: Some(Some(FamilyMembership {
            family_id,
            option_values: values.iter().map(|v| (*v).to_owned()).collect(),
        })),
        ..draft(sku)
    }
}

#[tokio::test]
async fn variants_name_their_family_and_one_value_for_each_of_its_options() {
    let t = TestDb::new("product_family").await;
    let family = tee_family(&t).await;
    let small =
        products::create_product(&t.db, t.org_id, variant("TEE-S-RED", family, &["S", "Red"]))
            .await
            .expect("variant");
    assert_eq!(
        small.option_values(),
        vec!["S".to_owned(), "Red".to_owned()]
    );

    let err = products::create_product(&t.db, t.org_id, variant("TEE-S", family, &["S"]))
        .await
        .expect_err("one value short");
    assert_eq!(
        errors(err),
        vec![("family.optionValues".into(), ErrorCode::InvalidCombination)]
    );
    let err = products::create_product(
        &t.db,
        t.org_id,
        variant("TEE-S-RED-2", family, &["S", "Red"]),
    )
    .await
    .expect_err("same options twice");
    assert_eq!(errors(err), vec![("sku".into(), ErrorCode::AlreadyExists)]);
    let err = products::create_product(&t.db, t.org_id, draft("tee"))
        .await
        .expect_err("the family's SKU");
    assert_eq!(errors(err), vec![("sku".into(), ErrorCode::AlreadyExists)]);
    t.drop().await;
}

#[tokio::test]
async fn a_family_has_one_to_three_named_options() {
    let t = TestDb::new("family_options").await;
    for names in [vec![], vec!["A", "B", "C", "D"], vec!["Size", " "]] {
        let err = products::create_family(
            &t.db,
            t.org_id,
            FamilyDraft {
                sku: "FAM".into(),
                name: "Fam".into(),
                option_names: names.iter().map(|n| (*n).to_owned()).collect(),
                ..FamilyDraft::default()
            },
        )
        .await
        .expect_err("bad options");
        assert_eq!(
            errors(err),
            vec![("optionNames".into(), ErrorCode::OutOfRange)]
        );
    }
    t.drop().await;
}

#[tokio::test]
async fn a_bill_of_materials_cannot_contain_its_own_product_even_through_components() {
    let t = TestDb::new("product_bom_cycle").await;
    let wheel = products::create_product(&t.db, t.org_id, draft("WHEEL"))
        .await
        .expect("wheel");
    let cart = products::create_product(
        &t.db,
        t.org_id,
        ProductDraft {
            components: Some(vec![ComponentLine {
                component_id: wheel.product.id,
                quantity: qty(4),
            }]),
            auto_assembly: Some(true),
            ..draft("CART")
        },
    )
    .await
    .expect("cart with wheels");
    assert_eq!(cart.components.len(), 1);

    let err = products::update_product(
        &t.db,
        t.org_id,
        wheel.product.id,
        ProductDraft {
            components: Some(vec![ComponentLine {
                component_id: cart.product.id,
                quantity: qty(1),
            }]),
            ..ProductDraft::default()
        },
    )
    .await
    .expect_err("a wheel made of carts made of wheels");
    assert_eq!(
        errors(err),
        vec![("components".into(), ErrorCode::InvalidCombination)]
    );
    let err = products::update_product(
        &t.db,
        t.org_id,
        wheel.product.id,
        ProductDraft {
            components: Some(vec![ComponentLine {
                component_id: wheel.product.id,
                quantity: qty(1),
            }]),
            ..ProductDraft::default()
        },
    )
    .await
    .expect_err("itself");
    assert_eq!(
        errors(err),
        vec![("components.0".into(), ErrorCode::InvalidCombination)]
    );
    t.drop().await;
}

#[tokio::test]
async fn auto_assembly_needs_a_bill_of_materials_and_quantities_are_positive_and_bounded() {
    let t = TestDb::new("product_bom_rules").await;
    let err = products::create_product(
        &t.db,
        t.org_id,
        ProductDraft {
            auto_assembly: Some(true),
            ..draft("KIT")
        },
    )
    .await
    .expect_err("nothing to assemble from");
    assert_eq!(
        errors(err),
        vec![("autoAssembly".into(), ErrorCode::RequiresSetting)]
    );
    let part = products::create_product(&t.db, t.org_id, draft("PART"))
        .await
        .expect("part");
    for (quantity, why) in [(0, "zero"), (100_000_000, "more than a quantity can hold")] {
        let err = products::create_product(
            &t.db,
            t.org_id,
            ProductDraft {
                components: Some(vec![ComponentLine {
                    component_id: part.product.id,
                    quantity: qty(quantity),
                }]),
                ..draft("KIT")
            },
        )
        .await
        .expect_err(why);
        assert_eq!(
            errors(err),
            vec![("components.0".into(), ErrorCode::OutOfRange)],
            "{why}"
        );
    }
    t.drop().await;
}

#[tokio::test]
async fn a_product_holding_stock_cannot_stop_being_a_stock_product() {
    let t = TestDb::new("product_kind_change").await;
    let bolt = products::create_product(&t.db, t.org_id, draft("BOLT"))
        .await
        .expect("bolt");
    let location = t.location("Shop").await;
    domain::stock::adjust(&t.db, t.org_id, bolt.product.id, location, qty(3), "count")
        .await
        .expect("stock");
    let err = products::update_product(
        &t.db,
        t.org_id,
        bolt.product.id,
        ProductDraft {
            kind: Some(ProductKind::Service),
            ..ProductDraft::default()
        },
    )
    .await
    .expect_err("has stock");
    assert_eq!(
        errors(err),
        vec![("kind".into(), ErrorCode::InvalidCombination)]
    );
    t.drop().await;
}

#[tokio::test]
async fn products_are_filtered_by_category_brand_family_tag_attribute_set_and_text() {
    let t = TestDb::new("product_filters").await;
    let family = tee_family(&t).await;
    let make = |sku: &str, category: &str, brand: &str, tag: &str, set: &str| ProductDraft {
        category: Some(Some(category.into())),
        brand: Some(Some(brand.into())),
        tags: Some(vec![tag.into()]),
        attribute_set: Some(Some(set.into())),
        ..draft(sku)
    };
    for d in [
        make("BAG-1", "Bags", "Acme", "travel", "Bag"),
        make("BAG-2", "Bags", "Zenith", "gym", "Bag"),
        make("BOTTLE_1", "Gear", "Acme", "gym", "Gear"),
    ] {
        products::create_product(&t.db, t.org_id, d)
            .await
            .expect("product");
    }
    products::create_product(
        &t.db,
        t.org_id,
        variant("TEE-M-BLUE", family, &["M", "Blue"]),
    )
    .await
    .expect("variant");
    let skus = |filter: ProductFilter| {
        let (db, org) = (t.db.clone(), t.org_id);
        async move {
            let mut skus: Vec<String> =
                products::products(&db, org, &filter, PageRequest::default())
                    .await
                    .expect("list")
                    .items
                    .into_iter()
                    .map(|(_, r)| r.product.sku)
                    .collect();
            skus.sort();
            skus
        }
    };
    assert_eq!(
        skus(ProductFilter {
            category: Some("bags".into()),
            ..Default::default()
        })
        .await,
        ["BAG-1", "BAG-2"]
    );
    assert_eq!(
        skus(ProductFilter {
            brand: Some("Acme".into()),
            ..Default::default()
        })
        .await,
        ["BAG-1", "BOTTLE_1"]
    );
    assert_eq!(
        skus(ProductFilter {
            tag: Some("gym".into()),
            ..Default::default()
        })
        .await,
        ["BAG-2", "BOTTLE_1"]
    );
    assert_eq!(
        skus(ProductFilter {
            attribute_set: Some("Gear".into()),
            ..Default::default()
        })
        .await,
        ["BOTTLE_1"]
    );
    assert_eq!(
        skus(ProductFilter {
            family_id: Some(family),
            ..Default::default()
        })
        .await,
        ["TEE-M-BLUE"]
    );
    assert_eq!(
        skus(ProductFilter {
            search: Some("bag".into()),
            ..Default::default()
        })
        .await,
        ["BAG-1", "BAG-2"]
    );
    assert_eq!(
        skus(ProductFilter {
            search: Some("_".into()),
            ..Default::default()
        })
        .await,
        ["BOTTLE_1"],
        "an underscore is literal, not a wildcard"
    );
    assert_eq!(
        skus(ProductFilter {
            skus: Some(vec!["bag-2".into(), "tee-m-blue".into()]),
            ..Default::default()
        })
        .await,
        ["BAG-2", "TEE-M-BLUE"]
    );
    t.drop().await;
}

#[tokio::test]
async fn product_pages_follow_each_other_without_gaps_or_repeats() {
    let t = TestDb::new("product_pages").await;
    for i in 0..7 {
        products::create_product(&t.db, t.org_id, draft(&format!("P{i}")))
            .await
            .expect("product");
    }
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = products::products(
            &t.db,
            t.org_id,
            &ProductFilter::default(),
            PageRequest {
                first: Some(3),
                after,
                count_total: true,
            },
        )
        .await
        .expect("page");
        assert_eq!(
            page.total_count,
            Some(7),
            "every page counts the whole list"
        );
        after = page.items.last().map(|(c, _)| *c);
        seen.extend(page.items.into_iter().map(|(_, r)| r.product.sku));
        if !page.has_next_page {
            break;
        }
    }
    seen.sort();
    assert_eq!(seen, (0..7).map(|i| format!("P{i}")).collect::<Vec<_>>());
    t.drop().await;
}
