//! What the catalog writes send: the product body of `POST /V1/products` and
//! `PUT /V1/products/{sku}`, a configurable's option, a gallery entry with its image.
//! Only the fields set go out, so an update changes nothing it does not name.

use rust_decimal::Decimal;
use serde::{Serialize, Serializer};
use serde_json::Value;

use super::attribute::AttributeValue;
use super::product::{ProductStatus, ProductType, Visibility};

/// A product as `catalog-data-product-interface` takes it on a write. `sku` is the only
/// field Magento's schema requires; a new simple product also needs `name` and `price`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ProductInput {
    pub sku: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribute_set_id: Option<i64>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "optional_decimal_number"
    )]
    pub price: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<ProductStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub type_id: Option<ProductType>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "optional_decimal_number"
    )]
    pub weight: Option<Decimal>,
    /// Passed through as given (`website_ids`, `category_links`, `stock_item`, …): the
    /// shape varies with the store's modules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extension_attributes: Option<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub custom_attributes: Vec<CustomAttributeInput>,
}

impl ProductInput {
    pub fn new(sku: impl Into<String>) -> Self {
        Self {
            sku: sku.into(),
            ..Self::default()
        }
    }

    /// Sets a scalar custom attribute (`url_key`, `description`, a select's option id).
    pub fn with_attribute(mut self, code: &str, value: impl Into<String>) -> Self {
        self.custom_attributes.retain(|a| a.attribute_code != code);
        self.custom_attributes.push(CustomAttributeInput {
            attribute_code: code.to_owned(),
            value: AttributeValue::Text(value.into()),
        });
        self
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomAttributeInput {
    pub attribute_code: String,
    pub value: AttributeValue,
}

/// A configurable's super attribute for `POST /V1/configurable-products/{sku}/options`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigurableOptionInput {
    /// The EAV attribute id (`93` is `color` on sample data).
    pub attribute_id: i64,
    pub label: String,
    pub position: i64,
    pub is_use_default: bool,
    /// Attribute option ids offered (what the children's attribute holds).
    pub value_indexes: Vec<i64>,
}

impl ConfigurableOptionInput {
    /// The `option` object as Magento's schema spells it (`attribute_id` is a string).
    pub fn to_wire(&self) -> Value {
        serde_json::json!({
            "attribute_id": self.attribute_id.to_string(),
            "label": self.label,
            "position": self.position,
            "is_use_default": self.is_use_default,
            "values": self.value_indexes.iter()
                .map(|index| serde_json::json!({ "value_index": index }))
                .collect::<Vec<_>>(),
        })
    }
}

/// Roles a new main image takes.
pub const MAIN_IMAGE_ROLES: [&str; 3] = ["image", "small_image", "thumbnail"];

/// A new image for `POST /V1/products/{sku}/media`.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaEntryInput {
    pub label: String,
    pub position: i64,
    pub disabled: bool,
    /// Roles (`image`, `small_image`, `thumbnail`, `swatch_image`); see [`MAIN_IMAGE_ROLES`].
    pub types: Vec<String>,
    /// The file name Magento derives the stored name from (`tee-front.jpg`).
    pub file_name: String,
    /// `image/jpeg`, `image/png` or `image/gif`; must match the bytes.
    pub mime_type: String,
    pub data: Vec<u8>,
}

impl MediaEntryInput {
    /// The `entry` object, the image base64-encoded into `content`.
    pub fn to_wire(&self) -> Value {
        use base64::Engine as _;
        serde_json::json!({
            "media_type": "image",
            "label": self.label,
            "position": self.position,
            "disabled": self.disabled,
            "types": self.types,
            "content": {
                "base64_encoded_data": base64::engine::general_purpose::STANDARD.encode(&self.data),
                "type": self.mime_type,
                "name": self.file_name,
            },
        })
    }

    /// Whether `file` (a stored gallery path like `/t/e/tee-front_1.jpg`) is the name
    /// Magento derives from [`Self::file_name`]: the same name, perhaps with a `_N`
    /// suffix it adds when the name was taken.
    pub fn could_be_stored_as(&self, file: &str) -> bool {
        let stored = file.rsplit('/').next().unwrap_or(file).to_ascii_lowercase();
        let wanted = corrected_file_name(&self.file_name, &self.mime_type).to_ascii_lowercase();
        if stored == wanted {
            return true;
        }
        let (wanted_stem, wanted_ext) = split_extension(&wanted);
        let (stored_stem, stored_ext) = split_extension(&stored);
        stored_ext == wanted_ext
            && stored_stem
                .strip_prefix(wanted_stem)
                .and_then(|rest| rest.strip_prefix('_'))
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    }
}

