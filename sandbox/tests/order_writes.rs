//! The client's order writes against a sandbox store: shipping with tracks, comments and
//! the salable quantity read; and that a write whose answer is lost after it was applied
//! is not applied twice.

mod common;

use std::time::Duration;

use magento::order_writes::{OrderComment, ShipComment, ShipItem, ShipRequest, ShipTrack};
use magento::search::SearchCriteria;
use magento::{ClientOptions, MagentoClient, MagentoError};
use rust_decimal::{Decimal, dec};
use sandbox::RunningSandbox;
use serde_json::json;

use common::{connect, control_ok, fast_retry, fired, inject, start};

fn client(sandbox: &RunningSandbox, label: &str) -> MagentoClient {
    let options = ClientOptions {
        timeout: Duration::from_secs(5),
        store_label: label.to_owned(),
        retry: fast_retry(4),
        ..ClientOptions::default()
    };
    connect(sandbox, options)
}

/// Places an order of `qty` units of `sku`; returns `(order id, its first item id)`.
async fn place(
    sandbox: &RunningSandbox,
    client: &MagentoClient,
    sku: &str,
    qty: u32,
) -> (i64, i64) {
    let placed = control_ok(
        sandbox,
        reqwest::Method::POST,
        "orders",
        json!({"items": [{"sku": sku, "qty": qty}]}),
    )
    .await;
    let id = placed["entity_id"].as_i64().expect("id");
    let order = client.order(id).await.expect("order");
    (id, order.items[0].item_id)
}

fn track(number: &str) -> ShipTrack {
    ShipTrack {
        track_number: number.to_owned(),
        title: "United Parcel Service".to_owned(),
        carrier_code: "ups".to_owned(),
    }
}

fn ship_request(item_id: i64, qty: Decimal, tracks: Vec<ShipTrack>) -> ShipRequest {
    ShipRequest {
        items: vec![ShipItem {
            order_item_id: item_id,
            qty,
        }],
        notify: true,
        comment: Some(ShipComment {
            comment: "Packed at the dock".to_owned(),
            is_visible_on_front: false,
        }),
        tracks,
        source_code: None,
    }
}

async fn order_shipments(client: &MagentoClient, order_id: i64) -> Vec<magento::dto::Shipment> {
    client
        .shipments(SearchCriteria::new().filter("order_id", &order_id.to_string(), "eq"))
        .await
        .expect("shipments")
}

#[tokio::test]
async fn ship_order_round_trips_with_tracks() {
    let sandbox = start().await;
    let client = client(&sandbox, "ship-round-trip");
    let (order_id, item_id) = place(&sandbox, &client, "MUG 11oz/BLK", 2).await;
    let id = client
        .ship_order(
            order_id,
            &ship_request(item_id, dec!(2), vec![track("1Z999AA10123456784")]),
        )
        .await
        .expect("shipped");
    let shipments = order_shipments(&client, order_id).await;
    assert_eq!(shipments.len(), 1);
    let shipment = &shipments[0];
    assert_eq!(shipment.entity_id, id);
    assert_eq!(shipment.tracks[0].track_number, "1Z999AA10123456784");
    assert_eq!(shipment.tracks[0].carrier_code, "ups");
    assert_eq!(shipment.items[0].qty, dec!(2));
    assert_eq!(shipment.comments[0].comment, "Packed at the dock");
    let order = client.order(order_id).await.expect("order");
    assert_eq!(order.items[0].qty_shipped, dec!(2));
}

#[tokio::test]
async fn a_dropped_answer_to_ship_yields_exactly_one_shipment() {
    let sandbox = start().await;
    let client = client(&sandbox, "ship-drop");
    let (order_id, item_id) = place(&sandbox, &client, "MUG 11oz/BLK", 3).await;
    inject(
        &sandbox,
        json!({"endpoint": "order/", "kind": "drop", "count": 1, "after_processing": true}),
    )
    .await;
    let id = client
        .ship_order(
            order_id,
            &ship_request(item_id, dec!(1), vec![track("TRK-DROP")]),
        )
        .await
        .expect("the applied shipment is recognised");
    let shipments = order_shipments(&client, order_id).await;
    assert_eq!(
        shipments.iter().map(|s| s.entity_id).collect::<Vec<_>>(),
        [id]
    );
    let order = client.order(order_id).await.expect("order");
    assert_eq!(order.items[0].qty_shipped, dec!(1), "not shipped twice");
    assert_eq!(fired(&sandbox).await, 1);
}

