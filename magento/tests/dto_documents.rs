//! Customers, invoices, credit memos and shipments read through `dto::decode`, from
//! hand-written fixtures shaped like Magento 2.4 responses (invented data).

use magento::MagentoError;
use magento::dto::{
    self, CreditMemo, CreditMemoState, Customer, Invoice, InvoiceState, SearchResult, Shipment,
};
use rust_decimal::dec;

#[test]
fn a_customers_default_addresses_are_found_by_their_string_ids() {
    let customer: Customer = dto::decode(
        include_bytes!("fixtures/customer_addresses.json"),
        "customer",
        None,
    )
    .expect("decodes");
    assert_eq!(customer.id, 88);
    assert_eq!(customer.email, "mara.lindqvist@example.org");
    assert_eq!(customer.default_billing.as_deref(), Some("301"));
    assert_eq!(customer.default_billing_id(), Some(301));
    assert_eq!(customer.default_shipping_id(), Some(302));

    let billing = customer.default_billing_address().expect("billing address");
    assert_eq!(billing.id, 301);
    assert_eq!(billing.street, vec!["Kungsgatan 12", "Lgh 1102"]);
    assert!(billing.default_billing);
    assert!(!billing.default_shipping);
    // The all-null region with region_id 0.
    assert_eq!(billing.region_code(), None);
    assert_eq!(billing.known_region_id(), None);
    assert_eq!(billing.region_id, Some(0));

    let shipping = customer
        .default_shipping_address()
        .expect("shipping address");
    assert_eq!(shipping.id, 302);
    assert_eq!(shipping.street, vec!["Svartbäcksgatan 40"]);

    let other = &customer.addresses[2];
    assert!(!other.default_billing && !other.default_shipping);
    assert_eq!(other.region_code(), Some("CO"));
    assert_eq!(other.known_region_id(), Some(13));
    assert_eq!(other.company.as_deref(), Some("Summit Gear Co-op"));

    assert_eq!(customer.disable_auto_group_change, Some(false));
    assert_eq!(customer.extension_attributes.is_subscribed, Some(false));
    assert_eq!(
        customer.attribute("loyalty_tier").and_then(|v| v.as_text()),
        Some("silver")
    );
}

#[test]
fn a_customer_without_default_addresses_says_so_with_zero() {
    let json = br#"{"id":"91","group_id":"1","default_billing":"0","default_shipping":"0",
        "email":"no.address@example.org","firstname":"Ola","lastname":"Nordmann","website_id":1,
        "addresses":[{"id":410,"customer_id":91,"country_id":"NO","street":["Storgata 1"],
          "city":"Oslo","firstname":"Ola","lastname":"Nordmann","region":[]}]}"#;
    let customer: Customer = dto::decode(json, "customer", None).expect("decodes");
    assert_eq!(customer.id, 91);
    assert_eq!(customer.default_billing_id(), None);
    assert!(customer.default_billing_address().is_none());
    assert!(customer.default_shipping_address().is_none());
    assert_eq!(customer.addresses[0].region, None);

    // Without the pointers (a `fields=` projection), the flags on the addresses decide.
    let json = br#"{"id":92,"email":"flags@example.org","addresses":[
        {"id":1,"city":"A","default_shipping":true},{"id":2,"city":"B","default_billing":"1"}]}"#;
    let customer: Customer = dto::decode(json, "customer", None).expect("decodes");
    assert_eq!(customer.default_billing_address().map(|a| a.id), Some(2));
    assert_eq!(customer.default_shipping_address().map(|a| a.id), Some(1));
    assert_eq!(customer.firstname, "");
    assert!(customer.custom_attributes.is_empty());
}

#[test]
fn a_credit_memo_keeps_weee_tax_applied_as_text_and_reads_adjustments() {
    let memo: CreditMemo = dto::decode(
        include_bytes!("fixtures/creditmemo.json"),
        "credit memo",
        None,
    )
    .expect("decodes");
    assert_eq!(memo.entity_id, 377);
    assert_eq!(memo.order_id, 4107);
    assert_eq!(memo.invoice_id, Some(2950));
    assert_eq!(memo.state, Some(CreditMemoState::Refunded));
    assert!(memo.is_refunded());
    assert_eq!(memo.adjustment_positive, dec!(5));
    assert_eq!(memo.adjustment_negative, dec!(7.5));
    assert_eq!(memo.adjustment, dec!(-2.5));
    assert_eq!(memo.base_adjustment_negative, dec!(7.5));
    assert_eq!(memo.discount_amount, dec!(-1.25));
    assert_eq!(memo.grand_total, dec!(9.78));
    assert_eq!(memo.store_to_base_rate, Some(dec!(0)));
    assert_eq!(memo.transaction_id, None);

    let first = &memo.items[0];
    assert_eq!(first.order_item_id, 9003);
    assert_eq!(first.qty, dec!(1));
    assert_eq!(first.base_cost, None);
    assert_eq!(first.weee_tax_applied.as_deref(), Some("[]"));
    assert_eq!(first.weee_taxes(), Some(serde_json::json!([])));
    let second = &memo.items[1];
    assert_eq!(second.order_item_id, 9004);
    assert_eq!(second.qty, dec!(0));
    assert_eq!(second.base_cost, Some(dec!(4.2)));
    assert_eq!(
        second.weee_tax_applied.as_deref(),
        Some(r#"[{"title":"Recycling fee","base_amount":"0.5000","amount":"0.5000"}]"#)
    );
    assert_eq!(
        second
            .weee_taxes()
            .and_then(|v| v[0]["title"].as_str().map(str::to_owned)),
        Some("Recycling fee".to_owned())
    );

    assert_eq!(memo.comments[0].is_customer_notified, Some(true));
    assert_eq!(memo.comments[0].is_visible_on_front, Some(false));
}

#[test]
fn credit_memo_states_fall_back_for_unknown_codes() {
    let json = br#"{"items":[
        {"entity_id":1,"order_id":2,"state":"1","items":[]},
        {"entity_id":2,"order_id":2,"state":3,"items":[]},
        {"entity_id":3,"order_id":2,"state":7,"items":[]},
        {"entity_id":4,"order_id":2,"items":[]}],"total_count":4}"#;
    let memos: SearchResult<CreditMemo> = dto::decode(json, "credit memo", None).expect("decodes");
    let states: Vec<_> = memos.items.iter().map(|m| m.state).collect();
    assert_eq!(
        states,
        vec![
            Some(CreditMemoState::Open),
            Some(CreditMemoState::Canceled),
            Some(CreditMemoState::Other(7)),
            None
        ]
    );
    // A weee_tax_applied sent as a real array is kept as its JSON text.
    let memo: CreditMemo = dto::decode(
        br#"{"entity_id":5,"order_id":2,"items":[{"entity_id":9,"order_item_id":3,"qty":1,"weee_tax_applied":[]}]}"#,
        "credit memo",
        None,
    )
    .expect("decodes");
    assert_eq!(memo.items[0].weee_tax_applied.as_deref(), Some("[]"));
}

