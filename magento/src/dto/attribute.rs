//! `custom_attributes`: EAV values of products, categories, customers and addresses.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::{MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::{string_lenient, value_to_text};

/// One `{attribute_code, value}` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomAttribute {
    #[serde(deserialize_with = "string_lenient")]
    pub attribute_code: String,
    #[serde(default)]
    pub value: AttributeValue,
}

/// The value of a custom attribute. Magento sends a string for every scalar and select
/// attribute (`tax_class_id: "2"`, a multiselect as `"5628,5630"`, a yes/no as `"0"`/`"1"`)
/// and an array of strings for `category_ids`. Numbers become text, booleans `"1"`/`"0"`,
/// `null` empty text, and an object (some modules put one here) its compact JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum AttributeValue {
    Text(String),
    List(Vec<String>),
}

impl Default for AttributeValue {
    fn default() -> Self {
        Self::Text(String::new())
    }
}

impl AttributeValue {
    /// The text of a scalar value; `None` for a list.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Self::Text(text) => Some(text),
            Self::List(_) => None,
        }
    }

    /// The elements of a list value; `None` for text.
    pub fn as_list(&self) -> Option<&[String]> {
        match self {
            Self::Text(_) => None,
            Self::List(list) => Some(list),
        }
    }

    /// The individual values: the elements of a list, or the comma-separated parts of text
    /// (a multiselect), trimmed, empty parts dropped.
    pub fn values(&self) -> Vec<&str> {
        match self {
            Self::Text(text) => text
                .split(',')
                .map(str::trim)
                .filter(|part| !part.is_empty())
                .collect(),
            Self::List(list) => list
                .iter()
                .map(|element| element.trim())
                .filter(|element| !element.is_empty())
                .collect(),
        }
    }

    /// The text read as a decimal (`"29.000000"`); `None` for a list, empty text or text
    /// that is not a number.
    pub fn as_decimal(&self) -> Option<Decimal> {
        let text = self.as_text()?.trim();
        if text.is_empty() {
            return None;
        }
        Decimal::from_str(text)
            .or_else(|_| Decimal::from_scientific(text))
            .ok()
    }
}

struct AttributeValueVisitor;

impl<'de> Visitor<'de> for AttributeValueVisitor {
    type Value = AttributeValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an attribute value")
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<AttributeValue, E> {
        Ok(AttributeValue::default())
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<AttributeValue, E> {
        Ok(AttributeValue::default())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<AttributeValue, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<AttributeValue, E> {
        Ok(AttributeValue::Text(if v { "1" } else { "0" }.to_owned()))
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<AttributeValue, E> {
        Ok(AttributeValue::Text(v.to_string()))
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<AttributeValue, E> {
        Ok(AttributeValue::Text(v.to_string()))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<AttributeValue, E> {
        Ok(AttributeValue::Text(v.to_string()))
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<AttributeValue, E> {
        Ok(AttributeValue::Text(v.to_owned()))
    }
    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<AttributeValue, E> {
        Ok(AttributeValue::Text(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<AttributeValue, A::Error> {
        let mut list = Vec::new();
        while let Some(element) = seq.next_element::<Value>()? {
            if let Some(text) = value_to_text(element) {
                list.push(text);
            }
        }
        Ok(AttributeValue::List(list))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AttributeValue, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some((key, value)) = map.next_entry::<String, Value>()? {
            object.insert(key, value);
        }
        Ok(AttributeValue::Text(Value::Object(object).to_string()))
    }
}

impl<'de> Deserialize<'de> for AttributeValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(AttributeValueVisitor)
    }
}

/// The value of `code` in a `custom_attributes` list (the first entry wins).
pub(super) fn find<'a>(
    attributes: &'a [CustomAttribute],
    code: &str,
) -> Option<&'a AttributeValue> {
    attributes
        .iter()
        .find(|attribute| attribute.attribute_code == code)
        .map(|attribute| &attribute.value)
}

/// A product attribute's metadata (`catalog-data-product-attribute-interface`), reduced to
/// what reading and writing select values needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductAttribute {
    #[serde(deserialize_with = "super::id_from_str_or_num")]
    pub attribute_id: i64,
    #[serde(deserialize_with = "string_lenient")]
    pub attribute_code: String,
    #[serde(
        default,
        deserialize_with = "super::opt_string_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub default_frontend_label: Option<String>,
    /// `select`, `multiselect`, `text`, `price`, `boolean`, …
    #[serde(
        default,
        deserialize_with = "super::opt_string_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub frontend_input: Option<String>,
    /// `global`, `website` or `store`.
    #[serde(
        default,
        deserialize_with = "super::opt_string_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub scope: Option<String>,
    #[serde(default, deserialize_with = "super::vec_lenient")]
    pub options: Vec<AttributeOption>,
}

impl ProductAttribute {
    /// The label of option `value` (an option id as products carry it, `"5477"`).
    pub fn option_label(&self, value: &str) -> Option<&str> {
        let value = value.trim();
        if value.is_empty() {
            return None;
        }
        self.options
            .iter()
            .find(|option| option.value == value)
            .map(|option| option.label.as_str())
    }

    /// The option labelled `label`, compared as Magento's admin does: trimmed, ignoring
    /// case. Magento's blank first option (value `""`) never matches.
    pub fn option_by_label(&self, label: &str) -> Option<&AttributeOption> {
        let wanted = label.trim().to_lowercase();
        self.options
            .iter()
            .filter(|option| !option.value.is_empty())
            .find(|option| option.label.trim().to_lowercase() == wanted)
    }
}

/// One option of a select attribute (`eav-data-attribute-option-interface`). `value` is
/// the option id as text; `""` is the blank first option Magento lists for selects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributeOption {
    #[serde(default, deserialize_with = "string_lenient")]
    pub label: String,
    #[serde(default, deserialize_with = "string_lenient")]
    pub value: String,
}
