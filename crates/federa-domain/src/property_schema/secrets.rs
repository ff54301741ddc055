//! Finding secret values in stored properties.
//!
//! After a job the ephemeral secrets must be deleted from the vault, and on
//! deletion all of them; both need to know which stored values are secrets,
//! which only the schema can tell.

use serde_json::{Map, Value};

use super::engine::vault_reference;
use super::path::PropertyPath;
use super::types::{Properties, PropertyDefinition, PropertyKind, SecretKind};

/// A secret-marked value found in a stored document.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSecret<'a> {
    pub path: PropertyPath,
    pub kind: SecretKind,
    /// The vault reference (without `vault://`) when the value is one.
    pub reference: Option<&'a str>,
}

pub(crate) fn collect<'a>(
    properties: &Properties,
    values: &'a Map<String, Value>,
    path: &PropertyPath,
    out: &mut Vec<StoredSecret<'a>>,
) {
    for (name, definition) in properties {
        if let Some(value) = values.get(name) {
            visit(definition, value, &path.key(name), out);
        }
    }
}

fn visit<'a>(
    definition: &PropertyDefinition,
    value: &'a Value,
    path: &PropertyPath,
    out: &mut Vec<StoredSecret<'a>>,
) {
    if value.is_null() {
        return;
    }
    if let Some(kind) = definition.secret {
        out.push(StoredSecret {
            path: path.clone(),
            kind,
            reference: vault_reference(value),
        });
        return;
    }
    match (&definition.kind, value) {
        (PropertyKind::Object(properties), Value::Object(values)) => {
            collect(properties, values, path, out);
        }
        (PropertyKind::Array(items), Value::Array(values)) => {
            for (index, item) in values.iter().enumerate() {
                visit(items, item, &path.index(index), out);
            }
        }
        _ => {}
    }
}