#[test]
fn a_shipment_reads_items_tracks_and_its_source() {
    let shipment: Shipment =
        dto::decode(include_bytes!("fixtures/shipment.json"), "shipment", None).expect("decodes");
    assert_eq!(shipment.entity_id, 1630);
    assert_eq!(shipment.order_id, 4107);
    assert_eq!(shipment.total_qty, Some(dec!(3)));
    assert_eq!(shipment.email_sent, Some(true));
    assert_eq!(
        shipment.extension_attributes.source_code.as_deref(),
        Some("uppsala_wh")
    );
    let items: Vec<(i64, _)> = shipment
        .items
        .iter()
        .map(|i| (i.order_item_id, i.qty))
        .collect();
    assert_eq!(items, vec![(9001, dec!(1)), (9003, dec!(2))]);

    let tracks = &shipment.tracks;
    assert_eq!(tracks.len(), 2);
    assert_eq!(tracks[0].track_number, "00340434161094042557");
    assert_eq!(tracks[0].title, "PostNord");
    assert_eq!(tracks[0].carrier_code, "custom");
    assert_eq!(tracks[0].weight, None);
    assert_eq!(tracks[0].description, None);
    assert_eq!(tracks[1].track_number, "1234567890");
    assert_eq!(tracks[1].carrier_code, "dhl");
    assert_eq!(tracks[1].order_id, Some(4107));
    assert_eq!(tracks[1].parent_id, Some(1630));
    assert!(shipment.comments.is_empty());
}

#[test]
fn an_invoice_reads_state_totals_and_rows() {
    let json = br#"{"entity_id":2950,"increment_id":"000002950","order_id":4107,"state":2,
        "grand_total":177.23,"base_grand_total":"177.2300","subtotal":174,"tax_amount":13.13,
        "discount_amount":-14.9,"total_qty":3,"created_at":"2025-03-14 09:31:02","can_void_flag":0,
        "items":[{"entity_id":6101,"order_item_id":9001,"parent_id":2950,"sku":"TRAIL-JKT-M-OLV",
          "name":"Ridgeline Trail Jacket","qty":1,"price":149,"row_total":149,"price_incl_tax":161.29},
          {"entity_id":6102,"order_item_id":"9002","sku":"TRAIL-JKT-M-OLV","qty":1,"price":149,"row_total":0}],
        "comments":[]}"#;
    let invoice: Invoice = dto::decode(json, "invoice", None).expect("decodes");
    assert_eq!(invoice.state, Some(InvoiceState::Paid));
    assert_eq!(invoice.state.map(|s| s.code()), Some(2));
    assert_eq!(invoice.base_grand_total, dec!(177.23));
    assert_eq!(invoice.discount_amount, dec!(-14.9));
    assert_eq!(invoice.total_qty, dec!(3));
    assert_eq!(invoice.can_void_flag, Some(false));
    assert_eq!(invoice.items[0].price_incl_tax, Some(dec!(161.29)));
    assert_eq!(invoice.items[1].order_item_id, 9002);
    assert_eq!(invoice.items[1].price_incl_tax, None);
}

#[test]
fn a_broken_credit_memo_row_names_the_memo_and_the_path() {
    let json = br#"{"entity_id":377,"order_id":4107,"items":[{"entity_id":1,"order_item_id":9003,"qty":"one"}]}"#;
    let err = dto::decode::<CreditMemo>(json, "credit memo", None).expect_err("broken");
    match err {
        MagentoError::Decode {
            entity,
            id,
            message,
        } => {
            assert_eq!(entity, "credit memo");
            assert_eq!(id.as_deref(), Some("377"));
            assert!(
                message.starts_with("items[0].qty: expected a decimal, got \"one\""),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn documents_round_trip_through_their_own_serialisation() {
    let memo: CreditMemo = dto::decode(
        include_bytes!("fixtures/creditmemo.json"),
        "credit memo",
        None,
    )
    .expect("decodes");
    let json = serde_json::to_vec(&memo).expect("serialises");
    assert_eq!(
        dto::decode::<CreditMemo>(&json, "credit memo", None).expect("decodes"),
        memo
    );
    let customer: Customer = dto::decode(
        include_bytes!("fixtures/customer_addresses.json"),
        "customer",
        None,
    )
    .expect("decodes");
    let json = serde_json::to_vec(&customer).expect("serialises");
    assert_eq!(
        dto::decode::<Customer>(&json, "customer", None).expect("decodes"),
        customer
    );
}
