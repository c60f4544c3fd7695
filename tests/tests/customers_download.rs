//! Download → Customers against the sandbox: the mapped fields arrive, a second run
//! updates in place, an email already in the ledger is matched, a store that stops
//! answering is retried, and who may start it.

use serde_json::{Value, json};
use tests::{Env, Gql, Server, connect_store, finished_job, graphql::error_code, start_sandbox};

const DOWNLOAD: &str = r#"
mutation($store: ID!) {
  customersDownload(storeId: $store) {
    job { id kind state }
    userErrors { field message code }
  }
}"#;

const CUSTOMERS: &str = r#"
query {
  customers(first: 100) {
    nodes {
      id name email phone updatedAt
      contacts { name email phone isDefault }
      billingAddress { company line1 line2 city region postcode country }
      shippingAddress { company line1 line2 city region postcode country }
      businessAddress { company line1 line2 city region postcode country }
      externalIds { source externalId }
    }
  }
}"#;

struct Shop {
    _env: Env,
    _server: Server,
    sandbox: sandbox::RunningSandbox,
    operator: Gql,
    store_id: String,
}

async fn shop(label: &str) -> Shop {
    let env = Env::new(label).await;
    let admin = env.api_key("Acme", "admin").await;
    let operator = env.api_key("Acme", "operator").await;
    let server = Server::start(&env, &[]).await;
    let sandbox = start_sandbox().await;
    let payload = connect_store(&server.gql(Some(&admin)), &sandbox, "Main shop").await;
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    let store_id = payload["store"]["id"]
        .as_str()
        .expect("store id")
        .to_owned();
    let operator = server.gql(Some(&operator));
    Shop {
        _env: env,
        _server: server,
        sandbox,
        operator,
        store_id,
    }
}

impl Shop {
    /// A customer created in Magento (the sandbox's control API).
    async fn add_customer(&self, customer: Value) {
        let response = reqwest::Client::new()
            .post(format!("{}/sandbox/customers", self.sandbox.base_url))
            .json(&customer)
            .send()
            .await
            .expect("sandbox answers");
        assert!(response.status().is_success(), "{response:?}");
    }
}

/// Runs a download to its end; returns the finished job.
async fn download(shop: &Shop) -> Value {
    let payload = shop
        .operator
        .data(DOWNLOAD, json!({ "store": shop.store_id }))
        .await["customersDownload"]
        .clone();
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    assert_eq!(payload["job"]["kind"], "CUSTOMERS_DOWNLOAD");
    finished_job(
        &shop.operator,
        payload["job"]["id"].as_str().expect("job id"),
    )
    .await
}

async fn customers(gql: &Gql) -> Vec<Value> {
    let mut nodes = gql.data(CUSTOMERS, json!({})).await["customers"]["nodes"]
        .as_array()
        .expect("nodes")
        .clone();
    nodes.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    nodes
}

fn named<'a>(all: &'a [Value], name: &str) -> &'a Value {
    all.iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no customer {name} in {all:?}"))
}

fn ids(all: &[Value]) -> Vec<Value> {
    all.iter().map(|c| c["id"].clone()).collect()
}

#[tokio::test]
async fn the_seeded_customers_arrive_with_their_mapped_details() {
    let shop = shop("customers_seeded").await;
    let job = download(&shop).await;
    assert_eq!(job["state"], "SUCCEEDED", "{job}");
    assert_eq!(job["totalCount"], 2);
    assert_eq!(job["processedCount"], 2);
    assert_eq!(job["phase"], "done");
    let keys: Vec<&Value> = job["results"]["nodes"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| &r["key"])
        .collect();
    assert_eq!(
        keys,
        [
            &json!("marta.lindqvist@example.net"),
            &json!("theo.marchand@example.org")
        ]
    );

    let all = customers(&shop.operator).await;
    assert_eq!(all.len(), 2, "{all:?}");
    let marta = named(&all, "Marta Lindqvist");
    assert_eq!(marta["email"], "marta.lindqvist@example.net");
    assert_eq!(
        marta["phone"], "(555) 014-2231",
        "the default billing telephone"
    );
    assert_eq!(
        marta["contacts"],
        json!([{ "name": "Marta Lindqvist", "email": "marta.lindqvist@example.net",
                 "phone": "(555) 014-2231", "isDefault": true }])
    );
    let portland = json!({ "company": null, "line1": "1820 Alder Row", "line2": "Suite 4",
        "city": "Portland", "region": "Oregon", "postcode": "97205", "country": "US" });
    assert_eq!(marta["billingAddress"], portland);
    assert_eq!(marta["businessAddress"], portland, "business = billing");
    assert_eq!(
        marta["shippingAddress"],
        json!({ "company": null, "line1": "77 Pier Lane", "line2": null, "city": "Seattle",
                "region": "Washington", "postcode": "98101", "country": "US" })
    );
    let links = marta["externalIds"].as_array().expect("external ids");
    assert_eq!(links.len(), 1, "{links:?}");
    assert!(
        links[0]["source"]
            .as_str()
            .is_some_and(|s| s.starts_with("magento:")),
        "{links:?}"
    );
    assert_eq!(links[0]["externalId"], "1");

    let theo = named(&all, "Théo Marchand");
    assert_eq!(theo["email"], "theo.marchand@example.org");
    assert_eq!(theo["phone"], "+33 5 55 01 23 45");
    let lyon = json!({ "company": null, "line1": "14 rue des Tanneurs", "line2": null,
        "city": "Lyon", "region": null, "postcode": "69002", "country": "FR" });
    assert_eq!(theo["billingAddress"], lyon);
    assert_eq!(theo["shippingAddress"], lyon);
    assert_eq!(theo["businessAddress"], lyon);
}

