//! Orders in, against the sandbox: capture from "Load Orders", the poller and a
//! notification's job, exactly once whatever arrives twice or at once; the store filter
//! and the capture rule; stock allocated at once; cancellation, deletion in Magento and
//! edits; orders kept with a reason; the log; and Magento's own reservations, so that
//! Magento's salable quantity stays the ledger's available minus buffer.

mod common;

use std::time::Duration;

use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

use common::{TestDb, qty, sandbox_post};
use domain::Services;
use domain::auth::Principal;
use domain::channel::magento::import::orders::notifications::{
    self, Delivery, OrderCapture, Received, Refused,
};
use domain::channel::magento::import::orders::poll::{OrderPollConfig, OrdersPoll, schedule_polls};
use domain::channel::magento::import::orders::{Capturer, HoldCode, Outcome, Verdict, load, log};
use domain::channel::magento::settings::SettingsPatch;
use domain::channel::magento::stores::{self, webhook};
use domain::entities::enums::{
    CaptureOrderWhen, JobItemOutcome, JobState, LogStatus, ProcessingState, SalesStoreScope,
};
use domain::entities::{job_item, magento_store, pending_order, sales_log};
use domain::jobs::{self, Requested};
use domain::stock;

struct Shop {
    db: TestDb,
    services: Services,
    principal: Principal,
    sandbox: sandbox::RunningSandbox,
    store: magento_store::Model,
    client: magento::MagentoClient,
}

/// A ledger connected to a fresh sandbox that loads every store view's orders, with
/// ledger products for the sandbox's simple products.
async fn shop(label: &str) -> Shop {
    shop_on(label, true).await
}

/// [`shop`] on a sandbox with MSI or with legacy stock only.
async fn shop_on(label: &str, msi: bool) -> Shop {
    let db = TestDb::new(label).await;
    let services = db.services();
    let principal = db.operator().await;
    let sandbox = sandbox::start(
        ([127, 0, 0, 1], 0).into(),
        sandbox::SandboxOptions {
            msi,
            ..Default::default()
        },
    )
    .await
    .expect("sandbox");
    let store = db.connect_sandbox(&services, &principal, &sandbox).await;
    for sku in ["24-MB01", "24-WB04", "MUG 11oz/BLK", "HT-TEE-S-Sand"] {
        db.product(sku).await;
    }
    let client = stores::client_for(&services, &store).expect("client");
    let shop = Shop {
        db,
        services,
        principal,
        sandbox,
        store,
        client,
    };
    shop.settings(SettingsPatch {
        sales_store_scope: Some(SalesStoreScope::AllStores),
        ..SettingsPatch::default()
    })
    .await;
    shop
}

impl Shop {
    async fn settings(&self, patch: SettingsPatch) {
        stores::update_settings(&self.services, self.db.org_id, self.store.id, patch)
            .await
            .expect("settings saved");
    }

    /// Places an order in Magento; its entity id.
    async fn place(&self, order: Value) -> i64 {
        let (status, body) = sandbox_post(&self.sandbox, "orders", order).await;
        assert!(status.contains("201"), "{status} {body}");
        body["entity_id"].as_i64().expect("entity id")
    }

    async fn act(&self, order_id: i64, action: &str, body: Value) {
        let (status, answer) =
            sandbox_post(&self.sandbox, &format!("orders/{order_id}/{action}"), body).await;
        assert!(status.contains("201"), "{action}: {status} {answer}");
    }

    async fn capturer(&self) -> Capturer {
        let store = stores::get(&self.db.db, self.db.org_id, self.store.id)
            .await
            .expect("store");
        Capturer::of_store(&self.db.db, &store)
            .await
            .expect("capturer")
    }

    /// What capture makes of the order as Magento has it now.
    async fn capture(&self, order_id: i64) -> Outcome {
        let raw = self.client.order_raw(order_id).await.expect("order read");
        self.capturer()
            .await
            .capture(&self.db.db, raw)
            .await
            .expect("captured")
    }

    async fn product(&self, sku: &str) -> Uuid {
        domain::products::product_by_sku(&self.db.db, self.db.org_id, sku)
            .await
            .expect("product")
            .product
            .id
    }

    async fn available(&self, sku: &str) -> Decimal {
        stock::availability(&self.db.db, self.db.org_id, self.product(sku).await, None)
            .await
            .expect("availability")
            .available()
    }

    async fn allocated(&self, sku: &str) -> Decimal {
        stock::availability(&self.db.db, self.db.org_id, self.product(sku).await, None)
            .await
            .expect("availability")
            .allocated
    }

