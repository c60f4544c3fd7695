//! GraphiQL is served by the binary alone (it works offline) and sends the key the way
//! its header editor holds it.

use reqwest::Url;
use serde_json::{Value, json};
use tests::{Env, Server, WsClient, connect_store, start_sandbox};

/// Every `src=` and `href=` value of the page.
fn linked_urls(html: &str) -> Vec<String> {
    let mut urls = Vec::new();
    for attribute in [" src=", " href="] {
        for rest in html.split(attribute).skip(1) {
            let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
                panic!("unquoted {attribute} in the page");
            };
            let value = rest[1..].split(quote).next().expect("a closing quote");
            urls.push(value.to_owned());
        }
    }
    urls
}

/// What a stylesheet or script would make the browser fetch by itself, from anywhere.
fn self_loaded_urls(text: &str, stylesheet: bool) -> Vec<String> {
    let mut found: Vec<String> = [
        "sourceMappingURL",
        "@import",
        "importScripts(",
        "new Worker(",
    ]
    .into_iter()
    .filter(|needle| text.contains(needle))
    .map(str::to_owned)
    .collect();
    if stylesheet {
        // Fonts and images: only inline `data:` URLs load nothing.
        found.extend(
            text.split("url(")
                .skip(1)
                .map(|rest| rest.trim_start_matches(['"', '\'']))
                .filter(|value| !value.starts_with("data:"))
                .map(|value| format!("url({})", value.chars().take(60).collect::<String>())),
        );
    }
    // Absolute and protocol-relative URLs of loadable files (links to docs are fine).
    let loadable = [
        ".js", ".mjs", ".css", ".woff", ".woff2", ".ttf", ".otf", ".wasm", ".map",
    ];
    for start in ["http://", "https://", "\"//", "'//", "`//"] {
        for rest in text.split(start).skip(1) {
            let url: String = rest
                .chars()
                .take_while(|c| !matches!(c, '"' | '\'' | '`' | ')' | ' ' | '>' | '?' | '#'))
                .collect();
            if loadable.iter().any(|ext| url.ends_with(ext)) {
                found.push(format!("{start}{url}"));
            }
        }
    }
    found
}

#[tokio::test]
async fn graphiql_and_every_file_it_loads_come_from_the_binary() {
    let env = Env::new("graphiql_assets").await;
    let server = Server::start(&env, &["--no-workers"]).await;
    let http = reqwest::Client::new();
    let page_url = Url::parse(&server.url("/graphql")).expect("page url");

    let page = http.get(page_url.clone()).send().await.expect("page");
    assert_eq!(page.status(), 200);
    let header = |r: &reqwest::Response, name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(header(&page, "content-type").starts_with("text/html"));
    assert_eq!(
        header(&page, "cache-control"),
        "no-cache",
        "the page changes with releases"
    );
    let html = page.text().await.expect("html");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "the page names no other server: {html}"
    );

    let links = linked_urls(&html);
    assert!(
        links.iter().any(|l| l.ends_with(".css")) && links.iter().any(|l| l.ends_with(".js")),
        "{links:?}"
    );
    for link in &links {
        assert!(
            !link.starts_with("//"),
            "{link} is protocol-relative: another host"
        );
        let url = page_url.join(link).expect("a URL");
        assert_eq!(
            url.origin(),
            page_url.origin(),
            "{link} points off the server"
        );
        let response = http.get(url).send().await.expect("asset");
        assert_eq!(response.status(), 200, "{link}");
        let content_type = header(&response, "content-type");
        let stylesheet = link.ends_with(".css");
        let expected = if stylesheet {
            "text/css"
        } else if link.ends_with(".js") {
            "text/javascript"
        } else {
            panic!("an unexpected kind of file: {link}")
        };
        assert!(content_type.starts_with(expected), "{link}: {content_type}");
        assert!(
            header(&response, "cache-control").contains("immutable"),
            "{link}: its URL carries the version, so it may be cached for good"
        );
        let body = response.text().await.expect("body");
        assert!(!body.is_empty(), "{link}");
        let loads = self_loaded_urls(&body, stylesheet);
        assert!(loads.is_empty(), "{link} would load {loads:?}");
    }
}

