//! What Magento sends, read leniently: the wire differs from the schema (ids as strings,
//! `0`/`1` for booleans, decimals as strings, optional nulls omitted, extra fields), and a
//! store's third-party modules add more. Identity fields (ids, codes) are required;
//! display fields default to empty rather than failing a whole list.
//!
//! Conventions of the entity modules ([`product`], [`category`], [`customer`], [`order`],
//! [`invoice`], [`creditmemo`], [`shipment`], [`inventory`]):
//!
//! * money and quantities are [`Decimal`], read from numbers or strings, never `f64`;
//!   an absent or `null` amount is zero, except where absence means something (a child
//!   order row has no `price_incl_tax`, a product may have no `price` or `weight`), which
//!   are `Option`;
//! * timestamps are `"YYYY-MM-DD HH:MM:SS"` in UTC (RFC 3339 accepted too), read into
//!   `DateTime<Utc>`; Magento's zero date `0000-00-00 00:00:00` reads as absent;
//! * lists may be `null`, missing or a JSON object keyed by index (PHP arrays with holes);
//!   nested objects (`extension_attributes`, `product_option`, `region`) may be `[]`, which
//!   is how PHP encodes an empty array;
//! * coded values (`type_id`, order `state`, credit memo `state`, …) are enums with an
//!   `Other` fallback, so a code a third-party module invents is not a decode error.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde::de::value::MapAccessDeserializer;
use serde::de::{
    DeserializeOwned, Error as _, IgnoredAny, MapAccess, SeqAccess, Unexpected, Visitor,
};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::error::MagentoError;

/// An enum read from an integer code (`1`, `"1"`), with `Other` for codes we do not know.
macro_rules! int_coded_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $expecting:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A code this crate does not know (a newer Magento or a third-party module).
            Other(i64),
        }

        impl $name {
            pub fn from_code(code: i64) -> Self {
                match code {
                    $( $code => Self::$variant, )+
                    other => Self::Other(other),
                }
            }

            pub fn code(&self) -> i64 {
                match self {
                    $( Self::$variant => $code, )+
                    Self::Other(code) => *code,
                }
            }
        }

        impl $crate::dto::FromScalar for $name {
            const EXPECTING: &'static str = $expecting;
            fn from_scalar(value: $crate::dto::Scalar<'_>) -> Result<Option<Self>, String> {
                Ok($crate::dto::int_of(value, $expecting)?.map(Self::from_code))
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_i64(self.code())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::dto::coded(d)
            }
        }
    };
}

/// An enum read from a string code (`"configurable"`), with `Other` for codes we do not
/// know; matching ignores case and surrounding blanks, `Other` keeps the text as sent.
macro_rules! str_coded_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $expecting:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A code this crate does not know (a newer Magento or a third-party module).
            Other(String),
        }

        impl $name {
            pub fn from_code(code: &str) -> Self {
                let trimmed = code.trim();
                match trimmed.to_ascii_lowercase().as_str() {
                    $( $code => Self::$variant, )+
                    _ => Self::Other(trimmed.to_owned()),
                }
            }

            pub fn code(&self) -> &str {
                match self {
                    $( Self::$variant => $code, )+
                    Self::Other(code) => code,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }

        impl $crate::dto::FromScalar for $name {
            const EXPECTING: &'static str = $expecting;
            fn from_scalar(value: $crate::dto::Scalar<'_>) -> Result<Option<Self>, String> {
                Ok($crate::dto::code_of(value, $expecting)?.map(|c| Self::from_code(&c)))
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::dto::coded(d)
            }
        }
    };
}

mod attribute;
pub mod category;
pub mod creditmemo;
pub mod customer;
pub mod inventory;
pub mod invoice;
pub mod order;
pub mod product;
pub mod product_write;
pub mod shipment;