    async fn pending(&self) -> Vec<pending_order::Model> {
        pending_order::Entity::find()
            .all(&self.db.db)
            .await
            .expect("pending orders")
    }

    async fn entries(&self) -> Vec<sales_log::Model> {
        sales_log::Entity::find()
            .all(&self.db.db)
            .await
            .expect("log")
    }

    async fn run(&self, job: &impl jobs::Job) -> domain::entities::job::Model {
        let queued = jobs::enqueue_job(&self.services, Requested::by(&self.principal), job)
            .await
            .expect("queued");
        jobs::run_job(&self.services, queued.id).await.expect("ran");
        jobs::get(&self.db.db, self.db.org_id, queued.id)
            .await
            .expect("job")
    }

    async fn items(&self, job_id: Uuid) -> Vec<job_item::Model> {
        use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
        job_item::Entity::find()
            .filter(job_item::Column::JobId.eq(job_id))
            .order_by_asc(job_item::Column::ItemIndex)
            .all(&self.db.db)
            .await
            .expect("items")
    }
}

fn line(sku: &str, qty: u32) -> Value {
    json!({"sku": sku, "qty": qty})
}

#[tokio::test]
async fn a_captured_order_is_a_pending_order_with_its_stock_allocated_at_once() {
    let shop = shop("orders_capture_allocates").await;
    let id = shop
        .place(json!({"items": [line("24-MB01", 2), line("MUG 11oz/BLK", 1)]}))
        .await;

    let outcome = shop.capture(id).await;

    let Outcome::Captured { log_id, held: None } = outcome else {
        panic!("{outcome:?}");
    };
    assert_eq!(shop.allocated("24-MB01").await, qty(2));
    assert_eq!(shop.allocated("MUG 11oz/BLK").await, qty(1));
    let pending = shop.pending().await;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].id, log_id);
    assert_eq!(pending[0].magento_order_id, id);
    assert_eq!(pending[0].processing_state, ProcessingState::Ready);
    assert_eq!(pending[0].state, "new");
    assert_eq!(pending[0].payload["entity_id"], json!(id));
    let entries = shop.entries().await;
    assert_eq!(entries[0].status, LogStatus::Pending);
    assert_eq!(entries[0].increment_id, pending[0].increment_id);
    shop.db.drop().await;
}

#[tokio::test]
async fn the_same_order_captured_ten_times_at_once_is_one_pending_order() {
    let shop = shop("orders_capture_concurrent").await;
    let id = shop.place(json!({"items": [line("24-MB01", 3)]})).await;
    let raw = shop.client.order_raw(id).await.expect("order read");
    let capturer = shop.capturer().await;

    let outcomes = futures_util::future::join_all((0..10).map(|_| {
        let (capturer, raw, db) = (capturer.clone(), raw.clone(), shop.db.db.clone());
        async move { capturer.capture(&db, raw).await.expect("captured") }
    }))
    .await;

    let captured = outcomes
        .iter()
        .filter(|o| matches!(o, Outcome::Captured { .. }))
        .count();
    assert_eq!(captured, 1, "{outcomes:?}");
    assert_eq!(shop.pending().await.len(), 1);
    assert_eq!(shop.entries().await.len(), 1);
    assert_eq!(shop.allocated("24-MB01").await, qty(3));
    shop.db.drop().await;
}

#[tokio::test]
async fn capturing_an_order_again_changes_nothing() {
    let shop = shop("orders_capture_again").await;
    let id = shop.place(json!({"items": [line("24-MB01", 1)]})).await;
    shop.capture(id).await;

    let again = shop.capture(id).await;

    assert!(
        matches!(again, Outcome::AlreadyCaptured { .. }),
        "{again:?}"
    );
    assert_eq!(shop.allocated("24-MB01").await, qty(1));
    assert_eq!(shop.pending().await.len(), 1);
    shop.db.drop().await;
}

#[tokio::test]
async fn do_not_load_captures_no_order() {
    let shop = shop("orders_do_not_load").await;
    shop.settings(SettingsPatch {
        sales_store_scope: Some(SalesStoreScope::DoNotLoad),
        ..SettingsPatch::default()
    })
    .await;
    let id = shop.place(json!({"items": [line("24-MB01", 1)]})).await;

    assert_eq!(shop.capture(id).await, Outcome::Skipped(Verdict::NotLoaded));
    assert!(shop.pending().await.is_empty());
    shop.db.drop().await;
}

