//! Keyset pagination shared by every list: newest first by `(created_at, id)`, so pages
//! stay stable while new rows arrive.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Order};
use sea_orm::{
    ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};
use uuid::Uuid;

use crate::error::DomainResult;

pub const DEFAULT_PAGE: u64 = 50;
pub const MAX_PAGE: u64 = 250;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
}

impl Cursor {
    pub fn encode(&self) -> String {
        format!("{}|{}", self.created_at.timestamp_micros(), self.id)
    }

    pub fn decode(raw: &str) -> Option<Self> {
        let (micros, id) = raw.split_once('|')?;
        Some(Self {
            created_at: DateTime::from_timestamp_micros(micros.parse().ok()?)?,
            id: id.parse().ok()?,
        })
    }
}

/// The rows after `after` in newest-first `(created_at, id)` order: a row-value
/// comparison, so the index on `(org_id, created_at DESC, id DESC)` serves it.
pub fn after_cursor(after: Option<Cursor>) -> Option<sea_orm::sea_query::SimpleExpr> {
    after.map(|c| {
        sea_orm::sea_query::Expr::cust_with_values(
            "(created_at, id) < ($1, $2)",
            [
                sea_orm::Value::from(c.created_at),
                sea_orm::Value::from(c.id),
            ],
        )
    })
}

#[derive(Debug, Clone, Copy, Default)]
pub struct PageRequest {
    pub first: Option<u64>,
    pub after: Option<Cursor>,
    /// Count every matching row too (one more query; asked only when a client reads
    /// `totalCount`).
    pub count_total: bool,
}

impl PageRequest {
    pub fn limit(&self) -> u64 {
        self.first.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE)
    }
}

#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<(Cursor, T)>,
    pub has_next_page: bool,
    /// Every row matching the list's filter, when the request asked for it.
    pub total_count: Option<u64>,
}

impl<T> Page<T> {
    /// `rows` were fetched with `limit + 1` to learn whether another page follows.
    pub fn from_rows(mut rows: Vec<T>, limit: u64, cursor_of: impl Fn(&T) -> Cursor) -> Self {
        let has_next_page = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        Self {
            items: rows.into_iter().map(|r| (cursor_of(&r), r)).collect(),
            has_next_page,
            total_count: None,
        }
    }

    /// The same page with each row turned into what the list returns (rows with their
    /// details, read for the whole page at once).
    pub fn with_items<U>(self, items: Vec<U>) -> Page<U> {
        Page {
            items: self
                .items
                .into_iter()
                .map(|(cursor, _)| cursor)
                .zip(items)
                .collect(),
            has_next_page: self.has_next_page,
            total_count: self.total_count,
        }
    }
}

/// A row of a keyset-paged table: `created_at` and `id` columns.
pub trait Keyed {
    fn cursor(&self) -> Cursor;
}

macro_rules! keyed {
    ($($model:path),*) => {$(
        impl Keyed for $model {
            fn cursor(&self) -> Cursor {
                Cursor { created_at: self.created_at, id: self.id }
            }
        }
    )*};
}
keyed!(
    entities::product::Model,
    entities::customer::Model,
    entities::sale::Model,
    entities::job::Model,
    entities::sales_log::Model,
    entities::pending_order::Model
);

/// One page of `query` (already filtered), newest first, and the number of rows the
/// filter matches when the request asks for it.
pub async fn fetch<E, C>(
    db: &C,
    query: Select<E>,
    request: PageRequest,
) -> DomainResult<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: Keyed + Sync,
    C: ConnectionTrait,
{
    let total_count = if request.count_total {
        Some(query.clone().count(db).await?)
    } else {
        None
    };
    let mut query = query;
    if let Some(after) = after_cursor(request.after) {
        query = query.filter(after);
    }
    let limit = request.limit();
    let rows = query
        .order_by(Expr::cust("created_at"), Order::Desc)
        .order_by(Expr::cust("id"), Order::Desc)
        .limit(limit + 1)
        .all(db)
        .await?;
    let mut page = Page::from_rows(rows, limit, Keyed::cursor);
    page.total_count = total_count;
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_survives_encoding() {
        let cursor = Cursor {
            created_at: Utc::now(),
            id: Uuid::new_v4(),
        };
        let back = Cursor::decode(&cursor.encode()).expect("decodes");
        assert_eq!(back.id, cursor.id);
        assert_eq!(
            back.created_at.timestamp_micros(),
            cursor.created_at.timestamp_micros()
        );
        assert!(Cursor::decode("garbage").is_none());
    }

    #[test]
    fn page_size_is_bounded() {
        assert_eq!(
            PageRequest {
                first: Some(10_000),
                ..PageRequest::default()
            }
            .limit(),
            MAX_PAGE
        );
        assert_eq!(PageRequest::default().limit(), DEFAULT_PAGE);
    }
}
