//! `searchCriteria` as Magento's collection processors apply it, and `fields=` projection.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Filter {
    field: String,
    value: String,
    condition: String,
    /// The trimmed items of an `in`/`nin` value, split once: a filter is matched against
    /// every row, and a poll of a few hundred SKUs over a large inventory used to split
    /// and copy them per row.
    items: Vec<String>,
}

impl Filter {
    fn new(field: String, value: String, condition: String) -> Self {
        let items = if matches!(condition.as_str(), "in" | "nin") {
            value.split(',').map(|w| w.trim().to_owned()).collect()
        } else {
            Vec::new()
        };
        Self {
            field,
            value,
            condition,
            items,
        }
    }

    pub(crate) fn field(&self) -> &str {
        &self.field
    }

    pub(crate) fn value(&self) -> &str {
        &self.value
    }

    pub(crate) fn condition(&self) -> &str {
        &self.condition
    }

    /// The items of an `in`/`nin` value (empty for other conditions).
    pub(crate) fn items(&self) -> &[String] {
        &self.items
    }

    /// Whether `value` equals one of the items, compared as MySQL would.
    fn listed(&self, value: &Value) -> bool {
        match value {
            Value::String(text) => self.items.iter().any(|w| w == text),
            other => self
                .items
                .iter()
                .any(|w| compare(other, w) == Some(Ordering::Equal)),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Criteria {
    groups: Vec<Vec<Filter>>,
    sorts: Vec<(String, String)>,
    page_size: Option<u64>,
    current_page: Option<u64>,
}

/// Splits `searchCriteria[a][0][b]` into `["a", "0", "b"]`.
fn bracket_segments(name: &str) -> Option<Vec<&str>> {
    let rest = name.strip_prefix("searchCriteria")?;
    let mut segments = Vec::new();
    let mut rest = rest;
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[')?;
        let close = inner.find(']')?;
        segments.push(&inner[..close]);
        rest = &inner[close + 1..];
    }
    Some(segments)
}

/// PHP's `(int)` cast: leading digits, else 0.
fn php_int(s: &str) -> u64 {
    let digits: String = s.trim().chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap_or(0)
}

impl Criteria {
    /// The filter groups: every group must match (AND), by any of its filters (OR).
    pub(crate) fn groups(&self) -> &[Vec<Filter>] {
        &self.groups
    }

    /// `(field, direction)`, most significant first.
    pub(crate) fn sorts(&self) -> &[(String, String)] {
        &self.sorts
    }

    /// Every field the criteria name, filters first, in the order they are checked.
    pub(crate) fn fields(&self) -> impl Iterator<Item = &String> {
        self.groups
            .iter()
            .flatten()
            .map(|f| &f.field)
            .chain(self.sorts.iter().map(|(f, _)| f))
    }

    /// Addresses `column` under the name `alias` too, in filters and sorts: a collection's
    /// key column (`entity_id`) that the REST rows render as `id`.
    pub(crate) fn with_alias(mut self, alias: &str, column: &str) -> Self {
        let rename = |field: &mut String| {
            if field.trim() == alias {
                *field = column.to_owned();
            }
        };
        self.groups
            .iter_mut()
            .flatten()
            .for_each(|filter| rename(&mut filter.field));
        self.sorts.iter_mut().for_each(|(field, _)| rename(field));
        self
    }

    /// `None` when the request carries no `searchCriteria` at all. Accepts the snake_case
    /// names the docs use and the camelCase ones of the schema.
    pub(crate) fn parse(params: &BTreeMap<String, String>) -> Option<Self> {
        let mut present = false;
        let mut groups: BTreeMap<u64, BTreeMap<u64, BTreeMap<&str, String>>> = BTreeMap::new();
        let mut sorts: BTreeMap<u64, BTreeMap<&str, String>> = BTreeMap::new();
        let mut criteria = Criteria::default();
        for (name, value) in params {
            let Some(segments) = bracket_segments(name) else {
                continue;
            };
            present = true;
            match segments[..] {
                ["filter_groups" | "filterGroups", g, "filters", f, attr] => {
                    let attr = match attr {
                        "conditionType" => "condition_type",
                        other => other,
                    };
                    groups
                        .entry(php_int(g))
                        .or_default()
                        .entry(php_int(f))
                        .or_default()
                        .insert(attr, value.clone());
                }
                ["sortOrders" | "sort_orders", i, attr] => {
                    sorts
                        .entry(php_int(i))
                        .or_default()
                        .insert(attr, value.clone());
                }
                ["pageSize" | "page_size"] => criteria.page_size = Some(php_int(value)),
                ["currentPage" | "current_page"] => criteria.current_page = Some(php_int(value)),
                _ => {}
            }
        }
        if !present {
            return None;
        }
        criteria.groups = groups
            .into_values()
            .map(|filters| {
                filters
                    .into_values()
                    .filter_map(|mut f| {
                        Some(Filter::new(
                            f.remove("field")?,
                            f.remove("value").unwrap_or_default(),
                            f.remove("condition_type").unwrap_or_else(|| "eq".into()),
                        ))
                    })
                    .collect::<Vec<_>>()
            })
            .filter(|g| !g.is_empty())
            .collect();
        criteria.sorts = sorts
            .into_values()
            .filter_map(|mut s| {
                Some((
                    s.remove("field")?,
                    s.remove("direction").unwrap_or_default(),
                ))
            })
            .collect();
        Some(criteria)
    }

    /// The `search_criteria` echo of the response (what was asked, unclamped).
    fn echo(&self) -> Value {
        let mut echo = Map::new();
        let groups: Vec<Value> = self
            .groups
            .iter()
            .map(|g| {
                let filters: Vec<Value> = g
                    .iter()
                    .map(|f| json!({"field": f.field, "value": f.value, "condition_type": f.condition}))
                    .collect();
                json!({ "filters": filters })
            })
            .collect();
        echo.insert("filter_groups".into(), Value::Array(groups));
        if !self.sorts.is_empty() {
            let sorts: Vec<Value> = self
                .sorts
                .iter()
                .map(|(field, direction)| json!({"field": field, "direction": direction}))
                .collect();
            echo.insert("sort_orders".into(), Value::Array(sorts));
        }
        if let Some(size) = self.page_size {
            echo.insert("page_size".into(), json!(size));
        }
        if let Some(page) = self.current_page {
            echo.insert("current_page".into(), json!(page));
        }
        Value::Object(echo)
    }
}

#[derive(Debug, PartialEq)]
pub(crate) enum SearchError {
    /// Magento passes the name to SQL; an unknown column ends as a masked 500.
    UnknownField(String),
}

fn as_number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn as_text(value: &Value) -> Option<String> {
    match value {
        Value::Null | Value::Array(_) | Value::Object(_) => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Compares a row value with a filter value as MySQL would for these columns: numerically
/// when the column is numeric, else as text (timestamps sort correctly as text).
fn compare(row: &Value, wanted: &str) -> Option<Ordering> {
    if matches!(row, Value::Number(_) | Value::Bool(_)) {
        let wanted: f64 = wanted.trim().parse().ok()?;
        return as_number(row)?.partial_cmp(&wanted);
    }
    Some(as_text(row)?.as_str().cmp(wanted))
}

/// SQL `LIKE` with `%` and `_`, case-insensitive like MySQL's default collation.
fn like(text: &str, pattern: &str) -> bool {
    fn go(t: &[char], p: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('%', rest)) => (0..=t.len()).any(|i| go(&t[i..], rest)),
            Some(('_', rest)) => !t.is_empty() && go(&t[1..], rest),
            Some((c, rest)) => t.first().is_some_and(|x| x == c) && go(&t[1..], rest),
        }
    }
    let t: Vec<char> = text.to_lowercase().chars().collect();
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    go(&t, &p)
}

fn matches(row: &Value, filter: &Filter) -> bool {
    let value = row.get(&filter.field).unwrap_or(&Value::Null);
    let is_null = value.is_null();
    let cmp = || compare(value, &filter.value);
    match filter.condition.as_str() {
        "eq" => cmp() == Some(Ordering::Equal),
        "neq" => cmp().is_some_and(|o| o != Ordering::Equal),
        "gt" => cmp() == Some(Ordering::Greater),
        "gteq" | "from" | "moreq" => cmp().is_some_and(|o| o != Ordering::Less),
        "lt" => cmp() == Some(Ordering::Less),
        "lteq" | "to" => cmp().is_some_and(|o| o != Ordering::Greater),
        "in" => filter.listed(value),
        "nin" => !is_null && !filter.listed(value),
        "like" => as_text(value).is_some_and(|t| like(&t, &filter.value)),
        "nlike" => as_text(value).is_some_and(|t| !like(&t, &filter.value)),
        "null" => is_null,
        "notnull" => !is_null,
        "finset" => as_text(value).is_some_and(|t| t.split(',').any(|p| p == filter.value)),
        "nfinset" => as_text(value).is_some_and(|t| !t.split(',').any(|p| p == filter.value)),
        // Magento turns an unknown condition into `=`.
        _ => cmp() == Some(Ordering::Equal),
    }
}

fn sort_key_cmp(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        _ => match (as_number(a), as_number(b)) {
            (Some(x), Some(y)) if !matches!((a, b), (Value::String(_), Value::String(_))) => {
                x.partial_cmp(&y).unwrap_or(Ordering::Equal)
            }
            _ => as_text(a).cmp(&as_text(b)),
        },
    }
}

/// Fails on a filter or sort field that no row has: Magento passes the name to SQL, where
/// an unknown column fails. A field is almost always on the first row, so this is cheap.
fn check_fields(rows: &[Value], criteria: &Criteria) -> Result<(), SearchError> {
    for field in criteria.fields() {
        if !rows.iter().any(|row| row.get(field).is_some()) {
            return Err(SearchError::UnknownField(field.clone()));
        }
    }
    Ok(())
}

/// Whether the row passes every filter group.
pub(crate) fn matches_all(row: &Value, criteria: &Criteria) -> bool {
    criteria
        .groups
        .iter()
        .all(|g| g.iter().any(|f| matches(row, f)))
}

/// Anything but ASC is descending, as in Magento's SortOrder handling.
pub(crate) fn is_ascending(direction: &str) -> bool {
    direction.eq_ignore_ascii_case("ASC")
}

/// Sorts `found` as the criteria ask: one stable sort per sort order, the least
/// significant first, so ties keep the order `found` came in. `key(row, n)` is the row's
/// value of the `n`th sort field.
pub(crate) fn sort_found<T>(
    found: &mut [T],
    criteria: &Criteria,
    key: impl Fn(&T, usize) -> &Value,
) {
    for (n, (_, direction)) in criteria.sorts.iter().enumerate().rev() {
        let ascending = is_ascending(direction);
        found.sort_by(|a, b| {
            let o = sort_key_cmp(key(a, n), key(b, n));
            if ascending { o } else { o.reverse() }
        });
    }
}

/// The row's values of the sort fields, in sort order.
pub(crate) fn sort_values(row: &Value, criteria: &Criteria) -> Vec<Value> {
    criteria
        .sorts
        .iter()
        .map(|(field, _)| row.get(field).cloned().unwrap_or(Value::Null))
        .collect()
}

/// The rows the filters keep, in the requested order (entity order when none).
fn matching_sorted<'a>(rows: &'a [Value], criteria: &Criteria) -> Vec<&'a Value> {
    let mut found: Vec<&Value> = rows
        .iter()
        .filter(|row| matches_all(row, criteria))
        .collect();
    let fields: Vec<&str> = criteria.sorts.iter().map(|(f, _)| f.as_str()).collect();
    sort_found(&mut found, criteria, |row, n| {
        row.get(fields[n]).unwrap_or(&Value::Null)
    });
    found
}

