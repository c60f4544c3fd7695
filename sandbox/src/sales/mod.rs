//! The sales collections (orders, invoices, credit memos, shipments): rows in entity
//! order, indexed by entity id and `updated_at` so a search costs its page (see
//! [`search`]). A placed order (and the invoice of one paid at checkout) is kept as its
//! compact [`Placement`] and rendered to Magento's JSON when something reads it; the
//! first operation that changes it stores the rendering instead.

#[cfg(test)]
mod equivalence;
mod search;
mod updated;

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use serde_json::Value;

use crate::orders::Placement;
pub(crate) use search::search;
use updated::UpdatedIndex;

/// A row not rendered yet.
#[derive(Debug, Clone)]
pub(crate) enum Lazy {
    /// An order as its placement left it.
    Order(Arc<Placement>),
    /// The invoice of an order placed paid, as its placement created it.
    Invoice(Arc<Placement>),
}

impl Lazy {
    fn render(&self) -> Value {
        match self {
            Lazy::Order(placement) => placement.render(),
            Lazy::Invoice(placement) => placement.render_invoice(),
        }
    }

    fn entity_id(&self) -> Option<i64> {
        match self {
            Lazy::Order(placement) => Some(placement.entity_id()),
            Lazy::Invoice(placement) => placement.invoice_id(),
        }
    }

    fn order_id(&self) -> i64 {
        match self {
            Lazy::Order(placement) | Lazy::Invoice(placement) => placement.entity_id(),
        }
    }

    fn updated_at(&self) -> &str {
        match self {
            Lazy::Order(placement) | Lazy::Invoice(placement) => placement.time(),
        }
    }

    /// Rows of one shape render the same top-level keys.
    fn shape(&self) -> u16 {
        match self {
            Lazy::Order(placement) => u16::from(placement.shape()),
            Lazy::Invoice(_) => 1 << 8,
        }
    }
}

#[derive(Debug, Clone)]
enum Slot {
    Stored(Value),
    Lazy(Lazy),
}

impl Slot {
    fn render(&self) -> Cow<'_, Value> {
        match self {
            Slot::Stored(row) => Cow::Borrowed(row),
            Slot::Lazy(lazy) => Cow::Owned(lazy.render()),
        }
    }

    fn entity_id(&self) -> Option<i64> {
        match self {
            Slot::Stored(row) => row["entity_id"].as_i64(),
            Slot::Lazy(lazy) => lazy.entity_id(),
        }
    }

    fn updated_at(&self) -> Option<&str> {
        match self {
            Slot::Stored(row) => row["updated_at"].as_str(),
            Slot::Lazy(lazy) => Some(lazy.updated_at()),
        }
    }
}

/// The top-level keys of the lazy rows of each shape, to tell a known column from an
/// unknown one without rendering every row.
#[derive(Debug, Default, Clone)]
struct Shape {
    shape: u16,
    rows: usize,
    keys: BTreeSet<String>,
}

/// What the indexes know of the slots.
#[derive(Debug, Default, Clone)]
struct Index {
    /// Each slot's integer `entity_id`.
    ids: Vec<Option<i64>>,
    /// Whether every slot has an integer id, each higher than the one before (rows are
    /// appended with the next id), so a position is found by binary search.
    ids_ascend: bool,
    updated: UpdatedIndex,
    shapes: Vec<Shape>,
}

impl Index {
    fn push(&mut self, slot: &Slot) {
        let id = slot.entity_id();
        self.ids_ascend = id.is_some()
            && (self.ids.is_empty() || self.ids_ascend)
            && self.ids.last().is_none_or(|last| *last < id);
        self.ids.push(id);
        self.updated.push(slot.updated_at());
        if let Slot::Lazy(lazy) = slot {
            let shape = lazy.shape();
            match self.shapes.iter_mut().find(|s| s.shape == shape) {
                Some(known) => known.rows += 1,
                None => {
                    let keys = match lazy.render() {
                        Value::Object(map) => map.keys().cloned().collect(),
                        _ => BTreeSet::new(),
                    };
                    self.shapes.push(Shape {
                        shape,
                        rows: 1,
                        keys,
                    });
                }
            }
        }
    }

    /// The row at `position` may have a new id or `updated_at`.
    fn refresh(&mut self, position: usize, row: &Value) {
        let id = row["entity_id"].as_i64();
        if self.ids.get(position).is_some_and(|known| *known != id) {
            self.ids[position] = id;
            self.ids_ascend = self.ids.iter().all(Option::is_some)
                && self.ids.windows(2).all(|pair| pair[0] < pair[1]);
        }
        self.updated.set(position, row["updated_at"].as_str());
    }

    fn forget_lazy(&mut self, lazy: &Lazy) {
        let shape = lazy.shape();
        if let Some(known) = self.shapes.iter_mut().find(|s| s.shape == shape) {
            known.rows = known.rows.saturating_sub(1);
        }
    }
}

/// One sales collection. Rows are only ever appended or replaced, never removed.
#[derive(Debug, Default, Clone)]
pub(crate) struct SalesRows {
    slots: Vec<Slot>,
    index: Index,
}

/// A stored row borrowed for writing; the indexes follow its `updated_at` (and id) when
/// it is dropped.
pub(crate) struct RowMut<'a> {
    row: &'a mut Value,
    index: &'a mut Index,
    position: usize,
}

impl Deref for RowMut<'_> {
    type Target = Value;

    fn deref(&self) -> &Value {
        self.row
    }
}

impl DerefMut for RowMut<'_> {
    fn deref_mut(&mut self) -> &mut Value {
        self.row
    }
}

impl Drop for RowMut<'_> {
    fn drop(&mut self) {
        self.index.refresh(self.position, self.row);
    }
}

