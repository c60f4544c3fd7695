//! Products, categories and stock read through `dto::decode`, from hand-written fixtures
//! shaped like Magento 2.4 responses (invented data).

use chrono::{DateTime, TimeZone, Utc};
use magento::MagentoError;
use magento::dto::{
    self, AttributeValue, Category, CategoryListItem, Product, ProductStatus, ProductType,
    SearchResult, SourceItem, StockItem, Visibility,
};
use rust_decimal::dec;

fn product(json: &[u8]) -> Product {
    dto::decode(json, "product", None).expect("the product decodes")
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
        .single()
        .expect("a valid timestamp")
}

#[test]
fn custom_attributes_read_category_ids_arrays_and_text_values() {
    let p = product(include_bytes!("fixtures/product_configurable.json"));
    assert_eq!(p.category_ids(), vec![20, 24, 2]);
    assert_eq!(p.text_attribute("url_key"), Some("ridgeline-trail-jacket"));
    assert_eq!(p.text_attribute("tax_class_id"), Some("2"));
    assert_eq!(p.text_attribute("category_ids"), None);
    assert_eq!(
        p.attribute("category_ids"),
        Some(&AttributeValue::List(vec![
            "20".into(),
            "24".into(),
            "2".into()
        ]))
    );
    assert_eq!(
        p.attribute("activity").map(AttributeValue::values),
        Some(vec!["7001", "7004", "7009"])
    );
    assert_eq!(p.attribute("missing"), None);

    let simple = product(include_bytes!("fixtures/product_simple.json"));
    assert_eq!(simple.decimal_attribute("special_price"), Some(dec!(129)));
    assert_eq!(
        simple.decimal_attribute("ts_dimensions_length"),
        Some(dec!(42.5))
    );
    // A number becomes text, empty text and null are no decimal.
    assert_eq!(simple.text_attribute("ts_dimensions_width"), Some("30"));
    assert_eq!(
        simple.decimal_attribute("ts_dimensions_width"),
        Some(dec!(30))
    );
    assert_eq!(simple.decimal_attribute("ts_dimensions_height"), None);
    assert_eq!(simple.decimal_attribute("cost"), None);
    assert_eq!(simple.decimal_attribute("url_key"), None);
    // A boolean becomes "1", like Magento's own yes/no attributes.
    assert_eq!(simple.text_attribute("is_returnable"), Some("1"));
    assert_eq!(simple.category_ids(), vec![20]);
}

#[test]
fn a_simple_product_reads_prices_weight_stock_item_and_tier_prices() {
    let p = product(include_bytes!("fixtures/product_simple.json"));
    assert_eq!(p.id, 530);
    assert_eq!(p.type_id, ProductType::Simple);
    assert_eq!(p.status, Some(ProductStatus::Enabled));
    assert!(p.is_enabled());
    assert_eq!(p.visibility, Some(Visibility::NotVisibleIndividually));
    assert_eq!(p.attribute_set_id, Some(11));
    assert_eq!(p.price, Some(dec!(149)));
    assert_eq!(p.weight, Some(dec!(1.8)));
    assert_eq!(p.updated_at, Some(utc(2025, 2, 27, 16, 41, 5)));
    assert_eq!(p.website_ids(), &[1]);

    let stock = p.stock_item().expect("stock item on a single read");
    assert_eq!(stock.item_id, Some(530));
    assert_eq!(stock.qty, Some(dec!(17)));
    assert_eq!(stock.is_in_stock, Some(true));
    assert_eq!(stock.use_config_min_sale_qty, Some(true));
    assert_eq!(stock.low_stock_date, None);

    assert_eq!(p.tier_prices.len(), 2);
    assert_eq!(p.tier_prices[0].customer_group_id, Some(32000));
    assert_eq!(p.tier_prices[0].qty, dec!(5));
    assert_eq!(p.tier_prices[0].value, dec!(139));
    assert_eq!(p.tier_prices[1].customer_group_id, Some(2));
    assert_eq!(p.tier_prices[1].value, dec!(129.5));
    assert_eq!(p.tier_prices[1].extension_attributes.website_id, Some(1));
    assert_eq!(p.tier_prices[1].extension_attributes.percentage_value, None);
}

