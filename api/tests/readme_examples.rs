//! Every GraphQL example in README.md is a document the schema accepts: known fields
//! and arguments, every variable declared and used, one operation per example. The
//! examples are validated, never run here (the tour test runs them against a demo).

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute};
use async_graphql::parser::parse_query;
use async_graphql::{Request, Response, Value};

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

/// The ```graphql blocks of a Markdown text, with the line each starts on.
fn graphql_blocks(markdown: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (number, line) in markdown.lines().enumerate() {
        match (&mut current, line.trim_start()) {
            (None, fence) if fence.starts_with("```graphql") => {
                current = Some((number + 1, String::new()));
            }
            (Some(_), "```") => blocks.extend(current.take()),
            (Some((_, text)), _) => {
                text.push_str(line);
                text.push('\n');
            }
            (None, _) => {}
        }
    }
    assert!(current.is_none(), "an unclosed ```graphql block");
    blocks
}

fn readme() -> &'static str {
    include_str!("../../README.md")
}

#[test]
fn the_readme_has_graphql_examples() {
    assert!(graphql_blocks(readme()).len() >= 10);
}

#[tokio::test]
async fn every_graphql_example_in_the_readme_is_valid_for_the_schema() {
    let schema = api::graphql::schema_builder().extension(ValidateOnly).finish();
    let mut failures = Vec::new();
    for (line, block) in graphql_blocks(readme()) {
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
    let schema = api::graphql::schema_builder().extension(ValidateOnly).finish();
    for broken in [
        "mutation($location: ID!) { productCreate(input: { sku: \"A\", name: \"A\" }) { product { id } } }",
        "{ stores { id noSuchField } }",
        "query { store(id: $undeclared) { id } }",
    ] {
        let response = schema.execute(Request::new(broken)).await;
        assert!(!response.errors.is_empty(), "{broken} is refused");
    }
}
