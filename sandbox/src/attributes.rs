//! Product attributes and their select options (`products/attributes…`), as Magento 2.4.7
//! renders them. Only the configurable super attributes exist: `color` (93) and `size`
//! (144), whose options are the ids the seed's and the generator's variants carry.

use actix_web::http::StatusCode;
use serde_json::{Value, json};

use crate::generate::{COLORS, SIZES};
use crate::query::raw_url_decode;
use crate::response::ApiError;
use crate::routes::json_body;
use crate::search::{self, Criteria};
use crate::shop::Shop;

/// The attribute rows, each with its `options` (Magento's blank first option included).
pub(crate) fn seed() -> Vec<Value> {
    vec![
        select_attribute(93, "color", "Color", &COLORS),
        select_attribute(144, "size", "Size", &SIZES),
    ]
}

fn select_attribute(id: i64, code: &str, label: &str, options: &[(i64, &str)]) -> Value {
    let mut rendered = vec![json!({"label": " ", "value": ""})];
    rendered.extend(
        options
            .iter()
            .map(|(value, label)| json!({"label": label, "value": value.to_string()})),
    );
    json!({
        "attribute_id": id,
        "attribute_code": code,
        "frontend_input": "select",
        "entity_type_id": "4",
        "is_required": false,
        "is_user_defined": true,
        "default_frontend_label": label,
        "frontend_labels": [],
        "backend_type": "int",
        "is_unique": "0",
        "scope": "global",
        "is_visible": true,
        "is_filterable": true,
        "is_searchable": "1",
        "is_comparable": "1",
        "is_used_in_grid": true,
        "is_visible_in_grid": false,
        "is_filterable_in_grid": true,
        "apply_to": ["simple", "virtual", "configurable"],
        "validation_rules": [],
        "options": rendered,
    })
}

fn not_found(code: &str) -> ApiError {
    ApiError::with_parameters(
        StatusCode::NOT_FOUND,
        "The attribute with a \"%1\" attributeCode doesn't exist. Verify the attribute and try again.",
        json!([code]),
    )
}

/// The position of the attribute named in the path: by code (ignoring case, as MySQL
/// compares it) or, for a number, by id, which Magento's repository accepts too.
fn position(rows: &[Value], raw: &str) -> Result<usize, ApiError> {
    let wanted = raw_url_decode(raw);
    let by_id = wanted.trim().parse::<i64>().ok();
    rows.iter()
        .position(|row| {
            row["attribute_code"]
                .as_str()
                .is_some_and(|code| code.eq_ignore_ascii_case(&wanted))
                || by_id.is_some_and(|id| row["attribute_id"] == id)
        })
        .ok_or_else(|| not_found(&wanted))
}

/// `GET products/attributes/{attributeCode}`.
pub(crate) fn attribute(shop: &Shop, raw: &str) -> Result<Value, ApiError> {
    position(&shop.attributes, raw).map(|at| shop.attributes[at].clone())
}

/// `GET products/attributes` (searchCriteria required).
pub(crate) fn attributes(shop: &Shop, criteria: Option<Criteria>) -> Result<Value, ApiError> {
    let criteria = criteria.ok_or_else(|| ApiError::required("searchCriteria"))?;
    search::search(&shop.attributes, &criteria).map_err(|_| ApiError::internal())
}

/// `GET products/attributes/{attributeCode}/options`.
pub(crate) fn options(shop: &Shop, raw: &str) -> Result<Value, ApiError> {
    let at = position(&shop.attributes, raw)?;
    Ok(shop.attributes[at]["options"].clone())
}

/// `POST products/attributes/{attributeCode}/options` with `{"option":{"label":…}}`:
/// adds the option and answers its new value id as a JSON string (2.4 drops the `id_`
/// prefix 2.3 had). Option ids are one sequence across attributes, as in
/// `eav_attribute_option`.
pub(crate) fn add_option(shop: &mut Shop, raw: &str, body: &[u8]) -> Result<Value, ApiError> {
    let at = position(&shop.attributes, raw)?;
    let body = json_body(body)?;
    let option = body
        .get("option")
        .filter(|o| o.is_object())
        .ok_or_else(|| ApiError::required("option"))?;
    let label = match option.get("label") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    if label.trim().is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "The attribute option label is empty. Enter the value and try again.",
        ));
    }
    let attribute = &shop.attributes[at];
    if !matches!(
        attribute["frontend_input"].as_str(),
        Some("select" | "multiselect")
    ) {
        return Err(ApiError::with_parameters(
            StatusCode::BAD_REQUEST,
            "The \"%1\" attribute doesn't work with options.",
            json!([attribute["attribute_code"]]),
        ));
    }
    let wanted = label.to_lowercase();
    let taken = attribute["options"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|o| o["value"].as_str().is_some_and(|v| !v.is_empty()))
        .any(|o| {
            o["label"]
                .as_str()
                .is_some_and(|l| l.to_lowercase() == wanted)
        });
    if taken {
        return Err(ApiError::with_parameters(
            StatusCode::BAD_REQUEST,
            "Admin store attribute option label \"%1\" is already exists.",
            json!([label]),
        ));
    }
    let next = shop
        .attributes
        .iter()
        .flat_map(|a| a["options"].as_array().into_iter().flatten())
        .filter_map(|o| o["value"].as_str().and_then(|v| v.parse::<i64>().ok()))
        .max()
        .unwrap_or(0)
        + 1;
    let value = next.to_string();
    if let Some(list) = shop.attributes[at]["options"].as_array_mut() {
        list.push(json!({"label": label, "value": value}));
    }
    Ok(Value::String(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_option_id_the_generator_uses_has_a_label() {
        let rows = seed();
        for (attribute, options) in [("color", &COLORS[..]), ("size", &SIZES[..])] {
            let at = position(&rows, attribute).expect("seeded");
            for (id, label) in options {
                assert!(
                    rows[at]["options"]
                        .as_array()
                        .expect("options")
                        .iter()
                        .any(|o| o["value"].as_str() == Some(id.to_string().as_str())
                            && o["label"] == *label),
                    "{attribute} {id}"
                );
            }
        }
    }

    #[test]
    fn attributes_are_found_by_code_or_id() {
        let rows = seed();
        assert_eq!(position(&rows, "size").expect("by code"), 1);
        assert_eq!(position(&rows, "144").expect("by id"), 1);
        assert_eq!(position(&rows, "Color").expect("ignoring case"), 0);
        let err = position(&rows, "flavour").expect_err("unknown");
        assert_eq!(err.status, StatusCode::NOT_FOUND);
        assert_eq!(err.body["parameters"], json!(["flavour"]));
    }
}