/// The `start..end` of the requested page among `total` rows. A page past the end is the
/// last page again (Magento's collections clamp the current page); no page size (or 0)
/// is every row.
pub(crate) fn page_range(total: usize, criteria: &Criteria) -> std::ops::Range<usize> {
    let Some(size) = criteria.page_size.filter(|s| *s > 0) else {
        return 0..total;
    };
    let last_page = (total as u64).div_ceil(size).max(1);
    let current = criteria.current_page.unwrap_or(1).clamp(1, last_page);
    let start = usize::try_from((current - 1).saturating_mul(size))
        .unwrap_or(usize::MAX)
        .min(total);
    let len = usize::try_from(size).unwrap_or(usize::MAX);
    start..start.saturating_add(len).min(total)
}

/// Filters, sorts and pages `rows`, returning the response envelope. A page past the end
/// is the last page again (Magento's collections clamp the current page).
pub(crate) fn search(rows: &[Value], criteria: &Criteria) -> Result<Value, SearchError> {
    search_with(rows, criteria, Value::clone)
}

/// [`search`], with each row of the page rendered by `render` (only the page's rows are
/// rendered, so a list view costs the page, not the table).
pub(crate) fn search_with(
    rows: &[Value],
    criteria: &Criteria,
    render: impl Fn(&Value) -> Value,
) -> Result<Value, SearchError> {
    check_fields(rows, criteria)?;
    let (page, total): (Vec<Value>, usize) =
        if criteria.groups.is_empty() && criteria.sorts.is_empty() {
            // Nothing dropped and entity order: the page is a slice of the rows, with no
            // per-request list of every row (what makes paging a large catalogue cheap).
            let range = page_range(rows.len(), criteria);
            (rows[range].iter().map(&render).collect(), rows.len())
        } else {
            let found = matching_sorted(rows, criteria);
            let range = page_range(found.len(), criteria);
            (
                found[range].iter().map(|row| render(row)).collect(),
                found.len(),
            )
        };
    Ok(envelope(page, criteria, total))
}

