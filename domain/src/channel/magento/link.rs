//! The one writer of a product's link to Magento: the binder's link and the listing row
//! that carries the store's catalogue state for it, written together in the caller's
//! transaction. Both the product download and "Manage the Catalog" go through here.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, Statement};
use serde_json::json;
use uuid::Uuid;

use entities::enums::ListingStatus;
use entities::listing;

use crate::channel::magento::export::publish::BufferChange;
use crate::channel::magento::{BindRefused, Binder, LinkKind};
use crate::error::{DomainError, DomainResult};
use crate::rows;

/// A ledger product as Magento has it in one store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProductLink {
    pub product_id: Uuid,
    pub magento_id: i64,
    /// A variant's configurable parent and the family it is.
    pub parent: Option<(i64, Option<Uuid>)>,
    pub sku: String,
    pub type_code: String,
    pub attribute_set: Option<String>,
}

/// Who is writing, which decides what an earlier link means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LinkWriter {
    /// The product download: a product linked to another Magento product, or a Magento
    /// product linked to another product, is refused.
    Download,
    /// A list or update: Magento's answer is the truth, so a product whose Magento
    /// product was re-created takes the new id.
    Publish {
        stock_sync: Option<bool>,
        buffer: BufferChange,
    },
}

/// Writes the links; for each, in input order, its listing or why it was refused.
pub(crate) async fn link_products<C: ConnectionTrait>(
    db: &C,
    binder: Binder,
    links: &[ProductLink],
    writer: LinkWriter,
) -> DomainResult<Vec<Result<listing::Model, BindRefused>>> {
    let mut outcomes: Vec<Result<(), BindRefused>> = Vec::with_capacity(links.len());
    match writer {
        LinkWriter::Download => {
            let pairs: Vec<(i64, Uuid)> =
                links.iter().map(|l| (l.magento_id, l.product_id)).collect();
            for bound in binder.bind_many(db, LinkKind::Product, &pairs).await? {
                outcomes.push(bound.map(|_| ()));
            }
        }
        LinkWriter::Publish { .. } => {
            for link in links {
                let bound = binder
                    .rebind(db, LinkKind::Product, link.magento_id, link.product_id)
                    .await?;
                outcomes.push(bound.map(|_| ()));
            }
        }
    }
    bind_parents(db, binder, links, &outcomes, writer).await?;

    let accepted: Vec<&ProductLink> = links
        .iter()
        .zip(&outcomes)
        .filter(|(_, outcome)| outcome.is_ok())
        .map(|(link, _)| link)
        .collect();
    let written = upsert_listings(db, binder, &accepted, writer).await?;
    let mut by_product: HashMap<Uuid, listing::Model> =
        written.into_iter().map(|l| (l.product_id, l)).collect();
    let unchanged: Vec<Uuid> = accepted
        .iter()
        .map(|l| l.product_id)
        .filter(|id| !by_product.contains_key(id))
        .collect();
    if !unchanged.is_empty() {
        // One index lookup per product (see `Binder::records` on why not `= ANY`).
        for row in listing::Entity::find()
            .from_raw_sql(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT l.* FROM unnest($2::uuid[]) AS k(id) JOIN LATERAL \
                   (SELECT * FROM listings WHERE store_id = $1 AND product_id = k.id) l ON true",
                [binder.store_id.into(), unchanged.into()],
            ))
            .all(db)
            .await?
        {
            by_product.insert(row.product_id, row);
        }
    }
    // Only a product deleted meanwhile (its listing cascades) has none.
    links
        .iter()
        .zip(outcomes)
        .map(|(link, outcome)| match outcome {
            Ok(()) => by_product
                .get(&link.product_id)
                .cloned()
                .map(Ok)
                .ok_or(DomainError::NotFound { entity: "product" }),
            Err(refused) => Ok(Err(refused)),
        })
        .collect()
}

/// A configurable parent is its family's link. The download keeps a family's first
/// link; a publish moves it to what Magento answered.
async fn bind_parents<C: ConnectionTrait>(
    db: &C,
    binder: Binder,
    links: &[ProductLink],
    outcomes: &[Result<(), BindRefused>],
    writer: LinkWriter,
) -> DomainResult<()> {
    let mut seen = HashSet::new();
    let parents: Vec<(i64, Uuid)> = links
        .iter()
        .zip(outcomes)
        .filter(|(_, outcome)| outcome.is_ok())
        .filter_map(|(link, _)| match link.parent {
            Some((parent_id, Some(family_id))) => Some((parent_id, family_id)),
            _ => None,
        })
        .filter(|pair| seen.insert(*pair))
        .collect();
    let refused: Vec<BindRefused> = match writer {
        LinkWriter::Download => binder
            .bind_many(db, LinkKind::Configurable, &parents)
            .await?
            .into_iter()
            .filter_map(Result::err)
            .collect(),
        LinkWriter::Publish { .. } => {
            let mut refused = Vec::new();
            for (parent_id, family_id) in parents {
                if let Err(why) = binder
                    .rebind(db, LinkKind::Configurable, parent_id, family_id)
                    .await?
                {
                    refused.push(why);
                }
            }
            refused
        }
    };
    for refused in refused {
        tracing::warn!(store_id = %binder.store_id, %refused, "configurable parent left unlinked");
    }
    Ok(())
}

