//! Product writes: create, update and delete products, a configurable's options and
//! child links, gallery images.
//!
//! Every write goes to the `all` scope (`/rest/all/V1/...`): without a store code Magento
//! saves the values for the default store view only, which shadows later global edits.
//!
//! A write whose answer is lost may have been applied. Those that must not simply be
//! sent again (a create, a second option or gallery image, a link refused as "already
//! attached", a delete answered "not found") go through
//! [`MagentoClient::send_unrepeatable`], which reads the store before repeating them.
//! Updates set absolute values and are simply retried.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};

use reqwest::Method;
use serde_json::{Value, json};

use crate::client::MagentoClient;
use crate::dto::{
    self, ConfigurableOption, ConfigurableOptionInput, MediaEntryInput, MediaGalleryEntry, Product,
    ProductInput,
};
use crate::error::MagentoError;
use crate::oauth::percent_encode;

/// The message of Magento's `StateException` for a child that is linked already.
const ALREADY_ATTACHED: &str = "The product is already attached.";

fn all_scope(path: &str) -> String {
    format!("/all{path}")
}

fn product_path(sku: &str) -> String {
    format!("/V1/products/{}", percent_encode(sku))
}

fn options_path(sku: &str) -> String {
    format!("/V1/configurable-products/{}/options", percent_encode(sku))
}

fn media_path(sku: &str) -> String {
    format!("/V1/products/{}/media", percent_encode(sku))
}

/// A blank SKU would address a different route (`/V1/products/`), so it is refused
/// before anything is sent.
fn require_sku(sku: &str) -> Result<(), MagentoError> {
    if sku.trim().is_empty() {
        Err(MagentoError::InvalidRequest {
            message: "a product SKU must not be blank".to_owned(),
        })
    } else {
        Ok(())
    }
}

fn decode_error(entity: &str, id: &str, message: String) -> MagentoError {
    MagentoError::Decode {
        entity: entity.to_owned(),
        id: Some(id.to_owned()),
        message,
    }
}

/// An integer result (an option or gallery entry id), which Magento renders as a JSON
/// string (`"42"`) or a number.
fn parse_id(bytes: &[u8], entity: &str, id: &str) -> Result<i64, MagentoError> {
    let answer: Value = dto::decode(bytes, entity, Some(id))?;
    match &answer {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    }
    .ok_or_else(|| decode_error(entity, id, format!("expected an id, got {answer}")))
}

/// A boolean result that must be `true` (links, deletes).
fn expect_true(bytes: &[u8], entity: &str, id: &str) -> Result<(), MagentoError> {
    let answer: Value = dto::decode(bytes, entity, Some(id))?;
    match &answer {
        Value::Bool(true) => Ok(()),
        Value::String(s) if s == "true" || s == "1" => Ok(()),
        Value::Number(n) if n.as_i64() == Some(1) => Ok(()),
        _ => Err(decode_error(
            entity,
            id,
            format!("expected true, got {answer}"),
        )),
    }
}

/// Whether the store's product carries every value `input` sets, i.e. a create whose
/// answer was lost was applied. Custom attributes compare as text; one Magento stored
/// differently only costs a repeated save, which by SKU updates rather than doubles.
fn product_matches(input: &ProductInput, found: &Product) -> bool {
    found.sku.eq_ignore_ascii_case(&input.sku)
        && input.name.as_ref().is_none_or(|name| *name == found.name)
        && input.price.is_none_or(|p| found.price == Some(p))
        && input.weight.is_none_or(|w| found.weight == Some(w))
        && input
            .attribute_set_id
            .is_none_or(|id| found.attribute_set_id == Some(id))
        && input.status.is_none_or(|s| found.status == Some(s))
        && input.visibility.is_none_or(|v| found.visibility == Some(v))
        && input.type_id.as_ref().is_none_or(|t| *t == found.type_id)
        && input.custom_attributes.iter().all(|attribute| {
            found
                .attribute(&attribute.attribute_code)
                .is_some_and(|value| value.values() == attribute.value.values())
        })
}

