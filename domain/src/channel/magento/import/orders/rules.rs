//! Which Magento orders a store captures (`docs/settings.md`, settings 2 and 3): the
//! store filter ("Magento Store") and the capture rule ("Capture order when it is").
//! Pure functions of the order's header and the settings, so every source (notification,
//! poller, "Load Orders") decides the same way.

use magento::dto::{OrderHeader, OrderState, StoreView};

use entities::enums::{CaptureOrderWhen, SalesStoreScope};
use entities::magento_setting::Model as Settings;

/// What capture makes of an order it has not captured yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Capture,
    /// "Magento Store" is "Do not load".
    NotLoaded,
    /// "Magento Store" names another store view.
    OtherStoreView,
    /// The capture rule is not met yet; a later update may meet it.
    NotYet,
    /// Cancelled before it was ever captured: there is nothing to hold stock for.
    Cancelled,
}

/// The verdict on an order not in the log yet. `store_views` are the store's cached
/// views, which turn the setting's view code into Magento's `store_id`.
pub fn verdict(settings: &Settings, store_views: &[StoreView], order: &OrderHeader) -> Verdict {
    match settings.sales_store_scope {
        SalesStoreScope::DoNotLoad => return Verdict::NotLoaded,
        SalesStoreScope::AllStores => {}
        SalesStoreScope::StoreView => {
            let wanted = settings.sales_store_view_code.as_deref().and_then(|code| {
                store_views
                    .iter()
                    .find(|view| view.code.eq_ignore_ascii_case(code))
                    .map(|view| view.id)
            });
            if wanted.is_none() || wanted != order.store_id {
                return Verdict::OtherStoreView;
            }
        }
    }
    if order.state == Some(OrderState::Canceled) {
        return Verdict::Cancelled;
    }
    if meets_capture_rule(settings.capture_order_when, order) {
        Verdict::Capture
    } else {
        Verdict::NotYet
    }
}

/// Setting 3. `PAID` is invoiced in full (`total_paid` ≥ `grand_total`) or invoiced at
/// all (an invoice exists); the third value is Magento's state `processing`,
/// `complete` or `closed` (a refunded order is `closed`).
pub fn meets_capture_rule(rule: CaptureOrderWhen, order: &OrderHeader) -> bool {
    match rule {
        CaptureOrderWhen::Created => true,
        CaptureOrderWhen::Paid => {
            order.total_paid >= order.grand_total
                || order.total_invoiced > rust_decimal::Decimal::ZERO
        }
        CaptureOrderWhen::ProcessingCompleteRefundedClosed => matches!(
            order.state,
            Some(OrderState::Processing | OrderState::Complete | OrderState::Closed)
        ),
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;
    use uuid::Uuid;

    use super::*;

    fn settings(scope: SalesStoreScope, code: Option<&str>, rule: CaptureOrderWhen) -> Settings {
        let mut settings = crate::channel::magento::settings::defaults(Uuid::nil(), Uuid::nil());
        settings.sales_store_scope = scope;
        settings.sales_store_view_code = code.map(str::to_owned);
        settings.capture_order_when = rule;
        settings
    }

    fn views() -> Vec<StoreView> {
        serde_json::from_value(serde_json::json!([
            {"id": 1, "code": "default", "name": "Default", "website_id": 1},
            {"id": 2, "code": "fr", "name": "French", "website_id": 1}
        ]))
        .expect("store views")
    }

    fn order(store_id: i64, state: &str, grand_total: &str, total_paid: &str) -> OrderHeader {
        serde_json::from_value(serde_json::json!({
            "entity_id": 7, "increment_id": "000000007", "store_id": store_id,
            "state": state, "status": state, "grand_total": grand_total,
            "total_paid": total_paid
        }))
        .expect("order header")
    }

    #[test]
    fn do_not_load_captures_nothing() {
        let s = settings(SalesStoreScope::DoNotLoad, None, CaptureOrderWhen::Created);
        assert_eq!(
            verdict(&s, &views(), &order(1, "new", "10", "0")),
            Verdict::NotLoaded
        );
    }

    #[test]
    fn all_store_views_capture_every_view() {
        let s = settings(SalesStoreScope::AllStores, None, CaptureOrderWhen::Created);
        assert_eq!(
            verdict(&s, &views(), &order(2, "new", "10", "0")),
            Verdict::Capture
        );
    }

    #[test]
    fn one_store_view_captures_only_its_orders() {
        let s = settings(
            SalesStoreScope::StoreView,
            Some("fr"),
            CaptureOrderWhen::Created,
        );
        assert_eq!(
            verdict(&s, &views(), &order(2, "new", "10", "0")),
            Verdict::Capture
        );
        assert_eq!(
            verdict(&s, &views(), &order(1, "new", "10", "0")),
            Verdict::OtherStoreView
        );
    }

    #[test]
    fn a_store_view_code_no_longer_in_magento_captures_nothing() {
        let s = settings(
            SalesStoreScope::StoreView,
            Some("gone"),
            CaptureOrderWhen::Created,
        );
        assert_eq!(
            verdict(&s, &views(), &order(1, "new", "10", "0")),
            Verdict::OtherStoreView
        );
    }

    #[test]
    fn paid_means_paid_in_full_or_invoiced() {
        let s = settings(SalesStoreScope::AllStores, None, CaptureOrderWhen::Paid);
        assert_eq!(
            verdict(&s, &views(), &order(1, "new", "10", "0")),
            Verdict::NotYet
        );
        assert_eq!(
            verdict(&s, &views(), &order(1, "processing", "10", "10")),
            Verdict::Capture
        );
        let mut invoiced = order(1, "processing", "10", "0");
        invoiced.total_invoiced = Decimal::TEN;
        assert_eq!(verdict(&s, &views(), &invoiced), Verdict::Capture);
    }

    #[test]
    fn a_zero_total_order_is_paid_at_once() {
        let s = settings(SalesStoreScope::AllStores, None, CaptureOrderWhen::Paid);
        assert_eq!(
            verdict(&s, &views(), &order(1, "new", "0", "0")),
            Verdict::Capture
        );
    }

    #[test]
    fn the_third_rule_waits_for_processing_complete_or_closed() {
        let s = settings(
            SalesStoreScope::AllStores,
            None,
            CaptureOrderWhen::ProcessingCompleteRefundedClosed,
        );
        for state in ["new", "pending_payment", "holded", "payment_review"] {
            assert_eq!(
                verdict(&s, &views(), &order(1, state, "10", "0")),
                Verdict::NotYet,
                "{state}"
            );
        }
        for state in ["processing", "complete", "closed"] {
            assert_eq!(
                verdict(&s, &views(), &order(1, state, "10", "0")),
                Verdict::Capture,
                "{state}"
            );
        }
    }

    #[test]
    fn an_order_cancelled_before_capture_is_not_captured() {
        let s = settings(SalesStoreScope::AllStores, None, CaptureOrderWhen::Created);
        assert_eq!(
            verdict(&s, &views(), &order(1, "canceled", "10", "0")),
            Verdict::Cancelled
        );
    }
}
