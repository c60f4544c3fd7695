//! `searchCriteria` over a sales collection, answered from its indexes when the criteria
//! are the shapes the order pipeline sends: an `updated_at` window sorted by
//! `updated_at` then `entity_id`, an `entity_id` list, plain paging in entity order.
//! Anything else is a scan with [`crate::search`]'s semantics, one rendered row at a
//! time. Either way the answer is the one `search::search` gives on the rendered rows.

use std::ops::Range;

use serde_json::Value;

use super::SalesRows;
use crate::search::{
    Criteria, Filter, SearchError, check_known, envelope, is_ascending, matches_all, page_range,
    sort_found, sort_values,
};

const ID: &str = "entity_id";
const UPDATED: &str = "updated_at";

/// Filters, sorts and pages the collection, returning the response envelope.
pub(crate) fn search(rows: &SalesRows, criteria: &Criteria) -> Result<Value, SearchError> {
    check_known(criteria, |field| rows.has_field(field))?;
    let found =
        plan(rows, criteria).unwrap_or_else(|| Found::Listed(scan(rows, 0..rows.len(), criteria)));
    let range = page_range(found.len(), criteria);
    let page = range
        .filter_map(|rank| found.position(rows, rank))
        .filter_map(|position| rows.render(position))
        .map(std::borrow::Cow::into_owned)
        .collect();
    Ok(envelope(page, criteria, found.len()))
}

/// The matching rows in answer order, as positions.
enum Found {
    /// Positions `range` in entity order, or the reverse.
    Positions {
        range: Range<usize>,
        reversed: bool,
    },
    /// Ranks `range` of the `updated_at` index, or the reverse.
    Updated {
        range: Range<usize>,
        reversed: bool,
    },
    Listed(Vec<usize>),
}

impl Found {
    fn len(&self) -> usize {
        match self {
            Found::Positions { range, .. } | Found::Updated { range, .. } => range.len(),
            Found::Listed(positions) => positions.len(),
        }
    }

    fn position(&self, rows: &SalesRows, rank: usize) -> Option<usize> {
        let nth = |range: &Range<usize>, reversed: bool| {
            if reversed {
                range.end.checked_sub(rank + 1)
            } else {
                Some(range.start + rank)
            }
        };
        match self {
            Found::Positions { range, reversed } => nth(range, *reversed),
            Found::Updated { range, reversed } => rows.index.updated.slot(nth(range, *reversed)?),
            Found::Listed(positions) => positions.get(rank).copied(),
        }
    }
}

/// The rows the filters keep among `positions` (ascending), sorted as asked: what
/// `search::search` computes, rendering one row at a time and keeping only its sort
/// values (a scan of lazy rows never holds them all rendered).
fn scan(
    rows: &SalesRows,
    positions: impl IntoIterator<Item = usize>,
    criteria: &Criteria,
) -> Vec<usize> {
    let mut found: Vec<(usize, Vec<Value>)> = positions
        .into_iter()
        .filter_map(|position| {
            let row = rows.render(position)?;
            matches_all(&row, criteria).then(|| (position, sort_values(&row, criteria)))
        })
        .collect();
    sort_found(&mut found, criteria, |(_, values), n| &values[n]);
    found.into_iter().map(|(position, _)| position).collect()
}

/// The answer order the sorts ask for, when an index has it.
enum Order {
    /// Entity order (no sort, or `entity_id` first).
    Entity { reversed: bool },
    /// `updated_at`, ties in entity order.
    Updated { reversed: bool },
}

/// The sort orders as an index order. A sort after `entity_id` changes nothing (ids are
/// unique). `updated_at` descending alone keeps ties ascending, which no index order is.
fn order(criteria: &Criteria) -> Option<Order> {
    let mut sorts = criteria
        .sorts()
        .iter()
        .map(|(f, d)| (f.as_str(), is_ascending(d)));
    match (sorts.next(), sorts.next()) {
        (None, _) => Some(Order::Entity { reversed: false }),
        (Some((ID, ascending)), _) => Some(Order::Entity {
            reversed: !ascending,
        }),
        (Some((UPDATED, true)), None) => Some(Order::Updated { reversed: false }),
        (Some((UPDATED, first)), Some((ID, second))) if first == second => {
            Some(Order::Updated { reversed: !first })
        }
        _ => None,
    }
}

