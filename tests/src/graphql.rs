use serde_json::{Value, json};

/// A GraphQL client over HTTP, optionally with an API key.
#[derive(Clone)]
pub struct Gql {
    url: String,
    key: Option<String>,
    http: reqwest::Client,
}

impl Gql {
    pub fn new(url: String, key: Option<String>) -> Self {
        Self {
            url,
            key,
            http: reqwest::Client::new(),
        }
    }

    /// The API key this client sends (for a WebSocket of the same caller).
    pub fn key(&self) -> &str {
        self.key.as_deref().unwrap_or_default()
    }

    /// The whole response body (`data` and `errors`).
    pub async fn raw(&self, query: &str, variables: Value) -> Value {
        let mut request = self
            .http
            .post(&self.url)
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(key) = &self.key {
            request = request.bearer_auth(key);
        }
        let response = request.send().await.expect("GraphQL request");
        response.json().await.expect("JSON body")
    }

    /// `data`, asserting there were no top-level errors.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let body = self.raw(query, variables).await;
        assert!(
            body.get("errors").is_none_or(Value::is_null),
            "unexpected errors: {body}"
        );
        body["data"].clone()
    }
}

/// The `extensions.code` of the first top-level error.
pub fn error_code(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["code"].as_str()
}
