//! Routing under `/rest/V1/...`, `/rest/{store_code}/V1/...` and the same behind
//! `/index.php`, in Magento's order: route match (404), then authentication and ACL
//! (401/400), then the service's input (400), then the service.

use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::Value;

use crate::State;
use crate::faults::Action;
use crate::query::{app_params, raw_url_decode};
use crate::response::{ApiError, json_response};
use crate::search::{self, Criteria, SearchError};
use crate::seed::STORE_CODES;

enum Route<'a> {
    StoreConfigs,
    Websites,
    StoreGroups,
    StoreViews,
    AttributeSets,
    TaxClasses,
    TaxRates,
    Orders,
    Order(&'a str),
    Sources,
    Source(&'a str),
    Products,
    /// The SKU as it appears in the path (still percent-encoded).
    Product(&'a str),
    ConfigurableChildren(&'a str),
    CategoryTree,
    Categories,
    Customers,
    Customer(&'a str),
    Invoices,
    CreditMemos,
    Shipments,
    SourceItems,
    StockItem(&'a str),
}

impl Route<'_> {
    /// The ACL resource of the route, named in the 401 an anonymous request gets.
    fn acl_resource(&self) -> &'static str {
        match self {
            Route::StoreConfigs | Route::Websites | Route::StoreGroups | Route::StoreViews => {
                "Magento_Backend::store"
            }
            Route::AttributeSets => "Magento_Catalog::sets",
            Route::TaxClasses | Route::TaxRates => "Magento_Tax::manage_tax",
            Route::Orders | Route::Order(_) => "Magento_Sales::actions_view",
            Route::Sources | Route::Source(_) => "Magento_InventoryApi::source",
            Route::Products | Route::Product(_) | Route::ConfigurableChildren(_) => {
                "Magento_Catalog::products"
            }
            Route::CategoryTree | Route::Categories => "Magento_Catalog::categories",
            Route::Customers | Route::Customer(_) => "Magento_Customer::customer",
            Route::Invoices => "Magento_Sales::sales_invoice",
            Route::CreditMemos => "Magento_Sales::sales_creditmemo",
            Route::Shipments => "Magento_Sales::shipment",
            Route::SourceItems => "Magento_InventoryApi::source_item",
            Route::StockItem(_) => "Magento_CatalogInventory::cataloginventory",
        }
    }
}

/// The part after `V1/`, when the path is a REST path with a valid store code.
fn service_path(path: &str) -> Option<&str> {
    let path = path.strip_prefix("/index.php").unwrap_or(path);
    let rest = path.strip_prefix("/rest/")?;
    if let Some(service) = rest.strip_prefix("V1/") {
        return Some(service);
    }
    // An unknown store code stays part of the path, which then matches no route.
    let (code, after) = rest.split_once('/')?;
    if !STORE_CODES.contains(&code) {
        return None;
    }
    after.strip_prefix("V1/")
}

fn match_route<'a>(method: &Method, service: &'a str, msi: bool) -> Option<Route<'a>> {
    if method != Method::GET {
        return None;
    }
    let segments: Vec<&str> = service.trim_end_matches('/').split('/').collect();
    Some(match segments[..] {
        ["store", "storeConfigs"] => Route::StoreConfigs,
        ["store", "websites"] => Route::Websites,
        ["store", "storeGroups"] => Route::StoreGroups,
        ["store", "storeViews"] => Route::StoreViews,
        ["products", "attribute-sets", "sets", "list"] => Route::AttributeSets,
        ["taxClasses", "search"] => Route::TaxClasses,
        ["taxRates", "search"] => Route::TaxRates,
        ["orders"] => Route::Orders,
        ["orders", id] if !id.is_empty() => Route::Order(id),
        // Without the MSI modules their routes do not exist at all.
        ["inventory", "sources"] if msi => Route::Sources,
        ["inventory", "sources", code] if msi && !code.is_empty() => Route::Source(code),
        ["inventory", "source-items"] if msi => Route::SourceItems,
        ["products"] => Route::Products,
        ["products", sku] if !sku.is_empty() => Route::Product(sku),
        ["configurable-products", sku, "children"] if !sku.is_empty() => {
            Route::ConfigurableChildren(sku)
        }
        ["categories"] => Route::CategoryTree,
        ["categories", "list"] => Route::Categories,
        ["customers", "search"] => Route::Customers,
        ["customers", id] if !id.is_empty() => Route::Customer(id),
        ["invoices"] => Route::Invoices,
        ["creditmemos"] => Route::CreditMemos,
        ["shipments"] => Route::Shipments,
        ["stockItems", sku] if !sku.is_empty() => Route::StockItem(sku),
        _ => return None,
    })
}

fn product_not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "The product that was requested doesn't exist. Verify the product and try again.",
    )
}

