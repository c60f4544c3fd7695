//! Signed calls to a store's admin REST API (`{base}/rest/V1/...`).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use prometheus::{IntCounterVec, Opts};
use reqwest::Method;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::chunking::{chunk_size_for, learn_limit, parse_array_limit};
use crate::dto::{self, SearchResult};
use crate::error::MagentoError;
use crate::oauth::{self, Credentials, OAuthParams};
use crate::resilience::{Limiter, RetryPolicy, StoreLimits, limiter_for};
use crate::search::SearchCriteria;

#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// Whole request, body included.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// The `store` label of the request metric (e.g. our store id); also keys the
    /// per-store limits.
    pub store_label: String,
    pub retry: RetryPolicy,
    pub limits: StoreLimits,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            store_label: "unlabelled".to_owned(),
            retry: RetryPolicy::default(),
            limits: StoreLimits::default(),
        }
    }
}

/// Orders are heavy; 100 is also well under the 300 that stores with input limits enforce.
const DEFAULT_PAGE_SIZE: u32 = 100;
const MAX_PAGE_SIZE: u32 = 300;

struct Inner {
    http: reqwest::Client,
    base_url: String,
    credentials: Credentials,
    store_label: String,
    retry: RetryPolicy,
    limiter: Arc<Limiter>,
}

/// A handle on one store. Cheap to clone: clones share the connection pool.
#[derive(Clone)]
pub struct MagentoClient {
    inner: Arc<Inner>,
    page_size: u32,
}

impl fmt::Debug for MagentoClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MagentoClient")
            .field("base_url", &self.inner.base_url)
            .finish_non_exhaustive()
    }
}

fn invalid(message: impl Into<String>) -> MagentoError {
    MagentoError::InvalidRequest {
        message: message.into(),
    }
}

/// Checks the shop URL and returns it without trailing slashes. A pasted REST endpoint
/// (`…/rest` or `…/rest/V1`) is cut back to the shop URL, since `/rest/V1` is appended.
fn normalise_base_url(base_url: &str) -> Result<String, MagentoError> {
    let mut base = base_url.trim().trim_end_matches('/').to_owned();
    for suffix in ["/rest/V1", "/rest"] {
        if let Some(stripped) = base.strip_suffix(suffix) {
            base = stripped.trim_end_matches('/').to_owned();
        }
    }
    let parsed = url::Url::parse(&base)
        .map_err(|e| invalid(format!("the base URL is not a valid URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid(format!(
            "the base URL must start with http:// or https://, not {}://",
            parsed.scheme()
        )));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(invalid("the base URL has no host"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(invalid(
            "the base URL must not contain a user name or password",
        ));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(invalid(
            "the base URL must not contain a query (?…) or fragment (#…)",
        ));
    }
    // The serialised form is what goes on the wire (host lowercased, default port dropped,
    // path percent-encoded), so signing it signs what Magento will see.
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}

fn requests_counter() -> Option<&'static IntCounterVec> {
    static COUNTER: OnceLock<Option<IntCounterVec>> = OnceLock::new();
    COUNTER
        .get_or_init(|| {
            let counter = IntCounterVec::new(
                Opts::new(
                    "stockbridge_magento_requests_total",
                    "Magento REST calls by store, endpoint and outcome",
                ),
                &["store", "endpoint", "outcome"],
            )
            .ok()?;
            // Another copy of this crate may have registered it first; counting into an
            // unregistered vector then is harmless.
            let _ = prometheus::default_registry().register(Box::new(counter.clone()));
            Some(counter)
        })
        .as_ref()
}

/// The error chain of a transport failure ("tcp connect error: Connection refused"),
/// which reqwest's top-level message alone does not show.
fn describe_transport_error(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let part = cause.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = cause.source();
    }
    text
}

/// A quantity as a JSON number (Magento's typed input casts strings too, but a number is
/// what its schema declares). Integral values go out without a fraction.
fn decimal_number(value: Decimal) -> Result<Value, MagentoError> {
    let text = value.normalize().to_string();
    match serde_json::from_str::<Value>(&text) {
        Ok(number @ Value::Number(_)) => Ok(number),
        _ => Err(invalid(format!(
            "the quantity {value} is not a JSON number"
        ))),
    }
}

