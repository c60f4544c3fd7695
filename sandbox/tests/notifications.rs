//! Outbound notifications, as the merchant's Magento module sends them: signed, one per
//! order or credit memo event, retried with the same event id until accepted.

mod common;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use magento::notification::{EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify};
use sandbox::RunningSandbox;

use common::{control, start};
use serde_json::{Value, json};

const SECRET: &str = "notification-test-secret";

/// One request the receiver saw.
#[derive(Clone, Debug)]
struct Received {
    event_id: Option<String>,
    timestamp: Option<String>,
    signature: Option<String>,
    body: Vec<u8>,
}

/// A receiver answering with the queued statuses first, then 200 for ever.
struct Receiver {
    url: String,
    seen: Arc<Mutex<Vec<Received>>>,
    handle: actix_web::dev::ServerHandle,
}

impl Receiver {
    async fn start(statuses: &[u16]) -> Self {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let answers = Arc::new(Mutex::new(
            statuses.iter().copied().collect::<VecDeque<_>>(),
        ));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
        let url = format!(
            "http://{}/webhooks/magento/1",
            listener.local_addr().expect("addr")
        );
        let (seen_in, answers_in) = (seen.clone(), answers.clone());
        let server = HttpServer::new(move || {
            let (seen, answers) = (seen_in.clone(), answers_in.clone());
            App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let (seen, answers) = (seen.clone(), answers.clone());
                async move {
                    let header = |name: &str| {
                        req.headers()
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned)
                    };
                    seen.lock().expect("lock").push(Received {
                        event_id: header(EVENT_ID_HEADER),
                        timestamp: header(TIMESTAMP_HEADER),
                        signature: header(SIGNATURE_HEADER),
                        body: body.to_vec(),
                    });
                    let status = answers.lock().expect("lock").pop_front().unwrap_or(200);
                    HttpResponse::build(
                        actix_web::http::StatusCode::from_u16(status).expect("status"),
                    )
                    .finish()
                }
            }))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .expect("listen")
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self { url, seen, handle }
    }

    fn seen(&self) -> Vec<Received> {
        self.seen.lock().expect("lock").clone()
    }

    /// Waits until at least `n` requests arrived (or five seconds passed).
    async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..100 {
            if self.seen().len() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.seen()
    }
}

async fn configure(sandbox: &RunningSandbox, receiver: &Receiver, max_attempts: u32) {
    let (status, _) = control(
        sandbox,
        reqwest::Method::POST,
        "notifications",
        json!({ "url": receiver.url, "secret": SECRET, "max_attempts": max_attempts, "retry_base_ms": 20 }),
    )
    .await;
    assert_eq!(status, 201);
}

async fn place_order(sandbox: &RunningSandbox) -> i64 {
    let (status, body) = control(
        sandbox,
        reqwest::Method::POST,
        "orders",
        json!({ "items": [{ "sku": "24-MB01", "qty": 1 }] }),
    )
    .await;
    assert!((200..300).contains(&status), "{status} {body}");
    body["entity_id"].as_i64().expect("entity id")
}

fn verified(received: &Received) -> magento::notification::Notification {
    verify(
        SECRET.as_bytes(),
        received.timestamp.as_deref(),
        received.signature.as_deref(),
        &received.body,
        chrono::Utc::now().timestamp(),
    )
    .expect("a valid signature")
}

async fn deliveries(sandbox: &RunningSandbox) -> Vec<Value> {
    let (_, view) = control(sandbox, reqwest::Method::GET, "notifications", json!({})).await;
    view["deliveries"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_placed_order_is_notified_signed_so_the_receiver_can_verify_it() {
    let sandbox = start().await;
    let receiver = Receiver::start(&[]).await;
    configure(&sandbox, &receiver, 5).await;

    let order_id = place_order(&sandbox).await;

    let seen = receiver.wait_for(1).await;
    let notification = verified(&seen[0]);
    assert_eq!(notification.event, "order.created");
    assert_eq!(notification.entity_type, "order");
    assert_eq!(notification.entity_id, order_id);
    assert_eq!(
        seen[0].event_id.as_deref(),
        Some(notification.event_id.as_str())
    );
    receiver.handle.stop(false).await;
}

#[tokio::test]
async fn a_refused_delivery_is_retried_with_the_same_event_id_until_accepted() {
    let sandbox = start().await;
    let receiver = Receiver::start(&[500, 503]).await;
    configure(&sandbox, &receiver, 5).await;

    place_order(&sandbox).await;

    let seen = receiver.wait_for(3).await;
    assert_eq!(seen.len(), 3, "two refusals, then the accepted attempt");
    let ids: Vec<_> = seen.iter().map(|r| verified(r).event_id).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    let log = deliveries(&sandbox).await;
    assert_eq!(log[0]["outcome"], "delivered");
    assert_eq!(log[0]["attempts"], 3);
    receiver.handle.stop(false).await;
}

#[tokio::test]
async fn a_delivery_never_accepted_is_given_up_after_its_attempts_and_the_next_goes_out() {
    let sandbox = start().await;
    let receiver = Receiver::start(&[502, 502, 502]).await;
    configure(&sandbox, &receiver, 3).await;

    let first = place_order(&sandbox).await;
    let second = place_order(&sandbox).await;

    let seen = receiver.wait_for(4).await;
    assert_eq!(seen.len(), 4);
    assert_eq!(verified(&seen[3]).entity_id, second);
    for _ in 0..50 {
        if deliveries(&sandbox).await.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let log = deliveries(&sandbox).await;
    assert_eq!(log[0]["entity_id"], first);
    assert_eq!(log[0]["outcome"], "failed");
    assert_eq!(log[0]["attempts"], 3);
    assert_eq!(log[0]["last_error"], "HTTP 502 Bad Gateway");
    assert_eq!(log[1]["outcome"], "delivered");
    receiver.handle.stop(false).await;
}

#[tokio::test]
async fn events_before_a_target_is_configured_are_not_sent() {
    let sandbox = start().await;
    let receiver = Receiver::start(&[]).await;

    place_order(&sandbox).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    configure(&sandbox, &receiver, 5).await;
    let later = place_order(&sandbox).await;

    let seen = receiver.wait_for(1).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(receiver.seen().len(), 1);
    assert_eq!(verified(&seen[0]).entity_id, later);
    receiver.handle.stop(false).await;
}

#[tokio::test]
async fn the_target_view_never_shows_the_secret_and_nonsense_targets_are_refused() {
    let sandbox = start().await;
    let receiver = Receiver::start(&[]).await;
    configure(&sandbox, &receiver, 5).await;
    let (_, view) = control(&sandbox, reqwest::Method::GET, "notifications", json!({})).await;
    assert_eq!(view["url"], receiver.url.as_str());
    assert!(!view.to_string().contains(SECRET));

    for bad in [
        json!({ "url": "ftp://x", "secret": "s" }),
        json!({ "url": receiver.url, "secret": "" }),
        json!({ "url": receiver.url, "secret": "s", "max_attempts": 0 }),
        json!({ "secret": "s" }),
    ] {
        let (status, body) = control(
            &sandbox,
            reqwest::Method::POST,
            "notifications",
            bad.clone(),
        )
        .await;
        assert_eq!(status, 400, "{bad} → {body}");
    }
    receiver.handle.stop(false).await;
}
