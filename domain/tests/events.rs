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