#[tokio::test]
async fn one_store_view_captures_only_its_own_orders() {
    let shop = shop("orders_one_store_view").await;
    shop.settings(SettingsPatch {
        sales_store_scope: Some(SalesStoreScope::StoreView),
        sales_store_view_code: Some(Some("fr".into())),
        ..SettingsPatch::default()
    })
    .await;
    let default_view = shop.place(json!({"items": [line("24-MB01", 1)]})).await;
    let french = shop
        .place(json!({"items": [line("24-MB01", 1)], "store": "fr"}))
        .await;

    assert_eq!(
        shop.capture(default_view).await,
        Outcome::Skipped(Verdict::OtherStoreView)
    );
    assert!(matches!(
        shop.capture(french).await,
        Outcome::Captured { .. }
    ));
    assert_eq!(
        shop.pending().await[0].store_view_code.as_deref(),
        Some("fr")
    );
    shop.db.drop().await;
}

#[tokio::test]
async fn an_unpaid_order_is_captured_once_it_is_invoiced_when_the_rule_is_paid() {
    let shop = shop("orders_capture_when_paid").await;
    shop.settings(SettingsPatch {
        capture_order_when: Some(CaptureOrderWhen::Paid),
        ..SettingsPatch::default()
    })
    .await;
    let id = shop.place(json!({"items": [line("24-MB01", 1)]})).await;
    assert_eq!(shop.capture(id).await, Outcome::Skipped(Verdict::NotYet));
    assert_eq!(shop.allocated("24-MB01").await, Decimal::ZERO);

    shop.act(id, "invoice", json!({})).await;

    assert!(matches!(shop.capture(id).await, Outcome::Captured { .. }));
    assert_eq!(shop.allocated("24-MB01").await, qty(1));
    shop.db.drop().await;
}

#[tokio::test]
async fn a_cancelled_order_drops_its_pending_order_and_frees_its_stock() {
    let shop = shop("orders_cancelled").await;
    let id = shop.place(json!({"items": [line("24-MB01", 2)]})).await;
    shop.capture(id).await;

    shop.act(id, "cancel", json!({})).await;
    let outcome = shop.capture(id).await;

    assert!(matches!(outcome, Outcome::Cancelled { .. }), "{outcome:?}");
    assert_eq!(shop.allocated("24-MB01").await, Decimal::ZERO);
    assert!(shop.pending().await.is_empty());
    assert_eq!(shop.entries().await[0].status, LogStatus::Cancelled);
    // A later re-read of the cancelled order changes nothing more.
    assert!(matches!(
        shop.capture(id).await,
        Outcome::AlreadyCaptured { .. }
    ));
    assert_eq!(shop.allocated("24-MB01").await, Decimal::ZERO);
    shop.db.drop().await;
}

#[tokio::test]
async fn an_order_gone_from_magento_drops_its_pending_order() {
    let shop = shop("orders_gone").await;
    let id = shop.place(json!({"items": [line("24-MB01", 2)]})).await;
    shop.capture(id).await;

    let outcome = shop
        .capturer()
        .await
        .gone(&shop.db.db, id)
        .await
        .expect("gone");

    assert!(matches!(outcome, Outcome::Cancelled { .. }), "{outcome:?}");
    assert_eq!(shop.allocated("24-MB01").await, Decimal::ZERO);
    shop.db.drop().await;
}

#[tokio::test]
async fn an_order_cancelled_before_it_was_ever_captured_is_not_captured() {
    let shop = shop("orders_cancelled_first").await;
    let id = shop.place(json!({"items": [line("24-MB01", 1)]})).await;
    shop.act(id, "cancel", json!({})).await;

    assert_eq!(shop.capture(id).await, Outcome::Skipped(Verdict::Cancelled));
    assert!(shop.entries().await.is_empty());
    shop.db.drop().await;
}

#[tokio::test]
async fn an_unknown_sku_keeps_the_order_with_its_reason_and_allocates_the_rest() {
    let shop = shop("orders_unknown_sku").await;
    let id = shop
        .place(json!({"items": [
            line("24-MB01", 1),
            {"sku": "HT-TEE", "variant": "HT-TEE-M-Sand", "qty": 1}
        ]}))
        .await;

    let outcome = shop.capture(id).await;

    assert!(
        matches!(
            outcome,
            Outcome::Captured {
                held: Some(HoldCode::UnknownSku),
                ..
            }
        ),
        "{outcome:?}"
    );
    let pending = &shop.pending().await[0];
    assert_eq!(pending.processing_state, ProcessingState::Held);
    assert_eq!(pending.reason_code.as_deref(), Some("UNKNOWN_SKU"));
    assert!(
        pending
            .reason
            .as_deref()
            .unwrap_or_default()
            .contains("HT-TEE-M-Sand")
    );
    assert_eq!(shop.allocated("24-MB01").await, qty(1));
    shop.db.drop().await;
}