#[test]
fn a_configurable_product_exposes_its_options_and_child_links() {
    let p = product(include_bytes!("fixtures/product_configurable.json"));
    assert_eq!(p.type_id, ProductType::Configurable);
    assert_eq!(p.price, Some(dec!(0)));
    assert_eq!(p.website_ids(), &[1, 2]);
    assert_eq!(p.configurable_child_ids(), &[529, 530, 531, 532, 533, 534]);

    let options = &p.extension_attributes.configurable_product_options;
    assert_eq!(options.len(), 2);
    assert_eq!(options[0].id, Some(41));
    assert_eq!(options[0].attribute_id, 141);
    assert_eq!(options[0].label, "Size");
    assert_eq!(
        options[0]
            .values
            .iter()
            .map(|v| v.value_index)
            .collect::<Vec<_>>(),
        vec![6020, 6021, 6022]
    );
    assert_eq!(options[1].attribute_id, 93);
    assert_eq!(options[1].position, 1);

    let links = &p.extension_attributes.category_links;
    assert_eq!(links[0].category_id, 20);
    assert_eq!(links[0].position, 3);
    assert!(p.stock_item().is_none());
}

#[test]
fn media_gallery_entries_read_roles_files_and_flags() {
    let p = product(include_bytes!("fixtures/product_configurable.json"));
    let gallery = &p.media_gallery_entries;
    assert_eq!(gallery.len(), 2);
    assert_eq!(gallery[0].id, Some(2001));
    assert_eq!(gallery[0].media_type, "image");
    assert_eq!(gallery[0].label, "Olive, front");
    assert_eq!(gallery[0].types, vec!["image", "small_image", "thumbnail"]);
    assert_eq!(gallery[0].file, "/t/r/trail-jkt-olive-front.jpg");
    assert!(!gallery[0].disabled);
    assert_eq!(gallery[1].label, "");
    assert!(gallery[1].disabled);
    assert!(gallery[1].types.is_empty());
    assert_eq!(gallery[1].position, 2);
}

#[test]
fn a_bundle_product_exposes_its_options_and_selections() {
    let p = product(include_bytes!("fixtures/product_bundle.json"));
    assert_eq!(p.type_id, ProductType::Bundle);
    assert_eq!(p.price, None);
    let options = &p.extension_attributes.bundle_product_options;
    assert_eq!(options.len(), 2);
    assert_eq!(options[0].option_id, Some(21));
    assert_eq!(options[0].title, "Shelter");
    assert!(options[0].required);
    assert_eq!(options[0].input_type, "radio");
    assert_eq!(options[0].product_links[0].id, Some(64));
    assert_eq!(options[0].product_links[0].sku, "TENT-2P");
    assert!(options[0].product_links[0].is_default);
    assert_eq!(options[0].product_links[0].can_change_quantity, Some(false));
    let stove = &options[1].product_links[0];
    assert_eq!(stove.qty, dec!(2));
    assert!(!stove.is_default);
    assert_eq!(stove.price, None);
    assert_eq!(stove.price_type, None);
    assert_eq!(p.text_attribute("shipment_type"), Some("0"));
}

#[test]
fn a_grouped_product_lists_its_associated_products_with_quantities() {
    let p = product(include_bytes!("fixtures/product_grouped.json"));
    assert_eq!(p.type_id, ProductType::Grouped);
    assert_eq!(p.status, Some(ProductStatus::Disabled));
    assert!(!p.is_enabled());
    let associated: Vec<(&str, Option<rust_decimal::Decimal>)> = p
        .associated_links()
        .map(|l| (l.linked_product_sku.as_str(), l.qty()))
        .collect();
    assert_eq!(
        associated,
        vec![
            ("CAMP-MUG-12", Some(dec!(2))),
            ("CAMP-MUG-16", Some(dec!(1)))
        ]
    );
    assert_eq!(p.product_links.len(), 3);
    assert_eq!(p.product_links[2].qty(), None);
    // `extension_attributes: []` and `media_gallery_entries: null` read as empty.
    assert!(p.website_ids().is_empty());
    assert!(p.media_gallery_entries.is_empty());
}

