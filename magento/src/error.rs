//! What went wrong talking to Magento, classified so callers can tell the merchant what
//! to fix and the job runner what to retry.

use serde_json::Value;

/// Magento answers a missing ACL grant and an unauthenticated request with the same 401,
/// so telling the merchant only to grant the resource would mislead half of the time.
pub const ACL_DENIED_HINT: &str = "Magento gives this answer when the integration lacks the resource \
     (grant it under System > Extensions > Integrations > API), but also when it did not accept the request \
     as OAuth-signed and treated it as anonymous: an access token used as a Bearer token while \
     'Allow OAuth Access Tokens to be used as standalone Bearer tokens' is off (the default since 2.4.4), \
     or an access token Magento does not know (integration re-activated or deleted)";

#[derive(Debug, thiserror::Error)]
pub enum MagentoError {
    /// 401: signature invalid, consumer key or token rejected, nonce reused, bad timestamp.
    #[error("Magento refused the OAuth credentials: {message}")]
    InvalidCredentials { message: String },
    /// 400 "Signature method %1 is not supported" (HMAC-SHA1 on 2.4.4+).
    #[error("Magento refused the OAuth signature method: {message}")]
    SignatureMethodRejected { message: String },
    /// 401 "The consumer isn't authorized to access %resources."
    #[error("the integration may not access {resources}; {hint}")]
    AclDenied {
        resources: String,
        hint: &'static str,
    },
    #[error("Magento found nothing here: {message}")]
    NotFound { message: String },
    /// Any other 4xx. `message` has its `%1`/`%name` placeholders filled in.
    #[error("Magento rejected the request (HTTP {status}): {message}")]
    Validation {
        status: u16,
        message: String,
        parameters: Value,
    },
    #[error("Magento is throttling requests{}", retry_after_text(.retry_after_seconds))]
    Throttled { retry_after_seconds: Option<u64> },
    #[error("Magento failed (HTTP {status}): {message}")]
    Server { status: u16, message: String },
    #[error("the store could not be reached: {message}")]
    Unreachable { message: String },
    #[error("the store did not answer in time")]
    Timeout,
    /// A response we could not read: names the entity, its id when known, and where in the
    /// JSON the problem is.
    #[error("could not read the {entity}{} Magento sent: {message}", id_text(.id))]
    Decode {
        entity: String,
        id: Option<String>,
        message: String,
    },
    /// A mistake on our side, caught before anything was sent (or a redirect that shows the
    /// base URL is wrong).
    #[error("invalid request: {message}")]
    InvalidRequest { message: String },
}

fn retry_after_text(seconds: &Option<u64>) -> String {
    seconds
        .map(|s| format!(" (retry after {s} s)"))
        .unwrap_or_default()
}

fn id_text(id: &Option<String>) -> String {
    id.as_ref().map(|id| format!(" {id}")).unwrap_or_default()
}