#[tokio::test]
async fn a_configurable_line_allocates_the_child_sku() {
    let shop = shop("orders_configurable").await;
    let id = shop
        .place(json!({"items": [{"sku": "HT-TEE", "variant": "HT-TEE-S-Sand", "qty": 2}]}))
        .await;

    assert!(matches!(
        shop.capture(id).await,
        Outcome::Captured { held: None, .. }
    ));
    assert_eq!(shop.allocated("HT-TEE-S-Sand").await, qty(2));
    shop.db.drop().await;
}

#[tokio::test]
async fn an_order_that_does_not_decode_is_kept_with_its_reason_and_holds_nothing() {
    let shop = shop("orders_malformed").await;
    let id = shop.place(json!({"items": [line("24-MB01", 1)]})).await;
    let mut raw = shop.client.order_raw(id).await.expect("order read");
    raw["items"] = json!("not a list of rows");

    let outcome = shop
        .capturer()
        .await
        .capture(&shop.db.db, raw)
        .await
        .expect("filed");

    assert!(
        matches!(
            outcome,
            Outcome::Captured {
                held: Some(HoldCode::MalformedOrder),
                ..
            }
        ),
        "{outcome:?}"
    );
    assert_eq!(shop.allocated("24-MB01").await, Decimal::ZERO);
    assert_eq!(
        shop.pending().await[0].payload["items"],
        json!("not a list of rows")
    );
    shop.db.drop().await;
}

#[tokio::test]
async fn an_edited_order_is_linked_to_the_order_it_replaced() {
    let shop = shop("orders_edited").await;
    let id = shop.place(json!({"items": [line("24-MB01", 1)]})).await;
    shop.capture(id).await;
    let (status, edited) = sandbox_post(
        &shop.sandbox,
        &format!("orders/{id}/edit"),
        json!({"items": [line("24-MB01", 3)]}),
    )
    .await;
    assert!(status.contains("201"), "{status} {edited}");
    let edited_id = edited["entity_id"].as_i64().expect("new order");

    let original = shop.capture(id).await;
    let replacement = shop.capture(edited_id).await;

    assert!(
        matches!(original, Outcome::Cancelled { .. }),
        "{original:?}"
    );
    let Outcome::Captured { log_id, .. } = replacement else {
        panic!("{replacement:?}");
    };
    let entry = log::entry(&shop.db.db, shop.db.org_id, log_id)
        .await
        .expect("entry");
    assert!(entry.increment_id.ends_with("-1"), "{}", entry.increment_id);
    let original_entry = shop
        .entries()
        .await
        .into_iter()
        .find(|e| e.magento_order_id == id)
        .expect("original entry");
    assert_eq!(entry.original_id, Some(original_entry.id));
    assert_eq!(shop.allocated("24-MB01").await, qty(3));
    shop.db.drop().await;
}

#[tokio::test]
async fn deleting_a_log_entry_frees_its_stock_and_lets_the_order_be_captured_again() {
    let shop = shop("orders_log_delete").await;
    let id = shop.place(json!({"items": [line("24-MB01", 2)]})).await;
    let Outcome::Captured { log_id, .. } = shop.capture(id).await else {
        panic!("not captured");
    };

    log::delete_entry(&shop.services, shop.db.org_id, log_id)
        .await
        .expect("deleted");

    assert_eq!(shop.allocated("24-MB01").await, Decimal::ZERO);
    assert!(shop.entries().await.is_empty());
    assert!(matches!(shop.capture(id).await, Outcome::Captured { .. }));
    assert_eq!(shop.allocated("24-MB01").await, qty(2));
    shop.db.drop().await;
}

