//! Reference books: locations, price tiers, tax rules, accounts, payment terms and
//! carriers. Everyone reads them; only an admin changes them.

use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use rust_decimal::Decimal;

use domain::auth::Role;
use domain::entities::{account, carrier, enums, location, payment_term, price_tier, tax_rule};
use domain::reference::{
    self, AccountDraft, CarrierDraft, LocationDraft, PaymentTermDraft, TaxRuleDraft,
};

use super::errors::{UserError, optional, payload, query};
use super::ids;
use super::{require, state};

// Customers were reference data here before they grew their own module.
pub use super::customers::Customer;

// ---- output types --------------------------------------------------------------------

pub struct Location(pub location::Model);

#[derive(SimpleObject)]
pub struct LocationAddress {
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub city: Option<String>,
    /// State or region.
    pub region: Option<String>,
    pub postcode: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
}

#[Object]
impl Location {
    async fn id(&self) -> ID {
        ids::encode("Location", self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Sales of stores linked to All Locations use the default location.
    async fn is_default(&self) -> bool {
        self.0.is_default
    }
    /// `null` when no address field is set.
    async fn address(&self) -> Option<LocationAddress> {
        let l = &self.0;
        let any = [
            &l.address_line1,
            &l.address_line2,
            &l.city,
            &l.region,
            &l.postcode,
            &l.country,
        ]
        .iter()
        .any(|f| f.is_some());
        any.then(|| LocationAddress {
            line1: l.address_line1.clone(),
            line2: l.address_line2.clone(),
            city: l.city.clone(),
            region: l.region.clone(),
            postcode: l.postcode.clone(),
            country: l.country.clone(),
        })
    }
}

pub struct PriceTier(pub price_tier::Model);

#[Object]
impl PriceTier {
    async fn tier(&self) -> i32 {
        i32::from(self.0.tier)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
}

pub struct TaxRule(pub tax_rule::Model);

#[Object]
impl TaxRule {
    async fn id(&self) -> ID {
        ids::encode("TaxRule", self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// A percentage.
    async fn rate(&self) -> Decimal {
        // NUMERIC(9,4) reads back as 20.0000; callers see the number as written.
        self.0.rate.normalize()
    }
    async fn is_tax_free(&self) -> bool {
        self.0.is_tax_free
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "enums::AccountKind")]
pub enum AccountKind {
    Revenue,
    Expense,
    Asset,
    Liability,
    Equity,
    Bank,
}

pub struct Account(pub account::Model);

#[Object]
impl Account {
    async fn id(&self) -> ID {
        ids::encode("Account", self.0.id)
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn kind(&self) -> AccountKind {
        self.0.kind.into()
    }
    async fn can_receive_payments(&self) -> bool {
        self.0.can_receive_payments
    }
    /// Usable for gift card sales; only liability accounts that can receive payments.
    async fn is_gift_card_liability(&self) -> bool {
        self.0.is_gift_card_liability
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "payment_term::PaymentTermMethod")]
pub enum PaymentTermMethod {
    /// `days` (0–365) after the invoice date.
    DaysAfterInvoice,
    /// Day `days` (1–31, capped at the month's last day) of the month after the
    /// invoice's.
    DayOfNextMonth,
    /// Paid before the invoice is issued; no `days`.
    Prepaid,
}

pub struct PaymentTerm(pub payment_term::Model);

#[Object]
impl PaymentTerm {
    async fn id(&self) -> ID {
        ids::encode("PaymentTerm", self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn method(&self) -> PaymentTermMethod {
        self.0.method.into()
    }
    /// How many days, or which day of the month; `null` for `PREPAID`.
    async fn days(&self) -> Option<i32> {
        self.0.days
    }
    /// Sales that bring no term of their own (Magento orders) use the default.
    async fn is_default(&self) -> bool {
        self.0.is_default
    }
}

pub struct Carrier(pub carrier::Model);

#[Object]
impl Carrier {
    async fn id(&self) -> ID {
        ids::encode("Carrier", self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// An http(s) URL with `{trackingNumber}` where the number goes.
    async fn tracking_url_template(&self) -> Option<&str> {
        self.0.tracking_url_template.as_deref()
    }
    /// Magento's `carrier_code` on shipment tracks (`ups`, `fedex`, `custom`, …).
    async fn magento_carrier_code(&self) -> Option<&str> {
        self.0.magento_carrier_code.as_deref()
    }
    /// The tracking link for a number; `null` without a template.
    async fn tracking_url(&self, tracking_number: String) -> Option<String> {
        reference::tracking_url(&self.0, &tracking_number)
    }
}

// ---- inputs --------------------------------------------------------------------------

/// Every field optional; blank text is stored as absent.
#[derive(InputObject, Default)]
pub struct LocationAddressInput {
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub city: Option<String>,
    /// State or region.
    pub region: Option<String>,
    pub postcode: Option<String>,
    /// ISO 3166-1 alpha-2, e.g. US.
    pub country: Option<String>,
}

#[derive(InputObject)]
pub struct LocationCreateInput {
    pub name: String,
    /// Making a location the default takes the flag from the current default.
    #[graphql(default)]
    pub is_default: bool,
    pub address: Option<LocationAddressInput>,
}

/// Fields left out stay as they are.
#[derive(InputObject)]
pub struct LocationUpdateInput {
    pub id: ID,
    pub name: Option<String>,
    /// Only `true`: the default moves by making another location the default.
    pub is_default: Option<bool>,
    /// Replaces the whole address; `null` removes it.
    pub address: MaybeUndefined<LocationAddressInput>,
}

#[derive(InputObject)]
pub struct TaxRuleCreateInput {
    pub name: String,
    /// A percentage, 0 to 100.
    pub rate: Decimal,
    #[graphql(default)]
    pub is_tax_free: bool,
}

/// Fields left out stay as they are.
#[derive(InputObject)]
pub struct TaxRuleUpdateInput {
    pub id: ID,
    pub name: Option<String>,
    /// A percentage, 0 to 100.
    pub rate: Option<Decimal>,
    pub is_tax_free: Option<bool>,
}

#[derive(InputObject)]
pub struct AccountCreateInput {
    pub code: String,
    pub name: String,
    pub kind: AccountKind,
    #[graphql(default)]
    pub can_receive_payments: bool,
    /// Only on a liability account that can receive payments.
    #[graphql(default)]
    pub is_gift_card_liability: bool,
}

/// Fields left out stay as they are.
#[derive(InputObject)]
pub struct AccountUpdateInput {
    pub id: ID,
    pub code: Option<String>,
    pub name: Option<String>,
    pub kind: Option<AccountKind>,
    pub can_receive_payments: Option<bool>,
    pub is_gift_card_liability: Option<bool>,
}

#[derive(InputObject)]
pub struct PaymentTermCreateInput {
    pub name: String,
    pub method: PaymentTermMethod,
    /// Required by the two day-based methods; not with `PREPAID`.
    pub days: Option<i32>,
    #[graphql(default)]
    pub is_default: bool,
}

/// Fields left out stay as they are; switching to `PREPAID` drops the days.
#[derive(InputObject)]
pub struct PaymentTermUpdateInput {
    pub id: ID,
    pub name: Option<String>,
    pub method: Option<PaymentTermMethod>,
    pub days: MaybeUndefined<i32>,
    /// Only `true`: the default moves by making another term the default.
    pub is_default: Option<bool>,
}

#[derive(InputObject)]
pub struct CarrierCreateInput {
    pub name: String,
    /// An http(s) URL with `{trackingNumber}` where the number goes.
    pub tracking_url_template: Option<String>,
    /// Magento's carrier code (`ups`, `fedex`, `custom`, …); unique per organisation.
    pub magento_carrier_code: Option<String>,
}

/// Fields left out stay as they are; `null` clears.
#[derive(InputObject)]
pub struct CarrierUpdateInput {
    pub id: ID,
    pub name: Option<String>,
    pub tracking_url_template: MaybeUndefined<String>,
    pub magento_carrier_code: MaybeUndefined<String>,
}

// ---- payloads ------------------------------------------------------------------------

#[derive(SimpleObject)]
pub struct LocationPayload {
    pub location: Option<Location>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct TaxRulePayload {
    pub tax_rule: Option<TaxRule>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct AccountPayload {
    pub account: Option<Account>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct PriceTierPayload {
    pub price_tier: Option<PriceTier>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct PaymentTermPayload {
    pub payment_term: Option<PaymentTerm>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct CarrierPayload {
    pub carrier: Option<Carrier>,
    pub user_errors: Vec<UserError>,
}

/// `MaybeUndefined` → the domain's "leave / clear / set".
pub(crate) fn change<T>(value: MaybeUndefined<T>) -> Option<Option<T>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

impl LocationAddressInput {
    /// Sets every address field of the draft (absent ones cleared).
    fn apply(self, draft: &mut LocationDraft) {
        draft.address_line1 = Some(self.line1);
        draft.address_line2 = Some(self.line2);
        draft.city = Some(self.city);
        draft.region = Some(self.region);
        draft.postcode = Some(self.postcode);
        draft.country = Some(self.country);
    }
}

/// The uuid of an update's `input.id`.
fn target(kind: &str, id: &ID) -> async_graphql::Result<uuid::Uuid> {
    ids::decode(kind, id)
}

// ---- queries -------------------------------------------------------------------------

#[derive(Default)]
pub struct ReferenceQuery;

#[Object]
impl ReferenceQuery {
    /// By name.
    async fn locations(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Location>> {
        let principal = require(ctx, Role::Viewer)?;
        let s = state(ctx);
        Ok(
            query(reference::locations(&s.services.db, principal.org_id).await)?
                .into_iter()
                .map(Location)
                .collect(),
        )
    }

    async fn location(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Location>> {
        let principal = require(ctx, Role::Viewer)?;
        let id = ids::decode("Location", &id)?;
        let s = state(ctx);
        Ok(
            optional(reference::location(&s.services.db, principal.org_id, id).await)?
                .map(Location),
        )
    }

    /// The ten tiers, in order.
    async fn price_tiers(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PriceTier>> {
        let principal = require(ctx, Role::Viewer)?;
        let s = state(ctx);
        Ok(
            query(reference::price_tiers(&s.services.db, principal.org_id).await)?
                .into_iter()
                .map(PriceTier)
                .collect(),
        )
    }

    /// By name.
    async fn tax_rules(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<TaxRule>> {
        let principal = require(ctx, Role::Viewer)?;
        let s = state(ctx);
        Ok(
            query(reference::tax_rules(&s.services.db, principal.org_id).await)?
                .into_iter()
                .map(TaxRule)
                .collect(),
        )
    }

    /// The chart of accounts, by code.
    async fn accounts(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Account>> {
        let principal = require(ctx, Role::Viewer)?;
        let s = state(ctx);
        Ok(
            query(reference::accounts(&s.services.db, principal.org_id).await)?
                .into_iter()
                .map(Account)
                .collect(),
        )
    }

    /// By name.
    async fn payment_terms(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PaymentTerm>> {
        let principal = require(ctx, Role::Viewer)?;
        let s = state(ctx);
        Ok(
            query(reference::payment_terms(&s.services.db, principal.org_id).await)?
                .into_iter()
                .map(PaymentTerm)
                .collect(),
        )
    }

    /// By name.
    async fn carriers(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Carrier>> {
        let principal = require(ctx, Role::Viewer)?;
        let s = state(ctx);
        Ok(
            query(reference::carriers(&s.services.db, principal.org_id).await)?
                .into_iter()
                .map(Carrier)
                .collect(),
        )
    }
}

// ---- mutations -----------------------------------------------------------------------

#[derive(Default)]
pub struct ReferenceMutation;

#[Object]
impl ReferenceMutation {
    async fn location_create(
        &self,
        ctx: &Context<'_>,
        input: LocationCreateInput,
    ) -> async_graphql::Result<LocationPayload> {
        let principal = require(ctx, Role::Admin)?;
        let s = state(ctx);
        let mut draft = LocationDraft {
            name: Some(input.name),
            is_default: Some(input.is_default),
            ..LocationDraft::default()
        };
        if let Some(address) = input.address {
            address.apply(&mut draft);
        }
        let result = reference::create_location(&s.services.db, principal.org_id, draft).await;
        payload(result, &["input"], Location, |location, user_errors| {
            LocationPayload {
                location,
                user_errors,
            }
        })
    }

    async fn location_update(
        &self,
        ctx: &Context<'_>,
        input: LocationUpdateInput,
    ) -> async_graphql::Result<LocationPayload> {
        let principal = require(ctx, Role::Admin)?;
        let s = state(ctx);
        let mut draft = LocationDraft {
            name: input.name,
            is_default: input.is_default,
            ..LocationDraft::default()
        };
        match input.address {
            MaybeUndefined::Undefined => {}
            MaybeUndefined::Null => LocationAddressInput::default().apply(&mut draft),
            MaybeUndefined::Value(address) => address.apply(&mut draft),
        }
        let result = {
            let id = target("Location", &input.id)?;
            reference::update_location(&s.services.db, principal.org_id, id, draft).await
        };
        payload(
            result,
            &["input", "id"],
            Location,
            |location, user_errors| LocationPayload {
                location,
                user_errors,
            },
        )
    }

    /// Tiers are 1 to 10; names are unique without regard to case.
    async fn price_tier_rename(
        &self,
        ctx: &Context<'_>,
        tier: i32,
        name: String,
    ) -> async_graphql::Result<PriceTierPayload> {
        let principal = require(ctx, Role::Admin)?;
        let s = state(ctx);
        let result =
            reference::rename_price_tier(&s.services.db, principal.org_id, tier, &name).await;
        payload(result, &["tier"], PriceTier, |price_tier, user_errors| {
            PriceTierPayload {
                price_tier,
                user_errors,
            }
        })
    }

    async fn tax_rule_create(
        &self,
        ctx: &Context<'_>,
        input: TaxRuleCreateInput,
    ) -> async_graphql::Result<TaxRulePayload> {
        let principal = require(ctx, Role::Admin)?;
        let s = state(ctx);
        let draft = TaxRuleDraft {
            name: Some(input.name),
            rate: Some(input.rate),
            is_tax_free: Some(input.is_tax_free),
        };
        let result = reference::create_tax_rule(&s.services.db, principal.org_id, draft).await;
        payload(result, &["input"], TaxRule, |tax_rule, user_errors| {
            TaxRulePayload {
                tax_rule,
                user_errors,
            }
        })
    }

    async fn tax_rule_update(
        &self,
        ctx: &Context<'_>,
        input: TaxRuleUpdateInput,
    ) -> async_graphql::Result<TaxRulePayload> {
        let principal = require(ctx, Role::Admin)?;
        let s = state(ctx);
        let draft = TaxRuleDraft {
            name: input.name,
            rate: input.rate,
            is_tax_free: input.is_tax_free,
        };
        let result = {
            let id = target("TaxRule", &input.id)?;
            reference::update_tax_rule(&s.services.db, principal.org_id, id, draft).await
        };
        payload(
            result,
            &["input", "id"],
            TaxRule,
            |tax_rule, user_errors| TaxRulePayload {
                tax_rule,
                user_errors,
            },
        )
    }

    async fn account_create(
        &self,
        ctx: &Context<'_>,
        input: AccountCreateInput,
    ) -> async_graphql::Result<AccountPayload> {
        let principal = require(ctx, Role::Admin)?;
        let s = state(ctx);
        let draft = AccountDraft {
            code: Some(input.code),
            name: Some(input.name),
            kind: Some(input.kind.into()),
            can_receive_payments: Some(input.can_receive_payments),
            is_gift_card_liability: Some(input.is_gift_card_liability),
        };
        let result = reference::create_account(&s.services.db, principal.org_id, draft).await;
        payload(result, &["input"], Account, |account, user_errors| {
            AccountPayload {
                account,
                user_errors,
            }
        })
    }

    /// Store settings, payment mappings and customers that use the account keep what
    /// they need of it (kind, payments, the gift-card flag).
    async fn account_update(
        &self,
        ctx: &Context<'_>,
        input: AccountUpdateInput,
    ) -> async_graphql::Result<AccountPayload> {
        let principal = require(ctx, Role::Admin)?;
        let s = state(ctx);
        let draft = AccountDraft {
            code: input.code,
            name: input.name,
            kind: input.kind.map(Into::into),
            can_receive_payments: input.can_receive_payments,
            is_gift_card_liability: input.is_gift_card_liability,
        };
        let result = {
            let id = target("Account", &input.id)?;
            reference::update_account(&s.services.db, principal.org_id, id, draft).await
        };
        payload(result, &["input", "id"], Account, |account, user_errors| {
            AccountPayload {
                account,
                user_errors,
            }
        })
    }

    async fn payment_term_create(
        &self,
        ctx: &Context<'_>,
        input: PaymentTermCreateInput,
    ) -> async_graphql::Result<PaymentTermPayload> {
        let principal = require(ctx, Role::Admin)?;
        let s = state(ctx);
        let draft = PaymentTermDraft {
            name: Some(input.name),
            method: Some(input.method.into()),
            days: Some(input.days),
            is_default: Some(input.is_default),
        };
        let result = reference::create_payment_term(&s.services.db, principal.org_id, draft).await;
        payload(
            result,
            &["input"],
            PaymentTerm,
            |payment_term, user_errors| PaymentTermPayload {
                payment_term,
                user_errors,
            },
        )
    }

    async fn payment_term_update(
        &self,
        ctx: &Context<'_>,
        input: PaymentTermUpdateInput,
    ) -> async_graphql::Result<PaymentTermPayload> {
        let principal = require(ctx, Role::Admin)?;
        let s = state(ctx);
        let draft = PaymentTermDraft {
            name: input.name,
            method: input.method.map(Into::into),
            days: change(input.days),
            is_default: input.is_default,
        };
        let result = {
            let id = target("PaymentTerm", &input.id)?;
            reference::update_payment_term(&s.services.db, principal.org_id, id, draft).await
        };
        payload(
            result,
            &["input", "id"],
            PaymentTerm,
            |payment_term, user_errors| PaymentTermPayload {
                payment_term,
                user_errors,
            },
        )
    }

    async fn carrier_create(
        &self,
        ctx: &Context<'_>,
        input: CarrierCreateInput,
    ) -> async_graphql::Result<CarrierPayload> {
        let principal = require(ctx, Role::Admin)?;
        let s = state(ctx);
        let draft = CarrierDraft {
            name: Some(input.name),
            tracking_url_template: Some(input.tracking_url_template),
            magento_carrier_code: Some(input.magento_carrier_code),
        };
        let result = reference::create_carrier(&s.services.db, principal.org_id, draft).await;
        payload(result, &["input"], Carrier, |carrier, user_errors| {
            CarrierPayload {
                carrier,
                user_errors,
            }
        })
    }

    async fn carrier_update(
        &self,
        ctx: &Context<'_>,
        input: CarrierUpdateInput,
    ) -> async_graphql::Result<CarrierPayload> {
        let principal = require(ctx, Role::Admin)?;
        let s = state(ctx);
        let draft = CarrierDraft {
            name: input.name,
            tracking_url_template: change(input.tracking_url_template),
            magento_carrier_code: change(input.magento_carrier_code),
        };
        let id = target("Carrier", &input.id)?;
        let result = reference::update_carrier(&s.services.db, principal.org_id, id, draft).await;
        payload(result, &["input", "id"], Carrier, |carrier, user_errors| {
            CarrierPayload {
                carrier,
                user_errors,
            }
        })
    }
}