#[tokio::test]
async fn running_it_twice_leaves_the_same_customers() {
    let shop = shop("customers_twice").await;
    assert_eq!(download(&shop).await["state"], "SUCCEEDED");
    let first = customers(&shop.operator).await;
    assert_eq!(download(&shop).await["state"], "SUCCEEDED");
    let second = customers(&shop.operator).await;
    assert_eq!(second.len(), 2);
    assert_eq!(ids(&first), ids(&second));
    assert_eq!(first, second, "nothing changed, not even updatedAt");
}

#[tokio::test]
async fn a_customer_whose_email_is_in_the_ledger_is_updated_not_duplicated() {
    let shop = shop("customers_by_email").await;
    let created = shop
        .operator
        .data(
            "mutation($input: CustomerCreateInput!) { customerCreate(input: $input) {
                customer { id } userErrors { field message code } } }",
            json!({ "input": {
                "name": "Lindqvist Ceramics (old)", "email": "MARTA.LINDQVIST@example.net",
                "phone": "000", "priceTier": 3,
            }}),
        )
        .await["customerCreate"]
        .clone();
    assert_eq!(created["userErrors"], json!([]), "{created}");
    let existing_id = created["customer"]["id"].clone();

    assert_eq!(download(&shop).await["state"], "SUCCEEDED");
    let all = customers(&shop.operator).await;
    assert_eq!(all.len(), 2, "matched, not duplicated: {all:?}");
    let marta = named(&all, "Marta Lindqvist");
    assert_eq!(marta["id"], existing_id);
    assert_eq!(marta["email"], "marta.lindqvist@example.net");
    assert_eq!(marta["phone"], "(555) 014-2231");
    assert_eq!(marta["billingAddress"]["city"], "Portland");

    let price_tier = shop
        .operator
        .data(
            "query($id: ID!) { customer(id: $id) { priceTier } }",
            json!({ "id": existing_id }),
        )
        .await;
    assert_eq!(
        price_tier["customer"]["priceTier"], 3,
        "fields outside the mapping stay"
    );
}

#[tokio::test]
async fn a_customer_added_in_magento_arrives_on_the_next_run() {
    let shop = shop("customers_added").await;
    assert_eq!(download(&shop).await["state"], "SUCCEEDED");
    let before = customers(&shop.operator).await;

    shop.add_customer(json!({
        "email": "june.okafor@example.com", "firstname": "June", "lastname": "Okafor",
        "address": { "street": ["5 Harbour Road", "Flat 2"], "city": "Austin",
                     "region_code": "TX", "postcode": "73301", "telephone": "555-0101" },
    }))
    .await;

    let job = download(&shop).await;
    assert_eq!(job["state"], "SUCCEEDED", "{job}");
    assert_eq!(job["totalCount"], 3);
    let after = customers(&shop.operator).await;
    assert_eq!(after.len(), 3);
    let june = named(&after, "June Okafor");
    assert_eq!(june["email"], "june.okafor@example.com");
    assert_eq!(june["phone"], "555-0101");
    assert_eq!(
        june["billingAddress"],
        json!({ "company": null, "line1": "5 Harbour Road", "line2": "Flat 2", "city": "Austin",
                "region": "Texas", "postcode": "73301", "country": "US" })
    );
    for old in &before {
        assert!(after.iter().any(|c| c["id"] == old["id"]), "{old} kept");
    }
}