#[tokio::test]
async fn load_orders_captures_each_order_once_and_says_what_it_made_of_each() {
    let shop = shop("orders_load").await;
    let first = shop.place(json!({"items": [line("24-MB01", 1)]})).await;
    let second = shop.place(json!({"items": [line("24-WB04", 1)]})).await;
    shop.capture(first).await;
    let since = chrono::Utc::now() - chrono::Duration::days(30);

    let job = shop
        .run(&load::OrdersLoad {
            store_id: shop.store.id,
            since,
            order_ids: None,
        })
        .await;

    assert_eq!(job.state, JobState::Succeeded, "{:?}", job.last_error);
    let items = shop.items(job.id).await;
    let code = |id: i64| {
        items
            .iter()
            .find(|i| i64::from(i.item_index) == id)
            .map(|i| (i.outcome, i.error_code.clone()))
    };
    assert_eq!(
        code(first),
        Some((JobItemOutcome::Skipped, Some("ALREADY_CAPTURED".into())))
    );
    assert_eq!(
        code(second),
        Some((JobItemOutcome::Succeeded, Some("CAPTURED".into())))
    );
    // The sandbox's seeded orders were captured too, once each.
    let entries = shop.entries().await;
    let mut ids: Vec<i64> = entries.iter().map(|e| e.magento_order_id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), entries.len());
    shop.db.drop().await;
}

#[tokio::test]
async fn load_orders_reaches_back_one_year_at_most() {
    let shop = shop("orders_load_range").await;
    let too_early = chrono::Utc::now() - chrono::Duration::days(366);

    let err = load::start_load(&shop.services, &shop.principal, shop.store.id, too_early)
        .await
        .expect_err("refused");

    assert_eq!(
        common::user_errors(err),
        vec![("since".to_owned(), domain::ErrorCode::OutOfRange)]
    );
    shop.db.drop().await;
}

#[tokio::test]
async fn the_poller_captures_new_orders_and_moves_its_mark_only_forward() {
    let shop = shop("orders_poller").await;
    // The first poll sets the mark: orders from before polling began are history.
    let before = shop.place(json!({"items": [line("24-MB01", 1)]})).await;
    let first = shop
        .run(&OrdersPoll {
            store_id: shop.store.id,
            lease_secs: 60,
        })
        .await;
    assert_eq!(first.state, JobState::Succeeded, "{:?}", first.last_error);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let after = shop.place(json!({"items": [line("24-WB04", 2)]})).await;
    // Magento's timestamps have whole seconds: the window reads up to the current one.
    tokio::time::sleep(Duration::from_millis(1100)).await;

    let second = shop
        .run(&OrdersPoll {
            store_id: shop.store.id,
            lease_secs: 60,
        })
        .await;

    assert_eq!(second.state, JobState::Succeeded, "{:?}", second.last_error);
    let captured: Vec<i64> = shop
        .entries()
        .await
        .iter()
        .map(|e| e.magento_order_id)
        .collect();
    assert!(captured.contains(&after), "{captured:?}");
    // An order from just before polling began is within the first poll's overlap.
    assert!(captured.contains(&before), "{captured:?}");
    assert_eq!(captured.len(), 2, "{captured:?}");
    shop.db.drop().await;
}

#[tokio::test]
async fn a_second_poll_of_a_store_waits_while_the_first_holds_the_lease() {
    let shop = shop("orders_poll_lease").await;
    shop.db
        .db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO sync_cursors (store_id, stream, high_water, owner, lease_until) \
             VALUES ($1, 'orders', now(), $2, now() + interval '1 minute')",
            [shop.store.id.into(), Uuid::new_v4().into()],
        ))
        .await
        .expect("a lease held elsewhere");
    let id = shop.place(json!({"items": [line("24-MB01", 1)]})).await;
    tokio::time::sleep(Duration::from_millis(2100)).await;

    let poll = shop
        .run(&OrdersPoll {
            store_id: shop.store.id,
            lease_secs: 60,
        })
        .await;

    assert_eq!(poll.state, JobState::Succeeded);
    assert_eq!(poll.processed_count, 0);
    assert!(
        shop.entries()
            .await
            .iter()
            .all(|e| e.magento_order_id != id)
    );
    shop.db.drop().await;
}

#[tokio::test]
async fn the_scheduler_queues_one_poll_per_store_that_loads_orders() {
    let shop = shop("orders_poll_schedule").await;
    let config = OrderPollConfig::default();

    assert_eq!(
        schedule_polls(&shop.services, &config).await.expect("pass"),
        1
    );
    // One is queued already: the next pass adds none.
    assert_eq!(
        schedule_polls(&shop.services, &config).await.expect("pass"),
        0
    );

    shop.settings(SettingsPatch {
        sales_store_scope: Some(SalesStoreScope::DoNotLoad),
        ..SettingsPatch::default()
    })
    .await;
    use sea_orm::{ColumnTrait, QueryFilter};
    domain::entities::job::Entity::delete_many()
        .filter(domain::entities::job::Column::Kind.eq("ORDERS_POLL"))
        .exec(&shop.db.db)
        .await
        .expect("cleared");
    assert_eq!(
        schedule_polls(&shop.services, &config).await.expect("pass"),
        0
    );
    shop.db.drop().await;
}