pub use attribute::{AttributeOption, AttributeValue, CustomAttribute, ProductAttribute};
pub use category::{Category, CategoryListItem};
pub use creditmemo::{CreditMemo, CreditMemoExtension, CreditMemoItem, CreditMemoState};
pub use customer::{Customer, CustomerAddress, CustomerExtension, CustomerRegion};
pub use inventory::{SourceItem, StockItem};
pub use invoice::{DocumentItem, Invoice, InvoiceItem, InvoiceState, SalesComment};
pub use order::{
    AppliedTax, BundleItemOption, ConfigurableItemOption, CustomOptionSelection,
    DownloadableItemOption, GiftCardItemOption, GiftMessage, ItemAppliedTax, Order, OrderAddress,
    OrderExtension, OrderHeader, OrderItem, OrderItemExtension, OrderPayment, OrderState,
    OrderStatusHistory, PaymentAdditionalInfo, ProductOption, ProductOptionExtension,
    ShippingAssignment, ShippingInfo, ShippingTotal,
};
pub use product::{
    BundleLink, BundleOption, CategoryLink, ConfigurableOption, ConfigurableOptionValue,
    DownloadableLink, GiftCardAmount, MediaGalleryEntry, Product, ProductCustomOption,
    ProductCustomOptionValue, ProductExtension, ProductLink, ProductLinkExtension, ProductStatus,
    ProductType, TierPrice, TierPriceExtension, Visibility,
};
pub use product_write::{
    ConfigurableOptionInput, CustomAttributeInput, MAIN_IMAGE_ROLES, MediaEntryInput, ProductInput,
};
pub use shipment::{Shipment, ShipmentExtension, ShipmentItem, ShipmentTrack};

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
    int_of(value, "an integer id")
}

/// An integer from a number, an integral float or a numeric string; `null` and `""` are
/// absent. `what` names the expectation in the error (`an integer id`).
fn int_of(value: Scalar<'_>, what: &str) -> Result<Option<i64>, String> {
    let fail = |v: &Scalar<'_>| format!("expected {what}, got {}", v.describe());
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

fn decimal_of(value: Scalar<'_>) -> Result<Option<Decimal>, String> {
    let fail = |v: &Scalar<'_>| format!("expected a decimal, got {}", v.describe());
    let text = match &value {
        Scalar::Null => return Ok(None),
        Scalar::Int(i) => return Ok(Some(Decimal::from(*i))),
        Scalar::UInt(u) => return Ok(Some(Decimal::from(*u))),
        Scalar::Float(f) => f.to_string(),
        Scalar::Str(s) if s.trim().is_empty() => return Ok(None),
        Scalar::Str(s) => s.trim().to_owned(),
        _ => return Err(fail(&value)),
    };
    Decimal::from_str(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .map(Some)
        .map_err(|_| fail(&value))
}

/// Like [`decimal_from_str_or_num`], with `null` and `""` read as absent.
pub fn opt_decimal_from_str_or_num<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Decimal>, D::Error> {
    lenient(d, "a decimal", decimal_of)
}

/// An amount or quantity where absent, `null` and `""` mean zero (use with
/// `#[serde(default)]`); text that is not a number is still an error.
pub fn decimal_or_zero<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    lenient(d, "a decimal", |v| Ok(decimal_of(v)?.unwrap_or_default()))
}

/// An integer (position, level, count) where absent, `null` and `""` mean zero.
pub fn i64_or_zero<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    lenient(d, "an integer", |v| {
        Ok(int_of(v, "an integer")?.unwrap_or(0))
    })
}

/// Reads a Magento timestamp: `"2024-05-01 10:00:00"` (the service layer's format, UTC
/// without a zone), optionally with fractional seconds or a `T`, an RFC 3339 timestamp
/// with its offset, or a bare date (midnight UTC). `None` for anything else, including
/// MySQL's zero date.
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if text.is_empty() || text.starts_with("0000-00-00") {
        return None;
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(at) = NaiveDateTime::parse_from_str(text, format) {
            return Some(at.and_utc());
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|at| at.and_utc())
}

