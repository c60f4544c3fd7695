//! "Manage the Catalog" against the sandbox, through GraphQL: listing a product creates
//! it in Magento at the `all` scope with the mapped fields, an update leaves category and
//! images alone and pushes the stock whatever "Update Stock Levels" says, a family lists
//! as a configurable product, unlink keeps both products and remove deletes Magento's.
//! `serve --demo` lists its own product with no internet: the image is the sandbox's.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use magento::MagentoError;
use magento::search::SearchCriteria;
use tests::shop::{Shop, shop};

const UNLINK: &str = r#"
mutation($store: ID!, $product: ID!) {
  listingUnlink(storeId: $store, productId: $product) {
    listing { status magentoProductId product { sku } }
    userErrors { field message code }
  }
}"#;

const REMOVE: &str = r#"
mutation($store: ID!, $product: ID!) {
  listingRemove(storeId: $store, productId: $product) {
    listing { status magentoProductId }
    userErrors { field message code }
  }
}"#;

fn codes(payload: &Value) -> Vec<String> {
    let mut codes: Vec<String> = payload["userErrors"]
        .as_array()
        .expect("user errors")
        .iter()
        .map(|e| e["code"].as_str().unwrap_or_default().to_owned())
        .collect();
    codes.sort();
    codes
}

/// The store's catalogue: every product with its listing status.
async fn catalog(shop: &Shop) -> Vec<Value> {
    let data = shop
        .gql
        .data(
            "query($id: ID!) { store(id: $id) { catalog(first: 100) { nodes {
                product { sku } status magentoProductId } } } }",
            json!({ "id": shop.store }),
        )
        .await;
    data["store"]["catalog"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("catalogue: {data}"))
}

#[tokio::test]
async fn listing_needs_a_description_an_image_a_default_location_and_an_attribute_set() {
    let shop = shop("listing_prereqs").await;
    let created = shop
        .gql
        .data(
            "mutation { productCreate(input: { sku: \"BARE\", name: \"Bare\" }) { product { id } } }",
            json!({}),
        )
        .await;
    let bare = created["productCreate"]["product"]["id"]
        .as_str()
        .expect("id");
    let payload = shop.list(bare, json!({})).await;
    assert_eq!(payload["listing"], Value::Null);
    assert_eq!(
        codes(&payload),
        [
            "ATTRIBUTE_SET_MISSING",
            "DEFAULT_LOCATION_MISSING",
            "DESCRIPTION_MISSING",
            "IMAGE_MISSING"
        ]
    );
    assert!(
        matches!(
            shop.magento.product("BARE").await,
            Err(MagentoError::NotFound { .. })
        ),
        "nothing was sent to Magento"
    );

    let complete = shop.product("BOLT", json!({})).await;
    let unknown_set = shop
        .list(&complete, json!({ "attributeSet": "Shoes" }))
        .await;
    assert_eq!(codes(&unknown_set), ["ATTRIBUTE_SET_MISSING"]);
    assert!(
        unknown_set["userErrors"][0]["message"]
            .as_str()
            .expect("message")
            .contains("no such attribute set in Magento")
    );
}

#[tokio::test]
async fn a_simple_product_is_created_in_magento_with_the_mapped_fields() {
    let shop = shop("listing_simple").await;
    shop.settings(json!({ "priceTier": 1, "salePriceTier": 2 }))
        .await;
    let bolt = shop
        .product(
            "BOLT",
            json!({
                "name": "Hex Bolt M8",
                "category": "gear",
                "weight": "0.25",
                "length": "8", "width": "1.5", "height": "1.5",
                "prices": [{ "tier": 1, "price": "12.50" }, { "tier": 2, "price": "9.99" }],
            }),
        )
        .await;
    let listing = shop
        .listed(&bolt, json!({ "createEnabled": true, "stockSync": false }))
        .await;
    assert_eq!(listing["status"], "LISTED");
    assert_eq!(listing["attributeSet"], "Gear");
    assert_eq!(listing["stockSync"], false);
    assert_eq!(listing["magentoSku"], "BOLT");

    let saved = shop.in_magento("BOLT").await;
    assert_eq!(Some(saved.id), listing["magentoProductId"].as_i64());
    assert_eq!(saved.type_id, magento::dto::ProductType::Simple);
    assert_eq!(saved.name, "Hex Bolt M8");
    assert_eq!(saved.price, Some(Decimal::new(125, 1)));
    assert_eq!(saved.weight, Some(Decimal::new(25, 2)));
    assert_eq!(saved.attribute_set_id, Some(16), "Gear");
    assert_eq!(
        saved.visibility,
        Some(magento::dto::Visibility::CatalogAndSearch)
    );
    assert_eq!(saved.status, Some(magento::dto::ProductStatus::Enabled));
    assert_eq!(
        saved.text_attribute("description"),
        Some("<p>Sturdy and plain.</p>")
    );
    assert_eq!(
        saved.decimal_attribute("special_price"),
        Some(Decimal::new(999, 2))
    );
    assert_eq!(
        saved.decimal_attribute("ts_dimensions_length"),
        Some(Decimal::from(8))
    );
    assert_eq!(saved.website_ids(), [1]);
    assert_eq!(saved.category_ids(), [5], "the Gear category");
    assert_eq!(saved.media_gallery_entries.len(), 1);
    assert!(
        saved.media_gallery_entries[0]
            .types
            .contains(&"image".to_owned())
    );
}