impl MagentoClient {
    fn decode_product(&self, bytes: &[u8], sku: &str) -> Result<Product, MagentoError> {
        dto::decode(bytes, "product", Some(sku)).map_err(|e| e.redact(&self.secrets()))
    }

    /// [`parse_id`] with the credentials redacted from an error.
    fn parse_id_redacted(
        &self,
        bytes: &[u8],
        entity: &str,
        sku: &str,
    ) -> Result<i64, MagentoError> {
        parse_id(bytes, entity, sku).map_err(|e| e.redact(&self.secrets()))
    }

    /// [`expect_true`] with the credentials redacted from an error.
    fn expect_true_redacted(
        &self,
        bytes: &[u8],
        entity: &str,
        sku: &str,
    ) -> Result<(), MagentoError> {
        expect_true(bytes, entity, sku).map_err(|e| e.redact(&self.secrets()))
    }

    /// The product, or `None` for an unknown SKU.
    async fn find_product(&self, sku: &str) -> Result<Option<Product>, MagentoError> {
        match self.product(sku).await {
            Ok(product) => Ok(Some(product)),
            Err(MagentoError::NotFound { .. }) => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// `POST /rest/all/V1/products`: creates the product and returns it as saved. Magento
    /// treats a known SKU as an update of that product.
    ///
    /// When the answer is lost the SKU is read first: a product carrying the values sent
    /// is the one this call saved; otherwise the save goes out again (by SKU, so it can
    /// update but never make a second product).
    pub async fn create_product(&self, product: &ProductInput) -> Result<Product, MagentoError> {
        require_sku(&product.sku)?;
        let body = json!({ "product": product });
        let sku = product.sku.as_str();
        self.send_unrepeatable(
            Method::POST,
            "POST /V1/products",
            &all_scope("/V1/products"),
            &body,
            |bytes| self.decode_product(bytes, sku),
            move || async move {
                Ok(self
                    .find_product(sku)
                    .await?
                    .filter(|found| product_matches(product, found)))
            },
        )
        .await
    }

    /// `PUT /rest/all/V1/products/{sku}`: sets the values `product` names (its own `sku`
    /// is replaced by `sku`) and returns the product as saved. The values are absolute,
    /// so a repeat changes nothing and failures are retried like reads. Magento creates
    /// the product when the SKU is unknown.
    pub async fn update_product(
        &self,
        sku: &str,
        product: &ProductInput,
    ) -> Result<Product, MagentoError> {
        require_sku(sku)?;
        let mut input =
            serde_json::to_value(product).map_err(|e| MagentoError::InvalidRequest {
                message: format!("could not serialise the product: {e}"),
            })?;
        input["sku"] = Value::String(sku.to_owned());
        let body = json!({ "product": input });
        let bytes = self
            .send(
                Method::PUT,
                "PUT /V1/products/{sku}",
                &all_scope(&product_path(sku)),
                &[],
                Some(&body),
            )
            .await?;
        self.decode_product(&bytes, sku)
    }

    /// `DELETE /rest/all/V1/products/{sku}`. An unknown SKU is [`MagentoError::NotFound`],
    /// unless an earlier attempt's answer was lost: then the product is gone because that
    /// attempt deleted it.
    pub async fn delete_product(&self, sku: &str) -> Result<(), MagentoError> {
        require_sku(sku)?;
        let checked = AtomicBool::new(false);
        let checked = &checked;
        let result = self
            .send_unrepeatable(
                Method::DELETE,
                "DELETE /V1/products/{sku}",
                &all_scope(&product_path(sku)),
                &json!({}),
                |bytes| self.expect_true_redacted(bytes, "product deletion", sku),
                move || async move {
                    checked.store(true, Ordering::Relaxed);
                    Ok(match self.find_product(sku).await? {
                        Some(_) => None,
                        None => Some(()),
                    })
                },
            )
            .await;
        done_if_gone_after_doubt(result, checked)
    }

    /// `GET /V1/configurable-products/{sku}/options/all`: a configurable's super
    /// attributes. Magento refuses (400) a SKU that is not a configurable.
    pub async fn configurable_options(
        &self,
        sku: &str,
    ) -> Result<Vec<ConfigurableOption>, MagentoError> {
        self.get_entity(
            "/V1/configurable-products/{sku}/options/all",
            &format!("{}/all", options_path(sku)),
            "configurable option",
            sku,
        )
        .await
    }

    /// `POST /rest/all/V1/configurable-products/{sku}/options`: adds a super attribute
    /// and returns the new option id. A lost answer is settled by reading the options:
    /// one for the same attribute is this call's.
    pub async fn add_configurable_option(
        &self,
        sku: &str,
        option: &ConfigurableOptionInput,
    ) -> Result<i64, MagentoError> {
        require_sku(sku)?;
        let body = json!({ "option": option.to_wire() });
        self.send_unrepeatable(
            Method::POST,
            "POST /V1/configurable-products/{sku}/options",
            &all_scope(&options_path(sku)),
            &body,
            |bytes| self.parse_id_redacted(bytes, "configurable option id", sku),
            move || async move {
                let options = self.configurable_options(sku).await?;
                Ok(options
                    .into_iter()
                    .find(|o| o.attribute_id == option.attribute_id)
                    .and_then(|o| o.id))
            },
        )
        .await
    }

    /// `POST /rest/all/V1/configurable-products/{sku}/child`: links `child_sku` to the
    /// configurable. A child that is linked already counts as done (Magento refuses it
    /// with "The product is already attached."), and a lost answer is settled by reading
    /// the children.
    pub async fn link_configurable_child(
        &self,
        sku: &str,
        child_sku: &str,
    ) -> Result<(), MagentoError> {
        require_sku(sku)?;
        require_sku(child_sku)?;
        let body = json!({ "childSku": child_sku });
        let result = self
            .send_unrepeatable(
                Method::POST,
                "POST /V1/configurable-products/{sku}/child",
                &all_scope(&format!(
                    "/V1/configurable-products/{}/child",
                    percent_encode(sku)
                )),
                &body,
                |bytes| self.expect_true_redacted(bytes, "configurable child link", sku),
                move || async move {
                    Ok(self
                        .has_configurable_child(sku, child_sku)
                        .await?
                        .then_some(()))
                },
            )
            .await;
        match result {
            Err(MagentoError::Validation { message, .. }) if message == ALREADY_ATTACHED => Ok(()),
            other => other,
        }
    }

    /// `DELETE /rest/all/V1/configurable-products/{sku}/children/{childSku}`: unlinks a
    /// child. A child that is not linked is [`MagentoError::NotFound`], unless an earlier
    /// attempt's answer was lost (then that attempt unlinked it).
    pub async fn unlink_configurable_child(
        &self,
        sku: &str,
        child_sku: &str,
    ) -> Result<(), MagentoError> {
        require_sku(sku)?;
        require_sku(child_sku)?;
        let checked = AtomicBool::new(false);
        let checked = &checked;
        let result = self
            .send_unrepeatable(
                Method::DELETE,
                "DELETE /V1/configurable-products/{sku}/children/{childSku}",
                &all_scope(&format!(
                    "/V1/configurable-products/{}/children/{}",
                    percent_encode(sku),
                    percent_encode(child_sku)
                )),
                &json!({}),
                |bytes| self.expect_true_redacted(bytes, "configurable child unlink", sku),
                move || async move {
                    checked.store(true, Ordering::Relaxed);
                    Ok((!self.has_configurable_child(sku, child_sku).await?).then_some(()))
                },
            )
            .await;
        done_if_gone_after_doubt(result, checked)
    }

    async fn has_configurable_child(
        &self,
        sku: &str,
        child_sku: &str,
    ) -> Result<bool, MagentoError> {
        Ok(self
            .configurable_children(sku)
            .await?
            .iter()
            .any(|child| child.sku.eq_ignore_ascii_case(child_sku)))
    }

    /// `GET /V1/products/{sku}/media`: the product's gallery entries.
    pub async fn media_entries(&self, sku: &str) -> Result<Vec<MediaGalleryEntry>, MagentoError> {
        self.get_entity(
            "/V1/products/{sku}/media",
            &media_path(sku),
            "media gallery entry",
            sku,
        )
        .await
    }

    /// `POST /rest/all/V1/products/{sku}/media`: uploads an image into the product's
    /// gallery and returns the new entry id.
    ///
    /// The product is read first (its gallery is part of it), so that after a lost
    /// answer an entry that was not there before, with this label and position and the
    /// file name Magento derives from [`MediaEntryInput::file_name`], is recognised as
    /// this upload.
    pub async fn add_media_entry(
        &self,
        sku: &str,
        entry: &MediaEntryInput,
    ) -> Result<i64, MagentoError> {
        require_sku(sku)?;
        let before: HashSet<i64> = self
            .product(sku)
            .await?
            .media_gallery_entries
            .iter()
            .filter_map(|e| e.id)
            .collect();
        let before = &before;
        let body = json!({ "entry": entry.to_wire() });
        self.send_unrepeatable(
            Method::POST,
            "POST /V1/products/{sku}/media",
            &all_scope(&media_path(sku)),
            &body,
            |bytes| self.parse_id_redacted(bytes, "media gallery entry id", sku),
            move || async move {
                let entries = self.media_entries(sku).await?;
                Ok(entries
                    .iter()
                    .filter(|e| e.id.is_some_and(|id| !before.contains(&id)))
                    .find(|e| {
                        e.label == entry.label
                            && e.position == entry.position
                            && entry.could_be_stored_as(&e.file)
                    })
                    .and_then(|e| e.id))
            },
        )
        .await
    }
}

/// The largest image [`fetch_image`] takes: far above any product photo, low enough that
/// a wrong URL (a video, an archive) fails fast instead of filling memory.
pub const MAX_IMAGE_BYTES: usize = 16 * 1024 * 1024;

/// Why an image could not be read from its URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageFetchError {
    #[error("{url} is not an http(s) URL")]
    InvalidUrl { url: String },
    #[error("could not download the image {url}: {message}")]
    Unreachable { url: String, message: String },
    #[error("the image {url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{url} is not a JPEG, PNG or GIF image")]
    NotAnImage { url: String },
    #[error("the image {url} is larger than {limit} bytes")]
    TooLarge { url: String, limit: usize },
}

/// An image read from its URL, ready for a [`MediaEntryInput`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedImage {
    /// The URL's last path segment, reduced to the characters Magento keeps.
    pub file_name: String,
    pub mime_type: &'static str,
    pub data: Vec<u8>,
}

