//! Orders read through `dto::decode`, from hand-written fixtures shaped like Magento 2.4
//! responses (invented data).

use chrono::{DateTime, TimeZone, Utc};
use magento::MagentoError;
use magento::dto::{self, Order, OrderState, ProductType, SearchResult};
use rust_decimal::dec;

fn order(json: &[u8]) -> Order {
    dto::decode(json, "order", None).expect("the order decodes")
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
        .single()
        .expect("a valid timestamp")
}

fn skus<'a>(items: &[&'a dto::OrderItem]) -> Vec<(&'a str, i64)> {
    items.iter().map(|i| (i.sku.as_str(), i.item_id)).collect()
}

#[test]
fn configurable_order_yields_the_child_row_for_fulfilment_with_the_parent_price_reachable() {
    let order = order(include_bytes!("fixtures/order_configurable.json"));
    assert_eq!(order.items.len(), 3);

    let fulfilment = order.fulfilment_items();
    assert_eq!(
        skus(&fulfilment),
        vec![("TRAIL-JKT-M-OLV", 9002), ("CAMP-MUG-12", 9003)]
    );
    let child = fulfilment[0];
    assert_eq!(child.product_type, Some(ProductType::Simple));
    assert_eq!(child.product_id, Some(530));
    assert_eq!(child.qty_ordered, dec!(1));
    assert_eq!(child.base_price, dec!(0));
    assert_eq!(child.price_incl_tax, None);

    let parent = order.parent_of(child).expect("the parent row");
    assert_eq!(parent.item_id, 9001);
    assert_eq!(parent.product_type, Some(ProductType::Configurable));
    assert_eq!(parent.price, dec!(149));
    assert_eq!(parent.price_incl_tax, Some(dec!(161.29)));
    assert_eq!(parent.discount_amount, dec!(14.9));
    let embedded = child.parent().expect("the embedded parent copy");
    assert_eq!(embedded.price_incl_tax, Some(dec!(161.29)));
    assert_eq!(
        parent
            .configurable_options()
            .iter()
            .map(|o| (o.option_id, o.option_value))
            .collect::<Vec<_>>(),
        vec![(141, Some(6021)), (93, Some(5480))]
    );

    let top: Vec<i64> = order.top_level_items().iter().map(|i| i.item_id).collect();
    assert_eq!(top, vec![9001, 9003]);
    assert_eq!(order.children_of(parent).len(), 1);
}

