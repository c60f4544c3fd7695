//! The indexed searches against the scan of the rendered rows, on a generated shop whose
//! orders were changed by every kind of operation (so their `updated_at` moved, some
//! back into the generated range, some to one shared minute).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use serde_json::Value;

use super::SalesRows;
use crate::search::{self, Criteria};
use crate::shop::Shop;

fn at(year: i32, month: u32, day: u32, minute: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, day, 0, 0, 0)
        .single()
        .unwrap_or_default()
        + Duration::minutes(minute)
}

/// 2,000 generated orders (placed between July 2024 and January 2025), a tenth of them
/// changed afterwards.
fn changed_shop() -> Shop {
    let mut seed = crate::seed::seed("http://127.0.0.1:1", at(2026, 6, 1, 0));
    let mut shop = Shop::from_seed(&mut seed);
    let spec = crate::GenerateSpec {
        products: 3_000,
        orders: 2_000,
        seed: 4,
    };
    crate::generate::generate(&mut shop, &spec).expect("generates");
    for id in (5..2_003).step_by(10) {
        // Into the generated range, or all at one minute (ties broken by entity id).
        let when = match id % 3 {
            0 => at(2024, 9, 1, id),
            _ => at(2026, 6, 2, 0),
        };
        let _ = match id % 7 {
            0 => crate::orders::invoice(&mut shop, id, &Default::default(), when).map(drop),
            1 => crate::orders::ship(&mut shop, id, &Default::default(), when).map(drop),
            2 => crate::orders::cancel(&mut shop, id, when),
            3 => crate::orders::refund(&mut shop, id, &Default::default(), when).map(drop),
            4 => crate::orders::edit(&mut shop, id, &Default::default(), when).map(drop),
            _ => crate::orders::add_comment_route(
                &mut shop,
                &id.to_string(),
                br#"{"statusHistory":{"comment":"checked"}}"#,
                when,
            )
            .map(drop),
        };
    }
    shop
}

fn filter(group: usize, field: &str, value: &str, condition: &str) -> [(String, String); 3] {
    let prefix = format!("searchCriteria[filter_groups][{group}][filters][0]");
    [
        (format!("{prefix}[field]"), field.to_owned()),
        (format!("{prefix}[value]"), value.to_owned()),
        (format!("{prefix}[condition_type]"), condition.to_owned()),
    ]
}

fn criteria(
    filters: &[[(String, String); 3]],
    sorts: &[(&str, &str)],
    (size, page): (&str, &str),
) -> Criteria {
    let mut params: BTreeMap<String, String> = filters.iter().flatten().cloned().collect();
    for (i, (field, direction)) in sorts.iter().enumerate() {
        params.insert(
            format!("searchCriteria[sortOrders][{i}][field]"),
            (*field).to_owned(),
        );
        params.insert(
            format!("searchCriteria[sortOrders][{i}][direction]"),
            (*direction).to_owned(),
        );
    }
    params.insert("searchCriteria[pageSize]".into(), size.into());
    params.insert("searchCriteria[currentPage]".into(), page.into());
    Criteria::parse(&params).unwrap_or_default()
}

fn rendered(rows: &SalesRows) -> Vec<Value> {
    rows.iter().map(std::borrow::Cow::into_owned).collect()
}

fn assert_same(rows: &SalesRows, plain: &[Value], c: &Criteria) {
    let indexed = super::search(rows, c);
    assert_eq!(indexed, search::search(plain, c), "{c:?}");
}

const WINDOW: [(&str, &str); 2] = [
    ("2024-09-01 00:00:00", "2024-11-15 12:00:00"),
    ("2024-07-01 00:00:00", "2026-06-02 00:00:00"),
];
const PAGES: [(&str, &str); 4] = [("100", "1"), ("100", "4"), ("300", "999"), ("7", "2")];