/// The product row with this SKU (as sent in the path, percent-encoded). Magento matches
/// SKUs case-insensitively.
fn product_by_sku<'a>(products: &'a [Value], raw_sku: &str) -> Result<&'a Value, ApiError> {
    let sku = raw_url_decode(raw_sku);
    products
        .iter()
        .find(|p| {
            p["sku"]
                .as_str()
                .is_some_and(|s| s.eq_ignore_ascii_case(&sku))
        })
        .ok_or_else(product_not_found)
}

/// A product as lists render it: Magento's product list (and the configurable children
/// list) leaves `extension_attributes.stock_item` out.
fn without_stock_item(mut product: Value) -> Value {
    if let Some(extension) = product
        .get_mut("extension_attributes")
        .and_then(Value::as_object_mut)
    {
        extension.remove("stock_item");
    }
    product
}

fn required_search(rows: &[Value], criteria: Option<Criteria>) -> Result<Value, ApiError> {
    let criteria = criteria.ok_or_else(|| ApiError::required("searchCriteria"))?;
    search::search(rows, &criteria).map_err(|SearchError::UnknownField(field)| {
        tracing::debug!(%field, "sandbox search on an unknown column");
        ApiError::internal()
    })
}

pub(crate) async fn dispatch(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<State>,
) -> HttpResponse {
    if let Some(control) = req.path().strip_prefix("/sandbox/") {
        return crate::control::handle(&req, control, &body, &state);
    }
    let Some(service) = service_path(req.path()) else {
        // Outside the REST area a real shop would render its storefront 404 page.
        return HttpResponse::NotFound()
            .content_type("text/html; charset=utf-8")
            .body("<html><head><title>404 Not Found</title></head><body><h1>Whoops, our bad...</h1></body></html>");
    };
    let Some(route) = match_route(req.method(), service, state.msi) else {
        return ApiError::route_not_found().into_response();
    };
    let _in_flight = state.stats.enter();
    if !state.latency.is_zero() {
        tokio::time::sleep(state.latency).await;
    }
    // Faults strike before authentication, as a proxy or an overloaded PHP pool would,
    // so a failed attempt never uses up the client's nonce.
    let mut malformed = false;
    match state.faults.take(service) {
        None => {}
        Some(Action::Delay(delay)) => tokio::time::sleep(delay).await,
        Some(Action::Hang(delay)) => {
            tokio::time::sleep(delay).await;
            return ApiError::internal().into_response();
        }
        Some(Action::Respond {
            status,
            retry_after,
        }) => return fault_response(status, retry_after),
        Some(Action::Drop) => return dropped_connection(),
        Some(Action::Malformed) => malformed = true,
    }
    if let Err(err) = state.verifier.verify(&req, route.acl_resource()) {
        return err.into_response();
    }
    let params = app_params(req.query_string());
    let criteria = Criteria::parse(&params);
    let seed = &state.seed;
    let result = match route {
        Route::StoreConfigs => Ok(Value::from(seed.store_configs.clone())),
        Route::Websites => Ok(Value::from(seed.websites.clone())),
        Route::StoreGroups => Ok(Value::from(seed.store_groups.clone())),
        Route::StoreViews => Ok(Value::from(seed.store_views.clone())),
        Route::AttributeSets => required_search(&seed.attribute_sets, criteria),
        Route::TaxClasses => required_search(&seed.tax_classes, criteria),
        Route::TaxRates => required_search(&seed.tax_rates, criteria),
        Route::Orders => required_search(&seed.orders, criteria),
        Route::Order(id) => seed
            .orders
            .iter()
            .find(|o| id.parse::<i64>().is_ok_and(|id| o["entity_id"] == id))
            .cloned()
            .ok_or_else(ApiError::no_such_entity),
        // MSI declares the criteria argument optional.
        Route::Sources => match criteria {
            Some(_) => required_search(&seed.sources, criteria),
            None => Ok(search::search_all(&seed.sources)),
        },
        Route::Source(code) => seed
            .sources
            .iter()
            .find(|s| s["source_code"] == code)
            .cloned()
            .ok_or_else(|| {
                ApiError::with_parameters(
                    StatusCode::NOT_FOUND,
                    "Source with code \"%value\" does not exist.",
                    serde_json::json!({ "value": code }),
                )
            }),
        Route::Products => required_search(&seed.products, criteria).map(|mut page| {
            if let Some(items) = page.get_mut("items").and_then(Value::as_array_mut) {
                for item in items.iter_mut() {
                    *item = without_stock_item(item.take());
                }
            }
            page
        }),
        Route::Product(sku) => product_by_sku(&seed.products, sku).cloned(),
        Route::ConfigurableChildren(sku) => product_by_sku(&seed.products, sku).map(|parent| {
            let links = parent["extension_attributes"]["configurable_product_links"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let children: Vec<Value> = links
                .iter()
                .filter_map(|id| seed.products.iter().find(|p| p["id"] == *id))
                .map(|child| without_stock_item(child.clone()))
                .collect();
            Value::from(children)
        }),
        Route::CategoryTree => Ok(seed.category_tree.clone()),
        Route::Categories => required_search(&seed.categories, criteria),
        Route::Customers => required_search(&seed.customers, criteria),
        Route::Customer(id) => seed
            .customers
            .iter()
            .find(|c| id.parse::<i64>().is_ok_and(|id| c["id"] == id))
            .cloned()
            .ok_or_else(|| {
                ApiError::with_parameters(
                    StatusCode::NOT_FOUND,
                    "No such entity with %fieldName = %fieldValue",
                    serde_json::json!({ "fieldName": "customerId", "fieldValue": id }),
                )
            }),
        Route::Invoices => required_search(&seed.invoices, criteria),
        Route::CreditMemos => required_search(&seed.creditmemos, criteria),
        Route::Shipments => required_search(&seed.shipments, criteria),
        Route::SourceItems => required_search(&seed.source_items, criteria),
        Route::StockItem(sku) => product_by_sku(&seed.products, sku).and_then(|product| {
            seed.stock_items
                .iter()
                .find(|s| s["sku"] == product["sku"])
                .map(|s| s["item"].clone())
                // Composites have a stock item too (qty 0, in stock): the product's own.
                .or_else(|| product["extension_attributes"].get("stock_item").cloned())
                .ok_or_else(product_not_found)
        }),
    };
    match result {
        Ok(_) if malformed => HttpResponse::Ok()
            .content_type("application/json; charset=utf-8")
            .body(r#"{"items":[{"id":1,"code":"def"#),
        Ok(body) => {
            let body = match params.get("fields") {
                Some(spec) => search::project(&body, &search::parse_fields(spec)),
                None => body,
            };
            json_response(StatusCode::OK, &body)
        }
        Err(err) => err.into_response(),
    }
}

/// A fault's answer: 429 as Magento's backpressure renders it, a masked PHP error for
/// 500, and a gateway's HTML page for 502–504.
fn fault_response(status: u16, retry_after: Option<u64>) -> HttpResponse {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let mut response = match status {
        429 => ApiError::new(code, "Too Many Requests").into_response(),
        500 => ApiError::internal().into_response(),
        _ => HttpResponse::build(code)
            .content_type("text/html")
            .body(format!(
                "<html><body><h1>{status} {}</h1></body></html>",
                code.canonical_reason().unwrap_or("Error")
            )),
    };
    if let Some(seconds) = retry_after
        && let Ok(value) = actix_web::http::header::HeaderValue::from_str(&seconds.to_string())
    {
        response
            .headers_mut()
            .insert(actix_web::http::header::RETRY_AFTER, value);
    }
    response
}

/// Starts an answer and breaks the connection off mid-body, as a crashed PHP worker or
/// a proxy reset does.
fn dropped_connection() -> HttpResponse {
    let body = futures_util::stream::iter([
        Ok(web::Bytes::from_static(b"{\"items\":[")),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "connection dropped by fault",
        )),
    ]);
    HttpResponse::Ok()
        .content_type("application/json")
        .streaming(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_codes_and_index_php_prefixes_are_understood() {
        assert_eq!(service_path("/rest/V1/orders"), Some("orders"));
        assert_eq!(service_path("/rest/default/V1/orders"), Some("orders"));
        assert_eq!(
            service_path("/index.php/rest/all/V1/store/websites"),
            Some("store/websites")
        );
        assert_eq!(service_path("/rest/admin/V1/orders"), None);
        assert_eq!(service_path("/rest/nope/V1/orders"), None);
        assert_eq!(service_path("/V1/orders"), None);
    }

    #[test]
    fn msi_routes_exist_only_with_msi() {
        assert!(match_route(&Method::GET, "inventory/sources", true).is_some());
        assert!(match_route(&Method::GET, "inventory/sources", false).is_none());
        assert!(match_route(&Method::POST, "orders", true).is_none());
    }
}
