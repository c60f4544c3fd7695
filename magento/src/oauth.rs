//! OAuth 1.0a request signing as Magento 2.4.4+ verifies it (HMAC-SHA256 only).
//!
//! Magento rebuilds the signature from the `Authorization` header's `oauth_*` values plus
//! the *flat* query parameters (`searchCriteria[pageSize]` is one name, brackets and all),
//! so the client must sign exactly the pairs it sends: [`encode_query`] produces the query
//! string and [`authorization_header`] signs the same pairs.

use std::fmt;

use base64::Engine as _;
use hmac::{Hmac, KeyInit as _, Mac as _};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use rand::Rng as _;
use sha2::Sha256;

/// The four values an activated Magento integration shows.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub consumer_key: String,
    pub consumer_secret: String,
    pub access_token: String,
    pub access_token_secret: String,
}

impl fmt::Debug for Credentials {
    /// The last characters of the consumer key are enough to tell two integrations apart
    /// in a log; everything else would let a reader call the store.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let chars: Vec<char> = self.consumer_key.chars().collect();
        // A key too short to keep most of it hidden is not shown at all.
        let key = if chars.len() >= 8 {
            format!("…{}", chars[chars.len() - 4..].iter().collect::<String>())
        } else {
            "[redacted]".to_owned()
        };
        f.debug_struct("Credentials")
            .field("consumer_key", &format_args!("{key}"))
            .field("consumer_secret", &format_args!("[redacted]"))
            .field("access_token", &format_args!("[redacted]"))
            .field("access_token_secret", &format_args!("[redacted]"))
            .finish()
    }
}

/// RFC 3986 unreserved characters stay literal; everything else is escaped. This is
/// PHP's `rawurlencode` (with `~` kept), which is what Magento's signer uses.
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

pub const SIGNATURE_METHOD: &str = "HMAC-SHA256";

/// RFC 3986 percent-encoding with uppercase hex.
pub fn percent_encode(s: &str) -> String {
    utf8_percent_encode(s, RFC3986).to_string()
}

/// Scheme and host lowercased, default port dropped, query and fragment dropped — the
/// normalisation of RFC 5849 §3.4.1.2 that Magento's signer applies to the request URL.
fn normalise_url(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (s.to_ascii_lowercase(), r),
        None => (String::new(), url),
    };
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    // Credentials in the URL are never part of what the server sees as its host.
    let authority = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let authority = authority.to_ascii_lowercase();
    // A port is only what follows the last ':' after any IPv6 literal.
    let port_sep = match authority.rfind(']') {
        Some(close) => authority[close..].find(':').map(|i| i + close),
        None => authority.rfind(':'),
    };
    let host = match port_sep {
        Some(i) => {
            let port = &authority[i + 1..];
            let default = matches!(
                (scheme.as_str(), port),
                ("http", "80") | ("https", "443") | (_, "")
            );
            if default {
                authority[..i].to_owned()
            } else {
                authority.clone()
            }
        }
        None => authority.clone(),
    };
    if scheme.is_empty() {
        format!("{host}{path}")
    } else {
        format!("{scheme}://{host}{path}")
    }
}

/// The signature base string of RFC 5849 §3.4.1. `params` are the decoded pairs to sign
/// (query parameters plus the `oauth_*` protocol parameters, without `oauth_signature`).
pub fn base_string(method: &str, url: &str, params: &[(String, String)]) -> String {
    let mut encoded: Vec<(String, String)> = params
        .iter()
        .map(|(n, v)| (percent_encode(n), percent_encode(v)))
        .collect();
    encoded.sort();
    let joined = encoded
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        percent_encode(&normalise_url(url)),
        percent_encode(&joined)
    )
}

/// base64(HMAC-SHA256(enc(consumer_secret) & enc(token_secret), base_string)).
pub fn hmac_sha256_signature(
    base_string: &str,
    consumer_secret: &str,
    token_secret: &str,
) -> String {
    let key = format!(
        "{}&{}",
        percent_encode(consumer_secret),
        percent_encode(token_secret)
    );
    // HMAC accepts keys of any length, so this cannot fail; the fallback keeps the
    // signature well-formed (and simply wrong) rather than panicking.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key.as_bytes()) else {
        return String::new();
    };
    mac.update(base_string.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The per-request values of a signature. A fresh pair is needed for every attempt,
/// retries included: Magento refuses a nonce it has seen before.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthParams {
    pub nonce: String,
    pub timestamp: i64,
}

impl OAuthParams {
    pub fn fresh() -> Self {
        let nonce: String = rand::rng()
            .sample_iter(rand::distr::Alphanumeric)
            .take(32)
            .map(char::from)
            .collect();
        Self {
            nonce,
            timestamp: chrono::Utc::now().timestamp(),
        }
    }
}

