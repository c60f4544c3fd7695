use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, ID, Object, SimpleObject};

use domain::auth::Role;
use domain::channel::magento::stores;
use domain::jobs;
use domain::page::{Cursor, PageRequest};

use super::errors::{bad_input, optional, query};
use super::ids;
use super::job::{Job, JobFilter};
use super::store::{Store, load_store};
use super::{require, state};

/// Stores and jobs (reference books and customers: `reference`, `customers`).
#[derive(Default)]
pub struct CoreQuery;

#[derive(SimpleObject)]
pub struct Viewer {
    pub organization_id: ID,
    pub organization_name: String,
    pub role: String,
}

/// The fields a paged list has beside its edges.
#[derive(SimpleObject)]
pub struct ListTotals {
    /// How many items the list's filter matches over all its pages (counted only when
    /// asked for).
    pub total_count: u64,
}

/// A Relay connection with `totalCount`.
pub type Paged<T> = Connection<String, T, ListTotals>;

/// The page a list field was asked for; `totalCount` is counted only when the query
/// selects it.
pub(crate) fn page(
    ctx: &Context<'_>,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<PageRequest> {
    let after = match after {
        Some(raw) => Some(
            Cursor::decode(&raw)
                .ok_or_else(|| bad_input("`after` is not a cursor from this list"))?,
        ),
        None => None,
    };
    if matches!(first, Some(n) if n < 0) {
        return Err(bad_input("`first` must not be negative"));
    }
    Ok(PageRequest {
        first: first.map(|n| n as u64),
        after,
        count_total: wants_total(ctx),
    })
}

/// Whether the query reads the list's `totalCount`.
pub(crate) fn wants_total(ctx: &Context<'_>) -> bool {
    ctx.look_ahead().field("totalCount").exists()
}

/// A Relay connection over one page of a keyset-paged list.
pub(crate) fn connection<T, U: async_graphql::OutputType>(
    request: PageRequest,
    page: domain::page::Page<T>,
    wrap: impl Fn(T) -> U,
) -> Paged<U> {
    let mut connection = Connection::with_additional_fields(
        request.after.is_some(),
        page.has_next_page,
        ListTotals {
            total_count: page.total_count.unwrap_or_default(),
        },
    );
    connection.edges.extend(
        page.items
            .into_iter()
            .map(|(cursor, item)| Edge::new(cursor.encode(), wrap(item))),
    );
    connection
}

#[Object]
impl CoreQuery {
    /// The organisation and role of the calling API key.
    async fn viewer(&self, ctx: &Context<'_>) -> async_graphql::Result<Viewer> {
        let principal = require(ctx, Role::Viewer)?;
        let s = state(ctx);
        let org = query(domain::auth::organization(&s.services.db, principal.org_id).await)?;
        Ok(Viewer {
            organization_id: ids::encode("Organization", org.id),
            organization_name: org.name,
            role: format!("{:?}", principal.role).to_uppercase(),
        })
    }

    /// Connected Magento stores.
    async fn stores(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Store>> {
        let principal = require(ctx, Role::Viewer)?;
        let s = state(ctx);
        Ok(query(stores::list(&s.services.db, principal.org_id).await)?
            .into_iter()
            .map(Store)
            .collect())
    }

    async fn store(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Store>> {
        load_store(ctx, &id).await
    }

    async fn jobs(
        &self,
        ctx: &Context<'_>,
        filter: Option<JobFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Paged<Job>> {
        let principal = require(ctx, Role::Viewer)?;
        let s = state(ctx);
        let filter = filter.unwrap_or_default();
        let store_id = match &filter.store_id {
            Some(id) => {
                let uuid = ids::decode("Store", id)?;
                Some(uuid)
            }
            None => None,
        };
        let domain_filter = jobs::JobFilter {
            kind: filter.kind.map(Into::into),
            state: filter.state.map(Into::into),
            store_id,
        };
        let page_request = page(ctx, first, after)?;
        let result = query(
            jobs::list(
                &s.services.db,
                principal.org_id,
                &domain_filter,
                page_request,
            )
            .await,
        )?;
        Ok(connection(page_request, result, Job))
    }

    async fn job(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Job>> {
        let principal = require(ctx, Role::Viewer)?;
        let uuid = ids::decode("Job", &id)?;
        let s = state(ctx);
        Ok(optional(jobs::get(&s.services.db, principal.org_id, uuid).await)?.map(Job))
    }
}
