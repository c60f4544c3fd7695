//! Connecting a Magento store, its settings, mappings and disconnecting.

use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use tests::{Env, Gql, Server, connect_store, finished_job, start_sandbox};

const STORE: &str = r#"
query($id: ID!) {
  store(id: $id) {
    id name baseUrl stockMode consumerKeyLast4 hasConsumerKey hasConsumerSecret hasAccessToken hasAccessTokenSecret
    storeViews { code name } attributeSets { id name } taxRates { code rate } paymentMethods { code title }
    sources { code name } taxClasses { name }
    taxMappingComplete taxFreeTaxRuleId taxRuleMappings { taxRateCode taxRuleId }
    paymentAccountMappings { paymentMethodCode accountCode }
    settings {
      salesStoreScope salesStoreViewCode captureOrderWhen consolidation consolidationTime defaultCustomerId
      useCompanyAsCustomer priceTier salePriceTier fulfilmentMode autoAssemblyMode ignoreRestockForUnfulfilled
      locationId invoiceStatus giftCardLiabilityAccountCode revenueAccountCode salesRepresentative
      listProductsAsDraft updateStockLevels useBufferInventory bufferInventory updateManageStock updateIsInStock
      magentoIsMaster importStockOperations exportShipments sendShipmentEmail skipShipmentWithoutTracking loadCouponCodes
    }
  }
}"#;

const UPDATE: &str = r#"
mutation($id: ID!, $input: StoreSettingsInput!) {
  storeUpdateSettings(storeId: $id, input: $input) {
    settings { bufferInventory useBufferInventory updateStockLevels consolidation consolidationTime priceTier fulfilmentMode ignoreRestockForUnfulfilled }
    userErrors { field message code }
  }
}"#;

async fn connected(env: &Env, label: &str) -> (Server, Gql, sandbox::RunningSandbox, String) {
    let admin = env.api_key("Acme", "admin").await;
    let server = Server::start(env, &[]).await;
    let gql = server.gql(Some(&admin));
    let sandbox = start_sandbox().await;
    let payload = connect_store(&gql, &sandbox, label).await;
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    let job = finished_job(&gql, payload["job"]["id"].as_str().expect("job")).await;
    assert_eq!(job["state"], "SUCCEEDED", "{job}");
    let store_id = payload["store"]["id"]
        .as_str()
        .expect("store id")
        .to_owned();
    (server, gql, sandbox, store_id)
}

async fn store(gql: &Gql, id: &str) -> Value {
    gql.data(STORE, json!({ "id": id })).await["store"].clone()
}

async fn count(env: &Env, sql: &str) -> i64 {
    let db = env.db().await;
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .expect("query")
        .expect("row");
    row.try_get_by_index::<i64>(0).expect("count")
}

#[tokio::test]
async fn connecting_the_sandbox_caches_its_metadata_and_hides_the_secrets() {
    let env = Env::new("connect").await;
    let (_server, gql, sandbox, store_id) = connected(&env, "Main shop").await;
    let s = store(&gql, &store_id).await;
    assert_eq!(s["baseUrl"], sandbox.base_url.trim_end_matches('/'));
    assert_eq!(s["stockMode"], "MSI");
    let key = &sandbox.credentials.consumer_key;
    assert_eq!(s["consumerKeyLast4"], key[key.len() - 4..]);
    for flag in [
        "hasConsumerKey",
        "hasConsumerSecret",
        "hasAccessToken",
        "hasAccessTokenSecret",
    ] {
        assert_eq!(s[flag], true);
    }
    let codes: Vec<&str> = s["storeViews"]
        .as_array()
        .expect("views")
        .iter()
        .filter_map(|v| v["code"].as_str())
        .collect();
    assert!(
        codes.contains(&"default") && !codes.contains(&"admin"),
        "{codes:?}"
    );
    assert!(!s["attributeSets"].as_array().expect("sets").is_empty());
    assert!(!s["taxRates"].as_array().expect("rates").is_empty());
    assert!(!s["sources"].as_array().expect("sources").is_empty());
    let methods: Vec<&str> = s["paymentMethods"]
        .as_array()
        .expect("methods")
        .iter()
        .filter_map(|m| m["code"].as_str())
        .collect();
    assert_eq!(methods, vec!["banktransfer", "checkmo"]);

    // No secret appears anywhere in the store's GraphQL representation or its row.
    let text = s.to_string();
    let c = &sandbox.credentials;
    for secret in [
        &c.consumer_secret,
        &c.access_token,
        &c.access_token_secret,
        &c.consumer_key,
    ] {
        assert!(!text.contains(secret.as_str()));
    }
    let plaintext = count(
        &env,
        &format!(
            "SELECT count(*) FROM magento_stores WHERE position(convert_to('{}', 'UTF8') in consumer_secret_enc) > 0",
            c.consumer_secret
        ),
    )
    .await;
    assert_eq!(
        plaintext, 0,
        "the consumer secret must be encrypted at rest"
    );
}

