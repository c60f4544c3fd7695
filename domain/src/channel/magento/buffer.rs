//! Buffer inventory, as the spec states it: a channel buffer applies only when "Update
//! Stock Levels in Magento" and "Use Buffer Inventory" are both on; a product-level
//! buffer, when enabled on the listing, always overrides the channel value (a change of
//! the channel value leaves it alone), but like the channel buffer it needs "Use Buffer
//! Inventory" on. Sync quantity = available stock − buffer.
//!
//! Both recipes of the spec's notes follow: buffer for all but a few products (channel
//! value, product-level 0 on the few); buffer for only a few products (channel value 0,
//! product-level values on the few).

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use entities::{listing, magento_setting};

use crate::error::{ErrorCode, FieldError};

/// The largest buffer: no more units than a quantity can hold (Magento stores quantities
/// as decimal(12,4)); anything larger is a typo, not a buffer.
pub const MAX_BUFFER: i32 = 99_999_999;

/// A buffer as whole units from 0 to [`MAX_BUFFER`]; `None` when `value` is not one.
pub fn buffer_units(value: Decimal) -> Option<i32> {
    value
        .fract()
        .is_zero()
        .then(|| value.to_i32())
        .flatten()
        .filter(|units| (0..=MAX_BUFFER).contains(units))
}

/// Refuses a product-level buffer outside 0..=[`MAX_BUFFER`], at `path`.
pub fn product_buffer_error(path: &[&str], units: i32) -> Option<FieldError> {
    (!(0..=MAX_BUFFER).contains(&units)).then(|| {
        FieldError::new(
            path,
            ErrorCode::OutOfRange,
            format!("a product-level buffer is a whole number of units from 0 to {MAX_BUFFER}"),
        )
    })
}

/// The store settings the buffer depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelBuffer {
    pub update_stock_levels: bool,
    pub use_buffer_inventory: bool,
    pub buffer_inventory: i32,
}

impl From<&magento_setting::Model> for ChannelBuffer {
    fn from(settings: &magento_setting::Model) -> Self {
        Self {
            update_stock_levels: settings.update_stock_levels,
            use_buffer_inventory: settings.use_buffer_inventory,
            buffer_inventory: settings.buffer_inventory,
        }
    }
}

/// A listing's own buffer setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProductBuffer {
    pub enabled: bool,
    pub value: i32,
}

impl From<&listing::Model> for ProductBuffer {
    fn from(listing: &listing::Model) -> Self {
        Self {
            enabled: listing.product_buffer_enabled,
            value: listing.product_buffer,
        }
    }
}

impl ChannelBuffer {
    /// Whether buffers are in force at all (the catalogue then shows buffer and sync
    /// quantity beside the stock).
    pub fn active(&self) -> bool {
        self.update_stock_levels && self.use_buffer_inventory
    }

    /// The buffer for one listing.
    pub fn buffer_for(&self, product: ProductBuffer) -> Decimal {
        if !self.active() {
            return Decimal::ZERO;
        }
        let units = if product.enabled {
            product.value
        } else {
            self.buffer_inventory
        };
        Decimal::from(units.max(0))
    }

    /// What Magento is told: available stock less the listing's buffer.
    pub fn sync_quantity(&self, available: Decimal, product: ProductBuffer) -> Decimal {
        available - self.buffer_for(product)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn channel(update: bool, use_buffer: bool, buffer: i32) -> ChannelBuffer {
        ChannelBuffer {
            update_stock_levels: update,
            use_buffer_inventory: use_buffer,
            buffer_inventory: buffer,
        }
    }

    const NO_PRODUCT_BUFFER: ProductBuffer = ProductBuffer {
        enabled: false,
        value: 0,
    };

    fn product_buffer(value: i32) -> ProductBuffer {
        ProductBuffer {
            enabled: true,
            value,
        }
    }

    #[test]
    fn the_channel_buffer_applies_only_with_update_stock_levels_and_use_buffer_on() {
        assert_eq!(
            channel(true, true, 3).sync_quantity(dec!(10), NO_PRODUCT_BUFFER),
            dec!(7)
        );
        assert_eq!(
            channel(true, false, 3).sync_quantity(dec!(10), NO_PRODUCT_BUFFER),
            dec!(10)
        );
        assert_eq!(
            channel(false, true, 3).sync_quantity(dec!(10), NO_PRODUCT_BUFFER),
            dec!(10)
        );
    }

    #[test]
    fn a_product_level_buffer_always_overrides_the_channel_value() {
        let buffers = channel(true, true, 3);
        assert_eq!(buffers.sync_quantity(dec!(10), product_buffer(5)), dec!(5));
        assert_eq!(buffers.sync_quantity(dec!(10), product_buffer(0)), dec!(10));
    }

    #[test]
    fn a_channel_change_leaves_product_level_buffers_alone() {
        for channel_value in [0, 2, 9] {
            let buffers = channel(true, true, channel_value);
            assert_eq!(buffers.buffer_for(product_buffer(4)), dec!(4));
        }
    }

    #[test]
    fn a_product_level_buffer_needs_use_buffer_inventory_on() {
        assert_eq!(
            channel(true, false, 0).buffer_for(product_buffer(4)),
            dec!(0)
        );
    }

    #[test]
    fn buffer_for_all_but_a_few_products_recipe() {
        // Channel buffer 2 for the catalogue, product-level 0 on the exceptions.
        let buffers = channel(true, true, 2);
        assert_eq!(buffers.sync_quantity(dec!(8), NO_PRODUCT_BUFFER), dec!(6));
        assert_eq!(buffers.sync_quantity(dec!(8), product_buffer(0)), dec!(8));
    }

    #[test]
    fn buffer_for_only_a_few_products_recipe() {
        // Channel buffer 0, product-level values on the few.
        let buffers = channel(true, true, 0);
        assert_eq!(buffers.sync_quantity(dec!(8), NO_PRODUCT_BUFFER), dec!(8));
        assert_eq!(buffers.sync_quantity(dec!(8), product_buffer(3)), dec!(5));
    }

    #[test]
    fn the_sync_quantity_is_available_less_buffer_even_below_zero() {
        // Backordered stock stays negative; the push decides what Magento shows.
        assert_eq!(
            channel(true, true, 2).sync_quantity(dec!(-1), NO_PRODUCT_BUFFER),
            dec!(-3)
        );
    }
}
