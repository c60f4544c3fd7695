//! What Magento sends, read leniently: the wire differs from the schema (ids as strings,
//! `0`/`1` for booleans, decimals as strings, optional nulls omitted, extra fields), and a
//! store's third-party modules add more. Identity fields (ids, codes) are required;
//! display fields default to empty rather than failing a whole list.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::{DeserializeOwned, Error as _, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::error::MagentoError;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StoreConfig {
    #[serde(deserialize_with = "id_from_str_or_num")]
    pub id: i64,
    #[serde(deserialize_with = "string_lenient")]
    pub code: String,
    #[serde(deserialize_with = "id_from_str_or_num")]
    pub website_id: i64,
    #[serde(
        default,
        deserialize_with = "opt_string_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub locale: Option<String>,
    #[serde(
        default,
        deserialize_with = "opt_string_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub base_currency_code: Option<String>,
    #[serde(
        default,
        deserialize_with = "opt_string_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub default_display_currency_code: Option<String>,
    #[serde(
        default,
        deserialize_with = "opt_string_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub timezone: Option<String>,
    #[serde(
        default,
        deserialize_with = "opt_string_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub weight_unit: Option<String>,
    #[serde(
        default,
        deserialize_with = "opt_string_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub base_url: Option<String>,
    #[serde(
        default,
        deserialize_with = "opt_string_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub base_media_url: Option<String>,
    #[serde(
        default,
        deserialize_with = "opt_string_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub secure_base_url: Option<String>,
    #[serde(
        default,
        deserialize_with = "opt_string_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub secure_base_media_url: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Website {
    #[serde(deserialize_with = "id_from_str_or_num")]
    pub id: i64,
    #[serde(deserialize_with = "string_lenient")]
    pub code: String,
    #[serde(default, deserialize_with = "string_lenient")]
    pub name: String,
    #[serde(
        default,
        deserialize_with = "opt_id_from_str_or_num",
        skip_serializing_if = "Option::is_none"
    )]
    pub default_group_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StoreView {
    #[serde(deserialize_with = "id_from_str_or_num")]
    pub id: i64,
    #[serde(deserialize_with = "string_lenient")]
    pub code: String,
    #[serde(default, deserialize_with = "string_lenient")]
    pub name: String,
    #[serde(deserialize_with = "id_from_str_or_num")]
    pub website_id: i64,
    #[serde(
        default,
        deserialize_with = "opt_id_from_str_or_num",
        skip_serializing_if = "Option::is_none"
    )]
    pub store_group_id: Option<i64>,
    #[serde(
        default,
        deserialize_with = "opt_bool_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_active: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AttributeSet {
    #[serde(deserialize_with = "id_from_str_or_num")]
    pub attribute_set_id: i64,
    #[serde(default, deserialize_with = "string_lenient")]
    pub attribute_set_name: String,
    #[serde(
        default,
        deserialize_with = "opt_id_from_str_or_num",
        skip_serializing_if = "Option::is_none"
    )]
    pub sort_order: Option<i64>,
    /// 4 is `catalog_product` on default installs; customer and address sets share the
    /// endpoint.
    #[serde(
        default,
        deserialize_with = "opt_id_from_str_or_num",
        skip_serializing_if = "Option::is_none"
    )]
    pub entity_type_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TaxClass {
    #[serde(deserialize_with = "id_from_str_or_num")]
    pub class_id: i64,
    #[serde(default, deserialize_with = "string_lenient")]
    pub class_name: String,
    /// `PRODUCT` or `CUSTOMER`.
    #[serde(default, deserialize_with = "string_lenient")]
    pub class_type: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TaxRate {
    #[serde(deserialize_with = "id_from_str_or_num")]
    pub id: i64,
    #[serde(deserialize_with = "string_lenient")]
    pub code: String,
    #[serde(default, deserialize_with = "string_lenient")]
    pub tax_country_id: String,
    /// `0` (or absent) means every region of the country.
    #[serde(
        default,
        deserialize_with = "opt_id_from_str_or_num",
        skip_serializing_if = "Option::is_none"
    )]
    pub tax_region_id: Option<i64>,
    #[serde(
        default,
        deserialize_with = "opt_string_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub region_name: Option<String>,
    #[serde(
        default,
        deserialize_with = "opt_string_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub tax_postcode: Option<String>,
    /// Percent, e.g. `8.25`.
    #[serde(deserialize_with = "decimal_from_str_or_num")]
    pub rate: Decimal,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PaymentMethod {
    pub code: String,
    pub title: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Source {
    #[serde(deserialize_with = "string_lenient")]
    pub source_code: String,
    #[serde(default, deserialize_with = "string_lenient")]
    pub name: String,
    #[serde(default, deserialize_with = "bool_lenient")]
    pub enabled: bool,
    #[serde(
        default,
        deserialize_with = "opt_string_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub country_id: Option<String>,
    #[serde(
        default,
        deserialize_with = "opt_string_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub postcode: Option<String>,
}

/// The envelope of every `…/search` and list endpoint. `search_criteria` (an echo of the
/// request) is ignored.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct SearchResult<T> {
    #[serde(default = "Vec::new", deserialize_with = "vec_or_null")]
    pub items: Vec<T>,
    #[serde(default, deserialize_with = "u64_from_str_or_num")]
    pub total_count: u64,
}

