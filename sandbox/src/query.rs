//! Query-string readings. Magento reads the same raw query twice, differently: the OAuth
//! helper for the signature and PHP for the service arguments. Both keep bracketed names
//! flat here, which is all the routes need.

use std::collections::BTreeMap;

use percent_encoding::percent_decode_str;

/// PHP `rawurldecode`.
pub(crate) fn raw_url_decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// PHP `urldecode`: like `rawurldecode`, but `+` is a space.
pub(crate) fn url_decode(s: &str) -> String {
    raw_url_decode(&s.replace('+', " "))
}

/// Magento's `oauth_*` test (`/oauth_[a-z_-]+/`, unanchored).
pub(crate) fn is_protocol_parameter(name: &str) -> bool {
    name.match_indices("oauth_").any(|(i, m)| {
        name[i + m.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_' || c == '-')
    })
}

/// The query parameters Magento signs (`Helper\Request::_fetchProtocolParamsFromQuery`):
/// pieces split on `&`, each used only if `=` splits it into exactly two parts and its
/// name is not an `oauth_*` name; both parts `urldecode`d; a repeated name keeps the last.
pub(crate) fn signed_query_params(raw_query: &str) -> BTreeMap<String, String> {
    let mut params = BTreeMap::new();
    for piece in raw_query.split('&') {
        let parts: Vec<&str> = piece.split('=').collect();
        if let [name, value] = parts[..]
            && !is_protocol_parameter(name)
        {
            params.insert(url_decode(name), url_decode(value));
        }
    }
    params
}

/// The arguments the service sees (PHP's query parsing, flattened): split on the first
/// `=`, a piece without `=` is an empty value, a repeated name keeps the last.
pub(crate) fn app_params(raw_query: &str) -> BTreeMap<String, String> {
    let mut params = BTreeMap::new();
    for piece in raw_query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
        params.insert(url_decode(name), url_decode(value));
    }
    params
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_view_drops_malformed_and_oauth_pieces() {
        let p = signed_query_params("a%5B0%5D=x+y&b=1=2&c&oauth_token=t&d=%7E");
        assert_eq!(p.get("a[0]").map(String::as_str), Some("x y"));
        assert!(!p.contains_key("b") && !p.contains_key("c") && !p.contains_key("oauth_token"));
        assert_eq!(p.get("d").map(String::as_str), Some("~"));
    }

    #[test]
    fn app_view_keeps_pieces_without_values() {
        let p = app_params("searchCriteria&fields=items%5Bid%5D");
        assert_eq!(p.get("searchCriteria").map(String::as_str), Some(""));
        assert_eq!(p.get("fields").map(String::as_str), Some("items[id]"));
    }

    #[test]
    fn protocol_parameter_names_follow_magentos_pattern() {
        assert!(is_protocol_parameter("oauth_nonce"));
        assert!(is_protocol_parameter("xoauth_a"));
        assert!(!is_protocol_parameter("oauth_"));
        assert!(!is_protocol_parameter("oauth_X"));
        assert!(!is_protocol_parameter("realm"));
    }
}