#[tokio::test]
async fn a_wrong_secret_is_invalid_credentials_and_saves_nothing() {
    let env = Env::new("connect_bad").await;
    let admin = env.api_key("Acme", "admin").await;
    let server = Server::start(&env, &["--no-workers"]).await;
    let gql = server.gql(Some(&admin));
    let mut sandbox = start_sandbox().await;
    sandbox.credentials.consumer_secret = "0123456789abcdef0123456789abcdef".into();
    let payload = connect_store(&gql, &sandbox, "Main shop").await;
    assert!(payload["store"].is_null());
    assert_eq!(
        payload["userErrors"][0]["code"], "INVALID_CREDENTIALS",
        "{payload}"
    );
    assert_eq!(count(&env, "SELECT count(*) FROM magento_stores").await, 0);
    assert_eq!(count(&env, "SELECT count(*) FROM jobs").await, 0);
}

#[tokio::test]
async fn an_unreachable_store_is_store_unreachable_and_saves_nothing() {
    let env = Env::new("connect_down").await;
    let admin = env.api_key("Acme", "admin").await;
    let server = Server::start(&env, &["--no-workers"]).await;
    let gql = server.gql(Some(&admin));
    let mut sandbox = start_sandbox().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    sandbox.base_url = format!("http://127.0.0.1:{port}");
    let payload = connect_store(&gql, &sandbox, "Main shop").await;
    assert_eq!(
        payload["userErrors"][0]["code"], "STORE_UNREACHABLE",
        "{payload}"
    );
    assert_eq!(count(&env, "SELECT count(*) FROM magento_stores").await, 0);
}

#[tokio::test]
async fn a_new_store_has_the_specs_default_settings() {
    let env = Env::new("defaults").await;
    let (_server, gql, _sandbox, store_id) = connected(&env, "Main shop").await;
    let s = &store(&gql, &store_id).await["settings"];
    assert_eq!(s["salesStoreScope"], "DO_NOT_LOAD");
    assert_eq!(s["captureOrderWhen"], "CREATED");
    assert_eq!(s["consolidation"], "NO_CONSOLIDATION");
    assert_eq!(s["priceTier"], 1);
    assert_eq!(s["salePriceTier"], 1);
    assert_eq!(s["fulfilmentMode"], "DRAFT_ORDER");
    assert_eq!(s["invoiceStatus"], "DRAFT");
    assert_eq!(s["locationId"], Value::Null);
    assert_eq!(s["bufferInventory"], 0);
    for off in [
        "listProductsAsDraft",
        "updateStockLevels",
        "useBufferInventory",
        "updateManageStock",
        "updateIsInStock",
        "sendShipmentEmail",
        "magentoIsMaster",
        "ignoreRestockForUnfulfilled",
    ] {
        assert_eq!(s[off], false, "{off} is off by default");
    }
}

