//! The binder: one link per Magento entity of a store and kind, held by the database.

mod common;

use common::TestDb;
use domain::channel::magento::{BindRefused, Binder, Bound, LinkKind};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

async fn setup(label: &str) -> (TestDb, Binder) {
    let db = TestDb::new(label).await;
    let store = db.offline_store("shop").await;
    let binder = Binder::new(db.org_id, store);
    (db, binder)
}

#[tokio::test]
async fn binding_the_same_link_twice_is_idempotent() {
    let (db, binder) = setup("bind_idempotent").await;
    let sale = Uuid::new_v4();
    let first = binder.bind(&db.db, LinkKind::Order, 42, sale).await;
    let second = binder.bind(&db.db, LinkKind::Order, 42, sale).await;
    assert_eq!(first.expect("first"), Ok(Bound::New));
    assert_eq!(second.expect("second"), Ok(Bound::Already));
    assert_eq!(
        binder
            .record(&db.db, LinkKind::Order, 42)
            .await
            .expect("record"),
        Some(sale)
    );
    db.drop().await;
}

#[tokio::test]
async fn an_order_already_captured_is_refused_for_another_sale() {
    let (db, binder) = setup("bind_order_taken").await;
    let (first, second) = (Uuid::new_v4(), Uuid::new_v4());
    binder
        .bind(&db.db, LinkKind::Order, 42, first)
        .await
        .expect("bind")
        .expect("bound");
    let refused = binder
        .bind(&db.db, LinkKind::Order, 42, second)
        .await
        .expect("bind");
    assert_eq!(
        refused,
        Err(BindRefused::EntityTaken {
            kind: LinkKind::Order,
            external_id: 42,
            record_id: first
        })
    );
    db.drop().await;
}

#[tokio::test]
async fn a_second_link_of_the_same_magento_order_fails_in_the_database() {
    let (db, binder) = setup("bind_db_rule").await;
    binder
        .bind(&db.db, LinkKind::Order, 42, Uuid::new_v4())
        .await
        .expect("bind")
        .expect("bound");
    let raw = db
        .db
        .execute_unprepared(&format!(
            "INSERT INTO magento_links (store_id, kind, external_id, org_id, record_id) \
             VALUES ('{}', 'order', 42, '{}', '{}')",
            binder.store_id,
            db.org_id,
            Uuid::new_v4()
        ))
        .await;
    assert!(raw.is_err(), "the key refuses a second order 42");
    db.drop().await;
}

#[tokio::test]
async fn orders_of_one_consolidated_sale_may_share_it_but_a_product_is_one_magento_product() {
    let (db, binder) = setup("bind_per_record").await;
    let sale = Uuid::new_v4();
    let orders = binder
        .bind_many(&db.db, LinkKind::Order, &[(1, sale), (2, sale)])
        .await
        .expect("bind");
    assert_eq!(orders, vec![Ok(Bound::New), Ok(Bound::New)]);
    let product = db.product("MUG").await;
    let products = binder
        .bind_many(&db.db, LinkKind::Product, &[(10, product), (11, product)])
        .await
        .expect("bind");
    assert_eq!(
        products,
        vec![
            Ok(Bound::New),
            Err(BindRefused::RecordTaken {
                kind: LinkKind::Product,
                external_id: 10
            })
        ]
    );
    db.drop().await;
}

#[tokio::test]
async fn the_same_magento_id_in_another_store_or_kind_is_another_link() {
    let (db, binder) = setup("bind_scopes").await;
    let other = Binder::new(db.org_id, db.offline_store("outlet").await);
    let (a, b, c) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let bound = [
        binder.bind(&db.db, LinkKind::Order, 7, a).await,
        other.bind(&db.db, LinkKind::Order, 7, b).await,
        binder.bind(&db.db, LinkKind::CreditMemo, 7, c).await,
    ];
    for result in bound {
        assert_eq!(result.expect("bind"), Ok(Bound::New));
    }
    db.drop().await;
}

#[tokio::test]
async fn unbinding_frees_the_magento_id_and_disconnecting_removes_every_link() {
    let (db, binder) = setup("bind_unbind").await;
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    binder
        .bind(&db.db, LinkKind::Shipment, 5, a)
        .await
        .expect("bind")
        .expect("bound");
    assert!(
        binder
            .unbind(&db.db, LinkKind::Shipment, 5)
            .await
            .expect("unbind")
    );
    assert_eq!(
        binder
            .bind(&db.db, LinkKind::Shipment, 5, b)
            .await
            .expect("bind"),
        Ok(Bound::New)
    );
    domain::channel::magento::stores::disconnect(&db.services(), db.org_id, binder.store_id)
        .await
        .expect("disconnect");
    let left = db
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT count(*) AS n FROM magento_links",
        ))
        .await
        .expect("count")
        .expect("row");
    assert_eq!(left.try_get::<i64>("", "n").expect("n"), 0);
    db.drop().await;
}
