//! Request verification as Magento 2.4.4+ does it (`Framework\Oauth\Helper\Request`,
//! `Framework\Oauth\Oauth`, the nonce generator), in the same order, so a client sees the
//! same error for the same mistake.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::HttpRequest;
use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, HOST};
use magento::Credentials;
use magento::oauth::{base_string, hmac_sha256_signature};
use serde_json::json;
use subtle::ConstantTimeEq as _;

use crate::query::{is_protocol_parameter, raw_url_decode, signed_query_params};
use crate::response::ApiError;

/// Magento's nonce generator refuses timestamps further ahead than this.
const MAX_FUTURE_SECONDS: i64 = 600;
/// Magento keeps nonces in a table pruned by cron; keeping them this long is enough to
/// catch any replay a client could plausibly make.
const NONCE_MEMORY: Duration = Duration::from_secs(15 * 60);
const TOKEN_LENGTH: usize = 32;
/// The sandbox has one integration; this is its consumer's id in Magento's table.
const CONSUMER_ID: &str = "1";
const REQUIRED: [&str; 6] = [
    "oauth_consumer_key",
    "oauth_signature",
    "oauth_signature_method",
    "oauth_nonce",
    "oauth_timestamp",
    "oauth_token",
];

pub(crate) struct Verifier {
    credentials: Credentials,
    nonces: Mutex<HashMap<(String, String), Instant>>,
}

/// `Helper\Request::_processHeader`: after the first case-insensitive `oauth `, split on
/// `,`, `name=value` with quotes trimmed, both `rawurldecode`d, only `oauth_*` names kept.
fn header_params(header: &str) -> BTreeMap<String, String> {
    let mut params = BTreeMap::new();
    let lower = header.to_ascii_lowercase();
    let Some(start) = lower.find("oauth ") else {
        return params;
    };
    for piece in header[start + 6..].split(',') {
        let Some((name, value)) = piece.trim().split_once('=') else {
            continue;
        };
        if is_protocol_parameter(name) {
            params.insert(
                raw_url_decode(name),
                raw_url_decode(value.trim_matches('"')),
            );
        }
    }
    params
}

/// PHP's `(int)` cast of a timestamp: leading digits (with a sign), else 0.
fn php_int(s: &str) -> i64 {
    let s = s.trim();
    let (sign, digits) = match s.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, s.strip_prefix('+').unwrap_or(s)),
    };
    let digits: String = digits.chars().take_while(char::is_ascii_digit).collect();
    digits.parse::<i64>().map(|n| sign * n).unwrap_or(0)
}

impl Verifier {
    pub fn new(credentials: Credentials) -> Self {
        Self {
            credentials,
            nonces: Mutex::new(HashMap::new()),
        }
    }