impl MagentoError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidCredentials { .. } => "INVALID_CREDENTIALS",
            Self::SignatureMethodRejected { .. } => "SIGNATURE_METHOD_REJECTED",
            Self::AclDenied { .. } => "ACL_DENIED",
            Self::NotFound { .. } => "NOT_FOUND",
            Self::Validation { .. } => "VALIDATION",
            Self::Throttled { .. } => "THROTTLED",
            Self::Server { .. } => "SERVER_ERROR",
            Self::Unreachable { .. } | Self::Timeout => "STORE_UNREACHABLE",
            Self::Decode { .. } => "DECODE",
            Self::InvalidRequest { .. } => "INVALID_REQUEST",
        }
    }

    /// Whether Magento says the entity asked for does not exist (a 404 of an existing
    /// route): not a route Magento does not know, which means a wrong base URL or a
    /// missing module, not a deleted order.
    pub fn is_missing_entity(&self) -> bool {
        matches!(self, Self::NotFound { message } if !message.contains("does not match any route"))
    }

    /// Whether the same call may succeed if simply repeated later (with a fresh nonce).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Throttled { .. } | Self::Timeout | Self::Unreachable { .. } => true,
            // Gateways and PHP-FPM saturation; a masked PHP exception ("Internal Error …
            // Report ID") is often a deadlock or a lost DB connection.
            Self::Server { status, message } => {
                matches!(status, 502..=504) || (*status == 500 && message.contains("Report ID"))
            }
            // Only a replayed nonce heals by itself: the retry is signed afresh.
            Self::InvalidCredentials { message } => message.contains("nonce is already being used"),
            _ => false,
        }
    }

    /// Whether a write that failed this way may nevertheless have been applied: the request
    /// may have reached Magento before the answer was lost (a timeout, a connection broken
    /// off, a gateway giving up, a PHP error after the save). A throttled or refused request
    /// never ran, and a replayed nonce is refused before the service.
    pub fn outcome_unknown(&self) -> bool {
        matches!(
            self,
            Self::Timeout | Self::Unreachable { .. } | Self::Server { .. }
        )
    }

    /// Classifies a non-2xx answer. `retry_after_seconds` is the parsed `Retry-After` header.
    pub fn from_response(status: u16, retry_after_seconds: Option<u64>, body: &str) -> Self {
        let parsed = ErrorBody::parse(body);
        let message = parsed.filled();
        match status {
            401 if is_acl_message(&parsed.message) => Self::AclDenied {
                resources: acl_resources(&parsed.parameters),
                hint: ACL_DENIED_HINT,
            },
            401 => Self::InvalidCredentials { message },
            400 if parsed.message.starts_with("Signature method")
                && parsed.message.contains("not supported") =>
            {
                Self::SignatureMethodRejected { message }
            }
            // Magento checks the shape of the token before anything else: a pasted value
            // of the wrong length is a credentials problem, not a request problem.
            400 if parsed.message.contains("token length is invalid")
                || parsed
                    .message
                    .contains("Consumer key is not the correct length") =>
            {
                Self::InvalidCredentials { message }
            }
            404 => Self::NotFound { message },
            429 => Self::Throttled {
                retry_after_seconds,
            },
            300..=399 => Self::InvalidRequest {
                message: format!(
                    "Magento answered with a redirect (HTTP {status}); check the base URL's scheme, host and any /index.php prefix"
                ),
            },
            400..=499 => Self::Validation {
                status,
                message,
                parameters: parsed.parameters,
            },
            _ => Self::Server { status, message },
        }
    }

    /// Removes any secret that a server might have echoed into a message.
    pub(crate) fn redact(self, secrets: &[&str]) -> Self {
        let clean = |mut s: String| {
            for secret in secrets.iter().filter(|s| s.len() >= 4) {
                if s.contains(secret) {
                    s = s.replace(secret, "[redacted]");
                }
            }
            s
        };
        match self {
            Self::InvalidCredentials { message } => Self::InvalidCredentials {
                message: clean(message),
            },
            Self::SignatureMethodRejected { message } => Self::SignatureMethodRejected {
                message: clean(message),
            },
            Self::NotFound { message } => Self::NotFound {
                message: clean(message),
            },
            Self::Validation {
                status,
                message,
                parameters,
            } => Self::Validation {
                status,
                message: clean(message),
                parameters,
            },
            Self::Server { status, message } => Self::Server {
                status,
                message: clean(message),
            },
            Self::Unreachable { message } => Self::Unreachable {
                message: clean(message),
            },
            Self::Decode {
                entity,
                id,
                message,
            } => Self::Decode {
                entity,
                id,
                message: clean(message),
            },
            Self::InvalidRequest { message } => Self::InvalidRequest {
                message: clean(message),
            },
            other => other,
        }
    }
}

fn is_acl_message(template: &str) -> bool {
    template.contains("isn't authorized to access")
        || template.contains("is not authorized to access")
}

fn acl_resources(parameters: &Value) -> String {
    let value = match parameters {
        Value::Object(map) => map.get("resources"),
        Value::Array(list) => list.first(),
        _ => None,
    };
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => "the requested resource".to_owned(),
    }
}

/// Magento's error JSON, read leniently: `{"message", "parameters"?, "errors"?}` or the
/// fatal-error shape `{"messages":{"error":[{"code","message"}]}}`; anything else keeps a
/// short, tag-stripped excerpt so an HTML error page from a proxy is still recognisable.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorBody {
    /// The untranslated template, e.g. `Signature method %1 is not supported`.
    pub message: String,
    pub parameters: Value,
    /// Messages of `errors[]`, already filled.
    pub errors: Vec<String>,
}