fn protocol_params(creds: &Credentials, params: &OAuthParams) -> Vec<(String, String)> {
    vec![
        ("oauth_consumer_key".into(), creds.consumer_key.clone()),
        ("oauth_nonce".into(), params.nonce.clone()),
        ("oauth_signature_method".into(), SIGNATURE_METHOD.into()),
        ("oauth_timestamp".into(), params.timestamp.to_string()),
        ("oauth_token".into(), creds.access_token.clone()),
        ("oauth_version".into(), "1.0".into()),
    ]
}

/// Signs and returns `(Authorization header value, base string)`; the base string is what
/// one compares with the server's when a signature is refused.
pub(crate) fn sign(
    creds: &Credentials,
    method: &str,
    url: &str,
    query: &[(String, String)],
    params: &OAuthParams,
) -> (String, String) {
    let protocol = protocol_params(creds, params);
    let mut all: Vec<(String, String)> = query.to_vec();
    all.extend(protocol.iter().cloned());
    let base = base_string(method, url, &all);
    let signature =
        hmac_sha256_signature(&base, &creds.consumer_secret, &creds.access_token_secret);
    let mut header = String::from("OAuth ");
    for (name, value) in &protocol {
        header.push_str(&format!("{name}=\"{}\",", percent_encode(value)));
    }
    header.push_str(&format!(
        "oauth_signature=\"{}\"",
        percent_encode(&signature)
    ));
    (header, base)
}

/// The `Authorization` header for a request to `url` (without its query) carrying
/// `query`. `url` must not hold a query string: it is dropped when signing.
pub fn authorization_header(
    creds: &Credentials,
    method: &str,
    url: &str,
    query: &[(String, String)],
    params: &OAuthParams,
) -> String {
    sign(creds, method, url, query, params).0
}

