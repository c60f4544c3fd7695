//! `searchCriteria` query parameters as flat `(name, value)` pairs, ready to be signed.

use crate::error::MagentoError;

/// Magento's signers sort parameter names "naturally" and RFC 5849 sorts them by bytes;
/// the two agree only while every index is a single digit (`[2]` vs `[10]`).
const MAX_INDEX: usize = 10;
const DEFAULT_PAGE_SIZE: u32 = 100;

#[derive(Clone, Debug, PartialEq, Eq)]
struct Filter {
    field: String,
    value: String,
    condition: String,
}

#[derive(Clone, Debug, Default)]
pub struct SearchCriteria {
    /// One filter per group: groups are AND-ed (filters inside a group would be OR-ed).
    groups: Vec<Filter>,
    sort_orders: Vec<(String, bool)>,
    page_size: Option<u32>,
    current_page: Option<u32>,
    fields: Option<String>,
}

impl SearchCriteria {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `field <condition> value` as its own filter group, so successive calls AND.
    /// Conditions are Magento's: `eq`, `neq`, `gt`, `gteq`, `lt`, `lteq`, `in` (comma list), `like`…
    pub fn filter(mut self, field: &str, value: &str, condition: &str) -> Self {
        self.groups.push(Filter {
            field: field.into(),
            value: value.into(),
            condition: condition.into(),
        });
        self
    }

    /// Adds a sort order; the direction is always sent because Magento's default differs
    /// between repositories.
    pub fn sort(mut self, field: &str, ascending: bool) -> Self {
        self.sort_orders.push((field.into(), ascending));
        self
    }

    /// `current_page` is 1-based.
    pub fn page(mut self, page_size: u32, current_page: u32) -> Self {
        self.page_size = Some(page_size);
        self.current_page = Some(current_page);
        self
    }

    /// A `fields=` projection, e.g. `items[id,code],total_count`.
    pub fn fields(mut self, projection: &str) -> Self {
        self.fields = Some(projection.into());
        self
    }

    pub fn page_size(&self) -> u32 {
        self.page_size.unwrap_or(DEFAULT_PAGE_SIZE)
    }

    /// The pairs to send and sign. Paging is always sent: without it Magento returns every
    /// row (or, with input limits on, silently 20).
    pub fn to_query(&self) -> Result<Vec<(String, String)>, MagentoError> {
        if self.groups.len() > MAX_INDEX {
            return Err(MagentoError::InvalidRequest {
                message: format!(
                    "{} filter groups; at most {MAX_INDEX} keep the OAuth signature unambiguous (combine values with `in`)",
                    self.groups.len()
                ),
            });
        }
        if self.sort_orders.len() > MAX_INDEX {
            return Err(MagentoError::InvalidRequest {
                message: format!(
                    "{} sort orders; at most {MAX_INDEX} are supported",
                    self.sort_orders.len()
                ),
            });
        }
        let mut query = Vec::new();
        for (g, filter) in self.groups.iter().enumerate() {
            let prefix = format!("searchCriteria[filter_groups][{g}][filters][0]");
            query.push((format!("{prefix}[field]"), filter.field.clone()));
            query.push((format!("{prefix}[value]"), filter.value.clone()));
            query.push((
                format!("{prefix}[condition_type]"),
                filter.condition.clone(),
            ));
        }
        for (i, (field, ascending)) in self.sort_orders.iter().enumerate() {
            query.push((
                format!("searchCriteria[sortOrders][{i}][field]"),
                field.clone(),
            ));
            query.push((
                format!("searchCriteria[sortOrders][{i}][direction]"),
                if *ascending { "ASC" } else { "DESC" }.to_owned(),
            ));
        }
        query.push((
            "searchCriteria[pageSize]".into(),
            self.page_size().to_string(),
        ));
        query.push((
            "searchCriteria[currentPage]".into(),
            self.current_page.unwrap_or(1).to_string(),
        ));
        if let Some(fields) = &self.fields {
            query.push(("fields".into(), fields.clone()));
        }
        Ok(query)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_flat_bracketed_pairs_with_paging_always_present() {
        let q = SearchCriteria::new()
            .filter("created_at", "2024-05-01 00:00:00", "gteq")
            .filter("status", "pending,processing", "in")
            .sort("created_at", true)
            .sort("entity_id", false)
            .page(50, 2)
            .fields("items[entity_id],total_count")
            .to_query()
            .expect("valid");
        let expected: Vec<(String, String)> = [
            (
                "searchCriteria[filter_groups][0][filters][0][field]",
                "created_at",
            ),
            (
                "searchCriteria[filter_groups][0][filters][0][value]",
                "2024-05-01 00:00:00",
            ),
            (
                "searchCriteria[filter_groups][0][filters][0][condition_type]",
                "gteq",
            ),
            (
                "searchCriteria[filter_groups][1][filters][0][field]",
                "status",
            ),
            (
                "searchCriteria[filter_groups][1][filters][0][value]",
                "pending,processing",
            ),
            (
                "searchCriteria[filter_groups][1][filters][0][condition_type]",
                "in",
            ),
            ("searchCriteria[sortOrders][0][field]", "created_at"),
            ("searchCriteria[sortOrders][0][direction]", "ASC"),
            ("searchCriteria[sortOrders][1][field]", "entity_id"),
            ("searchCriteria[sortOrders][1][direction]", "DESC"),
            ("searchCriteria[pageSize]", "50"),
            ("searchCriteria[currentPage]", "2"),
            ("fields", "items[entity_id],total_count"),
        ]
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
        assert_eq!(q, expected);
    }

    #[test]
    fn defaults_to_a_first_page_of_100() {
        let q = SearchCriteria::new().to_query().expect("valid");
        assert_eq!(
            q,
            vec![
                ("searchCriteria[pageSize]".to_string(), "100".to_string()),
                ("searchCriteria[currentPage]".to_string(), "1".to_string())
            ]
        );
    }

    #[test]
    fn a_tenth_index_is_refused_because_it_would_sort_differently() {
        let mut ten = SearchCriteria::new();
        for i in 0..10 {
            ten = ten.filter("entity_id", &i.to_string(), "neq");
        }
        assert!(ten.clone().to_query().is_ok());
        let err = ten
            .filter("entity_id", "10", "neq")
            .to_query()
            .expect_err("11 groups");
        assert_eq!(err.code(), "INVALID_REQUEST");

        let mut sorts = SearchCriteria::new();
        for _ in 0..11 {
            sorts = sorts.sort("entity_id", true);
        }
        assert!(sorts.to_query().is_err());
    }
}
