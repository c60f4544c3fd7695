//! Customers (`GET /V1/customers/{id}`, `GET /V1/customers/search?searchCriteria…`),
//! schema `customer-data-customer-interface`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::attribute::{self, AttributeValue, CustomAttribute};
use super::{
    bool_lenient, id_from_str_or_num, object_or_default, opt_bool_lenient, opt_datetime_lenient,
    opt_id_from_str_or_num, opt_object, opt_string_lenient, string_lenient, vec_lenient,
    vec_strings_lenient,
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    #[serde(deserialize_with = "id_from_str_or_num")]
    pub id: i64,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub group_id: Option<i64>,
    /// The default billing address id as a string, `"0"` (or absent) when none; see
    /// [`Customer::default_billing_address`].
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub default_billing: Option<String>,
    /// Like `default_billing`.
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub default_shipping: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub confirmation: Option<String>,
    #[serde(default, deserialize_with = "opt_datetime_lenient")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "opt_datetime_lenient")]
    pub updated_at: Option<DateTime<Utc>>,
    /// The store view name the account was created in.
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub created_in: Option<String>,
    /// Date of birth as sent (`"1980-02-29"`), personal data: read only when needed.
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub dob: Option<String>,
    #[serde(deserialize_with = "string_lenient")]
    pub email: String,
    #[serde(default, deserialize_with = "string_lenient")]
    pub firstname: String,
    #[serde(default, deserialize_with = "string_lenient")]
    pub lastname: String,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub middlename: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub prefix: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub suffix: Option<String>,
    /// 0 not specified, 1 male, 2 female, 3 not specified (newer installs).
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub gender: Option<i64>,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub store_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub website_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub taxvat: Option<String>,
    #[serde(default, deserialize_with = "vec_lenient")]
    pub addresses: Vec<CustomerAddress>,
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub disable_auto_group_change: Option<bool>,
    #[serde(default, deserialize_with = "object_or_default")]
    pub extension_attributes: CustomerExtension,
    #[serde(default, deserialize_with = "vec_lenient")]
    pub custom_attributes: Vec<CustomAttribute>,
}

impl Customer {
    /// The default billing address id; `None` for `"0"`, empty or absent.
    pub fn default_billing_id(&self) -> Option<i64> {
        address_id(self.default_billing.as_deref())
    }

    pub fn default_shipping_id(&self) -> Option<i64> {
        address_id(self.default_shipping.as_deref())
    }

    /// The address `default_billing` points at. When `default_billing` is absent (a
    /// projection without it), the address flagged `default_billing: true`; `"0"` means the
    /// customer has none.
    pub fn default_billing_address(&self) -> Option<&CustomerAddress> {
        self.default_address(self.default_billing.as_deref(), |a| a.default_billing)
    }

    /// Like [`Customer::default_billing_address`], for shipping.
    pub fn default_shipping_address(&self) -> Option<&CustomerAddress> {
        self.default_address(self.default_shipping.as_deref(), |a| a.default_shipping)
    }

    fn default_address(
        &self,
        pointer: Option<&str>,
        flagged: impl Fn(&CustomerAddress) -> bool,
    ) -> Option<&CustomerAddress> {
        match pointer.map(str::trim).filter(|p| !p.is_empty()) {
            Some(text) => {
                let id = address_id(Some(text))?;
                self.addresses.iter().find(|a| a.id == id)
            }
            None => self.addresses.iter().find(|a| flagged(a)),
        }
    }

    pub fn attribute(&self, code: &str) -> Option<&AttributeValue> {
        attribute::find(&self.custom_attributes, code)
    }
}

fn address_id(text: Option<&str>) -> Option<i64> {
    text?.trim().parse::<i64>().ok().filter(|id| *id > 0)
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomerExtension {
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub is_subscribed: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerAddress {
    #[serde(deserialize_with = "id_from_str_or_num")]
    pub id: i64,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub customer_id: Option<i64>,
    /// May be all `null` with `region_id: 0` for countries without regions.
    #[serde(default, deserialize_with = "opt_object")]
    pub region: Option<CustomerRegion>,
    /// 0 when the country has no region list.
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub region_id: Option<i64>,
    #[serde(default, deserialize_with = "string_lenient")]
    pub country_id: String,
    #[serde(default, deserialize_with = "vec_strings_lenient")]
    pub street: Vec<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub company: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub telephone: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub fax: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub postcode: Option<String>,
    #[serde(default, deserialize_with = "string_lenient")]
    pub city: String,
    #[serde(default, deserialize_with = "string_lenient")]
    pub firstname: String,
    #[serde(default, deserialize_with = "string_lenient")]
    pub lastname: String,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub middlename: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub prefix: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub suffix: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub vat_id: Option<String>,
    /// Only sent (as `true`) on the default shipping address.
    #[serde(default, deserialize_with = "bool_lenient")]
    pub default_shipping: bool,
    /// Only sent (as `true`) on the default billing address.
    #[serde(default, deserialize_with = "bool_lenient")]
    pub default_billing: bool,
    #[serde(default, deserialize_with = "vec_lenient")]
    pub custom_attributes: Vec<CustomAttribute>,
}

impl CustomerAddress {
    /// The region code (`"MI"`), `None` when null or empty.
    pub fn region_code(&self) -> Option<&str> {
        self.region
            .as_ref()?
            .region_code
            .as_deref()
            .filter(|code| !code.trim().is_empty())
    }

    /// The region id, `None` when absent or 0 (no region).
    pub fn known_region_id(&self) -> Option<i64> {
        let nested = self.region.as_ref().and_then(|region| region.region_id);
        [self.region_id, nested]
            .into_iter()
            .flatten()
            .find(|id| *id > 0)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerRegion {
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub region_code: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub region: Option<String>,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub region_id: Option<i64>,
}
