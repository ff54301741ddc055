//! Parsing of the `{type, config}` entries that are not value validators:
//! authorizers, secrets, generators and schema-level (cross-property) rules.

use serde_json::Value;

use super::checker::{entry, list, names, Checker, Role};
use super::json::present;
use super::types::{
    Actor, Authorizer, Generator, GeneratorKind, Properties, PropertyType, SchemaKind, SchemaRule,
    SecretKind,
};

pub(crate) fn authorizers(
    checker: &mut Checker,
    value: Option<&Value>,
    path: &str,
    role: Role,
) -> Vec<Authorizer> {
    let here = format!("{path}.authorizers");
    let entries = list(checker, value, &here);
    if entries.is_empty() {
        return Vec::new();
    }
    if checker.kind == SchemaKind::AgentConfiguration {
        checker.err(here, "are not supported in configurationSchema");
        return Vec::new();
    }
    if role == Role::Item {
        // Item values are never authorized one by one, so a rule here would
        // silently do nothing.
        checker.err(
            here,
            "are not allowed on array items; put them on the array property",
        );
        return Vec::new();
    }
    let mut out = Vec::new();
    for (index, entry_value) in entries.iter().enumerate() {
        let at = format!("{here}[{index}]");
        let Some((name, config)) = entry(checker, entry_value, &at) else {
            continue;
        };
        match name {
            "actor" => {
                let Some(names) = names(checker, config, "actors", &at) else {
                    continue;
                };
                let mut actors = Vec::new();
                for (position, name) in names.iter().enumerate() {
                    match Actor::from_name(name) {
                        Some(actor) => actors.push(actor),
                        None => checker.err(
                            format!("{at}.config.actors[{position}]"),
                            format!("unknown actor `{name}`; expected user, agent or system"),
                        ),
                    }
                }
                if actors.len() == names.len() {
                    out.push(Authorizer::Actor(actors));
                }
            }
            "state" => {
                if let Some(states) = names(checker, config, "allowedStates", &at) {
                    out.push(Authorizer::State(states));
                }
            }
            other => checker.err(
                at,
                format!("unknown authorizer `{other}`; expected actor or state"),
            ),
        }
    }
    out
}

pub(crate) fn secret(
    checker: &mut Checker,
    value: Option<&Value>,
    path: &str,
    property_type: Option<PropertyType>,
    role: Role,
) -> Option<SecretKind> {
    let value = present(value)?;
    let here = format!("{path}.secret");
    if role == Role::Item {
        checker.err(here, "array items cannot be secret");
        return None;
    }
    let Some(object) = value.as_object() else {
        checker.err(here, "must be an object");
        return None;
    };
    if property_type.is_some_and(|t| !t.is_primitive()) {
        checker.err(
            &here,
            "only primitive properties (string, integer, number, boolean, uuid, json) can be secret",
        );
    }
    match present(object.get("type")) {
        None => {
            checker.err(format!("{here}.type"), "is required");
            None
        }
        Some(kind) => {
            let parsed = kind.as_str().and_then(SecretKind::from_name);
            if parsed.is_none() {
                checker.err(format!("{here}.type"), "must be persistent or ephemeral");
            }
            parsed
        }
    }
}

pub(crate) fn generator(
    checker: &mut Checker,
    value: Option<&Value>,
    path: &str,
    role: Role,
) -> Option<Generator> {
    let value = present(value)?;
    let here = format!("{path}.generator");
    if role == Role::Item {
        checker.err(here, "array items cannot have a generator");
        return None;
    }
    let (name, config) = entry(checker, value, &here)?;
    match name {
        "pool" => {
            let pool_here = format!("{here}.config.poolType");
            match present(config.get("poolType")) {
                None => {
                    checker.err(pool_here, "is required");
                    None
                }
                Some(Value::String(pool_type)) if !pool_type.is_empty() => Some(Generator {
                    kind: GeneratorKind::Pool {
                        pool_type: pool_type.clone(),
                    },
                    config: config.clone(),
                }),
                Some(_) => {
                    checker.err(pool_here, "must be a non-empty string");
                    None
                }
            }
        }
        other => {
            checker.err(
                format!("{here}.type"),
                format!("unknown generator `{other}`; expected pool"),
            );
            None
        }
    }
}

/// The root `validators` list: rules spanning several top-level properties.
pub(crate) fn schema_rules(
    checker: &mut Checker,
    value: Option<&Value>,
    root: &str,
    properties: &Properties,
) -> Vec<SchemaRule> {
    let here = format!("{root}.validators");
    let entries = list(checker, value, &here);
    let mut out = Vec::new();
    for (index, entry_value) in entries.iter().enumerate() {
        let at = format!("{here}[{index}]");
        let Some((name, config)) = entry(checker, entry_value, &at) else {
            continue;
        };
        let build: fn(Vec<String>) -> SchemaRule = match (name, checker.kind) {
            ("exactlyOne", _) => SchemaRule::ExactlyOne,
            ("uniqueValues", SchemaKind::ServiceProperties) => SchemaRule::UniqueValues,
            (other, _) => {
                checker.err(at, format!("unknown schema validator `{other}`"));
                continue;
            }
        };
        let Some(names) = names(checker, config, "properties", &at) else {
            continue;
        };
        if names.len() < 2 {
            checker.err(
                format!("{at}.config.properties"),
                "must name at least two properties",
            );
            continue;
        }
        let mut known = true;
        for (position, name) in names.iter().enumerate() {
            if !properties.contains_key(name) {
                known = false;
                checker.err(
                    format!("{at}.config.properties[{position}]"),
                    format!("unknown property `{name}`"),
                );
            }
        }
        if known {
            out.push(build(names));
        }
    }
    out
}
