//! Product attributes through the client against a sandbox store: read by code or id,
//! listed, options added once (even when the answer is lost), Magento's errors; and the
//! paged product read the catalog download uses.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use magento::search::SearchCriteria;
use magento::{ClientOptions, MagentoClient, MagentoError};
use sandbox::{GenerateSpec, RunningSandbox, SandboxOptions};
use serde_json::json;

use common::{connect, fast_retry, inject, start, start_with};

fn client(sandbox: &RunningSandbox, label: &str) -> MagentoClient {
    let options = ClientOptions {
        timeout: Duration::from_millis(700),
        store_label: label.to_owned(),
        retry: fast_retry(3),
        ..ClientOptions::default()
    };
    connect(sandbox, options)
}

#[tokio::test]
async fn an_attribute_is_read_by_code_or_by_id_with_its_option_labels() {
    let sandbox = start().await;
    let client = client(&sandbox, "attr-read");
    let by_code = client.product_attribute("color").await.expect("by code");
    let by_id = client.product_attribute("93").await.expect("by id");
    assert_eq!(by_code, by_id);
    assert_eq!(by_code.attribute_id, 93);
    assert_eq!(by_code.default_frontend_label.as_deref(), Some("Color"));
    assert_eq!(by_code.frontend_input.as_deref(), Some("select"));
    assert_eq!(by_code.option_label("58"), Some("Sand"));
    assert_eq!(by_code.option_label("61"), Some("Slate"));
    let size = client.product_attribute("size").await.expect("size");
    assert_eq!(size.attribute_id, 144);
    assert_eq!(size.option_label("167"), Some("S"));
    assert_eq!(size.option_label("168"), Some("M"));
}

#[tokio::test]
async fn an_unknown_attribute_is_not_found_with_magentos_message() {
    let sandbox = start().await;
    let err = client(&sandbox, "attr-404")
        .product_attribute("flavour")
        .await
        .expect_err("unknown");
    match err {
        MagentoError::NotFound { message } => assert_eq!(
            message,
            "The attribute with a \"flavour\" attributeCode doesn't exist. Verify the attribute and try again."
        ),
        other => panic!("expected not found, got {other:?}"),
    }
}

#[tokio::test]
async fn attributes_are_listed_and_filtered() {
    let sandbox = start().await;
    let client = client(&sandbox, "attr-list");
    let all = client
        .product_attributes(SearchCriteria::new())
        .await
        .expect("list");
    let codes: Vec<&str> = all.iter().map(|a| a.attribute_code.as_str()).collect();
    assert_eq!(codes, ["color", "size"]);
    let sizes = client
        .product_attributes(SearchCriteria::new().filter("attribute_code", "size", "eq"))
        .await
        .expect("filtered");
    assert_eq!(sizes.len(), 1);
    assert_eq!(sizes[0].attribute_id, 144);
}

#[tokio::test]
async fn an_added_option_gets_a_new_value_id_and_is_listed_afterwards() {
    let sandbox = start().await;
    let client = client(&sandbox, "attr-add");
    let id = client
        .add_attribute_option("color", "Ночь")
        .await
        .expect("added");
    assert_eq!(
        id, "171",
        "option ids are one sequence; the highest seeded is 170"
    );
    let color = client.product_attribute("color").await.expect("read back");
    assert_eq!(color.option_label(&id), Some("Ночь"));
    let again = client
        .add_attribute_option("size", "XXL")
        .await
        .expect("added");
    assert_eq!(again, "172");
}

#[tokio::test]
async fn a_duplicate_label_is_refused_with_magentos_message() {
    let sandbox = start().await;
    let err = client(&sandbox, "attr-dup")
        .add_attribute_option("color", "sand")
        .await
        .expect_err("duplicate");
    match err {
        MagentoError::Validation {
            status: 400,
            message,
            ..
        } => assert_eq!(
            message,
            "Admin store attribute option label \"sand\" is already exists."
        ),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[tokio::test]
async fn an_option_whose_answer_was_lost_is_not_added_twice() {
    let sandbox = start().await;
    let client = client(&sandbox, "attr-lost");
    inject(
        &sandbox,
        json!({"endpoint": "products/attributes/size/options", "kind": "status", "status": 502,
               "count": 1, "after_processing": true}),
    )
    .await;
    let id = client
        .add_attribute_option("size", "3XL")
        .await
        .expect("settled by reading the attribute");
    let size = client.product_attribute("size").await.expect("read");
    let labelled: Vec<_> = size.options.iter().filter(|o| o.label == "3XL").collect();
    assert_eq!(labelled.len(), 1, "{:?}", size.options);
    assert_eq!(labelled[0].value, id);
}

#[tokio::test]
async fn generated_variants_carry_option_values_their_attributes_resolve() {
    let sandbox = start_with(SandboxOptions {
        generate: Some(GenerateSpec {
            products: 200,
            orders: 0,
            seed: 7,
        }),
        ..SandboxOptions::default()
    })
    .await;
    let client = client(&sandbox, "attr-generated");
    let color = client.product_attribute("color").await.expect("color");
    let size = client.product_attribute("size").await.expect("size");
    let products = client
        .products(SearchCriteria::new().filter("type_id", "simple", "eq"))
        .await
        .expect("simples");
    let mut checked = 0;
    for product in &products {
        if let Some(value) = product.text_attribute("size") {
            assert!(size.option_label(value).is_some(), "size {value}");
            checked += 1;
        }
        if let Some(value) = product.text_attribute("color") {
            assert!(color.option_label(value).is_some(), "color {value}");
        }
    }
    assert!(checked > 10, "{checked} variants checked");
}

#[tokio::test]
async fn the_catalog_is_read_page_by_page_in_id_order_until_the_total() {
    let sandbox = start_with(SandboxOptions {
        generate: Some(GenerateSpec {
            products: 120,
            orders: 0,
            seed: 11,
        }),
        ..SandboxOptions::default()
    })
    .await;
    let client = client(&sandbox, "products-paged").with_page_size(50);
    let criteria = SearchCriteria::new().sort("entity_id", true);
    let mut seen = Vec::new();
    let mut page = 1;
    loop {
        let (items, total) = client
            .products_page(criteria.clone(), page)
            .await
            .expect("page");
        seen.extend(items.iter().map(|p| p.id));
        if u64::from(page) * u64::from(client.page_size()) >= total {
            assert_eq!(seen.len() as u64, total);
            break;
        }
        page += 1;
    }
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "ascending ids");
    assert_eq!(seen.len(), 130, "10 seeded and 120 generated rows");
}

#[tokio::test]
async fn products_are_found_by_entity_id_in_a_list() {
    let sandbox = start().await;
    let client = client(&sandbox, "products-by-id");
    let (items, total) = client
        .products_page(
            SearchCriteria::new().filter("entity_id", "113,111,999", "in"),
            1,
        )
        .await
        .expect("by ids");
    assert_eq!(total, 2);
    let ids: HashSet<i64> = items.iter().map(|p| p.id).collect();
    assert_eq!(ids, HashSet::from([111, 113]));
    let (none, total) = client
        .products_page(SearchCriteria::new().filter("entity_id", "999", "in"), 1)
        .await
        .expect("no match");
    assert!(none.is_empty());
    assert_eq!(total, 0);
}
