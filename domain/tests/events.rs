//! The event log's one consumer: every event handed over once, in the transaction that
//! moves the cursor, even when writers commit out of id order; one process at a time.

mod common;

use std::sync::Mutex;
use std::time::Duration;

use common::TestDb;
use domain::events::consumer::{Consumer, ConsumerConfig, Delivered, EventHandler, Polled};
use domain::events::{self, DomainEvent, SaleRef};
use sea_orm::{DatabaseTransaction, TransactionTrait};
use uuid::Uuid;

const SALES: &[&str] = &["sale.created"];

/// Remembers what it was handed.
#[derive(Default)]
struct Seen(Mutex<Vec<String>>);

impl EventHandler for Seen {
    async fn handle(
        &self,
        _txn: &DatabaseTransaction,
        events: &[Delivered],
    ) -> domain::error::DomainResult<()> {
        let mut seen = self.0.lock().expect("lock");
        for delivered in events {
            if let DomainEvent::SaleCreated(sale) = &delivered.event {
                seen.push(sale.number.clone());
            }
        }
        Ok(())
    }
}

impl Seen {
    fn numbers(&self) -> Vec<String> {
        let mut numbers = self.0.lock().expect("lock").clone();
        numbers.sort();
        numbers
    }
}

fn created(number: &str) -> DomainEvent {
    DomainEvent::SaleCreated(SaleRef {
        sale_id: Uuid::new_v4(),
        number: number.to_owned(),
    })
}

fn consumer(name: &'static str) -> Consumer {
    Consumer::new(
        name,
        SALES,
        ConsumerConfig {
            lease: Duration::from_secs(30),
            gap_grace: Duration::from_secs(60),
            batch: 100,
        },
    )
}

#[tokio::test]
async fn an_event_committed_after_a_newer_one_is_still_handed_over_once() {
    let db = TestDb::new("consumer_out_of_order").await;
    let scope = events::Scope::org(db.org_id);
    let mut reader = consumer("test_out_of_order");
    let seen = Seen::default();
    assert_eq!(
        reader.poll(&db.db, &seen).await.expect("poll"),
        Polled::Handled(0)
    );

    // The slow writer takes the lower id and commits last.
    let slow = db.db.begin().await.expect("begin");
    events::append(&slow, scope, &created("SO-1"))
        .await
        .expect("append");
    let fast = db.db.begin().await.expect("begin");
    events::append(&fast, scope, &created("SO-2"))
        .await
        .expect("append");
    fast.commit().await.expect("commit");

    assert_eq!(
        reader.poll(&db.db, &seen).await.expect("poll"),
        Polled::Handled(1)
    );
    assert_eq!(seen.numbers(), ["SO-2"]);
    slow.commit().await.expect("commit");
    assert_eq!(
        reader.poll(&db.db, &seen).await.expect("poll"),
        Polled::Handled(1)
    );
    assert_eq!(seen.numbers(), ["SO-1", "SO-2"]);

    // A reader starting over from the stored cursor skips nothing and repeats nothing.
    let mut restarted = consumer("test_out_of_order");
    reader.reset();
    drop(reader);
    expire_lease(&db, "test_out_of_order").await;
    let again = Seen::default();
    events::append(&db.db, scope, &created("SO-3"))
        .await
        .expect("append");
    assert_eq!(
        restarted.poll(&db.db, &again).await.expect("poll"),
        Polled::Handled(1)
    );
    assert_eq!(again.numbers(), ["SO-3"]);
    db.drop().await;
}

#[tokio::test]
async fn concurrent_writers_committing_in_any_order_lose_nothing() {
    let db = TestDb::new("consumer_concurrent").await;
    let scope = events::Scope::org(db.org_id);
    let mut reader = consumer("test_concurrent");
    let seen = Seen::default();
    reader.poll(&db.db, &seen).await.expect("poll");

    let writers: Vec<_> = (0..20)
        .map(|n| {
            let db = db.db.clone();
            tokio::spawn(async move {
                let txn = db.begin().await.expect("begin");
                events::append(&txn, scope, &created(&format!("SO-{n:02}")))
                    .await
                    .expect("append");
                // Later ids often commit first.
                tokio::time::sleep(Duration::from_millis(((20 - n) * 7) as u64)).await;
                txn.commit().await.expect("commit");
            })
        })
        .collect();
    let mut rounds = 0;
    while seen.numbers().len() < 20 && rounds < 200 {
        reader.poll(&db.db, &seen).await.expect("poll");
        tokio::time::sleep(Duration::from_millis(10)).await;
        rounds += 1;
    }
    for writer in writers {
        writer.await.expect("writer");
    }
    reader.poll(&db.db, &seen).await.expect("poll");
    let expected: Vec<String> = (0..20).map(|n| format!("SO-{n:02}")).collect();
    assert_eq!(seen.numbers(), expected, "each event once");
    db.drop().await;
}