const PROGRESS: &str = "subscription($id: ID!) { jobProgress(jobId: $id) { state } }";

/// The first message the socket answers a `jobProgress` subscription with.
async fn first_progress_message(server: &Server, init: Value, job_id: &str) -> Value {
    let mut ws = WsClient::connect_with(&server.ws_url(), init).await;
    let id = ws.subscribe(PROGRESS, json!({ "id": job_id })).await;
    let messages = ws.collect(&id, |_| false).await;
    messages.into_iter().next().expect("a reply")
}

#[tokio::test]
async fn a_subscription_takes_the_key_in_any_letter_case_as_graphiql_sends_it() {
    let env = Env::new("graphiql_ws").await;
    let admin = env.api_key("Acme", "admin").await;
    // No workers: the job stays queued, and its snapshot is the first event.
    let server = Server::start(&env, &["--no-workers"]).await;
    let sandbox = start_sandbox().await;
    let job_id = connect_store(&server.gql(Some(&admin)), &sandbox, "Main shop").await["job"]["id"]
        .as_str()
        .expect("job id")
        .to_owned();
    let bearer = format!("Bearer {admin}");

    for init in [
        json!({ "Authorization": bearer }),
        json!({ "AUTHORIZATION": bearer }),
        json!({ "headers": { "Authorization": bearer } }),
    ] {
        let message = first_progress_message(&server, init.clone(), &job_id).await;
        assert_eq!(message["type"], "next", "{init}: {message}");
        assert_eq!(
            message["payload"]["data"]["jobProgress"]["state"], "QUEUED",
            "{init}: {message}"
        );
    }
}

#[tokio::test]
async fn a_subscription_with_a_wrong_key_as_graphiql_sends_it_is_unauthenticated() {
    let env = Env::new("graphiql_ws_bad").await;
    let server = Server::start(&env, &["--no-workers"]).await;
    let forged = json!({ "Authorization": "Bearer sbk_0000000000000000000000000000000000000000" });
    let message = first_progress_message(&server, forged, "any job").await;
    assert_eq!(message["type"], "next", "{message}");
    assert_eq!(
        message["payload"]["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{message}"
    );
}

/// graphql-js's introspection query as GraphiQL sends it for its docs and completion:
/// `TypeRef` nests nine `ofType` levels, fifteen fields deep in all.
fn graphiql_schema_query() -> String {
    let mut type_ref = String::from("kind name");
    for _ in 0..9 {
        type_ref = format!("kind name ofType {{ {type_ref} }}");
    }
    format!(
        "query IntrospectionQuery {{ __schema {{ queryType {{ name }} mutationType {{ name }} \
         subscriptionType {{ name }} types {{ ...FullType }} \
         directives {{ name description locations args {{ ...InputValue }} }} }} }}
         fragment FullType on __Type {{ kind name description \
           fields(includeDeprecated: true) {{ name description args {{ ...InputValue }} \
             type {{ ...TypeRef }} isDeprecated deprecationReason }} \
           inputFields {{ ...InputValue }} interfaces {{ ...TypeRef }} \
           enumValues(includeDeprecated: true) {{ name description isDeprecated deprecationReason }} \
           possibleTypes {{ ...TypeRef }} }}
         fragment InputValue on __InputValue {{ name description type {{ ...TypeRef }} defaultValue }}
         fragment TypeRef on __Type {{ {type_ref} }}"
    )
}

#[tokio::test]
async fn graphiql_can_read_the_schema_for_its_docs_and_completion() {
    let env = Env::new("graphiql_schema").await;
    let key = env.api_key("Acme", "viewer").await;
    let server = Server::start(&env, &["--no-workers"]).await;
    let body = server
        .gql(Some(&key))
        .raw(&graphiql_schema_query(), json!({}))
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let types = body["data"]["__schema"]["types"].as_array().expect("types");
    assert!(
        types.iter().any(|t| t["name"] == "StoreSettings"),
        "the schema's own types are there"
    );
}
