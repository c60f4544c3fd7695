//! Store settings (`docs/settings.md`): a patch is merged onto the current settings, the
//! merged whole is validated, and only a valid whole is saved, so a call never saves
//! part of itself. A parent setting turned off keeps its children's values; they just
//! stop having an effect (see the `effective_*` helpers).

use rust_decimal::Decimal;
use uuid::Uuid;

use entities::account;
use entities::enums::{
    AccountKind, AutoAssemblyMode, CaptureOrderWhen, Consolidation, FulfilmentMode, InvoiceStatus,
    SalesStoreScope,
};
use entities::magento_setting::Model as Settings;

use crate::error::{ErrorCode, FieldError};

/// Every field optional; `Some(None)` clears a nullable setting.
#[derive(Debug, Clone, Default)]
pub struct SettingsPatch {
    pub sales_store_scope: Option<SalesStoreScope>,
    pub sales_store_view_code: Option<Option<String>>,
    pub capture_order_when: Option<CaptureOrderWhen>,
    pub consolidation: Option<Consolidation>,
    pub consolidation_time: Option<Option<String>>,
    pub default_customer_id: Option<Option<Uuid>>,
    pub use_company_as_customer: Option<bool>,
    pub price_tier: Option<i32>,
    pub sale_price_tier: Option<i32>,
    pub fulfilment_mode: Option<FulfilmentMode>,
    pub auto_assembly_mode: Option<AutoAssemblyMode>,
    pub ignore_restock_for_unfulfilled: Option<bool>,
    pub location_id: Option<Option<Uuid>>,
    pub invoice_status: Option<InvoiceStatus>,
    pub gift_card_liability_account_code: Option<Option<String>>,
    pub revenue_account_code: Option<Option<String>>,
    pub sales_representative: Option<Option<String>>,
    pub list_products_as_draft: Option<bool>,
    pub update_stock_levels: Option<bool>,
    pub use_buffer_inventory: Option<bool>,
    pub buffer_inventory: Option<Decimal>,
    pub update_manage_stock: Option<bool>,
    pub update_is_in_stock: Option<bool>,
    pub magento_is_master: Option<bool>,
    pub import_stock_operations: Option<bool>,
    pub export_shipments: Option<bool>,
    pub send_shipment_email: Option<bool>,
    pub skip_shipment_without_tracking: Option<bool>,
    pub load_coupon_codes: Option<bool>,
}

/// What the patch refers to, looked up in the caller's organisation beforehand so the
/// rules stay a pure function.
#[derive(Debug, Clone, Default)]
pub struct References {
    pub store_view_codes: Vec<String>,
    pub customer_exists: bool,
    pub location_exists: bool,
    pub gift_card_account: Option<account::Model>,
    pub revenue_account: Option<account::Model>,
}

/// A setting's error names the setting.
fn err(field: &str, code: ErrorCode, message: impl Into<String>) -> FieldError {
    FieldError::new(&[field], code, message)
}

/// `HH:MM`, 24-hour.
pub fn parse_consolidation_time(raw: &str) -> Option<(u32, u32)> {
    let (h, m) = raw.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some((h, m))
}

