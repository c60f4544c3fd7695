//! The sandbox's own control API under `/sandbox/...`: not signed, not Magento's. It
//! sets up what a test or a demo needs the shop to do.

use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse};
use serde_json::json;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::State;
use crate::faults::FaultSpec;
use crate::response::json_response;

/// Magento's input limits (`webapi/validation/input_limit_enabled` with
/// `complex_array_limit`), off by default as in Magento. Only the `sourceItems` array of
/// `POST /V1/inventory/source-items` is checked.
#[derive(Default)]
pub(crate) struct InputLimits {
    complex_array_limit: Mutex<Option<usize>>,
    /// Requests refused for an array over the limit.
    rejected: AtomicU64,
}

impl InputLimits {
    /// The array limit, when input limits are on.
    pub fn complex_array_limit(&self) -> Option<usize> {
        *self
            .complex_array_limit
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn set(&self, limit: Option<usize>) {
        *self
            .complex_array_limit
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = limit;
    }

    pub fn record_rejection(&self) {
        self.rejected.fetch_add(1, Ordering::Relaxed);
    }

    fn view(&self) -> serde_json::Value {
        json!({
            "complex_array_limit": self.complex_array_limit(),
            "rejected": self.rejected.load(Ordering::Relaxed),
        })
    }
}

#[derive(serde::Deserialize)]
struct InputLimitsSpec {
    complex_array_limit: usize,
}

fn bad_request(message: impl Into<String>) -> HttpResponse {
    json_response(
        StatusCode::BAD_REQUEST,
        &json!({ "message": message.into() }),
    )
}

pub(crate) fn handle(req: &HttpRequest, path: &str, body: &[u8], state: &State) -> HttpResponse {
    // Products, customers, orders, events and reservations: see `crate::orders::control`.
    if let Some(response) =
        crate::orders::control(req.method(), path.trim_end_matches('/'), body, state)
    {
        return response;
    }
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
        // POST `{"complex_array_limit": N}` turns input limits on; GET shows the limit and
        // how many requests it refused; DELETE turns them off.
        (&Method::POST, "input-limits") => match serde_json::from_slice::<InputLimitsSpec>(body) {
            Ok(spec) if spec.complex_array_limit > 0 => {
                state.input_limits.set(Some(spec.complex_array_limit));
                json_response(StatusCode::CREATED, &state.input_limits.view())
            }
            Ok(_) => bad_request("complex_array_limit must be at least 1"),
            Err(err) => bad_request(format!("not an input limit: {err}")),
        },
        (&Method::GET, "input-limits") => json_response(StatusCode::OK, &state.input_limits.view()),
        (&Method::DELETE, "input-limits") => {
            state.input_limits.set(None);
            json_response(StatusCode::OK, &state.input_limits.view())
        }
        (method, "notifications") => crate::notify::control(method, body, state),
        // The media folder's own files (uploads, with their product, and the library).
        (&Method::GET, "media") => crate::media::control(state),
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
