//! A sale through GraphQL from draft to credit note, as an operator drives it.

use serde_json::{Value, json};
use tests::{Env, Gql, Server};

const SALE_FIELDS: &str =
    "id number status orderStatus customer { name } total subtotal chargesTotal taxTotal
    lines { id sku quantity total product { sku } }
    fulfilments { number pickStatus packStatus shipStatus carrierName trackingNumbers }
    invoices { number status dueDate total paid outstanding payments { amount } }
    creditNotes { id number status total restocks { quantity } refunds { amount } }";

struct Desk {
    gql: Gql,
    _server: Server,
    _env: Env,
}

async fn desk(label: &str) -> Desk {
    let env = Env::new(label).await;
    let key = env.api_key("Acme", "operator").await;
    let server = Server::start(&env, &["--no-workers"]).await;
    let gql = server.gql(Some(&key));
    Desk {
        gql,
        _server: server,
        _env: env,
    }
}

impl Desk {
    async fn id_of(&self, query: &str, variables: Value, path: &[&str]) -> String {
        let mut value = self.gql.data(query, variables).await;
        for key in path {
            value = value[*key].clone();
        }
        value
            .as_str()
            .unwrap_or_else(|| panic!("no id at {path:?}"))
            .to_owned()
    }

    async fn customer(&self, name: &str) -> String {
        self.id_of(
            "mutation($name: String!) { customerCreate(input: { name: $name }) { customer { id } } }",
            json!({ "name": name }),
            &["customerCreate", "customer", "id"],
        )
        .await
    }

    async fn product(&self, sku: &str, name: &str) -> String {
        self.id_of(
            "mutation($sku: String!, $name: String!) { productCreate(input: { sku: $sku, name: $name }) { product { id } } }",
            json!({ "sku": sku, "name": name }),
            &["productCreate", "product", "id"],
        )
        .await
    }

    /// The organisation's first location (a new one has its default).
    async fn location(&self) -> String {
        let locations = self.gql.data("{ locations { id } }", json!({})).await;
        locations["locations"][0]["id"]
            .as_str()
            .expect("location")
            .to_owned()
    }

    async fn step(&self, mutation: &str, variables: Value) -> Value {
        let query = format!(
            "mutation($saleId: ID!) {{ {mutation}(saleId: $saleId) {{ sale {{ {SALE_FIELDS} }} userErrors {{ field message code }} }} }}"
        );
        self.gql.data(&query, variables).await[mutation].clone()
    }

    async fn mutate(&self, mutation: &str, input_type: &str, input: Value) -> Value {
        let query = format!(
            "mutation($input: {input_type}!) {{ {mutation}(input: $input) {{ sale {{ {SALE_FIELDS} }} userErrors {{ field message code }} }} }}"
        );
        self.gql.data(&query, json!({ "input": input })).await[mutation].clone()
    }
}

#[tokio::test]
async fn a_sale_goes_from_draft_through_pick_pack_ship_invoice_payment_and_credit_note() {
    let d = desk("sale_flow").await;
    let customer = d.customer("Jane Doe").await;
    let location = d.location().await;
    let product = d.product("TEE", "Tee").await;
    d.gql
        .data(
            "mutation($input: StockAdjustInput!) { stockAdjust(input: $input) { userErrors { code } } }",
            json!({ "input": { "productId": product, "locationId": location, "quantity": "10", "reason": "count" } }),
        )
        .await;

    let created = d
        .mutate(
            "saleCreate",
            "SaleCreateInput",
            json!({
                "customerId": customer, "locationId": location,
                "lines": [{ "productId": product, "quantity": "3", "price": "20" }],
                "charges": [{ "kind": "SHIPPING", "description": "Flat rate", "amount": "5" }]
            }),
        )
        .await;
    assert_eq!(created["userErrors"], json!([]), "{created}");
    let sale = created["sale"]["id"].as_str().expect("sale id").to_owned();
    assert_eq!(created["sale"]["orderStatus"], "DRAFT");
    assert_eq!(created["sale"]["total"], "65");
    assert_eq!(created["sale"]["customer"]["name"], "Jane Doe");

    let early = d
        .mutate(
            "saleShip",
            "SaleShipInput",
            json!({ "saleId": sale, "carrierName": "UPS" }),
        )
        .await;
    assert_eq!(
        early["userErrors"][0]["code"], "INVALID_COMBINATION",
        "ship before pack: {early}"
    );

    for step in ["saleAuthorise", "salePick", "salePack"] {
        let done = d.step(step, json!({ "saleId": sale })).await;
        assert_eq!(done["userErrors"], json!([]), "{step}: {done}");
    }
    let shipped = d
        .mutate(
            "saleShip",
            "SaleShipInput",
            json!({ "saleId": sale, "carrierName": "UPS", "trackingNumbers": ["1Z999AA10123456784"] }),
        )
        .await;
    assert_eq!(
        shipped["sale"]["fulfilments"],
        json!([{ "number": 1, "pickStatus": "AUTHORISED", "packStatus": "AUTHORISED", "shipStatus": "AUTHORISED",
                  "carrierName": "UPS", "trackingNumbers": ["1Z999AA10123456784"] }])
    );

    d.step("saleInvoiceCreate", json!({ "saleId": sale })).await;
    let invoiced = d
        .step("saleInvoiceAuthorise", json!({ "saleId": sale }))
        .await;
    assert_eq!(invoiced["sale"]["invoices"][0]["status"], "AUTHORISED");
    let accounts = d.gql.data("{ accounts { id code } }", json!({})).await;
    let bank = accounts["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .find(|a| a["code"] == "1200")
        .expect("bank account")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let paid = d
        .mutate(
            "salePaymentAdd",
            "SalePaymentInput",
            json!({ "saleId": sale, "accountId": bank, "amount": "65" }),
        )
        .await;
    assert_eq!(paid["sale"]["invoices"][0]["status"], "PAID", "{paid}");
    assert_eq!(paid["sale"]["status"], "COMPLETED", "shipped and paid");

    let line = paid["sale"]["lines"][0]["id"]
        .as_str()
        .expect("line")
        .to_owned();
    let credited = d
        .mutate(
            "saleCreditNoteCreate",
            "SaleCreditNoteCreateInput",
            json!({
                "saleId": sale,
                "lines": [{ "saleLineId": line, "quantity": "1" }],
                "restock": [{ "saleLineId": line, "quantity": "1", "locationId": location }],
                "refunds": [{ "accountId": bank, "amount": "20" }]
            }),
        )
        .await;
    assert_eq!(credited["userErrors"], json!([]), "{credited}");
    let note = credited["sale"]["creditNotes"][0]["id"]
        .as_str()
        .expect("note")
        .to_owned();
    let authorised = d
        .gql
        .data(
            &format!(
                "mutation($saleId: ID!, $note: ID!) {{ saleCreditNoteAuthorise(saleId: $saleId, creditNoteId: $note) {{
                    sale {{ {SALE_FIELDS} }} userErrors {{ code }} }} }}"
            ),
            json!({ "saleId": sale, "note": note }),
        )
        .await["saleCreditNoteAuthorise"]
        .clone();
    assert_eq!(
        authorised["sale"]["creditNotes"][0]["status"], "AUTHORISED",
        "{authorised}"
    );

    let stock = d
        .gql
        .data(
            "query($id: ID) { product(id: $id) { availability { onHand allocated } } }",
            json!({ "id": product }),
        )
        .await;
    assert_eq!(
        stock["product"]["availability"],
        json!({ "onHand": "8", "allocated": "0" }),
        "10 counted, 3 shipped, 1 restocked"
    );
}

