//! The client's product writes against a sandbox store: every endpoint round-trips,
//! errors come back typed, writes go to the `all` scope, and a write whose answer is
//! lost is settled by reading the store instead of being applied twice.

mod common;

use std::time::Duration;

use magento::dto::{
    ConfigurableOptionInput, MAIN_IMAGE_ROLES, MediaEntryInput, ProductInput, ProductStatus,
    ProductType, Visibility,
};
use magento::{ClientOptions, Credentials, MagentoClient, MagentoError};
use rust_decimal::dec;
use sandbox::RunningSandbox;
use serde_json::{Value, json};

use common::{connect, fast_retry, faults, inject, requests, signed, start};

/// A few bytes that start like a JPEG file, which is all the sandbox checks.
const JPEG: [u8; 8] = [0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46];

/// Short timeout (hung answers end quickly) and fast retries.
fn client(sandbox: &RunningSandbox, label: &str) -> MagentoClient {
    let options = ClientOptions {
        timeout: Duration::from_millis(700),
        store_label: label.to_owned(),
        retry: fast_retry(3),
        ..ClientOptions::default()
    };
    connect(sandbox, options)
}

/// Asserts that every injected fault struck exactly once (so each write met its fault).
async fn each_fault_fired_once(sandbox: &RunningSandbox) {
    let faults = faults(sandbox).await;
    let fired: Vec<u64> = faults["faults"]
        .as_array()
        .expect("faults")
        .iter()
        .map(|f| f["fired"].as_u64().unwrap_or(0))
        .collect();
    assert!(
        !fired.is_empty() && fired.iter().all(|n| *n == 1),
        "{faults}"
    );
}