/// A delivery of `notification` signed with `secret` now.
fn signed(secret: &str, body: &[u8]) -> (String, String) {
    let now = chrono::Utc::now().timestamp();
    (
        now.to_string(),
        magento::notification::sign(secret.as_bytes(), now, body),
    )
}

fn notification_body(event_id: &str, order_id: i64) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "event_id": event_id, "event": "order.created", "entity_type": "order",
        "entity_id": order_id, "increment_id": "x", "store_id": 1,
        "updated_at": "2026-12-04 10:00:00"
    }))
    .expect("body")
}

#[tokio::test]
async fn a_verified_notification_queues_one_capture_and_a_replay_nothing() {
    let shop = shop("orders_notification").await;
    let secret = webhook::rotate(&shop.services, shop.db.org_id, shop.store.id)
        .await
        .expect("secret");
    let id = shop.place(json!({"items": [line("24-MB01", 1)]})).await;
    let body = notification_body("evt-1", id);
    let (timestamp, signature) = signed(&secret, &body);
    let delivery = Delivery {
        timestamp: Some(&timestamp),
        signature: Some(&signature),
        body: &body,
    };

    let first = notifications::receive(&shop.services, shop.store.id, delivery)
        .await
        .expect("received");
    let again = notifications::receive(&shop.services, shop.store.id, delivery)
        .await
        .expect("received");

    assert!(matches!(first, Ok(Received::Accepted { .. })), "{first:?}");
    assert_eq!(again, Ok(Received::Replayed));
    use sea_orm::{ColumnTrait, QueryFilter};
    let capture_jobs = domain::entities::job::Entity::find()
        .filter(domain::entities::job::Column::Kind.eq("ORDER_CAPTURE"))
        .all(&shop.db.db)
        .await
        .expect("jobs");
    assert_eq!(capture_jobs.len(), 1);
    jobs::run_job(&shop.services, capture_jobs[0].id)
        .await
        .expect("ran");
    assert_eq!(shop.allocated("24-MB01").await, qty(1));
    shop.db.drop().await;
}

#[tokio::test]
async fn a_notification_job_takes_its_order_from_magento_not_from_the_body() {
    let shop = shop("orders_notification_rereads").await;
    let id = shop.place(json!({"items": [line("24-MB01", 4)]})).await;

    let job = shop
        .run(&OrderCapture {
            store_id: shop.store.id,
            magento_order_id: id,
        })
        .await;

    assert_eq!(job.state, JobState::Succeeded, "{:?}", job.last_error);
    assert_eq!(shop.allocated("24-MB01").await, qty(4));
    let unknown = shop
        .run(&OrderCapture {
            store_id: shop.store.id,
            magento_order_id: 999_999,
        })
        .await;
    let items = shop.items(unknown.id).await;
    assert_eq!(items[0].error_code.as_deref(), Some("NOT_IN_MAGENTO"));
    shop.db.drop().await;
}

#[tokio::test]
async fn notifications_with_a_bad_signature_a_stale_stamp_or_no_secret_are_refused() {
    let shop = shop("orders_notification_refused").await;
    let body = notification_body("evt-2", 1);
    let (timestamp, signature) = signed("whsec_never_issued", &body);
    let delivery = Delivery {
        timestamp: Some(&timestamp),
        signature: Some(&signature),
        body: &body,
    };
    // No secret yet.
    assert!(matches!(
        notifications::receive(&shop.services, shop.store.id, delivery)
            .await
            .expect("ran"),
        Err(Refused::Unauthorized(_))
    ));
    let secret = webhook::rotate(&shop.services, shop.db.org_id, shop.store.id)
        .await
        .expect("secret");
    // Wrong secret.
    assert!(matches!(
        notifications::receive(&shop.services, shop.store.id, delivery)
            .await
            .expect("ran"),
        Err(Refused::Unauthorized(_))
    ));
    // Stale.
    let old = chrono::Utc::now().timestamp() - 600;
    let stale_signature = magento::notification::sign(secret.as_bytes(), old, &body);
    let old = old.to_string();
    assert!(matches!(
        notifications::receive(
            &shop.services,
            shop.store.id,
            Delivery {
                timestamp: Some(&old),
                signature: Some(&stale_signature),
                body: &body
            }
        )
        .await
        .expect("ran"),
        Err(Refused::Unauthorized(_))
    ));
    // Unknown store.
    let (timestamp, signature) = signed(&secret, &body);
    let good = Delivery {
        timestamp: Some(&timestamp),
        signature: Some(&signature),
        body: &body,
    };
    assert!(matches!(
        notifications::receive(&shop.services, Uuid::new_v4(), good)
            .await
            .expect("ran"),
        Err(Refused::Unauthorized(_))
    ));
    // Too large.
    let huge = vec![b' '; notifications::MAX_BODY_BYTES + 1];
    assert_eq!(
        notifications::receive(
            &shop.services,
            shop.store.id,
            Delivery {
                body: &huge,
                ..good
            }
        )
        .await
        .expect("ran"),
        Err(Refused::TooLarge)
    );
    let recorded = shop
        .db
        .db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT count(*) AS n FROM inbound_notifications",
        ))
        .await
        .expect("count")
        .expect("row");
    assert_eq!(recorded.try_get::<i64>("", "n").expect("n"), 0);
    shop.db.drop().await;
}