/// A filter the indexes answer.
enum Condition<'a> {
    /// `entity_id` equal to one of these.
    Ids(Vec<i64>),
    /// `entity_id` compared numerically with a number (`None`: nothing matches).
    IdRange(&'a str, Option<f64>),
    /// `updated_at` compared as text.
    Updated(&'a str, &'a str),
}

/// The filter's number, as the generic search reads it to compare a numeric column.
fn wanted_number(value: &str) -> Option<f64> {
    value.trim().parse().ok()
}

/// An id a listed number names: an integral value in range (`3.0` names 3).
fn named_id(number: f64) -> Option<i64> {
    let id = number as i64;
    (number.fract() == 0.0 && id as f64 == number).then_some(id)
}

fn condition(filter: &Filter) -> Option<Condition<'_>> {
    let (field, value, kind) = (filter.field(), filter.value(), filter.condition());
    match (field, kind) {
        (ID, "in") => Some(Condition::Ids(
            filter
                .items()
                .iter()
                .filter_map(|item| named_id(wanted_number(item)?))
                .collect(),
        )),
        (ID, "eq") => Some(Condition::Ids(
            wanted_number(value)
                .and_then(named_id)
                .into_iter()
                .collect(),
        )),
        (ID, "gt" | "gteq" | "from" | "moreq" | "lt" | "lteq" | "to") => {
            Some(Condition::IdRange(kind, wanted_number(value)))
        }
        (UPDATED, "eq" | "gt" | "gteq" | "from" | "moreq" | "lt" | "lteq" | "to") => {
            Some(Condition::Updated(kind, value))
        }
        _ => None,
    }
}

/// The ranks of the `updated_at` index a text condition keeps.
fn updated_ranks(rows: &SalesRows, kind: &str, wanted: &str) -> Range<usize> {
    let index = &rows.index.updated;
    let (below, at_most) = (index.rank(wanted, false), index.rank(wanted, true));
    match kind {
        "eq" => below..at_most,
        "gt" => at_most..index.len(),
        "gteq" | "from" | "moreq" => below..index.len(),
        "lt" => 0..below,
        _ => 0..at_most,
    }
}

/// The positions (ids ascending) a numeric id condition keeps.
fn id_positions(rows: &SalesRows, kind: &str, wanted: Option<f64>) -> Range<usize> {
    // A filter value that is no number (or NaN) compares with nothing.
    let Some(wanted) = wanted.filter(|w| !w.is_nan()) else {
        return 0..0;
    };
    let ids = &rows.index.ids;
    let ordering = |id: &Option<i64>| {
        (id.unwrap_or_default() as f64)
            .partial_cmp(&wanted)
            .unwrap_or(std::cmp::Ordering::Less)
    };
    let below = ids.partition_point(|id| ordering(id).is_lt());
    let at_most = ids.partition_point(|id| ordering(id).is_le());
    match kind {
        "gt" => at_most..ids.len(),
        "gteq" | "from" | "moreq" => below..ids.len(),
        "lt" => 0..below,
        _ => 0..at_most,
    }
}

fn intersect(a: Range<usize>, b: Range<usize>) -> Range<usize> {
    let start = a.start.max(b.start);
    start..a.end.min(b.end).max(start)
}