// ---- lenient field readers -------------------------------------------------------------
//
// Each reader converts inside a serde visitor rather than after reading a `Value`: errors
// raised in a visitor get serde_json's position of the offending value, which is what
// lets `decode` name the field; errors raised afterwards only point at the enclosing object.

enum Scalar<'a> {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(&'a str),
    Other(&'static str),
}

impl Scalar<'_> {
    fn describe(&self) -> String {
        match self {
            Scalar::Null => "null".into(),
            Scalar::Bool(b) => b.to_string(),
            Scalar::Int(i) => i.to_string(),
            Scalar::UInt(u) => u.to_string(),
            Scalar::Float(f) => f.to_string(),
            Scalar::Str(s) => format!("\"{s}\""),
            Scalar::Other(kind) => (*kind).into(),
        }
    }
}

struct Lenient<T, F> {
    convert: F,
    expecting: &'static str,
    marker: PhantomData<T>,
}

impl<'de, T, F: FnOnce(Scalar<'_>) -> Result<T, String>> Visitor<'de> for Lenient<T, F> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<T, E> {
        (self.convert)(Scalar::Null).map_err(E::custom)
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<T, E> {
        (self.convert)(Scalar::Null).map_err(E::custom)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<T, E> {
        (self.convert)(Scalar::Bool(v)).map_err(E::custom)
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<T, E> {
        (self.convert)(Scalar::Int(v)).map_err(E::custom)
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<T, E> {
        (self.convert)(Scalar::UInt(v)).map_err(E::custom)
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<T, E> {
        (self.convert)(Scalar::Float(v)).map_err(E::custom)
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
        (self.convert)(Scalar::Str(v)).map_err(E::custom)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _seq: A) -> Result<T, A::Error> {
        (self.convert)(Scalar::Other("an array")).map_err(A::Error::custom)
    }
    fn visit_map<A: MapAccess<'de>>(self, _map: A) -> Result<T, A::Error> {
        (self.convert)(Scalar::Other("an object")).map_err(A::Error::custom)
    }
}

fn lenient<'de, D, T>(
    d: D,
    expecting: &'static str,
    convert: impl FnOnce(Scalar<'_>) -> Result<T, String>,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    d.deserialize_any(Lenient {
        convert,
        expecting,
        marker: PhantomData,
    })
}

fn integer_of(value: Scalar<'_>) -> Result<Option<i64>, String> {
    let fail = |v: &Scalar<'_>| format!("expected an integer id, got {}", v.describe());
    match value {
        Scalar::Null => Ok(None),
        Scalar::Int(i) => Ok(Some(i)),
        Scalar::UInt(u) => i64::try_from(u).map(Some).map_err(|_| fail(&value)),
        Scalar::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(Some(f as i64)),
        Scalar::Str(s) if s.trim().is_empty() => Ok(None),
        Scalar::Str(s) => s.trim().parse::<i64>().map(Some).map_err(|_| fail(&value)),
        _ => Err(fail(&value)),
    }
}

/// An id Magento sends as `5` or `"5"`.
pub fn id_from_str_or_num<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    lenient(d, "an integer id", |v| {
        integer_of(v)?.ok_or_else(|| "expected an integer id, got null".to_owned())
    })
}

/// Like [`id_from_str_or_num`], with `null` and `""` read as absent.
pub fn opt_id_from_str_or_num<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    lenient(d, "an integer id", integer_of)
}

