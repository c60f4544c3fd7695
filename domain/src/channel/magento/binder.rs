//! The binder: "Magento entity `external_id` of kind K in store S is our record R", for
//! every kind the connector links (products, configurable parents, customers, orders,
//! credit memos, shipments). The database holds the rule: one record per Magento
//! entity, per store and kind (`magento_links`' key), and one Magento entity per
//! product, family or customer. A second bind of the same entity fails there, whichever
//! process tries it, so an order arriving by webhook and by poller is captured once.
//!
//! A disconnected store's links go with it (the store's row cascades); nothing else
//! removes links but [`Binder::unbind`] and [`Binder::unbind_record`].

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, Statement,
};
use uuid::Uuid;

pub use entities::enums::LinkKind;
use entities::magento_link;

use crate::error::DomainResult;

/// What a bind found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// The link is new.
    New,
    /// The same link was there already: binding is idempotent.
    Already,
}

/// Why a bind was refused; nothing was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BindRefused {
    /// The Magento entity is already another record's.
    #[error("Magento {kind:?} {external_id} is already linked to another record")]
    EntityTaken {
        kind: LinkKind,
        external_id: i64,
        record_id: Uuid,
    },
    /// The record (a product, family or customer) is already another Magento entity.
    #[error("the record is already linked to Magento {kind:?} {external_id}")]
    RecordTaken { kind: LinkKind, external_id: i64 },
}

/// One store's links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binder {
    pub org_id: Uuid,
    pub store_id: Uuid,
}

#[derive(Debug, FromQueryResult)]
struct LinkRow {
    external_id: i64,
    record_id: Uuid,
}

impl Binder {
    pub fn new(org_id: Uuid, store_id: Uuid) -> Self {
        Self { org_id, store_id }
    }

    /// Binds one Magento entity to one record.
    pub async fn bind<C: ConnectionTrait>(
        &self,
        db: &C,
        kind: LinkKind,
        external_id: i64,
        record_id: Uuid,
    ) -> DomainResult<Result<Bound, BindRefused>> {
        let mut results = self
            .bind_many(db, kind, &[(external_id, record_id)])
            .await?;
        Ok(results.pop().unwrap_or(Ok(Bound::Already)))
    }

