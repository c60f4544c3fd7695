//! The ledger through GraphQL: products with families and prices, stock adjustments and
//! transfers, and what a viewer or a bad input gets.

use serde_json::{Value, json};
use tests::graphql::error_code;
use tests::{Env, Gql, Server};

const PRODUCT_FIELDS: &str = "id sku name kind status category brand tags attributeSet optionValues
    family { sku optionNames } weight images autoAssembly prices { tier price }
    components { quantity component { sku } } availability { onHand allocated available }
    stockLevels { location { name } onHand }";

fn create_product_query() -> String {
    format!(
        "mutation($input: ProductCreateInput!) {{ productCreate(input: $input) {{
            product {{ {PRODUCT_FIELDS} }} userErrors {{ field message code }} }} }}"
    )
}

const FAMILY_CREATE: &str = "mutation($input: ProductFamilyCreateInput!) {
    productFamilyCreate(input: $input) { family { id sku optionNames } userErrors { field code } } }";

const LOCATIONS: &str = "{ locations { id name isDefault } }";

const ADJUST: &str = "mutation($input: StockAdjustInput!) {
    stockAdjust(input: $input) { availability { onHand allocated available } userErrors { field message code } } }";

const TRANSFER: &str = "mutation($input: StockTransferInput!) {
    stockTransfer(input: $input) { from { onHand } to { onHand } userErrors { field message code } } }";

async fn start(label: &str) -> (Env, Server, Gql) {
    let env = Env::new(label).await;
    let key = env.api_key("Acme", "operator").await;
    let server = Server::start(&env, &["--no-workers"]).await;
    let gql = server.gql(Some(&key));
    (env, server, gql)
}

async fn create_product(gql: &Gql, input: Value) -> Value {
    gql.data(&create_product_query(), json!({ "input": input }))
        .await["productCreate"]
        .clone()
}

async fn main_location(gql: &Gql) -> String {
    gql.data(LOCATIONS, json!({})).await["locations"][0]["id"]
        .as_str()
        .expect("the default location")
        .to_owned()
}

#[tokio::test]
async fn a_product_created_through_graphql_reads_back_with_its_family_and_prices() {
    let (_env, _server, gql) = start("ledger_product").await;
    let family = gql
        .data(
            FAMILY_CREATE,
            json!({ "input": { "sku": "TEE", "name": "Tee", "optionNames": ["Size", "Colour"] } }),
        )
        .await["productFamilyCreate"]
        .clone();
    assert_eq!(family["userErrors"], json!([]));
    let family_id = family["family"]["id"].as_str().expect("family id");

    let created = create_product(
        &gql,
        json!({
            "sku": "TEE-S-RED", "name": "Tee S Red", "category": "Tops", "brand": "Acme",
            "tags": ["summer"], "attributeSet": "Top", "weight": "0.25",
            "images": ["https://cdn.example.com/tee.jpg"],
            "family": { "familyId": family_id, "optionValues": ["S", "Red"] },
            "prices": [{ "tier": 1, "price": "19.99" }, { "tier": 2, "price": "17.50" }]
        }),
    )
    .await;
    assert_eq!(created["userErrors"], json!([]), "{created}");
    let product = &created["product"];
    assert_eq!(product["kind"], "STOCK");
    assert_eq!(product["status"], "ACTIVE");
    assert_eq!(product["family"]["sku"], "TEE");
    assert_eq!(product["optionValues"], json!(["S", "Red"]));
    assert_eq!(product["weight"], "0.25");
    assert_eq!(
        product["prices"],
        json!([{ "tier": 1, "price": "19.99" }, { "tier": 2, "price": "17.5" }])
    );

    let by_sku = gql
        .data(
            &format!("query($sku: String) {{ product(sku: $sku) {{ {PRODUCT_FIELDS} }} }}"),
            json!({ "sku": "tee-s-red" }),
        )
        .await;
    assert_eq!(&by_sku["product"], product);
    let listed = gql
        .data(
            "{ products(filter: { tag: \"summer\", category: \"tops\" }) { nodes { sku } } }",
            json!({}),
        )
        .await;
    assert_eq!(listed["products"]["nodes"], json!([{ "sku": "TEE-S-RED" }]));
}