pub fn u64_from_str_or_num<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    lenient(d, "a count", |v| {
        let n = integer_of(v)?.unwrap_or(0);
        u64::try_from(n).map_err(|_| format!("expected a count, got {n}"))
    })
}

fn bool_of(value: Scalar<'_>) -> Result<Option<bool>, String> {
    let fail = |v: &Scalar<'_>| format!("expected a boolean or 0/1, got {}", v.describe());
    match value {
        Scalar::Null => Ok(None),
        Scalar::Bool(b) => Ok(Some(b)),
        Scalar::Int(0) | Scalar::UInt(0) => Ok(Some(false)),
        Scalar::Int(1) | Scalar::UInt(1) => Ok(Some(true)),
        Scalar::Str(s) => match s.trim().to_ascii_lowercase().as_str() {
            "" => Ok(None),
            "0" | "false" => Ok(Some(false)),
            "1" | "true" => Ok(Some(true)),
            _ => Err(fail(&value)),
        },
        _ => Err(fail(&value)),
    }
}

/// `true`/`false`, `0`/`1` or their string forms; `null` is `false`.
pub fn bool_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    lenient(d, "a boolean", |v| Ok(bool_of(v)?.unwrap_or(false)))
}

pub fn opt_bool_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    lenient(d, "a boolean", bool_of)
}

/// A decimal from `8.25` or `"8.2500"`. Floats go through their shortest text form, so
/// `8.3` stays `8.3` instead of picking up binary floating-point noise.
pub fn decimal_from_str_or_num<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    lenient(d, "a decimal", |v| {
        let text = match &v {
            Scalar::Int(i) => return Ok(Decimal::from(*i)),
            Scalar::UInt(u) => return Ok(Decimal::from(*u)),
            Scalar::Float(f) => f.to_string(),
            Scalar::Str(s) => s.trim().to_owned(),
            _ => return Err(format!("expected a decimal, got {}", v.describe())),
        };
        Decimal::from_str(&text)
            .or_else(|_| Decimal::from_scientific(&text))
            .map_err(|_| format!("expected a decimal, got {}", v.describe()))
    })
}

/// A string that may arrive as a number (`"code": 123`); `null` becomes empty.
pub fn string_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(opt_string_lenient(d)?.unwrap_or_default())
}

pub fn opt_string_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    lenient(d, "a string", |v| match v {
        Scalar::Null => Ok(None),
        Scalar::Str(s) => Ok(Some(s.to_owned())),
        Scalar::Int(i) => Ok(Some(i.to_string())),
        Scalar::UInt(u) => Ok(Some(u.to_string())),
        Scalar::Float(f) => Ok(Some(f.to_string())),
        Scalar::Bool(b) => Ok(Some(b.to_string())),
        Scalar::Other(kind) => Err(format!("expected a string, got {kind}")),
    })
}

fn vec_or_null<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

// ---- decoding with a readable error ----------------------------------------------------

/// Decodes a response body; a failure names the entity, the id of the list item that broke
/// (when it can be found) and the JSON path of the offending field, e.g.
/// `items[1].rate: expected a decimal, got "x" at line 1 column 80`.
pub fn decode<T: DeserializeOwned>(
    bytes: &[u8],
    entity: &str,
    id: Option<&str>,
) -> Result<T, MagentoError> {
    serde_json::from_slice(bytes).map_err(|err| decode_error(bytes, &err, entity, id))
}

pub(crate) fn decode_error(
    bytes: &[u8],
    err: &serde_json::Error,
    entity: &str,
    id: Option<&str>,
) -> MagentoError {
    let mut end = offset_of(bytes, err.line(), err.column());
    // The "missing field" error is raised after the closing brace was consumed; step back
    // so the object it belongs to is still open.
    if err.to_string().starts_with("missing field") {
        end = end.saturating_sub(1);
    }
    let frames = scan_path(bytes, end);
    let path = render_path(&frames);
    let found_id = match id {
        Some(id) => Some(id.to_owned()),
        None => serde_json::from_slice::<Value>(bytes)
            .ok()
            .and_then(|root| item_id(&root, &frames)),
    };
    let message = if path.is_empty() {
        err.to_string()
    } else {
        format!("{path}: {err}")
    };
    MagentoError::Decode {
        entity: entity.to_owned(),
        id: found_id,
        message,
    }
}