/// The file name an image URL gives: its last path segment, percent-decoded, with every
/// character Magento's uploader would not keep as `_` (so the name passes its checks).
pub fn image_file_name(url: &url::Url) -> String {
    let segment = url
        .path_segments()
        .and_then(|mut segments| segments.next_back())
        .unwrap_or_default();
    let decoded = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
    let name: String = decoded
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let name = name.trim_matches('.').to_owned();
    if name.is_empty() {
        "image".to_owned()
    } else {
        name
    }
}

/// One HTTP client for every image read, so its connection pool and TLS setup are
/// shared (a client per image would set them up again each time).
fn image_client() -> Result<&'static reqwest::Client, reqwest::Error> {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    if let Some(client) = CLIENT.get() {
        return Ok(client);
    }
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::limited(5))
        .user_agent(concat!("stockbridge-magento/", env!("CARGO_PKG_VERSION")))
        .build()?;
    Ok(CLIENT.get_or_init(|| client))
}

/// Reads an image from `url` (no credentials are sent: it is a public address, not the
/// store's API). Magento's REST API takes gallery images only as base64 content, so a
/// product's image URLs are read by us before they are uploaded.
pub async fn fetch_image(
    url: &str,
    timeout: std::time::Duration,
) -> Result<FetchedImage, ImageFetchError> {
    let parsed = url::Url::parse(url.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| ImageFetchError::InvalidUrl {
            url: url.to_owned(),
        })?;
    let unreachable = |message: String| ImageFetchError::Unreachable {
        url: url.to_owned(),
        message,
    };
    let mut response = image_client()
        .map_err(|e| unreachable(e.to_string()))?
        .get(parsed.clone())
        .timeout(timeout)
        .send()
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    let status = response.status();
    if !status.is_success() {
        return Err(ImageFetchError::Status {
            url: url.to_owned(),
            status: status.as_u16(),
        });
    }
    let too_large = || ImageFetchError::TooLarge {
        url: url.to_owned(),
        limit: MAX_IMAGE_BYTES,
    };
    if response
        .content_length()
        .is_some_and(|length| length > MAX_IMAGE_BYTES as u64)
    {
        return Err(too_large());
    }
    let mut data = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| unreachable(e.to_string()))?
    {
        if data.len() + chunk.len() > MAX_IMAGE_BYTES {
            return Err(too_large());
        }
        data.extend_from_slice(&chunk);
    }
    let mime_type =
        dto::product_write::image_mime_type(&data).ok_or_else(|| ImageFetchError::NotAnImage {
            url: url.to_owned(),
        })?;
    Ok(FetchedImage {
        file_name: image_file_name(&parsed),
        mime_type,
        data,
    })
}

