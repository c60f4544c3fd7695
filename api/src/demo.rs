//! `serve --demo`: a demo organisation with an admin key, the Magento sandbox running
//! in-process, the sandbox connected as a store, and a ledger product the store does
//! not have yet, ready to list — the whole flow in one command, with no internet: the
//! product's image is one the sandbox serves itself.

use rust_decimal::Decimal;
use uuid::Uuid;

use domain::auth::{self, Principal, Role};
use domain::channel::magento::stores::{self, ConnectInput};
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

pub async fn start(services: &Services) -> anyhow::Result<RunningSandbox> {
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
    Ok(sandbox)
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
