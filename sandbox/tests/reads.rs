//! The client's read methods against a sandbox store: catalog, customers, sales documents
//! and stock, decoded into the DTOs.

mod common;

use std::collections::BTreeSet;

use magento::dto::{CreditMemoState, InvoiceState, ProductType, Visibility};
use magento::search::SearchCriteria;
use magento::{ClientOptions, MagentoClient, MagentoError};
use rust_decimal::dec;
use sandbox::{RunningSandbox, SandboxOptions};

async fn start() -> RunningSandbox {
    common::start_with(SandboxOptions {
        msi: true,
        ..SandboxOptions::default()
    })
    .await
}

fn client(sandbox: &RunningSandbox) -> MagentoClient {
    let options = ClientOptions {
        store_label: "reads-test".to_owned(),
        ..ClientOptions::default()
    };
    common::connect(sandbox, options)
}

#[tokio::test]
async fn products_list_every_type_without_stock_items() {
    let sandbox = start().await;
    let products = client(&sandbox)
        .products(SearchCriteria::new())
        .await
        .expect("products");
    let types: BTreeSet<&str> = products.iter().map(|p| p.type_id.code()).collect();
    assert_eq!(
        types,
        BTreeSet::from(["bundle", "configurable", "simple", "virtual"])
    );
    assert_eq!(products.len(), 10);
    assert!(
        products.iter().all(|p| p.stock_item().is_none()),
        "the list leaves stock_item out"
    );
    let bundle = products
        .iter()
        .find(|p| p.type_id == ProductType::Bundle)
        .expect("a bundle");
    let options = &bundle.extension_attributes.bundle_product_options;
    assert_eq!(
        options
            .iter()
            .map(|o| (
                o.title.as_str(),
                o.input_type.as_str(),
                o.product_links.len()
            ))
            .collect::<Vec<_>>(),
        [("Bag", "radio", 2), ("Mug", "checkbox", 1)]
    );
    assert_eq!(options[1].product_links[0].sku, "MUG 11oz/BLK");
    assert_eq!(options[1].product_links[0].qty, dec!(2));
}

#[tokio::test]
async fn paging_a_product_search_by_three_returns_each_product_once() {
    let sandbox = start().await;
    let paged = client(&sandbox).with_page_size(3);
    let products = paged
        .products(SearchCriteria::new())
        .await
        .expect("products");
    let ids: Vec<i64> = products.iter().map(|p| p.id).collect();
    let unique: BTreeSet<i64> = ids.iter().copied().collect();
    assert_eq!(ids.len(), 10, "{ids:?}");
    assert_eq!(unique.len(), ids.len(), "{ids:?}");
}

#[tokio::test]
async fn a_product_search_filtered_by_type_returns_only_the_configurable() {
    let sandbox = start().await;
    let products = client(&sandbox)
        .products(SearchCriteria::new().filter("type_id", "configurable", "eq"))
        .await
        .expect("products");
    assert_eq!(
        products.iter().map(|p| p.sku.as_str()).collect::<Vec<_>>(),
        ["HT-TEE"]
    );
    let tee = &products[0];
    assert_eq!(tee.configurable_child_ids(), [111, 112, 113]);
    let options = &tee.extension_attributes.configurable_product_options;
    assert_eq!(
        options
            .iter()
            .map(|o| (o.attribute_id, o.label.as_str(), o.values.len()))
            .collect::<Vec<_>>(),
        [(93, "Color", 2), (144, "Size", 2)]
    );
    assert_eq!(tee.media_gallery_entries.len(), 2);
    assert_eq!(tee.media_gallery_entries[0].file, "/h/t/ht-tee-front.jpg");
}

#[tokio::test]
async fn a_single_product_carries_its_attributes_and_stock_item() {
    let sandbox = start().await;
    let product = client(&sandbox).product("24-WB04").await.expect("product");
    assert_eq!(product.name, "Overnight Duffle");
    assert_eq!(product.type_id, ProductType::Simple);
    assert_eq!(product.price, Some(dec!(45)));
    assert_eq!(product.category_ids(), [5]);
    assert_eq!(product.text_attribute("tax_class_id"), Some("2"));
    assert_eq!(product.decimal_attribute("special_price"), Some(dec!(39)));
    assert!(
        product
            .text_attribute("description")
            .is_some_and(|d| d.contains("canvas"))
    );
    assert_eq!(product.website_ids(), [1]);
    let stock = product
        .stock_item()
        .expect("single GET includes stock_item");
    assert_eq!(stock.qty, Some(dec!(18)));
    assert_eq!(stock.is_in_stock, Some(true));
}