#[tokio::test]
async fn a_rotated_secret_keeps_the_previous_one_valid_for_the_grace_period() {
    let shop = shop("orders_secret_rotation").await;
    let old = webhook::rotate(&shop.services, shop.db.org_id, shop.store.id)
        .await
        .expect("secret");
    let new = webhook::rotate(&shop.services, shop.db.org_id, shop.store.id)
        .await
        .expect("secret");
    assert_ne!(old, new);

    for (event, secret) in [("evt-old", &old), ("evt-new", &new)] {
        let body = notification_body(event, 1);
        let (timestamp, signature) = signed(secret, &body);
        let received = notifications::receive(
            &shop.services,
            shop.store.id,
            Delivery {
                timestamp: Some(&timestamp),
                signature: Some(&signature),
                body: &body,
            },
        )
        .await
        .expect("ran");
        assert!(
            matches!(received, Ok(Received::Accepted { .. })),
            "{event}: {received:?}"
        );
    }
    shop.db.drop().await;
}

#[tokio::test]
async fn disconnecting_a_store_frees_what_its_pending_orders_hold() {
    let shop = shop("orders_disconnect").await;
    let id = shop.place(json!({"items": [line("24-MB01", 2)]})).await;
    shop.capture(id).await;

    stores::disconnect(&shop.services, shop.db.org_id, shop.store.id)
        .await
        .expect("disconnected");

    assert_eq!(shop.allocated("24-MB01").await, Decimal::ZERO);
    shop.db.drop().await;
}

/// Magento's salable quantity of `sku` on the default stock.
async fn salable(shop: &Shop, sku: &str) -> Decimal {
    shop.client
        .salable_quantity(sku, 1)
        .await
        .expect("salable quantity")
        .normalize()
}

async fn push(shop: &Shop) {
    use domain::channel::magento::export::stock_push::{PushScope, PushTrigger, push_store};
    let store = stores::get(&shop.db.db, shop.db.org_id, shop.store.id)
        .await
        .expect("store");
    push_store(
        &shop.db.db,
        &store,
        &shop.client,
        PushScope::All,
        PushTrigger::Requested,
    )
    .await
    .expect("pushed");
}

