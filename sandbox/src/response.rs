//! Responses rendered the way Magento's `Webapi\Rest\Response` does.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use serde_json::{Value, json};

/// serde_json's compact output with `/` written as `\/` in strings (keys included), as
/// PHP's `json_encode` does.
struct PhpFormatter;

impl serde_json::ser::Formatter for PhpFormatter {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut parts = fragment.split('/');
        if let Some(first) = parts.next() {
            writer.write_all(first.as_bytes())?;
        }
        for part in parts {
            writer.write_all(b"\\/")?;
            writer.write_all(part.as_bytes())?;
        }
        Ok(())
    }
}

/// The body as Magento writes it, in one pass (a large product page is serialised once,
/// not formatted and then copied again to escape its slashes).
fn php_json(body: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(4096);
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, PhpFormatter);
    // A `Value` always serialises (its keys are strings); should it not, the answer is
    // still valid JSON.
    if serde::Serialize::serialize(body, &mut serializer).is_err() {
        return b"null".to_vec();
    }
    out
}

pub(crate) fn json_response(status: StatusCode, body: &Value) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/json; charset=utf-8")
        .body(php_json(body))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slashes_are_escaped_in_keys_and_values_like_php() {
        let body = json!({"a/b": ["/m/t/x.jpg", "</p>", "é \" \\ /"], "n": 1.5, "t": true});
        let expected = body.to_string().replace('/', "\\/");
        assert_eq!(String::from_utf8(php_json(&body)).expect("utf-8"), expected);
    }
}