impl SalesRows {
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    pub fn push(&mut self, row: Value) {
        self.push_slot(Slot::Stored(row));
    }

    pub fn push_lazy(&mut self, row: Lazy) {
        self.push_slot(Slot::Lazy(row));
    }

    fn push_slot(&mut self, slot: Slot) {
        self.index.push(&slot);
        self.slots.push(slot);
    }

    /// The row at `position` as Magento renders it.
    pub fn render(&self, position: usize) -> Option<Cow<'_, Value>> {
        self.slots.get(position).map(Slot::render)
    }

    /// Every row, rendered one at a time.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = Cow<'_, Value>> {
        self.slots.iter().map(Slot::render)
    }

    /// The row at `position` when it is stored; a lazy one is `None` until
    /// [`Self::materialize`] stores it.
    pub fn get(&self, position: usize) -> Option<&Value> {
        match self.slots.get(position)? {
            Slot::Stored(row) => Some(row),
            Slot::Lazy(_) => None,
        }
    }

    /// Stores the rendering of a lazy row, so it can be read with [`Self::get`].
    pub fn materialize(&mut self, position: usize) {
        let Some(slot) = self.slots.get_mut(position) else {
            return;
        };
        if let Slot::Lazy(lazy) = slot {
            self.index.forget_lazy(lazy);
            *slot = Slot::Stored(lazy.render());
        }
    }

    /// The row at `position` for writing (stored first if it was lazy).
    pub fn get_mut(&mut self, position: usize) -> Option<RowMut<'_>> {
        self.materialize(position);
        match self.slots.get_mut(position)? {
            Slot::Stored(row) => Some(RowMut {
                row,
                index: &mut self.index,
                position,
            }),
            Slot::Lazy(_) => None,
        }
    }

    /// Puts `row` in the place of the row at `position`.
    pub fn replace(&mut self, position: usize, row: Value) {
        if let Some(mut current) = self.get_mut(position) {
            *current = row;
        }
    }

    /// The position of the row with this entity id.
    pub fn position_of(&self, id: i64) -> Option<usize> {
        let ids = &self.index.ids;
        if self.index.ids_ascend {
            return ids.binary_search(&Some(id)).ok();
        }
        ids.iter().rposition(|known| *known == Some(id))
    }

    /// The entity id of the last row.
    pub fn last_id(&self) -> Option<i64> {
        self.index.ids.last().copied().flatten()
    }

    /// The position of the last row whose `order_id` is `order_id` (an invoice or
    /// shipment of that order).
    pub fn last_of_order(&self, order_id: &Value) -> Option<usize> {
        self.slots.iter().rposition(|slot| match slot {
            Slot::Stored(row) => row["order_id"] == *order_id,
            Slot::Lazy(lazy) => order_id.as_i64() == Some(lazy.order_id()),
        })
    }

    /// The largest integer `field` of the rows (or of each row's `nested` array), 0 if
    /// none. Renders lazy rows: sequences call it once, to start after the ids present.
    pub fn max_id(&self, nested: Option<&str>, field: &str) -> i64 {
        let id = |row: &Value| row[field].as_i64().unwrap_or(0);
        self.iter()
            .map(|row| match nested {
                Some(name) => row[name]
                    .as_array()
                    .and_then(|inner| inner.iter().map(id).max())
                    .unwrap_or(0),
                None => id(&row),
            })
            .max()
            .unwrap_or(0)
    }

    /// Whether any row has the top-level `field`, as the search's unknown-column check
    /// asks: the shapes of lazy rows first, then the stored rows (the first usually has it).
    pub fn has_field(&self, field: &str) -> bool {
        self.index
            .shapes
            .iter()
            .any(|s| s.rows > 0 && s.keys.contains(field))
            || self.slots.iter().any(|slot| match slot {
                Slot::Stored(row) => row.get(field).is_some(),
                Slot::Lazy(_) => false,
            })
    }
}

impl From<Vec<Value>> for SalesRows {
    fn from(rows: Vec<Value>) -> Self {
        let mut collection = SalesRows::default();
        for row in rows {
            collection.push(row);
        }
        collection
    }
}

/// Rows compare as Magento renders them.
impl PartialEq for SalesRows {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().zip(other.iter()).all(|(a, b)| a == b)
    }
}

impl serde::Serialize for SalesRows {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rows() -> SalesRows {
        SalesRows::from(
            (1..=4)
                .map(|id| json!({"entity_id": id, "updated_at": format!("2025-01-0{id} 00:00:00")}))
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn rows_are_found_by_id_and_a_write_moves_them_in_the_updated_order() {
        let mut rows = rows();
        assert_eq!(rows.position_of(3), Some(2));
        assert_eq!(rows.position_of(9), None);
        assert_eq!(rows.last_id(), Some(4));
        if let Some(mut row) = rows.get_mut(0) {
            row["updated_at"] = json!("2025-02-01 00:00:00");
        }
        let order: Vec<Option<usize>> = (0..4).map(|r| rows.index.updated.slot(r)).collect();
        assert_eq!(order, [Some(1), Some(2), Some(3), Some(0)]);
        rows.replace(0, json!({"entity_id": 1}));
        assert!(!rows.index.updated.is_complete());
        assert!(rows.has_field("updated_at") && !rows.has_field("nope"));
    }

    #[test]
    fn ids_out_of_order_are_still_found() {
        let mut rows = rows();
        rows.push(json!({"entity_id": 2, "updated_at": "x"}));
        assert!(!rows.index.ids_ascend);
        assert_eq!(rows.position_of(2), Some(4), "the last row with the id");
        assert_eq!(rows.position_of(4), Some(3));
    }
}
