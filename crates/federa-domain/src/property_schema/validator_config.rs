//! Parsing of per-property `validators` entries.
//!
//! Besides reading each config, this is where a schema is refused for
//! validators that could never pass or never apply: a rule that does not
//! fit the property type, a duplicate, an empty enum, a bad regex, or a
//! lower bound above its upper bound.

use std::cmp::Ordering;

use regex::RegexBuilder;
use serde_json::{Map, Value};

use super::checker::{entry, list, names, Checker};
use super::json::{as_count, compare_numbers, present};
use super::types::{
    Pattern, PropertyType, ReferenceConfig, ReferenceOrigin, SchemaKind, Validator,
};

/// Compiled size cap for `pattern` regexes, so a schema cannot make the
/// exchange build an enormous automaton.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

pub(crate) fn validators(
    checker: &mut Checker,
    value: Option<&Value>,
    path: &str,
    property_type: Option<PropertyType>,
) -> Vec<Validator> {
    let here = format!("{path}.validators");
    let entries = list(checker, value, &here);
    // Keep each validator's path so cross-checks can point at it.
    let mut out: Vec<(String, Validator)> = Vec::new();
    for (index, entry_value) in entries.iter().enumerate() {
        let at = format!("{here}[{index}]");
        let Some((name, config)) = entry(checker, entry_value, &at) else {
            continue;
        };
        if out.iter().any(|(_, v)| v.type_name() == name) {
            checker.err(at, format!("duplicate `{name}` validator"));
            continue;
        }
        if let Some(validator) = one(checker, name, config, &at, property_type) {
            out.push((at, validator));
        }
    }
    check_bounds(checker, &out);
    out.into_iter().map(|(_, validator)| validator).collect()
}

fn one(
    checker: &mut Checker,
    name: &str,
    config: &Map<String, Value>,
    at: &str,
    property_type: Option<PropertyType>,
) -> Option<Validator> {
    let Some(applies_to) = applicable_types(name) else {
        checker.err(at, format!("unknown validator `{name}`"));
        return None;
    };
    if checker.kind == SchemaKind::AgentConfiguration
        && matches!(name, "serviceReference" | "serviceOption")
    {
        checker.err(
            at,
            format!("validator `{name}` is not available in configurationSchema"),
        );
        return None;
    }
    if let Some(t) = property_type {
        if !applies_to.contains(&t) {
            checker.err(at, format!("`{name}` does not apply to {t} properties"));
            return None;
        }
    }
    match name {
        "minLength" => count(checker, config, at).map(Validator::MinLength),
        "maxLength" => count(checker, config, at).map(Validator::MaxLength),
        "minItems" => count(checker, config, at).map(Validator::MinItems),
        "maxItems" => count(checker, config, at).map(Validator::MaxItems),
        "min" => number(checker, config, at).map(Validator::Min),
        "max" => number(checker, config, at).map(Validator::Max),
        "pattern" => pattern(checker, config, at).map(Validator::Pattern),
        "enum" => enumeration(checker, config, at, property_type).map(Validator::Enum),
        "uniqueItems" => match present(config.get("value")) {
            Some(Value::Bool(flag)) => Some(Validator::UniqueItems(*flag)),
            Some(_) => {
                checker.err(format!("{at}.config.value"), "must be a boolean");
                None
            }
            None => {
                checker.err(format!("{at}.config.value"), "is required");
                None
            }
        },
        "serviceReference" => reference(checker, config, at).map(Validator::ServiceReference),
        "serviceOption" => {
            let here = format!("{at}.config.value");
            match present(config.get("value")) {
                Some(Value::String(option_type)) if !option_type.is_empty() => {
                    Some(Validator::ServiceOption {
                        option_type: option_type.clone(),
                    })
                }
                None => {
                    checker.err(here, "is required");
                    None
                }
                Some(_) => {
                    checker.err(here, "must be a non-empty string (a service option type)");
                    None
                }
            }
        }
        _ => None,
    }
}

/// Property types each validator makes sense for; `None` for unknown names.
fn applicable_types(name: &str) -> Option<&'static [PropertyType]> {
    use PropertyType as T;
    Some(match name {
        "minLength" | "maxLength" | "pattern" => &[T::String],
        "min" | "max" => &[T::Integer, T::Number],
        "minItems" | "maxItems" | "uniqueItems" => &[T::Array],
        "enum" => &[
            T::String,
            T::Integer,
            T::Number,
            T::Boolean,
            T::Uuid,
            T::Json,
        ],
        "serviceReference" => &[T::Uuid, T::String],
        "serviceOption" => &T::ALL,
        _ => return None,
    })
}

