//! Line and sale arithmetic. Money is rounded to cents half away from zero, per line, as
//! an invoice shows it; totals are sums of rounded parts so they always add up.

use rust_decimal::{Decimal, RoundingStrategy};

pub(crate) fn cents(value: Decimal) -> Decimal {
    value
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
}

/// quantity × price less the percentage discount.
pub(crate) fn line_total(quantity: Decimal, price: Decimal, discount: Decimal) -> Decimal {
    cents(quantity * price * (Decimal::ONE_HUNDRED - discount) / Decimal::ONE_HUNDRED)
}

/// The tax in `amount` at `rate` percent: on top of it, or contained in it when prices
/// include tax.
pub(crate) fn tax_of(amount: Decimal, rate: Decimal, tax_inclusive: bool) -> Decimal {
    if tax_inclusive {
        cents(amount - amount * Decimal::ONE_HUNDRED / (Decimal::ONE_HUNDRED + rate))
    } else {
        cents(amount * rate / Decimal::ONE_HUNDRED)
    }
}

/// What the customer pays: tax is added unless the prices already include it.
pub(crate) fn grand_total(
    subtotal: Decimal,
    charges: Decimal,
    tax: Decimal,
    tax_inclusive: bool,
) -> Decimal {
    if tax_inclusive {
        subtotal + charges
    } else {
        subtotal + charges + tax
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn a_line_total_applies_the_percentage_discount_and_rounds_to_cents() {
        assert_eq!(line_total(dec!(3), dec!(9.99), dec!(10)), dec!(26.97));
        assert_eq!(line_total(dec!(1), dec!(0.125), dec!(0)), dec!(0.13));
    }

    #[test]
    fn tax_is_added_on_top_or_taken_out_of_inclusive_prices() {
        assert_eq!(tax_of(dec!(100), dec!(8.25), false), dec!(8.25));
        assert_eq!(tax_of(dec!(110), dec!(10), true), dec!(10));
        assert_eq!(
            grand_total(dec!(100), dec!(5), dec!(8.25), false),
            dec!(113.25)
        );
        assert_eq!(grand_total(dec!(110), dec!(5), dec!(10), true), dec!(115));
    }
}