    /// Binds pairs in one statement; each pair's outcome in input order. A pair named
    /// twice in `pairs` counts as `Already` the second time.
    pub async fn bind_many<C: ConnectionTrait>(
        &self,
        db: &C,
        kind: LinkKind,
        pairs: &[(i64, Uuid)],
    ) -> DomainResult<Vec<Result<Bound, BindRefused>>> {
        if pairs.is_empty() {
            return Ok(Vec::new());
        }
        let externals: Vec<i64> = pairs.iter().map(|(e, _)| *e).collect();
        let records: Vec<Uuid> = pairs.iter().map(|(_, r)| *r).collect();
        // Without a conflict target, DO NOTHING covers both unique rules; a concurrent
        // insert of the same key makes this one wait for its commit, then skip.
        let inserted = LinkRow::find_by_statement(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO magento_links (store_id, kind, external_id, org_id, record_id, created_at) \
             SELECT $1, $2, e, $3, r, $4 FROM unnest($5::bigint[], $6::uuid[]) AS t(e, r) \
             ON CONFLICT DO NOTHING RETURNING external_id, record_id",
            [
                self.store_id.into(),
                kind_value(kind).into(),
                self.org_id.into(),
                Utc::now().into(),
                externals.clone().into(),
                records.clone().into(),
            ],
        ))
        .all(db)
        .await?;
        let mut new: HashMap<i64, Uuid> = inserted
            .into_iter()
            .map(|row| (row.external_id, row.record_id))
            .collect();
        // Only the pairs not inserted need a look at who holds them (none, on a first
        // download of a store).
        let (taken_externals, taken_records): (Vec<i64>, Vec<Uuid>) = pairs
            .iter()
            .filter(|(external_id, record_id)| new.get(external_id) != Some(record_id))
            .copied()
            .unzip();
        let by_external = self.records(db, kind, &taken_externals).await?;
        let by_record = if one_per_record(kind) {
            self.externals(db, kind, &taken_records).await?
        } else {
            HashMap::new()
        };
        Ok(pairs
            .iter()
            .map(|&(external_id, record_id)| {
                if new.get(&external_id) == Some(&record_id) {
                    new.remove(&external_id);
                    return Ok(Bound::New);
                }
                match by_external.get(&external_id) {
                    Some(holder) if *holder == record_id => Ok(Bound::Already),
                    Some(holder) => Err(BindRefused::EntityTaken {
                        kind,
                        external_id,
                        record_id: *holder,
                    }),
                    None => Err(BindRefused::RecordTaken {
                        kind,
                        external_id: by_record.get(&record_id).copied().unwrap_or_default(),
                    }),
                }
            })
            .collect())
    }

    /// Moves a record's link to another Magento entity (a product Magento re-created
    /// under a new id): the record's old link goes, the new one is bound.
    pub async fn rebind<C: ConnectionTrait>(
        &self,
        db: &C,
        kind: LinkKind,
        external_id: i64,
        record_id: Uuid,
    ) -> DomainResult<Result<Bound, BindRefused>> {
        if let Some(current) = self.external(db, kind, record_id).await?
            && current != external_id
        {
            self.unbind(db, kind, current).await?;
        }
        self.bind(db, kind, external_id, record_id).await
    }

    /// The record a Magento entity is linked to.
    pub async fn record<C: ConnectionTrait>(
        &self,
        db: &C,
        kind: LinkKind,
        external_id: i64,
    ) -> DomainResult<Option<Uuid>> {
        Ok(self
            .records(db, kind, &[external_id])
            .await?
            .remove(&external_id))
    }

    /// The records of many Magento entities, by entity id (unlinked ones absent).
    pub async fn records<C: ConnectionTrait>(
        &self,
        db: &C,
        kind: LinkKind,
        external_ids: &[i64],
    ) -> DomainResult<HashMap<i64, Uuid>> {
        if external_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = self
            .links_where(db, kind, "external_id", external_ids.to_vec().into())
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| (row.external_id, row.record_id))
            .collect())
    }

    /// The Magento entity a record is linked to (for orders, the newest of them).
    pub async fn external<C: ConnectionTrait>(
        &self,
        db: &C,
        kind: LinkKind,
        record_id: Uuid,
    ) -> DomainResult<Option<i64>> {
        Ok(self
            .externals(db, kind, &[record_id])
            .await?
            .remove(&record_id))
    }

    async fn externals<C: ConnectionTrait>(
        &self,
        db: &C,
        kind: LinkKind,
        record_ids: &[Uuid],
    ) -> DomainResult<HashMap<Uuid, i64>> {
        if record_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = self
            .links_where(db, kind, "record_id", record_ids.to_vec().into())
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| (row.record_id, row.external_id))
            .collect())
    }

    /// The store's links of a kind whose `column` is one of `values`, oldest first.
    async fn links_where<C: ConnectionTrait>(
        &self,
        db: &C,
        kind: LinkKind,
        column: &'static str,
        values: sea_orm::Value,
    ) -> DomainResult<Vec<LinkRow>> {
        Ok(LinkRow::find_by_statement(Statement::from_sql_and_values(
            DbBackend::Postgres,
            // One index lookup per value: as `{column} = ANY($3)` the planner, without
            // statistics on a table a download is filling, scans all of it per page.
            format!(
                "SELECT l.external_id, l.record_id FROM unnest($3) AS k(v) \
                 JOIN LATERAL (SELECT external_id, record_id, created_at FROM magento_links \
                   WHERE store_id = $1 AND kind = $2 AND {column} = k.v) l ON true \
                 ORDER BY l.created_at, l.external_id"
            ),
            [self.store_id.into(), kind_value(kind).into(), values],
        ))
        .all(db)
        .await?)
    }

    /// Removes one link; whether there was one.
    pub async fn unbind<C: ConnectionTrait>(
        &self,
        db: &C,
        kind: LinkKind,
        external_id: i64,
    ) -> DomainResult<bool> {
        let deleted = magento_link::Entity::delete_many()
            .filter(magento_link::Column::StoreId.eq(self.store_id))
            .filter(magento_link::Column::Kind.eq(kind))
            .filter(magento_link::Column::ExternalId.eq(external_id))
            .exec(db)
            .await?;
        Ok(deleted.rows_affected > 0)
    }

    /// Removes a record's links of one kind; how many there were.
    pub async fn unbind_record<C: ConnectionTrait>(
        &self,
        db: &C,
        kind: LinkKind,
        record_id: Uuid,
    ) -> DomainResult<u64> {
        let deleted = magento_link::Entity::delete_many()
            .filter(magento_link::Column::StoreId.eq(self.store_id))
            .filter(magento_link::Column::Kind.eq(kind))
            .filter(magento_link::Column::RecordId.eq(record_id))
            .exec(db)
            .await?;
        Ok(deleted.rows_affected)
    }
}

/// Every store's links of some records (a customer's Magento ids across stores).
pub async fn links_of_records<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    kind: LinkKind,
    record_ids: &[Uuid],
) -> DomainResult<Vec<magento_link::Model>> {
    if record_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(magento_link::Entity::find()
        .filter(magento_link::Column::OrgId.eq(org_id))
        .filter(magento_link::Column::Kind.eq(kind))
        .filter(magento_link::Column::RecordId.is_in(record_ids.to_vec()))
        .all(db)
        .await?)
}

/// Kinds whose record is one Magento entity per store (see the partial unique index).
fn one_per_record(kind: LinkKind) -> bool {
    matches!(
        kind,
        LinkKind::Product | LinkKind::Configurable | LinkKind::Customer
    )
}

fn kind_value(kind: LinkKind) -> String {
    use sea_orm::ActiveEnum;
    kind.to_value()
}