#[test]
fn windows_lists_and_paging_answer_what_the_scan_answers() {
    let shop = changed_shop();
    let orders = rendered(&shop.orders);
    let changed = orders
        .iter()
        .filter(|o| o["updated_at"] != o["created_at"])
        .count();
    assert!(changed > 100, "{changed} orders changed");
    let polled: &[(&str, &str)] = &[("updated_at", "ASC"), ("entity_id", "ASC")];
    let sorts: [&[(&str, &str)]; 5] = [
        polled,
        &[("updated_at", "ASC")],
        &[("updated_at", "DESC"), ("entity_id", "DESC")],
        &[("entity_id", "ASC")],
        &[],
    ];
    for sort in sorts {
        for (from, to) in WINDOW {
            let window = [
                filter(0, "updated_at", from, "gteq"),
                filter(1, "updated_at", to, "lt"),
            ];
            for page in PAGES {
                assert_same(&shop.orders, &orders, &criteria(&window, sort, page));
            }
        }
        let open = [filter(0, "updated_at", "2026-06-02 00:00:00", "gteq")];
        assert_same(&shop.orders, &orders, &criteria(&open, sort, ("25", "1")));
        let tie = [filter(0, "updated_at", "2026-06-02 00:00:00", "eq")];
        assert_same(&shop.orders, &orders, &criteria(&tie, sort, ("5", "2")));
        // No page size: every match.
        assert_same(&shop.orders, &orders, &criteria(&tie, sort, ("0", "1")));
        for page in PAGES {
            assert_same(&shop.orders, &orders, &criteria(&[], sort, page));
        }
    }
}

#[test]
fn id_lists_and_searches_the_indexes_cannot_answer_match_the_scan() {
    let shop = changed_shop();
    let orders = rendered(&shop.orders);
    let polled: &[(&str, &str)] = &[("updated_at", "ASC"), ("entity_id", "ASC")];
    // Retries: a few ids, one changed, one unknown, one repeated, one as a float.
    let listed = [filter(0, "entity_id", "15, 1999,7,99999, 7,25.0", "in")];
    for sort in [polled, &[][..]] {
        assert_same(
            &shop.orders,
            &orders,
            &criteria(&listed, sort, ("300", "1")),
        );
        let windowed = [
            listed[0].clone(),
            filter(1, "updated_at", "2024-09-01 00:00:00", "gteq"),
        ];
        assert_same(
            &shop.orders,
            &orders,
            &criteria(&windowed, sort, ("300", "1")),
        );
    }
    let past = [filter(0, "entity_id", "1990", "gt")];
    assert_same(&shop.orders, &orders, &criteria(&past, polled, ("4", "2")));
    // Scans: another column, a descending `updated_at` alone, an unknown column.
    let status = [filter(0, "status", "processing", "eq")];
    assert_same(
        &shop.orders,
        &orders,
        &criteria(&status, polled, ("50", "3")),
    );
    let newest = [("updated_at", "DESC")];
    assert_same(&shop.orders, &orders, &criteria(&[], &newest, ("50", "1")));
    let unknown = [filter(0, "no_such_column", "1", "eq")];
    assert_same(&shop.orders, &orders, &criteria(&unknown, &[], ("5", "1")));
}

#[test]
fn invoices_and_credit_memos_page_by_window_like_the_scan() {
    let shop = changed_shop();
    let polled: &[(&str, &str)] = &[("updated_at", "ASC"), ("entity_id", "ASC")];
    for rows in [&shop.invoices, &shop.creditmemos, &shop.shipments] {
        let plain = rendered(rows);
        for (from, to) in WINDOW {
            let window = [
                filter(0, "updated_at", from, "gteq"),
                filter(1, "updated_at", to, "lt"),
            ];
            for page in PAGES {
                assert_same(rows, &plain, &criteria(&window, polled, page));
            }
        }
        let listed = [filter(0, "entity_id", "1,2,3,40", "in")];
        assert_same(rows, &plain, &criteria(&listed, polled, ("10", "1")));
    }
}

#[test]
fn the_top_level_keys_of_a_placement_are_those_of_its_shape() {
    let shop = changed_shop();
    let mut keys_by_shape: BTreeMap<u16, Vec<String>> = BTreeMap::new();
    for (slot, index_shape) in shop.orders.slots.iter().filter_map(|slot| match slot {
        super::Slot::Lazy(lazy) => Some((lazy, lazy.shape())),
        super::Slot::Stored(_) => None,
    }) {
        let keys: Vec<String> = match slot.render() {
            Value::Object(map) => map.keys().cloned().collect(),
            _ => Vec::new(),
        };
        let known = keys_by_shape
            .entry(index_shape)
            .or_insert_with(|| keys.clone());
        assert_eq!(*known, keys, "shape {index_shape:#x}");
    }
    assert!(keys_by_shape.len() >= 8, "{} shapes", keys_by_shape.len());
}