#[tokio::test]
async fn more_customers_than_one_page_all_arrive_once() {
    let shop = shop("customers_pages").await;
    // Two seeded plus 310: two pages of 300.
    for n in 0..310 {
        shop.add_customer(json!({
            "email": format!("buyer{n}@example.com"),
            "firstname": "Buyer", "lastname": format!("No {n}"),
        }))
        .await;
    }

    let job = download(&shop).await;

    assert_eq!(job["state"], "SUCCEEDED", "{job}");
    assert_eq!(job["totalCount"], 312);
    assert_eq!(job["processedCount"], 312);
    let again = download(&shop).await;
    assert_eq!(again["processedCount"], 312, "{again}");
    let mut emails = std::collections::HashSet::new();
    let mut after = Value::Null;
    loop {
        let page = shop
            .operator
            .data(
                "query($after: String) { customers(first: 100, after: $after) { \
                   pageInfo { hasNextPage endCursor } nodes { email } } }",
                json!({ "after": after }),
            )
            .await["customers"]
            .clone();
        for node in page["nodes"].as_array().expect("nodes") {
            assert!(emails.insert(node["email"].clone()), "{node} twice");
        }
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(
        emails.len(),
        312,
        "each customer once, also after a second run"
    );
}

#[tokio::test]
async fn a_store_that_stops_answering_is_retried_by_the_job() {
    let shop = shop("customers_retry").await;
    // More failures than one attempt's client retries: the job itself must retry.
    let response = reqwest::Client::new()
        .post(format!("{}/sandbox/faults", shop.sandbox.base_url))
        .json(
            &json!({ "endpoint": "customers/search", "kind": "status", "status": 503, "count": 5 }),
        )
        .send()
        .await
        .expect("sandbox answers");
    assert!(response.status().is_success(), "{response:?}");

    let job = download(&shop).await;
    assert_eq!(job["state"], "SUCCEEDED", "{job}");
    assert_eq!(job["attempts"], 2, "{job}");
    assert_eq!(customers(&shop.operator).await.len(), 2);
}

#[tokio::test]
async fn a_viewer_may_not_download_and_an_unknown_store_is_not_found() {
    let shop = shop("customers_auth").await;
    let viewer = shop._env.api_key("Acme", "viewer").await;
    let body = shop
        ._server
        .gql(Some(&viewer))
        .raw(DOWNLOAD, json!({ "store": shop.store_id }))
        .await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");

    let unknown = shop
        .operator
        .data(
            DOWNLOAD,
            json!({ "store": "U3RvcmU6MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAw" }),
        )
        .await["customersDownload"]
        .clone();
    assert_eq!(unknown["job"], Value::Null);
    assert_eq!(unknown["userErrors"][0]["code"], "NOT_FOUND", "{unknown}");
    assert_eq!(unknown["userErrors"][0]["field"], json!(["storeId"]));
}

#[tokio::test]
async fn a_customer_whose_address_has_no_street_arrives_with_just_name_and_contact() {
    let shop = shop("customers_no_street").await;
    let response = reqwest::Client::new()
        .post(format!("{}/sandbox/customers", shop.sandbox.base_url))
        .json(&json!({
            "email": "kai.berg@example.com", "firstname": "Kai", "lastname": "Berg",
            "address": { "street": [], "telephone": "555-0199" },
        }))
        .send()
        .await
        .expect("sandbox answers");
    assert!(response.status().is_success(), "{response:?}");

    let job = download(&shop).await;
    assert_eq!(job["state"], "PARTIALLY_SUCCEEDED", "{job}");
    assert_eq!(job["failedCount"], 1);
    let failed: Vec<&Value> = job["results"]["nodes"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["outcome"] == "FAILED")
        .collect();
    assert_eq!(failed.len(), 1, "{job}");
    assert_eq!(failed[0]["key"], "kai.berg@example.com");
    assert_eq!(failed[0]["errorCode"], "ADDRESS_UNUSABLE");

    let all = customers(&shop.operator).await;
    assert_eq!(all.len(), 3, "the others arrive too");
    let kai = named(&all, "Kai Berg");
    assert_eq!(
        kai["contacts"],
        json!([{ "name": "Kai Berg", "email": "kai.berg@example.com", "phone": "555-0199",
                 "isDefault": true }])
    );
    assert_eq!(kai["billingAddress"], Value::Null);
    assert_eq!(kai["shippingAddress"], Value::Null);
    assert_eq!(kai["businessAddress"], Value::Null);
}

#[tokio::test]
async fn a_customer_without_any_address_arrives_with_name_and_email_only() {
    let shop = shop("customers_no_address").await;
    let response = reqwest::Client::new()
        .post(format!("{}/sandbox/customers", shop.sandbox.base_url))
        .json(&json!({
            "email": "noor.haddad@example.com", "firstname": "Noor", "lastname": "Haddad",
            "without_address": true,
        }))
        .send()
        .await
        .expect("sandbox answers");
    assert!(response.status().is_success(), "{response:?}");

    let job = download(&shop).await;
    assert_eq!(job["state"], "SUCCEEDED", "{job}");
    let all = customers(&shop.operator).await;
    let noor = named(&all, "Noor Haddad");
    assert_eq!(
        noor["contacts"],
        json!([{ "name": "Noor Haddad", "email": "noor.haddad@example.com", "phone": null,
                 "isDefault": true }])
    );
    assert_eq!(noor["billingAddress"], Value::Null);
    assert_eq!(noor["shippingAddress"], Value::Null);
}
