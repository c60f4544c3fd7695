//! Routing under `/rest/V1/...`, `/rest/{store_code}/V1/...` and the same behind
//! `/index.php`, in Magento's order: route match (404), then authentication and ACL
//! (401/400), then the service's input (400), then the service.

use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::Value;

use crate::State;
use crate::query::app_params;
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
        _ => return None,
    })
}

fn required_search(rows: &[Value], criteria: Option<Criteria>) -> Result<Value, ApiError> {
    let criteria = criteria.ok_or_else(|| ApiError::required("searchCriteria"))?;
    search::search(rows, &criteria).map_err(|SearchError::UnknownField(field)| {
        tracing::debug!(%field, "sandbox search on an unknown column");
        ApiError::internal()
    })
}

pub(crate) async fn dispatch(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    let Some(service) = service_path(req.path()) else {
        // Outside the REST area a real shop would render its storefront 404 page.
        return HttpResponse::NotFound()
            .content_type("text/html; charset=utf-8")
            .body("<html><head><title>404 Not Found</title></head><body><h1>Whoops, our bad...</h1></body></html>");
    };
    let Some(route) = match_route(req.method(), service, state.msi) else {
        return ApiError::route_not_found().into_response();
    };
    if !state.latency.is_zero() {
        tokio::time::sleep(state.latency).await;
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
    };
    match result {
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