#[tokio::test]
async fn a_duplicate_sku_and_bad_fields_come_back_as_user_errors() {
    let (_env, _server, gql) = start("ledger_product_bad").await;
    create_product(&gql, json!({ "sku": "MUG", "name": "Mug" })).await;
    let duplicate = create_product(&gql, json!({ "sku": "mug", "name": "Mug again" })).await;
    assert_eq!(duplicate["product"], Value::Null);
    assert_eq!(duplicate["userErrors"][0]["field"], json!(["input", "sku"]));
    assert_eq!(duplicate["userErrors"][0]["code"], "ALREADY_EXISTS");

    let bad = create_product(
        &gql,
        json!({ "sku": "CUP", "name": "Cup", "weight": "-1", "prices": [{ "tier": 11, "price": "1" }] }),
    )
    .await;
    let codes: Vec<(Value, Value)> = bad["userErrors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| (e["field"].clone(), e["code"].clone()))
        .collect();
    assert!(
        codes.contains(&(json!(["input", "weight"]), json!("OUT_OF_RANGE"))),
        "{bad}"
    );
    assert!(
        codes.contains(&(json!(["input", "prices", "0"]), json!("OUT_OF_RANGE"))),
        "{bad}"
    );
    let listed = gql.data("{ products { nodes { sku } } }", json!({})).await;
    assert_eq!(listed["products"]["nodes"], json!([{ "sku": "MUG" }]));
}

#[tokio::test]
async fn an_update_clears_a_field_set_to_null_and_keeps_the_ones_left_out() {
    let (_env, _server, gql) = start("ledger_product_update").await;
    let created = create_product(
        &gql,
        json!({ "sku": "BAG", "name": "Bag", "brand": "Acme", "category": "Bags" }),
    )
    .await;
    let id = created["product"]["id"].as_str().expect("id");
    let updated = gql
        .data(
            "mutation($input: ProductUpdateInput!) { productUpdate(input: $input) {
                product { name brand category status } userErrors { field code } } }",
            json!({ "input": { "id": id, "brand": null, "status": "DEPRECATED" } }),
        )
        .await["productUpdate"]
        .clone();
    assert_eq!(
        updated["product"],
        json!({ "name": "Bag", "brand": null, "category": "Bags", "status": "DEPRECATED" })
    );
}