/// The MIME type of the image these bytes start with, among those Magento's image
/// content validator accepts (JPEG, PNG, GIF); `None` for anything else.
pub fn image_mime_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else {
        None
    }
}

/// The name as Magento's uploader stores it: characters outside `[A-Za-z0-9_.-]` become
/// `_`, and a name without extension gets the one of its MIME type.
fn corrected_file_name(name: &str, mime_type: &str) -> String {
    let mut corrected: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !corrected.contains('.') {
        let extension = match mime_type {
            "image/png" => "png",
            "image/gif" => "gif",
            _ => "jpg",
        };
        corrected.push('.');
        corrected.push_str(extension);
    }
    corrected
}

fn split_extension(name: &str) -> (&str, &str) {
    name.rsplit_once('.').unwrap_or((name, ""))
}

/// A decimal as a JSON number (Magento's schema declares `number`), integral values
/// without a fraction.
fn optional_decimal_number<S: Serializer>(
    value: &Option<Decimal>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(decimal) => {
            let number: serde_json::Number = decimal
                .normalize()
                .to_string()
                .parse()
                .map_err(serde::ser::Error::custom)?;
            number.serialize(serializer)
        }
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;
    use serde_json::json;

    #[test]
    fn a_product_input_sends_only_the_fields_set_with_numbers_as_numbers() {
        let input = ProductInput {
            name: Some("Tee".into()),
            price: Some(dec!(29.50)),
            status: Some(ProductStatus::Enabled),
            type_id: Some(ProductType::Simple),
            ..ProductInput::new("TEE-1")
        }
        .with_attribute("url_key", "tee-1");
        assert_eq!(
            serde_json::to_value(&input).expect("serialises"),
            json!({"sku": "TEE-1", "name": "Tee", "price": 29.5, "status": 1, "type_id": "simple",
                   "custom_attributes": [{"attribute_code": "url_key", "value": "tee-1"}]})
        );
    }

    #[test]
    fn a_configurable_option_sends_its_attribute_id_as_a_string() {
        let option = ConfigurableOptionInput {
            attribute_id: 93,
            label: "Color".into(),
            position: 0,
            is_use_default: false,
            value_indexes: vec![58, 61],
        };
        assert_eq!(
            option.to_wire(),
            json!({"attribute_id": "93", "label": "Color", "position": 0, "is_use_default": false,
                   "values": [{"value_index": 58}, {"value_index": 61}]})
        );
    }

    #[test]
    fn a_media_entry_goes_out_base64_encoded_as_an_image() {
        let entry = MediaEntryInput {
            label: "Front".into(),
            position: 1,
            disabled: false,
            types: MAIN_IMAGE_ROLES.iter().map(|r| (*r).to_owned()).collect(),
            file_name: "front.jpg".into(),
            mime_type: "image/jpeg".into(),
            data: vec![0xff, 0xd8, 0xff],
        };
        let wire = entry.to_wire();
        assert_eq!(wire["media_type"], "image");
        assert_eq!(wire["content"]["base64_encoded_data"], "/9j/");
        assert_eq!(wire["content"]["name"], "front.jpg");
    }

    #[test]
    fn only_jpeg_png_and_gif_bytes_are_images() {
        assert_eq!(
            image_mime_type(&[0xff, 0xd8, 0xff, 0xe0]),
            Some("image/jpeg")
        );
        assert_eq!(image_mime_type(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(image_mime_type(b"GIF89a.."), Some("image/gif"));
        assert_eq!(image_mime_type(b"<html>"), None);
    }

    #[test]
    fn a_stored_file_matches_its_name_with_or_without_a_clash_suffix() {
        let entry = MediaEntryInput {
            label: String::new(),
            position: 1,
            disabled: false,
            types: Vec::new(),
            file_name: "Tee Front.jpg".into(),
            mime_type: "image/jpeg".into(),
            data: Vec::new(),
        };
        assert!(entry.could_be_stored_as("/t/e/tee_front.jpg"));
        assert!(entry.could_be_stored_as("/t/e/Tee_Front_2.jpg"));
        assert!(!entry.could_be_stored_as("/t/e/tee_front_back.jpg"));
        assert!(!entry.could_be_stored_as("/t/e/tee_front.png"));
        let bare = MediaEntryInput {
            file_name: "back".into(),
            mime_type: "image/png".into(),
            ..entry
        };
        assert!(bare.could_be_stored_as("/b/a/back_1.png"));
    }
}
