//! Reference books and customers through GraphQL: an admin keeps the books, an
//! operator keeps customers, a viewer reads both and changes neither.

use serde_json::{Value, json};
use tests::graphql::error_code;
use tests::{Env, Gql, Server};

const CUSTOMER_FIELDS: &str = "id name status email phone priceTier currency notes
    paymentTerm { name } taxRule { name } revenueAccount { code }
    contacts { name email phone isDefault } defaultContact { name }
    billingAddress { company line1 line2 city region postcode country }
    shippingAddress { line1 country } businessAddress { line1 }
    addresses { kind } externalIds { source externalId }";

fn customer_create() -> String {
    format!(
        "mutation($input: CustomerCreateInput!) {{ customerCreate(input: $input) {{
            customer {{ {CUSTOMER_FIELDS} }} userErrors {{ field message code }} }} }}"
    )
}

fn customer_update() -> String {
    format!(
        "mutation($input: CustomerUpdateInput!) {{ customerUpdate(input: $input) {{
            customer {{ {CUSTOMER_FIELDS} }} userErrors {{ field message code }} }} }}"
    )
}

const CUSTOMERS: &str = "query($filter: CustomerFilter) {
    customers(filter: $filter) { nodes { name } } }";

/// An admin's and an operator's client of one organisation, with one server.
async fn start(label: &str) -> (Env, Server, Gql, Gql) {
    let env = Env::new(label).await;
    let admin = env.api_key("Acme", "admin").await;
    let operator = env.api_key("Acme", "operator").await;
    let server = Server::start(&env, &["--no-workers"]).await;
    let (admin, operator) = (server.gql(Some(&admin)), server.gql(Some(&operator)));
    (env, server, admin, operator)
}

fn fields_and_codes(payload: &Value) -> Vec<(Value, Value)> {
    payload["userErrors"]
        .as_array()
        .expect("userErrors")
        .iter()
        .map(|e| (e["field"].clone(), e["code"].clone()))
        .collect()
}

fn id(payload: &Value, object: &str) -> String {
    payload[object]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no {object} id in {payload}"))
        .to_owned()
}

async fn names(gql: &Gql, filter: Value) -> Vec<Value> {
    gql.data(CUSTOMERS, json!({ "filter": filter })).await["customers"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["name"].clone())
        .collect()
}