#[test]
fn order_money_addresses_payment_and_taxes_are_typed() {
    let order = order(include_bytes!("fixtures/order_configurable.json"));
    assert_eq!(order.entity_id, 4107);
    assert_eq!(order.increment_id, "000004107");
    assert_eq!(order.state, Some(OrderState::Processing));
    assert_eq!(order.status, "processing");
    assert_eq!(order.customer_id, Some(88));
    assert!(!order.is_guest());
    assert_eq!(order.edited_from(), None);
    assert_eq!(order.coupon_code.as_deref(), Some("SPRING10"));
    assert_eq!(order.discount_amount, dec!(-14.9));
    assert_eq!(order.grand_total, dec!(177.23));
    assert_eq!(order.base_grand_total, dec!(177.23));
    assert_eq!(order.total_paid, dec!(177.23));
    assert_eq!(order.total_refunded, dec!(0));
    assert_eq!(order.base_to_order_rate, Some(dec!(1)));
    assert_eq!(order.order_currency_code.as_deref(), Some("EUR"));
    assert_eq!(order.created_at, Some(utc(2025, 3, 14, 9, 26, 53)));

    let billing = order.billing_address.as_ref().expect("billing address");
    assert_eq!(billing.street, vec!["Kungsgatan 12", "Lgh 1102"]);
    assert_eq!(billing.region, None);
    let shipping = order.shipping_address().expect("shipping address");
    assert_eq!(shipping.street, vec!["Svartbäcksgatan 40"]);
    assert_eq!(shipping.customer_address_id, Some(302));
    assert_eq!(order.shipping_method(), Some("flatrate_flatrate"));
    let total = order.extension_attributes.shipping_assignments[0]
        .shipping
        .total
        .as_ref()
        .expect("shipping total");
    assert_eq!(total.shipping_incl_tax, dec!(5));

    let payment = order.payment.as_ref().expect("payment");
    assert_eq!(payment.method, "checkmo");
    assert_eq!(payment.amount_paid, dec!(177.23));
    assert_eq!(payment.cc_last4, None);
    assert_eq!(order.payment_method_title(), Some("Check / Money order"));

    let ext = &order.extension_attributes;
    assert_eq!(ext.applied_taxes[0].code, "SE-VAT-Reduced");
    assert_eq!(ext.applied_taxes[0].percent, dec!(8.25));
    assert_eq!(ext.applied_taxes[0].amount, dec!(13.13));
    assert_eq!(ext.item_applied_taxes[1].item_id, Some(9003));
    assert_eq!(
        ext.item_applied_taxes[1].tax_type.as_deref(),
        Some("product")
    );
    assert_eq!(
        ext.item_applied_taxes[1].applied_taxes[0].amount,
        dec!(2.06)
    );
    let gift = ext.gift_message.as_ref().expect("gift message");
    assert_eq!(
        (gift.sender.as_str(), gift.recipient.as_str()),
        ("Mara Lindqvist", "Jonas Berg")
    );
    assert_eq!(ext.converting_from_quote, Some(true));
    let mug = &order.items[2];
    assert_eq!(
        mug.extension_attributes
            .gift_message
            .as_ref()
            .map(|g| g.message.as_str()),
        Some("For the summit coffee.")
    );

    let history = &order.status_histories[0];
    assert_eq!(history.is_customer_notified, None);
    assert_eq!(history.is_visible_on_front, Some(false));
    assert_eq!(history.entity_name.as_deref(), Some("invoice"));
}

#[test]
fn bundle_order_children_are_the_fulfilment_items() {
    let order = order(include_bytes!("fixtures/order_bundle.json"));
    let fulfilment = order.fulfilment_items();
    assert_eq!(
        skus(&fulfilment),
        vec![("TENT-2P", 7302), ("STOVE-MINI", 7303)]
    );
    for child in &fulfilment {
        assert_eq!(child.parent_item_id, Some(7301));
        assert_eq!(
            order.parent_of(child).and_then(|p| p.product_type.clone()),
            Some(ProductType::Bundle)
        );
    }
    let bundle = &order.items[0];
    let options: Vec<(i64, Vec<i64>)> = bundle
        .bundle_options()
        .iter()
        .map(|o| (o.option_id, o.option_selections.clone()))
        .collect();
    assert_eq!(options, vec![(21, vec![64]), (22, vec![67])]);
    assert_eq!(bundle.bundle_options()[0].option_qty, dec!(1));
    assert_eq!(order.top_level_items().len(), 1);
}

#[test]
fn ids_amounts_and_flags_parse_from_strings_as_well_as_numbers() {
    let strings = order(include_bytes!("fixtures/order_bundle.json"));
    assert_eq!(strings.entity_id, 5120);
    assert_eq!(strings.store_id, Some(2));
    assert_eq!(strings.customer_id, Some(143));
    assert_eq!(strings.customer_is_guest, Some(false));
    assert_eq!(strings.items[1].item_id, 7302);
    assert_eq!(strings.items[1].parent_item_id, Some(7301));
    assert_eq!(strings.grand_total, dec!(319.9));
    assert_eq!(strings.items[0].qty_ordered, dec!(1));
    // RFC 3339 is accepted next to Magento's own format.
    assert_eq!(strings.created_at, Some(utc(2025, 4, 2, 17, 5, 11)));
    assert_eq!(strings.created_at, strings.updated_at);
    let billing = strings.billing_address.as_ref().expect("billing");
    assert_eq!(billing.region_id, Some(50));
    // A street sent as one string with a line break.
    assert_eq!(billing.street, vec!["410 S Main St", "Suite 2"]);
    // `additional_information[0]` that reads like a title stands in for `method_title`.
    assert_eq!(
        strings.payment_method_title(),
        Some("Bank Transfer Payment")
    );

    let numbers = order(include_bytes!("fixtures/order_configurable.json"));
    assert_eq!(numbers.entity_id, 4107);
    assert_eq!(numbers.items[0].item_id, 9001);
    assert_eq!(numbers.customer_is_guest, Some(false));
}