#[tokio::test]
async fn invalid_settings_are_refused_naming_the_setting_and_nothing_is_saved() {
    let env = Env::new("settings_bad").await;
    let (_server, gql, _sandbox, store_id) = connected(&env, "Main shop").await;
    let cases = [
        (
            json!({ "bufferInventory": 5 }),
            "bufferInventory",
            "REQUIRES_SETTING",
        ),
        (
            json!({ "useBufferInventory": true }),
            "useBufferInventory",
            "REQUIRES_SETTING",
        ),
        (
            json!({ "updateStockLevels": true, "useBufferInventory": true, "bufferInventory": -1 }),
            "bufferInventory",
            "OUT_OF_RANGE",
        ),
        (
            json!({ "updateStockLevels": true, "useBufferInventory": true, "bufferInventory": "2.5" }),
            "bufferInventory",
            "OUT_OF_RANGE",
        ),
        (
            json!({ "updateStockLevels": true, "useBufferInventory": true, "bufferInventory": "1e9" }),
            "bufferInventory",
            "OUT_OF_RANGE",
        ),
        (
            json!({ "consolidation": "DAILY", "consolidationTime": "18:00" }),
            "defaultCustomerId",
            "REQUIRES_SETTING",
        ),
        (
            json!({ "ignoreRestockForUnfulfilled": true }),
            "ignoreRestockForUnfulfilled",
            "INVALID_COMBINATION",
        ),
        (
            json!({ "salesStoreScope": "STORE_VIEW", "salesStoreViewCode": "nope" }),
            "salesStoreViewCode",
            "NOT_FOUND",
        ),
        (
            json!({ "priceTier": 11, "listProductsAsDraft": true }),
            "priceTier",
            "OUT_OF_RANGE",
        ),
        (
            json!({ "giftCardLiabilityAccountCode": "4000" }),
            "giftCardLiabilityAccountCode",
            "INVALID_COMBINATION",
        ),
    ];
    let before = store(&gql, &store_id).await["settings"].clone();
    for (input, field, code) in cases {
        let result = gql
            .data(UPDATE, json!({ "id": store_id, "input": input }))
            .await["storeUpdateSettings"]
            .clone();
        assert!(result["settings"].is_null(), "{input}: {result}");
        let errors = result["userErrors"].as_array().expect("userErrors");
        assert!(
            errors
                .iter()
                .any(|e| e["field"] == json!(["input", field]) && e["code"] == code),
            "{input} should be refused on {field} with {code}: {errors:?}"
        );
        assert_eq!(
            store(&gql, &store_id).await["settings"],
            before,
            "{input} must save nothing"
        );
    }
}

#[tokio::test]
async fn valid_settings_are_saved_and_a_parent_turned_off_keeps_its_children() {
    let env = Env::new("settings_ok").await;
    let (_server, gql, _sandbox, store_id) = connected(&env, "Main shop").await;
    let customer = gql
        .data(
            "mutation { customerCreate(input: {name: \"Web Sales\"}) { customer { id } } }",
            json!({}),
        )
        .await["customerCreate"]["customer"]["id"]
        .clone();
    let input = json!({
        "updateStockLevels": true, "useBufferInventory": true, "bufferInventory": 3,
        "consolidation": "DAILY", "consolidationTime": "18:30", "defaultCustomerId": customer,
        "fulfilmentMode": "AUTO_PICK_PACK_SHIP", "ignoreRestockForUnfulfilled": true, "priceTier": 4,
        "salesStoreScope": "STORE_VIEW", "salesStoreViewCode": "default",
        "giftCardLiabilityAccountCode": "2300", "revenueAccountCode": "4000",
    });
    let saved = gql
        .data(UPDATE, json!({ "id": store_id, "input": input }))
        .await["storeUpdateSettings"]
        .clone();
    assert_eq!(saved["userErrors"], json!([]), "{saved}");
    assert_eq!(saved["settings"]["bufferInventory"], 3);
    let s = store(&gql, &store_id).await["settings"].clone();
    assert_eq!(s["consolidationTime"], "18:30");
    assert_eq!(s["defaultCustomerId"], customer);
    assert_eq!(s["salesStoreViewCode"], "default");
    assert_eq!(s["giftCardLiabilityAccountCode"], "2300");
    assert_eq!(s["revenueAccountCode"], "4000");

    let off = gql
        .data(
            UPDATE,
            json!({ "id": store_id, "input": { "updateStockLevels": false } }),
        )
        .await;
    let settings = &off["storeUpdateSettings"]["settings"];
    assert_eq!(settings["updateStockLevels"], false);
    assert_eq!(settings["useBufferInventory"], true);
    assert_eq!(settings["bufferInventory"], 3);
}

