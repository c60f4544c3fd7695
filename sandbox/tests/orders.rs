//! The sandbox's order lifecycle through its control API (`/sandbox/orders…`) and the
//! Magento REST routes backed by it (ship, comments, salable quantity), read back as
//! Magento renders orders.

mod common;

use reqwest::Method;
use sandbox::RunningSandbox;
use serde_json::{Value, json};

use common::{control, start};

/// A control API call that must succeed.
async fn ok(sandbox: &RunningSandbox, path: &str, body: Value) -> Value {
    let (status, answer) = control(sandbox, Method::POST, path, body).await;
    assert_eq!(status, 201, "{path}: {answer}");
    answer
}

/// Places an order; returns its entity id.
async fn place(sandbox: &RunningSandbox, order: Value) -> i64 {
    ok(sandbox, "orders", order).await["entity_id"]
        .as_i64()
        .expect("entity_id")
}

/// A signed REST call with a JSON body (`None`: a GET without body).
async fn rest(
    sandbox: &RunningSandbox,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let url = format!("{}/rest/V1/{path}", sandbox.base_url);
    common::signed(&sandbox.credentials, method, &url, body).await
}

/// Every row of a search endpoint (`invoices`, `creditmemos`, `shipments`), signed with
/// its `searchCriteria` query.
async fn search(sandbox: &RunningSandbox, endpoint: &str) -> Vec<Value> {
    items(sandbox, endpoint, &[("searchCriteria[pageSize]", "100")]).await
}

/// The `items` of one signed search page of `GET /V1/{endpoint}?{query}`.
async fn items(sandbox: &RunningSandbox, endpoint: &str, query: &[(&str, &str)]) -> Vec<Value> {
    let url = format!("{}/rest/V1/{endpoint}", sandbox.base_url);
    let (_, page) = common::signed_get(&sandbox.credentials, &url, &common::pairs(query)).await;
    page["items"].as_array().cloned().expect("items")
}

async fn order(sandbox: &RunningSandbox, id: i64) -> Value {
    let (status, order) = rest(sandbox, Method::GET, &format!("orders/{id}"), None).await;
    assert_eq!(status, 200, "{order}");
    order
}

async fn salable(sandbox: &RunningSandbox, sku: &str) -> f64 {
    let path = format!(
        "inventory/get-product-salable-quantity/{}/1",
        magento::oauth::percent_encode(sku)
    );
    let (status, qty) = rest(sandbox, Method::GET, &path, None).await;
    assert_eq!(status, 200, "{qty}");
    qty.as_f64().expect("a number")
}

async fn source_qty(sandbox: &RunningSandbox, sku: &str, source: &str) -> f64 {
    let query = [
        ("searchCriteria[filter_groups][0][filters][0][field]", "sku"),
        ("searchCriteria[filter_groups][0][filters][0][value]", sku),
    ];
    items(sandbox, "inventory/source-items", &query)
        .await
        .iter()
        .find(|i| i["source_code"] == source)
        .and_then(|i| i["quantity"].as_f64())
        .expect("source item")
}

fn line(sku: &str, qty: u32) -> Value {
    json!({ "sku": sku, "qty": qty })
}

fn money(value: &Value) -> f64 {
    value.as_f64().unwrap_or_default()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 0.005
}

#[tokio::test]
async fn new_orders_get_increment_ids_after_the_seeded_ones() {
    let sandbox = start().await;
    let answer = ok(&sandbox, "orders", json!({"items": [line("24-MB01", 1)]})).await;
    assert_eq!(answer, json!({"entity_id": 4, "increment_id": "000000004"}));
    let answer = ok(&sandbox, "orders", json!({"items": [line("24-MB01", 1)]})).await;
    assert_eq!(answer["increment_id"], "000000005");
    let placed = order(&sandbox, 4).await;
    assert_eq!(
        (placed["state"].as_str(), placed["status"].as_str()),
        (Some("new"), Some("pending"))
    );
}