#[tokio::test]
async fn a_product_is_created_disabled_unless_create_enabled_is_on() {
    let shop = shop("listing_disabled").await;
    let nut = shop.product("NUT", json!({})).await;
    shop.listed(&nut, json!({})).await;
    assert_eq!(
        shop.in_magento("NUT").await.status,
        Some(magento::dto::ProductStatus::Disabled)
    );
}

#[tokio::test]
async fn an_update_sends_neither_category_nor_images_and_leaves_the_status_alone() {
    let shop = shop("listing_update").await;
    let bolt = shop.product("BOLT", json!({ "category": "Gear" })).await;
    shop.listed(&bolt, json!({})).await;
    shop.edit(
        &bolt,
        json!({
            "name": "Hex Bolt M10",
            "category": "Tops",
            "images": [format!("{}/img/a.png", shop.images), format!("{}/img/b.png", shop.images)],
        }),
    )
    .await;
    let payload = shop.update(&bolt).await;
    assert_eq!(payload["userErrors"], json!([]), "{payload}");

    let saved = shop.in_magento("BOLT").await;
    assert_eq!(saved.name, "Hex Bolt M10");
    assert_eq!(saved.category_ids(), [5], "still Gear");
    assert_eq!(
        saved.media_gallery_entries.len(),
        1,
        "still the first image"
    );
    assert_eq!(saved.status, Some(magento::dto::ProductStatus::Disabled));
}

#[tokio::test]
async fn updating_a_product_that_is_not_listed_is_a_user_error() {
    let shop = shop("listing_update_unlisted").await;
    let bolt = shop.product("BOLT", json!({})).await;
    let payload = shop.update(&bolt).await;
    assert_eq!(codes(&payload), ["INVALID"]);
    assert_eq!(
        payload["userErrors"][0]["field"],
        json!(["input", "productId"])
    );
}

#[tokio::test]
async fn an_update_pushes_the_stock_even_with_update_stock_levels_off() {
    let shop = shop("listing_stock").await;
    let bolt = shop.product("BOLT", json!({})).await;
    shop.adjust(&bolt, "5").await;
    let listing = shop.listed(&bolt, json!({})).await;
    assert_eq!(listing["lastPushedQuantity"], "5");
    assert_eq!(shop.quantity_in_magento("BOLT").await, Decimal::from(5));

    shop.adjust(&bolt, "7").await;
    let payload = shop.update(&bolt).await;
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    assert_eq!(payload["listing"]["lastPushedQuantity"], "12");
    assert_eq!(shop.quantity_in_magento("BOLT").await, Decimal::from(12));
}

#[tokio::test]
async fn a_product_buffer_set_when_listing_is_taken_off_the_quantity_that_listing_pushes() {
    let shop = shop("listing_buffer_at_list").await;
    shop.settings(
        json!({ "updateStockLevels": true, "useBufferInventory": true, "bufferInventory": 1 }),
    )
    .await;
    let bolt = shop.product("BOLT", json!({})).await;
    shop.adjust(&bolt, "10").await;

    let listing = shop
        .listed(
            &bolt,
            json!({ "productBuffer": { "mode": "SET", "value": 4 } }),
        )
        .await;

    assert_eq!(listing["lastPushedQuantity"], "6", "{listing}");
    assert_eq!(shop.quantity_in_magento("BOLT").await, Decimal::from(6));

    // Back to the channel buffer on the next update.
    let payload = shop
        .gql
        .data(
            tests::shop::UPDATE,
            json!({ "input": { "storeId": shop.store, "productId": bolt,
                               "productBuffer": { "mode": "REMOVE" } } }),
        )
        .await["listingUpdate"]
        .clone();
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    assert_eq!(shop.quantity_in_magento("BOLT").await, Decimal::from(9));
}

