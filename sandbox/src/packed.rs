//! A JSON value kept in a few boxed slices: the same data as a `serde_json::Value`, at a
//! fraction of its memory. A `Value` object is a B-tree whose every node holds room for
//! eleven entries, so a two-key object costs ~700 bytes; packed it costs its entries.
//! For compact parts of rows kept by the thousand and rendered on read.

use serde_json::{Map, Number, Value};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Packed {
    Null,
    Bool(bool),
    Number(Number),
    String(Box<str>),
    Array(Box<[Packed]>),
    /// Keys in ascending order, as the `Value` map iterates them.
    Object(Box<[(Box<str>, Packed)]>),
}

impl Packed {
    pub fn to_value(&self) -> Value {
        match self {
            Packed::Null => Value::Null,
            Packed::Bool(b) => Value::Bool(*b),
            Packed::Number(n) => Value::Number(n.clone()),
            Packed::String(s) => Value::String(s.to_string()),
            Packed::Array(items) => Value::Array(items.iter().map(Packed::to_value).collect()),
            Packed::Object(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_value()))
                    .collect::<Map<String, Value>>(),
            ),
        }
    }
}

impl From<&Value> for Packed {
    fn from(value: &Value) -> Self {
        match value {
            Value::Null => Packed::Null,
            Value::Bool(b) => Packed::Bool(*b),
            Value::Number(n) => Packed::Number(n.clone()),
            Value::String(s) => Packed::String(s.as_str().into()),
            Value::Array(items) => Packed::Array(items.iter().map(Packed::from).collect()),
            Value::Object(map) => Packed::Object(
                map.iter()
                    .map(|(k, v)| (k.as_str().into(), Packed::from(v)))
                    .collect(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn packing_round_trips_exactly() {
        let value = json!({
            "b": [1, -2, 2.675, "x", null, true, {"z": {}, "a": []}],
            "a": {"n": 1e300, "s": "é"},
            "": 0,
        });
        let back = Packed::from(&value).to_value();
        assert_eq!(back, value);
        assert_eq!(back.to_string(), value.to_string());
    }
}