#[test]
fn grouped_members_are_standalone_fulfilment_rows() {
    // Magento types each ordered member of a grouped product `grouped`, with the member's
    // own product id and SKU and no parent row.
    let json = br#"{"entity_id":6100,"increment_id":"000006100","items":[
        {"item_id":12001,"product_id":611,"product_type":"grouped","sku":"CAMP-MUG-12","name":"Enamel Camp Mug 12oz","qty_ordered":2,"price":12.5},
        {"item_id":12002,"product_id":612,"product_type":"grouped","sku":"CAMP-MUG-16","name":"Enamel Camp Mug 16oz","qty_ordered":1,"price":14}]}"#;
    let order = order(json);
    assert_eq!(
        skus(&order.fulfilment_items()),
        vec![("CAMP-MUG-12", 12001), ("CAMP-MUG-16", 12002)]
    );
    assert_eq!(order.top_level_items().len(), 2);
}

#[test]
fn guest_order_has_no_customer_id_and_is_a_guest() {
    let order = order(include_bytes!("fixtures/order_guest.json"));
    assert_eq!(order.customer_id, None);
    assert_eq!(order.customer_is_guest, Some(true));
    assert!(order.is_guest());
    assert_eq!(order.customer_email, "river.guest@example.com");
    assert_eq!(order.coupon_code.as_deref(), Some("FIELDGUIDE"));
    assert_eq!(order.discount_amount, dec!(-19.8));
    assert_eq!(order.items[0].discount_amount, dec!(9.9));
    assert_eq!(order.grand_total, dec!(0));
    assert_eq!(order.state, Some(OrderState::Complete));

    // A virtual order: an assignment without an address.
    assert!(order.shipping_address().is_none());
    assert_eq!(order.shipping_method(), None);
    // Downloadable and virtual rows carry stock.
    assert_eq!(
        skus(&order.fulfilment_items()),
        vec![("GUIDE-ALPS-PDF", 11870), ("WORKSHOP-NAV-01", 11871)]
    );
    let links = order.items[0]
        .product_option
        .as_ref()
        .and_then(|o| o.extension_attributes.downloadable_option.as_ref())
        .map(|d| d.downloadable_links.clone());
    assert_eq!(links, Some(vec![12, 13]));
    // `product_option: []` (PHP's empty array) reads as absent.
    assert_eq!(order.items[1].product_option, None);

    let info = &order.extension_attributes.payment_additional_info;
    assert_eq!(info[1].value, r#"{"nested":[1,2]}"#);
    assert_eq!(
        order.payment_method_title(),
        Some("No Payment Information Required")
    );
}

#[test]
fn edited_order_exposes_the_order_it_replaced() {
    let json = br#"{"entity_id":4120,"increment_id":"000004098-1","original_increment_id":"000004098",
        "relation_parent_id":"4098","relation_parent_real_id":"000004098","edit_increment":1,
        "customer_id":88,"customer_is_guest":0,"state":"new","status":"pending",
        "grand_total":50,"base_grand_total":50,"customer_email":"mara.lindqvist@example.org",
        "items":[{"item_id":9100,"sku":"CAMP-MUG-12","product_type":"simple","qty_ordered":4,"price":12.5}]}"#;
    let edited = order(json);
    assert_eq!(edited.edited_from(), Some(4098));
    assert_eq!(edited.relation_parent_real_id.as_deref(), Some("000004098"));
    assert_eq!(edited.original_increment_id.as_deref(), Some("000004098"));
    assert_eq!(edited.edit_increment, Some(1));

    // The cancelled original points forward instead.
    let original = order(
        br#"{"entity_id":4098,"increment_id":"000004098","state":"canceled","status":"canceled",
            "relation_child_id":"4120","relation_child_real_id":"000004098-1","items":[]}"#,
    );
    assert_eq!(original.edited_from(), None);
    assert_eq!(original.state, Some(OrderState::Canceled));
    assert_eq!(original.relation_child_id.as_deref(), Some("4120"));
}

