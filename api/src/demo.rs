//! `serve --demo`: a demo organisation with an admin key, the Magento sandbox running
//! in-process, and the sandbox connected as a store — the whole flow in one command.

use domain::Services;
use domain::auth::{self, Principal, Role};
use domain::stores::{self, ConnectInput};
use sandbox::{RunningSandbox, SandboxOptions};

use crate::runtime::announce;

pub const DEMO_ORG: &str = "Demo";
pub const DEMO_STORE: &str = "Demo Sandbox";

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
    let store_id = crate::graphql::ids::encode("Store", store.id);
    let job_id = crate::graphql::ids::encode("Job", job.id);
    announce(serde_json::json!({
        "event": "demo_ready",
        "organization": DEMO_ORG,
        "api_key": key.secret,
        "store_id": store_id.as_str(),
        "metadata_job_id": job_id.as_str(),
        "sandbox_url": sandbox.base_url,
    }));
    eprintln!(
        "\nDemo organisation '{DEMO_ORG}': admin API key (shown once)\n  {}\n",
        key.secret
    );
    Ok(sandbox)
}