#[tokio::test]
async fn a_configurables_children_are_its_three_variants() {
    let sandbox = start().await;
    let children = client(&sandbox)
        .configurable_children("HT-TEE")
        .await
        .expect("children");
    assert_eq!(
        children
            .iter()
            .map(|c| (
                c.sku.as_str(),
                c.text_attribute("color"),
                c.text_attribute("size")
            ))
            .collect::<Vec<_>>(),
        [
            ("HT-TEE-S-Sand", Some("58"), Some("167")),
            ("HT-TEE-M-Sand", Some("58"), Some("168")),
            ("HT-TEE-M-Slate", Some("61"), Some("168")),
        ]
    );
    assert!(children.iter().all(|c| {
        c.type_id == ProductType::Simple
            && c.visibility == Some(Visibility::NotVisibleIndividually)
            && c.category_ids() == [3, 4]
    }));
}

#[tokio::test]
async fn an_unknown_sku_is_not_found() {
    let sandbox = start().await;
    let client = client(&sandbox);
    let err = client.product("NO-SUCH-SKU").await.expect_err("unknown");
    assert!(
        matches!(&err, MagentoError::NotFound { message } if message.contains("product that was requested")),
        "{err:?}"
    );
    let err = client.stock_item("NO-SUCH-SKU").await.expect_err("unknown");
    assert!(matches!(err, MagentoError::NotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn a_sku_with_a_slash_and_a_space_round_trips_through_the_path() {
    let sandbox = start().await;
    let client = client(&sandbox);
    let mug = client.product("MUG 11oz/BLK").await.expect("product");
    assert_eq!((mug.id, mug.sku.as_str()), (104, "MUG 11oz/BLK"));
    assert_eq!(mug.media_gallery_entries.len(), 1);
    let stock = client.stock_item("MUG 11oz/BLK").await.expect("stock item");
    assert_eq!(stock.product_id, Some(104));
    assert_eq!(stock.qty, Some(dec!(85)));
}

#[tokio::test]
async fn the_category_tree_nests_men_and_tops_under_the_default_category() {
    let sandbox = start().await;
    let root = client(&sandbox).category_tree().await.expect("tree");
    assert_eq!((root.id, root.level), (1, 0));
    let default = root.find(2).expect("default category");
    assert_eq!(default.name, "Default Category");
    let men = default
        .children_data
        .iter()
        .find(|c| c.name == "Men")
        .expect("Men");
    assert_eq!(
        men.children_data
            .iter()
            .map(|c| (c.id, c.name.as_str(), c.level))
            .collect::<Vec<_>>(),
        [(4, "Tops", 3)]
    );
    assert_eq!(root.flatten().len(), 5);
}

#[tokio::test]
async fn category_rows_carry_their_path_and_children() {
    let sandbox = start().await;
    let rows = client(&sandbox)
        .categories(SearchCriteria::new().filter("level", "2", "gteq"))
        .await
        .expect("categories");
    let tops = rows.iter().find(|c| c.name == "Tops").expect("Tops");
    assert_eq!(tops.path_ids(), [1, 2, 3, 4]);
    assert_eq!(tops.parent_id, 3);
    let men = rows.iter().find(|c| c.name == "Men").expect("Men");
    assert_eq!(men.child_ids(), [4]);
    assert_eq!(rows.len(), 3);
}

#[tokio::test]
async fn customers_resolve_their_default_addresses() {
    let sandbox = start().await;
    let client = client(&sandbox);
    let found = client
        .customers(SearchCriteria::new().filter("email", "%lindqvist%", "like"))
        .await
        .expect("customers");
    assert_eq!(found.len(), 1);
    let marta = &found[0];
    assert_eq!(marta.default_billing_id(), Some(1));
    assert_eq!(marta.default_shipping_id(), Some(2));
    let billing = marta.default_billing_address().expect("billing");
    assert_eq!(
        (billing.city.as_str(), billing.region_code()),
        ("Portland", Some("OR"))
    );
    assert_eq!(
        marta.default_shipping_address().map(|a| a.city.as_str()),
        Some("Seattle")
    );

    let theo = client.customer(2).await.expect("customer 2");
    assert_eq!(theo.email, "theo.marchand@example.org");
    assert_eq!(
        theo.default_billing_address().map(|a| a.id),
        theo.default_shipping_address().map(|a| a.id)
    );
    let err = client.customer(99).await.expect_err("unknown customer");
    assert!(matches!(err, MagentoError::NotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn orders_decode_with_items_address_and_payment() {
    let sandbox = start().await;
    let client = client(&sandbox);
    let orders = client.orders(SearchCriteria::new()).await.expect("orders");
    assert_eq!(
        orders
            .iter()
            .filter_map(|o| o.payment.as_ref().map(|p| p.method.as_str()))
            .collect::<Vec<_>>(),
        ["checkmo", "checkmo", "banktransfer"]
    );
    let order = client.order(2).await.expect("order 2");
    assert_eq!(order.increment_id, "000000002");
    assert_eq!(order.status, "processing");
    let items = order.fulfilment_items();
    assert_eq!(
        items
            .iter()
            .map(|i| (i.item_id, i.sku.as_str(), i.qty_ordered))
            .collect::<Vec<_>>(),
        [(2, "24-WB04", dec!(2))]
    );
    assert_eq!(items[0].price, dec!(45));
    let billing = order.billing_address.as_ref().expect("billing address");
    assert_eq!(
        (billing.firstname.as_str(), billing.lastname.as_str()),
        ("Jane", "Doe")
    );
    let err = client.order(404).await.expect_err("unknown order");
    assert!(matches!(err, MagentoError::NotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn invoices_bill_the_order_items() {
    let sandbox = start().await;
    let invoices = client(&sandbox)
        .invoices(SearchCriteria::new())
        .await
        .expect("invoices");
    assert_eq!(
        invoices
            .iter()
            .map(|i| (i.order_id, i.grand_total, i.state))
            .collect::<Vec<_>>(),
        [
            (1, dec!(39), Some(InvoiceState::Paid)),
            (2, dec!(100), Some(InvoiceState::Paid))
        ]
    );
    assert_eq!(
        (invoices[1].items[0].order_item_id, invoices[1].items[0].qty),
        (2, dec!(2))
    );
}

#[tokio::test]
async fn a_credit_memo_refunds_one_unit_of_an_order_item() {
    let sandbox = start().await;
    let memos = client(&sandbox)
        .credit_memos(SearchCriteria::new().filter("order_id", "2", "eq"))
        .await
        .expect("credit memos");
    assert_eq!(memos.len(), 1);
    let memo = &memos[0];
    assert_eq!(memo.state, Some(CreditMemoState::Refunded));
    assert_eq!(memo.invoice_id, Some(2));
    assert_eq!(
        memo.items
            .iter()
            .map(|i| (i.order_item_id, i.sku.as_str(), i.qty, i.row_total))
            .collect::<Vec<_>>(),
        [(2, "24-WB04", dec!(1), dec!(45))]
    );
    assert_eq!(memo.grand_total, dec!(45));
}

#[tokio::test]
async fn shipments_ship_order_items_from_a_source_with_tracking() {
    let sandbox = start().await;
    let shipments = client(&sandbox)
        .shipments(SearchCriteria::new())
        .await
        .expect("shipments");
    assert_eq!(
        shipments
            .iter()
            .map(|s| (
                s.order_id,
                s.items[0].order_item_id,
                s.items[0].qty,
                s.extension_attributes.source_code.as_deref()
            ))
            .collect::<Vec<_>>(),
        [
            (1, 1, dec!(1), Some("default")),
            (2, 2, dec!(1), Some("ne_wh"))
        ]
    );
    assert_eq!(shipments[0].tracks[0].carrier_code, "ups");
}

#[tokio::test]
async fn source_items_filter_by_sku() {
    let sandbox = start().await;
    let items = client(&sandbox)
        .source_items(SearchCriteria::new().filter("sku", "HT-TEE-M-Slate,24-UG06", "in"))
        .await
        .expect("source items");
    let mut rows: Vec<_> = items
        .iter()
        .map(|i| {
            (
                i.sku.as_str(),
                i.source_code.as_str(),
                i.quantity,
                i.is_in_stock(),
            )
        })
        .collect();
    rows.sort();
    assert_eq!(
        rows,
        [
            ("24-UG06", "default", dec!(0), false),
            ("24-UG06", "ne_wh", dec!(0), false),
            ("HT-TEE-M-Slate", "default", dec!(0), false),
            ("HT-TEE-M-Slate", "ne_wh", dec!(9), true),
        ]
    );
}

#[tokio::test]
async fn a_legacy_stock_item_sums_the_sources() {
    let sandbox = start().await;
    let stock = client(&sandbox)
        .stock_item("HT-TEE-S-Sand")
        .await
        .expect("stock item");
    assert_eq!(stock.product_id, Some(111));
    assert_eq!(stock.stock_id, Some(1));
    assert_eq!(stock.qty, Some(dec!(14)));
    assert_eq!(stock.is_in_stock, Some(true));
    assert!(stock.manages_stock(true));
}

#[tokio::test]
async fn the_public_search_reads_any_search_endpoint() {
    let sandbox = start().await;
    let rows: Vec<magento::dto::CategoryListItem> = client(&sandbox)
        .search(
            "/V1/categories/list",
            SearchCriteria::new().filter("name", "Gear", "eq"),
            "category",
        )
        .await
        .expect("search");
    assert_eq!(
        rows.iter().map(|c| c.path.as_str()).collect::<Vec<_>>(),
        ["1/2/5"]
    );
}