#[tokio::test]
async fn listing_twice_updates_the_same_magento_product() {
    let shop = shop("listing_twice").await;
    let bolt = shop.product("BOLT", json!({})).await;
    let first = shop.listed(&bolt, json!({})).await;
    let second = shop
        .listed(
            &bolt,
            json!({ "productBuffer": { "mode": "SET", "value": 2 } }),
        )
        .await;
    assert_eq!(first["magentoProductId"], second["magentoProductId"]);
    assert_eq!(second["productBufferEnabled"], true);
    assert_eq!(second["productBuffer"], 2);
    let found = shop
        .magento
        .products(SearchCriteria::new().filter("sku", "BOLT", "eq"))
        .await
        .expect("search");
    assert_eq!(found.len(), 1);
    assert_eq!(shop.in_magento("BOLT").await.media_gallery_entries.len(), 1);
}

#[tokio::test]
async fn two_concurrent_listings_of_one_product_make_one_magento_product_and_one_listing() {
    let shop = shop("listing_concurrent").await;
    let bolt = shop.product("BOLT", json!({})).await;

    let (first, second) = tokio::join!(shop.list(&bolt, json!({})), shop.list(&bolt, json!({})));

    for payload in [&first, &second] {
        assert_eq!(payload["userErrors"], json!([]), "{payload}");
        assert_eq!(payload["listing"]["status"], "LISTED", "{payload}");
    }
    assert_eq!(
        first["listing"]["magentoProductId"],
        second["listing"]["magentoProductId"]
    );
    let found = shop
        .magento
        .products(SearchCriteria::new().filter("sku", "BOLT", "eq"))
        .await
        .expect("search");
    assert_eq!(found.len(), 1, "one product in Magento");
    assert_eq!(
        shop.in_magento("BOLT").await.media_gallery_entries.len(),
        1,
        "created once: the second call updated it, sending no images"
    );
    let entries: Vec<Value> = catalog(&shop)
        .await
        .into_iter()
        .filter(|n| n["product"]["sku"] == "BOLT")
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["status"], "LISTED");
    assert_eq!(
        entries[0]["magentoProductId"].as_i64(),
        Some(found[0].id),
        "the one listing links the one Magento product"
    );
}

#[tokio::test]
async fn more_concurrent_listings_than_pooled_connections_all_finish() {
    // The test server's pool has 5 connections; each listing holds one for its lock.
    let shop = shop("listing_many_at_once").await;
    let mut products = Vec::new();
    for n in 0..7 {
        products.push(shop.product(&format!("BOLT-{n}"), json!({})).await);
    }

    let lists = products.iter().map(|p| shop.list(p, json!({})));
    let payloads = futures_util::future::join_all(lists).await;

    for payload in &payloads {
        assert_eq!(payload["userErrors"], json!([]), "{payload}");
        assert_eq!(payload["listing"]["status"], "LISTED", "{payload}");
    }
    let listed = catalog(&shop)
        .await
        .into_iter()
        .filter(|n| n["status"] == "LISTED")
        .count();
    assert_eq!(listed, 7);
}

#[tokio::test]
async fn unlink_breaks_the_link_and_keeps_both_products() {
    let shop = shop("listing_unlink").await;
    let bolt = shop.product("BOLT", json!({})).await;
    shop.listed(&bolt, json!({})).await;
    let payload = shop
        .gql
        .data(UNLINK, json!({ "store": shop.store, "product": bolt }))
        .await["listingUnlink"]
        .clone();
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    assert_eq!(payload["listing"]["status"], "NOT_LISTED");
    assert_eq!(payload["listing"]["magentoProductId"], Value::Null);
    assert_eq!(payload["listing"]["product"]["sku"], "BOLT");
    assert_eq!(shop.in_magento("BOLT").await.sku, "BOLT");
}