#[test]
fn a_giftcard_and_an_unknown_product_type_parse() {
    let giftcard = product(
        br#"{"id":990,"sku":"GIFT-50","name":"Trail Gift Card","type_id":"giftcard","status":1,
            "visibility":4,"extension_attributes":{"giftcard_amounts":[
              {"attribute_id":"170","website_id":0,"value":"25.0000","website_value":25},
              {"attribute_id":170,"website_id":0,"value":50,"website_value":"50.0000"}]},
            "custom_attributes":[{"attribute_code":"giftcard_type","value":"0"},
              {"attribute_code":"allow_open_amount","value":"1"}]}"#,
    );
    assert_eq!(giftcard.type_id, ProductType::GiftCard);
    assert!(!giftcard.type_id.carries_stock());
    let amounts: Vec<_> = giftcard
        .extension_attributes
        .giftcard_amounts
        .iter()
        .map(|a| a.value)
        .collect();
    assert_eq!(amounts, vec![dec!(25), dec!(50)]);
    assert_eq!(
        giftcard.extension_attributes.giftcard_amounts[0].attribute_id,
        Some(170)
    );

    let unknown = product(
        br#"{"id":991,"sku":"SUB-COFFEE","type_id":"subscription_box","status":1,"price":"19.99"}"#,
    );
    assert_eq!(
        unknown.type_id,
        ProductType::Other("subscription_box".into())
    );
    assert_eq!(unknown.type_id.code(), "subscription_box");
    assert!(!unknown.type_id.carries_stock());
    assert_eq!(unknown.price, Some(dec!(19.99)));

    let downloadable = product(
        br#"{"id":940,"sku":"GUIDE-ALPS-PDF","type_id":"downloadable","extension_attributes":{
            "downloadable_product_links":[{"id":12,"title":"PDF","sort_order":1,"is_shareable":2,
              "price":0,"number_of_downloads":0,"link_type":"url","link_url":"https://downloads.example.com/alps.pdf",
              "sample_type":null}]}}"#,
    );
    assert_eq!(downloadable.type_id, ProductType::Downloadable);
    let link = &downloadable.extension_attributes.downloadable_product_links[0];
    assert_eq!(link.id, Some(12));
    assert_eq!(link.is_shareable, Some(2));
    assert_eq!(link.link_type, "url");
    assert_eq!(link.sample_type, None);

    let virtual_product = product(br#"{"id":941,"sku":"WORKSHOP-NAV-01","type_id":"virtual"}"#);
    assert_eq!(virtual_product.type_id, ProductType::Virtual);
    assert!(virtual_product.type_id.carries_stock());
}

