//! Incremental reads on `updated_at`. Magento stores second-granularity UTC timestamps
//! and a row can commit after a later-stamped one, so each read re-reads an overlap
//! before the high-water mark and stops a little before now; what was already seen is
//! dropped by `(entity id, updated_at)`.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::search::SearchCriteria;

/// Magento's timestamp format in filters: UTC, no zone.
pub fn magento_timestamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdatedWindow {
    /// The newest `updated_at` already processed; `None` reads from the beginning.
    pub high_water: Option<DateTime<Utc>>,
    /// How far before the high-water mark each read starts again.
    pub overlap: Duration,
    /// How long before now a read stops, so rows still being written are read next time.
    pub settle: Duration,
}

impl UpdatedWindow {
    pub fn new(high_water: Option<DateTime<Utc>>) -> Self {
        Self {
            high_water,
            overlap: Duration::from_secs(120),
            settle: Duration::from_secs(2),
        }
    }

    /// Criteria for rows updated in `[high_water - overlap, now - settle)`, oldest first
    /// (ties by entity id, so paging is stable), and the read's upper bound.
    pub fn criteria(&self, now: DateTime<Utc>, id_field: &str) -> (SearchCriteria, DateTime<Utc>) {
        let upper = now - chrono::Duration::from_std(self.settle).unwrap_or_default();
        let mut criteria = SearchCriteria::new();
        if let Some(high_water) = self.high_water {
            let from = high_water - chrono::Duration::from_std(self.overlap).unwrap_or_default();
            criteria = criteria.filter("updated_at", &magento_timestamp(from), "gteq");
        }
        let criteria = criteria
            .filter("updated_at", &magento_timestamp(upper), "lt")
            .sort("updated_at", true)
            .sort(id_field, true);
        (criteria, upper)
    }

    /// The new high-water mark after processing rows stamped `seen`.
    pub fn advance(&self, seen: impl IntoIterator<Item = DateTime<Utc>>) -> Option<DateTime<Utc>> {
        seen.into_iter().fold(self.high_water, |hw, at| {
            Some(hw.map_or(at, |hw| hw.max(at)))
        })
    }
}

/// Drops rows already handled in an overlapping read: the same entity at the same
/// `updated_at` is the same version of it.
#[derive(Debug, Default)]
pub struct SeenVersions {
    seen: HashSet<(i64, DateTime<Utc>)>,
}

impl SeenVersions {
    /// `true` the first time this version of the entity is offered.
    pub fn first_time(&mut self, entity_id: i64, updated_at: DateTime<Utc>) -> bool {
        self.seen.insert((entity_id, updated_at))
    }

    /// Forgets versions older than the overlap can reach, so memory stays bounded.
    pub fn forget_before(&mut self, cutoff: DateTime<Utc>) {
        self.seen.retain(|(_, at)| *at >= cutoff);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, h, m, s)
            .single()
            .expect("valid")
    }

    fn value_of<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
        query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn a_read_starts_an_overlap_before_the_high_water_mark_and_stops_before_now() {
        let window = UpdatedWindow::new(Some(at(10, 0, 0)));
        let (criteria, upper) = window.criteria(at(10, 30, 0), "entity_id");
        let query = criteria.to_query().expect("query");
        let g = "searchCriteria[filter_groups]";
        assert_eq!(
            value_of(&query, &format!("{g}[0][filters][0][value]")),
            Some("2026-11-27 09:58:00")
        );
        assert_eq!(
            value_of(&query, &format!("{g}[0][filters][0][condition_type]")),
            Some("gteq")
        );
        assert_eq!(
            value_of(&query, &format!("{g}[1][filters][0][value]")),
            Some("2026-11-27 10:29:58")
        );
        assert_eq!(
            value_of(&query, &format!("{g}[1][filters][0][condition_type]")),
            Some("lt")
        );
        assert_eq!(
            value_of(&query, "searchCriteria[sortOrders][0][field]"),
            Some("updated_at")
        );
        assert_eq!(
            value_of(&query, "searchCriteria[sortOrders][1][field]"),
            Some("entity_id")
        );
        assert_eq!(upper, at(10, 29, 58));
    }

    #[test]
    fn a_first_read_has_no_lower_bound() {
        let (criteria, _) = UpdatedWindow::new(None).criteria(at(10, 0, 0), "entity_id");
        let query = criteria.to_query().expect("query");
        assert_eq!(
            value_of(
                &query,
                "searchCriteria[filter_groups][0][filters][0][condition_type]"
            ),
            Some("lt")
        );
    }

    #[test]
    fn the_high_water_mark_only_moves_forward() {
        let window = UpdatedWindow::new(Some(at(10, 0, 0)));
        assert_eq!(
            window.advance([at(9, 59, 0), at(10, 5, 0), at(10, 1, 0)]),
            Some(at(10, 5, 0))
        );
        assert_eq!(window.advance([at(9, 0, 0)]), Some(at(10, 0, 0)));
        assert_eq!(UpdatedWindow::new(None).advance([]), None);
    }

    #[test]
    fn a_version_seen_in_an_earlier_overlapping_read_is_dropped() {
        let mut seen = SeenVersions::default();
        assert!(seen.first_time(7, at(10, 0, 0)));
        assert!(!seen.first_time(7, at(10, 0, 0)));
        assert!(
            seen.first_time(7, at(10, 0, 1)),
            "a newer version of the same order is new"
        );
        seen.forget_before(at(10, 0, 1));
        assert!(seen.first_time(7, at(10, 0, 0)));
    }
}
