//! Turns a parsed schema back into its JSON document.
//!
//! The output uses the same layout the parser reads, so
//! `parse(schema.to_json())` gives back an equal schema. Like the reference
//! format, `type`, `label`, `required` and `immutable` are always written,
//! and empty lists and absent hooks are left out.

use serde_json::{json, Map, Value};

use super::types::{Authorizer, PropertyDefinition, PropertyKind, SchemaRule, Validator};

pub(crate) fn document(properties: &super::types::Properties, rules: &[SchemaRule]) -> Value {
    let mut root = Map::new();
    root.insert("properties".into(), properties_json(properties));
    if !rules.is_empty() {
        let rules: Vec<Value> = rules
            .iter()
            .map(|rule| entry(rule.type_name(), json!({ "properties": rule.properties() })))
            .collect();
        root.insert("validators".into(), Value::Array(rules));
    }
    Value::Object(root)
}

fn properties_json(properties: &super::types::Properties) -> Value {
    Value::Object(
        properties
            .iter()
            .map(|(name, definition)| (name.clone(), definition_json(definition)))
            .collect(),
    )
}

pub(crate) fn definition_json(definition: &PropertyDefinition) -> Value {
    let mut out = Map::new();
    out.insert("type".into(), json!(definition.property_type().as_str()));
    out.insert("label".into(), json!(definition.label));
    out.insert("required".into(), json!(definition.required));
    out.insert("immutable".into(), json!(definition.immutable));
    if !definition.authorizers.is_empty() {
        let authorizers: Vec<Value> = definition.authorizers.iter().map(authorizer_json).collect();
        out.insert("authorizers".into(), Value::Array(authorizers));
    }
    if let Some(default) = &definition.default {
        out.insert("default".into(), default.clone());
    }
    if let Some(kind) = definition.secret {
        out.insert("secret".into(), json!({ "type": kind.as_str() }));
    }
    if let Some(generator) = &definition.generator {
        out.insert(
            "generator".into(),
            entry(
                generator.type_name(),
                Value::Object(generator.config.clone()),
            ),
        );
    }
    if let Some(quota) = &definition.quota {
        out.insert("quota".into(), json!(quota));
    }
    if !definition.validators.is_empty() {
        let validators: Vec<Value> = definition.validators.iter().map(validator_json).collect();
        out.insert("validators".into(), Value::Array(validators));
    }
    match &definition.kind {
        PropertyKind::Object(properties) => {
            out.insert("properties".into(), properties_json(properties));
        }
        PropertyKind::Array(items) => {
            out.insert("items".into(), definition_json(items));
        }
        _ => {}
    }
    Value::Object(out)
}

fn entry(type_name: &str, config: Value) -> Value {
    json!({ "type": type_name, "config": config })
}

fn authorizer_json(authorizer: &Authorizer) -> Value {
    match authorizer {
        Authorizer::Actor(actors) => {
            let names: Vec<&str> = actors.iter().map(|a| a.as_str()).collect();
            entry("actor", json!({ "actors": names }))
        }
        Authorizer::State(states) => entry("state", json!({ "allowedStates": states })),
    }
}

fn validator_json(validator: &Validator) -> Value {
    let config = match validator {
        Validator::MinLength(n)
        | Validator::MaxLength(n)
        | Validator::MinItems(n)
        | Validator::MaxItems(n) => json!({ "value": n }),
        Validator::Min(n) | Validator::Max(n) => json!({ "value": n }),
        Validator::Pattern(pattern) => json!({ "pattern": pattern.as_str() }),
        Validator::Enum(values) => json!({ "values": values }),
        Validator::UniqueItems(flag) => json!({ "value": flag }),
        Validator::ServiceReference(config) => {
            let mut out = Map::new();
            if !config.types.is_empty() {
                out.insert("types".into(), json!(config.types));
            }
            if let Some(origin) = config.origin {
                out.insert("origin".into(), json!(origin.as_str()));
            }
            Value::Object(out)
        }
        Validator::ServiceOption { option_type } => json!({ "value": option_type }),
    };
    entry(validator.type_name(), config)
}