/// Byte offset just past the position serde_json reports (1-based line, column of the last
/// byte read).
fn offset_of(bytes: &[u8], line: usize, column: usize) -> usize {
    if line == 0 {
        return bytes.len();
    }
    let mut current = 1;
    let mut start = 0;
    for (i, b) in bytes.iter().enumerate() {
        if current == line {
            break;
        }
        if *b == b'\n' {
            current += 1;
            start = i + 1;
        }
    }
    (start + column).min(bytes.len())
}

#[derive(Debug, Clone, PartialEq)]
enum Frame {
    Object(Option<String>),
    Array(usize),
}

/// Where in the document `end` is: the stack of open containers with the current key or
/// index of each.
fn scan_path(bytes: &[u8], end: usize) -> Vec<Frame> {
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < end {
        match bytes[i] {
            b'{' => stack.push(Frame::Object(None)),
            b'[' => stack.push(Frame::Array(0)),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array(index)) => *index += 1,
                Some(Frame::Object(key)) => *key = None,
                None => {}
            },
            b'"' => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                let raw = &bytes[start..(i + 1).min(bytes.len())];
                if let Some(Frame::Object(key @ None)) = stack.last_mut() {
                    let text = serde_json::from_slice::<String>(raw).unwrap_or_else(|_| {
                        String::from_utf8_lossy(raw).trim_matches('"').to_owned()
                    });
                    *key = Some(text);
                }
            }
            _ => {}
        }
        i += 1;
    }
    stack
}

fn render_path(frames: &[Frame]) -> String {
    let mut path = String::new();
    for frame in frames {
        match frame {
            Frame::Object(Some(key)) => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
            }
            Frame::Object(None) => {}
            Frame::Array(index) => path.push_str(&format!("[{index}]")),
        }
    }
    path
}

const ID_KEYS: [&str; 8] = [
    "id",
    "entity_id",
    "attribute_set_id",
    "class_id",
    "source_code",
    "increment_id",
    "code",
    "sku",
];

