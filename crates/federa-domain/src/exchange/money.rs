//! How amounts of money cross the wire: as decimal strings such as
//! `"0.05"`, never as JSON numbers. A JSON number is a binary float to most
//! clients, so accepting one would let `0.1` arrive as something else.

use std::fmt;

use rust_decimal::Decimal;
use serde::de::{self, Deserializer, Visitor};

/// The message a malformed amount reports.
pub const NOT_AN_AMOUNT: &str = "must be a decimal string such as \"0.05\"";

/// Parses `text` as an exact decimal: `"0.050"` keeps its three places, and
/// a value with more digits than a decimal holds is refused rather than
/// rounded.
pub fn parse_amount(text: &str) -> Option<Decimal> {
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed != text {
        return None;
    }
    Decimal::from_str_exact(text).ok()
}

struct AmountVisitor;

impl Visitor<'_> for AmountVisitor {
    type Value = Decimal;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str(NOT_AN_AMOUNT)
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Decimal, E> {
        parse_amount(value).ok_or_else(|| E::custom(NOT_AN_AMOUNT))
    }
}

/// `deserialize_with` for a [`Decimal`] amount.
pub fn amount<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    deserializer.deserialize_str(AmountVisitor)
}

/// `deserialize_with` for an optional amount: `null` or absent is `None`.
pub fn optional_amount<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Decimal>, D::Error> {
    struct OptionVisitor;

    impl<'de> Visitor<'de> for OptionVisitor {
        type Value = Option<Decimal>;

        fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
            formatter.write_str(NOT_AN_AMOUNT)
        }

        fn visit_none<E: de::Error>(self) -> Result<Option<Decimal>, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Option<Decimal>, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(
            self,
            deserializer: D,
        ) -> Result<Option<Decimal>, D::Error> {
            amount(deserializer).map(Some)
        }
    }

    deserializer.deserialize_option(OptionVisitor)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[derive(Debug, Deserialize)]
    struct Priced {
        #[serde(deserialize_with = "amount")]
        price: Decimal,
        #[serde(default, deserialize_with = "optional_amount")]
        cap: Option<Decimal>,
    }

    fn parse(value: serde_json::Value) -> Result<Priced, String> {
        serde_json::from_value(value).map_err(|error| error.to_string())
    }

    #[test]
    fn amounts_are_exact_strings_and_keep_their_digits() {
        let priced = parse(json!({"price": "0.050", "cap": "12"})).expect("parses");
        assert_eq!(priced.price.to_string(), "0.050");
        assert_eq!(priced.cap.map(|cap| cap.to_string()), Some("12".into()));
        let no_cap = parse(json!({"price": "1", "cap": null})).expect("parses");
        assert_eq!(no_cap.cap, None);
        assert_eq!(parse(json!({"price": "1"})).expect("parses").cap, None);
    }

    #[test]
    fn numbers_and_malformed_or_overlong_strings_are_refused() {
        for bad in [
            json!(0.05),
            json!(1),
            json!("0,05"),
            json!(" 1"),
            json!(""),
            json!("1e3"),
            json!("0.12345678901234567890123456789"),
        ] {
            let error = parse(json!({"price": bad})).expect_err("refused");
            assert!(error.contains(NOT_AN_AMOUNT), "{bad}: {error}");
        }
        let error = parse(json!({"price": "1", "cap": 2})).expect_err("refused");
        assert!(error.contains(NOT_AN_AMOUNT), "{error}");
    }
}
