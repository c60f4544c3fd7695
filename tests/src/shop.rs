//! A connected shop for catalogue tests: a server, a sandbox store connected to it, a
//! location, an image server for product images, and helpers to create listable
//! products, list them and look at what arrived in Magento.

use rust_decimal::Decimal;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use magento::search::SearchCriteria;
use magento::{ClientOptions, MagentoClient};

use crate::{Env, Gql, Server, connect_store, finished_job, start_sandbox};

pub const LIST: &str = r#"
mutation($input: ListingInput!) {
  listingList(input: $input) {
    listing { status magentoProductId magentoParentId magentoSku attributeSet stockSync
              productBufferEnabled productBuffer lastPushedQuantity product { id sku } }
    userErrors { field message code }
  }
}"#;

pub const UPDATE: &str = r#"
mutation($input: ListingInput!) {
  listingUpdate(input: $input) {
    listing { status magentoProductId lastPushedQuantity }
    userErrors { field message code }
  }
}"#;

pub const SAVE_SETTINGS: &str = r#"
mutation($input: ListingSettingsInput!) {
  listingSaveSettings(input: $input) {
    listing { status stockSync productBufferEnabled productBuffer buffer syncQuantity
              lastPushedQuantity product { id sku } }
    userErrors { field message code }
  }
}"#;

/// The smallest PNG: what the image server answers for every path.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

/// A web server for product images (Magento's REST API takes images only as content,
/// so listing reads them from the product's image URLs). Answers the PNG to any GET.
pub async fn image_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = socket.read(&mut request).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    PNG.len()
                );
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(PNG).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    format!("http://{address}")
}

pub struct Shop {
    pub env: Env,
    pub server: Server,
    pub sandbox: sandbox::RunningSandbox,
    /// An operator's key.
    pub gql: Gql,
    /// An admin's key (settings, stores).
    pub admin: Gql,
    pub store: String,
    pub location: String,
    /// The base URL of the image server.
    pub images: String,
    /// A client of the store, to look at what arrived in Magento.
    pub magento: MagentoClient,
}

pub async fn shop(label: &str) -> Shop {
    shop_with(label, &[], &[]).await
}

/// A shop whose server runs with these environment variables set.
pub async fn shop_with_env(label: &str, vars: &[(&str, &str)]) -> Shop {
    shop_with(label, &[], vars).await
}

/// A shop whose API serves without workers (`serve --no-workers`): jobs wait until a
/// [`crate::WorkerProcess`] starts.
pub async fn shop_without_workers(label: &str) -> Shop {
    shop_with(label, &["--no-workers"], &[]).await
}

async fn shop_with(label: &str, serve_args: &[&str], vars: &[(&str, &str)]) -> Shop {
    let env = Env::new(label).await;
    let admin = env.api_key("Acme", "admin").await;
    let operator = env.api_key("Acme", "operator").await;
    let server = Server::start_with(&env, serve_args, vars).await;
    let sandbox = start_sandbox().await;
    let connected = connect_store(&server.gql(Some(&admin)), &sandbox, "Main shop").await;
    assert_eq!(connected["userErrors"], json!([]), "{connected}");
    // Without workers in the server, one runs just for the store's metadata job.
    let metadata_worker = if serve_args.contains(&"--no-workers") {
        Some(crate::WorkerProcess::start(&env, &[]).await)
    } else {
        None
    };
    let job = finished_job(
        &server.gql(Some(&admin)),
        connected["job"]["id"].as_str().expect("job"),
    )
    .await;
    assert_eq!(job["state"], "SUCCEEDED", "{job}");
    drop(metadata_worker);
    let gql = server.gql(Some(&operator));
    let location = gql.data("{ locations { id } }", json!({})).await["locations"][0]["id"]
        .as_str()
        .expect("location")
        .to_owned();
    let magento = MagentoClient::new(
        &sandbox.base_url,
        sandbox.credentials.clone(),
        ClientOptions::default(),
    )
    .expect("client");
    Shop {
        admin: server.gql(Some(&admin)),
        env,
        server,
        sandbox,
        gql,
        store: connected["store"]["id"].as_str().expect("store").to_owned(),
        location,
        images: image_server().await,
        magento,
    }
}