#[tokio::test]
async fn remove_deletes_the_product_in_magento_and_unlinks_it() {
    let shop = shop("listing_remove").await;
    let bolt = shop.product("BOLT", json!({})).await;
    shop.listed(&bolt, json!({})).await;
    let payload = shop
        .gql
        .data(REMOVE, json!({ "store": shop.store, "product": bolt }))
        .await["listingRemove"]
        .clone();
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    assert_eq!(payload["listing"]["status"], "NOT_LISTED");
    assert!(matches!(
        shop.magento.product("BOLT").await,
        Err(MagentoError::NotFound { .. })
    ));
}

#[tokio::test]
async fn a_product_with_a_bill_of_materials_lists_as_simple_and_a_service_as_virtual() {
    let shop = shop("listing_bom").await;
    let part = shop.product("PART", json!({})).await;
    let kit = shop
        .product(
            "KIT",
            json!({ "components": [{ "componentId": part, "quantity": "2" }] }),
        )
        .await;
    let fitting = shop.product("FITTING", json!({ "kind": "SERVICE" })).await;
    shop.listed(&kit, json!({})).await;
    shop.listed(&fitting, json!({})).await;
    assert_eq!(
        shop.in_magento("KIT").await.type_id,
        magento::dto::ProductType::Simple
    );
    assert_eq!(
        shop.in_magento("FITTING").await.type_id,
        magento::dto::ProductType::Virtual
    );
}

#[tokio::test]
async fn a_magento_refusal_is_a_clear_user_error() {
    let shop = shop("listing_refused").await;
    // The seeded shop has "Joust Duffle Bag": its url key is taken.
    let bag = shop
        .product("MY-BAG", json!({ "name": "Joust Duffle Bag" }))
        .await;
    let payload = shop.list(&bag, json!({})).await;
    assert_eq!(codes(&payload), ["MAGENTO_ERROR"]);
    assert!(
        payload["userErrors"][0]["message"]
            .as_str()
            .expect("message")
            .contains("URL key for specified store already exists"),
        "{payload}"
    );
}

/// A family of two options and three variants, in the ledger.
async fn tee_family(shop: &Shop) -> Vec<String> {
    let family = shop
        .gql
        .data(
            "mutation { productFamilyCreate(input: { sku: \"LT-TEE\", name: \"Lotus Tee\",
                description: \"<p>Soft.</p>\", category: \"Tops\", optionNames: [\"Color\", \"Size\"] }) {
                family { id } userErrors { field message } } }",
            json!({}),
        )
        .await;
    let family_id = family["productFamilyCreate"]["family"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("family: {family}"))
        .to_owned();
    let mut ids = Vec::new();
    for (sku, color, size) in [
        ("LT-TEE-RED-S", "Red", "S"),
        ("LT-TEE-RED-M", "Red", "M"),
        ("LT-TEE-TEAL-S", "Teal", "S"),
    ] {
        ids.push(
            shop.product(
                sku,
                json!({
                    "name": "Lotus Tee",
                    "attributeSet": "Top",
                    "family": { "familyId": family_id, "optionValues": [color, size] },
                }),
            )
            .await,
        );
    }
    ids
}

#[tokio::test]
async fn a_family_lists_as_a_configurable_product_with_its_children_options_and_links() {
    let shop = shop("listing_family").await;
    let variants = tee_family(&shop).await;
    let listing = shop.listed(&variants[0], json!({})).await;

    let parent = shop.in_magento("LT-TEE").await;
    assert_eq!(parent.type_id, magento::dto::ProductType::Configurable);
    assert_eq!(parent.name, "Lotus Tee");
    assert_eq!(parent.attribute_set_id, Some(9), "Top");
    assert_eq!(listing["magentoParentId"].as_i64(), Some(parent.id));
    let options = shop
        .magento
        .configurable_options("LT-TEE")
        .await
        .expect("options");
    let mut attribute_ids: Vec<i64> = options.iter().map(|o| o.attribute_id).collect();
    attribute_ids.sort_unstable();
    assert_eq!(attribute_ids, [93, 144], "color and size");

    let color = shop
        .magento
        .product_attribute("color")
        .await
        .expect("color");
    let mut children = Vec::new();
    for sku in ["LT-TEE-RED-S", "LT-TEE-RED-M", "LT-TEE-TEAL-S"] {
        let child = shop.in_magento(sku).await;
        assert_eq!(
            child.visibility,
            Some(magento::dto::Visibility::NotVisibleIndividually)
        );
        let value = child.text_attribute("color").expect("a color value");
        let expected = if sku.contains("TEAL") { "Teal" } else { "Red" };
        assert_eq!(color.option_label(value), Some(expected));
        children.push(child.id);
    }
    let mut linked = parent.configurable_child_ids().to_vec();
    linked.sort_unstable();
    children.sort_unstable();
    assert_eq!(linked, children);

    // Every variant is listed under the parent.
    for variant in &variants[1..] {
        let again = shop.update(variant).await;
        assert_eq!(again["userErrors"], json!([]), "{again}");
        assert_eq!(again["listing"]["status"], "LISTED");
    }
}

