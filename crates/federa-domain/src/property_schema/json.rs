//! JSON value helpers with the number semantics the schema needs.
//!
//! `serde_json` keeps `2` and `2.0` as different numbers, but property
//! documents arrive from many clients that do not agree on how to write a
//! whole number. Equality, ordering and "is this an integer" therefore
//! compare numbers by value, never by representation.

use std::cmp::Ordering;

use serde_json::{Number, Value};

/// Largest magnitude (exclusive) where an `f64` still maps onto an `i64`.
const I64_BOUND: f64 = 9_223_372_036_854_775_808.0;

/// Structural equality where numbers are compared by value.
pub(crate) fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => compare_numbers(x, y) == Some(Ordering::Equal),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(l, r)| json_eq(l, r))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(key, l)| y.get(key).is_some_and(|r| json_eq(l, r)))
        }
        _ => a == b,
    }
}

/// Orders two numbers by value, exactly for integers and by `f64` otherwise.
pub(crate) fn compare_numbers(a: &Number, b: &Number) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (as_i128(a), as_i128(b)) {
        return Some(x.cmp(&y));
    }
    a.as_f64()?.partial_cmp(&b.as_f64()?)
}

fn as_i128(n: &Number) -> Option<i128> {
    n.as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
}

/// The value as a canonical integer if it is a whole number.
///
/// `2.0` becomes `2`; `2.5`, strings and out-of-range floats give `None`.
pub(crate) fn as_integer(value: &Value) -> Option<Value> {
    let Value::Number(n) = value else {
        return None;
    };
    if n.is_i64() || n.is_u64() {
        return Some(value.clone());
    }
    // A whole float at or beyond -2^63 is what serde_json makes of an
    // integer literal below `i64::MIN` (which would otherwise round onto
    // `i64::MIN`): refused rather than silently changed. `i64::MIN` itself
    // arrives as an `i64` above.
    let f = n.as_f64()?;
    if f.is_finite() && f.fract() == 0.0 && f > -I64_BOUND && f < I64_BOUND {
        // The range check above makes this conversion exact.
        #[allow(clippy::cast_possible_truncation)]
        let whole = f as i64;
        return Some(Value::from(whole));
    }
    None
}

/// Reads a non-negative whole number used as a length or count.
pub(crate) fn as_count(value: &Value) -> Option<u64> {
    match as_integer(value)? {
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}

/// Compact JSON text of a value, for messages.
pub(crate) fn render(value: &Value) -> String {
    value.to_string()
}

/// `[a, b, c]` with each element rendered as JSON.
pub(crate) fn render_list(values: &[Value]) -> String {
    let parts: Vec<String> = values.iter().map(render).collect();
    format!("[{}]", parts.join(", "))
}

/// `[a, b, c]` for plain names.
pub(crate) fn render_names<S: AsRef<str>>(names: &[S]) -> String {
    let parts: Vec<&str> = names.iter().map(AsRef::as_ref).collect();
    format!("[{}]", parts.join(", "))
}

/// Whether `value` is `null` or missing, which the engine treats alike.
pub(crate) fn present(value: Option<&Value>) -> Option<&Value> {
    value.filter(|v| !v.is_null())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn whole_floats_are_integers_and_fractions_are_not() {
        assert_eq!(as_integer(&json!(2.0)), Some(json!(2)));
        assert_eq!(as_integer(&json!(-7)), Some(json!(-7)));
        assert_eq!(as_integer(&json!(2.5)), None);
        assert_eq!(as_integer(&json!(1e300)), None);
        assert_eq!(as_integer(&json!("2")), None);
        assert_eq!(as_integer(&json!(u64::MAX)), Some(json!(u64::MAX)));
        assert_eq!(as_integer(&json!(i64::MIN)), Some(json!(i64::MIN)));
        let below: Value = serde_json::from_str("-9223372036854775809").unwrap();
        assert_eq!(as_integer(&below), None, "not rounded onto i64::MIN");
    }

    #[test]
    fn numbers_compare_by_value_at_any_depth() {
        assert!(json_eq(&json!(2), &json!(2.0)));
        assert!(json_eq(&json!({"a": [1, 2.0]}), &json!({"a": [1.0, 2]})));
        assert!(!json_eq(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
        assert!(!json_eq(&json!([1]), &json!(["1"])));
    }

    #[test]
    fn large_integers_compare_exactly() {
        let big = Number::from(u64::MAX);
        let small = Number::from(i64::MIN);
        assert_eq!(compare_numbers(&big, &small), Some(Ordering::Greater));
    }
}