/// The answer of a search: the page's rows, the criteria echoed, the number of matches.
/// Built by moving the page in: `json!` would copy every row by serialising it, which
/// cost as much as rendering the page.
pub(crate) fn envelope(page: Vec<Value>, criteria: &Criteria, total: usize) -> Value {
    let mut answer = Map::new();
    answer.insert("items".to_owned(), Value::Array(page));
    answer.insert("search_criteria".to_owned(), criteria.echo());
    answer.insert("total_count".to_owned(), Value::from(total));
    Value::Object(answer)
}

/// Fails on the first filter or sort field for which `known` is false, as
/// [`search`] does for a field no row has.
pub(crate) fn check_known(
    criteria: &Criteria,
    known: impl Fn(&str) -> bool,
) -> Result<(), SearchError> {
    match criteria.fields().find(|field| !known(field)) {
        Some(field) => Err(SearchError::UnknownField(field.clone())),
        None => Ok(()),
    }
}

/// The echo Magento gives when a repository's criteria argument is optional and absent.
pub(crate) fn search_all(rows: &[Value]) -> Value {
    json!({ "items": rows, "search_criteria": {"filter_groups": []}, "total_count": rows.len() })
}

// ---- fields= projection ----------------------------------------------------------------

#[derive(Debug, PartialEq)]
pub(crate) struct Field {
    name: String,
    children: Vec<Field>,
}