#[tokio::test]
async fn listing_another_variant_updates_the_family_without_duplicating_it() {
    let shop = shop("listing_family_twice").await;
    let variants = tee_family(&shop).await;
    let first = shop.listed(&variants[0], json!({})).await;
    let second = shop.listed(&variants[2], json!({})).await;
    assert_eq!(first["magentoParentId"], second["magentoParentId"]);
    let parents = shop
        .magento
        .products(SearchCriteria::new().filter("sku", "LT-TEE%", "like"))
        .await
        .expect("search");
    assert_eq!(parents.len(), 4, "one parent and three children");
    let parent = shop.in_magento("LT-TEE").await;
    assert_eq!(parent.configurable_child_ids().len(), 3);
    assert_eq!(
        shop.magento
            .configurable_options("LT-TEE")
            .await
            .expect("options")
            .len(),
        2
    );
}

/// Another variant in the family of `sibling`, with these option values.
async fn add_variant(shop: &Shop, sibling: &str, sku: &str, values: [&str; 2]) -> String {
    let read = shop
        .gql
        .data(
            "query($id: ID!) { product(id: $id) { family { id } } }",
            json!({ "id": sibling }),
        )
        .await;
    let family_id = read["product"]["family"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("family: {read}"))
        .to_owned();
    shop.product(
        sku,
        json!({
            "name": "Lotus Tee",
            "attributeSet": "Top",
            "family": { "familyId": family_id, "optionValues": values },
        }),
    )
    .await
}

#[tokio::test]
async fn a_variant_with_a_new_option_value_joins_the_listed_configurable_with_that_value() {
    let shop = shop("listing_family_new_value").await;
    let variants = tee_family(&shop).await;
    shop.listed(&variants[0], json!({})).await;
    let sage = add_variant(&shop, &variants[0], "LT-TEE-SAGE-M", ["Sage", "M"]).await;

    let listing = shop.listed(&sage, json!({})).await;

    let color = shop
        .magento
        .product_attribute("color")
        .await
        .expect("color");
    let sage_value = color
        .option_by_label("Sage")
        .expect("Sage is an option of color")
        .value
        .clone();
    let child = shop.in_magento("LT-TEE-SAGE-M").await;
    assert_eq!(child.text_attribute("color"), Some(sage_value.as_str()));
    let parent = shop.in_magento("LT-TEE").await;
    assert_eq!(listing["magentoParentId"].as_i64(), Some(parent.id));
    assert!(
        parent.configurable_child_ids().contains(&child.id),
        "linked: {:?}",
        parent.configurable_child_ids()
    );
    let options = shop
        .magento
        .configurable_options("LT-TEE")
        .await
        .expect("options");
    let color_values: Vec<String> = options
        .iter()
        .find(|o| o.attribute_id == color.attribute_id)
        .expect("a color option")
        .values
        .iter()
        .map(|v| v.value_index.to_string())
        .collect();
    assert!(
        color_values.contains(&sage_value),
        "{sage_value} among {color_values:?}"
    );
}

#[tokio::test]
async fn an_image_that_cannot_be_read_fails_the_listing_before_magento_is_touched() {
    let shop = shop("listing_bad_image").await;
    // Port 9 (discard) is closed on the test machine.
    let bolt = shop
        .product("BOLT", json!({ "images": ["http://127.0.0.1:9/bolt.png"] }))
        .await;
    let payload = shop.list(&bolt, json!({})).await;
    assert_eq!(codes(&payload), ["IMAGE_MISSING"]);
    assert!(matches!(
        shop.magento.product("BOLT").await,
        Err(MagentoError::NotFound { .. })
    ));
}