impl Shop {
    /// A product with everything listing needs, plus `extra` fields.
    pub async fn product(&self, sku: &str, extra: Value) -> String {
        let mut input = json!({
            "sku": sku,
            "name": format!("Product {sku}"),
            "description": "<p>Sturdy and plain.</p>",
            "images": [format!("{}/img/{}.png", self.images, sku.to_lowercase())],
            "defaultLocationId": self.location,
            "attributeSet": "Gear",
        });
        for (key, value) in extra.as_object().into_iter().flatten() {
            input[key] = value.clone();
        }
        let created = self
            .gql
            .data(
                "mutation($input: ProductCreateInput!) { productCreate(input: $input) {
                    product { id } userErrors { field message code } } }",
                json!({ "input": input }),
            )
            .await;
        assert_eq!(
            created["productCreate"]["userErrors"],
            json!([]),
            "{created}"
        );
        created["productCreate"]["product"]["id"]
            .as_str()
            .expect("id")
            .to_owned()
    }

    pub async fn list(&self, product: &str, extra: Value) -> Value {
        let mut input = json!({ "storeId": self.store, "productId": product });
        for (key, value) in extra.as_object().into_iter().flatten() {
            input[key] = value.clone();
        }
        self.gql.data(LIST, json!({ "input": input })).await["listingList"].clone()
    }

    pub async fn listed(&self, product: &str, extra: Value) -> Value {
        let payload = self.list(product, extra).await;
        assert_eq!(payload["userErrors"], json!([]), "{payload}");
        payload["listing"].clone()
    }

    /// `listingSaveSettings` for `product` with `extra` fields; returns the payload.
    pub async fn save_settings(&self, product: &str, extra: Value) -> Value {
        let mut input = json!({ "storeId": self.store, "productId": product });
        for (key, value) in extra.as_object().into_iter().flatten() {
            input[key] = value.clone();
        }
        self.gql
            .data(SAVE_SETTINGS, json!({ "input": input }))
            .await["listingSaveSettings"]
            .clone()
    }

    /// How many REST requests the sandbox has served (`GET /sandbox/stats`).
    pub async fn sandbox_requests(&self) -> u64 {
        let stats: Value = reqwest::get(format!("{}/sandbox/stats", self.sandbox.base_url))
            .await
            .expect("sandbox stats")
            .json()
            .await
            .expect("json");
        stats["requests"].as_u64().expect("a request count")
    }

    /// Runs "Download → Products" to its end; returns the finished job.
    pub async fn download_products(&self) -> Value {
        let started = self
            .gql
            .data(
                "mutation($store: ID!) { catalogDownloadProducts(storeId: $store) {
                    job { id } userErrors { field message code } } }",
                json!({ "store": self.store }),
            )
            .await["catalogDownloadProducts"]
            .clone();
        assert_eq!(started["userErrors"], json!([]), "{started}");
        finished_job(&self.gql, started["job"]["id"].as_str().expect("job")).await
    }

    /// The ID of the ledger product with this SKU.
    pub async fn product_id(&self, sku: &str) -> String {
        let found = self
            .gql
            .data(
                "query($sku: String!) { product(sku: $sku) { id } }",
                json!({ "sku": sku }),
            )
            .await;
        found["product"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no product {sku}: {found}"))
            .to_owned()
    }

    pub async fn update(&self, product: &str) -> Value {
        self.gql
            .data(
                UPDATE,
                json!({ "input": { "storeId": self.store, "productId": product } }),
            )
            .await["listingUpdate"]
            .clone()
    }

    pub async fn edit(&self, product: &str, changes: Value) {
        let mut input = changes;
        input["id"] = json!(product);
        let updated = self
            .gql
            .data(
                "mutation($input: ProductUpdateInput!) { productUpdate(input: $input) {
                    userErrors { field message code } } }",
                json!({ "input": input }),
            )
            .await;
        assert_eq!(
            updated["productUpdate"]["userErrors"],
            json!([]),
            "{updated}"
        );
    }

    pub async fn adjust(&self, product: &str, quantity: &str) {
        let adjusted = self
            .gql
            .data(
                "mutation($input: StockAdjustInput!) { stockAdjust(input: $input) { userErrors { code } } }",
                json!({ "input": { "productId": product, "locationId": self.location,
                                   "quantity": quantity, "reason": "count" } }),
            )
            .await;
        assert_eq!(
            adjusted["stockAdjust"]["userErrors"],
            json!([]),
            "{adjusted}"
        );
    }

    pub async fn settings(&self, input: Value) {
        let updated = self
            .admin
            .data(
                "mutation($id: ID!, $input: StoreSettingsInput!) { storeUpdateSettings(storeId: $id, input: $input) { userErrors { field message } } }",
                json!({ "id": self.store, "input": input }),
            )
            .await;
        assert_eq!(
            updated["storeUpdateSettings"]["userErrors"],
            json!([]),
            "{updated}"
        );
    }

    pub async fn in_magento(&self, sku: &str) -> magento::dto::Product {
        self.magento
            .product(sku)
            .await
            .expect("the product in Magento")
    }

    pub async fn quantity_in_magento(&self, sku: &str) -> Decimal {
        let items = self
            .magento
            .source_items(SearchCriteria::new().filter("sku", sku, "eq"))
            .await
            .expect("source items");
        items
            .iter()
            .find(|i| i.source_code == "default")
            .map(|i| i.quantity)
            .expect("a default source item")
    }
}

impl Shop {
    /// Another sandbox connected as a second store of the same organisation; returns its
    /// id and the sandbox (kept alive by the caller).
    pub async fn second_store(&self, name: &str) -> (String, sandbox::RunningSandbox) {
        let sandbox = start_sandbox().await;
        let connected = connect_store(&self.admin, &sandbox, name).await;
        assert_eq!(connected["userErrors"], json!([]), "{connected}");
        finished_job(&self.admin, connected["job"]["id"].as_str().expect("job")).await;
        let id = connected["store"]["id"].as_str().expect("store").to_owned();
        (id, sandbox)
    }
}
