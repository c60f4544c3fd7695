//! HTTP routes: GraphQL (POST, GraphiQL on GET, WebSocket), Magento's notifications,
//! health, readiness, metrics.

use std::sync::Arc;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, Responder, guard, web};
use async_graphql::Data;
use async_graphql_actix_web::{GraphQLRequest, GraphQLResponse, GraphQLSubscription};
use redis::aio::ConnectionManager;
use sea_orm::ConnectionTrait;

use domain::auth;
use domain::channel::magento::import::orders::notifications::{self, Delivery, Received, Refused};
use magento::notification::{SIGNATURE_HEADER, TIMESTAMP_HEADER};

use crate::graphiql;
use crate::graphql::loaders::Loaders;
use crate::graphql::{AppSchema, AppState, Caller};
use crate::metrics;

/// What the routes share.
#[derive(Clone)]
pub struct HttpState {
    pub schema: AppSchema,
    pub app: AppState,
    pub redis: ConnectionManager,
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/graphql")
            .route(web::post().to(graphql))
            // The upgrade route goes first: GraphiQL and the socket share the path.
            .route(
                web::get()
                    .guard(guard::Header("upgrade", "websocket"))
                    .to(graphql_ws),
            )
            .route(web::get().to(graphiql::page)),
    )
    .configure(graphiql::routes)
    .service(web::resource("/graphql/ws").route(web::get().to(graphql_ws)))
    .service(
        web::resource("/webhooks/magento/{store_id}")
            // A larger body is answered 413 before it is read.
            .app_data(web::PayloadConfig::new(notifications::MAX_BODY_BYTES))
            .route(web::post().to(magento_webhook)),
    )
    .service(web::resource("/healthz").route(web::get().to(healthz)))
    .service(web::resource("/readyz").route(web::get().to(readyz)))
    .service(web::resource("/metrics").route(web::get().to(metrics_endpoint)));
}

/// Counts every request by its route pattern (never the raw path, which may carry ids).
pub async fn count_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let method = req.method().to_string();
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let response = next.call(req).await?;
    metrics::record_http(&method, &route, response.status().as_u16());
    Ok(response)
}

fn bearer(value: Option<&str>) -> Option<&str> {
    let value = value?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

async fn caller(
    app: &AppState,
    authorization: Option<&str>,
) -> Result<Caller, domain::DomainError> {
    let Some(token) = bearer(authorization) else {
        return Ok(if authorization.is_some() {
            Caller::InvalidKey
        } else {
            Caller::Anonymous
        });
    };
    Ok(match auth::authenticate(&app.services.db, token).await? {
        Some(principal) => Caller::Authenticated(principal),
        None => Caller::InvalidKey,
    })
}

async fn graphql(
    state: web::Data<HttpState>,
    req: HttpRequest,
    gql: GraphQLRequest,
) -> HttpResponse {
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let caller = match caller(&state.app, authorization).await {
        Ok(caller) => caller,
        Err(err) => {
            tracing::error!(%err, "authentication lookup failed");
            return HttpResponse::ServiceUnavailable().json(serde_json::json!({
                "errors": [{"message": "service unavailable", "extensions": {"code": "INTERNAL"}}]
            }));
        }
    };
    let mut request = gql.into_inner().data(caller);
    if let Caller::Authenticated(principal) = caller {
        request = request.data(Arc::new(Loaders::new(
            &state.app.services.db,
            principal.org_id,
        )));
    }
    let response: GraphQLResponse = state.schema.execute(request).await.into();
    response.respond_to(&req).map_into_boxed_body()
}

/// The `Authorization` value of a `connection_init` payload, whatever its letter case:
/// clients send header names as typed (GraphiQL's header editor: `Authorization`), and
/// some nest them under `headers`.
fn init_authorization(payload: &serde_json::Value) -> Option<&str> {
    fn lookup(object: &serde_json::Value) -> Option<&str> {
        object
            .as_object()?
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))?
            .1
            .as_str()
    }
    lookup(payload).or_else(|| lookup(payload.get("headers")?))
}

async fn graphql_ws(
    state: web::Data<HttpState>,
    req: HttpRequest,
    payload: web::Payload,
) -> actix_web::Result<HttpResponse> {
    let app = state.app.clone();
    GraphQLSubscription::new(state.schema.clone())
        // Authentication happens in connection_init; a missing or bad key still gets a
        // connection, and every operation on it answers UNAUTHENTICATED like over HTTP.
        .on_connection_init(move |payload: serde_json::Value| async move {
            let authorization = init_authorization(&payload).map(str::to_owned);
            let caller = caller(&app, authorization.as_deref())
                .await
                .map_err(|_| async_graphql::Error::new("service unavailable"))?;
            let mut data = Data::default();
            if let Caller::Authenticated(principal) = caller {
                data.insert(Arc::new(Loaders::new(&app.services.db, principal.org_id)));
            }
            data.insert(caller);
            Ok(data)
        })
        .keepalive_timeout(Duration::from_secs(60))
        .start(&req, payload)
}