/// Parses `items[id,payment[method]],total_count`.
pub(crate) fn parse_fields(spec: &str) -> Vec<Field> {
    fn list(chars: &[char], i: &mut usize) -> Vec<Field> {
        let mut fields = Vec::new();
        let mut name = String::new();
        while *i < chars.len() {
            let c = chars[*i];
            *i += 1;
            match c {
                ',' => {
                    push(&mut fields, &mut name, Vec::new());
                }
                '[' => {
                    let children = list(chars, i);
                    push(&mut fields, &mut name, children);
                }
                ']' => break,
                c => name.push(c),
            }
        }
        push(&mut fields, &mut name, Vec::new());
        fields
    }
    fn push(fields: &mut Vec<Field>, name: &mut String, children: Vec<Field>) {
        let trimmed = name.trim();
        if !trimmed.is_empty() {
            fields.push(Field {
                name: trimmed.to_owned(),
                children,
            });
        }
        name.clear();
    }
    let chars: Vec<char> = spec.chars().collect();
    let mut i = 0;
    list(&chars, &mut i)
}

/// Keeps only the listed keys of objects, element-wise through arrays.
pub(crate) fn project(value: &Value, fields: &[Field]) -> Value {
    if fields.is_empty() {
        return value.clone();
    }
    match value {
        Value::Array(list) => Value::Array(list.iter().map(|v| project(v, fields)).collect()),
        Value::Object(map) => {
            let mut out = Map::new();
            for field in fields {
                if let Some(v) = map.get(&field.name) {
                    out.insert(field.name.clone(), project(v, &field.children));
                }
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(list: &[(&str, &str)]) -> BTreeMap<String, String> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    fn rows() -> Vec<Value> {
        (1..=5).map(|i| json!({"id": i, "code": format!("c{i}"), "at": format!("2024-01-0{i} 00:00:00")})).collect()
    }

    #[test]
    fn absent_criteria_are_none_and_empty_criteria_are_present() {
        assert_eq!(Criteria::parse(&params(&[("fields", "items")])), None);
        assert_eq!(
            Criteria::parse(&params(&[("searchCriteria", "")])),
            Some(Criteria::default())
        );
    }

    #[test]
    fn groups_and_filters_combine_as_and_of_ors() {
        let c = Criteria::parse(&params(&[
            ("searchCriteria[filter_groups][0][filters][0][field]", "id"),
            ("searchCriteria[filter_groups][0][filters][0][value]", "1"),
            (
                "searchCriteria[filter_groups][0][filters][1][field]",
                "code",
            ),
            ("searchCriteria[filter_groups][0][filters][1][value]", "c4"),
            ("searchCriteria[filterGroups][1][filters][0][field]", "at"),
            (
                "searchCriteria[filterGroups][1][filters][0][value]",
                "2024-01-02 00:00:00",
            ),
            (
                "searchCriteria[filterGroups][1][filters][0][conditionType]",
                "gteq",
            ),
        ]))
        .expect("present");
        let out = search(&rows(), &c).expect("known fields");
        assert_eq!(out["total_count"], 1);
        assert_eq!(out["items"][0]["id"], 4);
    }

    #[test]
    fn pages_clamp_to_the_last_page_and_sorting_honours_direction() {
        let c = Criteria::parse(&params(&[
            ("searchCriteria[pageSize]", "2"),
            ("searchCriteria[currentPage]", "9"),
            ("searchCriteria[sortOrders][0][field]", "id"),
            ("searchCriteria[sortOrders][0][direction]", "DESC"),
        ]))
        .expect("present");
        let out = search(&rows(), &c).expect("ok");
        assert_eq!(out["total_count"], 5);
        assert_eq!(out["items"], json!([rows()[0]]));
        assert_eq!(out["search_criteria"]["current_page"], 9);
    }

    #[test]
    fn in_and_nin_match_text_exactly_and_numbers_numerically() {
        let text = json!({"sku": "MUG-1", "qty": 2, "gone": null});
        let filter = |field: &str, value: &str, condition: &str| {
            Filter::new(field.into(), value.into(), condition.into())
        };
        assert!(matches(&text, &filter("sku", "CAP, MUG-1", "in")));
        assert!(!matches(&text, &filter("sku", "mug-1", "in")));
        assert!(matches(&text, &filter("qty", "1,2.0", "in")));
        assert!(matches(&text, &filter("sku", "CAP", "nin")));
        assert!(!matches(&text, &filter("gone", "CAP", "nin")));
    }

    #[test]
    fn an_alias_sorts_and_filters_on_the_key_column() {
        let c = Criteria::parse(&params(&[
            ("searchCriteria[sortOrders][0][field]", "entity_id"),
            ("searchCriteria[sortOrders][0][direction]", "DESC"),
            (
                "searchCriteria[filter_groups][0][filters][0][field]",
                "entity_id",
            ),
            ("searchCriteria[filter_groups][0][filters][0][value]", "1"),
            (
                "searchCriteria[filter_groups][0][filters][0][condition_type]",
                "gt",
            ),
        ]))
        .expect("present");
        assert!(search(&rows(), &c).is_err(), "rows have no entity_id");
        let found = search(&rows(), &c.with_alias("entity_id", "id")).expect("ok");
        let ids: Vec<&Value> = found["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|r| &r["id"])
            .collect();
        assert_eq!(ids, [&json!(5), &json!(4), &json!(3), &json!(2)]);
    }

    #[test]
    fn in_like_and_unknown_fields() {
        let c = Criteria::parse(&params(&[
            ("searchCriteria[filter_groups][0][filters][0][field]", "id"),
            (
                "searchCriteria[filter_groups][0][filters][0][value]",
                "2, 3",
            ),
            (
                "searchCriteria[filter_groups][0][filters][0][condition_type]",
                "in",
            ),
            (
                "searchCriteria[filter_groups][1][filters][0][field]",
                "code",
            ),
            ("searchCriteria[filter_groups][1][filters][0][value]", "C%"),
            (
                "searchCriteria[filter_groups][1][filters][0][condition_type]",
                "like",
            ),
        ]))
        .expect("present");
        assert_eq!(search(&rows(), &c).expect("ok")["total_count"], 2);
        let bad = Criteria::parse(&params(&[(
            "searchCriteria[filter_groups][0][filters][0][field]",
            "nope",
        )]))
        .expect("present");
        assert_eq!(
            search(&rows(), &bad),
            Err(SearchError::UnknownField("nope".into()))
        );
    }

    #[test]
    fn the_unfiltered_path_pages_exactly_like_the_filtered_one() {
        let everything = ("searchCriteria[filter_groups][0][filters][0][field]", "id");
        let condition = (
            "searchCriteria[filter_groups][0][filters][0][condition_type]",
            "notnull",
        );
        for (size, page) in [("2", "1"), ("2", "3"), ("2", "9"), ("0", "1"), ("7", "2")] {
            let paging = [
                ("searchCriteria[pageSize]", size),
                ("searchCriteria[currentPage]", page),
            ];
            let plain = Criteria::parse(&params(&paging)).expect("present");
            let filtered = Criteria::parse(&params(&[paging[0], paging[1], everything, condition]))
                .expect("present");
            let (a, b) = (
                search(&rows(), &plain).expect("ok"),
                search(&rows(), &filtered).expect("ok"),
            );
            assert_eq!(a["items"], b["items"], "page {page} of {size}");
            assert_eq!(a["total_count"], 5);
        }
        let empty =
            Criteria::parse(&params(&[("searchCriteria[pageSize]", "2")])).expect("present");
        assert_eq!(search(&[], &empty).expect("ok")["items"], json!([]));
        let render = |row: &Value| json!(row["id"]);
        let ids = search_with(&rows(), &empty, render).expect("ok");
        assert_eq!(ids["items"], json!([1, 2]));
    }

    #[test]
    fn projection_keeps_listed_paths() {
        let doc = json!({"items": [{"a": 1, "b": {"c": 2, "d": 3}, "e": 4}], "total_count": 1, "search_criteria": {}});
        let fields = parse_fields("items[b[c],e],total_count");
        assert_eq!(
            project(&doc, &fields),
            json!({"items": [{"b": {"c": 2}, "e": 4}], "total_count": 1})
        );
    }
}