#[tokio::test]
async fn an_admin_creates_and_updates_every_reference_book() {
    let (_env, _server, admin, _operator) = start("reference_books").await;

    let location = admin
        .data(
            "mutation { locationCreate(input: { name: \"Annex\", address: { city: \"Leeds\", country: \"gb\" } }) {
                location { id name isDefault address { city country } } userErrors { field code } } }",
            json!({}),
        )
        .await["locationCreate"]
        .clone();
    assert_eq!(location["userErrors"], json!([]), "{location}");
    assert_eq!(
        location["location"]["address"],
        json!({ "city": "Leeds", "country": "GB" })
    );
    let moved = admin
        .data(
            "mutation($input: LocationUpdateInput!) { locationUpdate(input: $input) {
                location { name isDefault address { city } } userErrors { field code } } }",
            json!({ "input": { "id": id(&location, "location"), "name": "Leeds Annex", "isDefault": true, "address": null } }),
        )
        .await["locationUpdate"]
        .clone();
    assert_eq!(
        moved["location"],
        json!({ "name": "Leeds Annex", "isDefault": true, "address": null }),
        "{moved}"
    );
    let locations = admin
        .data("{ locations { name isDefault } }", json!({}))
        .await;
    assert_eq!(
        locations["locations"],
        json!([
            { "name": "Leeds Annex", "isDefault": true },
            { "name": "Main Warehouse", "isDefault": false }
        ])
    );

    let rule = admin
        .data(
            "mutation { taxRuleCreate(input: { name: \"VAT\", rate: \"20\" }) { taxRule { id } userErrors { code } } }",
            json!({}),
        )
        .await["taxRuleCreate"]
        .clone();
    let rule = admin
        .data(
            "mutation($input: TaxRuleUpdateInput!) { taxRuleUpdate(input: $input) {
                taxRule { name rate isTaxFree } userErrors { field code } } }",
            json!({ "input": { "id": id(&rule, "taxRule"), "name": "VAT reduced", "rate": "5.5" } }),
        )
        .await["taxRuleUpdate"]
        .clone();
    assert_eq!(
        rule["taxRule"],
        json!({ "name": "VAT reduced", "rate": "5.5", "isTaxFree": false }),
        "{rule}"
    );

    let account = admin
        .data(
            "mutation { accountCreate(input: { code: \"2310\", name: \"Store Credit\", kind: LIABILITY,
                canReceivePayments: true, isGiftCardLiability: true }) {
                account { id isGiftCardLiability } userErrors { field code } } }",
            json!({}),
        )
        .await["accountCreate"]
        .clone();
    assert_eq!(account["account"]["isGiftCardLiability"], true, "{account}");
    let account = admin
        .data(
            "mutation($input: AccountUpdateInput!) { accountUpdate(input: $input) {
                account { code name kind isGiftCardLiability } userErrors { field code } } }",
            json!({ "input": { "id": id(&account, "account"), "name": "Gift Vouchers" } }),
        )
        .await["accountUpdate"]
        .clone();
    assert_eq!(
        account["account"],
        json!({ "code": "2310", "name": "Gift Vouchers", "kind": "LIABILITY", "isGiftCardLiability": true })
    );

    let term = admin
        .data(
            "mutation { paymentTermCreate(input: { name: \"20th of next month\", method: DAY_OF_NEXT_MONTH, days: 20 }) {
                paymentTerm { id name method days isDefault } userErrors { field code } } }",
            json!({}),
        )
        .await["paymentTermCreate"]
        .clone();
    assert_eq!(term["userErrors"], json!([]), "{term}");
    let term = admin
        .data(
            "mutation($input: PaymentTermUpdateInput!) { paymentTermUpdate(input: $input) {
                paymentTerm { name method days isDefault } userErrors { field code } } }",
            json!({ "input": { "id": id(&term, "paymentTerm"), "method": "DAYS_AFTER_INVOICE", "days": 14, "isDefault": true } }),
        )
        .await["paymentTermUpdate"]
        .clone();
    assert_eq!(
        term["paymentTerm"],
        json!({ "name": "20th of next month", "method": "DAYS_AFTER_INVOICE", "days": 14, "isDefault": true })
    );
    let terms = admin
        .data("{ paymentTerms { name isDefault } }", json!({}))
        .await;
    assert_eq!(
        terms["paymentTerms"],
        json!([
            { "name": "20th of next month", "isDefault": true },
            { "name": "30 days", "isDefault": false },
            { "name": "Prepaid", "isDefault": false }
        ])
    );

    let carrier = admin
        .data(
            "mutation { carrierCreate(input: { name: \"UPS\", magentoCarrierCode: \"ups\",
                trackingUrlTemplate: \"https://www.ups.com/track?tracknum={trackingNumber}\" }) {
                carrier { id } userErrors { field code } } }",
            json!({}),
        )
        .await["carrierCreate"]
        .clone();
    let carrier = admin
        .data(
            "mutation($input: CarrierUpdateInput!) { carrierUpdate(input: $input) {
                carrier { name magentoCarrierCode trackingUrl(trackingNumber: \"1Z 9\") } userErrors { field code } } }",
            json!({ "input": { "id": id(&carrier, "carrier"), "name": "UPS Ground" } }),
        )
        .await["carrierUpdate"]
        .clone();
    assert_eq!(
        carrier["carrier"],
        json!({ "name": "UPS Ground", "magentoCarrierCode": "ups",
                "trackingUrl": "https://www.ups.com/track?tracknum=1Z%209" })
    );
    let carriers = admin.data("{ carriers { name } }", json!({})).await;
    assert_eq!(
        carriers["carriers"],
        json!([{ "name": "Local Pickup" }, { "name": "UPS Ground" }])
    );

    let tier = admin
        .data(
            "mutation { priceTierRename(tier: 2, name: \"Wholesale\") { priceTier { tier name } userErrors { code } } }",
            json!({}),
        )
        .await["priceTierRename"]
        .clone();
    assert_eq!(tier["priceTier"], json!({ "tier": 2, "name": "Wholesale" }));
}

#[tokio::test]
async fn a_duplicate_name_or_a_rule_broken_comes_back_at_the_field() {
    let (_env, _server, admin, _operator) = start("reference_user_errors").await;
    let location = admin
        .data(
            "mutation { locationCreate(input: { name: \"main WAREHOUSE\" }) { location { id } userErrors { field code } } }",
            json!({}),
        )
        .await["locationCreate"]
        .clone();
    assert_eq!(location["location"], Value::Null);
    assert_eq!(
        fields_and_codes(&location),
        vec![(json!(["input", "name"]), json!("ALREADY_EXISTS"))]
    );
    let gift = admin
        .data(
            "mutation { accountCreate(input: { code: \"4100\", name: \"Gift Sales\", kind: REVENUE,
                canReceivePayments: true, isGiftCardLiability: true }) { account { id } userErrors { field code } } }",
            json!({}),
        )
        .await["accountCreate"]
        .clone();
    assert_eq!(
        fields_and_codes(&gift),
        vec![(
            json!(["input", "isGiftCardLiability"]),
            json!("INVALID_COMBINATION")
        )]
    );
    let term = admin
        .data(
            "mutation { paymentTermCreate(input: { name: \"prepaid\", method: PREPAID, days: 3 }) {
                paymentTerm { id } userErrors { field code } } }",
            json!({}),
        )
        .await["paymentTermCreate"]
        .clone();
    let mut found = fields_and_codes(&term);
    found.sort_by_key(|(field, _)| field.to_string());
    assert_eq!(
        found,
        vec![
            (json!(["input", "days"]), json!("INVALID_COMBINATION")),
            (json!(["input", "name"]), json!("ALREADY_EXISTS"))
        ]
    );
    // A location's id names no carrier.
    let location_id =
        admin.data("{ locations { id } }", json!({})).await["locations"][0]["id"].clone();
    let unknown = admin
        .data(
            "mutation($input: CarrierUpdateInput!) { carrierUpdate(input: $input) { carrier { id } userErrors { field code } } }",
            json!({ "input": { "id": location_id, "name": "X" } }),
        )
        .await["carrierUpdate"]
        .clone();
    assert_eq!(
        fields_and_codes(&unknown),
        vec![(json!(["input", "id"]), json!("NOT_FOUND"))]
    );
    // Nothing of the refused calls was written.
    let accounts = admin.data("{ accounts { code } }", json!({})).await;
    assert_eq!(
        accounts["accounts"],
        json!([{ "code": "1200" }, { "code": "2300" }, { "code": "4000" }])
    );
}