#[tokio::test]
async fn placing_reserves_salable_qty() {
    let sandbox = start().await;
    assert_eq!(salable(&sandbox, "24-MB01").await, 52.0);
    place(&sandbox, json!({"items": [line("24-MB01", 2)]})).await;
    assert_eq!(salable(&sandbox, "24-MB01").await, 50.0);
    let (_, reservations) = control(&sandbox, Method::GET, "reservations", Value::Null).await;
    // The seeded open order 3 holds its 3 units of 24-UG06 from the start.
    let rows: Vec<&Value> = reservations["reservations"]
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| r["sku"] == "24-MB01")
        .collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0]["sku"].as_str(), rows[0]["quantity"].as_f64()),
        (Some("24-MB01"), Some(-2.0))
    );
    assert!(
        rows[0]["metadata"]
            .as_str()
            .is_some_and(|m| m.contains("order_placed"))
    );
}

#[tokio::test]
async fn placing_more_than_salable_is_refused() {
    let sandbox = start().await;
    let (status, answer) = control(
        &sandbox,
        Method::POST,
        "orders",
        json!({"items": [line("24-UG06", 1)]}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        answer["message"],
        "Product that you are trying to add is not available."
    );
    let (status, _) = control(
        &sandbox,
        Method::POST,
        "orders",
        json!({"items": [line("24-WB04", 19)]}),
    )
    .await;
    assert_eq!(status, 400, "18 units are salable");
}

#[tokio::test]
async fn a_product_with_backorders_can_be_ordered_beyond_its_stock() {
    let sandbox = start().await;
    ok(
        &sandbox,
        "products",
        json!({"sku": "BO-1", "price": 3, "qty": 1, "backorders": true}),
    )
    .await;
    place(&sandbox, json!({"items": [line("BO-1", 5)]})).await;
    assert_eq!(salable(&sandbox, "BO-1").await, -4.0);
}

#[tokio::test]
async fn shipping_deducts_the_source_and_clears_the_reservation() {
    let sandbox = start().await;
    let id = place(&sandbox, json!({"items": [line("MUG 11oz/BLK", 2)]})).await;
    assert_eq!(salable(&sandbox, "MUG 11oz/BLK").await, 83.0);
    ok(&sandbox, &format!("orders/{id}/ship"), json!({})).await;
    assert_eq!(source_qty(&sandbox, "MUG 11oz/BLK", "default").await, 58.0);
    assert_eq!(
        salable(&sandbox, "MUG 11oz/BLK").await,
        83.0,
        "the deduction replaces the reservation"
    );
    let (_, reservations) = control(&sandbox, Method::GET, "reservations", Value::Null).await;
    let sum: f64 = reservations["reservations"]
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| r["sku"] == "MUG 11oz/BLK")
        .map(|r| r["quantity"].as_f64().unwrap_or_default())
        .sum();
    assert_eq!(sum, 0.0);
    assert_eq!(order(&sandbox, id).await["items"][0]["qty_shipped"], 2);
}

#[tokio::test]
async fn cancel_releases_the_reservation() {
    let sandbox = start().await;
    let id = place(&sandbox, json!({"items": [line("24-MB01", 3)]})).await;
    assert_eq!(salable(&sandbox, "24-MB01").await, 49.0);
    ok(&sandbox, &format!("orders/{id}/cancel"), json!({})).await;
    assert_eq!(salable(&sandbox, "24-MB01").await, 52.0);
    let canceled = order(&sandbox, id).await;
    assert_eq!(canceled["state"], "canceled");
    assert_eq!(canceled["items"][0]["qty_canceled"], 3);
    assert!(close(
        money(&canceled["total_canceled"]),
        money(&canceled["grand_total"])
    ));
}

#[tokio::test]
async fn invoice_and_ship_complete_the_order() {
    let sandbox = start().await;
    let id = place(
        &sandbox,
        json!({"items": [line("24-MB01", 1), line("MUG 11oz/BLK", 2)]}),
    )
    .await;
    let invoice = ok(&sandbox, &format!("orders/{id}/invoice"), json!({})).await;
    let invoiced = order(&sandbox, id).await;
    assert_eq!(invoiced["state"], "processing");
    assert_eq!(invoiced["total_paid"], invoiced["grand_total"]);
    assert_eq!(invoiced["total_invoiced"], invoiced["grand_total"]);
    assert_eq!(invoiced["total_due"], 0);
    let invoices = search(&sandbox, "invoices").await;
    let document = invoices
        .iter()
        .find(|i| i["entity_id"] == invoice["invoice_id"])
        .cloned()
        .expect("the invoice");
    assert_eq!(document["grand_total"], invoiced["grand_total"]);
    assert_eq!(document["items"].as_array().map(Vec::len), Some(2));
    ok(&sandbox, &format!("orders/{id}/ship"), json!({})).await;
    let shipped = order(&sandbox, id).await;
    assert_eq!(
        (shipped["state"].as_str(), shipped["status"].as_str()),
        (Some("complete"), Some("complete"))
    );
}