#[tokio::test]
async fn a_502_after_ship_was_applied_yields_exactly_one_shipment() {
    let sandbox = start().await;
    let client = client(&sandbox, "ship-502");
    let (order_id, item_id) = place(&sandbox, &client, "24-MB01", 2).await;
    inject(
        &sandbox,
        json!({"endpoint": "order/", "kind": "status", "status": 502, "count": 1, "after_processing": true}),
    )
    .await;
    // No tracks: the check recognises the shipment by its rows alone.
    let mut request = ship_request(item_id, dec!(1), Vec::new());
    request.comment = None;
    let id = client
        .ship_order(order_id, &request)
        .await
        .expect("recognised");
    let shipments = order_shipments(&client, order_id).await;
    assert_eq!(
        shipments.iter().map(|s| s.entity_id).collect::<Vec<_>>(),
        [id]
    );
    assert_eq!(fired(&sandbox).await, 1);
}

#[tokio::test]
async fn a_ship_that_never_ran_is_sent_again() {
    let sandbox = start().await;
    let client = client(&sandbox, "ship-before");
    let (order_id, item_id) = place(&sandbox, &client, "24-MB01", 1).await;
    inject(
        &sandbox,
        json!({"endpoint": "order/", "kind": "status", "status": 503, "count": 1}),
    )
    .await;
    let id = client
        .ship_order(
            order_id,
            &ship_request(item_id, dec!(1), vec![track("TRK-503")]),
        )
        .await
        .expect("shipped on the second attempt");
    let shipments = order_shipments(&client, order_id).await;
    assert_eq!(
        shipments.iter().map(|s| s.entity_id).collect::<Vec<_>>(),
        [id]
    );
}

#[tokio::test]
async fn over_shipping_is_a_validation_error() {
    let sandbox = start().await;
    let client = client(&sandbox, "ship-over");
    let (order_id, item_id) = place(&sandbox, &client, "24-MB01", 1).await;
    let err = client
        .ship_order(order_id, &ship_request(item_id, dec!(2), Vec::new()))
        .await
        .expect_err("more than ordered");
    assert!(
        matches!(&err, MagentoError::Validation { status: 400, message, .. } if message.contains("unshipped quantity")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_comment_is_added_to_the_status_history() {
    let sandbox = start().await;
    let client = client(&sandbox, "comment");
    let comment = OrderComment {
        comment: "Customer called about delivery".to_owned(),
        is_customer_notified: false,
        is_visible_on_front: true,
        status: None,
    };
    client
        .add_order_comment(3, &comment)
        .await
        .expect("commented");
    let order = client.order(3).await.expect("order");
    let entry = &order.status_histories[0];
    assert_eq!(
        entry.comment.as_deref(),
        Some("Customer called about delivery")
    );
    assert_eq!(entry.is_visible_on_front, Some(true));
}

#[tokio::test]
async fn a_comment_whose_answer_was_lost_is_not_doubled() {
    let sandbox = start().await;
    let client = client(&sandbox, "comment-drop");
    inject(
        &sandbox,
        json!({"endpoint": "orders/2/comments", "kind": "drop", "count": 1, "after_processing": true}),
    )
    .await;
    let comment = OrderComment {
        comment: "Refund approved".to_owned(),
        ..OrderComment::default()
    };
    client
        .add_order_comment(2, &comment)
        .await
        .expect("recognised");
    let order = client.order(2).await.expect("order");
    let same = order
        .status_histories
        .iter()
        .filter(|h| h.comment.as_deref() == Some("Refund approved"))
        .count();
    assert_eq!(same, 1);
    assert_eq!(fired(&sandbox).await, 1);
}

#[tokio::test]
async fn a_repeated_comment_text_is_still_added_when_asked_twice() {
    let sandbox = start().await;
    let client = client(&sandbox, "comment-twice");
    let comment = OrderComment {
        comment: "Reminder sent".to_owned(),
        ..OrderComment::default()
    };
    client.add_order_comment(1, &comment).await.expect("first");
    client.add_order_comment(1, &comment).await.expect("second");
    let order = client.order(1).await.expect("order");
    let same = order
        .status_histories
        .iter()
        .filter(|h| h.comment.as_deref() == Some("Reminder sent"))
        .count();
    assert_eq!(
        same, 2,
        "the baseline tells a deliberate repeat from a lost answer"
    );
}

#[tokio::test]
async fn salable_quantity_falls_with_placed_orders() {
    let sandbox = start().await;
    let client = client(&sandbox, "salable");
    assert_eq!(
        client
            .salable_quantity("MUG 11oz/BLK", 1)
            .await
            .expect("qty"),
        dec!(85)
    );
    place(&sandbox, &client, "MUG 11oz/BLK", 4).await;
    assert_eq!(
        client
            .salable_quantity("MUG 11oz/BLK", 1)
            .await
            .expect("qty"),
        dec!(81)
    );
    let err = client
        .salable_quantity("HT-TEE", 1)
        .await
        .expect_err("a configurable");
    assert!(
        matches!(err, MagentoError::Validation { status: 400, .. }),
        "{err:?}"
    );
}