/// Merges and validates. On success returns the new settings (account ids resolved);
/// on failure every broken rule, each naming its setting.
pub fn apply(
    current: &Settings,
    patch: &SettingsPatch,
    refs: &References,
) -> Result<Settings, Vec<FieldError>> {
    let mut next = current.clone();
    let mut errors = Vec::new();

    if let Some(v) = patch.sales_store_scope {
        next.sales_store_scope = v;
    }
    if let Some(v) = &patch.sales_store_view_code {
        next.sales_store_view_code = v
            .as_ref()
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty());
    }
    if let Some(v) = patch.capture_order_when {
        next.capture_order_when = v;
    }
    if let Some(v) = patch.consolidation {
        next.consolidation = v;
    }
    if let Some(v) = &patch.consolidation_time {
        next.consolidation_time = v
            .as_ref()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty());
    }
    if let Some(v) = patch.default_customer_id {
        next.default_customer_id = v;
    }
    if let Some(v) = patch.use_company_as_customer {
        next.use_company_as_customer = v;
    }
    for (field, value, target) in [
        ("priceTier", patch.price_tier, &mut next.price_tier),
        (
            "salePriceTier",
            patch.sale_price_tier,
            &mut next.sale_price_tier,
        ),
    ] {
        if let Some(tier) = value {
            if (1..=10).contains(&tier) {
                *target = tier as i16;
            } else {
                errors.push(err(
                    field,
                    ErrorCode::OutOfRange,
                    "a price tier is a number from 1 to 10",
                ));
            }
        }
    }
    if let Some(v) = patch.fulfilment_mode {
        next.fulfilment_mode = v;
    }
    if let Some(v) = patch.auto_assembly_mode {
        next.auto_assembly_mode = v;
    }
    if let Some(v) = patch.ignore_restock_for_unfulfilled {
        next.ignore_restock_for_unfulfilled = v;
    }
    if let Some(v) = patch.location_id {
        next.location_id = v;
    }
    if let Some(v) = patch.invoice_status {
        next.invoice_status = v;
    }
    if let Some(v) = &patch.sales_representative {
        next.sales_representative = v
            .as_ref()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
    }
    for (value, target) in [
        (
            patch.list_products_as_draft,
            &mut next.list_products_as_draft,
        ),
        (patch.update_stock_levels, &mut next.update_stock_levels),
        (patch.use_buffer_inventory, &mut next.use_buffer_inventory),
        (patch.update_manage_stock, &mut next.update_manage_stock),
        (patch.update_is_in_stock, &mut next.update_is_in_stock),
        (patch.magento_is_master, &mut next.magento_is_master),
        (
            patch.import_stock_operations,
            &mut next.import_stock_operations,
        ),
        (patch.export_shipments, &mut next.export_shipments),
        (patch.send_shipment_email, &mut next.send_shipment_email),
        (
            patch.skip_shipment_without_tracking,
            &mut next.skip_shipment_without_tracking,
        ),
        (patch.load_coupon_codes, &mut next.load_coupon_codes),
    ] {
        if let Some(v) = value {
            *target = v;
        }
    }

    // Magento Store: a store view must be one Magento told us about.
    if let Some(code) = &next.sales_store_view_code
        && patch.sales_store_view_code.is_some()
        && !refs.store_view_codes.iter().any(|c| c == code)
    {
        errors.push(err(
            "salesStoreViewCode",
            ErrorCode::NotFound,
            format!("Magento has no store view '{code}'"),
        ));
    }
    if next.sales_store_scope == SalesStoreScope::StoreView && next.sales_store_view_code.is_none()
    {
        errors.push(err(
            "salesStoreViewCode",
            ErrorCode::RequiresSetting,
            "loading one store view needs its code",
        ));
    }

    // Consolidation time and customer.
    if let Some(Some(time)) = &patch.consolidation_time
        && parse_consolidation_time(time.trim()).is_none()
    {
        errors.push(err(
            "consolidationTime",
            ErrorCode::OutOfRange,
            "a time is HH:MM, from 00:00 to 23:59",
        ));
    }
    if next.consolidation == Consolidation::Daily {
        if next.consolidation_time.is_none() {
            errors.push(err(
                "consolidationTime",
                ErrorCode::RequiresSetting,
                "daily consolidation needs a consolidation time",
            ));
        }
        if next.default_customer_id.is_none() {
            errors.push(err(
                "defaultCustomerId",
                ErrorCode::RequiresSetting,
                "daily consolidation needs a customer",
            ));
        }
    }
    if matches!(patch.default_customer_id, Some(Some(_))) && !refs.customer_exists {
        errors.push(err(
            "defaultCustomerId",
            ErrorCode::NotFound,
            "no such customer",
        ));
    }

    // Ignore restock is a rule of Auto Pick + Pack + Ship only.
    if patch.ignore_restock_for_unfulfilled == Some(true)
        && next.fulfilment_mode != FulfilmentMode::AutoPickPackShip
    {
        errors.push(err(
            "ignoreRestockForUnfulfilled",
            ErrorCode::InvalidCombination,
            "only applies when fulfilmentMode is AUTO_PICK_PACK_SHIP",
        ));
    }

    if matches!(patch.location_id, Some(Some(_))) && !refs.location_exists {
        errors.push(err("locationId", ErrorCode::NotFound, "no such location"));
    }

    // Accounts.
    if let Some(code) = &patch.gift_card_liability_account_code {
        match (code, &refs.gift_card_account) {
            (None, _) => next.gift_card_liability_account_id = None,
            (Some(code), None) => errors.push(err(
                "giftCardLiabilityAccountCode",
                ErrorCode::NotFound,
                format!("no account '{code}'"),
            )),
            (Some(_), Some(account))
                if account.kind != AccountKind::Liability || !account.can_receive_payments =>
            {
                errors.push(err(
                    "giftCardLiabilityAccountCode",
                    ErrorCode::InvalidCombination,
                    "the gift card account must be a liability account that can receive payments",
                ));
            }
            (Some(_), Some(account)) => next.gift_card_liability_account_id = Some(account.id),
        }
    }
    if let Some(code) = &patch.revenue_account_code {
        match (code, &refs.revenue_account) {
            (None, _) => next.revenue_account_id = None,
            (Some(code), None) => errors.push(err(
                "revenueAccountCode",
                ErrorCode::NotFound,
                format!("no account '{code}'"),
            )),
            (Some(_), Some(account)) if account.kind != AccountKind::Revenue => {
                errors.push(err(
                    "revenueAccountCode",
                    ErrorCode::InvalidCombination,
                    "must be a revenue account",
                ));
            }
            (Some(_), Some(account)) => next.revenue_account_id = Some(account.id),
        }
    }

    // Stock: Update Stock Levels ⊃ Use Buffer Inventory ⊃ Buffer Inventory.
    if patch.use_buffer_inventory == Some(true) && !next.update_stock_levels {
        errors.push(err(
            "useBufferInventory",
            ErrorCode::RequiresSetting,
            "needs updateStockLevels",
        ));
    }
    if let Some(buffer) = patch.buffer_inventory {
        match crate::channel::magento::buffer::buffer_units(buffer) {
            None => errors.push(err(
                "bufferInventory",
                ErrorCode::OutOfRange,
                format!(
                    "the buffer is a whole number of units from 0 to {}",
                    crate::channel::magento::buffer::MAX_BUFFER
                ),
            )),
            Some(_) if !next.use_buffer_inventory => errors.push(err(
                "bufferInventory",
                ErrorCode::RequiresSetting,
                "needs useBufferInventory",
            )),
            Some(units) => next.buffer_inventory = units,
        }
    }

    if errors.is_empty() {
        Ok(next)
    } else {
        Err(errors)
    }
}