/// A removal answered "not found" after a lost answer had to be checked: the earlier
/// attempt removed it.
fn done_if_gone_after_doubt(
    result: Result<(), MagentoError>,
    checked: &AtomicBool,
) -> Result<(), MagentoError> {
    match result {
        Err(MagentoError::NotFound { .. }) if checked.load(Ordering::Relaxed) => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn saved(json: &str) -> Product {
        dto::decode(json.as_bytes(), "product", None).expect("decodes")
    }

    #[test]
    fn ids_are_read_from_json_strings_and_numbers() {
        assert_eq!(parse_id(br#""42""#, "entry id", "S").expect("id"), 42);
        assert_eq!(parse_id(b"7", "entry id", "S").expect("id"), 7);
        let err = parse_id(b"true", "entry id", "S").expect_err("not an id");
        assert_eq!(err.code(), "DECODE");
    }

    #[test]
    fn a_blank_sku_is_refused_before_sending() {
        assert_eq!(
            require_sku("  ").expect_err("blank").code(),
            "INVALID_REQUEST"
        );
        assert!(require_sku("MUG 11oz/BLK").is_ok());
    }

    #[test]
    fn only_true_confirms_a_link_or_delete() {
        assert!(expect_true(b"true", "link", "S").is_ok());
        assert!(expect_true(b"false", "link", "S").is_err());
        assert!(expect_true(b"[]", "link", "S").is_err());
    }

    #[test]
    fn a_found_product_matches_only_when_it_carries_every_value_sent() {
        let found = saved(
            r#"{"id":5,"sku":"TEE-1","name":"Tee","price":29.5,"status":1,"type_id":"simple",
                "custom_attributes":[{"attribute_code":"color","value":"58"}]}"#,
        );
        let input = ProductInput {
            name: Some("Tee".into()),
            price: Some(dec!(29.50)),
            ..ProductInput::new("tee-1")
        }
        .with_attribute("color", "58");
        assert!(product_matches(&input, &found));
        let renamed = ProductInput {
            name: Some("Other".into()),
            ..input.clone()
        };
        assert!(!product_matches(&renamed, &found));
        let recoloured = input.with_attribute("color", "61");
        assert!(!product_matches(&recoloured, &found));
    }

    #[test]
    fn an_image_file_name_is_the_urls_last_segment_in_characters_magento_keeps() {
        let name = |u: &str| image_file_name(&url::Url::parse(u).expect("url"));
        assert_eq!(
            name("https://cdn.example/p/tee%20front(1).JPG?w=800"),
            "tee_front_1_.JPG"
        );
        assert_eq!(name("https://cdn.example/"), "image");
        assert_eq!(name("https://cdn.example/a/..."), "image");
    }

    #[test]
    fn a_not_found_removal_is_done_only_after_a_lost_answer() {
        let not_found = || {
            Err(MagentoError::NotFound {
                message: "gone".into(),
            })
        };
        let checked = AtomicBool::new(false);
        assert!(done_if_gone_after_doubt(not_found(), &checked).is_err());
        checked.store(true, Ordering::Relaxed);
        assert!(done_if_gone_after_doubt(not_found(), &checked).is_ok());
    }
}