#[test]
fn a_product_with_only_its_identity_decodes_with_empty_defaults() {
    let p = product(br#"{"id":"7","sku":"BARE"}"#);
    assert_eq!(p.id, 7);
    assert_eq!(p.name, "");
    assert_eq!(p.type_id, ProductType::Other(String::new()));
    assert_eq!(p.status, None);
    assert_eq!(p.price, None);
    assert_eq!(p.created_at, None);
    assert!(p.custom_attributes.is_empty());
    assert!(p.category_ids().is_empty());
    assert!(p.stock_item().is_none());
}

#[test]
fn a_product_list_reports_a_broken_field_with_the_products_id_and_path() {
    let json =
        br#"{"items":[{"id":1,"sku":"A","price":1},{"id":2,"sku":"B","extension_attributes":{
        "category_links":[{"position":0,"category_id":"twelve"}]}}],"total_count":2}"#;
    let err = dto::decode::<SearchResult<Product>>(json, "product", None).expect_err("broken");
    match err {
        MagentoError::Decode {
            entity,
            id,
            message,
        } => {
            assert_eq!(entity, "product");
            assert_eq!(id.as_deref(), Some("2"));
            assert!(
                message.starts_with(
                    "items[1].extension_attributes.category_links[0].category_id: expected an integer id, got \"twelve\""
                ),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_category_tree_reads_nested_children() {
    let root: Category = dto::decode(
        include_bytes!("fixtures/category_tree.json"),
        "category",
        None,
    )
    .expect("decodes");
    assert_eq!(root.id, 1);
    assert_eq!(root.parent_id, 0);
    assert!(!root.is_active);
    let ids: Vec<i64> = root.flatten().iter().map(|c| c.id).collect();
    assert_eq!(ids, vec![1, 2, 20, 24, 21]);
    let rain = root.find(24).expect("category 24");
    assert_eq!(rain.name, "Rain Shells");
    assert_eq!(rain.parent_id, 20);
    assert_eq!(rain.level, 3);
    assert_eq!(rain.product_count, 12);
    assert!(!rain.is_active);
    let default_root = root.find(2).expect("category 2");
    assert!(default_root.is_active);
    assert_eq!(default_root.product_count, 214);
    assert_eq!(default_root.children_data.len(), 2);
    assert!(root.find(99).is_none());
}

#[test]
fn the_flat_category_list_reads_paths_and_children() {
    let json = br#"{"items":[
        {"id":20,"parent_id":2,"name":"Outerwear","is_active":true,"position":1,"level":2,
         "children":"24,25","created_at":"2024-10-01 09:00:00","updated_at":"2025-01-05 10:30:00",
         "path":"1/2/20","available_sort_by":[],"include_in_menu":true,
         "custom_attributes":[{"attribute_code":"url_path","value":"outerwear"},{"attribute_code":"is_anchor","value":"1"}]},
        {"id":"21","parent_id":"2","name":"Camp Kitchen","is_active":false,"level":2,"children":"","path":"1/2/21"}],
        "search_criteria":{"filter_groups":[]},"total_count":2}"#;
    let list: SearchResult<CategoryListItem> =
        dto::decode(json, "category", None).expect("decodes");
    assert_eq!(list.total_count, 2);
    let outerwear = &list.items[0];
    assert_eq!(outerwear.path_ids(), vec![1, 2, 20]);
    assert_eq!(outerwear.child_ids(), vec![24, 25]);
    assert_eq!(outerwear.include_in_menu, Some(true));
    assert_eq!(
        outerwear
            .attribute("url_path")
            .and_then(AttributeValue::as_text),
        Some("outerwear")
    );
    assert_eq!(outerwear.updated_at, Some(utc(2025, 1, 5, 10, 30, 0)));
    let kitchen = &list.items[1];
    assert_eq!(kitchen.id, 21);
    assert!(kitchen.child_ids().is_empty());
    assert_eq!(kitchen.include_in_menu, None);
}

#[test]
fn source_items_read_quantities_and_statuses() {
    let result: SearchResult<SourceItem> = dto::decode(
        include_bytes!("fixtures/source_items.json"),
        "source item",
        None,
    )
    .expect("decodes");
    assert_eq!(result.total_count, 3);
    let items = &result.items;
    assert_eq!(items[0].sku, "TRAIL-JKT-M-OLV");
    assert_eq!(items[0].source_code, "uppsala_wh");
    assert_eq!(items[0].quantity, dec!(17));
    assert!(items[0].is_in_stock());
    assert_eq!(items[1].quantity, dec!(0));
    assert_eq!(items[1].status, SourceItem::STATUS_OUT_OF_STOCK);
    assert!(!items[1].is_in_stock());
    assert_eq!(items[2].quantity, dec!(12.75));

    // Serialises in the shape `POST /V1/inventory/source-items` takes.
    let body = serde_json::to_value(&items[2]).expect("serialises");
    assert_eq!(
        body,
        serde_json::json!({"sku":"ROPE-9MM","source_code":"uppsala_wh","quantity":"12.75","status":1})
    );
}

#[test]
fn a_legacy_stock_item_reads_flags_quantities_and_the_zero_date() {
    let item: StockItem = dto::decode(
        include_bytes!("fixtures/stock_item.json"),
        "stock item",
        Some("CAMP-MUG-12"),
    )
    .expect("decodes");
    assert_eq!(item.item_id, Some(611));
    assert_eq!(item.stock_id, Some(1));
    assert_eq!(item.qty, Some(dec!(42)));
    assert_eq!(item.is_in_stock, Some(true));
    assert_eq!(item.backorders, Some(2));
    assert_eq!(item.use_config_backorders, Some(false));
    assert_eq!(item.max_sale_qty, Some(dec!(10000)));
    assert_eq!(item.low_stock_date, None);
    assert_eq!(item.use_config_manage_stock, Some(false));
    assert!(item.manages_stock(false));

    let follows_config: StockItem =
        dto::decode(br#"{"item_id":"3","qty":"1.5000"}"#, "stock item", None).expect("decodes");
    assert_eq!(follows_config.qty, Some(dec!(1.5)));
    assert_eq!(follows_config.manage_stock, None);
    assert!(follows_config.manages_stock(true));
    assert!(!follows_config.manages_stock(false));
}

#[test]
fn a_broken_stock_quantity_names_the_sku_the_caller_asked_for() {
    let err = dto::decode::<StockItem>(
        br#"{"item_id":611,"qty":"lots"}"#,
        "stock item",
        Some("CAMP-MUG-12"),
    )
    .expect_err("broken");
    match err {
        MagentoError::Decode { id, message, .. } => {
            assert_eq!(id.as_deref(), Some("CAMP-MUG-12"));
            assert!(message.starts_with("qty: expected a decimal"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn products_round_trip_through_their_own_serialisation() {
    for json in [
        &include_bytes!("fixtures/product_configurable.json")[..],
        &include_bytes!("fixtures/product_simple.json")[..],
        &include_bytes!("fixtures/product_bundle.json")[..],
        &include_bytes!("fixtures/product_grouped.json")[..],
    ] {
        let p = product(json);
        let again = serde_json::to_vec(&p).expect("serialises");
        assert_eq!(product(&again), p);
    }
}