#[tokio::test]
async fn a_partial_refund_leaves_the_order_processing_and_a_full_refund_closes_it() {
    let sandbox = start().await;
    let id = place(&sandbox, json!({"items": [line("MUG 11oz/BLK", 2)]})).await;
    ok(&sandbox, &format!("orders/{id}/invoice"), json!({})).await;
    let item = order(&sandbox, id).await["items"][0]["item_id"].clone();
    let memo = ok(
        &sandbox,
        &format!("orders/{id}/refund"),
        json!({"items": [{"order_item_id": item, "qty": 1}], "arguments": {"shipping_amount": 0}}),
    )
    .await;
    let partly = order(&sandbox, id).await;
    assert_eq!(partly["state"], "processing");
    assert_eq!(partly["total_refunded"], 12.5);
    assert_eq!(partly["items"][0]["qty_refunded"], 1);
    assert_eq!(
        salable(&sandbox, "MUG 11oz/BLK").await,
        84.0,
        "the unshipped unit is released"
    );
    let memos = search(&sandbox, "creditmemos").await;
    assert!(memos.iter().any(|m| m["entity_id"] == memo["creditmemo_id"]
        && m["grand_total"] == 12.5
        && m["order_id"] == id));
    ok(&sandbox, &format!("orders/{id}/refund"), json!({})).await;
    let refunded = order(&sandbox, id).await;
    assert_eq!(refunded["state"], "closed");
    assert_eq!(refunded["total_refunded"], refunded["total_paid"]);
}