    /// Checks the request's OAuth signature. `acl_resource` is what an anonymous request is
    /// told it may not access.
    pub fn verify(&self, req: &HttpRequest, acl_resource: &str) -> Result<(), ApiError> {
        let header = req
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let params = header_params(header);
        if params.is_empty() {
            // Not an OAuth request: Magento carries on as a guest and the ACL check fails.
            return Err(ApiError::acl_denied(acl_resource));
        }
        let param = |name: &str| params.get(name).map(String::as_str).unwrap_or_default();

        if let Some(version) = params.get("oauth_version")
            && version != "1.0"
        {
            return Err(ApiError::with_parameters(
                StatusCode::BAD_REQUEST,
                "The \"%1\" Oauth version isn't supported.",
                json!([version]),
            ));
        }
        let missing: Vec<&str> = REQUIRED
            .iter()
            .copied()
            .filter(|name| !params.contains_key(*name))
            .collect();
        if !missing.is_empty() {
            return Err(ApiError::all_required(&missing));
        }
        if param("oauth_token").len() != TOKEN_LENGTH {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "The token length is invalid. Check the length and try again.",
            ));
        }
        let method = param("oauth_signature_method");
        if method != magento::oauth::SIGNATURE_METHOD {
            return Err(ApiError::with_parameters(
                StatusCode::BAD_REQUEST,
                "Signature method %1 is not supported",
                json!([method]),
            ));
        }
        let consumer_key = param("oauth_consumer_key");
        if consumer_key != self.credentials.consumer_key {
            return Err(ApiError::signature_invalid());
        }
        self.check_nonce(consumer_key, param("oauth_nonce"), param("oauth_timestamp"))?;
        if param("oauth_token") != self.credentials.access_token {
            return Err(ApiError::signature_invalid());
        }

        let host = req
            .headers()
            .get(HOST)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .unwrap_or_else(|| req.app_config().host().to_owned());
        let url = format!("http://{host}{}", req.uri().path());
        let mut signed: BTreeMap<String, String> = signed_query_params(req.query_string());
        // Header values win over same-named query values: Magento merges the header first and
        // skips `oauth_*` names from the query.
        for (name, value) in &params {
            if name != "oauth_signature" {
                signed.insert(name.clone(), value.clone());
            }
        }
        let pairs: Vec<(String, String)> = signed.into_iter().collect();
        let base = base_string(req.method().as_str(), &url, &pairs);
        let expected = hmac_sha256_signature(
            &base,
            &self.credentials.consumer_secret,
            &self.credentials.access_token_secret,
        );
        if bool::from(
            expected
                .as_bytes()
                .ct_eq(param("oauth_signature").as_bytes()),
        ) {
            Ok(())
        } else {
            let shown = base
                .replace(&self.credentials.access_token, "[token]")
                .replace(&self.credentials.consumer_key, "[consumer]");
            tracing::debug!(base_string = %shown, "sandbox refused a signature");
            Err(ApiError::signature_invalid())
        }
    }

    /// The nonce generator: timestamp sanity, then "used before by this consumer". The nonce
    /// is recorded before the signature is checked, as in Magento.
    fn check_nonce(
        &self,
        consumer_key: &str,
        nonce: &str,
        timestamp: &str,
    ) -> Result<(), ApiError> {
        let timestamp = php_int(timestamp);
        let now = chrono::Utc::now().timestamp();
        if timestamp <= 0 || timestamp > now + MAX_FUTURE_SECONDS {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "Incorrect timestamp value in the oauth_timestamp parameter",
            ));
        }
        // A poisoned lock only means another request panicked mid-insert; the map is still usable.
        let mut nonces = self.nonces.lock().unwrap_or_else(|e| e.into_inner());
        let cutoff = Instant::now().checked_sub(NONCE_MEMORY);
        if let Some(cutoff) = cutoff {
            nonces.retain(|_, seen| *seen >= cutoff);
        }
        let key = (consumer_key.to_owned(), nonce.to_owned());
        if nonces.contains_key(&key) {
            return Err(ApiError::with_parameters(
                StatusCode::UNAUTHORIZED,
                "The nonce is already being used by the consumer with ID %1",
                json!([CONSUMER_ID]),
            ));
        }
        nonces.insert(key, Instant::now());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_parsing_follows_magentos_helper() {
        let p = header_params(
            r#"OAuth realm="x", oauth_consumer_key="ck",oauth_signature="a%2Bb%3D",oauth_nonce="n=1", junk"#,
        );
        assert_eq!(p.get("oauth_consumer_key").map(String::as_str), Some("ck"));
        assert_eq!(p.get("oauth_signature").map(String::as_str), Some("a+b="));
        assert_eq!(p.get("oauth_nonce").map(String::as_str), Some("n=1"));
        assert!(!p.contains_key("realm"));
        assert!(header_params("Bearer abc").is_empty());
    }

    #[test]
    fn timestamps_are_read_like_php_ints() {
        assert_eq!(php_int("1700000000"), 1_700_000_000);
        assert_eq!(php_int("17abc"), 17);
        assert_eq!(php_int("abc"), 0);
        assert_eq!(php_int("-5"), -5);
    }
}