fn timestamp_of(value: Scalar<'_>) -> Result<Option<DateTime<Utc>>, String> {
    match value {
        Scalar::Null => Ok(None),
        Scalar::Str(s) if s.trim().is_empty() || s.trim().starts_with("0000-00-00") => Ok(None),
        Scalar::Str(s) => parse_timestamp(s).map(Some).ok_or_else(|| {
            format!("expected a timestamp like \"2024-05-01 10:00:00\", got \"{s}\"")
        }),
        other => Err(format!("expected a timestamp, got {}", other.describe())),
    }
}

/// A required timestamp, see [`parse_timestamp`].
pub fn datetime_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    lenient(d, "a timestamp", |v| {
        timestamp_of(v)?.ok_or_else(|| "expected a timestamp, got null".to_owned())
    })
}

/// An optional timestamp: `null`, `""` and the zero date are absent; text that is not a
/// timestamp is an error.
pub fn opt_datetime_lenient<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    lenient(d, "a timestamp", timestamp_of)
}

/// Any JSON value as text: strings as they are, numbers and booleans printed, arrays and
/// objects as compact JSON; `null` is absent. Never fails on well-formed JSON.
fn value_to_text(value: Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        other => Some(other.to_string()),
    }
}

/// Free text that a module may send as anything (`payment_additional_info[].value`,
/// `weee_tax_applied`): see [`value_to_text`].
pub fn opt_text_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<Value>::deserialize(d)?.and_then(value_to_text))
}

/// Like [`opt_text_lenient`], with `null` read as empty.
pub fn text_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(opt_text_lenient(d)?.unwrap_or_default())
}

struct ListVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ListVisitor<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list")
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Vec<T>, E> {
        Ok(Vec::new())
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<Vec<T>, E> {
        Ok(Vec::new())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Vec<T>, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Vec<T>, E> {
        if v.trim().is_empty() {
            Ok(Vec::new())
        } else {
            Err(E::invalid_type(Unexpected::Str(v), &self))
        }
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(element) = seq.next_element()? {
            out.push(element);
        }
        Ok(out)
    }
    /// PHP encodes an array with holes in its keys as an object: `{"0":…,"2":…}`.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<T>, A::Error> {
        let mut out = Vec::new();
        while let Some((_, element)) = map.next_entry::<IgnoredAny, T>()? {
            out.push(element);
        }
        Ok(out)
    }
}

/// A list that may be missing, `null`, `""` or an object keyed by index.
pub fn vec_lenient<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    d.deserialize_any(ListVisitor(PhantomData))
}

/// One element of an id list; `null` and `""` are skipped.
struct ListId(Option<i64>);

impl<'de> Deserialize<'de> for ListId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        opt_id_from_str_or_num(d).map(ListId)
    }
}