impl ErrorBody {
    pub fn parse(body: &str) -> Self {
        let empty = |message: String| Self {
            message,
            parameters: Value::Null,
            errors: Vec::new(),
        };
        let Ok(json) = serde_json::from_str::<Value>(body) else {
            return empty(excerpt(body));
        };
        if let Some(message) = json.get("message").and_then(Value::as_str) {
            let errors = json
                .get("errors")
                .and_then(Value::as_array)
                .map(|list| {
                    list.iter()
                        .filter_map(|e| {
                            let template = e.get("message").and_then(Value::as_str)?;
                            Some(fill_placeholders(
                                template,
                                e.get("parameters").unwrap_or(&Value::Null),
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default();
            return Self {
                message: message.to_owned(),
                parameters: json.get("parameters").cloned().unwrap_or(Value::Null),
                errors,
            };
        }
        if let Some(list) = json.pointer("/messages/error").and_then(Value::as_array) {
            let messages: Vec<String> = list
                .iter()
                .filter_map(|e| e.get("message").and_then(Value::as_str).map(str::to_owned))
                .collect();
            return empty(messages.join("; "));
        }
        empty(excerpt(body))
    }

    /// The message with its placeholders filled and any `errors[]` appended.
    pub fn filled(&self) -> String {
        let mut text = fill_placeholders(&self.message, &self.parameters);
        if !self.errors.is_empty() {
            text.push_str(": ");
            text.push_str(&self.errors.join("; "));
        }
        text
    }
}

/// Fills `%1`, `%2`… from an array and `%name` from an object, as Magento's `Phrase` does.
pub fn fill_placeholders(template: &str, parameters: &Value) -> String {
    let as_text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut text = template.to_owned();
    match parameters {
        // Highest index first so `%1` does not eat the start of `%10`.
        Value::Array(list) => {
            for (i, value) in list.iter().enumerate().rev() {
                text = text.replace(&format!("%{}", i + 1), &as_text(value));
            }
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by_key(|k| std::cmp::Reverse(k.len()));
            for key in keys {
                text = text.replace(&format!("%{key}"), &as_text(&map[key]));
            }
        }
        _ => {}
    }
    text
}

fn excerpt(body: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() {
        return "empty response body".to_owned();
    }
    let mut cut: String = collapsed.chars().take(160).collect();
    if cut.len() < collapsed.len() {
        cut.push('…');
    }
    format!("unexpected response body: {cut}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bad_signature_is_invalid_credentials_and_not_retryable() {
        let e = MagentoError::from_response(
            401,
            None,
            r#"{"message":"The signature is invalid. Verify and try again."}"#,
        );
        assert!(
            matches!(&e, MagentoError::InvalidCredentials { message } if message == "The signature is invalid. Verify and try again.")
        );
        assert_eq!(e.code(), "INVALID_CREDENTIALS");
        assert!(!e.is_retryable());
    }

    #[test]
    fn replayed_nonce_is_retryable_with_the_consumer_id_filled_in() {
        let body = r#"{"message":"The nonce is already being used by the consumer with ID %1","parameters":["1"]}"#;
        let e = MagentoError::from_response(401, None, body);
        assert!(
            matches!(&e, MagentoError::InvalidCredentials { message } if message.ends_with("consumer with ID 1"))
        );
        assert!(e.is_retryable());
    }

    #[test]
    fn sha1_refusal_is_its_own_kind() {
        let body =
            r#"{"message":"Signature method %1 is not supported","parameters":["HMAC-SHA1"]}"#;
        let e = MagentoError::from_response(400, None, body);
        assert!(
            matches!(&e, MagentoError::SignatureMethodRejected { message } if message == "Signature method HMAC-SHA1 is not supported")
        );
        assert_eq!(e.code(), "SIGNATURE_METHOD_REJECTED");
    }

    #[test]
    fn acl_denial_names_the_resource_and_mentions_bearer_mode() {
        let body = r#"{"message":"The consumer isn't authorized to access %resources.","parameters":{"resources":"Magento_Sales::actions_view"}}"#;
        let e = MagentoError::from_response(401, None, body);
        match &e {
            MagentoError::AclDenied { resources, hint } => {
                assert_eq!(resources, "Magento_Sales::actions_view");
                assert!(hint.contains("Bearer"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(e.code(), "ACL_DENIED");
        assert!(e.to_string().contains("Magento_Sales::actions_view"));
    }

    #[test]
    fn not_found_throttled_server_and_validation() {
        let nf = MagentoError::from_response(
            404,
            None,
            r#"{"message":"Request does not match any route."}"#,
        );
        assert!(
            matches!(nf, MagentoError::NotFound { ref message } if message == "Request does not match any route.")
        );
        assert_eq!(nf.code(), "NOT_FOUND");

        let t = MagentoError::from_response(
            429,
            Some(30),
            r#"{"message":"Too Many Requests","trace":null}"#,
        );
        assert!(matches!(
            t,
            MagentoError::Throttled {
                retry_after_seconds: Some(30)
            }
        ));
        assert!(t.is_retryable());
        assert_eq!(
            t.to_string(),
            "Magento is throttling requests (retry after 30 s)"
        );

        let s = MagentoError::from_response(
            500,
            None,
            r#"{"message":"Internal Error. Details are available in Magento log file. Report ID: webapi-65f0c1"}"#,
        );
        assert!(s.is_retryable());
        assert_eq!(s.code(), "SERVER_ERROR");
        let gw = MagentoError::from_response(
            502,
            None,
            "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>",
        );
        assert!(gw.is_retryable());
        assert!(
            matches!(&gw, MagentoError::Server { message, .. } if message.contains("502 Bad Gateway") && !message.contains('<'))
        );

        let v = MagentoError::from_response(
            400,
            None,
            r#"{"message":"\"%fieldName\" is required. Enter and try again.","parameters":{"fieldName":"searchCriteria"}}"#,
        );
        match &v {
            MagentoError::Validation {
                status,
                message,
                parameters,
            } => {
                assert_eq!(*status, 400);
                assert_eq!(
                    message,
                    "\"searchCriteria\" is required. Enter and try again."
                );
                assert_eq!(parameters, &json!({"fieldName":"searchCriteria"}));
            }
            other => panic!("{other:?}"),
        }
        assert!(!v.is_retryable());
    }

    #[test]
    fn aggregated_input_errors_and_the_fatal_error_shape_are_read() {
        let body = r#"{"message":"One or more input exceptions have occurred.","errors":[
            {"message":"\"%fieldName\" is required. Enter and try again.","parameters":{"fieldName":"oauth_nonce"}},
            {"message":"\"%fieldName\" is required. Enter and try again.","parameters":{"fieldName":"oauth_token"}}]}"#;
        let e = MagentoError::from_response(400, None, body);
        assert!(
            matches!(&e, MagentoError::Validation { message, .. } if message.contains("\"oauth_nonce\" is required") && message.contains("\"oauth_token\" is required")),
            "{e:?}"
        );
        let fatal = r#"{"messages":{"error":[{"code":500,"message":"Server internal error. See details in report api/1234"}]}}"#;
        let e = MagentoError::from_response(500, None, fatal);
        assert!(
            matches!(&e, MagentoError::Server { status: 500, message } if message.contains("report api/1234"))
        );
    }

    #[test]
    fn placeholders_fill_multi_digit_indices_correctly() {
        let params = json!(["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]);
        assert_eq!(fill_placeholders("%1-%10", &params), "a-j");
        assert_eq!(
            fill_placeholders(
                "%max items of %maxType",
                &json!({"max": 20, "maxType": "x"})
            ),
            "20 items of x"
        );
    }

    #[test]
    fn redirect_points_at_the_base_url_and_redaction_removes_secrets() {
        let e = MagentoError::from_response(301, None, "");
        assert_eq!(e.code(), "INVALID_REQUEST");
        let leaked = MagentoError::Server {
            status: 500,
            message: "echo oauth_token=tok123secret".into(),
        };
        let clean = leaked.redact(&["tok123secret"]);
        assert!(!clean.to_string().contains("tok123secret"));
    }
}
