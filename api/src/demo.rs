//! `serve --demo`: a demo organisation with an admin key, the Magento sandbox running
//! in-process, the sandbox connected as a store, and a ledger product the store does
//! not have yet, ready to list — the whole flow in one command, with no internet: the
//! product's image is one the sandbox serves itself. The store loads orders, the
//! sandbox's notifications point at this server, and once the store's products are in
//! the ledger (the tour's download) the sandbox places a few orders a minute, so a
//! newcomer sees them arrive.

use std::time::Duration;

use rust_decimal::Decimal;
use serde_json::json;
use tokio::task::JoinHandle;
use uuid::Uuid;

use domain::auth::{self, Principal, Role};
use domain::channel::magento::settings::SettingsPatch;
use domain::channel::magento::stores::{self, ConnectInput, webhook};
use domain::entities::enums::SalesStoreScope;
use domain::products::{self, ProductDraft};
use domain::{DomainError, Services, reference, stock};
use sandbox::{MEDIA_LIBRARY, RunningSandbox, SandboxOptions};

use crate::runtime::announce;

pub const DEMO_ORG: &str = "Demo";
pub const DEMO_STORE: &str = "Demo Sandbox";
/// The demo's ledger product that the sandbox does not have: `listingList` creates it.
pub const DEMO_PRODUCT_SKU: &str = "DEMO-LANTERN";
/// Units of the demo product at the default location, so its listing pushes stock.
const DEMO_PRODUCT_STOCK: i64 = 15;

/// How often the sandbox places a demo order.
const ORDER_EVERY: Duration = Duration::from_secs(20);

/// The running demo: its sandbox and the task placing its orders.
pub struct Demo {
    sandbox: RunningSandbox,
    orders: JoinHandle<()>,
}

impl Demo {
    pub async fn stop(self) {
        self.orders.abort();
        self.sandbox.stop().await;
    }
}

/// Starts the demo; `public_url` is where this server is reached (the sandbox posts its
/// notifications there).
pub async fn start(services: &Services, public_url: &str) -> anyhow::Result<Demo> {
    let key = auth::create_api_key(&services.db, DEMO_ORG, Role::Admin).await?;
    let principal = Principal {
        org_id: key.org_id,
        api_key_id: key.api_key_id,
        role: Role::Admin,
    };
    let sandbox = sandbox::start(([127, 0, 0, 1], 0).into(), SandboxOptions::default()).await?;

    // A previous demo run left a store pointing at a sandbox that no longer exists.
    for store in stores::list(&services.db, key.org_id).await? {
        if store.name == DEMO_STORE {
            stores::disconnect(services, key.org_id, store.id).await?;
        }
    }
    let (store, job) = stores::connect(
        services,
        &principal,
        ConnectInput {
            name: DEMO_STORE.to_owned(),
            base_url: sandbox.base_url.clone(),
            credentials: sandbox.credentials.clone(),
        },
    )
    .await?;
    let product_id = listable_product(services, key.org_id, &sandbox).await?;
    stores::update_settings(
        services,
        key.org_id,
        store.id,
        SettingsPatch {
            sales_store_scope: Some(SalesStoreScope::AllStores),
            ..SettingsPatch::default()
        },
    )
    .await?;
    let secret = webhook::rotate(services, key.org_id, store.id).await?;
    reqwest::Client::new()
        .post(format!("{}/sandbox/notifications", sandbox.base_url))
        .json(&json!({
            "url": format!("{public_url}/webhooks/magento/{}", store.id),
            "secret": secret,
        }))
        .send()
        .await?
        .error_for_status()?;
    let orders = tokio::spawn(place_orders(
        services.clone(),
        key.org_id,
        sandbox.base_url.clone(),
    ));
    let store_id = crate::graphql::ids::encode("Store", store.id);
    let job_id = crate::graphql::ids::encode("Job", job.id);
    let product_id = crate::graphql::ids::encode("Product", product_id);
    announce(serde_json::json!({
        "event": "demo_ready",
        "organization": DEMO_ORG,
        "api_key": key.secret,
        "store_id": store_id.as_str(),
        "metadata_job_id": job_id.as_str(),
        "sandbox_url": sandbox.base_url,
        // The demo's own throwaway shop: its tokens let a newcomer call it directly. A
        // real store's credentials are never printed.
        "sandbox_credentials": {
            "consumer_key": sandbox.credentials.consumer_key,
            "consumer_secret": sandbox.credentials.consumer_secret,
            "access_token": sandbox.credentials.access_token,
            "access_token_secret": sandbox.credentials.access_token_secret,
        },
        "product_id": product_id.as_str(),
        "product_sku": DEMO_PRODUCT_SKU,
    }));
    eprintln!(
        "\nDemo organisation '{DEMO_ORG}': admin API key (shown once)\n  {}\n",
        key.secret
    );
    Ok(Demo { sandbox, orders })
}