/// Ids as a list of numbers or numeric strings (`[53, "54"]`), or a comma-separated
/// string (`"53,54"`); `null` entries are skipped.
pub fn vec_ids_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<i64>, D::Error> {
    struct Ids;
    impl<'de> Visitor<'de> for Ids {
        type Value = Vec<i64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of ids")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Vec<i64>, E> {
            v.split(',')
                .map(str::trim)
                .filter(|part| !part.is_empty())
                .map(|part| {
                    part.parse::<i64>()
                        .map_err(|_| E::custom(format!("expected a list of ids, got \"{v}\"")))
                })
                .collect()
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Vec<i64>, E> {
            Ok(vec![v])
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Vec<i64>, E> {
            i64::try_from(v)
                .map(|v| vec![v])
                .map_err(|_| E::custom(format!("expected an integer id, got {v}")))
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Vec<i64>, E> {
            Ok(Vec::new())
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Vec<i64>, E> {
            Ok(Vec::new())
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Vec<i64>, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Vec<i64>, A::Error> {
            let ids: Vec<ListId> = ListVisitor(PhantomData).visit_seq(seq)?;
            Ok(ids.into_iter().filter_map(|id| id.0).collect())
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Vec<i64>, A::Error> {
            let ids: Vec<ListId> = ListVisitor(PhantomData).visit_map(map)?;
            Ok(ids.into_iter().filter_map(|id| id.0).collect())
        }
    }
    d.deserialize_any(Ids)
}

/// One element of a string list, see [`value_to_text`].
struct ListText(Option<String>);

impl<'de> Deserialize<'de> for ListText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        opt_text_lenient(d).map(ListText)
    }
}

/// Strings as a list (numbers printed, `null` entries skipped), or one string split into
/// lines (`street` sent as `"Line 1\nLine 2"`).
pub fn vec_strings_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    struct Strings;
    impl<'de> Visitor<'de> for Strings {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of strings")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Vec<String>, E> {
            if v.is_empty() {
                return Ok(Vec::new());
            }
            Ok(v.split('\n')
                .map(|line| line.trim_end_matches('\r').to_owned())
                .collect())
        }
        fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Vec<String>, E> {
            Ok(vec![v.to_string()])
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Vec<String>, E> {
            Ok(vec![v.to_string()])
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Vec<String>, E> {
            Ok(vec![v.to_string()])
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Vec<String>, E> {
            Ok(vec![v.to_string()])
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Vec<String>, E> {
            Ok(Vec::new())
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Vec<String>, E> {
            Ok(Vec::new())
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Vec<String>, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Vec<String>, A::Error> {
            let items: Vec<ListText> = ListVisitor(PhantomData).visit_seq(seq)?;
            Ok(items.into_iter().filter_map(|t| t.0).collect())
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Vec<String>, A::Error> {
            let items: Vec<ListText> = ListVisitor(PhantomData).visit_map(map)?;
            Ok(items.into_iter().filter_map(|t| t.0).collect())
        }
    }
    d.deserialize_any(Strings)
}

struct ObjectVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Option<T>, E> {
        if v.trim().is_empty() {
            Ok(None)
        } else {
            Err(E::invalid_type(Unexpected::Str(v), &self))
        }
    }
    /// `[]` is how PHP encodes an empty object.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<T>, A::Error> {
        match seq.next_element::<IgnoredAny>()? {
            None => Ok(None),
            Some(_) => Err(A::Error::invalid_type(Unexpected::Seq, &self)),
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<T>, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(Some)
    }
}

/// A nested object that may be missing, `null` or `[]` (PHP's empty array).
pub fn opt_object<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    d.deserialize_any(ObjectVisitor(PhantomData))
}

/// Like [`opt_object`], with an absent object read as its default (for
/// `extension_attributes`).
pub fn object_or_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(opt_object(d)?.unwrap_or_default())
}

// ---- coded values (enums with a fallback) ------------------------------------------------

/// Implemented by the coded enums of [`int_coded_enum!`] and [`str_coded_enum!`]: `None`
/// for `null`/`""`.
trait FromScalar: Sized {
    const EXPECTING: &'static str;
    fn from_scalar(value: Scalar<'_>) -> Result<Option<Self>, String>;
}

fn code_of(value: Scalar<'_>, what: &str) -> Result<Option<String>, String> {
    match value {
        Scalar::Null => Ok(None),
        Scalar::Str(s) if s.trim().is_empty() => Ok(None),
        Scalar::Str(s) => Ok(Some(s.to_owned())),
        Scalar::Int(i) => Ok(Some(i.to_string())),
        Scalar::UInt(u) => Ok(Some(u.to_string())),
        other => Err(format!("expected {what}, got {}", other.describe())),
    }
}

/// A required coded value.
fn coded<'de, D: Deserializer<'de>, T: FromScalar>(d: D) -> Result<T, D::Error> {
    lenient(d, T::EXPECTING, |v| {
        let described = v.describe();
        T::from_scalar(v)?.ok_or_else(|| format!("expected {}, got {described}", T::EXPECTING))
    })
}

/// An optional coded value: absent, `null` and `""` are `None`.
fn opt_coded<'de, D: Deserializer<'de>, T: FromScalar>(d: D) -> Result<Option<T>, D::Error> {
    lenient(d, T::EXPECTING, T::from_scalar)
}

/// A coded value read as its default when absent, `null` or `""`.
fn coded_or_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromScalar + Default,
{
    Ok(opt_coded(d)?.unwrap_or_default())
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

const ID_KEYS: [&str; 9] = [
    "id",
    "entity_id",
    "attribute_set_id",
    "class_id",
    "source_code",
    "increment_id",
    "code",
    "item_id",
    "sku",
];

/// The id of the entity the error sits in: the document itself when it is a single entity
/// (`GET /V1/orders/7` breaking in `items[1].qty_ordered` names order 7), else the list
/// element the error sits in (the first array element on the path).
fn item_id(root: &Value, frames: &[Frame]) -> Option<String> {
    if let Some(id) = id_of(root) {
        return Some(id);
    }
    let mut node = root;
    for frame in frames {
        match frame {
            Frame::Object(Some(key)) => node = node.get(key)?,
            Frame::Object(None) => return None,
            Frame::Array(index) => return id_of(node.get(index)?),
        }
    }
    None
}

fn id_of(element: &Value) -> Option<String> {
    ID_KEYS.iter().find_map(|k| match element.get(k)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
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

    #[derive(Debug, Deserialize, PartialEq)]
    struct Probe {
        #[serde(default, deserialize_with = "opt_datetime_lenient")]
        at: Option<DateTime<Utc>>,
        #[serde(default, deserialize_with = "decimal_or_zero")]
        amount: Decimal,
        #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
        maybe: Option<Decimal>,
        #[serde(default, deserialize_with = "vec_ids_lenient")]
        ids: Vec<i64>,
        #[serde(default, deserialize_with = "vec_strings_lenient")]
        lines: Vec<String>,
        #[serde(default, deserialize_with = "vec_lenient")]
        rows: Vec<Website>,
        #[serde(default, deserialize_with = "opt_object")]
        nested: Option<Website>,
        #[serde(default, deserialize_with = "opt_text_lenient")]
        text: Option<String>,
    }

    fn probe(json: &str) -> Probe {
        decode(json.as_bytes(), "probe", None).expect("decodes")
    }

    #[test]
    fn timestamps_read_magentos_format_rfc3339_and_treat_the_zero_date_as_absent() {
        let expected = NaiveDate::from_ymd_opt(2025, 3, 14)
            .and_then(|d| d.and_hms_opt(9, 26, 53))
            .map(|t| t.and_utc());
        assert_eq!(parse_timestamp("2025-03-14 09:26:53"), expected);
        assert_eq!(parse_timestamp("2025-03-14T09:26:53"), expected);
        assert_eq!(parse_timestamp("2025-03-14 09:26:53.000000"), expected);
        assert_eq!(parse_timestamp("2025-03-14T09:26:53Z"), expected);
        assert_eq!(parse_timestamp("2025-03-14T11:26:53+02:00"), expected);
        assert_eq!(
            parse_timestamp("2025-03-14").map(|t| t.to_rfc3339()),
            Some("2025-03-14T00:00:00+00:00".to_owned())
        );
        assert_eq!(parse_timestamp("0000-00-00 00:00:00"), None);
        assert_eq!(parse_timestamp("soon"), None);
        assert_eq!(probe(r#"{"at":"2025-03-14 09:26:53"}"#).at, expected);
        assert_eq!(probe(r#"{"at":null}"#).at, None);
        assert_eq!(probe(r#"{"at":""}"#).at, None);
        let err = decode::<Probe>(br#"{"at":"14/03/2025"}"#, "probe", None).expect_err("broken");
        assert!(
            err.to_string().contains("at: expected a timestamp like"),
            "{err}"
        );
    }

    #[test]
    fn amounts_default_to_zero_but_text_that_is_not_a_number_still_fails() {
        let p = probe(r#"{"amount":null,"maybe":""}"#);
        assert_eq!(p.amount, Decimal::ZERO);
        assert_eq!(p.maybe, None);
        assert_eq!(
            probe(r#"{"amount":"-14.9000","maybe":74.69}"#).amount,
            dec!(-14.9)
        );
        assert_eq!(probe(r#"{"maybe":74.69}"#).maybe, Some(dec!(74.69)));
        let err = decode::<Probe>(br#"{"amount":"n/a"}"#, "probe", None).expect_err("broken");
        assert!(
            err.to_string().contains("amount: expected a decimal"),
            "{err}"
        );
        let err = decode::<Probe>(br#"{"amount":true}"#, "probe", None).expect_err("broken");
        assert!(err.to_string().contains("got true"), "{err}");
    }

    #[test]
    fn lists_may_be_null_empty_text_or_objects_keyed_by_index() {
        let p = probe(r#"{"ids":[53,"54",null,""],"lines":["a",2,null],"rows":null}"#);
        assert_eq!(p.ids, vec![53, 54]);
        assert_eq!(p.lines, vec!["a", "2"]);
        assert!(p.rows.is_empty());
        assert_eq!(probe(r#"{"ids":"53, 54"}"#).ids, vec![53, 54]);
        assert_eq!(probe(r#"{"lines":"one\ntwo"}"#).lines, vec!["one", "two"]);
        let p = probe(r#"{"rows":{"0":{"id":1,"code":"a"},"2":{"id":"3","code":"c"}}}"#);
        assert_eq!(p.rows.iter().map(|w| w.id).collect::<Vec<_>>(), vec![1, 3]);
        assert!(probe(r#"{"rows":""}"#).rows.is_empty());
        let err = decode::<Probe>(br#"{"ids":[1,"x"]}"#, "probe", None).expect_err("broken");
        assert!(
            err.to_string().contains("ids[1]: expected an integer id"),
            "{err}"
        );
    }

    #[test]
    fn an_empty_php_array_reads_as_an_absent_object() {
        assert_eq!(probe(r#"{"nested":[]}"#).nested, None);
        assert_eq!(probe(r#"{"nested":null}"#).nested, None);
        assert_eq!(
            probe(r#"{"nested":{"id":"4","code":"x"}}"#)
                .nested
                .map(|w| w.id),
            Some(4)
        );
        let err = decode::<Probe>(br#"{"nested":{"id":"four","code":"x"}}"#, "probe", None)
            .expect_err("broken");
        assert!(
            err.to_string()
                .contains("nested.id: expected an integer id"),
            "{err}"
        );
        assert!(decode::<Probe>(br#"{"nested":[1]}"#, "probe", None).is_err());
    }

    #[test]
    fn free_text_keeps_whatever_json_was_sent_as_text() {
        assert_eq!(probe(r#"{"text":"[]"}"#).text.as_deref(), Some("[]"));
        assert_eq!(probe(r#"{"text":[]}"#).text.as_deref(), Some("[]"));
        assert_eq!(
            probe(r#"{"text":{"a":1}}"#).text.as_deref(),
            Some(r#"{"a":1}"#)
        );
        assert_eq!(probe(r#"{"text":12}"#).text.as_deref(), Some("12"));
        assert_eq!(probe(r#"{"text":null}"#).text, None);
    }

    #[test]
    fn a_single_entity_at_the_root_is_named_by_its_own_id() {
        let err =
            decode::<Website>(br#"{"id":"12","code":[1]}"#, "website", None).expect_err("broken");
        assert!(
            matches!(&err, MagentoError::Decode { id: Some(id), .. } if id == "12"),
            "{err:?}"
        );
        // A search envelope has no id of its own: the list element names the error.
        let err = decode::<SearchResult<Website>>(
            br#"{"items":[{"id":5,"code":{}}],"total_count":1}"#,
            "website",
            None,
        )
        .expect_err("broken");
        assert!(
            matches!(&err, MagentoError::Decode { id: Some(id), .. } if id == "5"),
            "{err:?}"
        );
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