/// `POST /webhooks/magento/{storeId}`: a signed notification from the store's Magento
/// module. Every refusal of a signature, timestamp or store gets the same 401 (which
/// stores exist is not for a caller to learn); a verified one is recorded and answered
/// 202 at once, a repeat of one 200.
async fn magento_webhook(
    state: web::Data<HttpState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let unauthorized =
        || HttpResponse::Unauthorized().json(serde_json::json!({"error": "unauthorized"}));
    let Ok(store_id) = path.trim().parse::<uuid::Uuid>() else {
        return unauthorized();
    };
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let delivery = Delivery {
        timestamp: header(TIMESTAMP_HEADER),
        signature: header(SIGNATURE_HEADER),
        body: &body,
    };
    match notifications::receive(&state.app.services, store_id, delivery).await {
        Ok(Ok(Received::Accepted { notification_id })) => HttpResponse::Accepted()
            .json(serde_json::json!({"status": "accepted", "id": notification_id})),
        Ok(Ok(Received::Replayed)) => {
            HttpResponse::Ok().json(serde_json::json!({"status": "duplicate"}))
        }
        Ok(Err(Refused::TooLarge)) => {
            HttpResponse::PayloadTooLarge().json(serde_json::json!({"error": "payload too large"}))
        }
        Ok(Err(Refused::Unauthorized(why))) => {
            tracing::info!(%store_id, reason = %why, "notification refused");
            unauthorized()
        }
        Err(err) => {
            // The module retries what was not accepted.
            tracing::error!(%store_id, %err, "notification could not be recorded");
            HttpResponse::ServiceUnavailable().json(serde_json::json!({"error": "try again"}))
        }
    }
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

/// Ready when PostgreSQL and Redis both answer, else 503 naming what is down.
async fn readyz(state: web::Data<HttpState>) -> HttpResponse {
    let postgres = tokio::time::timeout(
        Duration::from_secs(2),
        state.app.services.db.execute_unprepared("SELECT 1"),
    )
    .await
    .map(|r| r.is_ok())
    .unwrap_or(false);
    let mut redis = state.redis.clone();
    let redis_ok = tokio::time::timeout(
        Duration::from_secs(2),
        redis::cmd("PING").query_async::<String>(&mut redis),
    )
    .await
    .map(|r| r.is_ok())
    .unwrap_or(false);
    let body = serde_json::json!({
        "postgres": if postgres { "ok" } else { "unreachable" },
        "redis": if redis_ok { "ok" } else { "unreachable" },
    });
    if postgres && redis_ok {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

async fn metrics_endpoint(state: web::Data<HttpState>) -> HttpResponse {
    match metrics::render(&state.app.services.db).await {
        Ok(text) => HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4")
            .body(text),
        Err(err) => {
            tracing::error!(%err, "metrics unavailable");
            HttpResponse::ServiceUnavailable().finish()
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{bearer, init_authorization};

    #[test]
    fn connection_init_finds_the_authorization_key_in_any_case_and_under_headers() {
        for payload in [
            json!({ "authorization": "Bearer k" }),
            json!({ "Authorization": "Bearer k" }),
            json!({ "AUTHORIZATION": "Bearer k" }),
            json!({ "headers": { "Authorization": "Bearer k" } }),
        ] {
            assert_eq!(init_authorization(&payload), Some("Bearer k"), "{payload}");
        }
        assert_eq!(init_authorization(&json!({})), None);
        assert_eq!(init_authorization(&json!(null)), None);
        assert_eq!(
            init_authorization(
                &json!({ "Authorization": "Bearer top", "headers": { "authorization": "Bearer nested" } })
            ),
            Some("Bearer top")
        );
    }

    #[test]
    fn the_bearer_scheme_is_case_insensitive_and_required() {
        assert_eq!(bearer(Some("Bearer sbk_x")), Some("sbk_x"));
        assert_eq!(bearer(Some("bearer  sbk_x ")), Some("sbk_x"));
        assert_eq!(bearer(Some("Basic abc")), None);
        assert_eq!(bearer(Some("sbk_x")), None);
        assert_eq!(bearer(None), None);
    }
}
