//! The sandbox's own control API under `/sandbox/...`: not signed, not Magento's. It
//! sets up what a test or a demo needs the shop to do.

use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse};
use serde_json::json;
use std::sync::atomic::Ordering;

use crate::State;
use crate::faults::FaultSpec;
use crate::response::json_response;

fn bad_request(message: impl Into<String>) -> HttpResponse {
    json_response(
        StatusCode::BAD_REQUEST,
        &json!({ "message": message.into() }),
    )
}

pub(crate) fn handle(req: &HttpRequest, path: &str, body: &[u8], state: &State) -> HttpResponse {
    match (req.method(), path.trim_end_matches('/')) {
        // POST a FaultSpec to add a fault; GET lists them with how often each fired;
        // DELETE clears them all.
        (&Method::POST, "faults") => match serde_json::from_slice::<FaultSpec>(body) {
            Ok(spec) => match state.faults.add(spec) {
                Ok(()) => json_response(
                    StatusCode::CREATED,
                    &json!({ "faults": state.faults.list() }),
                ),
                Err(message) => bad_request(message),
            },
            Err(err) => bad_request(format!("not a fault: {err}")),
        },
        (&Method::GET, "faults") => {
            json_response(StatusCode::OK, &json!({ "faults": state.faults.list() }))
        }
        (&Method::DELETE, "faults") => {
            state.faults.clear();
            json_response(StatusCode::OK, &json!({ "faults": [] }))
        }
        (&Method::GET, "stats") => json_response(
            StatusCode::OK,
            &json!({
                "requests": state.stats.requests.load(Ordering::Relaxed),
                "max_in_flight": state.stats.max_in_flight.load(Ordering::Relaxed),
            }),
        ),
        _ => json_response(
            StatusCode::NOT_FOUND,
            &json!({ "message": "no such sandbox control" }),
        ),
    }
}
