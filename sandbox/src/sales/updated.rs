//! The rows of a sales collection in `updated_at` order, kept as the rows change, so a
//! window of `updated_at` is two binary searches and a page of it a slice.

use std::cmp::Ordering;

/// Slot positions sorted by `(updated_at, position)`: the order a stable sort on
/// `updated_at` leaves rows that are in position order.
#[derive(Debug, Default, Clone)]
pub(super) struct UpdatedIndex {
    /// Each slot's `updated_at` when it is a string (MySQL compares those as text).
    keys: Vec<Option<Box<str>>>,
    /// The slots that have a key.
    order: Vec<usize>,
    /// Slots whose `updated_at` is missing or not a string: their order against the
    /// others is not text order, so while there are any the index answers nothing.
    untimed: usize,
}

impl UpdatedIndex {
    fn key(&self, slot: usize) -> &str {
        self.keys
            .get(slot)
            .and_then(|k| k.as_deref())
            .unwrap_or_default()
    }

    fn cmp_entry(&self, slot: usize, key: &str, position: usize) -> Ordering {
        self.key(slot).cmp(key).then(slot.cmp(&position))
    }

    /// Registers the next slot (position `keys.len()`).
    pub fn push(&mut self, key: Option<&str>) {
        let slot = self.keys.len();
        self.keys.push(key.map(Box::from));
        match key {
            Some(key) => self.insert(slot, key),
            None => self.untimed += 1,
        }
    }

    /// The slot's `updated_at` changed. A changed slot moves to its new place: O(n) moves
    /// of a word each, which a write can afford.
    pub fn set(&mut self, slot: usize, key: Option<&str>) {
        let Some(old) = self.keys.get(slot).cloned() else {
            return;
        };
        if old.as_deref() == key {
            return;
        }
        match old.as_deref() {
            Some(old) => {
                let at = self
                    .order
                    .partition_point(|&s| self.cmp_entry(s, old, slot) == Ordering::Less);
                if self.order.get(at) == Some(&slot) {
                    self.order.remove(at);
                } else {
                    self.order.retain(|&s| s != slot);
                }
            }
            None => self.untimed = self.untimed.saturating_sub(1),
        }
        self.keys[slot] = key.map(Box::from);
        match key {
            Some(key) => self.insert(slot, key),
            None => self.untimed += 1,
        }
    }

    /// Puts a slot that is not in the order into it.
    fn insert(&mut self, slot: usize, key: &str) {
        let at = self
            .order
            .partition_point(|&s| self.cmp_entry(s, key, slot) == Ordering::Less);
        self.order.insert(at, slot);
    }

    /// Whether every slot has a text `updated_at`.
    pub fn is_complete(&self) -> bool {
        self.untimed == 0
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// The slot at rank `rank` of the order.
    pub fn slot(&self, rank: usize) -> Option<usize> {
        self.order.get(rank).copied()
    }

    /// The number of entries whose key is below `wanted` (or at most `wanted` when
    /// `inclusive`): the rank where a bound at `wanted` falls.
    pub fn rank(&self, wanted: &str, inclusive: bool) -> usize {
        self.order
            .partition_point(|&s| match self.key(s).cmp(wanted) {
                Ordering::Less => true,
                Ordering::Equal => inclusive,
                Ordering::Greater => false,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranks(index: &UpdatedIndex) -> Vec<usize> {
        (0..index.len()).filter_map(|r| index.slot(r)).collect()
    }

    #[test]
    fn slots_stay_in_key_then_position_order_as_keys_change() {
        let mut index = UpdatedIndex::default();
        for key in ["b", "a", "b", "c"] {
            index.push(Some(key));
        }
        assert_eq!(ranks(&index), [1, 0, 2, 3]);
        index.set(0, Some("d"));
        assert_eq!(ranks(&index), [1, 2, 3, 0]);
        assert_eq!((index.rank("b", false), index.rank("b", true)), (1, 2));
        index.set(2, None);
        assert!(!index.is_complete());
        assert_eq!(ranks(&index), [1, 3, 0]);
        index.push(None);
        index.set(2, Some("a"));
        assert!(!index.is_complete(), "slot 4 is still untimed");
        index.set(4, Some("a"));
        assert!(index.is_complete());
        assert_eq!(ranks(&index), [1, 2, 4, 3, 0]);
    }
}
