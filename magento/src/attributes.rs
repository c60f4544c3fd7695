//! Product attribute metadata and select options: reading the labels behind the option
//! ids products carry, and adding an option a configurable needs.

use reqwest::Method;
use serde_json::{Value, json};

use crate::client::MagentoClient;
use crate::dto::{self, ProductAttribute};
use crate::error::MagentoError;
use crate::oauth::percent_encode;
use crate::search::SearchCriteria;

fn attribute_path(code_or_id: &str) -> String {
    format!("/V1/products/attributes/{}", percent_encode(code_or_id))
}

/// A blank code would address the attribute list instead of one attribute.
fn require_code(code: &str) -> Result<(), MagentoError> {
    if code.trim().is_empty() {
        Err(MagentoError::InvalidRequest {
            message: "an attribute code must not be blank".to_owned(),
        })
    } else {
        Ok(())
    }
}

/// The new option's id from Magento's answer: a JSON string, `"id_123"` before 2.4 and
/// `"123"` since (a number is accepted too).
fn parse_option_id(bytes: &[u8], code: &str) -> Result<String, MagentoError> {
    let answer: Value = dto::decode(bytes, "attribute option id", Some(code))?;
    let text = match &answer {
        Value::String(text) => text.trim().to_owned(),
        Value::Number(number) => number.to_string(),
        _ => String::new(),
    };
    let id = text.strip_prefix("id_").unwrap_or(&text);
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(id.to_owned())
    } else {
        Err(MagentoError::Decode {
            entity: "attribute option id".to_owned(),
            id: Some(code.to_owned()),
            message: format!("expected an option id, got {answer}"),
        })
    }
}

impl MagentoClient {
    /// `GET /V1/products/attributes/{attributeCode}`: Magento accepts the numeric
    /// attribute id here too. An unknown attribute is [`MagentoError::NotFound`].
    pub async fn product_attribute(
        &self,
        code_or_id: &str,
    ) -> Result<ProductAttribute, MagentoError> {
        require_code(code_or_id)?;
        self.get_entity(
            "/V1/products/attributes/{attributeCode}",
            &attribute_path(code_or_id),
            "product attribute",
            code_or_id,
        )
        .await
    }

    /// `GET /V1/products/attributes`: every product attribute matching `criteria`, read
    /// page by page.
    pub async fn product_attributes(
        &self,
        criteria: SearchCriteria,
    ) -> Result<Vec<ProductAttribute>, MagentoError> {
        self.search("/V1/products/attributes", criteria, "product attribute")
            .await
    }

    /// `POST /V1/products/attributes/{attributeCode}/options`: adds an option labelled
    /// `label` (the admin label) and returns its value id (`"123"`).
    ///
    /// A second option with the same label is what a repeat would make, so a lost answer
    /// is settled by reading the attribute: an option with this label is this call's.
    pub async fn add_attribute_option(
        &self,
        code: &str,
        label: &str,
    ) -> Result<String, MagentoError> {
        require_code(code)?;
        if label.trim().is_empty() {
            return Err(MagentoError::InvalidRequest {
                message: "an attribute option label must not be blank".to_owned(),
            });
        }
        let body = json!({ "option": { "label": label } });
        self.send_unrepeatable(
            Method::POST,
            "POST /V1/products/attributes/{attributeCode}/options",
            &format!("{}/options", attribute_path(code)),
            &body,
            |bytes| parse_option_id(bytes, code).map_err(|e| e.redact(&self.secrets())),
            move || async move {
                let attribute = self.product_attribute(code).await?;
                Ok(attribute
                    .option_by_label(label)
                    .map(|option| option.value.clone()))
            },
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attribute(json: &str) -> ProductAttribute {
        dto::decode(json.as_bytes(), "product attribute", None).expect("decodes")
    }

    #[test]
    fn option_ids_are_read_with_or_without_the_old_prefix() {
        assert_eq!(parse_option_id(br#""id_123""#, "color").expect("id"), "123");
        assert_eq!(parse_option_id(br#""57""#, "color").expect("id"), "57");
        assert_eq!(parse_option_id(b"58", "color").expect("id"), "58");
        for bad in [&br#""""#[..], br#""id_""#, b"true", br#""abc""#] {
            let err = parse_option_id(bad, "color").expect_err("not an id");
            assert_eq!(err.code(), "DECODE");
        }
    }

    #[test]
    fn an_attribute_is_read_leniently() {
        let found = attribute(
            r#"{"attribute_id":"93","attribute_code":"color","default_frontend_label":"Color",
                "frontend_input":"select","scope":"global","is_required":false,
                "options":[{"label":" ","value":""},{"label":"Rot","value":"49"},
                           {"label":"青","value":50,"sort_order":2}]}"#,
        );
        assert_eq!(found.attribute_id, 93);
        assert_eq!(found.default_frontend_label.as_deref(), Some("Color"));
        assert_eq!(found.options.len(), 3);
        assert_eq!(found.option_label("50"), Some("青"));
        assert_eq!(found.option_label(""), None);
        assert_eq!(found.option_label("51"), None);
    }

    #[test]
    fn an_attribute_without_options_has_none() {
        let found = attribute(r#"{"attribute_id":77,"attribute_code":"name","options":null}"#);
        assert!(found.options.is_empty());
        assert_eq!(found.frontend_input, None);
    }

    #[test]
    fn options_are_found_by_label_ignoring_case_and_the_blank_option() {
        let found = attribute(
            r#"{"attribute_id":144,"attribute_code":"size",
                "options":[{"label":"","value":""},{"label":"XL","value":"171"}]}"#,
        );
        assert_eq!(
            found.option_by_label(" xl ").map(|o| o.value.as_str()),
            Some("171")
        );
        assert!(found.option_by_label("").is_none());
    }

    #[test]
    fn a_blank_code_is_refused_before_sending() {
        assert_eq!(
            require_code(" ").expect_err("blank").code(),
            "INVALID_REQUEST"
        );
    }
}