/// The id of the list element the error sits in (the first array element on the path).
fn item_id(root: &Value, frames: &[Frame]) -> Option<String> {
    let mut node = root;
    for frame in frames {
        match frame {
            Frame::Object(Some(key)) => node = node.get(key)?,
            Frame::Object(None) => return None,
            Frame::Array(index) => {
                let element = node.get(index)?;
                return ID_KEYS.iter().find_map(|k| match element.get(k)? {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                });
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn store_metadata_reads_ids_as_strings_and_ints_as_booleans() {
        let json = br#"[{"id":"1","code":"default","name":"Default Store View","website_id":1,"store_group_id":"1","is_active":1},
                        {"id":0,"code":"admin","name":"Admin","website_id":0,"store_group_id":0,"is_active":true,"extension_attributes":{}}]"#;
        let views: Vec<StoreView> = decode(json, "store view", None).expect("decodes");
        assert_eq!(views[0].id, 1);
        assert_eq!(views[0].store_group_id, Some(1));
        assert_eq!(views[0].is_active, Some(true));
        assert_eq!(views[1].is_active, Some(true));

        let websites: Vec<Website> = decode(
            br#"[{"id":1,"code":"base","name":"Main Website"}]"#,
            "website",
            None,
        )
        .expect("decodes");
        assert_eq!(websites[0].default_group_id, None);
    }

    #[test]
    fn store_config_keeps_what_we_need_and_ignores_the_rest() {
        let json = br#"[{"id":1,"code":"default","website_id":"1","locale":"en_US","base_currency_code":"USD",
            "timezone":"Europe\/Amsterdam","weight_unit":"kgs","base_url":"http:\/\/magento\/","base_link_url":"x"}]"#;
        let configs: Vec<StoreConfig> = decode(json, "store config", None).expect("decodes");
        assert_eq!(configs[0].timezone.as_deref(), Some("Europe/Amsterdam"));
        assert_eq!(configs[0].base_url.as_deref(), Some("http://magento/"));
        assert_eq!(configs[0].secure_base_url, None);
    }

    #[test]
    fn tax_rates_read_decimals_from_numbers_and_strings() {
        let json = br#"{"items":[
            {"id":1,"code":"US-CA-*-Rate 1","tax_country_id":"US","tax_region_id":12,"region_name":"CA","tax_postcode":"*","rate":8.25},
            {"id":"2","code":"US-NY-*-Rate 1","tax_country_id":"US","tax_region_id":"43","tax_postcode":"*","rate":"8.3750"},
            {"id":3,"code":"FR","tax_country_id":"FR","rate":8.3}],
            "search_criteria":{},"total_count":"3"}"#;
        let result: SearchResult<TaxRate> = decode(json, "tax rate", None).expect("decodes");
        assert_eq!(result.total_count, 3);
        assert_eq!(result.items[0].rate, dec!(8.25));
        assert_eq!(result.items[1].rate, dec!(8.375));
        assert_eq!(result.items[2].rate.to_string(), "8.3");
        assert_eq!(result.items[1].region_name, None);
        assert_eq!(result.items[2].tax_region_id, None);
    }

    #[test]
    fn search_result_tolerates_missing_or_null_items() {
        let r: SearchResult<TaxClass> =
            decode(br#"{"total_count":0}"#, "tax class", None).expect("decodes");
        assert!(r.items.is_empty());
        let r: SearchResult<TaxClass> =
            decode(br#"{"items":null}"#, "tax class", None).expect("decodes");
        assert!(r.items.is_empty());
    }

    #[test]
    fn sources_read_enabled_from_ints_and_attribute_sets_from_strings() {
        let json = br#"{"items":[{"source_code":"default","name":"Default Source","enabled":1,"country_id":"US"},
                                 {"source_code":"ne","name":"NE","enabled":false,"postcode":"02110"}],"total_count":2}"#;
        let r: SearchResult<Source> = decode(json, "source", None).expect("decodes");
        assert!(r.items[0].enabled);
        assert!(!r.items[1].enabled);
        assert_eq!(r.items[1].postcode.as_deref(), Some("02110"));

        let sets: SearchResult<AttributeSet> = decode(
            br#"{"items":[{"attribute_set_id":"4","attribute_set_name":"Default","sort_order":"2","entity_type_id":4}]}"#,
            "attribute set",
            None,
        )
        .expect("decodes");
        assert_eq!(sets.items[0].attribute_set_id, 4);
        assert_eq!(sets.items[0].sort_order, Some(2));
    }

    #[test]
    fn a_broken_field_is_reported_with_its_path_and_the_items_id() {
        let json = br#"{"items":[{"id":1,"code":"a","tax_country_id":"US","rate":1},
                                  {"id":7,"rate":"abc","code":"b","tax_country_id":"US"}],"total_count":2}"#;
        let err = decode::<SearchResult<TaxRate>>(json, "tax rate", None).expect_err("broken");
        match &err {
            MagentoError::Decode {
                entity,
                id,
                message,
            } => {
                assert_eq!(entity, "tax rate");
                assert_eq!(id.as_deref(), Some("7"));
                assert!(
                    message.starts_with("items[1].rate: expected a decimal, got \"abc\""),
                    "{message}"
                );
                assert!(message.contains("line 2"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(err.code(), "DECODE");
        assert!(err.to_string().contains("tax rate 7"), "{err}");
    }

    #[test]
    fn a_missing_required_field_names_the_object_it_is_missing_from() {
        let json = br#"[{"id":1,"code":"base","name":"Main"},{"id":2,"name":"No code"}]"#;
        let err = decode::<Vec<Website>>(json, "website", None).expect_err("broken");
        match err {
            MagentoError::Decode { id, message, .. } => {
                assert_eq!(id.as_deref(), Some("2"));
                assert!(message.starts_with("[1]"), "{message}");
                assert!(message.contains("missing field `code`"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn broken_json_is_a_decode_error_too() {
        let err =
            decode::<Vec<Website>>(b"<html>oops</html>", "website", None).expect_err("broken");
        assert!(matches!(err, MagentoError::Decode { ref entity, .. } if entity == "website"));
    }

    #[test]
    fn dtos_round_trip_through_their_own_serialisation() {
        let rate = TaxRate {
            id: 1,
            code: "US-CA-*-Rate 1".into(),
            tax_country_id: "US".into(),
            tax_region_id: Some(12),
            region_name: None,
            tax_postcode: Some("*".into()),
            rate: dec!(8.25),
        };
        let json = serde_json::to_vec(&rate).expect("serialises");
        assert_eq!(
            decode::<TaxRate>(&json, "tax rate", None).expect("decodes"),
            rate
        );
        let view = StoreView {
            id: 2,
            code: "fr".into(),
            name: "French".into(),
            website_id: 1,
            store_group_id: None,
            is_active: Some(false),
        };
        let json = serde_json::to_vec(&view).expect("serialises");
        assert_eq!(
            decode::<StoreView>(&json, "store view", None).expect("decodes"),
            view
        );
    }
}
