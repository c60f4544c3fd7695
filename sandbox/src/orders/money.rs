//! Money and quantities as Magento stores them: decimals rounded half away from zero to
//! two places (PHP's `round`), rendered as JSON numbers.

use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::Value;

/// A JSON number or numeric string as a decimal; anything else is zero.
pub(crate) fn dec(value: &Value) -> Decimal {
    match value {
        Value::Number(n) => n
            .as_i64()
            .map(Decimal::from)
            .or_else(|| n.as_f64().and_then(Decimal::from_f64))
            .unwrap_or_default(),
        Value::String(s) => s.trim().parse().unwrap_or_default(),
        _ => Decimal::ZERO,
    }
}

/// Two decimals, half away from zero.
pub(crate) fn round(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// A decimal as a JSON number: integral values without a fraction, as Magento renders
/// `5` rather than `5.0`.
pub(crate) fn number(value: Decimal) -> Value {
    let value = value.normalize();
    if value.fract().is_zero()
        && let Some(int) = value.to_i64()
    {
        return Value::from(int);
    }
    value.to_f64().map(Value::from).unwrap_or(Value::Null)
}

/// An amount: rounded to cents, as a JSON number.
pub(crate) fn money(value: Decimal) -> Value {
    number(round(value))
}

/// The share of `total` that `qty` of `ordered` units carry, when `done` of the total went
/// out with earlier documents covering `done_qty` units. The document that completes the
/// row gets the remainder, so the shares always add up to the total exactly.
pub(crate) fn share(
    total: Decimal,
    done: Decimal,
    qty: Decimal,
    done_qty: Decimal,
    ordered: Decimal,
) -> Decimal {
    if ordered.is_zero() {
        return Decimal::ZERO;
    }
    if qty + done_qty >= ordered {
        return total - done;
    }
    round(total * qty / ordered)
}

/// A base-currency amount in the order currency.
pub(crate) fn convert(base: Decimal, rate: Decimal) -> Decimal {
    round(base * rate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn shares_add_up_to_the_total() {
        let total = dec!(10.00);
        let first = share(total, Decimal::ZERO, dec!(1), Decimal::ZERO, dec!(3));
        let second = share(total, first, dec!(1), dec!(1), dec!(3));
        let third = share(total, first + second, dec!(1), dec!(2), dec!(3));
        assert_eq!((first, second, third), (dec!(3.33), dec!(3.33), dec!(3.34)));
    }

    #[test]
    fn numbers_render_like_magento() {
        assert_eq!(number(dec!(5.00)), serde_json::json!(5));
        assert_eq!(money(dec!(2.675)), serde_json::json!(2.68));
        assert_eq!(dec(&serde_json::json!("12.50")), dec!(12.5));
    }
}
