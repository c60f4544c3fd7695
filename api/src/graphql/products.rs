//! Products, families and bills of materials.

use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use domain::auth::Role;
use domain::entities::{enums, product_family};
use domain::products::{
    self, ComponentLine, FamilyDraft, FamilyMembership, ProductDraft, ProductRecord,
};
use domain::{reference, stock};

use super::errors::{UserError, optional, payload, query, user_errors};
use super::ids;
use super::query::{connection, page};
use super::reference::{Location, TaxRule};
use super::stock::{StockAvailability, StockLevel};
use super::{require, state};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "enums::ProductKind")]
pub enum ProductKind {
    Stock,
    Service,
    GiftCard,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "enums::ProductStatus")]
pub enum ProductStatus {
    Active,
    Draft,
    Deprecated,
}

pub struct Product(pub ProductRecord);

#[derive(SimpleObject)]
pub struct ProductPrice {
    /// 1 to 10.
    pub tier: i32,
    pub price: Decimal,
}

pub struct ComponentLineView {
    component_id: Uuid,
    quantity: Decimal,
}

#[Object(name = "BillOfMaterialsLine")]
impl ComponentLineView {
    async fn component(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Product>> {
        require(ctx, Role::Viewer)?;
        Ok(super::loaders::product(ctx, self.component_id)
            .await?
            .map(Product))
    }
    /// Units of the component in one unit of the product.
    async fn quantity(&self) -> Decimal {
        self.quantity
    }
}

#[Object]
impl Product {
    async fn id(&self) -> ID {
        ids::encode("Product", self.0.product.id)
    }
    async fn sku(&self) -> &str {
        &self.0.product.sku
    }
    async fn name(&self) -> &str {
        &self.0.product.name
    }
    async fn description(&self) -> Option<&str> {
        self.0.product.description.as_deref()
    }
    async fn kind(&self) -> ProductKind {
        self.0.product.kind.into()
    }
    async fn status(&self) -> ProductStatus {
        self.0.product.status.into()
    }
    async fn category(&self) -> Option<&str> {
        self.0.product.category.as_deref()
    }
    async fn brand(&self) -> Option<&str> {
        self.0.product.brand.as_deref()
    }
    async fn tags(&self) -> Vec<String> {
        self.0.tags()
    }
    async fn attribute_set(&self) -> Option<&str> {
        self.0.product.attribute_set.as_deref()
    }
    async fn family(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ProductFamily>> {
        let Some(family_id) = self.0.product.family_id else {
            return Ok(None);
        };
        let principal = require(ctx, Role::Viewer)?;
        let s = state(ctx);
        Ok(
            optional(products::family(&s.services.db, principal.org_id, family_id).await)?
                .map(ProductFamily),
        )
    }
    /// This variant's values, in the family's option order.
    async fn option_values(&self) -> Vec<String> {
        self.0.option_values()
    }
    async fn length(&self) -> Option<Decimal> {
        self.0.product.length
    }
    async fn width(&self) -> Option<Decimal> {
        self.0.product.width
    }
    async fn height(&self) -> Option<Decimal> {
        self.0.product.height
    }
    async fn weight(&self) -> Option<Decimal> {
        self.0.product.weight
    }
    /// Image URLs, the main image first.
    async fn images(&self) -> Vec<String> {
        self.0.images()
    }
    async fn default_location(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Location>> {
        let Some(id) = self.0.product.default_location_id else {
            return Ok(None);
        };
        require(ctx, Role::Viewer)?;
        Ok(super::loaders::location(ctx, id).await?.map(Location))
    }
    async fn sale_tax_rule(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<TaxRule>> {
        let Some(id) = self.0.product.sale_tax_rule_id else {
            return Ok(None);
        };
        let principal = require(ctx, Role::Viewer)?;
        let s = state(ctx);
        Ok(optional(reference::tax_rule(&s.services.db, principal.org_id, id).await)?.map(TaxRule))
    }
    async fn auto_assembly(&self) -> bool {
        self.0.product.auto_assembly
    }
    /// Prices by tier; tiers without a price are absent.
    async fn prices(&self) -> Vec<ProductPrice> {
        self.0
            .prices
            .iter()
            .map(|p| ProductPrice {
                tier: i32::from(p.tier),
                price: p.price,
            })
            .collect()
    }
    /// The bill of materials; empty when the product is not assembled.
    async fn components(&self) -> Vec<ComponentLineView> {
        self.0
            .components
            .iter()
            .map(|c| ComponentLineView {
                component_id: c.component_id,
                quantity: c.quantity,
            })
            .collect()
    }
    /// Stock at one location, or summed over all locations.
    async fn availability(
        &self,
        ctx: &Context<'_>,
        location_id: Option<ID>,
    ) -> async_graphql::Result<StockAvailability> {
        let principal = require(ctx, Role::Viewer)?;
        let s = state(ctx);
        let location = match location_id {
            Some(id) => Some(ids::decode("Location", &id)?),
            None => None,
        };
        let level = query(
            stock::availability(
                &s.services.db,
                principal.org_id,
                self.0.product.id,
                location,
            )
            .await,
        )?;
        Ok(StockAvailability::from(level))
    }
    /// One entry per location that has had stock.
    async fn stock_levels(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<StockLevel>> {
        let principal = require(ctx, Role::Viewer)?;
        let s = state(ctx);
        let levels =
            query(stock::levels(&s.services.db, principal.org_id, self.0.product.id).await)?;
        Ok(levels.into_iter().map(StockLevel).collect())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.product.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.product.updated_at
    }
}

pub struct ProductFamily(pub product_family::Model);

#[Object]
impl ProductFamily {
    async fn id(&self) -> ID {
        ids::encode("ProductFamily", self.0.id)
    }
    async fn sku(&self) -> &str {
        &self.0.sku
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    async fn category(&self) -> Option<&str> {
        self.0.category.as_deref()
    }
    async fn brand(&self) -> Option<&str> {
        self.0.brand.as_deref()
    }
    /// One to three, in order (e.g. Size, Colour).
    async fn option_names(&self) -> Vec<String> {
        [
            &self.0.option1_name,
            &self.0.option2_name,
            &self.0.option3_name,
        ]
        .into_iter()
        .flatten()
        .cloned()
        .collect()
    }
    /// The family's own image URLs (a configurable product's gallery, from the product
    /// download); a variant without images of its own is listed with these.
    async fn images(&self) -> Vec<String> {
        products::family_images(&self.0)
    }
    async fn variants(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Product>> {
        let principal = require(ctx, Role::Viewer)?;
        let s = state(ctx);
        let filter = products::ProductFilter {
            family_id: Some(self.0.id),
            ..Default::default()
        };
        let page = query(
            products::products(
                &s.services.db,
                principal.org_id,
                &filter,
                domain::page::PageRequest {
                    first: Some(domain::page::MAX_PAGE),
                    ..Default::default()
                },
            )
            .await,
        )?;
        Ok(page.items.into_iter().map(|(_, p)| Product(p)).collect())
    }
}

#[derive(InputObject, Default)]
pub struct ProductFilter {
    pub category: Option<String>,
    pub brand: Option<String>,
    pub family_id: Option<ID>,
    pub tag: Option<String>,
    pub attribute_set: Option<String>,
    /// Part of the SKU or the name, ignoring case.
    pub search: Option<String>,
    pub status: Option<ProductStatus>,
    pub kind: Option<ProductKind>,
    pub skus: Option<Vec<String>>,
}

impl ProductFilter {
    pub(crate) fn into_domain(self) -> async_graphql::Result<products::ProductFilter> {
        Ok(products::ProductFilter {
            category: self.category,
            brand: self.brand,
            family_id: self
                .family_id
                .map(|id| ids::decode("ProductFamily", &id))
                .transpose()?,
            tag: self.tag,
            attribute_set: self.attribute_set,
            search: self.search,
            status: self.status.map(Into::into),
            kind: self.kind.map(Into::into),
            skus: self.skus,
            ..Default::default()
        })
    }
}

#[derive(InputObject)]
pub struct ProductPriceInput {
    pub tier: i32,
    /// `null` removes the tier's price.
    pub price: Option<Decimal>,
}

#[derive(InputObject)]
pub struct ComponentInput {
    pub component_id: ID,
    pub quantity: Decimal,
}

#[derive(InputObject)]
pub struct FamilyMembershipInput {
    pub family_id: ID,
    /// One per option of the family, in its order.
    pub option_values: Vec<String>,
}

#[derive(InputObject)]
pub struct ProductCreateInput {
    pub sku: String,
    pub name: String,
    pub description: Option<String>,
    /// Default STOCK.
    pub kind: Option<ProductKind>,
    /// Default ACTIVE.
    pub status: Option<ProductStatus>,
    pub category: Option<String>,
    pub brand: Option<String>,
    pub tags: Option<Vec<String>>,
    pub attribute_set: Option<String>,
    pub family: Option<FamilyMembershipInput>,
    pub length: Option<Decimal>,
    pub width: Option<Decimal>,
    pub height: Option<Decimal>,
    pub weight: Option<Decimal>,
    pub images: Option<Vec<String>>,
    pub default_location_id: Option<ID>,
    pub sale_tax_rule_id: Option<ID>,
    pub auto_assembly: Option<bool>,
    pub prices: Option<Vec<ProductPriceInput>>,
    pub components: Option<Vec<ComponentInput>>,
}

/// Fields left out stay as they are; nullable fields set to `null` are cleared.
#[derive(InputObject)]
pub struct ProductUpdateInput {
    pub id: ID,
    pub sku: Option<String>,
    pub name: Option<String>,
    pub description: MaybeUndefined<String>,
    pub kind: Option<ProductKind>,
    pub status: Option<ProductStatus>,
    pub category: MaybeUndefined<String>,
    pub brand: MaybeUndefined<String>,
    pub tags: Option<Vec<String>>,
    pub attribute_set: MaybeUndefined<String>,
    pub family: MaybeUndefined<FamilyMembershipInput>,
    pub length: MaybeUndefined<Decimal>,
    pub width: MaybeUndefined<Decimal>,
    pub height: MaybeUndefined<Decimal>,
    pub weight: MaybeUndefined<Decimal>,
    pub images: Option<Vec<String>>,
    pub default_location_id: MaybeUndefined<ID>,
    pub sale_tax_rule_id: MaybeUndefined<ID>,
    pub auto_assembly: Option<bool>,
    /// Tiers named are set (or removed with a `null` price); others keep theirs.
    pub prices: Option<Vec<ProductPriceInput>>,
    /// Replaces the whole bill of materials; `[]` removes it.
    pub components: Option<Vec<ComponentInput>>,
}

#[derive(InputObject)]
pub struct ProductFamilyCreateInput {
    pub sku: String,
    pub name: String,
    pub description: Option<String>,
    pub category: Option<String>,
    pub brand: Option<String>,
    pub option_names: Vec<String>,
}

#[derive(SimpleObject)]
pub struct ProductPayload {
    pub product: Option<Product>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct ProductFamilyPayload {
    pub family: Option<ProductFamily>,
    pub user_errors: Vec<UserError>,
}

fn membership(input: FamilyMembershipInput) -> async_graphql::Result<FamilyMembership> {
    Ok(FamilyMembership {
        family_id: ids::decode("ProductFamily", &input.family_id)?,
        option_values: input.option_values,
    })
}

fn prices(input: Vec<ProductPriceInput>) -> Vec<(i32, Option<Decimal>)> {
    input.into_iter().map(|p| (p.tier, p.price)).collect()
}

fn components(input: Vec<ComponentInput>) -> async_graphql::Result<Vec<ComponentLine>> {
    input
        .into_iter()
        .map(|c| {
            Ok(ComponentLine {
                component_id: ids::decode("Product", &c.component_id)?,
                quantity: c.quantity,
            })
        })
        .collect()
}

/// `MaybeUndefined` → the domain's "leave / clear / set".
fn change<T, U>(
    value: MaybeUndefined<T>,
    map: impl FnOnce(T) -> async_graphql::Result<U>,
) -> async_graphql::Result<Option<Option<U>>> {
    Ok(match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(map(v)?)),
    })
}

fn keep<T>(value: T) -> async_graphql::Result<T> {
    Ok(value)
}

impl ProductCreateInput {
    fn into_draft(self) -> async_graphql::Result<ProductDraft> {
        Ok(ProductDraft {
            sku: Some(self.sku),
            name: Some(self.name),
            description: Some(self.description),
            kind: self.kind.map(Into::into),
            status: self.status.map(Into::into),
            category: Some(self.category),
            brand: Some(self.brand),
            tags: self.tags,
            attribute_set: Some(self.attribute_set),
            family: Some(self.family.map(membership).transpose()?),
            length: Some(self.length),
            width: Some(self.width),
            height: Some(self.height),
            weight: Some(self.weight),
            images: self.images,
            default_location_id: Some(
                self.default_location_id
                    .map(|id| ids::decode("Location", &id))
                    .transpose()?,
            ),
            sale_tax_rule_id: Some(
                self.sale_tax_rule_id
                    .map(|id| ids::decode("TaxRule", &id))
                    .transpose()?,
            ),
            auto_assembly: self.auto_assembly,
            prices: self.prices.map(prices),
            components: self.components.map(components).transpose()?,
        })
    }
}

impl ProductUpdateInput {
    fn into_draft(self) -> async_graphql::Result<ProductDraft> {
        Ok(ProductDraft {
            sku: self.sku,
            name: self.name,
            description: change(self.description, keep)?,
            kind: self.kind.map(Into::into),
            status: self.status.map(Into::into),
            category: change(self.category, keep)?,
            brand: change(self.brand, keep)?,
            tags: self.tags,
            attribute_set: change(self.attribute_set, keep)?,
            family: change(self.family, membership)?,
            length: change(self.length, keep)?,
            width: change(self.width, keep)?,
            height: change(self.height, keep)?,
            weight: change(self.weight, keep)?,
            images: self.images,
            default_location_id: change(self.default_location_id, |id| {
                ids::decode("Location", &id)
            })?,
            sale_tax_rule_id: change(self.sale_tax_rule_id, |id| ids::decode("TaxRule", &id))?,
            auto_assembly: self.auto_assembly,
            prices: self.prices.map(prices),
            components: self.components.map(components).transpose()?,
        })
    }
}

#[derive(Default)]
pub struct ProductQuery;

#[Object]
impl ProductQuery {
    /// Products, newest first, by the filters bulk listing uses.
    async fn products(
        &self,
        ctx: &Context<'_>,
        filter: Option<ProductFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<super::query::Paged<Product>> {
        let principal = require(ctx, Role::Viewer)?;
        let s = state(ctx);
        let domain_filter = filter.unwrap_or_default().into_domain()?;
        let page_request = page(ctx, first, after)?;
        let result = query(
            products::products(
                &s.services.db,
                principal.org_id,
                &domain_filter,
                page_request,
            )
            .await,
        )?;
        Ok(connection(page_request, result, Product))
    }

    /// One product by id or by SKU (ignoring case).
    async fn product(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        sku: Option<String>,
    ) -> async_graphql::Result<Option<Product>> {
        let principal = require(ctx, Role::Viewer)?;
        let s = state(ctx);
        let found = match (id, sku) {
            (Some(id), None) => {
                let id = ids::decode("Product", &id)?;
                products::product(&s.services.db, principal.org_id, id).await
            }
            (None, Some(sku)) => {
                products::product_by_sku(&s.services.db, principal.org_id, &sku).await
            }
            _ => {
                return Err(super::errors::bad_input(
                    "give exactly one of `id` and `sku`",
                ));
            }
        };
        Ok(optional(found)?.map(Product))
    }

    async fn product_families(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<ProductFamily>> {
        let principal = require(ctx, Role::Viewer)?;
        let s = state(ctx);
        Ok(
            query(products::families(&s.services.db, principal.org_id).await)?
                .into_iter()
                .map(ProductFamily)
                .collect(),
        )
    }
}

#[derive(Default)]
pub struct ProductMutation;

#[Object]
impl ProductMutation {
    async fn product_create(
        &self,
        ctx: &Context<'_>,
        input: ProductCreateInput,
    ) -> async_graphql::Result<ProductPayload> {
        let principal = require(ctx, Role::Operator)?;
        let s = state(ctx);
        let result =
            products::create_product(&s.services.db, principal.org_id, input.into_draft()?).await;
        product_payload(result, &["input"])
    }

    async fn product_update(
        &self,
        ctx: &Context<'_>,
        input: ProductUpdateInput,
    ) -> async_graphql::Result<ProductPayload> {
        let principal = require(ctx, Role::Operator)?;
        let s = state(ctx);
        let id = ids::decode("Product", &input.id)?;
        let result =
            products::update_product(&s.services.db, principal.org_id, id, input.into_draft()?)
                .await;
        product_payload(result, &["input", "id"])
    }

    async fn product_family_create(
        &self,
        ctx: &Context<'_>,
        input: ProductFamilyCreateInput,
    ) -> async_graphql::Result<ProductFamilyPayload> {
        let principal = require(ctx, Role::Operator)?;
        let s = state(ctx);
        let draft = FamilyDraft {
            sku: input.sku,
            name: input.name,
            description: input.description,
            category: input.category,
            brand: input.brand,
            option_names: input.option_names,
            images: None,
        };
        match products::create_family(&s.services.db, principal.org_id, draft).await {
            Ok(family) => Ok(ProductFamilyPayload {
                family: Some(ProductFamily(family)),
                user_errors: vec![],
            }),
            Err(err) => Ok(ProductFamilyPayload {
                family: None,
                user_errors: user_errors(err, &["input"])?,
            }),
        }
    }
}

fn product_payload(
    result: Result<ProductRecord, domain::DomainError>,
    not_found_field: &[&str],
) -> async_graphql::Result<ProductPayload> {
    payload(result, not_found_field, Product, |product, user_errors| {
        ProductPayload {
            product,
            user_errors,
        }
    })
}
