//! Evaluation of single-value validators and cross-property rules.
//!
//! Only the rules the engine can decide alone live here; `serviceReference`
//! and `serviceOption` are turned into checks by the engine instead.

use std::cmp::Ordering;

use serde_json::{Map, Number, Value};

use super::error::PropertyError;
use super::json::{compare_numbers, json_eq, render_list, render_names};
use super::types::{SchemaRule, Validator};

/// Messages for every static validator `value` breaks, in schema order.
pub(crate) fn failures(validators: &[Validator], value: &Value) -> Vec<String> {
    validators
        .iter()
        .filter_map(|validator| failure(validator, value))
        .collect()
}

fn failure(validator: &Validator, value: &Value) -> Option<String> {
    match validator {
        Validator::MinLength(min) => {
            let length = char_count(value)?;
            (length < *min).then(|| format!("must be at least {}", plural(*min, "character")))
        }
        Validator::MaxLength(max) => {
            let length = char_count(value)?;
            (length > *max).then(|| format!("must be at most {}", plural(*max, "character")))
        }
        Validator::Pattern(pattern) => {
            let text = value.as_str()?;
            (!pattern.is_match(text)).then(|| format!("must match pattern {}", pattern.as_str()))
        }
        Validator::Enum(allowed) => (!allowed.iter().any(|option| json_eq(option, value)))
            .then(|| format!("must be one of {}", render_list(allowed))),
        Validator::Min(min) => {
            let below = number_cmp(value, min)? == Ordering::Less;
            below.then(|| format!("must be at least {min}"))
        }
        Validator::Max(max) => {
            let above = number_cmp(value, max)? == Ordering::Greater;
            above.then(|| format!("must be at most {max}"))
        }
        Validator::MinItems(min) => {
            let count = item_count(value)?;
            (count < *min).then(|| format!("must contain at least {}", plural(*min, "item")))
        }
        Validator::MaxItems(max) => {
            let count = item_count(value)?;
            (count > *max).then(|| format!("must contain at most {}", plural(*max, "item")))
        }
        Validator::UniqueItems(true) => {
            let items = value.as_array()?;
            has_duplicates(items).then(|| "must not contain duplicate items".to_owned())
        }
        Validator::UniqueItems(false)
        | Validator::ServiceReference(_)
        | Validator::ServiceOption { .. } => None,
    }
}

/// Length in characters, not bytes, so that limits mean what a person
/// reading the schema expects for non-ASCII text.
fn char_count(value: &Value) -> Option<u64> {
    u64::try_from(value.as_str()?.chars().count()).ok()
}

fn item_count(value: &Value) -> Option<u64> {
    u64::try_from(value.as_array()?.len()).ok()
}

fn number_cmp(value: &Value, limit: &Number) -> Option<Ordering> {
    match value {
        Value::Number(n) => compare_numbers(n, limit),
        _ => None,
    }
}

fn has_duplicates(items: &[Value]) -> bool {
    items
        .iter()
        .enumerate()
        .any(|(i, item)| items.iter().skip(i + 1).any(|other| json_eq(item, other)))
}

fn plural(count: u64, noun: &str) -> String {
    if count == 1 {
        format!("{count} {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// Errors for every cross-property rule broken by the final document.
pub(crate) fn rule_failures(
    rules: &[SchemaRule],
    properties: &Map<String, Value>,
) -> Vec<PropertyError> {
    let mut errors = Vec::new();
    for rule in rules {
        match rule {
            SchemaRule::ExactlyOne(names) => {
                let given: Vec<&String> = names
                    .iter()
                    .filter(|name| properties.get(name.as_str()).is_some_and(|v| !v.is_null()))
                    .collect();
                match given.len() {
                    1 => {}
                    0 => errors.push(PropertyError::new(
                        "",
                        format!("exactly one of {} must be provided", render_names(names)),
                    )),
                    _ => errors.push(PropertyError::new(
                        "",
                        format!(
                            "only one of {} may be provided, got {}",
                            render_names(names),
                            render_names(&given)
                        ),
                    )),
                }
            }
            SchemaRule::UniqueValues(names) => {
                let mut seen: Vec<(&String, &Value)> = Vec::new();
                for name in names {
                    let Some(value) = properties.get(name.as_str()).filter(|v| !v.is_null()) else {
                        continue;
                    };
                    if let Some((first, _)) = seen.iter().find(|(_, v)| json_eq(v, value)) {
                        errors.push(PropertyError::new(
                            name.clone(),
                            format!("must differ from {first}"),
                        ));
                    } else {
                        seen.push((name, value));
                    }
                }
            }
        }
    }
    errors
}