/// The three ways an applied write's answer gets lost: the connection breaks, the
/// answer never comes in time, a gateway gives up.
fn lost_answers(endpoint: &str) -> [(&'static str, Value); 3] {
    [
        (
            "drop",
            json!({"endpoint": endpoint, "kind": "drop", "count": 1, "after_processing": true}),
        ),
        (
            "timeout",
            json!({"endpoint": endpoint, "kind": "timeout", "latency_ms": 1500, "count": 1,
                   "after_processing": true}),
        ),
        (
            "502",
            json!({"endpoint": endpoint, "kind": "status", "status": 502, "count": 1,
                   "after_processing": true}),
        ),
    ]
}

/// A failure before the service ran: nothing was applied.
fn refused_before(endpoint: &str) -> Value {
    json!({"endpoint": endpoint, "kind": "status", "status": 503, "count": 1})
}

fn simple(sku: &str, name: &str) -> ProductInput {
    ProductInput {
        name: Some(name.to_owned()),
        price: Some(dec!(19.90)),
        attribute_set_id: Some(4),
        type_id: Some(ProductType::Simple),
        status: Some(ProductStatus::Enabled),
        visibility: Some(Visibility::CatalogAndSearch),
        weight: Some(dec!(0.5)),
        ..ProductInput::new(sku)
    }
}

/// A Helios Tee variant: a simple product with the tee's colour and size attributes.
fn variant(sku: &str, color: &str, size: &str) -> ProductInput {
    ProductInput {
        attribute_set_id: Some(9),
        visibility: Some(Visibility::NotVisibleIndividually),
        ..simple(sku, sku)
    }
    .with_attribute("color", color)
    .with_attribute("size", size)
}

fn image(label: &str, position: i64, file_name: &str) -> MediaEntryInput {
    MediaEntryInput {
        label: label.to_owned(),
        position,
        disabled: false,
        types: Vec::new(),
        file_name: file_name.to_owned(),
        mime_type: "image/jpeg".to_owned(),
        data: JPEG.to_vec(),
    }
}

fn expect_validation(err: MagentoError) -> (String, Value) {
    match err {
        MagentoError::Validation {
            status: 400,
            message,
            parameters,
        } => (message, parameters),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

// ---- round trips -----------------------------------------------------------------------

#[tokio::test]
async fn a_created_simple_product_is_read_back_with_a_new_id_timestamps_and_a_stock_item() {
    let sandbox = start().await;
    let client = client(&sandbox, "catalog-create");
    let saved = client
        .create_product(&simple("NEW-TOTE", "Canvas Tote").with_attribute("color", "58"))
        .await
        .expect("created");
    assert_eq!(saved.id, 131, "max seeded id is 130");
    assert!(saved.created_at.is_some() && saved.updated_at.is_some());
    let read = client.product("NEW-TOTE").await.expect("read back");
    assert_eq!(read, saved);
    assert_eq!(read.name, "Canvas Tote");
    assert_eq!(read.price, Some(dec!(19.9)));
    assert_eq!(read.weight, Some(dec!(0.5)));
    assert_eq!(read.text_attribute("url_key"), Some("canvas-tote"));
    assert_eq!(read.text_attribute("color"), Some("58"));
    let stock = read
        .stock_item()
        .expect("a new simple product has a stock item");
    assert_eq!(stock.qty, Some(dec!(0)));
    assert_eq!(stock.is_in_stock, Some(false));
}

#[tokio::test]
async fn a_product_update_changes_only_the_fields_sent() {
    let sandbox = start().await;
    let client = client(&sandbox, "catalog-update");
    let before = client.product("24-MB01").await.expect("seeded");
    let update = ProductInput {
        price: Some(dec!(36.50)),
        ..ProductInput::new("ignored: the path names the product")
    }
    .with_attribute("description", "<p>New text</p>");
    let saved = client
        .update_product("24-MB01", &update)
        .await
        .expect("updated");
    assert_eq!(saved.sku, "24-MB01");
    assert_eq!(saved.price, Some(dec!(36.5)));
    assert_eq!(saved.text_attribute("description"), Some("<p>New text</p>"));
    assert_eq!(saved.name, before.name);
    assert_eq!(saved.weight, before.weight);
    assert_eq!(saved.id, before.id);
    assert!(saved.updated_at > before.updated_at);
    assert_eq!(client.product("24-MB01").await.expect("read back"), saved);
}

#[tokio::test]
async fn a_sku_with_a_slash_and_a_blank_is_written_through_its_encoded_path() {
    let sandbox = start().await;
    let client = client(&sandbox, "catalog-encoded-sku");
    let update = ProductInput {
        price: Some(dec!(13)),
        ..ProductInput::new("MUG 11oz/BLK")
    };
    let saved = client
        .update_product("MUG 11oz/BLK", &update)
        .await
        .expect("updated");
    assert_eq!(saved.price, Some(dec!(13)));
    let id = client
        .add_media_entry("MUG 11oz/BLK", &image("side", 2, "mug-side.jpg"))
        .await
        .expect("image added");
    let entries = client.media_entries("MUG 11oz/BLK").await.expect("media");
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1].id, Some(id));
}

#[tokio::test]
async fn a_post_with_a_known_sku_updates_that_product_instead_of_adding_one() {
    let sandbox = start().await;
    let client = client(&sandbox, "catalog-post-known");
    let count = client
        .products(magento::search::SearchCriteria::new())
        .await
        .expect("products")
        .len();
    let saved = client
        .create_product(&simple("24-UG06", "Affirm Water Bottle 2"))
        .await
        .expect("saved");
    assert_eq!(saved.id, 103);
    assert_eq!(saved.name, "Affirm Water Bottle 2");
    let after = client
        .products(magento::search::SearchCriteria::new())
        .await
        .expect("products");
    assert_eq!(after.len(), count);
}

#[tokio::test]
async fn configurable_options_are_added_and_read_back_with_new_ids() {
    let sandbox = start().await;
    let client = client(&sandbox, "catalog-options");
    client
        .create_product(&ProductInput {
            name: Some("Atlas Hoodie".into()),
            type_id: Some(ProductType::Configurable),
            attribute_set_id: Some(9),
            ..ProductInput::new("AT-HOODIE")
        })
        .await
        .expect("configurable created");
    let option = ConfigurableOptionInput {
        attribute_id: 93,
        label: "Color".into(),
        position: 0,
        is_use_default: false,
        value_indexes: vec![58, 61],
    };
    let id = client
        .add_configurable_option("AT-HOODIE", &option)
        .await
        .expect("added");
    assert_eq!(id, 9, "seeded options are 7 and 8");
    let options = client
        .configurable_options("AT-HOODIE")
        .await
        .expect("read back");
    assert_eq!(options.len(), 1);
    assert_eq!(options[0].id, Some(9));
    assert_eq!(options[0].attribute_id, 93);
    assert_eq!(options[0].label, "Color");
    let values: Vec<i64> = options[0].values.iter().map(|v| v.value_index).collect();
    assert_eq!(values, [58, 61]);
    let product = client.product("AT-HOODIE").await.expect("parent");
    assert_eq!(
        product.extension_attributes.configurable_product_options,
        options
    );
}

#[tokio::test]
async fn a_linked_child_shows_among_the_configurable_children_and_unlinks_again() {
    let sandbox = start().await;
    let client = client(&sandbox, "catalog-link");
    client
        .create_product(&variant("HT-TEE-L-Slate", "61", "169"))
        .await
        .expect("child created");
    client
        .link_configurable_child("HT-TEE", "HT-TEE-L-Slate")
        .await
        .expect("linked");
    let children = client
        .configurable_children("HT-TEE")
        .await
        .expect("children");
    let skus: Vec<&str> = children.iter().map(|c| c.sku.as_str()).collect();
    assert_eq!(
        skus,
        [
            "HT-TEE-S-Sand",
            "HT-TEE-M-Sand",
            "HT-TEE-M-Slate",
            "HT-TEE-L-Slate"
        ]
    );
    client
        .unlink_configurable_child("HT-TEE", "HT-TEE-M-Sand")
        .await
        .expect("unlinked");
    let children = client
        .configurable_children("HT-TEE")
        .await
        .expect("children");
    assert!(children.iter().all(|c| c.sku != "HT-TEE-M-Sand"));
    assert_eq!(children.len(), 3);
    let err = client
        .unlink_configurable_child("HT-TEE", "HT-TEE-M-Sand")
        .await
        .expect_err("not linked any more");
    assert!(matches!(err, MagentoError::NotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn linking_a_child_that_is_linked_already_counts_as_done() {
    let sandbox = start().await;
    let client = client(&sandbox, "catalog-link-twice");
    client
        .link_configurable_child("HT-TEE", "HT-TEE-S-Sand")
        .await
        .expect("already attached is done");
    let children = client
        .configurable_children("HT-TEE")
        .await
        .expect("children");
    assert_eq!(children.len(), 3);
}

#[tokio::test]
async fn a_media_entry_is_stored_under_a_derived_file_name_with_a_suffix_on_a_clash() {
    let sandbox = start().await;
    let client = client(&sandbox, "catalog-media");
    let front = MediaEntryInput {
        types: MAIN_IMAGE_ROLES.iter().map(|r| (*r).to_owned()).collect(),
        ..image("Bottle, front", 1, "Bottle Front.jpg")
    };
    let first = client
        .add_media_entry("24-UG06", &front)
        .await
        .expect("added");
    assert_eq!(first, 24, "seeded entries end at 23");
    let again = client
        .add_media_entry("24-UG06", &image("Bottle, side", 2, "Bottle Front.jpg"))
        .await
        .expect("added");
    let entries = client.media_entries("24-UG06").await.expect("media");
    let files: Vec<(Option<i64>, &str)> = entries.iter().map(|e| (e.id, e.file.as_str())).collect();
    assert_eq!(
        files,
        [
            (Some(first), "/b/o/Bottle_Front.jpg"),
            (Some(again), "/b/o/Bottle_Front_1.jpg")
        ]
    );
    assert_eq!(entries[0].types, MAIN_IMAGE_ROLES);
    assert_eq!(entries[1].label, "Bottle, side");
    let product = client.product("24-UG06").await.expect("product");
    assert_eq!(
        product.text_attribute("image"),
        Some("/b/o/Bottle_Front.jpg")
    );
    assert_eq!(product.media_gallery_entries, entries);
}

#[tokio::test]
async fn a_deleted_product_is_gone_with_its_stock_and_its_child_links() {
    let sandbox = start().await;
    let client = client(&sandbox, "catalog-delete");
    client
        .delete_product("HT-TEE-M-Slate")
        .await
        .expect("deleted");
    let err = client.product("HT-TEE-M-Slate").await.expect_err("gone");
    assert!(matches!(err, MagentoError::NotFound { .. }), "{err:?}");
    let err = client.stock_item("HT-TEE-M-Slate").await.expect_err("gone");
    assert!(matches!(err, MagentoError::NotFound { .. }), "{err:?}");
    let items = client
        .source_items(magento::search::SearchCriteria::new().filter("sku", "HT-TEE-M-Slate", "eq"))
        .await
        .expect("source items");
    assert!(items.is_empty(), "{items:?}");
    let parent = client.product("HT-TEE").await.expect("parent");
    assert_eq!(parent.configurable_child_ids(), [111, 112]);
    let err = client
        .delete_product("HT-TEE-M-Slate")
        .await
        .expect_err("deleted already");
    assert!(matches!(err, MagentoError::NotFound { .. }), "{err:?}");
}

// ---- errors ----------------------------------------------------------------------------

#[tokio::test]
async fn a_new_product_without_a_name_is_a_typed_validation_error_with_its_parameters() {
    let sandbox = start().await;
    let client = client(&sandbox, "catalog-no-name");
    let err = client
        .create_product(&ProductInput {
            price: Some(dec!(5)),
            ..ProductInput::new("NAMELESS")
        })
        .await
        .expect_err("name missing");
    assert!(!err.is_retryable());
    let (message, parameters) = expect_validation(err);
    assert_eq!(
        message,
        "The \"Product Name\" attribute value is empty. Set the attribute and try again."
    );
    assert_eq!(parameters, json!(["Product Name"]));
    let err = client.product("NAMELESS").await.expect_err("not saved");
    assert!(matches!(err, MagentoError::NotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn a_url_key_another_product_has_is_refused() {
    let sandbox = start().await;
    let client = client(&sandbox, "catalog-url-key");
    let err = client
        .create_product(&simple("DUFFLE-2", "Joust Duffle Bag"))
        .await
        .expect_err("url key of 24-MB01");
    let (message, _) = expect_validation(err);
    assert_eq!(message, "URL key for specified store already exists.");
    client
        .create_product(
            &simple("DUFFLE-2", "Joust Duffle Bag").with_attribute("url_key", "duffle-2"),
        )
        .await
        .expect("a free url key");
}

#[tokio::test]
async fn a_child_without_the_configurable_attribute_is_refused_with_the_attribute_named() {
    let sandbox = start().await;
    let client = client(&sandbox, "catalog-child-attribute");
    client
        .create_product(&simple("PLAIN-TEE", "Plain Tee"))
        .await
        .expect("created");
    let err = client
        .link_configurable_child("HT-TEE", "PLAIN-TEE")
        .await
        .expect_err("no colour");
    let (message, parameters) = expect_validation(err);
    assert!(
        message.starts_with("The child product doesn't have the \"color\" attribute value"),
        "{message}"
    );
    assert_eq!(parameters, json!(["color"]));
}

#[tokio::test]
async fn an_image_whose_bytes_do_not_match_its_type_is_refused() {
    let sandbox = start().await;
    let client = client(&sandbox, "catalog-bad-image");
    let err = client
        .add_media_entry(
            "24-UG06",
            &MediaEntryInput {
                mime_type: "image/png".into(),
                ..image("", 1, "x.png")
            },
        )
        .await
        .expect_err("a JPEG sent as PNG");
    let (message, _) = expect_validation(err);
    assert_eq!(
        message,
        "The image MIME type is not valid or not supported."
    );
    assert!(
        client
            .media_entries("24-UG06")
            .await
            .expect("media")
            .is_empty()
    );
}

#[tokio::test]
async fn an_unknown_sku_is_not_found_on_every_catalog_endpoint() {
    let sandbox = start().await;
    let client = client(&sandbox, "catalog-unknown");
    let not_found = |result: Result<(), MagentoError>| match result {
        Err(MagentoError::NotFound { message }) => assert_eq!(
            message,
            "The product that was requested doesn't exist. Verify the product and try again."
        ),
        other => panic!("{other:?}"),
    };
    not_found(client.delete_product("NOPE").await);
    not_found(client.configurable_options("NOPE").await.map(drop));
    not_found(client.media_entries("NOPE").await.map(drop));
    not_found(
        client
            .add_media_entry("NOPE", &image("", 1, "a.jpg"))
            .await
            .map(drop),
    );
    not_found(client.link_configurable_child("NOPE", "24-UG06").await);
    not_found(client.link_configurable_child("HT-TEE", "NOPE").await);
    not_found(
        client
            .add_configurable_option(
                "NOPE",
                &ConfigurableOptionInput {
                    attribute_id: 93,
                    label: "Color".into(),
                    position: 0,
                    is_use_default: false,
                    value_indexes: vec![58],
                },
            )
            .await
            .map(drop),
    );
}

// ---- scope -----------------------------------------------------------------------------

#[tokio::test]
async fn the_client_writes_at_the_all_scope_so_every_store_view_sees_the_values() {
    let sandbox = start().await;
    let client = client(&sandbox, "catalog-scope");
    let name_at = |store: &'static str, sku: &'static str| {
        let url = format!("{}/rest/{store}/V1/products/{sku}", sandbox.base_url);
        let credentials = sandbox.credentials.clone();
        async move {
            let (status, body) = signed(&credentials, reqwest::Method::GET, &url, None).await;
            assert_eq!(status, 200, "{body}");
            body["name"].as_str().expect("name").to_owned()
        }
    };

    // What the sandbox does with a write at a store view: the value stays in that view.
    let url = format!("{}/rest/V1/products/24-WB04", sandbox.base_url);
    let (status, body) = signed(
        &sandbox.credentials,
        reqwest::Method::PUT,
        &url,
        Some(json!({"product": {"name": "Overnight Duffle (default view)"}})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        name_at("default", "24-WB04").await,
        "Overnight Duffle (default view)"
    );
    assert_eq!(name_at("fr", "24-WB04").await, "Overnight Duffle");
    assert_eq!(name_at("all", "24-WB04").await, "Overnight Duffle");

    // The client's write reaches every view.
    client
        .update_product(
            "24-MB01",
            &ProductInput {
                name: Some("Joust Duffle Bag XL".into()),
                ..ProductInput::new("24-MB01")
            },
        )
        .await
        .expect("updated");
    for store in ["default", "fr", "all"] {
        assert_eq!(
            name_at(store, "24-MB01").await,
            "Joust Duffle Bag XL",
            "{store}"
        );
    }
    client
        .create_product(&simple("SCOPED-NEW", "Scoped New"))
        .await
        .expect("created");
    client
        .update_product(
            "SCOPED-NEW",
            &ProductInput {
                name: Some("Scoped Newer".into()),
                ..ProductInput::new("SCOPED-NEW")
            },
        )
        .await
        .expect("updated");
    assert_eq!(name_at("fr", "SCOPED-NEW").await, "Scoped Newer");
}

// ---- lost answers ----------------------------------------------------------------------

#[tokio::test]
async fn a_create_whose_answer_is_lost_is_read_back_instead_of_sent_again() {
    let sandbox = start().await;
    let client = client(&sandbox, "catalog-lost-create");
    for (kind, fault) in lost_answers("products") {
        let sku = format!("LOST-CREATE-{kind}");
        inject(&sandbox, fault).await;
        let before = requests(&sandbox).await;
        let saved = client
            .create_product(&simple(&sku, &sku))
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!(saved.sku, sku, "{kind}");
        // The POST whose answer was lost, then the read that found the product.
        assert_eq!(requests(&sandbox).await - before, 2, "{kind}");
        let stored = client
            .products(magento::search::SearchCriteria::new().filter("name", &sku, "eq"))
            .await
            .expect("products");
        assert_eq!(stored.len(), 1, "{kind}");
    }
    each_fault_fired_once(&sandbox).await;
}

#[tokio::test]
async fn a_create_refused_before_it_ran_is_retried_to_success() {
    let sandbox = start().await;
    let client = client(&sandbox, "catalog-refused-create");
    inject(&sandbox, refused_before("products")).await;
    let saved = client
        .create_product(&simple("RETRIED", "Retried"))
        .await
        .expect("retried");
    assert_eq!(saved.name, "Retried");
    each_fault_fired_once(&sandbox).await;
}

#[tokio::test]
async fn an_option_whose_answer_is_lost_is_added_once() {
    let sandbox = start().await;
    let client = client(&sandbox, "catalog-lost-option");
    for (kind, fault) in lost_answers("configurable-products/LOST-OPT-") {
        let sku = format!("LOST-OPT-{kind}");
        client
            .create_product(&ProductInput {
                name: Some(sku.clone()),
                type_id: Some(ProductType::Configurable),
                ..ProductInput::new(&sku)
            })
            .await
            .expect("configurable");
        inject(&sandbox, fault).await;
        let option = ConfigurableOptionInput {
            attribute_id: 144,
            label: "Size".into(),
            position: 0,
            is_use_default: false,
            value_indexes: vec![167, 168],
        };
        let id = client
            .add_configurable_option(&sku, &option)
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        let options = client.configurable_options(&sku).await.expect("options");
        assert_eq!(options.len(), 1, "{kind}");
        assert_eq!(options[0].id, Some(id), "{kind}");
    }
    inject(
        &sandbox,
        refused_before("configurable-products/HT-TEE/options"),
    )
    .await;
    client
        .add_configurable_option(
            "HT-TEE",
            &ConfigurableOptionInput {
                attribute_id: 200,
                label: "Fit".into(),
                position: 2,
                is_use_default: false,
                value_indexes: vec![1],
            },
        )
        .await
        .expect("retried to success");
    assert_eq!(
        client
            .configurable_options("HT-TEE")
            .await
            .expect("options")
            .len(),
        3
    );
    each_fault_fired_once(&sandbox).await;
}

#[tokio::test]
async fn a_child_link_whose_answer_is_lost_is_linked_once() {
    let sandbox = start().await;
    let client = client(&sandbox, "catalog-lost-link");
    let mut expected = 3;
    for (kind, fault) in lost_answers("configurable-products/HT-TEE/child") {
        let child = format!("HT-TEE-{kind}");
        client
            .create_product(&variant(&child, "58", "169"))
            .await
            .expect("child");
        inject(&sandbox, fault).await;
        let before = requests(&sandbox).await;
        client
            .link_configurable_child("HT-TEE", &child)
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!(
            requests(&sandbox).await - before,
            2,
            "{kind}: link, then read"
        );
        expected += 1;
        let parent = client.product("HT-TEE").await.expect("parent");
        assert_eq!(parent.configurable_child_ids().len(), expected, "{kind}");
    }
    client
        .create_product(&variant("HT-TEE-RETRY", "61", "167"))
        .await
        .expect("child");
    inject(
        &sandbox,
        refused_before("configurable-products/HT-TEE/child"),
    )
    .await;
    client
        .link_configurable_child("HT-TEE", "HT-TEE-RETRY")
        .await
        .expect("retried to success");
    let children = client
        .configurable_children("HT-TEE")
        .await
        .expect("children");
    assert_eq!(children.len(), expected + 1);
    each_fault_fired_once(&sandbox).await;
}

#[tokio::test]
async fn a_child_unlink_whose_answer_is_lost_counts_as_done() {
    let sandbox = start().await;
    let client = client(&sandbox, "catalog-lost-unlink");
    let children = ["HT-TEE-S-Sand", "HT-TEE-M-Sand", "HT-TEE-M-Slate"];
    for ((kind, fault), child) in lost_answers("configurable-products/HT-TEE/children/")
        .into_iter()
        .zip(children)
    {
        inject(&sandbox, fault).await;
        client
            .unlink_configurable_child("HT-TEE", child)
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        let left = client
            .configurable_children("HT-TEE")
            .await
            .expect("children");
        assert!(left.iter().all(|c| c.sku != child), "{kind}");
    }
    assert!(
        client
            .configurable_children("HT-TEE")
            .await
            .expect("children")
            .is_empty()
    );
    each_fault_fired_once(&sandbox).await;
}

#[tokio::test]
async fn a_media_entry_whose_answer_is_lost_is_added_once() {
    let sandbox = start().await;
    let client = client(&sandbox, "catalog-lost-media");
    for (position, (kind, fault)) in (1..).zip(lost_answers("products/24-MB01/media")) {
        inject(&sandbox, fault).await;
        let id = client
            .add_media_entry("24-MB01", &image(kind, position, "duffle.jpg"))
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        let entries = client.media_entries("24-MB01").await.expect("media");
        assert_eq!(entries.len(), position as usize, "{kind}: {entries:?}");
        assert_eq!(entries.last().and_then(|e| e.id), Some(id), "{kind}");
    }
    inject(&sandbox, refused_before("products/24-MB01/media")).await;
    client
        .add_media_entry("24-MB01", &image("retried", 4, "duffle.jpg"))
        .await
        .expect("retried to success");
    let files: Vec<String> = client
        .media_entries("24-MB01")
        .await
        .expect("media")
        .into_iter()
        .map(|e| e.file)
        .collect();
    assert_eq!(
        files,
        [
            "/d/u/duffle.jpg",
            "/d/u/duffle_1.jpg",
            "/d/u/duffle_2.jpg",
            "/d/u/duffle_3.jpg"
        ]
    );
    each_fault_fired_once(&sandbox).await;
}

#[tokio::test]
async fn a_delete_whose_answer_is_lost_counts_as_done() {
    let sandbox = start().await;
    let client = client(&sandbox, "catalog-lost-delete");
    for (kind, fault) in lost_answers("products/DOOMED-") {
        let sku = format!("DOOMED-{kind}");
        client
            .create_product(&simple(&sku, &sku))
            .await
            .expect("created");
        inject(&sandbox, fault).await;
        client
            .delete_product(&sku)
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        let err = client.product(&sku).await.expect_err("gone");
        assert!(
            matches!(err, MagentoError::NotFound { .. }),
            "{kind}: {err:?}"
        );
    }
    inject(&sandbox, refused_before("products/24-WB04")).await;
    client
        .delete_product("24-WB04")
        .await
        .expect("retried to success");
    each_fault_fired_once(&sandbox).await;
}

// ---- retry limit -----------------------------------------------------------------------

#[tokio::test]
async fn a_throttled_write_is_tried_up_to_the_limit_and_ends_throttled() {
    let sandbox = start().await;
    let client = client(&sandbox, "catalog-throttled");
    client
        .create_product(&variant("HT-TEE-THROTTLED", "58", "169"))
        .await
        .expect("child");
    inject(
        &sandbox,
        json!({"endpoint": "configurable-products/HT-TEE/child", "kind": "throttle", "retry_after": 0}),
    )
    .await;
    let before = requests(&sandbox).await;
    let err = client
        .link_configurable_child("HT-TEE", "HT-TEE-THROTTLED")
        .await
        .expect_err("always throttled");
    assert!(matches!(err, MagentoError::Throttled { .. }), "{err:?}");
    // A throttled request never ran, so nothing is read between the three attempts.
    assert_eq!(requests(&sandbox).await - before, 3);
}

#[tokio::test]
async fn a_create_that_keeps_failing_ends_with_the_server_error_and_saves_nothing() {
    let sandbox = start().await;
    let client = client(&sandbox, "catalog-failing");
    inject(
        &sandbox,
        json!({"endpoint": "products", "kind": "status", "status": 503}),
    )
    .await;
    let err = client
        .create_product(&simple("NEVER", "Never"))
        .await
        .expect_err("the store keeps failing");
    assert!(
        matches!(err, MagentoError::Server { status: 503, .. }),
        "{err:?}"
    );
    reqwest::Client::new()
        .delete(format!("{}/sandbox/faults", sandbox.base_url))
        .send()
        .await
        .expect("faults cleared");
    let err = client.product("NEVER").await.expect_err("not saved");
    assert!(matches!(err, MagentoError::NotFound { .. }), "{err:?}");
}

#[test]
fn the_write_futures_can_move_between_worker_threads() {
    fn assert_send<T: Send>(_: &T) {}
    let client = MagentoClient::new(
        "http://127.0.0.1:9",
        Credentials {
            consumer_key: "k".repeat(32),
            consumer_secret: "s".repeat(32),
            access_token: "t".repeat(32),
            access_token_secret: "u".repeat(32),
        },
        ClientOptions::default(),
    )
    .expect("client");
    let input = simple("S", "S");
    let entry = image("", 1, "a.jpg");
    assert_send(&client.create_product(&input));
    assert_send(&client.update_product("S", &input));
    assert_send(&client.delete_product("S"));
    assert_send(&client.link_configurable_child("S", "C"));
    assert_send(&client.unlink_configurable_child("S", "C"));
    assert_send(&client.add_media_entry("S", &entry));
}