/// The answer from the indexes, or `None` when they cannot give it.
fn plan(rows: &SalesRows, criteria: &Criteria) -> Option<Found> {
    // Positions are entity order and ids are unique only when ids ascend.
    if !rows.index.ids_ascend && !rows.is_empty() {
        return None;
    }
    let order = order(criteria)?;
    let mut ids: Option<Vec<i64>> = None;
    let mut positions = 0..rows.len();
    let mut updated: Option<Range<usize>> = None;
    let timed = rows.index.updated.is_complete();
    for group in criteria.groups() {
        let [filter] = group.as_slice() else {
            return None;
        };
        match condition(filter)? {
            Condition::Ids(mut listed) => {
                if let Some(earlier) = &ids {
                    listed.retain(|id| earlier.contains(id));
                }
                ids = Some(listed);
            }
            Condition::IdRange(kind, wanted) => {
                positions = intersect(positions, id_positions(rows, kind, wanted));
            }
            Condition::Updated(kind, wanted) if timed => {
                let ranks = updated_ranks(rows, kind, wanted);
                updated = Some(match updated {
                    Some(earlier) => intersect(earlier, ranks),
                    None => ranks,
                });
            }
            Condition::Updated(..) => return None,
        }
    }
    if let Some(ids) = ids {
        // A short list: its rows, through the generic filters and sorts.
        let mut listed: Vec<usize> = ids.iter().filter_map(|id| rows.position_of(*id)).collect();
        listed.sort_unstable();
        listed.dedup();
        return Some(Found::Listed(scan(rows, listed, criteria)));
    }
    let in_positions = |position: &usize| positions.contains(position);
    match (order, updated) {
        (Order::Entity { reversed }, None) => Some(Found::Positions {
            range: positions,
            reversed,
        }),
        (Order::Entity { reversed }, Some(ranks)) => {
            let mut listed: Vec<usize> = ranks
                .filter_map(|rank| rows.index.updated.slot(rank))
                .filter(in_positions)
                .collect();
            listed.sort_unstable();
            if reversed {
                listed.reverse();
            }
            Some(Found::Listed(listed))
        }
        (Order::Updated { .. }, _) if !timed => None,
        (Order::Updated { reversed }, ranks) => {
            let ranks = ranks.unwrap_or(0..rows.index.updated.len());
            if positions == (0..rows.len()) {
                return Some(Found::Updated {
                    range: ranks,
                    reversed,
                });
            }
            let mut listed: Vec<usize> = ranks
                .filter_map(|rank| rows.index.updated.slot(rank))
                .filter(in_positions)
                .collect();
            if reversed {
                listed.reverse();
            }
            Some(Found::Listed(listed))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search;
    use serde_json::json;
    use std::collections::BTreeMap;

    fn criteria(list: &[(&str, &str)]) -> Criteria {
        let params: BTreeMap<String, String> = list
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        Criteria::parse(&params).unwrap_or_default()
    }

    fn filter(g: usize, field: &str, value: &str, condition: &str) -> Vec<(String, String)> {
        let prefix = format!("searchCriteria[filter_groups][{g}][filters][0]");
        vec![
            (format!("{prefix}[field]"), field.to_owned()),
            (format!("{prefix}[value]"), value.to_owned()),
            (format!("{prefix}[condition_type]"), condition.to_owned()),
        ]
    }

    fn rows() -> Vec<Value> {
        // Ties in `updated_at`, and rows whose stamp went forward.
        (1..=40)
            .map(|id| {
                let day = if id % 7 == 0 { 30 } else { 1 + id / 3 };
                json!({"entity_id": id, "status": if id % 2 == 0 { "a" } else { "b" },
                       "updated_at": format!("2025-01-{day:02} 00:00:00")})
            })
            .collect()
    }

    #[test]
    fn every_plan_answers_what_the_scan_answers() {
        let plain = rows();
        let indexed = SalesRows::from(plain.clone());
        let sorts: [&[(&str, &str)]; 7] = [
            &[],
            &[("entity_id", "ASC")],
            &[("entity_id", "DESC")],
            &[("updated_at", "ASC"), ("entity_id", "ASC")],
            &[("updated_at", "DESC"), ("entity_id", "DESC")],
            &[("updated_at", "asc")],
            &[("updated_at", "DESC")],
        ];
        let filters: [Vec<Vec<(String, String)>>; 8] = [
            vec![],
            vec![filter(0, "updated_at", "2025-01-05 00:00:00", "gteq")],
            vec![
                filter(0, "updated_at", "2025-01-05 00:00:00", "gteq"),
                filter(1, "updated_at", "2025-01-09 00:00:00", "lt"),
            ],
            vec![filter(0, "entity_id", "3, 9,1.0,x,14", "in")],
            vec![
                filter(0, "entity_id", "10", "gt"),
                filter(1, "updated_at", "2025-01-30 00:00:00", "eq"),
            ],
            vec![filter(0, "entity_id", "12", "lteq")],
            vec![filter(0, "status", "a", "eq")],
            vec![
                filter(0, "entity_id", "1,2,3,4,5,6,7", "in"),
                filter(1, "updated_at", "2025-01-02 00:00:00", "gt"),
            ],
        ];
        for sort in sorts {
            for groups in &filters {
                for (size, page) in [("0", "1"), ("4", "1"), ("4", "3"), ("4", "99"), ("7", "2")] {
                    let mut list: Vec<(String, String)> =
                        groups.iter().flatten().cloned().collect();
                    for (i, (field, direction)) in sort.iter().enumerate() {
                        list.push((
                            format!("searchCriteria[sortOrders][{i}][field]"),
                            (*field).to_owned(),
                        ));
                        list.push((
                            format!("searchCriteria[sortOrders][{i}][direction]"),
                            (*direction).to_owned(),
                        ));
                    }
                    list.push(("searchCriteria[pageSize]".into(), size.into()));
                    list.push(("searchCriteria[currentPage]".into(), page.into()));
                    let pairs: Vec<(&str, &str)> =
                        list.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
                    let c = criteria(&pairs);
                    assert_eq!(
                        search(&indexed, &c),
                        search::search(&plain, &c),
                        "{pairs:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_pipelines_searches_are_answered_by_the_indexes() {
        let indexed = SalesRows::from(rows());
        let mut poll: Vec<(String, String)> =
            filter(0, "updated_at", "2025-01-05 00:00:00", "gteq");
        poll.extend(filter(1, "updated_at", "2025-01-09 00:00:00", "lt"));
        poll.push((
            "searchCriteria[sortOrders][0][field]".into(),
            "updated_at".into(),
        ));
        poll.push((
            "searchCriteria[sortOrders][0][direction]".into(),
            "ASC".into(),
        ));
        poll.push((
            "searchCriteria[sortOrders][1][field]".into(),
            "entity_id".into(),
        ));
        poll.push((
            "searchCriteria[sortOrders][1][direction]".into(),
            "ASC".into(),
        ));
        poll.push(("searchCriteria[pageSize]".into(), "300".into()));
        let retry = filter(0, "entity_id", "4,5", "in");
        for list in [
            poll,
            retry,
            vec![("searchCriteria[pageSize]".into(), "3".into())],
        ] {
            let pairs: Vec<(&str, &str)> =
                list.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
            assert!(plan(&indexed, &criteria(&pairs)).is_some(), "{pairs:?}");
        }
        let newest = criteria(&[
            ("searchCriteria[sortOrders][0][field]", "updated_at"),
            ("searchCriteria[sortOrders][0][direction]", "DESC"),
        ]);
        assert!(
            plan(&indexed, &newest).is_none(),
            "ties would come out reversed"
        );
    }

    #[test]
    fn unknown_fields_fail_as_the_scan_does() {
        let plain = rows();
        let indexed = SalesRows::from(plain.clone());
        let c = criteria(&[
            (
                "searchCriteria[filter_groups][0][filters][0][field]",
                "nope",
            ),
            ("searchCriteria[sortOrders][0][field]", "other"),
        ]);
        assert_eq!(search(&indexed, &c), search::search(&plain, &c));
        assert!(search(&indexed, &c).is_err());
        let empty = SalesRows::default();
        let c = criteria(&[("searchCriteria[pageSize]", "5")]);
        assert_eq!(search(&empty, &c), search::search(&[], &c));
    }
}