const LISTING_COLUMNS: &[rows::Column] = &[
    ("id", "uuid"),
    ("org_id", "uuid"),
    ("store_id", "uuid"),
    ("product_id", "uuid"),
    ("status", "text"),
    ("magento_product_id", "bigint"),
    ("magento_parent_id", "bigint"),
    ("magento_sku", "text"),
    ("magento_type", "text"),
    ("attribute_set", "text"),
    ("stock_sync", "boolean"),
    ("product_buffer_enabled", "boolean"),
    ("product_buffer", "integer"),
    ("created_at", "timestamptz"),
    ("updated_at", "timestamptz"),
];

/// New listings and changed ones in one statement; a listing that already says all of
/// this is left alone (and not returned).
async fn upsert_listings<C: ConnectionTrait>(
    db: &C,
    binder: Binder,
    links: &[&ProductLink],
    writer: LinkWriter,
) -> DomainResult<Vec<listing::Model>> {
    if links.is_empty() {
        return Ok(Vec::new());
    }
    let (stock_sync, buffer) = match writer {
        LinkWriter::Download => (None, BufferChange::Keep),
        LinkWriter::Publish { stock_sync, buffer } => (stock_sync, buffer),
    };
    let (buffer_enabled, buffer_value) = match buffer {
        BufferChange::Set(value) => (true, value),
        BufferChange::Keep | BufferChange::Remove => (false, 0),
    };
    let now = rows::instant(Utc::now());
    let values = links
        .iter()
        .map(|link| {
            json!({
                "id": Uuid::new_v4().to_string(),
                "org_id": binder.org_id.to_string(),
                "store_id": binder.store_id.to_string(),
                "product_id": link.product_id.to_string(),
                "status": sea_orm::ActiveEnum::to_value(&ListingStatus::Listed),
                "magento_product_id": link.magento_id,
                "magento_parent_id": link.parent.map(|(id, _)| id),
                "magento_sku": link.sku,
                "magento_type": link.type_code,
                "attribute_set": link.attribute_set,
                // A new listing syncs stock and has no product buffer unless told.
                "stock_sync": stock_sync.unwrap_or(true),
                "product_buffer_enabled": buffer_enabled,
                "product_buffer": buffer_value,
                "created_at": now,
                "updated_at": now,
            })
        })
        .collect();
    let insert = rows::insert_rows("listings", LISTING_COLUMNS, values);
    let mut set = vec![
        "status = EXCLUDED.status",
        "magento_product_id = EXCLUDED.magento_product_id",
        "magento_parent_id = EXCLUDED.magento_parent_id",
        "magento_sku = EXCLUDED.magento_sku",
        "magento_type = EXCLUDED.magento_type",
        "attribute_set = EXCLUDED.attribute_set",
        "updated_at = EXCLUDED.updated_at",
    ];
    let mut compared = vec![
        "status",
        "magento_product_id",
        "magento_parent_id",
        "magento_sku",
        "magento_type",
        "attribute_set",
    ];
    if stock_sync.is_some() {
        set.push("stock_sync = EXCLUDED.stock_sync");
        compared.push("stock_sync");
    }
    if buffer != BufferChange::Keep {
        set.push("product_buffer_enabled = EXCLUDED.product_buffer_enabled");
        set.push("product_buffer = EXCLUDED.product_buffer");
        compared.extend(["product_buffer_enabled", "product_buffer"]);
    }
    let current = compared
        .iter()
        .map(|c| format!("listings.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let wanted = compared
        .iter()
        .map(|c| format!("EXCLUDED.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "{} ON CONFLICT (store_id, product_id) DO UPDATE SET {} \
         WHERE ({current}) IS DISTINCT FROM ({wanted}) RETURNING *",
        insert.sql,
        set.join(", ")
    );
    let statement = Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        insert.values.map(|v| v.0).unwrap_or_default(),
    );
    Ok(listing::Entity::find()
        .from_raw_sql(statement)
        .all(db)
        .await?)
}

/// Unlinks a product in the store: its link goes, its listing stays with its settings
/// and says `not_listed`. `None` when it was not linked.
pub(crate) async fn unlink_product<C: ConnectionTrait>(
    db: &C,
    binder: Binder,
    product_id: Uuid,
) -> DomainResult<Option<listing::Model>> {
    let updated = listing::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE listings SET status = 'not_listed', magento_product_id = NULL, \
               magento_parent_id = NULL, magento_sku = NULL, magento_type = NULL, updated_at = now() \
             WHERE store_id = $1 AND product_id = $2 RETURNING *",
            [binder.store_id.into(), product_id.into()],
        ))
        .one(db)
        .await?;
    binder
        .unbind_record(db, LinkKind::Product, product_id)
        .await?;
    Ok(updated)
}