#[tokio::test]
async fn stock_adjusted_and_transferred_shows_per_location_and_in_total() {
    let (env, server, gql) = start("ledger_stock").await;
    let admin = server.gql(Some(&env.api_key("Acme", "admin").await));
    let product = create_product(&gql, json!({ "sku": "BOLT", "name": "Bolt" })).await;
    let product_id = product["product"]["id"].as_str().expect("id").to_owned();
    let main = main_location(&gql).await;
    let annex = admin
        .data(
            "mutation { locationCreate(input: { name: \"Annex\" }) { location { id } } }",
            json!({}),
        )
        .await["locationCreate"]["location"]["id"]
        .as_str()
        .expect("annex")
        .to_owned();

    let adjusted = gql
        .data(
            ADJUST,
            json!({ "input": { "productId": product_id, "locationId": main, "quantity": "12", "reason": "stock take" } }),
        )
        .await["stockAdjust"]
        .clone();
    assert_eq!(adjusted["availability"]["onHand"], "12");
    let moved = gql
        .data(
            TRANSFER,
            json!({ "input": { "productId": product_id, "fromLocationId": main, "toLocationId": annex, "quantity": "5" } }),
        )
        .await["stockTransfer"]
        .clone();
    assert_eq!(moved["userErrors"], json!([]), "{moved}");
    assert_eq!(
        (&moved["from"]["onHand"], &moved["to"]["onHand"]),
        (&json!("7"), &json!("5"))
    );

    let read = gql
        .data(
            "query($id: ID, $annex: ID) { product(id: $id) { availability { onHand available }
                annex: availability(locationId: $annex) { onHand } stockLevels { location { name } onHand } } }",
            json!({ "id": product_id, "annex": annex }),
        )
        .await["product"]
        .clone();
    assert_eq!(
        read["availability"],
        json!({ "onHand": "12", "available": "12" })
    );
    assert_eq!(read["annex"]["onHand"], "5");
    let mut levels: Vec<(String, String)> = read["stockLevels"]
        .as_array()
        .expect("levels")
        .iter()
        .map(|l| {
            (
                l["location"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                l["onHand"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    levels.sort();
    assert_eq!(
        levels,
        vec![
            ("Annex".into(), "5".into()),
            ("Main Warehouse".into(), "7".into())
        ]
    );
}

#[tokio::test]
async fn moving_more_stock_than_is_available_is_a_user_error_and_changes_nothing() {
    let (_env, _server, gql) = start("ledger_stock_bad").await;
    let product = create_product(&gql, json!({ "sku": "BOLT", "name": "Bolt" })).await;
    let product_id = product["product"]["id"].as_str().expect("id").to_owned();
    let main = main_location(&gql).await;
    let no_reason = gql
        .data(
            ADJUST,
            json!({ "input": { "productId": product_id, "locationId": main, "quantity": "3", "reason": "" } }),
        )
        .await["stockAdjust"]
        .clone();
    assert_eq!(
        no_reason["userErrors"][0]["field"],
        json!(["input", "reason"])
    );
    let service = create_product(
        &gql,
        json!({ "sku": "FIT", "name": "Fitting", "kind": "SERVICE" }),
    )
    .await;
    let service_id = service["product"]["id"].as_str().expect("id");
    let not_stocked = gql
        .data(
            ADJUST,
            json!({ "input": { "productId": service_id, "locationId": main, "quantity": "1", "reason": "x" } }),
        )
        .await["stockAdjust"]
        .clone();
    assert_eq!(not_stocked["userErrors"][0]["code"], "INVALID");
    let unknown_location = gql
        .data(
            TRANSFER,
            json!({ "input": { "productId": product_id, "fromLocationId": main, "toLocationId": product_id, "quantity": "1" } }),
        )
        .await["stockTransfer"]
        .clone();
    assert_eq!(
        unknown_location["userErrors"][0]["field"],
        json!(["input", "toLocationId"])
    );
    assert_eq!(unknown_location["userErrors"][0]["code"], "NOT_FOUND");
}

#[tokio::test]
async fn an_adjustment_below_zero_on_hand_is_refused_naming_sku_location_and_on_hand() {
    let (_env, _server, gql) = start("ledger_below_zero").await;
    let product = create_product(&gql, json!({ "sku": "BOLT", "name": "Bolt" })).await;
    let product_id = product["product"]["id"].as_str().expect("id").to_owned();
    let main = main_location(&gql).await;
    let adjust = |quantity: &str| json!({ "input": { "productId": product_id, "locationId": main, "quantity": quantity, "reason": "count" } });
    gql.data(ADJUST, adjust("5")).await;

    let refused = gql.data(ADJUST, adjust("-50")).await["stockAdjust"].clone();
    let error = &refused["userErrors"][0];
    assert_eq!(error["code"], "INSUFFICIENT_STOCK", "{refused}");
    assert_eq!(error["field"], json!(["input", "quantity"]));
    let message = error["message"].as_str().expect("message");
    for named in ["BOLT", "Main Warehouse", "5 on hand"] {
        assert!(message.contains(named), "{message:?} names {named}");
    }
    let too_many = gql.data(ADJUST, adjust("100000000")).await["stockAdjust"].clone();
    assert_eq!(
        too_many["userErrors"][0]["code"], "OUT_OF_RANGE",
        "{too_many}"
    );

    let read = gql
        .data(
            "query($id: ID) { product(id: $id) { availability { onHand } } }",
            json!({ "id": product_id }),
        )
        .await;
    assert_eq!(
        read["product"]["availability"]["onHand"], "5",
        "nothing changed"
    );
}

#[tokio::test]
async fn a_product_list_counts_every_match_over_all_its_pages() {
    let (_env, _server, gql) = start("ledger_total_count").await;
    for sku in ["TEE-S", "TEE-M", "TEE-L", "MUG"] {
        create_product(&gql, json!({ "sku": sku, "name": sku, "category": if sku == "MUG" { "Kitchen" } else { "Tops" } })).await;
    }
    let listed = gql
        .data(
            r#"{ all: products(first: 2) { totalCount nodes { sku } pageInfo { hasNextPage } }
                 tops: products(filter: { category: "Tops" }, first: 1) { totalCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(listed["all"]["totalCount"], 4);
    assert_eq!(listed["all"]["nodes"].as_array().map(Vec::len), Some(2));
    assert_eq!(listed["all"]["pageInfo"]["hasNextPage"], true);
    assert_eq!(
        listed["tops"]["totalCount"], 3,
        "the filter is counted, not the page"
    );
}

#[tokio::test]
async fn a_viewer_reads_products_but_may_not_create_or_adjust() {
    let env = Env::new("ledger_viewer").await;
    let viewer = env.api_key("Acme", "viewer").await;
    let server = Server::start(&env, &["--no-workers"]).await;
    let gql = server.gql(Some(&viewer));
    assert_eq!(
        gql.data("{ products { nodes { sku } } }", json!({})).await["products"]["nodes"],
        json!([])
    );
    let body = gql
        .raw(
            &create_product_query(),
            json!({ "input": { "sku": "X", "name": "X" } }),
        )
        .await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
}