#[tokio::test]
async fn a_second_process_does_not_read_while_the_first_holds_the_lease() {
    let db = TestDb::new("consumer_lease").await;
    let mut first = consumer("test_lease");
    let mut second = consumer("test_lease");
    let seen = Seen::default();
    assert_eq!(
        first.poll(&db.db, &seen).await.expect("poll"),
        Polled::Handled(0)
    );
    events::append(&db.db, events::Scope::org(db.org_id), &created("SO-1"))
        .await
        .expect("append");
    assert_eq!(
        second.poll(&db.db, &seen).await.expect("poll"),
        Polled::NotHolder
    );
    assert_eq!(
        first.poll(&db.db, &seen).await.expect("poll"),
        Polled::Handled(1)
    );
    db.drop().await;
}

async fn expire_lease(db: &TestDb, name: &str) {
    sea_orm::ConnectionTrait::execute_unprepared(
        &db.db,
        &format!("UPDATE event_cursors SET lease_until = now() - interval '1 second' WHERE name = '{name}'"),
    )
    .await
    .expect("expire");
}

fn captured(n: usize) -> DomainEvent {
    DomainEvent::OrderCaptured(events::LogEntryRef {
        log_id: Uuid::new_v4(),
        magento_order_id: n as i64 + 1,
        increment_id: format!("{:09}", n + 1),
        status: "pending".into(),
        sale_id: None,
    })
}

#[tokio::test]
async fn a_store_stream_holds_back_an_event_while_an_older_transaction_may_still_commit() {
    use domain::events::stream::{horizon, store_events_after};
    let db = TestDb::new("stream_holds_back").await;
    let store_id = db.offline_store("Main").await;
    let scope = events::Scope::store(db.org_id, store_id);
    let start = horizon(&db.db).await.expect("horizon");
    // The older transaction takes its id first and appends last.
    let older = db.db.begin().await.expect("older");
    events::append(&older, scope, &captured(0))
        .await
        .expect("appended");
    let newer = db.db.begin().await.expect("newer");
    events::append(&newer, scope, &captured(1))
        .await
        .expect("appended");
    newer.commit().await.expect("newer committed");

    let read = store_events_after(&db.db, db.org_id, store_id, events::LOG_KINDS, start, 100)
        .await
        .expect("read");
    assert!(read.events.is_empty(), "{:?}", read.events);
    assert!(read.held_back);

    older.commit().await.expect("older committed");
    // Transactions of other databases of the server also hold the horizon back (the
    // other tests'), only ever briefly.
    let mut read = Default::default();
    for _ in 0..200 {
        read = store_events_after(&db.db, db.org_id, store_id, events::LOG_KINDS, start, 100)
            .await
            .expect("read");
        if !read.held_back {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let read: domain::events::stream::Read = read;
    let numbers: Vec<i64> = read
        .events
        .iter()
        .filter_map(|e| match &e.event {
            DomainEvent::OrderCaptured(entry) => Some(entry.magento_order_id),
            _ => None,
        })
        .collect();
    // In transaction order: the older one's event first, though its id is lower too.
    assert_eq!(numbers, vec![1, 2]);
    db.drop().await;
}

#[tokio::test]
async fn a_live_store_stream_misses_nothing_from_writers_committing_out_of_order() {
    use futures_util::StreamExt;
    let db = TestDb::new("stream_concurrent").await;
    let store_id = db.offline_store("Main").await;
    let hub = events::EventHub::start(db.url().to_owned());
    let mut stream = Box::pin(events::stream::store_stream(
        db.db.clone(),
        hub,
        db.org_id,
        store_id,
        events::LOG_KINDS,
        None,
    ));
    // The stream starts from the horizon it reads first; give it that moment.
    tokio::time::sleep(Duration::from_millis(300)).await;
    const WRITERS: usize = 8;
    const EACH: usize = 25;
    let scope = events::Scope::store(db.org_id, store_id);
    let writers = futures_util::future::join_all((0..WRITERS).map(|w| {
        let db = db.db.clone();
        async move {
            for i in 0..EACH {
                let txn = db.begin().await.expect("begin");
                events::append(&txn, scope, &captured(w * EACH + i))
                    .await
                    .expect("appended");
                // Some transactions stay open, so later ids commit first.
                tokio::time::sleep(Duration::from_millis(((w * 7 + i * 13) % 17) as u64)).await;
                txn.commit().await.expect("committed");
            }
        }
    }));
    let reader = async {
        let mut orders = Vec::new();
        while orders.len() < WRITERS * EACH {
            let event = tokio::time::timeout(Duration::from_secs(20), stream.next())
                .await
                .expect("an event within 20 s")
                .expect("the stream goes on");
            if let DomainEvent::OrderCaptured(entry) = event.event {
                orders.push(entry.magento_order_id);
            }
        }
        orders
    };
    let (_, mut orders) = tokio::join!(writers, reader);

    orders.sort_unstable();
    orders.dedup();
    assert_eq!(orders.len(), WRITERS * EACH, "every event once");
    db.drop().await;
}