/// Once the ledger has the sandbox's products, places an order every [`ORDER_EVERY`]:
/// a registered customer's, a guest's, a configurable's and a coupon order, in turn.
async fn place_orders(services: Services, org_id: Uuid, sandbox_url: String) {
    let orders = [
        json!({"customer_id": 1, "items": [{"sku": "24-MB01", "qty": 1}]}),
        json!({"guest": {"email": "guest@example.com", "firstname": "Gus", "lastname": "Guest"},
               "items": [{"sku": "MUG 11oz/BLK", "qty": 2}]}),
        json!({"items": [{"sku": "HT-TEE", "variant": "HT-TEE-S-Sand", "qty": 1}]}),
        json!({"customer_id": 2, "coupon_code": "SAVE10", "paid": true,
               "items": [{"sku": "24-WB04", "qty": 1}]}),
    ];
    let http = reqwest::Client::new();
    let mut tick = tokio::time::interval(ORDER_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut next = 0;
    loop {
        tick.tick().await;
        match products::product_by_sku(&services.db, org_id, "24-MB01").await {
            Ok(_) => {}
            // Not downloaded yet: orders of unknown products would only wait.
            Err(DomainError::NotFound { .. }) => continue,
            Err(err) => {
                tracing::warn!(%err, "demo orders paused");
                continue;
            }
        }
        let placed = http
            .post(format!("{sandbox_url}/sandbox/orders"))
            .json(&orders[next % orders.len()])
            .send()
            .await;
        next += 1;
        match placed {
            Ok(answer) if answer.status().is_success() => {
                tracing::info!("the demo sandbox placed an order")
            }
            // Out of stock in the sandbox, say: the next one may go through.
            Ok(answer) => tracing::info!(status = %answer.status(), "a demo order was refused"),
            Err(err) => tracing::warn!(%err, "the demo sandbox is not answering"),
        }
    }
}

/// The demo's listable product: everything listing needs (description, image, default
/// location, attribute set, a price and stock), its image in the sandbox's media
/// library. A demo database outlives its sandbox, whose port changes with every run, so
/// a product from an earlier run gets the new image URL.
async fn listable_product(
    services: &Services,
    org_id: Uuid,
    sandbox: &RunningSandbox,
) -> anyhow::Result<Uuid> {
    let db = &services.db;
    let image = sandbox.media_url(MEDIA_LIBRARY[0]);
    match products::product_by_sku(db, org_id, DEMO_PRODUCT_SKU).await {
        Ok(found) => {
            let draft = ProductDraft {
                images: Some(vec![image]),
                ..ProductDraft::default()
            };
            products::update_product(db, org_id, found.product.id, draft).await?;
            Ok(found.product.id)
        }
        Err(DomainError::NotFound { .. }) => {
            let location = reference::default_location(db, org_id).await?;
            let draft = ProductDraft {
                sku: Some(DEMO_PRODUCT_SKU.to_owned()),
                name: Some("Storm Lantern".to_owned()),
                description: Some(Some(
                    "<p>A hurricane lantern that keeps burning through wind and rain.</p>"
                        .to_owned(),
                )),
                category: Some(Some("Gear".to_owned())),
                attribute_set: Some(Some("Gear".to_owned())),
                images: Some(vec![image]),
                default_location_id: Some(Some(location.id)),
                weight: Some(Some(Decimal::new(9, 1))),
                prices: Some(vec![(1, Some(Decimal::new(2450, 2)))]),
                ..ProductDraft::default()
            };
            let created = products::create_product(db, org_id, draft).await?;
            stock::adjust(
                db,
                org_id,
                created.product.id,
                location.id,
                Decimal::from(DEMO_PRODUCT_STOCK),
                "demo stock",
            )
            .await?;
            Ok(created.product.id)
        }
        Err(other) => Err(other.into()),
    }
}