#[tokio::test]
async fn several_stores_have_independent_settings() {
    let env = Env::new("two_stores").await;
    let (_server, gql, sandbox, first) = connected(&env, "First").await;
    let second = connect_store(&gql, &sandbox, "Second").await["store"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    gql.data(UPDATE, json!({ "id": first, "input": { "priceTier": 7 } }))
        .await;
    assert_eq!(store(&gql, &first).await["settings"]["priceTier"], 7);
    assert_eq!(store(&gql, &second).await["settings"]["priceTier"], 1);
    let stores = gql.data("{ stores { name } }", json!({})).await;
    assert_eq!(stores["stores"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn tax_mapping_is_complete_once_every_rate_and_tax_free_are_mapped() {
    let env = Env::new("tax_map").await;
    let (_server, gql, _sandbox, store_id) = connected(&env, "Main shop").await;
    let s = store(&gql, &store_id).await;
    assert_eq!(s["taxMappingComplete"], false);
    let rule = gql
        .data("mutation { taxRuleCreate(input: {name: \"Sales Tax\", rate: \"8.25\"}) { taxRule { id } } }", json!({}))
        .await["taxRuleCreate"]["taxRule"]["id"]
        .clone();
    let tax_free = gql.data("{ taxRules { id isTaxFree } }", json!({})).await["taxRules"]
        .as_array()
        .expect("rules")
        .iter()
        .find(|r| r["isTaxFree"] == true)
        .expect("a Tax Free rule")["id"]
        .clone();
    let rates: Vec<Value> = s["taxRates"]
        .as_array()
        .expect("rates")
        .iter()
        .map(|r| r["code"].clone())
        .collect();
    const SET: &str = r#"mutation($input: StoreSetTaxRuleMappingsInput!) {
        storeSetTaxRuleMappings(input: $input) { store { taxMappingComplete } userErrors { field code } } }"#;

    let partial = json!({ "storeId": store_id, "mappings": [{ "taxRateCode": rates[0], "taxRuleId": rule }], "taxFreeTaxRuleId": tax_free });
    let r = gql.data(SET, json!({ "input": partial })).await;
    assert_eq!(
        r["storeSetTaxRuleMappings"]["store"]["taxMappingComplete"], false,
        "{r}"
    );

    let all: Vec<Value> = rates
        .iter()
        .map(|code| json!({ "taxRateCode": code, "taxRuleId": rule }))
        .collect();
    let r = gql.data(SET, json!({ "input": { "storeId": store_id, "mappings": all, "taxFreeTaxRuleId": tax_free } })).await;
    assert_eq!(
        r["storeSetTaxRuleMappings"]["store"]["taxMappingComplete"], true,
        "{r}"
    );

    let unknown = json!({ "storeId": store_id, "mappings": [{ "taxRateCode": "XX-NOPE", "taxRuleId": rule }] });
    let r = gql.data(SET, json!({ "input": unknown })).await;
    assert_eq!(
        r["storeSetTaxRuleMappings"]["userErrors"][0]["code"],
        "NOT_FOUND"
    );
    assert_eq!(
        store(&gql, &store_id).await["taxMappingComplete"],
        true,
        "a refused call changes nothing"
    );
}

#[tokio::test]
async fn payment_methods_map_only_to_accounts_that_receive_payments() {
    let env = Env::new("pay_map").await;
    let (_server, gql, _sandbox, store_id) = connected(&env, "Main shop").await;
    const SET: &str = r#"mutation($input: StoreSetPaymentAccountMappingsInput!) {
        storeSetPaymentAccountMappings(input: $input) { store { paymentAccountMappings { paymentMethodCode accountCode } } userErrors { field code } } }"#;
    let wrong = json!({ "storeId": store_id, "mappings": [{ "paymentMethodCode": "checkmo", "accountCode": "4000" }] });
    let r = gql.data(SET, json!({ "input": wrong })).await;
    assert_eq!(
        r["storeSetPaymentAccountMappings"]["userErrors"][0]["code"], "INVALID_COMBINATION",
        "{r}"
    );
    let right = json!({ "storeId": store_id, "mappings": [{ "paymentMethodCode": "checkmo", "accountCode": "1200" }] });
    let r = gql.data(SET, json!({ "input": right })).await;
    assert_eq!(
        r["storeSetPaymentAccountMappings"]["store"]["paymentAccountMappings"],
        json!([{ "paymentMethodCode": "checkmo", "accountCode": "1200" }])
    );
}

#[tokio::test]
async fn disconnecting_removes_the_stores_associations_and_keeps_the_ledger() {
    let env = Env::new("disconnect").await;
    let (_server, gql, _sandbox, store_id) = connected(&env, "Main shop").await;
    gql.data(
        "mutation { customerCreate(input: {name: \"Kept Customer\"}) { customer { id } } }",
        json!({}),
    )
    .await;
    let map = json!({ "storeId": store_id, "mappings": [{ "paymentMethodCode": "checkmo", "accountCode": "1200" }] });
    gql.data(
        "mutation($input: StoreSetPaymentAccountMappingsInput!) { storeSetPaymentAccountMappings(input: $input) { userErrors { code } } }",
        json!({ "input": map }),
    )
    .await;
    let r = gql
        .data("mutation($id: ID!) { storeDisconnect(storeId: $id) { disconnectedStoreId userErrors { code } } }", json!({ "id": store_id }))
        .await;
    assert_eq!(r["storeDisconnect"]["disconnectedStoreId"], json!(store_id));
    assert!(store(&gql, &store_id).await.is_null());
    for table in [
        "magento_stores",
        "magento_settings",
        "payment_account_mappings",
        "tax_rule_mappings",
    ] {
        assert_eq!(
            count(&env, &format!("SELECT count(*) FROM {table}")).await,
            0,
            "{table}"
        );
    }
    let customers = gql
        .data("{ customers { nodes { name } } }", json!({}))
        .await;
    assert_eq!(customers["customers"]["nodes"][0]["name"], "Kept Customer");
    assert_eq!(count(&env, "SELECT count(*) FROM locations").await, 1);
}

#[tokio::test]
async fn a_base_url_that_is_not_a_shop_url_is_refused_naming_it() {
    let env = Env::new("bad_url").await;
    let admin = env.api_key("Acme", "admin").await;
    let server = Server::start(&env, &["--no-workers"]).await;
    let gql = server.gql(Some(&admin));
    let mut sandbox = start_sandbox().await;
    for bad in [
        "ftp://shop.example.com",
        "not a url",
        "https://shop.example.com/?x=1",
    ] {
        sandbox.base_url = bad.to_owned();
        let payload = connect_store(&gql, &sandbox, "Main shop").await;
        let errors = payload["userErrors"].as_array().expect("userErrors");
        assert!(
            errors
                .iter()
                .any(|e| e["field"] == json!(["input", "baseUrl"]) && e["code"] == "INVALID"),
            "{bad}: {errors:?}"
        );
    }
    assert_eq!(count(&env, "SELECT count(*) FROM magento_stores").await, 0);
}

#[tokio::test]
async fn a_store_without_msi_is_refreshed_into_legacy_stock_mode() {
    let env = Env::new("legacy").await;
    let admin = env.api_key("Acme", "admin").await;
    let server = Server::start(&env, &[]).await;
    let gql = server.gql(Some(&admin));
    let options = sandbox::SandboxOptions {
        msi: false,
        ..Default::default()
    };
    let legacy = sandbox::start(([127, 0, 0, 1], 0).into(), options)
        .await
        .expect("sandbox");
    let payload = connect_store(&gql, &legacy, "Legacy shop").await;
    let store_id = payload["store"]["id"].as_str().expect("store").to_owned();
    finished_job(&gql, payload["job"]["id"].as_str().expect("job")).await;

    let refreshed = gql
        .data(
            "mutation($id: ID!) { storeRefreshMetadata(storeId: $id) { job { id kind } userErrors { code } } }",
            json!({ "id": store_id }),
        )
        .await;
    let job_id = refreshed["storeRefreshMetadata"]["job"]["id"]
        .as_str()
        .expect("a new job")
        .to_owned();
    assert_ne!(json!(job_id), payload["job"]["id"]);
    assert_eq!(finished_job(&gql, &job_id).await["state"], "SUCCEEDED");
    let s = store(&gql, &store_id).await;
    assert_eq!(s["stockMode"], "LEGACY");
    assert_eq!(s["sources"], json!([]));
}

#[tokio::test]
async fn a_new_default_location_replaces_the_old_one_and_names_are_unique() {
    let env = Env::new("locations").await;
    let admin = env.api_key("Acme", "admin").await;
    let server = Server::start(&env, &["--no-workers"]).await;
    let gql = server.gql(Some(&admin));
    const CREATE: &str = r#"mutation($input: LocationCreateInput!) {
        locationCreate(input: $input) { location { name isDefault } userErrors { field code } } }"#;
    let created = gql
        .data(
            CREATE,
            json!({ "input": { "name": "Outlet", "isDefault": true } }),
        )
        .await;
    assert_eq!(created["locationCreate"]["location"]["isDefault"], true);
    let locations = gql
        .data("{ locations { name isDefault } }", json!({}))
        .await;
    let defaults: Vec<&Value> = locations["locations"]
        .as_array()
        .expect("list")
        .iter()
        .filter(|l| l["isDefault"] == true)
        .collect();
    assert_eq!(defaults.len(), 1, "{locations}");
    assert_eq!(defaults[0]["name"], "Outlet");

    let again = gql
        .data(CREATE, json!({ "input": { "name": "Outlet" } }))
        .await;
    assert_eq!(
        again["locationCreate"]["userErrors"][0]["code"],
        "ALREADY_EXISTS"
    );
    assert_eq!(
        again["locationCreate"]["userErrors"][0]["field"],
        json!(["input", "name"])
    );
}
