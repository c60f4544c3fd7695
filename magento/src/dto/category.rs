//! Categories: the tree of `GET /V1/categories` (schema
//! `catalog-data-category-tree-interface`) and the flat rows of
//! `GET /V1/categories/list?searchCriteria…` (`catalog-data-category-interface`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::attribute::{self, AttributeValue, CustomAttribute};
use super::{
    bool_lenient, i64_or_zero, id_from_str_or_num, opt_bool_lenient, opt_datetime_lenient,
    string_lenient, vec_lenient, vec_strings_lenient,
};

/// A node of the category tree. Category 1 is the invisible root, its children the store
/// groups' root categories (2 on default installs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Category {
    #[serde(deserialize_with = "id_from_str_or_num")]
    pub id: i64,
    /// 0 for the invisible root.
    #[serde(default, deserialize_with = "i64_or_zero")]
    pub parent_id: i64,
    #[serde(default, deserialize_with = "string_lenient")]
    pub name: String,
    #[serde(default, deserialize_with = "bool_lenient")]
    pub is_active: bool,
    #[serde(default, deserialize_with = "i64_or_zero")]
    pub position: i64,
    #[serde(default, deserialize_with = "i64_or_zero")]
    pub level: i64,
    #[serde(default, deserialize_with = "i64_or_zero")]
    pub product_count: i64,
    #[serde(default, deserialize_with = "vec_lenient")]
    pub children_data: Vec<Category>,
}

impl Category {
    /// This node and all below it, depth first, parents before children.
    pub fn flatten(&self) -> Vec<&Category> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(node) = stack.pop() {
            out.push(node);
            stack.extend(node.children_data.iter().rev());
        }
        out
    }

    /// The node with this id in the subtree.
    pub fn find(&self, id: i64) -> Option<&Category> {
        self.flatten().into_iter().find(|node| node.id == id)
    }
}

/// A row of `/V1/categories/list` (and `GET /V1/categories/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryListItem {
    #[serde(deserialize_with = "id_from_str_or_num")]
    pub id: i64,
    #[serde(default, deserialize_with = "i64_or_zero")]
    pub parent_id: i64,
    #[serde(default, deserialize_with = "string_lenient")]
    pub name: String,
    #[serde(default, deserialize_with = "bool_lenient")]
    pub is_active: bool,
    #[serde(default, deserialize_with = "i64_or_zero")]
    pub position: i64,
    #[serde(default, deserialize_with = "i64_or_zero")]
    pub level: i64,
    /// Child ids, comma separated (`"21,22"`); see [`CategoryListItem::child_ids`].
    #[serde(default, deserialize_with = "string_lenient")]
    pub children: String,
    /// Ids from the root down to this category, slash separated (`"1/2/20"`).
    #[serde(default, deserialize_with = "string_lenient")]
    pub path: String,
    #[serde(default, deserialize_with = "opt_datetime_lenient")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "opt_datetime_lenient")]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "vec_strings_lenient")]
    pub available_sort_by: Vec<String>,
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub include_in_menu: Option<bool>,
    #[serde(default, deserialize_with = "vec_lenient")]
    pub custom_attributes: Vec<CustomAttribute>,
}

impl CategoryListItem {
    /// The ids of `path`, root first, this category last.
    pub fn path_ids(&self) -> Vec<i64> {
        split_ids(&self.path, '/')
    }

    pub fn child_ids(&self) -> Vec<i64> {
        split_ids(&self.children, ',')
    }

    pub fn attribute(&self, code: &str) -> Option<&AttributeValue> {
        attribute::find(&self.custom_attributes, code)
    }
}

fn split_ids(text: &str, separator: char) -> Vec<i64> {
    text.split(separator)
        .filter_map(|part| part.trim().parse().ok())
        .collect()
}
