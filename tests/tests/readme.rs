//! Every GraphQL example in README.md is a document the schema accepts: known fields
//! and arguments, every variable declared and used, one operation per example. The
//! examples are validated in process first, then the tour's run against `serve --demo`.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute};
use async_graphql::parser::parse_query;
use async_graphql::{Request, Response, Value};
use tests::readme::{Example, README, graphql_examples};

/// Stops every request after parsing and validation.
struct ValidateOnly;

impl ExtensionFactory for ValidateOnly {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ValidateOnly)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for ValidateOnly {
    async fn execute(
        &self,
        _ctx: &ExtensionContext<'_>,
        _operation_name: Option<&str>,
        _next: NextExecute<'_>,
    ) -> Response {
        Response::new(Value::Null)
    }
}

#[test]
fn the_readme_has_graphql_examples() {
    assert!(graphql_examples(README).len() >= 10);
}

#[tokio::test]
async fn every_graphql_example_in_the_readme_is_valid_for_the_schema() {
    let schema = api::graphql::schema_builder()
        .extension(ValidateOnly)
        .finish();
    let mut failures = Vec::new();
    for Example { line, text: block } in graphql_examples(README) {
        let operations = match parse_query(&block) {
            Ok(document) => document.operations.iter().count(),
            Err(err) => {
                failures.push(format!("README.md:{line}: {err}"));
                continue;
            }
        };
        if operations != 1 {
            failures.push(format!(
                "README.md:{line}: {operations} operations; give each its own block"
            ));
            continue;
        }
        let response = schema.execute(Request::new(block.as_str())).await;
        for error in response.errors {
            failures.push(format!("README.md:{line}: {}", error.message));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn the_check_catches_an_unused_variable_and_an_unknown_field() {
    let schema = api::graphql::schema_builder()
        .extension(ValidateOnly)
        .finish();
    for broken in [
        "mutation($location: ID!) { productCreate(input: { sku: \"A\", name: \"A\" }) { product { id } } }",
        "{ stores { id noSuchField } }",
        "query { store(id: $undeclared) { id } }",
    ] {
        let response = schema.execute(Request::new(broken)).await;
        assert!(!response.errors.is_empty(), "{broken} is refused");
    }
}

/// The operation's declared variables, by name.
fn declared_variables(text: &str) -> Vec<String> {
    let document = parse_query(text).expect("validated above");
    document
        .operations
        .iter()
        .flat_map(|(_, operation)| {
            operation
                .node
                .variable_definitions
                .iter()
                .map(|v| v.node.name.node.to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Every `userErrors` list anywhere in a response, with its path.
fn user_errors(value: &serde_json::Value, path: &str, found: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map {
                if key == "userErrors" && inner.as_array().is_some_and(|a| !a.is_empty()) {
                    found.push(format!("{path}.{key}: {inner}"));
                }
                user_errors(inner, &format!("{path}.{key}"), found);
            }
        }
        serde_json::Value::Array(items) => {
            for (index, inner) in items.iter().enumerate() {
                user_errors(inner, &format!("{path}.{index}"), found);
            }
        }
        _ => {}
    }
}

/// Every job a mutation's payload started.
fn started_jobs(data: &serde_json::Value) -> Vec<String> {
    data.as_object()
        .into_iter()
        .flat_map(|fields| fields.values())
        .filter_map(|payload| payload["job"]["id"].as_str().map(str::to_owned))
        .collect()
}

/// The tour as a newcomer follows it: `serve --demo`, then every example of README.md
/// in order (those that need a store of one's own excepted), each with the variables
/// the README says to use. Every example answers without errors or userErrors, and
/// every job one starts succeeds before the next example runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_tour_runs_against_the_demo() {
    use serde_json::{Value, json};
    use tests::process::{Env, Server};
    use tests::ws::WsClient;

    let env = Env::new("readme_tour").await;
    let (server, demo) = Server::start_demo(&env).await;
    let key = demo["api_key"].as_str().expect("api key").to_owned();
    let gql = server.gql(Some(&key));
    tests::finished_job(&gql, demo["metadata_job_id"].as_str().expect("job")).await;

    let mut variables: serde_json::Map<String, Value> = serde_json::Map::new();
    variables.insert("store".into(), demo["store_id"].clone());
    variables.insert("product".into(), demo["product_id"].clone());
    variables.insert("job".into(), demo["metadata_job_id"].clone());
    let locations = gql.data("{ locations { id isDefault } }", json!({})).await;
    let default_location = locations["locations"]
        .as_array()
        .and_then(|all| all.iter().find(|l| l["isDefault"] == true))
        .expect("a default location")["id"]
        .clone();
    variables.insert("location".into(), default_location);
    let yesterday = chrono::Utc::now() - chrono::Duration::days(1);
    variables.insert("since".into(), Value::String(yesterday.to_rfc3339()));

    let mut ran = 0;
    for example in graphql_examples(README)
        .iter()
        .filter(|e| e.runs_in_the_tour())
    {
        let here = format!("README.md:{}", example.line);
        let mut values = serde_json::Map::new();
        for name in declared_variables(&example.text) {
            let value = variables.get(&name).unwrap_or_else(|| {
                panic!("{here} uses ${name}, which the tour's variables do not name")
            });
            assert!(!value.is_null(), "{here}: ${name} has no value: {demo}");
            values.insert(name, value.clone());
        }
        if example.is_subscription() {
            let mut socket = WsClient::connect(&server.ws_url(), Some(&key)).await;
            let id = socket.subscribe(&example.text, Value::Object(values)).await;
            let messages = socket.collect(&id, |_| false).await;
            let first = messages.first().expect("a first message");
            assert_eq!(first["type"], "next", "{here}: {first}");
            assert!(first["payload"]["errors"].is_null(), "{here}: {first}");
        } else {
            let body = gql.raw(&example.text, Value::Object(values)).await;
            assert!(body["errors"].is_null(), "{here}: {body}");
            let mut refused = Vec::new();
            user_errors(&body["data"], "data", &mut refused);
            assert!(refused.is_empty(), "{here}: {}", refused.join("; "));
            for job in started_jobs(&body["data"]) {
                let finished = tests::finished_job(&gql, &job).await;
                assert_eq!(finished["state"], "SUCCEEDED", "{here}: {finished}");
                variables.insert("job".into(), Value::String(job));
            }
        }
        ran += 1;
    }
    assert!(ran >= 10, "the tour ran {ran} examples");
}