#[tokio::test]
async fn removing_a_familys_last_listed_variant_also_removes_its_configurable() {
    let shop = shop("listing_family_remove").await;
    let variants = tee_family(&shop).await;
    shop.listed(&variants[0], json!({})).await;
    let remove = |product: String| {
        let gql = &shop.gql;
        let store = shop.store.clone();
        async move {
            let payload = gql
                .data(REMOVE, json!({ "store": store, "product": product }))
                .await["listingRemove"]
                .clone();
            assert_eq!(payload["userErrors"], json!([]), "{payload}");
        }
    };
    remove(variants[0].clone()).await;
    remove(variants[1].clone()).await;
    let parent = shop.in_magento("LT-TEE").await;
    assert_eq!(parent.configurable_child_ids().len(), 1, "one variant left");
    remove(variants[2].clone()).await;
    assert!(matches!(
        shop.magento.product("LT-TEE").await,
        Err(MagentoError::NotFound { .. })
    ));
}

/// The bytes and content type at `url`.
async fn fetched(url: &str) -> (String, Vec<u8>) {
    let response = reqwest::get(url).await.expect("answered");
    assert_eq!(response.status(), 200, "{url}");
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (content_type, response.bytes().await.expect("body").to_vec())
}

#[tokio::test]
async fn the_demo_lists_its_listable_product_with_an_image_its_own_sandbox_serves() {
    let env = tests::Env::new("demo_listing").await;
    let (server, demo) = tests::Server::start_demo(&env).await;
    let gql = server.gql(demo["api_key"].as_str());
    let metadata = tests::finished_job(&gql, demo["metadata_job_id"].as_str().expect("job")).await;
    assert_eq!(metadata["state"], "SUCCEEDED", "{metadata}");
    let product = demo["product_id"].as_str().expect("the demo's product");
    let images = gql
        .data(
            "query($id: ID!) { product(id: $id) { sku images } }",
            json!({ "id": product }),
        )
        .await["product"]
        .clone();
    assert_eq!(images["sku"], demo["product_sku"]);
    let sandbox_url = demo["sandbox_url"].as_str().expect("sandbox url");
    let image_url = images["images"][0].as_str().expect("an image URL");
    assert!(image_url.starts_with(sandbox_url), "{image_url}");

    let listed = gql
        .data(
            tests::shop::LIST,
            json!({ "input": { "storeId": demo["store_id"], "productId": product,
                               "attributeSet": "Default", "createEnabled": true } }),
        )
        .await["listingList"]
        .clone();

    assert_eq!(listed["userErrors"], json!([]), "{listed}");
    assert_eq!(listed["listing"]["status"], "LISTED");
    assert_eq!(listed["listing"]["lastPushedQuantity"], "15", "its stock");
    let media: Value = reqwest::get(format!("{sandbox_url}/sandbox/media"))
        .await
        .expect("media")
        .json()
        .await
        .expect("json");
    let uploaded = media["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["sku"] == demo["product_sku"])
        .unwrap_or_else(|| panic!("the product's image in the sandbox: {media}"))
        .clone();
    let url_path = uploaded["url_path"].as_str().expect("url path");
    let (content_type, bytes) = fetched(&format!("{sandbox_url}{url_path}")).await;
    assert_eq!(content_type, "image/png");
    assert_eq!(bytes, fetched(image_url).await.1, "the product's image");
}

#[tokio::test]
async fn a_restarted_demo_points_its_products_image_at_the_new_sandbox() {
    let env = tests::Env::new("demo_restart").await;
    let (first, before) = tests::Server::start_demo(&env).await;
    drop(first);
    let (server, after) = tests::Server::start_demo(&env).await;
    assert_eq!(
        after["product_id"], before["product_id"],
        "the same product"
    );
    let gql = server.gql(after["api_key"].as_str());
    let product = gql
        .data(
            "query($id: ID!) { product(id: $id) { images availability { onHand } } }",
            json!({ "id": after["product_id"] }),
        )
        .await["product"]
        .clone();
    let sandbox_url = after["sandbox_url"].as_str().expect("sandbox url");
    assert_eq!(product["images"].as_array().map(Vec::len), Some(1));
    let image = product["images"][0].as_str().expect("image");
    assert!(image.starts_with(sandbox_url), "{image}");
    assert_eq!(fetched(image).await.0, "image/png");
    assert_eq!(product["availability"]["onHand"], "15", "stock added once");
}
