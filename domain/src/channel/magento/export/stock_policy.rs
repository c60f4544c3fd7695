//! What one listing's stock looks like in Magento after a push: the sync quantity, the
//! in-stock status by "Update Is In Stock" (off: always in stock, so the merchant can
//! keep taking backorders on negative stock; on: nothing to sell is out of stock), and
//! Manage Stock turned on only when "Update Manage Stock" says so (else Magento's own
//! setting is left alone).

use rust_decimal::Decimal;

use entities::magento_setting;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushPolicy {
    pub update_is_in_stock: bool,
    pub update_manage_stock: bool,
}

impl From<&magento_setting::Model> for PushPolicy {
    fn from(settings: &magento_setting::Model) -> Self {
        Self {
            update_is_in_stock: settings.update_is_in_stock,
            update_manage_stock: settings.update_manage_stock,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockUpdate {
    pub sku: String,
    pub quantity: Decimal,
    pub in_stock: bool,
    /// `Some(true)` when Stockbridge manages the product's stock in Magento.
    pub manage_stock: Option<bool>,
}

impl PushPolicy {
    pub fn update(&self, sku: &str, sync_quantity: Decimal) -> StockUpdate {
        StockUpdate {
            sku: sku.to_owned(),
            quantity: sync_quantity,
            in_stock: !self.update_is_in_stock || sync_quantity > Decimal::ZERO,
            manage_stock: self.update_manage_stock.then_some(true),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn policy(update_is_in_stock: bool, update_manage_stock: bool) -> PushPolicy {
        PushPolicy {
            update_is_in_stock,
            update_manage_stock,
        }
    }

    #[test]
    fn with_update_is_in_stock_off_negative_stock_stays_in_stock_for_backorders() {
        let update = policy(false, false).update("TEE", dec!(-2));
        assert_eq!((update.quantity, update.in_stock), (dec!(-2), true));
    }

    #[test]
    fn with_update_is_in_stock_on_nothing_to_sell_is_out_of_stock() {
        assert!(!policy(true, false).update("TEE", dec!(0)).in_stock);
        assert!(!policy(true, false).update("TEE", dec!(-1)).in_stock);
        assert!(policy(true, false).update("TEE", dec!(1)).in_stock);
    }

    #[test]
    fn manage_stock_is_sent_only_when_update_manage_stock_is_on() {
        assert_eq!(
            policy(false, true).update("TEE", dec!(3)).manage_stock,
            Some(true)
        );
        assert_eq!(
            policy(false, false).update("TEE", dec!(3)).manage_stock,
            None
        );
    }
}