#[tokio::test]
async fn magento_salable_stays_available_minus_buffer_through_an_order_a_shipment_and_a_cancellation()
 {
    let shop = shop("orders_reservations").await;
    let (status, created) = sandbox_post(
        &shop.sandbox,
        "products",
        json!({"sku": "RES-1", "qty": 10}),
    )
    .await;
    assert!(status.contains("201"), "{status} {created}");
    let magento_id = created["id"].as_i64().expect("product id");
    let download = shop
        .run(
            &domain::channel::magento::import::products::ProductsDownload {
                store_id: shop.store.id,
                product_ids: Some(vec![magento_id]),
            },
        )
        .await;
    assert_eq!(
        download.state,
        JobState::Succeeded,
        "{:?}",
        download.last_error
    );
    let location = domain::reference::default_location(&shop.db.db, shop.db.org_id)
        .await
        .expect("location")
        .id;
    stock::adjust(
        &shop.db.db,
        shop.db.org_id,
        shop.product("RES-1").await,
        location,
        qty(10),
        "count",
    )
    .await
    .expect("counted");
    shop.settings(SettingsPatch {
        update_stock_levels: Some(true),
        use_buffer_inventory: Some(true),
        buffer_inventory: Some(qty(1)),
        ..SettingsPatch::default()
    })
    .await;
    push(&shop).await;
    assert_eq!(
        salable(&shop, "RES-1").await,
        shop.available("RES-1").await - qty(1)
    );

    // An order: Magento reserves 3, the ledger allocates 3; neither counts it twice.
    let order = shop.place(json!({"items": [line("RES-1", 3)]})).await;
    shop.capture(order).await;
    push(&shop).await;
    assert_eq!(shop.available("RES-1").await, qty(7));
    assert_eq!(salable(&shop, "RES-1").await, qty(6));

    // Shipped in Magento: its source deducts 3 and the reservation goes.
    shop.act(order, "ship", json!({})).await;
    shop.capture(order).await;
    push(&shop).await;
    assert_eq!(
        salable(&shop, "RES-1").await,
        shop.available("RES-1").await - qty(1)
    );

    // Another order, cancelled: Magento releases it, the ledger frees it.
    let cancelled = shop.place(json!({"items": [line("RES-1", 2)]})).await;
    shop.capture(cancelled).await;
    push(&shop).await;
    assert_eq!(
        salable(&shop, "RES-1").await,
        shop.available("RES-1").await - qty(1)
    );
    shop.act(cancelled, "cancel", json!({})).await;
    shop.capture(cancelled).await;
    push(&shop).await;
    assert_eq!(shop.available("RES-1").await, qty(7));
    assert_eq!(salable(&shop, "RES-1").await, qty(6));
    shop.db.drop().await;
}

#[tokio::test]
async fn a_store_answering_503_delays_a_capture_that_then_happens_once() {
    let shop = shop("orders_store_503").await;
    let id = shop.place(json!({"items": [line("24-MB01", 2)]})).await;
    // More 503s than the client's own retries: the attempt fails and is rescheduled.
    let (status, _) = sandbox_post(
        &shop.sandbox,
        "faults",
        json!({"endpoint": "orders", "kind": "status", "status": 503, "count": 12}),
    )
    .await;
    assert!(status.contains("20"), "{status}");
    let queued = jobs::enqueue_job(
        &shop.services,
        Requested::by(&shop.principal),
        &OrderCapture {
            store_id: shop.store.id,
            magento_order_id: id,
        },
    )
    .await
    .expect("queued");

    let mut outcome = jobs::run_job(&shop.services, queued.id).await.expect("ran");
    assert!(
        matches!(outcome, jobs::RunOutcome::RetryScheduled { .. }),
        "{outcome:?}"
    );
    assert_eq!(shop.allocated("24-MB01").await, Decimal::ZERO);
    for _ in 0..10 {
        if !matches!(outcome, jobs::RunOutcome::RetryScheduled { .. }) {
            break;
        }
        // Due now: the backoff is the queue's business, not this test's.
        shop.db
            .db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE jobs SET run_after = now() WHERE id = $1",
                [queued.id.into()],
            ))
            .await
            .expect("due");
        outcome = jobs::run_job(&shop.services, queued.id).await.expect("ran");
    }

    assert_eq!(outcome, jobs::RunOutcome::Finished(JobState::Succeeded));
    assert_eq!(shop.allocated("24-MB01").await, qty(2));
    assert_eq!(shop.pending().await.len(), 1);
    shop.db.drop().await;
}

async fn reservation_rows(shop: &Shop) -> i64 {
    shop.db
        .db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT count(*) AS n FROM magento_reservations",
        ))
        .await
        .expect("count")
        .expect("row")
        .try_get("", "n")
        .expect("n")
}

#[tokio::test]
async fn an_msi_store_keeps_what_magento_reserves_and_a_legacy_store_nothing() {
    // Legacy stock deducts at placement; only MSI reserves, so only MSI is added back.
    let msi = shop_on("orders_reserved_msi", true).await;
    let legacy = shop_on("orders_reserved_legacy", false).await;
    for shop in [&msi, &legacy] {
        let id = shop.place(json!({"items": [line("24-MB01", 2)]})).await;
        assert!(matches!(shop.capture(id).await, Outcome::Captured { .. }));
        assert_eq!(shop.allocated("24-MB01").await, qty(2));
    }

    assert_eq!(reservation_rows(&msi).await, 1);
    assert_eq!(reservation_rows(&legacy).await, 0);
    msi.db.drop().await;
    legacy.db.drop().await;
}