#[tokio::test]
async fn refunding_more_than_was_invoiced_is_refused() {
    let sandbox = start().await;
    let id = place(&sandbox, json!({"items": [line("MUG 11oz/BLK", 2)]})).await;
    let item = order(&sandbox, id).await["items"][0]["item_id"].clone();
    ok(
        &sandbox,
        &format!("orders/{id}/invoice"),
        json!({"items": [{"order_item_id": item, "qty": 1}]}),
    )
    .await;
    let (status, answer) = control(
        &sandbox,
        Method::POST,
        &format!("orders/{id}/refund"),
        json!({"items": [{"order_item_id": item, "qty": 2}]}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        answer["message"],
        "Creditmemo Document Validation Error(s):\nThe quantity to creditmemo must not be greater than the unrefunded quantity for product SKU \"MUG 11oz/BLK\"."
    );
    let (status, answer) = control(
        &sandbox,
        Method::POST,
        &format!("orders/{id}/refund"),
        json!({"items": [{"order_item_id": item, "qty": 1}], "arguments": {"adjustment_positive": 100}}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        answer["message"],
        "The most money available to refund is %1."
    );
}

#[tokio::test]
async fn edit_cancels_the_original_and_links_the_copy() {
    let sandbox = start().await;
    let id = place(&sandbox, json!({"items": [line("24-MB01", 1)]})).await;
    let copy = ok(
        &sandbox,
        &format!("orders/{id}/edit"),
        json!({"items": [line("24-MB01", 2)]}),
    )
    .await;
    assert_eq!(copy["increment_id"], "000000004-1");
    let copy_id = copy["entity_id"].as_i64().expect("id");
    let original = order(&sandbox, id).await;
    assert_eq!(original["state"], "canceled");
    assert_eq!(original["relation_child_id"], copy_id.to_string());
    assert_eq!(original["relation_child_real_id"], "000000004-1");
    let edited = order(&sandbox, copy_id).await;
    assert_eq!(edited["relation_parent_id"], id.to_string());
    assert_eq!(edited["relation_parent_real_id"], "000000004");
    assert_eq!(edited["items"][0]["qty_ordered"], 2);
    assert_eq!(
        salable(&sandbox, "24-MB01").await,
        50.0,
        "only the copy holds stock"
    );
    let again = ok(&sandbox, &format!("orders/{copy_id}/edit"), json!({})).await;
    assert_eq!(again["increment_id"], "000000004-2");
    let next = ok(&sandbox, "orders", json!({"items": [line("24-MB01", 1)]})).await;
    assert_eq!(
        next["increment_id"], "000000005",
        "edits take no new number"
    );
}

#[tokio::test]
async fn configurable_rows_are_parent_and_child() {
    let sandbox = start().await;
    let id = place(
        &sandbox,
        json!({"items": [{"sku": "HT-TEE", "variant": "HT-TEE-M-Sand", "qty": 1}]}),
    )
    .await;
    let placed = order(&sandbox, id).await;
    let items = placed["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    let (parent, child) = (&items[0], &items[1]);
    assert_eq!(
        (parent["product_type"].as_str(), parent["sku"].as_str()),
        (Some("configurable"), Some("HT-TEE-M-Sand"))
    );
    assert_eq!(
        (parent["name"].as_str(), parent["product_id"].as_i64()),
        (Some("Helios Tee"), Some(110))
    );
    assert_eq!(parent["price"], 29);
    assert_eq!(parent["row_total"], 29);
    assert_eq!(
        (child["product_type"].as_str(), child["product_id"].as_i64()),
        (Some("simple"), Some(112))
    );
    assert_eq!(child["parent_item_id"], parent["item_id"]);
    assert_eq!(child["parent_item"]["item_id"], parent["item_id"]);
    assert_eq!(
        (
            child["price"].as_f64(),
            child["base_price"].as_f64(),
            child["row_total"].as_f64()
        ),
        (Some(29.0), Some(0.0), Some(0.0))
    );
    assert_eq!(
        parent["product_option"]["extension_attributes"]["configurable_item_options"],
        json!([{"option_id": "93", "option_value": 58}, {"option_id": "144", "option_value": 168}])
    );
    assert_eq!(salable(&sandbox, "HT-TEE-M-Sand").await, 6.0);
}

#[tokio::test]
async fn bundle_rows_are_parent_and_one_row_per_selection() {
    let sandbox = start().await;
    let id = place(
        &sandbox,
        json!({"items": [{"sku": "SB-TRAVEL-KIT", "qty": 1}]}),
    )
    .await;
    let items = order(&sandbox, id).await["items"]
        .as_array()
        .cloned()
        .expect("items");
    let shape: Vec<(String, String, f64)> = items
        .iter()
        .map(|i| {
            (
                i["product_type"].as_str().unwrap_or_default().to_owned(),
                i["sku"].as_str().unwrap_or_default().to_owned(),
                i["qty_ordered"].as_f64().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            (
                "bundle".to_owned(),
                "SB-TRAVEL-KIT-24-MB01-MUG 11oz/BLK".to_owned(),
                1.0
            ),
            ("simple".to_owned(), "24-MB01".to_owned(), 1.0),
            ("simple".to_owned(), "MUG 11oz/BLK".to_owned(), 2.0),
        ]
    );
    assert!(
        items[1..]
            .iter()
            .all(|c| c["parent_item_id"] == items[0]["item_id"])
    );
    assert_eq!(items[0]["price"], 59, "34 + 2 × 12.50");
    assert_eq!(salable(&sandbox, "MUG 11oz/BLK").await, 83.0);
}

#[tokio::test]
async fn a_guest_order_has_customer_is_guest_1_and_a_registered_one_its_customer() {
    let sandbox = start().await;
    let guest = place(
        &sandbox,
        json!({"items": [line("24-MB01", 1)], "guest": {"email": "g@example.com"}}),
    )
    .await;
    let guest = order(&sandbox, guest).await;
    assert_eq!(
        (
            guest["customer_is_guest"].as_i64(),
            guest["customer_group_id"].as_i64()
        ),
        (Some(1), Some(0))
    );
    assert!(guest.get("customer_id").is_none());
    assert_eq!(guest["customer_email"], "g@example.com");
    let registered = place(
        &sandbox,
        json!({"items": [line("24-MB01", 1)], "customer_id": 1}),
    )
    .await;
    let registered = order(&sandbox, registered).await;
    assert_eq!(
        (
            registered["customer_is_guest"].as_i64(),
            registered["customer_id"].as_i64()
        ),
        (Some(0), Some(1))
    );
    assert_eq!(registered["customer_email"], "marta.lindqvist@example.net");
    let address =
        &registered["extension_attributes"]["shipping_assignments"][0]["shipping"]["address"];
    assert_eq!(
        (
            address["city"].as_str(),
            address["customer_address_id"].as_i64()
        ),
        (Some("Seattle"), Some(2))
    );
}

#[tokio::test]
async fn a_eur_order_has_base_and_order_currencies() {
    let sandbox = start().await;
    let id = place(
        &sandbox,
        json!({"items": [line("MUG 11oz/BLK", 3)], "currency": "EUR", "store": "fr"}),
    )
    .await;
    let placed = order(&sandbox, id).await;
    assert_eq!(
        (
            placed["base_currency_code"].as_str(),
            placed["order_currency_code"].as_str()
        ),
        (Some("USD"), Some("EUR"))
    );
    assert_eq!(placed["base_to_order_rate"], 0.92);
    assert_eq!(placed["store_id"], 2);
    assert_eq!(placed["base_grand_total"], 52.5, "37.50 + 15.00 shipping");
    assert_eq!(placed["grand_total"], 48.3, "34.50 + 13.80");
    assert_eq!(placed["items"][0]["price"], 11.5);
    assert_eq!(placed["payment"]["amount_ordered"], 48.3);
}

#[tokio::test]
async fn taxes_and_a_coupon_add_up_to_the_grand_total() {
    let sandbox = start().await;
    let id = place(
        &sandbox,
        json!({"items": [line("24-MB01", 2), line("SB-ENGRAVE", 1)], "coupon_code": "SAVE10",
               "address": {"region_code": "CA", "postcode": "90210", "city": "Beverly Hills"}}),
    )
    .await;
    let placed = order(&sandbox, id).await;
    // 68 − 6.80 = 61.20 taxable at 8.25 % → 5.05; the engraving (no tax class) 8 − 0.80.
    assert_eq!(placed["discount_amount"], -7.6);
    assert_eq!(placed["tax_amount"], 5.05);
    assert_eq!(
        placed["shipping_amount"], 10,
        "the virtual engraving ships nothing"
    );
    assert_eq!(placed["grand_total"], 83.45);
    assert_eq!(placed["coupon_code"], "SAVE10");
    let taxes = &placed["extension_attributes"]["applied_taxes"];
    assert_eq!(
        taxes,
        &json!([{"code": "US-CA-*-Rate 1", "title": "US-CA-*-Rate 1", "percent": 8.25, "amount": 5.05, "base_amount": 5.05}])
    );
    assert_eq!(placed["items"][0]["tax_amount"], 5.05);
    assert_eq!(placed["items"][0]["tax_percent"], 8.25);
    let (status, answer) = control(
        &sandbox,
        Method::POST,
        "orders",
        json!({"items": [line("24-MB01", 1)], "coupon_code": "NOPE"}),
    )
    .await;
    assert_eq!(
        (status, answer["message"].as_str()),
        (400, Some("The coupon code \"%1\" is not valid."))
    );
}

#[tokio::test]
async fn a_paid_order_is_placed_processing_and_invoiced() {
    let sandbox = start().await;
    let id = place(
        &sandbox,
        json!({"items": [line("24-MB01", 1)], "paid": true}),
    )
    .await;
    let placed = order(&sandbox, id).await;
    assert_eq!(placed["state"], "processing");
    assert_eq!(placed["total_paid"], 39);
    assert_eq!(placed["items"][0]["qty_invoiced"], 1);
    assert!(
        placed["status_histories"][0]["comment"]
            .as_str()
            .is_some_and(|c| c.starts_with("Captured amount of $39.00"))
    );
}

#[tokio::test]
async fn every_operation_records_its_event() {
    let sandbox = start().await;
    let first = place(&sandbox, json!({"items": [line("24-MB01", 2)]})).await;
    ok(&sandbox, &format!("orders/{first}/invoice"), json!({})).await;
    ok(&sandbox, &format!("orders/{first}/ship"), json!({})).await;
    ok(&sandbox, &format!("orders/{first}/refund"), json!({})).await;
    let second = place(&sandbox, json!({"items": [line("24-MB01", 1)]})).await;
    ok(&sandbox, &format!("orders/{second}/cancel"), json!({})).await;
    let third = place(&sandbox, json!({"items": [line("24-MB01", 1)]})).await;
    ok(&sandbox, &format!("orders/{third}/edit"), json!({})).await;
    let (status, _) = rest(
        &sandbox,
        Method::POST,
        &format!("orders/{first}/comments"),
        Some(json!({"statusHistory": {"comment": "hi"}})),
    )
    .await;
    assert_eq!(status, 200);
    let (_, log) = control(&sandbox, Method::GET, "events", Value::Null).await;
    let events: Vec<(String, String, i64)> = log["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| {
            (
                e["event"].as_str().unwrap_or_default().to_owned(),
                e["entity_type"].as_str().unwrap_or_default().to_owned(),
                e["entity_id"].as_i64().unwrap_or_default(),
            )
        })
        .collect();
    let expected: Vec<(String, String, i64)> = [
        ("order.created", "order", first),
        ("order.updated", "order", first),
        ("order.updated", "order", first),
        ("order.updated", "order", first),
        ("creditmemo.created", "creditmemo", 3),
        ("order.created", "order", second),
        ("order.canceled", "order", second),
        ("order.created", "order", third),
        ("order.created", "order", third + 1),
        ("order.canceled", "order", third),
        ("order.updated", "order", first),
    ]
    .iter()
    .map(|(e, t, id)| (e.to_string(), t.to_string(), *id))
    .collect();
    assert_eq!(events, expected);
    let sequences: Vec<u64> = log["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["sequence"].as_u64())
        .collect();
    assert_eq!(sequences, (1..=11).collect::<Vec<u64>>());
}

#[tokio::test]
async fn over_shipping_is_refused_with_magentos_message() {
    let sandbox = start().await;
    let id = place(&sandbox, json!({"items": [line("24-MB01", 1)]})).await;
    let item = order(&sandbox, id).await["items"][0]["item_id"].clone();
    let (status, answer) = rest(
        &sandbox,
        Method::POST,
        &format!("order/{id}/ship"),
        Some(json!({"items": [{"order_item_id": item, "qty": 2}]})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        answer["message"],
        "Shipment Document Validation Error(s):\nThe quantity to ship must not be greater than the unshipped quantity for product SKU \"24-MB01\"."
    );
    assert_eq!(order(&sandbox, id).await["items"][0]["qty_shipped"], 0);
}

#[tokio::test]
async fn invoicing_a_canceled_order_is_refused() {
    let sandbox = start().await;
    let id = place(&sandbox, json!({"items": [line("24-MB01", 1)]})).await;
    ok(&sandbox, &format!("orders/{id}/cancel"), json!({})).await;
    let (status, answer) = control(
        &sandbox,
        Method::POST,
        &format!("orders/{id}/invoice"),
        json!({}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        answer["message"],
        "Invoice Document Validation Error(s):\nAn invoice cannot be created when an order has a status of canceled"
    );
}

#[tokio::test]
async fn rest_ship_names_the_configurable_parent_and_answers_the_shipment_id_as_a_string() {
    let sandbox = start().await;
    let id = place(
        &sandbox,
        json!({"items": [{"sku": "HT-TEE", "variant": "HT-TEE-S-Sand", "qty": 2}]}),
    )
    .await;
    let items = order(&sandbox, id).await["items"].clone();
    let (parent, child) = (items[0]["item_id"].clone(), items[1]["item_id"].clone());
    let (status, answer) = rest(
        &sandbox,
        Method::POST,
        &format!("order/{id}/ship"),
        Some(json!({"items": [{"order_item_id": child, "qty": 1}]})),
    )
    .await;
    assert_eq!(status, 400, "the child row is not shippable: {answer}");
    let (status, answer) = rest(
        &sandbox,
        Method::POST,
        &format!("order/{id}/ship"),
        Some(json!({"items": [{"order_item_id": parent.to_string(), "qty": "1"}], "notify": true, "appendComment": true,
                    "comment": {"comment": "Packed", "is_visible_on_front": 0},
                    "tracks": [{"track_number": "1Z1", "title": "United Parcel Service", "carrier_code": "ups"}]})),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let shipment_id = answer
        .as_str()
        .expect("a JSON string")
        .parse::<i64>()
        .expect("an id");
    let shipments = search(&sandbox, "shipments").await;
    let shipment = shipments
        .iter()
        .find(|s| s["entity_id"] == shipment_id)
        .cloned()
        .expect("shipment");
    assert_eq!(shipment["tracks"][0]["track_number"], "1Z1");
    assert_eq!(shipment["comments"][0]["comment"], "Packed");
    assert_eq!(shipment["items"][0]["order_item_id"], parent);
    let shipped = order(&sandbox, id).await;
    assert_eq!(
        (
            shipped["items"][0]["qty_shipped"].as_i64(),
            shipped["items"][1]["qty_shipped"].as_i64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(source_qty(&sandbox, "HT-TEE-S-Sand", "default").await, 9.0);
}

#[tokio::test]
async fn rest_comment_answers_true_and_appears_first_in_the_history() {
    let sandbox = start().await;
    let (status, answer) = rest(
        &sandbox,
        Method::POST,
        "orders/3/comments",
        Some(json!({"statusHistory": {"comment": "Called the customer", "is_customer_notified": 0, "is_visible_on_front": 0}})),
    )
    .await;
    assert_eq!((status, answer), (200, json!(true)));
    let commented = order(&sandbox, 3).await;
    let entry = &commented["status_histories"][0];
    assert_eq!(
        (
            entry["comment"].as_str(),
            entry["status"].as_str(),
            entry["entity_name"].as_str()
        ),
        (Some("Called the customer"), Some("new"), Some("order"))
    );
    let (status, _) = rest(
        &sandbox,
        Method::POST,
        "orders/999/comments",
        Some(json!({"statusHistory": {"comment": "x"}})),
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn seeded_open_orders_hold_their_units() {
    let sandbox = start().await;
    assert_eq!(
        salable(&sandbox, "24-UG06").await,
        -3.0,
        "order 3 holds 3 of 0 units"
    );
    ok(&sandbox, "orders/3/cancel", json!({})).await;
    assert_eq!(salable(&sandbox, "24-UG06").await, 0.0);
}

#[tokio::test]
async fn salable_quantity_is_refused_for_composites_and_unknown_skus() {
    let sandbox = start().await;
    let (status, answer) = rest(
        &sandbox,
        Method::GET,
        "inventory/get-product-salable-quantity/HT-TEE/1",
        None,
    )
    .await;
    assert_eq!(
        (status, answer["message"].as_str()),
        (
            400,
            Some("Can't check requested quantity for products without Source Items support.")
        )
    );
    let (status, _) = rest(
        &sandbox,
        Method::GET,
        "inventory/get-product-salable-quantity/NOPE/1",
        None,
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn seeded_products_and_customers_can_be_ordered() {
    let sandbox = start().await;
    let product = ok(
        &sandbox,
        "products",
        json!({"sku": "NEW-1", "name": "New Thing", "price": 9.99, "qty": 4, "ne_wh_qty": 1}),
    )
    .await;
    assert_eq!(
        (product["type_id"].as_str(), product["price"].as_f64()),
        (Some("simple"), Some(9.99))
    );
    let customer = ok(
        &sandbox,
        "customers",
        json!({"email": "new@example.com", "address": {"region_code": "NY"}}),
    )
    .await;
    let customer_id = customer["id"].as_i64().expect("id");
    assert_eq!(customer_id, 3);
    let id = place(
        &sandbox,
        json!({"items": [line("NEW-1", 5)], "customer_id": customer_id}),
    )
    .await;
    let placed = order(&sandbox, id).await;
    assert_eq!(placed["customer_id"], customer_id);
    assert_eq!(
        placed["extension_attributes"]["applied_taxes"][0]["code"],
        "US-NY-*-Rate 1"
    );
    assert_eq!(salable(&sandbox, "NEW-1").await, 0.0);
    let (status, answer) = control(
        &sandbox,
        Method::POST,
        "products",
        json!({"name": "no sku"}),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .is_some_and(|m| m.contains("sku"))
    );
}
