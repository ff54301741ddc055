//! The state of a schema check (the kind of schema and every problem found
//! so far) and the small field readers that all entry parsers share.

use serde_json::{Map, Value};

use super::error::PropertyError;
use super::json::present;
use super::types::SchemaKind;

/// Whether a definition describes a property or the items of an array,
/// which cannot carry per-value hooks of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Property,
    Item,
}

pub(crate) struct Checker {
    pub(crate) kind: SchemaKind,
    pub(crate) errors: Vec<PropertyError>,
}

impl Checker {
    pub(crate) fn new(kind: SchemaKind) -> Self {
        Self {
            kind,
            errors: Vec::new(),
        }
    }

    pub(crate) fn err(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.errors.push(PropertyError::new(path, message));
    }
}

/// An empty config, for entries that omit `config`.
static NO_CONFIG: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);

/// Reads the list at `value`, or reports it and yields nothing.
pub(crate) fn list<'v>(checker: &mut Checker, value: Option<&'v Value>, here: &str) -> &'v [Value] {
    match present(value) {
        None => &[],
        Some(Value::Array(items)) => items,
        Some(_) => {
            checker.err(here, "must be an array");
            &[]
        }
    }
}

/// Reads a `{type, config}` entry; `None` when it is too broken to use.
pub(crate) fn entry<'v>(
    checker: &mut Checker,
    value: &'v Value,
    at: &str,
) -> Option<(&'v str, &'v Map<String, Value>)> {
    let Some(object) = value.as_object() else {
        checker.err(at, "must be an object");
        return None;
    };
    let config = match present(object.get("config")) {
        None => &*NO_CONFIG,
        Some(Value::Object(config)) => config,
        Some(_) => {
            checker.err(format!("{at}.config"), "must be an object");
            return None;
        }
    };
    match present(object.get("type")) {
        Some(Value::String(name)) => Some((name.as_str(), config)),
        Some(_) => {
            checker.err(format!("{at}.type"), "must be a string");
            None
        }
        None => {
            checker.err(format!("{at}.type"), "is required");
            None
        }
    }
}

/// A required non-empty list of non-empty strings at `config.<key>`.
pub(crate) fn names(
    checker: &mut Checker,
    config: &Map<String, Value>,
    key: &str,
    at: &str,
) -> Option<Vec<String>> {
    let here = format!("{at}.config.{key}");
    let items = match present(config.get(key)) {
        None => {
            checker.err(here, "is required");
            return None;
        }
        Some(Value::Array(items)) => items,
        Some(_) => {
            checker.err(here, "must be an array");
            return None;
        }
    };
    if items.is_empty() {
        checker.err(&here, "must not be empty");
        return None;
    }
    let mut out = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        match item.as_str() {
            Some(name) if !name.is_empty() => out.push(name.to_owned()),
            _ => checker.err(format!("{here}[{index}]"), "must be a non-empty string"),
        }
    }
    (out.len() == items.len()).then_some(out)
}
