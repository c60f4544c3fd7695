//! Responses rendered the way Magento's `Webapi\Rest\Response` does.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use serde_json::{Value, json};

/// PHP's `json_encode` escapes `/`; a `/` can only occur inside JSON strings, so escaping
/// every one keeps the document valid.
pub(crate) fn json_response(status: StatusCode, body: &Value) -> HttpResponse {
    let text = body.to_string().replace('/', "\\/");
    HttpResponse::build(status)
        .content_type("application/json; charset=utf-8")
        .body(text)
}

/// An error as Magento renders it: an untranslated template plus its parameters.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub body: Value,
}

impl ApiError {
    pub fn new(status: StatusCode, message: &str) -> Self {
        Self {
            status,
            body: json!({ "message": message }),
        }
    }

    pub fn with_parameters(status: StatusCode, message: &str, parameters: Value) -> Self {
        Self {
            status,
            body: json!({ "message": message, "parameters": parameters }),
        }
    }

    pub fn route_not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "Request does not match any route.")
    }

    pub fn no_such_entity() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "The entity that was requested doesn't exist. Verify the entity and try again.",
        )
    }

    /// What an anonymous request (no usable OAuth header, e.g. a Bearer token while bearer
    /// mode is off) gets from the ACL check.
    pub fn acl_denied(resource: &str) -> Self {
        Self::with_parameters(
            StatusCode::UNAUTHORIZED,
            "The consumer isn't authorized to access %resources.",
            json!({ "resources": resource }),
        )
    }

    pub fn signature_invalid() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "The signature is invalid. Verify and try again.",
        )
    }

    pub fn required(field: &str) -> Self {
        Self::with_parameters(
            StatusCode::BAD_REQUEST,
            "\"%fieldName\" is required. Enter and try again.",
            json!({ "fieldName": field }),
        )
    }

    /// An `InputException` with several errors: one stays a plain message, more become the
    /// aggregate with `errors[]`.
    pub fn all_required(fields: &[&str]) -> Self {
        match fields {
            [one] => Self::required(one),
            many => {
                let errors: Vec<Value> = many
                    .iter()
                    .map(|f| json!({"message": "\"%fieldName\" is required. Enter and try again.", "parameters": {"fieldName": f}}))
                    .collect();
                Self {
                    status: StatusCode::BAD_REQUEST,
                    body: json!({ "message": "One or more input exceptions have occurred.", "errors": errors }),
                }
            }
        }
    }

    /// A PHP exception outside `LocalizedException`, masked as in production mode.
    pub fn internal() -> Self {
        let report: u64 = rand::random::<u64>() & 0xffff_ffff_ffff;
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!(
                "Internal Error. Details are available in Magento log file. Report ID: webapi-{report:012x}"
            ),
        )
    }

    pub fn into_response(self) -> HttpResponse {
        json_response(self.status, &self.body)
    }
}