#[tokio::test]
async fn an_operator_creates_finds_and_updates_a_customer() {
    let (_env, _server, admin, operator) = start("reference_customers").await;
    let term_id =
        admin.data("{ paymentTerms { id name } }", json!({})).await["paymentTerms"][0]["id"]
            .clone();
    let created = operator
        .data(
            &customer_create(),
            json!({ "input": {
                "name": "Acme Ltd", "priceTier": 2, "paymentTermId": term_id, "currency": "gbp",
                "notes": "Deliver to the back door",
                "contacts": [
                    { "name": "Ann Buyer", "email": "ann@acme.example" },
                    { "name": "Bob Boss", "email": "Bob@Acme.example", "phone": "555-0100", "isDefault": true }
                ],
                "addresses": [
                    { "kind": "BILLING", "company": "Acme Ltd", "line1": "1 High Street", "city": "Leeds",
                      "region": "West Yorkshire", "postcode": "LS1 1AA", "country": "gb" },
                    { "kind": "SHIPPING", "line1": "2 Dock Road", "country": "GB" }
                ],
                "externalIds": [{ "source": "magento:shop", "externalId": "42" }]
            }}),
        )
        .await["customerCreate"]
        .clone();
    assert_eq!(created["userErrors"], json!([]), "{created}");
    let customer = &created["customer"];
    assert_eq!(customer["status"], "ACTIVE");
    assert_eq!(
        (
            &customer["email"],
            &customer["phone"],
            &customer["defaultContact"]["name"]
        ),
        (
            &json!("Bob@Acme.example"),
            &json!("555-0100"),
            &json!("Bob Boss")
        )
    );
    assert_eq!(customer["currency"], "GBP");
    assert_eq!(customer["priceTier"], 2);
    assert_eq!(customer["paymentTerm"]["name"], "30 days");
    assert_eq!(
        customer["billingAddress"],
        json!({ "company": "Acme Ltd", "line1": "1 High Street", "line2": null, "city": "Leeds",
                "region": "West Yorkshire", "postcode": "LS1 1AA", "country": "GB" })
    );
    assert_eq!(customer["businessAddress"], Value::Null);
    assert_eq!(
        customer["externalIds"],
        json!([{ "source": "magento:shop", "externalId": "42" }])
    );
    let customer_id = customer["id"].as_str().expect("id").to_owned();

    operator
        .data(
            &customer_create(),
            json!({ "input": { "name": "Acme Holdings" } }),
        )
        .await;
    assert_eq!(
        names(&operator, json!({ "email": "ANN@acme.example" })).await,
        vec![json!("Acme Ltd")]
    );
    assert_eq!(
        names(&operator, json!({ "name": "acme ltd" })).await,
        vec![json!("Acme Ltd")]
    );
    assert_eq!(
        names(&operator, json!({ "namePrefix": "ACME" })).await,
        vec![json!("Acme Holdings"), json!("Acme Ltd")]
    );
    assert_eq!(
        names(&operator, json!({ "search": "buyer" })).await,
        vec![json!("Acme Ltd")]
    );

    let updated = operator
        .data(
            &customer_update(),
            json!({ "input": {
                "id": customer_id, "status": "DEPRECATED", "notes": null, "paymentTermId": null,
                "contacts": [{ "name": "Cy New", "email": "cy@acme.example" }]
            }}),
        )
        .await["customerUpdate"]
        .clone();
    assert_eq!(updated["userErrors"], json!([]), "{updated}");
    let customer = &updated["customer"];
    assert_eq!(customer["status"], "DEPRECATED");
    assert_eq!(
        (&customer["notes"], &customer["paymentTerm"]),
        (&Value::Null, &Value::Null)
    );
    assert_eq!(
        customer["contacts"],
        json!([{ "name": "Cy New", "email": "cy@acme.example", "phone": null, "isDefault": true }])
    );
    assert_eq!(
        customer["addresses"],
        json!([{ "kind": "BILLING" }, { "kind": "SHIPPING" }]),
        "addresses not given stay"
    );
    let read = operator
        .data(
            &format!("query($id: ID!) {{ customer(id: $id) {{ {CUSTOMER_FIELDS} }} }}"),
            json!({ "id": customer_id }),
        )
        .await;
    assert_eq!(&read["customer"], customer);
    assert!(
        names(&operator, json!({ "email": "ann@acme.example" }))
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn a_bad_customer_comes_back_as_user_errors_and_is_not_saved() {
    let (_env, _server, _admin, operator) = start("reference_customer_bad").await;
    let bad = operator
        .data(
            &customer_create(),
            json!({ "input": {
                "name": "Acme", "priceTier": 0,
                "contacts": [{ "email": "not-an-email" }],
                "addresses": [{ "kind": "BILLING", "line1": "1 High St", "country": "United Kingdom" }]
            }}),
        )
        .await["customerCreate"]
        .clone();
    assert_eq!(bad["customer"], Value::Null);
    let mut found = fields_and_codes(&bad);
    found.sort_by_key(|(field, _)| field.to_string());
    assert_eq!(
        found,
        vec![
            (
                json!(["input", "addresses", "0", "country"]),
                json!("INVALID")
            ),
            (json!(["input", "contacts", "0", "email"]), json!("INVALID")),
            (json!(["input", "priceTier"]), json!("OUT_OF_RANGE")),
        ]
    );
    assert!(names(&operator, json!({})).await.is_empty());
}

#[tokio::test]
async fn another_organisations_customer_reads_as_not_found() {
    let (env, server, _admin, operator) = start("reference_customer_tenancy").await;
    let theirs = server.gql(Some(&env.api_key("Globex", "operator").await));
    let created = theirs
        .data(
            &customer_create(),
            json!({ "input": { "name": "Globex Buyer", "email": "buyer@globex.example" } }),
        )
        .await["customerCreate"]
        .clone();
    let their_id = created["customer"]["id"].clone();
    let read = operator
        .data(
            "query($id: ID!) { customer(id: $id) { id } }",
            json!({ "id": their_id }),
        )
        .await;
    assert_eq!(read["customer"], Value::Null);
    let update = operator
        .data(
            &customer_update(),
            json!({ "input": { "id": their_id, "name": "Mine now" } }),
        )
        .await["customerUpdate"]
        .clone();
    assert_eq!(
        fields_and_codes(&update),
        vec![(json!(["input", "id"]), json!("NOT_FOUND"))]
    );
    assert!(
        names(&operator, json!({ "email": "buyer@globex.example" }))
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn a_viewer_reads_the_books_but_may_not_change_them_or_customers() {
    let env = Env::new("reference_viewer").await;
    let viewer = env.api_key("Acme", "viewer").await;
    let operator = env.api_key("Acme", "operator").await;
    let server = Server::start(&env, &["--no-workers"]).await;
    let (viewer, operator) = (server.gql(Some(&viewer)), server.gql(Some(&operator)));
    let books = viewer
        .data(
            "{ locations { name } priceTiers { tier } taxRules { name } accounts { code }
               paymentTerms { name } carriers { name } customers { nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(books["priceTiers"].as_array().map(Vec::len), Some(10));
    assert_eq!(books["carriers"], json!([{ "name": "Local Pickup" }]));

    for mutation in [
        "mutation { carrierCreate(input: { name: \"DHL\" }) { carrier { id } } }",
        "mutation { paymentTermCreate(input: { name: \"Net 7\", method: DAYS_AFTER_INVOICE, days: 7 }) { paymentTerm { id } } }",
        "mutation { customerCreate(input: { name: \"Sneaky\" }) { customer { id } } }",
    ] {
        let body = viewer.raw(mutation, json!({})).await;
        assert_eq!(error_code(&body), Some("FORBIDDEN"), "{mutation}: {body}");
    }
    // Reference books are an admin's: an operator may not change them either.
    let body = operator
        .raw(
            "mutation { carrierCreate(input: { name: \"DHL\" }) { carrier { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    let carriers = viewer.data("{ carriers { name } }", json!({})).await;
    assert_eq!(carriers["carriers"], json!([{ "name": "Local Pickup" }]));
}
