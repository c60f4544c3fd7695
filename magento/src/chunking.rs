//! How many items a store takes in one array input. Stores with input limits on
//! (`webapi/validation/complex_array_limit`, 20 by default when enabled) refuse longer
//! arrays with 400 `Maximum items of type "%type" is %max`; the limit learnt from that
//! answer is remembered per store for the life of the process, shared by every client of
//! that store.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use serde_json::Value;

use crate::error::MagentoError;

/// The chunk size tried on a store whose limit is not known yet.
pub const DEFAULT_CHUNK_SIZE: usize = 500;

fn registry() -> &'static Mutex<HashMap<String, usize>> {
    static LIMITS: OnceLock<Mutex<HashMap<String, usize>>> = OnceLock::new();
    LIMITS.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The largest array to send to `store` (the client's `store_label`): the smallest limit
/// learnt so far, else [`DEFAULT_CHUNK_SIZE`].
pub fn chunk_size_for(store: &str) -> usize {
    let limits = registry().lock().unwrap_or_else(|e| e.into_inner());
    limits.get(store).copied().unwrap_or(DEFAULT_CHUNK_SIZE)
}

/// Remembers that `store` takes at most `max` items (at least 1); a larger value than
/// the one already known is ignored.
pub(crate) fn learn_limit(store: &str, max: usize) {
    let max = max.max(1);
    let mut limits = registry().lock().unwrap_or_else(|e| e.into_inner());
    let entry = limits.entry(store.to_owned()).or_insert(max);
    if max < *entry {
        *entry = max;
    }
}

fn as_count(value: &Value) -> Option<usize> {
    match value {
        Value::Number(n) => n.as_u64().and_then(|n| usize::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The array limit a 400 "Maximum items of type … is N" names, if `err` is one. Reads the
/// filled message first, then the parameters (an object with `max`, or an array whose
/// last number is taken, since Magento's exact parameter keys are unverified).
pub fn parse_array_limit(err: &MagentoError) -> Option<usize> {
    let MagentoError::Validation {
        status: 400,
        message,
        parameters,
    } = err
    else {
        return None;
    };
    if !message.contains("Maximum items of type") {
        return None;
    }
    let from_message = message
        .rsplit_once(" is ")
        .and_then(|(_, tail)| tail.trim().trim_end_matches('.').parse::<usize>().ok());
    let from_parameters = || match parameters {
        Value::Object(map) => map.get("max").and_then(as_count),
        Value::Array(list) => list.iter().rev().find_map(as_count),
        _ => None,
    };
    from_message
        .or_else(from_parameters)
        .filter(|&limit| limit > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_unknown_store_starts_at_the_default_and_learns_only_smaller_limits() {
        let store = "chunking-unit-learn";
        assert_eq!(chunk_size_for(store), DEFAULT_CHUNK_SIZE);
        learn_limit(store, 20);
        assert_eq!(chunk_size_for(store), 20);
        learn_limit(store, 100);
        assert_eq!(chunk_size_for(store), 20);
        learn_limit(store, 0);
        assert_eq!(chunk_size_for(store), 1);
        assert_eq!(chunk_size_for("chunking-unit-other"), DEFAULT_CHUNK_SIZE);
    }

    #[test]
    fn the_limit_is_read_from_the_filled_message() {
        let body = r#"{"message":"Maximum items of type \"%type\" is %max","parameters":{"type":"\\Magento\\InventoryApi\\Api\\Data\\SourceItemInterface","max":20}}"#;
        let err = MagentoError::from_response(400, None, body);
        assert_eq!(parse_array_limit(&err), Some(20));
    }

    #[test]
    fn the_limit_is_read_from_array_parameters_when_the_message_keeps_its_template() {
        let err = MagentoError::Validation {
            status: 400,
            message: "Maximum items of type \"%type\" is %max".into(),
            parameters: json!(["\\Some\\Type", "7"]),
        };
        assert_eq!(parse_array_limit(&err), Some(7));
        let err = MagentoError::Validation {
            status: 400,
            message: "Maximum items of type \"%type\" is %max".into(),
            parameters: json!({"type": "x", "max": 3}),
        };
        assert_eq!(parse_array_limit(&err), Some(3));
    }

    #[test]
    fn other_errors_name_no_limit() {
        let other = MagentoError::from_response(
            400,
            None,
            r#"{"message":"\"%fieldName\" is required. Enter and try again.","parameters":{"fieldName":"sku"}}"#,
        );
        assert_eq!(parse_array_limit(&other), None);
        let server = MagentoError::Server {
            status: 500,
            message: "Maximum items of type x is 20".into(),
        };
        assert_eq!(parse_array_limit(&server), None);
        let zero = MagentoError::Validation {
            status: 400,
            message: "Maximum items of type \"x\" is 0".into(),
            parameters: Value::Null,
        };
        assert_eq!(parse_array_limit(&zero), None);
    }
}