impl MagentoClient {
    /// `base_url` is the shop URL, e.g. `https://shop.example.com` or
    /// `https://shop.example.com/index.php`; the client appends `/rest/V1/...`.
    pub fn new(
        base_url: &str,
        credentials: Credentials,
        options: ClientOptions,
    ) -> Result<Self, MagentoError> {
        let base_url = normalise_base_url(base_url)?;
        let http = reqwest::Client::builder()
            .timeout(options.timeout)
            .connect_timeout(options.connect_timeout)
            // A redirect (http → https, missing /index.php) changes the URL the signature
            // covers; surface it so the base URL gets fixed instead of failing as a 401.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("stockbridge-magento/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| invalid(format!("could not build the HTTP client: {e}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                base_url,
                credentials,
                limiter: limiter_for(&options.store_label, &options.limits),
                store_label: options.store_label,
                retry: options.retry,
            }),
            page_size: DEFAULT_PAGE_SIZE,
        })
    }

    /// Page size of the paged reads (default 100, at most 300).
    pub fn with_page_size(mut self, page_size: u32) -> Self {
        self.page_size = page_size.clamp(1, MAX_PAGE_SIZE);
        self
    }

    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    pub(crate) fn secrets(&self) -> [&str; 4] {
        let c = &self.inner.credentials;
        [
            &c.consumer_key,
            &c.consumer_secret,
            &c.access_token,
            &c.access_token_secret,
        ]
    }

    fn count(&self, endpoint: &str, outcome: &str) {
        if let Some(counter) = requests_counter() {
            counter
                .with_label_values(&[self.inner.store_label.as_str(), endpoint, outcome])
                .inc();
        }
    }

    /// A signed GET, retried while the failure may heal by itself (within the store's
    /// limits, signed afresh each time). `endpoint` is the path template used as metric
    /// label, `path` the concrete path after `/rest`. GETs change nothing, so a retry
    /// never doubles an effect.
    async fn get_bytes(
        &self,
        endpoint: &'static str,
        path: &str,
        query: &[(String, String)],
    ) -> Result<Vec<u8>, MagentoError> {
        self.send(Method::GET, endpoint, path, query, None).await
    }

    /// A signed request, retried while the failure may heal by itself (within the store's
    /// limits, signed afresh each time). `body` goes out as JSON and is not part of the
    /// OAuth signature (Magento signs method, URL and query only). Only idempotent calls
    /// may come here: a retry after a lost answer repeats a write that may have landed.
    pub(crate) async fn send(
        &self,
        method: Method,
        endpoint: &'static str,
        path: &str,
        query: &[(String, String)],
        body: Option<&serde_json::Value>,
    ) -> Result<Vec<u8>, MagentoError> {
        let body = match body {
            Some(value) => Some(
                serde_json::to_vec(value)
                    .map_err(|e| invalid(format!("could not serialise the request body: {e}")))?,
            ),
            None => None,
        };
        let policy = &self.inner.retry;
        let mut attempt = 1;
        loop {
            let result = {
                let _slot = self.inner.limiter.acquire().await;
                self.send_once(&method, endpoint, path, query, body.as_deref())
                    .await
            };
            match result {
                Err(err) if err.is_retryable() && attempt < policy.max_attempts => {
                    let delay = self.retry_delay(&err, attempt);
                    tracing::info!(
                        store = %self.inner.store_label, endpoint, attempt, ?delay, error = %err,
                        "retrying a Magento request"
                    );
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// A write that would do harm if applied twice (create a product, add a child link,
    /// ship, comment). It is retried like any request when it certainly did not run; when
    /// its outcome is unknown (see [`MagentoError::outcome_unknown`]) `took_effect` reads
    /// the store first: `Some(result)` ends here as if the write had answered, `None` sends
    /// it again. A check that itself fails gives the write's own error back, so the caller
    /// sees why the write is in doubt.
    pub(crate) async fn send_unrepeatable<T, Check, Checked>(
        &self,
        method: Method,
        endpoint: &'static str,
        path: &str,
        body: &serde_json::Value,
        parse: impl Fn(&[u8]) -> Result<T, MagentoError>,
        took_effect: Check,
    ) -> Result<T, MagentoError>
    where
        Check: Fn() -> Checked,
        Checked: std::future::Future<Output = Result<Option<T>, MagentoError>>,
    {
        let body = serde_json::to_vec(body)
            .map_err(|e| invalid(format!("could not serialise the request body: {e}")))?;
        let policy = &self.inner.retry;
        let mut attempt = 1;
        loop {
            let result = {
                let _slot = self.inner.limiter.acquire().await;
                self.send_once(&method, endpoint, path, &[], Some(&body))
                    .await
            };
            let err = match result {
                Ok(bytes) => return parse(&bytes),
                Err(err) => err,
            };
            if !err.is_retryable() || attempt >= policy.max_attempts {
                return Err(err);
            }
            if err.outcome_unknown() {
                match took_effect().await {
                    Ok(Some(done)) => {
                        tracing::info!(
                            store = %self.inner.store_label, endpoint, attempt, error = %err,
                            "a write whose answer was lost had been applied; not repeating it"
                        );
                        return Ok(done);
                    }
                    Ok(None) => {}
                    Err(check) => {
                        tracing::warn!(
                            store = %self.inner.store_label, endpoint, error = %err, check = %check,
                            "could not tell whether a write was applied; not repeating it"
                        );
                        return Err(err);
                    }
                }
            }
            let delay = self.retry_delay(&err, attempt);
            tracing::info!(
                store = %self.inner.store_label, endpoint, attempt, ?delay, error = %err,
                "retrying a Magento write that was not applied"
            );
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    /// Backoff before attempt `attempt + 1`, honouring a throttled answer's Retry-After.
    fn retry_delay(&self, err: &MagentoError, attempt: u32) -> std::time::Duration {
        let retry_after = match err {
            MagentoError::Throttled {
                retry_after_seconds,
            } => *retry_after_seconds,
            _ => None,
        };
        self.inner.retry.delay(attempt, retry_after, rand::random())
    }

    /// One signed request; `body` is sent as `application/json`.
    async fn send_once(
        &self,
        method: &Method,
        endpoint: &'static str,
        path: &str,
        query: &[(String, String)],
        body: Option<&[u8]>,
    ) -> Result<Vec<u8>, MagentoError> {
        let url = format!("{}/rest{path}", self.inner.base_url);
        let encoded = oauth::encode_query(query);
        let full = if encoded.is_empty() {
            url.clone()
        } else {
            format!("{url}?{encoded}")
        };
        let (header, base_string) = oauth::sign(
            &self.inner.credentials,
            method.as_str(),
            &url,
            query,
            &OAuthParams::fresh(),
        );
        if tracing::enabled!(tracing::Level::TRACE) {
            let c = &self.inner.credentials;
            let shown = base_string
                .replace(&c.access_token, "[token]")
                .replace(&c.consumer_key, "[consumer]");
            tracing::trace!(endpoint, base_string = %shown, "signing Magento request");
        }

        let mut request = self
            .inner
            .http
            .request(method.clone(), &full)
            .header(AUTHORIZATION, header)
            .header(ACCEPT, "application/json");
        if let Some(bytes) = body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(bytes.to_vec());
        }
        let sent = request.send().await;
        let response = match sent {
            Ok(r) => r,
            Err(err) => return Err(self.transport_error(endpoint, &err)),
        };
        let status = response.status().as_u16();
        self.count(endpoint, &status.to_string());
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let body = match response.bytes().await {
            Ok(b) => b.to_vec(),
            Err(err) if err.is_timeout() => return Err(MagentoError::Timeout),
            Err(err) => {
                return Err(MagentoError::Unreachable {
                    message: format!(
                        "the response body broke off: {}",
                        describe_transport_error(&err)
                    ),
                }
                .redact(&self.secrets()));
            }
        };
        tracing::debug!(store = %self.inner.store_label, endpoint, status, bytes = body.len(), "Magento answered");
        if (200..300).contains(&status) {
            Ok(body)
        } else {
            let err =
                MagentoError::from_response(status, retry_after, &String::from_utf8_lossy(&body));
            Err(err.redact(&self.secrets()))
        }
    }

    fn transport_error(&self, endpoint: &str, err: &reqwest::Error) -> MagentoError {
        if err.is_timeout() {
            self.count(endpoint, "timeout");
            return MagentoError::Timeout;
        }
        self.count(endpoint, "unreachable");
        if err.is_builder() {
            return invalid(format!("could not build the request: {err}")).redact(&self.secrets());
        }
        MagentoError::Unreachable {
            message: describe_transport_error(err),
        }
        .redact(&self.secrets())
    }

    async fn get_json<T: DeserializeOwned>(
        &self,
        endpoint: &'static str,
        query: &[(String, String)],
        entity: &str,
    ) -> Result<T, MagentoError> {
        let body = self.get_bytes(endpoint, endpoint, query).await?;
        dto::decode(&body, entity, None).map_err(|e| e.redact(&self.secrets()))
    }

    /// Reads every page of a search endpoint. Magento answers a page past the end with the
    /// last page again, so the page count comes from `total_count`, never from an empty page.
    async fn search_all<T: DeserializeOwned>(
        &self,
        endpoint: &'static str,
        criteria: SearchCriteria,
        entity: &str,
    ) -> Result<Vec<T>, MagentoError> {
        let mut items = Vec::new();
        let mut page: u32 = 1;
        loop {
            let (found, total) = self
                .search_page(endpoint, criteria.clone(), page, entity)
                .await?;
            let received = found.len();
            items.extend(found);
            if page >= self.last_page(total) || received < self.page_size as usize {
                return Ok(items);
            }
            page += 1;
        }
    }

    /// The number of the last page of a search that found `total` items, at the client's
    /// page size (1 when it found none). Magento answers a page past the end with the
    /// last page again, so paging stops here, never on an empty page.
    pub fn last_page(&self, total: u64) -> u32 {
        u32::try_from(total.div_ceil(u64::from(self.page_size)))
            .unwrap_or(u32::MAX)
            .max(1)
    }

    /// A signed GET of one entity at a concrete `path` (ids and SKUs already encoded),
    /// counted under the `endpoint` template.
    pub(crate) async fn get_entity<T: DeserializeOwned>(
        &self,
        endpoint: &'static str,
        path: &str,
        entity: &str,
        id: &str,
    ) -> Result<T, MagentoError> {
        let body = self.get_bytes(endpoint, path, &[]).await?;
        dto::decode(&body, entity, Some(id)).map_err(|e| e.redact(&self.secrets()))
    }

    /// Every item a search endpoint returns for `criteria`, read page by page (the
    /// client's page size overrides any page set on `criteria`). `endpoint` is both the
    /// path after `/rest` and the metric label; `entity` names the item in decode errors.
    pub async fn search<T: DeserializeOwned>(
        &self,
        endpoint: &'static str,
        criteria: SearchCriteria,
        entity: &str,
    ) -> Result<Vec<T>, MagentoError> {
        self.search_all(endpoint, criteria, entity).await
    }

    /// `GET /V1/products`: the catalog's products matching `criteria`. Magento's list
    /// omits `extension_attributes.stock_item`; read it with [`Self::product`] or
    /// [`Self::stock_item`].
    pub async fn products(
        &self,
        criteria: SearchCriteria,
    ) -> Result<Vec<dto::Product>, MagentoError> {
        self.search_all("/V1/products", criteria, "product").await
    }

    /// Page `page` (1-based) of `GET /V1/products` for `criteria`, at the client's page
    /// size, with the search's `total_count`: for reading a large catalog without holding
    /// it. Magento answers a page past the end with the last page again, so a caller stops
    /// once `page × page size ≥ total_count`, never on an empty page. Give `criteria` a
    /// sort on a unique field (`entity_id`) so pages neither overlap nor skip.
    pub async fn products_page(
        &self,
        criteria: SearchCriteria,
        page: u32,
    ) -> Result<(Vec<dto::Product>, u64), MagentoError> {
        self.search_page("/V1/products", criteria, page, "product")
            .await
    }

    /// Page `page` of `GET /V1/customers/search`, as [`Self::products_page`] reads
    /// products (sort on `entity_id`).
    pub async fn customers_page(
        &self,
        criteria: SearchCriteria,
        page: u32,
    ) -> Result<(Vec<dto::Customer>, u64), MagentoError> {
        self.search_page("/V1/customers/search", criteria, page, "customer")
            .await
    }

    async fn search_page<T: DeserializeOwned>(
        &self,
        endpoint: &'static str,
        criteria: SearchCriteria,
        page: u32,
        entity: &str,
    ) -> Result<(Vec<T>, u64), MagentoError> {
        let query = criteria.page(self.page_size, page.max(1)).to_query()?;
        let result: SearchResult<T> = self.get_json(endpoint, &query, entity).await?;
        Ok((result.items, result.total_count))
    }

    /// The page size of paged reads ([`Self::with_page_size`]).
    pub fn page_size(&self) -> u32 {
        self.page_size
    }

    /// `GET /V1/products/{sku}` (SKU percent-encoded, so `/` and blanks survive), with
    /// its stock item. An unknown SKU is [`MagentoError::NotFound`].
    pub async fn product(&self, sku: &str) -> Result<dto::Product, MagentoError> {
        let path = format!("/V1/products/{}", oauth::percent_encode(sku));
        self.get_entity("/V1/products/{sku}", &path, "product", sku)
            .await
    }

    /// `GET /V1/configurable-products/{sku}/children`: the child products of a
    /// configurable. A SKU that is not a configurable yields an empty list; an unknown
    /// SKU is [`MagentoError::NotFound`].
    pub async fn configurable_children(
        &self,
        sku: &str,
    ) -> Result<Vec<dto::Product>, MagentoError> {
        let path = format!(
            "/V1/configurable-products/{}/children",
            oauth::percent_encode(sku)
        );
        self.get_entity(
            "/V1/configurable-products/{sku}/children",
            &path,
            "configurable child",
            sku,
        )
        .await
    }

    /// `GET /V1/categories`: the category tree below the root category (id 1).
    pub async fn category_tree(&self) -> Result<dto::Category, MagentoError> {
        self.get_json("/V1/categories", &[], "category").await
    }

    /// `GET /V1/categories/list`: flat category rows with `path` and `children`.
    pub async fn categories(
        &self,
        criteria: SearchCriteria,
    ) -> Result<Vec<dto::CategoryListItem>, MagentoError> {
        self.search_all("/V1/categories/list", criteria, "category")
            .await
    }

    /// `GET /V1/customers/search`.
    pub async fn customers(
        &self,
        criteria: SearchCriteria,
    ) -> Result<Vec<dto::Customer>, MagentoError> {
        self.search_all("/V1/customers/search", criteria, "customer")
            .await
    }

    /// `GET /V1/customers/{id}`. An unknown id is [`MagentoError::NotFound`].
    pub async fn customer(&self, id: i64) -> Result<dto::Customer, MagentoError> {
        let id = id.to_string();
        self.get_entity(
            "/V1/customers/{id}",
            &format!("/V1/customers/{id}"),
            "customer",
            &id,
        )
        .await
    }

    /// `GET /V1/orders`.
    pub async fn orders(&self, criteria: SearchCriteria) -> Result<Vec<dto::Order>, MagentoError> {
        self.search_all("/V1/orders", criteria, "order").await
    }

    /// `GET /V1/orders/{id}` by entity id (not increment id). An unknown id is
    /// [`MagentoError::NotFound`].
    pub async fn order(&self, id: i64) -> Result<dto::Order, MagentoError> {
        let id = id.to_string();
        self.get_entity("/V1/orders/{id}", &format!("/V1/orders/{id}"), "order", &id)
            .await
    }

    /// Page `page` of `GET /V1/orders` for `criteria`, each order as the JSON Magento
    /// sent, with the search's `total_count` (see [`Self::products_page`] on paging). Kept
    /// raw so one order that does not decode is filed with its reason, not lost with
    /// its page.
    pub async fn orders_page_raw(
        &self,
        criteria: SearchCriteria,
        page: u32,
    ) -> Result<(Vec<serde_json::Value>, u64), MagentoError> {
        self.search_page("/V1/orders", criteria, page, "order")
            .await
    }

    /// `GET /V1/orders/{id}` as the JSON Magento sent (see [`Self::orders_page_raw`]).
    pub async fn order_raw(&self, id: i64) -> Result<serde_json::Value, MagentoError> {
        let id = id.to_string();
        self.get_entity("/V1/orders/{id}", &format!("/V1/orders/{id}"), "order", &id)
            .await
    }

    /// `GET /V1/invoices`.
    pub async fn invoices(
        &self,
        criteria: SearchCriteria,
    ) -> Result<Vec<dto::Invoice>, MagentoError> {
        self.search_all("/V1/invoices", criteria, "invoice").await
    }

    /// `GET /V1/creditmemos`.
    pub async fn credit_memos(
        &self,
        criteria: SearchCriteria,
    ) -> Result<Vec<dto::CreditMemo>, MagentoError> {
        self.search_all("/V1/creditmemos", criteria, "credit memo")
            .await
    }

    /// `GET /V1/shipments`.
    pub async fn shipments(
        &self,
        criteria: SearchCriteria,
    ) -> Result<Vec<dto::Shipment>, MagentoError> {
        self.search_all("/V1/shipments", criteria, "shipment").await
    }

    /// `GET /V1/inventory/source-items` (MSI): quantity and status per SKU and source.
    /// Without the MSI modules the route does not exist and this is
    /// [`MagentoError::NotFound`]; see [`Self::inventory_sources`].
    pub async fn source_items(
        &self,
        criteria: SearchCriteria,
    ) -> Result<Vec<dto::SourceItem>, MagentoError> {
        self.search_all("/V1/inventory/source-items", criteria, "source item")
            .await
    }

    /// `GET /V1/stockItems/{sku}`: the legacy (default stock) stock item. An unknown SKU
    /// is [`MagentoError::NotFound`].
    pub async fn stock_item(&self, sku: &str) -> Result<dto::StockItem, MagentoError> {
        let path = format!("/V1/stockItems/{}", oauth::percent_encode(sku));
        self.get_entity("/V1/stockItems/{sku}", &path, "stock item", sku)
            .await
    }

    /// `POST /V1/inventory/source-items` (MSI): sets the quantity and status of each
    /// (SKU, source) pair. Sent in chunks of [`chunk_size_for`] this store; a chunk the
    /// store refuses with 400 "Maximum items of type … is N" teaches the store's limit
    /// (remembered for later calls) and is split and sent again, down to one item a
    /// request. Nothing is sent for an empty slice.
    ///
    /// Magento upserts source items by (sku, source_code) and this sets absolute
    /// quantities, so the write is idempotent: retrying a chunk whose answer was lost
    /// (a 503 from a gateway, a timeout) cannot double a quantity. That is why it goes
    /// through the same retry loop as reads. Chunks already saved stay saved when a
    /// later chunk fails.
    pub async fn save_source_items(&self, items: &[dto::SourceItem]) -> Result<(), MagentoError> {
        const ENDPOINT: &str = "POST /V1/inventory/source-items";
        let store = self.inner.store_label.as_str();
        let mut rows = Vec::with_capacity(items.len());
        for item in items {
            rows.push(json!({
                "sku": item.sku,
                "source_code": item.source_code,
                "quantity": decimal_number(item.quantity)?,
                "status": item.status,
            }));
        }
        let mut offset = 0;
        while offset < rows.len() {
            let size = chunk_size_for(store).max(1);
            let chunk = &rows[offset..rows.len().min(offset + size)];
            let body = json!({ "sourceItems": chunk });
            match self
                .send(
                    Method::POST,
                    ENDPOINT,
                    "/V1/inventory/source-items",
                    &[],
                    Some(&body),
                )
                .await
            {
                Ok(_) => offset += chunk.len(),
                Err(err) => {
                    let Some(limit) = parse_array_limit(&err) else {
                        return Err(err);
                    };
                    // A store that names a limit at or above what it just refused is not
                    // making sense; halving still converges, and one item is the floor.
                    let learnt = if limit < chunk.len() {
                        limit
                    } else if chunk.len() > 1 {
                        chunk.len() / 2
                    } else {
                        return Err(err);
                    };
                    tracing::info!(
                        store,
                        endpoint = ENDPOINT,
                        refused = chunk.len(),
                        limit = learnt,
                        "the store limits array inputs; sending smaller chunks"
                    );
                    learn_limit(store, learnt);
                }
            }
        }
        Ok(())
    }

    /// `PUT /V1/products/{sku}/stockItems/{itemId}`: sets the legacy (default stock)
    /// stock item's quantity and stock status, and with `manage_stock` its own
    /// manage-stock flag (turning `use_config_manage_stock` off). Returns the item id
    /// Magento answers (a JSON string like `"190"` on real stores, or a number).
    ///
    /// It sets absolute values, so it is idempotent and retried like a read. An unknown
    /// SKU is [`MagentoError::NotFound`].
    pub async fn update_legacy_stock_item(
        &self,
        sku: &str,
        item_id: i64,
        qty: Decimal,
        is_in_stock: bool,
        manage_stock: Option<bool>,
    ) -> Result<i64, MagentoError> {
        const ENDPOINT: &str = "PUT /V1/products/{sku}/stockItems/{itemId}";
        let mut stock_item = json!({
            "qty": decimal_number(qty)?,
            "is_in_stock": is_in_stock,
        });
        if let Some(manage) = manage_stock {
            stock_item["manage_stock"] = Value::Bool(manage);
            stock_item["use_config_manage_stock"] = Value::Bool(false);
        }
        let path = format!(
            "/V1/products/{}/stockItems/{item_id}",
            oauth::percent_encode(sku)
        );
        let body = json!({ "stockItem": stock_item });
        let bytes = self
            .send(Method::PUT, ENDPOINT, &path, &[], Some(&body))
            .await?;
        let answer: Value = dto::decode(&bytes, "stock item id", Some(sku))
            .map_err(|e| e.redact(&self.secrets()))?;
        match &answer {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse::<i64>().ok(),
            _ => None,
        }
        .ok_or_else(|| MagentoError::Decode {
            entity: "stock item id".to_owned(),
            id: Some(sku.to_owned()),
            message: format!("expected an item id, got {answer}"),
        })
    }

    /// `GET /V1/store/storeConfigs`: one entry per store view (admin excluded by Magento).
    /// Cheap and readable by any integration with store access, so it doubles as the
    /// credentials check.
    pub async fn store_configs(&self) -> Result<Vec<dto::StoreConfig>, MagentoError> {
        self.get_json("/V1/store/storeConfigs", &[], "store config")
            .await
    }

    /// `GET /V1/store/websites` without the `admin` website (id 0).
    pub async fn websites(&self) -> Result<Vec<dto::Website>, MagentoError> {
        let all: Vec<dto::Website> = self.get_json("/V1/store/websites", &[], "website").await?;
        Ok(all.into_iter().filter(|w| w.id != 0).collect())
    }

    /// `GET /V1/store/storeViews` without the `admin` store view (id 0).
    pub async fn store_views(&self) -> Result<Vec<dto::StoreView>, MagentoError> {
        let all: Vec<dto::StoreView> = self
            .get_json("/V1/store/storeViews", &[], "store view")
            .await?;
        Ok(all.into_iter().filter(|v| v.id != 0).collect())
    }

    /// Every attribute set, of every entity type (`entity_type_id` 4 is products on a
    /// default install).
    pub async fn attribute_sets(&self) -> Result<Vec<dto::AttributeSet>, MagentoError> {
        self.search_all(
            "/V1/products/attribute-sets/sets/list",
            SearchCriteria::new(),
            "attribute set",
        )
        .await
    }

    pub async fn tax_classes(&self) -> Result<Vec<dto::TaxClass>, MagentoError> {
        self.search_all("/V1/taxClasses/search", SearchCriteria::new(), "tax class")
            .await
    }

    pub async fn tax_rates(&self) -> Result<Vec<dto::TaxRate>, MagentoError> {
        self.search_all("/V1/taxRates/search", SearchCriteria::new(), "tax rate")
            .await
    }

    /// The payment methods the store's orders used since `since`, sorted by code.
    ///
    /// Magento's admin REST API cannot list a store's payment methods: the only payment
    /// method endpoints are per cart (`/V1/carts/{id}/payment-methods`). So this reads the
    /// orders created since `since` (`GET /V1/orders`, `created_at gteq`, projected to
    /// their payment data, 100 per page) and collects the distinct `payment.method`
    /// codes. The title is the order's `payment_additional_info` entry `method_title`
    /// (the title at checkout), else `payment.additional_information[0]` when it reads
    /// like a title (offline methods put it there), else the code itself. A method that
    /// no order used in the window is missing, and one that was since disabled still
    /// appears.
    pub async fn payment_methods_seen(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<dto::PaymentMethod>, MagentoError> {
        let criteria = SearchCriteria::new()
            .filter("created_at", &crate::window::magento_timestamp(since), "gteq")
            .sort("entity_id", true)
            .fields(
                "items[entity_id,increment_id,payment[method,additional_information],extension_attributes[payment_additional_info]],total_count",
            );
        let orders: Vec<dto::Order> = self.search_all("/V1/orders", criteria, "order").await?;
        // code -> (title, whether the title is the checkout title rather than a guess)
        let mut seen: BTreeMap<String, (String, bool)> = BTreeMap::new();
        for order in &orders {
            let Some(code) = order
                .payment
                .as_ref()
                .map(|p| p.method.trim())
                .filter(|c| !c.is_empty())
            else {
                continue;
            };
            let authoritative = order
                .extension_attributes
                .payment_additional_info
                .iter()
                .any(|info| info.key == "method_title" && !info.value.trim().is_empty());
            let title = order.payment_method_title().unwrap_or(code).to_owned();
            match seen.get(code) {
                Some((_, true)) => {}
                Some((_, false)) if !authoritative => {}
                _ => {
                    seen.insert(code.to_owned(), (title, authoritative));
                }
            }
        }
        Ok(seen
            .into_iter()
            .map(|(code, (title, _))| dto::PaymentMethod { code, title })
            .collect())
    }

    /// MSI sources, or `None` when `/V1/inventory/sources` does not exist (404): the MSI
    /// modules are disabled and the store runs legacy single-source stock. Call it after a
    /// successful call like [`Self::store_configs`], so a 404 cannot mean a wrong base URL.
    pub async fn inventory_sources(&self) -> Result<Option<Vec<dto::Source>>, MagentoError> {
        match self
            .search_all(
                "/V1/inventory/sources",
                SearchCriteria::new(),
                "inventory source",
            )
            .await
        {
            Ok(sources) => Ok(Some(sources)),
            Err(MagentoError::NotFound { .. }) => Ok(None),
            Err(other) => Err(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Credentials {
        Credentials {
            consumer_key: "consumerkey0000000000000000000001".into(),
            consumer_secret: "consumersecret000000000000000001".into(),
            access_token: "accesstoken000000000000000000001".into(),
            access_token_secret: "tokensecret000000000000000000001".into(),
        }
    }

    #[test]
    fn base_urls_are_checked_and_trimmed() {
        let ok = |u: &str| {
            MagentoClient::new(u, creds(), ClientOptions::default())
                .map(|c| c.base_url().to_owned())
        };
        assert_eq!(
            ok("http://127.0.0.1:8123/").expect("valid"),
            "http://127.0.0.1:8123"
        );
        assert_eq!(
            ok(" https://shop.example.com/index.php/ ").expect("valid"),
            "https://shop.example.com/index.php"
        );
        assert_eq!(
            ok("https://shop.example.com/rest/V1").expect("valid"),
            "https://shop.example.com"
        );
        assert_eq!(
            ok("HTTPS://Shop.Example.com:443/my shop").expect("valid"),
            "https://shop.example.com/my%20shop"
        );
        for bad in [
            "ftp://shop.example.com",
            "shop.example.com",
            "https://",
            "https://u:p@shop.example.com",
            "https://shop.example.com/?a=1",
        ] {
            let err = ok(bad).expect_err(bad);
            assert_eq!(err.code(), "INVALID_REQUEST", "{bad}");
        }
    }

    #[test]
    fn the_last_page_counts_from_the_total_at_the_page_size() {
        let client = MagentoClient::new("http://127.0.0.1:8123", creds(), ClientOptions::default())
            .expect("client")
            .with_page_size(300);
        assert_eq!(client.last_page(0), 1);
        assert_eq!(client.last_page(300), 1);
        assert_eq!(client.last_page(301), 2);
        assert_eq!(client.last_page(100_010), 334);
    }

    #[test]
    fn debug_shows_the_base_url_only() {
        let client = MagentoClient::new(
            "https://shop.example.com",
            creds(),
            ClientOptions::default(),
        )
        .expect("valid");
        let shown = format!("{client:?}");
        assert!(shown.contains("https://shop.example.com"));
        assert!(
            !shown.contains("secret")
                && !shown.contains("accesstoken")
                && !shown.contains("consumerkey"),
            "{shown}"
        );
    }

    #[test]
    fn quantities_go_out_as_json_numbers() {
        use rust_decimal::dec;
        assert_eq!(decimal_number(dec!(30.000)).expect("number"), json!(30));
        assert_eq!(decimal_number(dec!(7.50)).expect("number"), json!(7.5));
        assert_eq!(decimal_number(dec!(0)).expect("number"), json!(0));
        assert_eq!(decimal_number(dec!(-2)).expect("number"), json!(-2));
    }

    #[tokio::test]
    async fn a_closed_port_is_reported_as_unreachable() {
        // Bind then drop, so nothing listens on the port.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("port")
            .port();
        let client = MagentoClient::new(
            &format!("http://127.0.0.1:{port}"),
            creds(),
            ClientOptions::default(),
        )
        .expect("valid");
        let err = client.store_configs().await.expect_err("nothing listens");
        assert!(matches!(err, MagentoError::Unreachable { .. }), "{err:?}");
        assert_eq!(err.code(), "STORE_UNREACHABLE");
        assert!(err.is_retryable());
        assert!(!err.to_string().contains("secret"));
    }
}