/// The channel buffer that applies to products without their own buffer.
pub fn effective_channel_buffer(s: &Settings) -> i32 {
    if s.update_stock_levels && s.use_buffer_inventory {
        s.buffer_inventory
    } else {
        0
    }
}

pub fn effective_ignore_restock(s: &Settings) -> bool {
    s.ignore_restock_for_unfulfilled && s.fulfilment_mode == FulfilmentMode::AutoPickPackShip
}

/// Defaults of every setting (`docs/settings.md`), for a newly connected store.
pub fn defaults(store_id: Uuid, org_id: Uuid) -> Settings {
    Settings {
        store_id,
        org_id,
        sales_store_scope: SalesStoreScope::DoNotLoad,
        sales_store_view_code: None,
        capture_order_when: CaptureOrderWhen::Created,
        consolidation: Consolidation::NoConsolidation,
        consolidation_time: None,
        default_customer_id: None,
        use_company_as_customer: false,
        price_tier: 1,
        sale_price_tier: 1,
        fulfilment_mode: FulfilmentMode::DraftOrder,
        auto_assembly_mode: AutoAssemblyMode::ForOrderedQuantity,
        ignore_restock_for_unfulfilled: false,
        location_id: None,
        invoice_status: InvoiceStatus::Draft,
        gift_card_liability_account_id: None,
        revenue_account_id: None,
        sales_representative: None,
        list_products_as_draft: false,
        update_stock_levels: false,
        use_buffer_inventory: false,
        buffer_inventory: 0,
        update_manage_stock: false,
        update_is_in_stock: false,
        magento_is_master: false,
        import_stock_operations: false,
        export_shipments: false,
        send_shipment_email: false,
        skip_shipment_without_tracking: false,
        load_coupon_codes: false,
        tax_free_tax_rule_id: None,
        updated_at: chrono::Utc::now(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn current() -> Settings {
        defaults(Uuid::new_v4(), Uuid::new_v4())
    }

    fn refs() -> References {
        References {
            store_view_codes: vec!["default".into(), "fr".into()],
            ..Default::default()
        }
    }

    fn codes(result: Result<Settings, Vec<FieldError>>) -> Vec<(String, ErrorCode)> {
        result
            .expect_err("should be refused")
            .into_iter()
            .map(|e| (e.field[0].clone(), e.code))
            .collect()
    }

    fn account(kind: AccountKind, can_receive_payments: bool) -> account::Model {
        account::Model {
            id: Uuid::new_v4(),
            org_id: Uuid::new_v4(),
            code: "X".into(),
            name: "X".into(),
            kind,
            can_receive_payments,
            is_gift_card_liability: kind == AccountKind::Liability && can_receive_payments,
            created_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn defaults_follow_the_spec() {
        let s = current();
        assert_eq!(s.sales_store_scope, SalesStoreScope::DoNotLoad);
        assert_eq!(s.fulfilment_mode, FulfilmentMode::DraftOrder);
        assert_eq!(s.invoice_status, InvoiceStatus::Draft);
        assert_eq!((s.price_tier, s.sale_price_tier), (1, 1));
        assert!(!s.update_stock_levels && !s.list_products_as_draft && !s.send_shipment_email);
        assert!(!s.ignore_restock_for_unfulfilled && !s.magento_is_master);
        assert_eq!(s.location_id, None);
    }

    #[test]
    fn a_buffer_without_use_buffer_inventory_is_refused() {
        let patch = SettingsPatch {
            buffer_inventory: Some(dec!(5)),
            ..Default::default()
        };
        assert_eq!(
            codes(apply(&current(), &patch, &refs())),
            vec![("bufferInventory".into(), ErrorCode::RequiresSetting)]
        );
    }

    #[test]
    fn use_buffer_inventory_needs_update_stock_levels() {
        let patch = SettingsPatch {
            use_buffer_inventory: Some(true),
            ..Default::default()
        };
        assert_eq!(
            codes(apply(&current(), &patch, &refs())),
            vec![("useBufferInventory".into(), ErrorCode::RequiresSetting)]
        );
    }

    #[test]
    fn a_negative_fractional_or_impossibly_large_buffer_is_out_of_range() {
        for bad in [dec!(-1), dec!(2.5), dec!(1000000000), dec!(100000000)] {
            let patch = SettingsPatch {
                update_stock_levels: Some(true),
                use_buffer_inventory: Some(true),
                buffer_inventory: Some(bad),
                ..Default::default()
            };
            assert_eq!(
                codes(apply(&current(), &patch, &refs())),
                vec![("bufferInventory".into(), ErrorCode::OutOfRange)]
            );
        }
    }

    #[test]
    fn a_buffer_set_with_its_parents_in_one_call_is_saved() {
        let patch = SettingsPatch {
            update_stock_levels: Some(true),
            use_buffer_inventory: Some(true),
            buffer_inventory: Some(dec!(7)),
            ..Default::default()
        };
        let next = apply(&current(), &patch, &refs()).expect("valid");
        assert_eq!(next.buffer_inventory, 7);
        assert_eq!(effective_channel_buffer(&next), 7);
    }

    #[test]
    fn turning_update_stock_levels_off_keeps_the_buffer_but_stops_its_effect() {
        let on = SettingsPatch {
            update_stock_levels: Some(true),
            use_buffer_inventory: Some(true),
            buffer_inventory: Some(dec!(3)),
            ..Default::default()
        };
        let with_buffer = apply(&current(), &on, &refs()).expect("valid");
        let off = SettingsPatch {
            update_stock_levels: Some(false),
            ..Default::default()
        };
        let next = apply(&with_buffer, &off, &refs()).expect("turning a parent off is allowed");
        assert_eq!(next.buffer_inventory, 3);
        assert!(next.use_buffer_inventory);
        assert_eq!(effective_channel_buffer(&next), 0);
    }

    #[test]
    fn daily_consolidation_needs_a_customer_and_a_time() {
        let patch = SettingsPatch {
            consolidation: Some(Consolidation::Daily),
            ..Default::default()
        };
        let mut got = codes(apply(&current(), &patch, &refs()));
        got.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            got,
            vec![
                ("consolidationTime".into(), ErrorCode::RequiresSetting),
                ("defaultCustomerId".into(), ErrorCode::RequiresSetting)
            ]
        );
    }

    #[test]
    fn daily_consolidation_with_customer_and_time_is_saved() {
        let customer = Uuid::new_v4();
        let patch = SettingsPatch {
            consolidation: Some(Consolidation::Daily),
            consolidation_time: Some(Some("18:30".into())),
            default_customer_id: Some(Some(customer)),
            ..Default::default()
        };
        let references = References {
            customer_exists: true,
            ..refs()
        };
        let next = apply(&current(), &patch, &references).expect("valid");
        assert_eq!(next.consolidation_time.as_deref(), Some("18:30"));
        assert_eq!(next.default_customer_id, Some(customer));
    }

    #[test]
    fn a_consolidation_time_must_be_hh_mm() {
        for bad in ["24:00", "7:5", "noon", "12:60"] {
            let patch = SettingsPatch {
                consolidation_time: Some(Some(bad.into())),
                ..Default::default()
            };
            assert_eq!(
                codes(apply(&current(), &patch, &refs())),
                vec![("consolidationTime".into(), ErrorCode::OutOfRange)]
            );
        }
    }

    #[test]
    fn ignore_restock_is_refused_outside_auto_pick_pack_ship() {
        let patch = SettingsPatch {
            ignore_restock_for_unfulfilled: Some(true),
            ..Default::default()
        };
        assert_eq!(
            codes(apply(&current(), &patch, &refs())),
            vec![(
                "ignoreRestockForUnfulfilled".into(),
                ErrorCode::InvalidCombination
            )]
        );
        let with_mode = SettingsPatch {
            ignore_restock_for_unfulfilled: Some(true),
            fulfilment_mode: Some(FulfilmentMode::AutoPickPackShip),
            ..Default::default()
        };
        let next = apply(&current(), &with_mode, &refs()).expect("valid");
        assert!(effective_ignore_restock(&next));
    }

    #[test]
    fn a_store_view_must_be_one_magento_has() {
        let patch = SettingsPatch {
            sales_store_scope: Some(SalesStoreScope::StoreView),
            sales_store_view_code: Some(Some("de".into())),
            ..Default::default()
        };
        assert_eq!(
            codes(apply(&current(), &patch, &refs())),
            vec![("salesStoreViewCode".into(), ErrorCode::NotFound)]
        );
        let scope_only = SettingsPatch {
            sales_store_scope: Some(SalesStoreScope::StoreView),
            ..Default::default()
        };
        assert_eq!(
            codes(apply(&current(), &scope_only, &refs())),
            vec![("salesStoreViewCode".into(), ErrorCode::RequiresSetting)]
        );
    }

    #[test]
    fn price_tiers_are_one_to_ten() {
        let patch = SettingsPatch {
            price_tier: Some(11),
            sale_price_tier: Some(0),
            ..Default::default()
        };
        assert_eq!(
            codes(apply(&current(), &patch, &refs())),
            vec![
                ("priceTier".into(), ErrorCode::OutOfRange),
                ("salePriceTier".into(), ErrorCode::OutOfRange)
            ]
        );
    }

    #[test]
    fn the_gift_card_account_must_be_a_liability_that_receives_payments() {
        let patch = SettingsPatch {
            gift_card_liability_account_code: Some(Some("4000".into())),
            ..Default::default()
        };
        let wrong = References {
            gift_card_account: Some(account(AccountKind::Revenue, false)),
            ..refs()
        };
        assert_eq!(
            codes(apply(&current(), &patch, &wrong)),
            vec![(
                "giftCardLiabilityAccountCode".into(),
                ErrorCode::InvalidCombination
            )]
        );
        let right = References {
            gift_card_account: Some(account(AccountKind::Liability, true)),
            ..refs()
        };
        assert!(
            apply(&current(), &patch, &right)
                .expect("valid")
                .gift_card_liability_account_id
                .is_some()
        );
        assert_eq!(
            codes(apply(&current(), &patch, &refs())),
            vec![("giftCardLiabilityAccountCode".into(), ErrorCode::NotFound)]
        );
    }

    #[test]
    fn the_revenue_account_must_be_a_revenue_account() {
        let patch = SettingsPatch {
            revenue_account_code: Some(Some("2300".into())),
            ..Default::default()
        };
        let wrong = References {
            revenue_account: Some(account(AccountKind::Liability, true)),
            ..refs()
        };
        assert_eq!(
            codes(apply(&current(), &patch, &wrong)),
            vec![("revenueAccountCode".into(), ErrorCode::InvalidCombination)]
        );
    }

    #[test]
    fn one_bad_setting_saves_none_of_the_call() {
        let patch = SettingsPatch {
            list_products_as_draft: Some(true),
            price_tier: Some(42),
            ..Default::default()
        };
        assert!(apply(&current(), &patch, &refs()).is_err());
    }

    #[test]
    fn an_empty_sales_representative_falls_back_to_none() {
        let patch = SettingsPatch {
            sales_representative: Some(Some("   ".into())),
            ..Default::default()
        };
        assert_eq!(
            apply(&current(), &patch, &refs())
                .expect("valid")
                .sales_representative,
            None
        );
    }
}