#[test]
fn an_unknown_state_or_product_type_is_kept_not_rejected() {
    let json = br#"{"entity_id":1,"increment_id":"1","state":"awaiting_pickup","status":"x",
        "items":[{"item_id":1,"sku":"SUB-1","product_type":"subscription","qty_ordered":1}]}"#;
    let order = order(json);
    assert_eq!(
        order.state,
        Some(OrderState::Other("awaiting_pickup".into()))
    );
    assert_eq!(
        order.items[0].product_type,
        Some(ProductType::Other("subscription".into()))
    );
    assert!(order.fulfilment_items().is_empty());
}

#[test]
fn an_order_with_omitted_optional_fields_still_decodes() {
    let order =
        order(br#"{"entity_id":77,"increment_id":"000000077","items":[{"item_id":5,"sku":"A"}]}"#);
    assert_eq!(order.state, None);
    assert_eq!(order.status, "");
    assert_eq!(order.grand_total, dec!(0));
    assert_eq!(order.created_at, None);
    assert!(order.billing_address.is_none());
    assert!(order.payment.is_none());
    assert!(order.extension_attributes.shipping_assignments.is_empty());
    assert_eq!(order.payment_method_title(), None);
    assert!(order.is_guest());
    let item = &order.items[0];
    assert_eq!(item.product_type, None);
    assert_eq!(item.qty_ordered, dec!(0));
    assert_eq!(item.price_incl_tax, None);
    assert!(item.configurable_options().is_empty());
}

#[test]
fn a_broken_order_field_fails_naming_the_order_its_id_and_the_path() {
    let json = br#"{"entity_id":4107,"increment_id":"000004107","items":[
        {"item_id":9001,"sku":"A","qty_ordered":1},
        {"item_id":9002,"sku":"B","qty_ordered":"abc"}]}"#;
    let err = dto::decode::<Order>(json, "order", None).expect_err("broken");
    match &err {
        MagentoError::Decode {
            entity,
            id,
            message,
        } => {
            assert_eq!(entity, "order");
            assert_eq!(id.as_deref(), Some("4107"));
            assert!(
                message.starts_with("items[1].qty_ordered: expected a decimal, got \"abc\""),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("order 4107"), "{err}");
}

#[test]
fn a_broken_field_deep_in_an_order_list_names_the_order_it_belongs_to() {
    let json = br#"{"items":[
        {"entity_id":1,"increment_id":"000000001","items":[]},
        {"entity_id":2,"increment_id":"000000002","items":[{"item_id":7,"sku":"A",
            "parent_item":{"item_id":6,"sku":"P","created_at":"yesterday"}}]}],"total_count":2}"#;
    let err = dto::decode::<SearchResult<Order>>(json, "order", None).expect_err("broken");
    match err {
        MagentoError::Decode { id, message, .. } => {
            assert_eq!(id.as_deref(), Some("2"));
            assert!(
                message
                    .starts_with("items[1].items[0].parent_item.created_at: expected a timestamp"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_missing_required_order_item_field_is_reported_not_panicked() {
    let json = br#"{"entity_id":9,"increment_id":"9","items":[{"item_id":1}]}"#;
    let err = dto::decode::<Order>(json, "order", None).expect_err("broken");
    match err {
        MagentoError::Decode { id, message, .. } => {
            assert_eq!(id.as_deref(), Some("9"));
            assert!(message.starts_with("items[0]"), "{message}");
            assert!(message.contains("missing field `sku`"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn orders_round_trip_through_their_own_serialisation() {
    let order = order(include_bytes!("fixtures/order_configurable.json"));
    let json = serde_json::to_vec(&order).expect("serialises");
    assert_eq!(
        dto::decode::<Order>(&json, "order", None).expect("decodes"),
        order
    );
}