fn count(checker: &mut Checker, config: &Map<String, Value>, at: &str) -> Option<u64> {
    let here = format!("{at}.config.value");
    let Some(value) = present(config.get("value")) else {
        checker.err(here, "is required");
        return None;
    };
    let parsed = as_count(value);
    if parsed.is_none() {
        checker.err(here, "must be a non-negative integer");
    }
    parsed
}

fn number(
    checker: &mut Checker,
    config: &Map<String, Value>,
    at: &str,
) -> Option<serde_json::Number> {
    let here = format!("{at}.config.value");
    match present(config.get("value")) {
        Some(Value::Number(n)) => Some(n.clone()),
        Some(_) => {
            checker.err(here, "must be a number");
            None
        }
        None => {
            checker.err(here, "is required");
            None
        }
    }
}

fn pattern(checker: &mut Checker, config: &Map<String, Value>, at: &str) -> Option<Pattern> {
    let here = format!("{at}.config.pattern");
    let source = match present(config.get("pattern")) {
        Some(Value::String(source)) => source,
        Some(_) => {
            checker.err(here, "must be a string");
            return None;
        }
        None => {
            checker.err(here, "is required");
            return None;
        }
    };
    match RegexBuilder::new(source)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
    {
        Ok(regex) => Some(Pattern::new(regex)),
        Err(_) => {
            checker.err(
                here,
                format!("`{source}` is not a valid regular expression"),
            );
            None
        }
    }
}

fn enumeration(
    checker: &mut Checker,
    config: &Map<String, Value>,
    at: &str,
    property_type: Option<PropertyType>,
) -> Option<Vec<Value>> {
    let here = format!("{at}.config.values");
    let values = match present(config.get("values")) {
        Some(Value::Array(values)) => values,
        Some(_) => {
            checker.err(here, "must be an array");
            return None;
        }
        None => {
            checker.err(here, "is required");
            return None;
        }
    };
    if values.is_empty() {
        checker.err(here, "must not be empty");
        return None;
    }
    let mut ok = true;
    for (index, value) in values.iter().enumerate() {
        // An option of the wrong type could never be chosen.
        let fits = match property_type {
            _ if value.is_null() => false,
            Some(t) => t.admits(value),
            None => true,
        };
        if !fits {
            ok = false;
            let message = match property_type {
                Some(t) if !value.is_null() => t.expectation(),
                _ => "must not be null",
            };
            checker.err(format!("{here}[{index}]"), message);
        }
    }
    ok.then(|| values.clone())
}

fn reference(
    checker: &mut Checker,
    config: &Map<String, Value>,
    at: &str,
) -> Option<ReferenceConfig> {
    let mut out = ReferenceConfig::default();
    let mut ok = true;
    if present(config.get("types")).is_some() {
        match names(checker, config, "types", at) {
            Some(types) => out.types = types,
            None => ok = false,
        }
    }
    match present(config.get("origin")) {
        None => {}
        Some(Value::String(origin)) if origin == "consumer" => {
            out.origin = Some(ReferenceOrigin::Consumer);
        }
        Some(Value::String(origin)) if origin == "group" => {
            out.origin = Some(ReferenceOrigin::Group)
        }
        Some(_) => {
            ok = false;
            checker.err(format!("{at}.config.origin"), "must be consumer or group");
        }
    }
    ok.then_some(out)
}

/// Refuses lower bounds above upper bounds, reported on the later entry.
fn check_bounds(checker: &mut Checker, validators: &[(String, Validator)]) {
    let find = |name: &str| {
        validators
            .iter()
            .enumerate()
            .find(|(_, (_, v))| v.type_name() == name)
    };
    let pairs = [
        ("minLength", "maxLength"),
        ("min", "max"),
        ("minItems", "maxItems"),
    ];
    for (low_name, high_name) in pairs {
        let (Some((low_index, (low_at, low))), Some((high_index, (high_at, high)))) =
            (find(low_name), find(high_name))
        else {
            continue;
        };
        let conflict = match (low, high) {
            (Validator::MinLength(l), Validator::MaxLength(h))
            | (Validator::MinItems(l), Validator::MaxItems(h)) => l > h,
            (Validator::Min(l), Validator::Max(h)) => {
                compare_numbers(l, h) == Some(Ordering::Greater)
            }
            _ => false,
        };
        if conflict {
            let at = if high_index > low_index {
                high_at
            } else {
                low_at
            };
            checker.err(
                at.clone(),
                format!(
                    "{low_name} {} is greater than {high_name} {}",
                    bound(low),
                    bound(high)
                ),
            );
        }
    }
}

fn bound(validator: &Validator) -> String {
    match validator {
        Validator::MinLength(n)
        | Validator::MaxLength(n)
        | Validator::MinItems(n)
        | Validator::MaxItems(n) => n.to_string(),
        Validator::Min(n) | Validator::Max(n) => n.to_string(),
        _ => String::new(),
    }
}