/// The query string exactly as the client sends it. Every name and value is encoded, so
/// no stray `=` or `&` can make Magento split a pair differently from how it was signed.
pub fn encode_query(query: &[(String, String)]) -> String {
    query
        .iter()
        .map(|(n, v)| format!("{}={}", percent_encode(n), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn percent_encode_keeps_only_unreserved_characters() {
        assert_eq!(percent_encode("aZ09-._~"), "aZ09-._~");
        assert_eq!(
            percent_encode("a b+c/d[0]=é*"),
            "a%20b%2Bc%2Fd%5B0%5D%3D%C3%A9%2A"
        );
    }

    #[test]
    fn rfc5849_worked_example_base_string_matches_byte_for_byte() {
        // RFC 5849 §3.4.1.1; the body parameters (c2, a3=2 q) are signed like query ones.
        let params = pairs(&[
            ("b5", "=%3D"),
            ("a3", "a"),
            ("c@", ""),
            ("a2", "r b"),
            ("oauth_consumer_key", "9djdj82h48djs9d2"),
            ("oauth_token", "kkk9d7dh3k39sjv7"),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", "137131201"),
            ("oauth_nonce", "7d8f3e4a"),
            ("c2", ""),
            ("a3", "2 q"),
        ]);
        let expected = "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q\
            %26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_\
            key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_m\
            ethod%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk\
            9d7dh3k39sjv7";
        assert_eq!(
            base_string(
                "post",
                "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b",
                &params
            ),
            expected
        );
    }

    #[test]
    fn url_normalisation_lowercases_and_drops_default_ports() {
        assert_eq!(
            normalise_url("HTTPS://Shop.Example.COM:443/Rest/V1?x=1#f"),
            "https://shop.example.com/Rest/V1"
        );
        assert_eq!(
            normalise_url("http://127.0.0.1:8123/rest/V1/orders"),
            "http://127.0.0.1:8123/rest/V1/orders"
        );
        assert_eq!(
            normalise_url("http://example.com:80"),
            "http://example.com/"
        );
        assert_eq!(normalise_url("https://[::1]:443/x"), "https://[::1]/x");
        assert_eq!(
            normalise_url("https://[::1]:8443/x"),
            "https://[::1]:8443/x"
        );
    }

    #[test]
    fn hmac_sha256_matches_an_independent_computation() {
        // Computed with python3:
        // base64.b64encode(hmac.new(b"cs%2Bsecret&ts%26secret",
        //   b"GET&https%3A%2F%2Fshop.example.com%2Frest%2FV1%2Fstore%2FstoreConfigs&a%3Db",
        //   hashlib.sha256).digest())
        let base = "GET&https%3A%2F%2Fshop.example.com%2Frest%2FV1%2Fstore%2FstoreConfigs&a%3Db";
        assert_eq!(
            hmac_sha256_signature(base, "cs+secret", "ts&secret"),
            KNOWN_SHA256
        );
    }
    const KNOWN_SHA256: &str = "Rz6crXrcGs3zXVGq6Jc+iA8VAtoM8m3RUC3Ag2InyiY=";

    #[test]
    fn bracketed_search_criteria_are_double_encoded_in_the_base_string_only() {
        let query = pairs(&[
            (
                "searchCriteria[filter_groups][0][filters][0][field]",
                "updated_at",
            ),
            (
                "searchCriteria[filter_groups][0][filters][0][value]",
                "2024-05-01 00:00:00",
            ),
            (
                "searchCriteria[filter_groups][0][filters][0][condition_type]",
                "gteq",
            ),
            ("searchCriteria[pageSize]", "100"),
            ("searchCriteria[currentPage]", "1"),
        ]);
        let sent = encode_query(&query);
        assert!(sent.starts_with(
            "searchCriteria%5Bfilter_groups%5D%5B0%5D%5Bfilters%5D%5B0%5D%5Bfield%5D=updated_at&"
        ));
        assert!(sent.contains("%5Bvalue%5D=2024-05-01%2000%3A00%3A00&"));
        assert!(!sent.contains('[') && !sent.contains('+'));

        let creds = Credentials {
            consumer_key: "ck".into(),
            consumer_secret: "cs".into(),
            access_token: "at".into(),
            access_token_secret: "ats".into(),
        };
        let params = OAuthParams {
            nonce: "n0nce".into(),
            timestamp: 1_700_000_000,
        };
        let (header, base) = sign(
            &creds,
            "GET",
            "https://shop.example.com/rest/default/V1/orders",
            &query,
            &params,
        );
        let expected = "GET&https%3A%2F%2Fshop.example.com%2Frest%2Fdefault%2FV1%2Forders&\
            oauth_consumer_key%3Dck%26oauth_nonce%3Dn0nce%26oauth_signature_method%3DHMAC-SHA256\
            %26oauth_timestamp%3D1700000000%26oauth_token%3Dat%26oauth_version%3D1.0\
            %26searchCriteria%255BcurrentPage%255D%3D1\
            %26searchCriteria%255Bfilter_groups%255D%255B0%255D%255Bfilters%255D%255B0%255D%255Bcondition_type%255D%3Dgteq\
            %26searchCriteria%255Bfilter_groups%255D%255B0%255D%255Bfilters%255D%255B0%255D%255Bfield%255D%3Dupdated_at\
            %26searchCriteria%255Bfilter_groups%255D%255B0%255D%255Bfilters%255D%255B0%255D%255Bvalue%255D%3D2024-05-01%252000%253A00%253A00\
            %26searchCriteria%255BpageSize%255D%3D100";
        assert_eq!(base, expected);
        let signature = hmac_sha256_signature(&base, "cs", "ats");
        assert_eq!(
            header,
            format!(
                "OAuth oauth_consumer_key=\"ck\",oauth_nonce=\"n0nce\",oauth_signature_method=\"HMAC-SHA256\",\
                 oauth_timestamp=\"1700000000\",oauth_token=\"at\",oauth_version=\"1.0\",oauth_signature=\"{}\"",
                percent_encode(&signature)
            )
        );
        assert_eq!(
            authorization_header(
                &creds,
                "GET",
                "https://shop.example.com/rest/default/V1/orders",
                &query,
                &params
            ),
            header
        );
    }

    #[test]
    fn fresh_params_use_32_alphanumeric_characters_and_differ() {
        let a = OAuthParams::fresh();
        let b = OAuthParams::fresh();
        assert_eq!(a.nonce.len(), 32);
        assert!(a.nonce.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a.nonce, b.nonce);
        assert!((a.timestamp - chrono::Utc::now().timestamp()).abs() < 5);
    }

    #[test]
    fn debug_output_hides_secrets() {
        let creds = Credentials {
            consumer_key: "abcdefghijklmnop1234".into(),
            consumer_secret: "supersecretvalue".into(),
            access_token: "accesstokenvalue".into(),
            access_token_secret: "tokensecretvalue".into(),
        };
        let shown = format!("{creds:?}");
        assert!(shown.contains("…1234"), "{shown}");
        let short = Credentials {
            consumer_key: "abcd".into(),
            ..creds.clone()
        };
        assert!(!format!("{short:?}").contains("abcd"));
        for secret in [
            "abcdefghijklmnop",
            "supersecretvalue",
            "accesstokenvalue",
            "tokensecretvalue",
        ] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
}
