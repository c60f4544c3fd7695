//! Routing under `/rest/V1/...`, `/rest/{store_code}/V1/...` and the same behind
//! `/index.php`, in Magento's order: route match (404), then authentication and ACL
//! (401/400), then the service's input (400), then the service.

use std::collections::BTreeMap;

use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::Value;

use crate::State;
use crate::catalog;
use crate::faults::Action;
use crate::query::{app_params, raw_url_decode};
use crate::response::{ApiError, json_response};
use crate::sales::SalesRows;
use crate::search::{self, Criteria, SearchError};
use crate::seed::{STORE_CODES, Seed};
use crate::shop::{Inventory, Shop};
use crate::stock_items::StockRow;

enum ReadRoute<'a> {
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
    /// `inventory/get-product-salable-quantity/{sku}/{stockId}` (MSI).
    SalableQuantity(&'a str, &'a str),
    /// `configurable-products/{sku}/options/all`.
    ConfigurableOptions(&'a str),
    /// `products/{sku}/media`.
    Media(&'a str),
    /// `products/attributes` (search).
    Attributes,
    /// `products/attributes/{attributeCode}`: a code or an attribute id.
    Attribute(&'a str),
    /// `products/attributes/{attributeCode}/options`.
    AttributeOptions(&'a str),
}

enum WriteRoute<'a> {
    /// `POST inventory/source-items` (MSI).
    SaveSourceItems,
    /// `PUT products/{sku}/stockItems/{itemId}`: the SKU as in the path. Magento's
    /// service ignores the path's item id and updates the product's own stock item.
    UpdateStockItem(&'a str),
    /// `POST order/{id}/ship`.
    ShipOrder(&'a str),
    /// `POST orders/{id}/comments`.
    AddOrderComment(&'a str),
    /// `POST products`: save (create, or update by SKU).
    CreateProduct,
    /// `PUT products/{sku}`.
    SaveProduct(&'a str),
    /// `DELETE products/{sku}`.
    DeleteProduct(&'a str),
    /// `POST configurable-products/{sku}/options`.
    AddConfigurableOption(&'a str),
    /// `POST configurable-products/{sku}/child`.
    AddConfigurableChild(&'a str),
    /// `DELETE configurable-products/{sku}/children/{childSku}`.
    RemoveConfigurableChild(&'a str, &'a str),
    /// `POST products/{sku}/media`.
    AddMedia(&'a str),
    /// `POST products/attributes/{attributeCode}/options`.
    AddAttributeOption(&'a str),
}

enum Route<'a> {
    Read(ReadRoute<'a>),
    Write(WriteRoute<'a>),
}

impl Route<'_> {
    /// The ACL resource of the route, named in the 401 an anonymous request gets.
    fn acl_resource(&self) -> &'static str {
        match self {
            Route::Read(route) => route.acl_resource(),
            Route::Write(WriteRoute::SaveSourceItems) => "Magento_InventoryApi::source_item",
            Route::Write(WriteRoute::UpdateStockItem(_)) => {
                "Magento_CatalogInventory::cataloginventory"
            }
            Route::Write(WriteRoute::ShipOrder(_)) => "Magento_Sales::ship",
            Route::Write(WriteRoute::AddOrderComment(_)) => "Magento_Sales::comment",
            Route::Write(WriteRoute::AddAttributeOption(_)) => {
                "Magento_Catalog::attributes_attributes"
            }
            Route::Write(
                WriteRoute::CreateProduct
                | WriteRoute::SaveProduct(_)
                | WriteRoute::DeleteProduct(_)
                | WriteRoute::AddConfigurableOption(_)
                | WriteRoute::AddConfigurableChild(_)
                | WriteRoute::RemoveConfigurableChild(..)
                | WriteRoute::AddMedia(_),
            ) => "Magento_Catalog::products",
        }
    }
}

impl ReadRoute<'_> {
    /// The ACL resource of the route, named in the 401 an anonymous request gets.
    fn acl_resource(&self) -> &'static str {
        match self {
            ReadRoute::StoreConfigs
            | ReadRoute::Websites
            | ReadRoute::StoreGroups
            | ReadRoute::StoreViews => "Magento_Backend::store",
            ReadRoute::AttributeSets => "Magento_Catalog::sets",
            ReadRoute::TaxClasses | ReadRoute::TaxRates => "Magento_Tax::manage_tax",
            ReadRoute::Orders | ReadRoute::Order(_) => "Magento_Sales::actions_view",
            ReadRoute::Sources | ReadRoute::Source(_) => "Magento_InventoryApi::source",
            ReadRoute::Products
            | ReadRoute::Product(_)
            | ReadRoute::ConfigurableChildren(_)
            | ReadRoute::ConfigurableOptions(_)
            | ReadRoute::Media(_) => "Magento_Catalog::products",
            ReadRoute::CategoryTree | ReadRoute::Categories => "Magento_Catalog::categories",
            ReadRoute::Attributes | ReadRoute::Attribute(_) | ReadRoute::AttributeOptions(_) => {
                "Magento_Catalog::attributes_attributes"
            }
            ReadRoute::Customers | ReadRoute::Customer(_) => "Magento_Customer::customer",
            ReadRoute::Invoices => "Magento_Sales::sales_invoice",
            ReadRoute::CreditMemos => "Magento_Sales::sales_creditmemo",
            ReadRoute::Shipments => "Magento_Sales::shipment",
            ReadRoute::SourceItems => "Magento_InventoryApi::source_item",
            ReadRoute::StockItem(_) => "Magento_CatalogInventory::cataloginventory",
            ReadRoute::SalableQuantity(..) => "Magento_InventoryApi::stock",
        }
    }
}

/// The store code of a REST path: the one it names, else `default` (Magento's default
/// store view).
fn store_code(path: &str) -> &str {
    let path = path.strip_prefix("/index.php").unwrap_or(path);
    path.strip_prefix("/rest/")
        .and_then(|rest| rest.split_once('/'))
        .map(|(code, _)| code)
        .filter(|code| STORE_CODES.contains(code))
        .unwrap_or("default")
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
    let segments: Vec<&str> = service.trim_end_matches('/').split('/').collect();
    if method == Method::POST {
        return match segments[..] {
            ["inventory", "source-items"] if msi => Some(Route::Write(WriteRoute::SaveSourceItems)),
            ["order", id, "ship"] if !id.is_empty() => {
                Some(Route::Write(WriteRoute::ShipOrder(id)))
            }
            ["orders", id, "comments"] if !id.is_empty() => {
                Some(Route::Write(WriteRoute::AddOrderComment(id)))
            }
            ["products"] => Some(Route::Write(WriteRoute::CreateProduct)),
            ["products", "attributes", code, "options"] if !code.is_empty() => {
                Some(Route::Write(WriteRoute::AddAttributeOption(code)))
            }
            ["products", sku, "media"] if !sku.is_empty() => {
                Some(Route::Write(WriteRoute::AddMedia(sku)))
            }
            ["configurable-products", sku, "options"] if !sku.is_empty() => {
                Some(Route::Write(WriteRoute::AddConfigurableOption(sku)))
            }
            ["configurable-products", sku, "child"] if !sku.is_empty() => {
                Some(Route::Write(WriteRoute::AddConfigurableChild(sku)))
            }
            _ => None,
        };
    }
    if method == Method::PUT {
        return match segments[..] {
            ["products", sku, "stockItems", item_id] if !sku.is_empty() && !item_id.is_empty() => {
                Some(Route::Write(WriteRoute::UpdateStockItem(sku)))
            }
            ["products", sku] if !sku.is_empty() => {
                Some(Route::Write(WriteRoute::SaveProduct(sku)))
            }
            _ => None,
        };
    }
    if method == Method::DELETE {
        return match segments[..] {
            ["products", sku] if !sku.is_empty() => {
                Some(Route::Write(WriteRoute::DeleteProduct(sku)))
            }
            ["configurable-products", sku, "children", child]
                if !sku.is_empty() && !child.is_empty() =>
            {
                Some(Route::Write(WriteRoute::RemoveConfigurableChild(
                    sku, child,
                )))
            }
            _ => None,
        };
    }
    if method != Method::GET {
        return None;
    }
    Some(Route::Read(match segments[..] {
        ["store", "storeConfigs"] => ReadRoute::StoreConfigs,
        ["store", "websites"] => ReadRoute::Websites,
        ["store", "storeGroups"] => ReadRoute::StoreGroups,
        ["store", "storeViews"] => ReadRoute::StoreViews,
        ["products", "attribute-sets", "sets", "list"] => ReadRoute::AttributeSets,
        ["taxClasses", "search"] => ReadRoute::TaxClasses,
        ["taxRates", "search"] => ReadRoute::TaxRates,
        ["orders"] => ReadRoute::Orders,
        ["orders", id] if !id.is_empty() => ReadRoute::Order(id),
        // Without the MSI modules their routes do not exist at all.
        ["inventory", "sources"] if msi => ReadRoute::Sources,
        ["inventory", "sources", code] if msi && !code.is_empty() => ReadRoute::Source(code),
        ["inventory", "source-items"] if msi => ReadRoute::SourceItems,
        ["inventory", "get-product-salable-quantity", sku, stock]
            if msi && !sku.is_empty() && !stock.is_empty() =>
        {
            ReadRoute::SalableQuantity(sku, stock)
        }
        ["products"] => ReadRoute::Products,
        // Magento tries routes with fewer parameters first, so these win over
        // `products/{sku}` and `products/{sku}/media`.
        ["products", "attributes"] => ReadRoute::Attributes,
        ["products", "attributes", code] if !code.is_empty() => ReadRoute::Attribute(code),
        ["products", "attributes", code, "options"] if !code.is_empty() => {
            ReadRoute::AttributeOptions(code)
        }
        ["products", sku] if !sku.is_empty() => ReadRoute::Product(sku),
        ["configurable-products", sku, "children"] if !sku.is_empty() => {
            ReadRoute::ConfigurableChildren(sku)
        }
        ["categories"] => ReadRoute::CategoryTree,
        ["categories", "list"] => ReadRoute::Categories,
        ["customers", "search"] => ReadRoute::Customers,
        ["customers", id] if !id.is_empty() => ReadRoute::Customer(id),
        ["invoices"] => ReadRoute::Invoices,
        ["creditmemos"] => ReadRoute::CreditMemos,
        ["shipments"] => ReadRoute::Shipments,
        ["stockItems", sku] if !sku.is_empty() => ReadRoute::StockItem(sku),
        ["configurable-products", sku, "options", "all"] if !sku.is_empty() => {
            ReadRoute::ConfigurableOptions(sku)
        }
        ["products", sku, "media"] if !sku.is_empty() => ReadRoute::Media(sku),
        _ => return None,
    }))
}

pub(crate) fn product_not_found() -> ApiError {
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

/// A product as the list renders it. Only composites and seeded rows carry a stock item
/// in the row, so copying whole and trimming is the cheap way.
fn listed_product(product: &Value) -> Value {
    without_stock_item(product.clone())
}

fn unknown_field(SearchError::UnknownField(field): SearchError) -> ApiError {
    tracing::debug!(%field, "sandbox search on an unknown column");
    ApiError::internal()
}

fn required_search(rows: &[Value], criteria: Option<Criteria>) -> Result<Value, ApiError> {
    let criteria = criteria.ok_or_else(|| ApiError::required("searchCriteria"))?;
    search::search(rows, &criteria).map_err(unknown_field)
}

/// A search of a sales collection, answered from its indexes when they serve the criteria.
fn sales_search(rows: &SalesRows, criteria: Option<Criteria>) -> Result<Value, ApiError> {
    let criteria = criteria.ok_or_else(|| ApiError::required("searchCriteria"))?;
    crate::sales::search(rows, &criteria).map_err(unknown_field)
}

pub(crate) async fn dispatch(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<State>,
) -> HttpResponse {
    if let Some(control) = req.path().strip_prefix("/sandbox/") {
        return crate::control::handle(&req, control, &body, &state);
    }
    if let Some(image) = crate::media::serve(req.method(), req.path(), &state) {
        return image;
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
    // so a failed attempt never uses up the client's nonce; unless the fault is set to
    // strike after the service ran (the answer to an applied write is lost).
    let (before, after) = match state.faults.take(service) {
        None => (None, None),
        Some((action, false)) => (Some(action), None),
        Some((action, true)) => (None, Some(action)),
    };
    let mut malformed = false;
    if let Some(action) = before {
        match strike(action).await {
            Struck::Proceed => {}
            Struck::Garble => malformed = true,
            Struck::Replace(response) => return response,
        }
    }
    if let Err(err) = state.verifier.verify(&req, route.acl_resource()) {
        return err.into_response();
    }
    let params = app_params(req.query_string());
    let store = store_code(req.path());
    // Magento reads no body on DELETE, so it does not look at the Content-Type either.
    let content = if req.method() == Method::DELETE {
        Ok(())
    } else {
        json_content(&req)
    };
    let result = match route {
        Route::Write(route) => {
            let (result, logged) = match content {
                Err(err) => (Err(err), false),
                Ok(()) => {
                    let mut shop = state.shop.write().unwrap_or_else(|e| e.into_inner());
                    let before = shop.events.len();
                    let result = write(route, &mut shop, &state, &body, store);
                    (result, shop.events.len() > before)
                }
            };
            // Order writes log events; the notifier is woken once the lock is released.
            if logged {
                state.events_recorded.notify_one();
            }
            result
        }
        Route::Read(ReadRoute::Products) => {
            let shop = state.shop.read().unwrap_or_else(|e| e.into_inner());
            product_search(&shop.products, shop.products_in_id_order, &params)
        }
        Route::Read(route) => {
            let shop = state.shop.read().unwrap_or_else(|e| e.into_inner());
            read(route, &shop, &state.seed, Criteria::parse(&params), store)
        }
    };
    if let Some(action) = after {
        match strike(action).await {
            Struck::Proceed => {}
            Struck::Garble => malformed = true,
            Struck::Replace(response) => return response,
        }
    }
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

/// The bracketed parts of a `searchCriteria[…]` parameter name.
fn criteria_segments(name: &str) -> Option<Vec<&str>> {
    let mut rest = name.strip_prefix("searchCriteria")?;
    let mut segments = Vec::new();
    while let Some(inner) = rest.strip_prefix('[') {
        let (segment, after) = inner.split_once(']')?;
        segments.push(segment);
        rest = after;
    }
    rest.is_empty().then_some(segments)
}

fn is_id_column(field: &str) -> bool {
    matches!(field.trim(), "entity_id" | "id")
}

/// `GET products`. The product collection's key column is `entity_id` (rendered as
/// `id`), so filters and sorts on either name address it. Magento answers those through
/// the primary key; here rows are kept in id order, so a sort on it alone is dropped and
/// an `in`/`eq` filter on it narrows the rows by binary search before the generic search
/// applies every condition, which keeps paging a large catalogue cheap.
fn product_search(
    rows: &[Value],
    in_id_order: bool,
    params: &BTreeMap<String, String>,
) -> Result<Value, ApiError> {
    let mut sorts: BTreeMap<&str, BTreeMap<&str, String>> = BTreeMap::new();
    let mut groups: BTreeMap<&str, BTreeMap<&str, BTreeMap<&str, String>>> = BTreeMap::new();
    for (name, value) in params {
        let Some(segments) = criteria_segments(name) else {
            continue;
        };
        match segments[..] {
            ["sortOrders" | "sort_orders", i, attribute] => {
                sorts.entry(i).or_default().insert(attribute, value.clone());
            }
            ["filter_groups" | "filterGroups", g, "filters", f, attribute] => {
                let attribute = if attribute == "conditionType" {
                    "condition_type"
                } else {
                    attribute
                };
                groups
                    .entry(g)
                    .or_default()
                    .entry(f)
                    .or_default()
                    .insert(attribute, value.clone());
            }
            _ => {}
        }
    }
    let sort_by_id_only = sorts.len() == 1
        && sorts.values().all(|sort| {
            sort.get("field").is_some_and(|f| is_id_column(f))
                && sort
                    .get("direction")
                    .is_some_and(|d| d.eq_ignore_ascii_case("ASC"))
        });
    let mut candidate_ids: Option<Vec<i64>> = None;
    for filters in groups.values() {
        if let [filter] = &filters.values().collect::<Vec<_>>()[..]
            && filter.get("field").is_some_and(|f| is_id_column(f))
            && matches!(
                filter.get("condition_type").map(String::as_str),
                None | Some("in" | "eq")
            )
        {
            candidate_ids = filter.get("value").map(|list| {
                list.split(',')
                    .filter_map(|id| id.trim().parse::<i64>().ok())
                    .collect()
            });
        }
    }
    let params: BTreeMap<String, String> = params
        .iter()
        .filter(|&(name, _)| {
            !(sort_by_id_only
                && in_id_order
                && criteria_segments(name)
                    .is_some_and(|s| matches!(s[..], ["sortOrders" | "sort_orders", ..])))
        })
        .map(|(name, value)| {
            let field = criteria_segments(name).is_some_and(|s| s.last() == Some(&"field"));
            if field && value.trim() == "entity_id" {
                (name.clone(), "id".to_owned())
            } else {
                (name.clone(), value.clone())
            }
        })
        .collect();
    let criteria = Criteria::parse(&params).ok_or_else(|| ApiError::required("searchCriteria"))?;
    if let (Some(mut ids), true) = (candidate_ids, in_id_order) {
        ids.sort_unstable();
        ids.dedup();
        let candidates: Vec<Value> = ids
            .iter()
            .filter_map(|id| {
                rows.binary_search_by_key(&Some(*id), |row| row["id"].as_i64())
                    .ok()
                    .map(|at| rows[at].clone())
            })
            .collect();
        // An empty candidate list would make the search refuse the column as unknown.
        if !candidates.is_empty() {
            return search::search_with(&candidates, &criteria, listed_product)
                .map_err(unknown_field);
        }
    }
    search::search_with(rows, &criteria, listed_product).map_err(unknown_field)
}

/// The read routes, answered from one consistent view of the shop.
fn read(
    route: ReadRoute<'_>,
    shop: &Shop,
    seed: &Seed,
    criteria: Option<Criteria>,
    store: &str,
) -> Result<Value, ApiError> {
    match route {
        ReadRoute::StoreConfigs => Ok(Value::from(seed.store_configs.clone())),
        ReadRoute::Websites => Ok(Value::from(seed.websites.clone())),
        ReadRoute::StoreGroups => Ok(Value::from(seed.store_groups.clone())),
        ReadRoute::StoreViews => Ok(Value::from(seed.store_views.clone())),
        ReadRoute::AttributeSets => required_search(&seed.attribute_sets, criteria),
        ReadRoute::TaxClasses => required_search(&seed.tax_classes, criteria),
        ReadRoute::TaxRates => required_search(&seed.tax_rates, criteria),
        ReadRoute::Orders => sales_search(&shop.orders, criteria),
        ReadRoute::Order(id) => id
            .parse::<i64>()
            .ok()
            .and_then(|id| shop.orders.position_of(id))
            .and_then(|at| shop.orders.render(at))
            .map(std::borrow::Cow::into_owned)
            .ok_or_else(ApiError::no_such_entity),
        // MSI declares the criteria argument optional.
        ReadRoute::Sources => match criteria {
            Some(_) => required_search(&seed.sources, criteria),
            None => Ok(search::search_all(&seed.sources)),
        },
        ReadRoute::Source(code) => seed
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
        // Only the page's rows are copied, already without their stock items.
        ReadRoute::Products => {
            let criteria = criteria.ok_or_else(|| ApiError::required("searchCriteria"))?;
            search::search_with(&shop.products, &criteria, listed_product).map_err(unknown_field)
        }
        // The product view carries the current (possibly written) stock item.
        ReadRoute::Product(sku) => catalog::product_view(shop, sku, store),
        ReadRoute::ConfigurableOptions(sku) => catalog::configurable_options(shop, sku),
        ReadRoute::Media(sku) => catalog::media_entries(shop, sku),
        ReadRoute::Attributes => crate::attributes::attributes(shop, criteria),
        ReadRoute::Attribute(code) => crate::attributes::attribute(shop, code),
        ReadRoute::AttributeOptions(code) => crate::attributes::options(shop, code),
        ReadRoute::ConfigurableChildren(sku) => product_by_sku(&shop.products, sku).map(|parent| {
            let links = parent["extension_attributes"]["configurable_product_links"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let children: Vec<Value> = links
                .iter()
                .filter_map(|id| shop.products.iter().find(|p| p["id"] == *id))
                .map(|child| without_stock_item(child.clone()))
                .collect();
            Value::from(children)
        }),
        ReadRoute::CategoryTree => Ok(shop.category_tree.clone()),
        ReadRoute::Categories => required_search(&shop.categories, criteria),
        // The customer collection's key column is `entity_id`, rendered as `id`.
        ReadRoute::Customers => required_search(
            &shop.customers,
            criteria.map(|c| c.with_alias("entity_id", "id")),
        ),
        ReadRoute::Customer(id) => shop
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
        ReadRoute::Invoices => sales_search(&shop.invoices, criteria),
        ReadRoute::CreditMemos => sales_search(&shop.creditmemos, criteria),
        ReadRoute::Shipments => sales_search(&shop.shipments, criteria),
        ReadRoute::SourceItems => required_search(&shop.inventory.source_items, criteria),
        ReadRoute::StockItem(sku) => product_by_sku(&shop.products, sku).and_then(|product| {
            shop.inventory
                .stock_items
                .iter()
                .find(|s| s.sku == product["sku"])
                .map(|s| s.item().into_owned())
                // Composites have a stock item too (qty 0, in stock): the product's own.
                .or_else(|| product["extension_attributes"].get("stock_item").cloned())
                .ok_or_else(product_not_found)
        }),
        ReadRoute::SalableQuantity(sku, stock) => {
            crate::orders::salable_quantity_route(shop, sku, stock)
        }
    }
}

/// The write routes: each one whole or not at all, under the shop's exclusive lock.
fn write(
    route: WriteRoute<'_>,
    shop: &mut Shop,
    state: &State,
    body: &[u8],
    store: &str,
) -> Result<Value, ApiError> {
    match route {
        WriteRoute::SaveSourceItems => save_source_items(
            &mut shop.inventory,
            &state.seed.sources,
            state.input_limits.complex_array_limit(),
            body,
        )
        .inspect_err(|err| {
            if err.body["message"] == ARRAY_LIMIT_MESSAGE {
                state.input_limits.record_rejection();
            }
        }),
        WriteRoute::UpdateStockItem(sku) => {
            update_stock_item(&mut shop.inventory, &shop.products, sku, body)
        }
        WriteRoute::ShipOrder(id) => crate::orders::ship_route(shop, id, body, chrono::Utc::now()),
        WriteRoute::AddOrderComment(id) => {
            crate::orders::add_comment_route(shop, id, body, chrono::Utc::now())
        }
        WriteRoute::CreateProduct => {
            catalog::save_product(shop, &state.seed, state.msi, store, None, body)
        }
        WriteRoute::SaveProduct(sku) => {
            catalog::save_product(shop, &state.seed, state.msi, store, Some(sku), body)
        }
        WriteRoute::DeleteProduct(sku) => catalog::delete_product(shop, sku),
        WriteRoute::AddConfigurableOption(sku) => catalog::add_configurable_option(shop, sku, body),
        WriteRoute::AddConfigurableChild(sku) => catalog::add_configurable_child(shop, sku, body),
        WriteRoute::RemoveConfigurableChild(sku, child) => {
            catalog::remove_configurable_child(shop, sku, child)
        }
        WriteRoute::AddMedia(sku) => catalog::add_media_entry(shop, sku, body),
        WriteRoute::AddAttributeOption(code) => crate::attributes::add_option(shop, code, body),
    }
}

const ARRAY_LIMIT_MESSAGE: &str = "Maximum items of type \"%type\" is %max";
const SOURCE_ITEM_TYPE: &str = "\\Magento\\InventoryApi\\Api\\Data\\SourceItemInterface";

/// Magento picks the body's deserializer by `Content-Type`: none is a 400, and only JSON
/// is emulated here (Magento would also take XML).
fn json_content(req: &HttpRequest) -> Result<(), ApiError> {
    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .trim();
    if content_type.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "Content-Type header is empty.",
        ));
    }
    if !content_type
        .split(';')
        .next()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
    {
        return Err(ApiError::with_parameters(
            StatusCode::BAD_REQUEST,
            "Cannot perform request, unsupported Content-Type \"%1\".",
            serde_json::json!([content_type]),
        ));
    }
    Ok(())
}

/// A JSON request body; Magento's deserializer answers 400 for anything else (the
/// details only show in developer mode).
pub(crate) fn json_body(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body)
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "Decoding error."))
}

/// `The "%value" value's type is invalid…`, as Magento's input processor words a value
/// it cannot cast.
pub(crate) fn invalid_type(value: &Value, expected: &str) -> ApiError {
    let shown = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    ApiError::with_parameters(
        StatusCode::BAD_REQUEST,
        "The \"%value\" value's type is invalid. The \"%type\" type was expected. Verify and try again.",
        serde_json::json!({ "value": shown, "type": expected }),
    )
}

/// A number as Magento's typed input casts it: a JSON number or a numeric string.
pub(crate) fn number_input(value: &Value) -> Option<Value> {
    match value {
        Value::Number(_) => Some(value.clone()),
        Value::String(s) => {
            let s = s.trim();
            s.parse::<i64>().map(Value::from).ok().or_else(|| {
                s.parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
            })
        }
        _ => None,
    }
}

/// A bool as Magento casts it: `true`/`false`, numbers, `"1"`/`"0"`/`"true"`/`"false"`.
pub(crate) fn flag_input(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_f64().map(|n| n != 0.0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "1" | "true" => Some(true),
            "0" | "false" | "" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// `POST inventory/source-items`: the input limit first (as Magento's input processor),
/// then every item validated, then all of them upserted by (sku, source_code), or none.
fn save_source_items(
    inventory: &mut Inventory,
    sources: &[Value],
    limit: Option<usize>,
    body: &[u8],
) -> Result<Value, ApiError> {
    let json = json_body(body)?;
    let items = json
        .get("sourceItems")
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::required("sourceItems"))?;
    if let Some(max) = limit
        && items.len() > max
    {
        return Err(ApiError::with_parameters(
            StatusCode::BAD_REQUEST,
            ARRAY_LIMIT_MESSAGE,
            serde_json::json!({ "type": SOURCE_ITEM_TYPE, "max": max }),
        ));
    }
    let mut rows = Vec::with_capacity(items.len());
    let mut errors = Vec::new();
    let mut error = |message: &str, parameters: Value| {
        errors.push(serde_json::json!({ "message": message, "parameters": parameters }));
    };
    for item in items {
        let text = |field: &str| {
            item.get(field)
                .and_then(Value::as_str)
                .map(str::trim)
                .unwrap_or_default()
                .to_owned()
        };
        let sku = text("sku");
        let source_code = text("source_code");
        if sku.is_empty() {
            error(
                "\"%field\" can not be empty.",
                serde_json::json!({ "field": "sku" }),
            );
        }
        if source_code.is_empty() {
            error(
                "\"%field\" can not be empty.",
                serde_json::json!({ "field": "source_code" }),
            );
        } else if !sources
            .iter()
            .any(|s| s["source_code"] == source_code.as_str())
        {
            error(
                "Source with code \"%value\" does not exist.",
                serde_json::json!({ "value": source_code }),
            );
        }
        let quantity = item.get("quantity").and_then(number_input);
        if quantity.is_none() {
            error(
                "\"%field\" should be numeric.",
                serde_json::json!({ "field": "quantity" }),
            );
        }
        let status = item.get("status").and_then(flag_input);
        if status.is_none() {
            error(
                "\"%field\" should be numeric.",
                serde_json::json!({ "field": "status" }),
            );
        }
        if let (Some(quantity), Some(status)) = (quantity, status) {
            rows.push(serde_json::json!({
                "sku": sku, "source_code": source_code, "quantity": quantity, "status": i64::from(status),
            }));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError {
            status: StatusCode::BAD_REQUEST,
            body: serde_json::json!({ "message": "Validation Failed", "errors": errors }),
        });
    }
    // One index per request: a full push of a large catalogue sends hundreds of chunks,
    // and a scan per item made that quadratic.
    let key = |row: &Value| {
        (
            row["sku"].as_str().unwrap_or_default().to_owned(),
            row["source_code"].as_str().unwrap_or_default().to_owned(),
        )
    };
    let mut positions: std::collections::HashMap<(String, String), usize> = inventory
        .source_items
        .iter()
        .enumerate()
        .map(|(position, row)| (key(row), position))
        .collect();
    for row in rows {
        match positions.get(&key(&row)) {
            Some(&position) => inventory.source_items[position] = row,
            None => {
                positions.insert(key(&row), inventory.source_items.len());
                inventory.source_items.push(row);
            }
        }
    }
    Ok(Value::Array(Vec::new()))
}

/// `PUT products/{sku}/stockItems/{itemId}`: updates the product's stock item and answers
/// its id as a string, as Magento renders the integer result.
fn update_stock_item(
    inventory: &mut Inventory,
    products: &[Value],
    raw_sku: &str,
    body: &[u8],
) -> Result<Value, ApiError> {
    let product = product_by_sku(products, raw_sku)?;
    let json = json_body(body)?;
    let input = json
        .get("stockItem")
        .filter(|v| v.is_object())
        .ok_or_else(|| ApiError::required("stockItem"))?;
    let qty = match input.get("qty") {
        None | Some(Value::Null) => None,
        Some(value) => Some(number_input(value).ok_or_else(|| invalid_type(value, "float"))?),
    };
    let mut flags = Vec::new();
    for name in ["is_in_stock", "manage_stock", "use_config_manage_stock"] {
        match input.get(name) {
            None | Some(Value::Null) => {}
            Some(value) => flags.push((
                name,
                flag_input(value).ok_or_else(|| invalid_type(value, "bool"))?,
            )),
        }
    }
    let index = match inventory
        .stock_items
        .iter()
        .position(|s| s.sku == product["sku"])
    {
        Some(index) => index,
        None => {
            let item = product["extension_attributes"]
                .get("stock_item")
                .cloned()
                .ok_or_else(product_not_found)?;
            inventory
                .stock_items
                .push(StockRow::new(product["sku"].clone(), item));
            inventory.stock_items.len() - 1
        }
    };
    let Some(row) = inventory.stock_items.get_mut(index) else {
        return Err(product_not_found());
    };
    let item = row.item_mut();
    if let Some(qty) = qty {
        item["qty"] = qty;
    }
    for (name, value) in flags {
        item[name] = Value::Bool(value);
    }
    Ok(match &item["item_id"] {
        Value::String(s) => Value::String(s.clone()),
        other => Value::String(other.to_string()),
    })
}

/// What a fault leaves of the service's answer.
enum Struck {
    /// It goes out as it is (perhaps late).
    Proceed,
    /// It goes out as broken JSON.
    Garble,
    /// This goes out instead.
    Replace(HttpResponse),
}

async fn strike(action: Action) -> Struck {
    match action {
        Action::Delay(delay) => {
            tokio::time::sleep(delay).await;
            Struck::Proceed
        }
        Action::Hang(delay) => {
            tokio::time::sleep(delay).await;
            Struck::Replace(ApiError::internal().into_response())
        }
        Action::Respond {
            status,
            retry_after,
        } => Struck::Replace(fault_response(status, retry_after)),
        Action::Drop => Struck::Replace(dropped_connection()),
        Action::Malformed => Struck::Garble,
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
        assert!(match_route(&Method::POST, "inventory/source-items", true).is_some());
        assert!(match_route(&Method::POST, "inventory/source-items", false).is_none());
        assert!(match_route(&Method::PUT, "products/SKU/stockItems/7", false).is_some());
        assert!(match_route(&Method::PUT, "products/SKU/other", false).is_none());
    }

    #[test]
    fn catalog_writes_route_by_method_and_shape() {
        let route = |method: &Method, path: &'static str| match_route(method, path, true);
        assert!(matches!(
            route(&Method::PUT, "products/SKU"),
            Some(Route::Write(WriteRoute::SaveProduct("SKU")))
        ));
        assert!(matches!(
            route(&Method::DELETE, "configurable-products/P/children/C"),
            Some(Route::Write(WriteRoute::RemoveConfigurableChild("P", "C")))
        ));
        assert!(matches!(
            route(&Method::POST, "products/SKU/media"),
            Some(Route::Write(WriteRoute::AddMedia("SKU")))
        ));
        assert!(matches!(
            route(&Method::POST, "configurable-products/P/child"),
            Some(Route::Write(WriteRoute::AddConfigurableChild("P")))
        ));
        assert!(route(&Method::DELETE, "orders/1").is_none());
        assert!(matches!(
            route(&Method::GET, "configurable-products/P/options/all"),
            Some(Route::Read(ReadRoute::ConfigurableOptions("P")))
        ));
    }

    #[test]
    fn the_store_code_of_a_path_defaults_to_the_default_store_view() {
        assert_eq!(store_code("/rest/all/V1/products"), "all");
        assert_eq!(store_code("/index.php/rest/fr/V1/products/X"), "fr");
        assert_eq!(store_code("/rest/V1/products"), "default");
    }
}