#[tokio::test]
async fn voiding_an_authorised_sale_releases_its_allocation_and_keeps_it_listed() {
    let d = desk("sale_void").await;
    let customer = d.customer("Sam").await;
    let location = d.location().await;
    let product = d.product("MUG", "Mug").await;
    let created = d
        .mutate(
            "saleCreate",
            "SaleCreateInput",
            json!({ "customerId": customer, "locationId": location,
                    "lines": [{ "productId": product, "quantity": "2", "price": "8" }] }),
        )
        .await;
    let sale = created["sale"]["id"].as_str().expect("sale").to_owned();
    d.step("saleAuthorise", json!({ "saleId": sale })).await;
    let voided = d.step("saleVoid", json!({ "saleId": sale })).await;
    assert_eq!(voided["sale"]["orderStatus"], "VOIDED");
    let stock = d
        .gql
        .data(
            "query($id: ID) { product(id: $id) { availability { allocated } } }",
            json!({ "id": product }),
        )
        .await;
    assert_eq!(stock["product"]["availability"]["allocated"], "0");
    let listed = d
        .gql
        .data(
            "{ sales(filter: { orderStatus: VOIDED }) { nodes { number } } }",
            json!({}),
        )
        .await;
    assert_eq!(listed["sales"]["nodes"], json!([{ "number": "SO-00001" }]));
}

/// Statements the server has sent to PostgreSQL so far.
async fn statements(server: &Server) -> u64 {
    let metrics = reqwest::get(server.url("/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    metrics
        .lines()
        .find_map(|l| l.strip_prefix("stockbridge_db_statements_total "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no statement count in {metrics}"))
}

#[tokio::test]
async fn a_page_of_fifty_sales_with_customers_locations_and_products_costs_a_handful_of_queries() {
    let d = desk("sale_page_queries").await;
    let location = d.location().await;
    for n in 0..50 {
        let customer = d.customer(&format!("Customer {n}")).await;
        let product = d.product(&format!("SKU-{n}"), &format!("Item {n}")).await;
        let created = d
            .mutate(
                "saleCreate",
                "SaleCreateInput",
                json!({ "customerId": customer, "locationId": location,
                        "lines": [{ "productId": product, "quantity": "1", "price": "5" }] }),
            )
            .await;
        assert_eq!(created["userErrors"], json!([]), "{created}");
    }
    let before = statements(&d._server).await;
    let page = d
        .gql
        .data(
            "{ sales(first: 50) { nodes { number customer { name } location { name } \
               lines { sku product { sku name } } } } }",
            json!({}),
        )
        .await;
    let used = statements(&d._server).await - before;

    let nodes = page["sales"]["nodes"].as_array().expect("sales");
    assert_eq!(nodes.len(), 50);
    assert!(nodes.iter().all(|s| s["customer"]["name"].is_string()
        && s["location"]["name"].is_string()
        && s["lines"][0]["product"]["sku"] == s["lines"][0]["sku"]));
    // The key check, the page and one query per part of a sale, then one batch each
    // for the customers, locations and products with their details, and the metrics
    // scrape: 22 when measured, whatever the page size; one lookup per row would be
    // 150 more.
    assert!(used <= 30, "{used} statements for a page of 50 sales");
}
