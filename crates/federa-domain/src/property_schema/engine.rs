//! Applies a checked schema to a property document.
//!
//! One recursive walk does everything for a create or an update: merge the
//! input over the current values, fill defaults, check types, immutability,
//! authorizers and validators, and collect the hooks (secrets, generators,
//! lookups) the caller has to act on. Every failure is recorded and the walk
//! continues, so a single call reports every broken rule.

use serde_json::{Map, Value};
use uuid::Uuid;

use super::context::{UnknownProperties, ValidationContext};
use super::error::PropertyError;
use super::json::{as_integer, json_eq, present};
use super::outcome::{GeneratorRequest, OptionCheck, ReferenceCheck, SecretField, Validated};
use super::path::PropertyPath;
use super::types::{
    Authorizer, Properties, PropertyDefinition, PropertyKind, PropertyType, Validator,
};
use super::validators;

/// Marks a string as a reference to a secret already held by the vault.
pub const VAULT_REFERENCE_PREFIX: &str = "vault://";

/// Where the value being checked came from; only values the actor sent are
/// subject to authorizers and immutability.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    Actor,
    Stored,
    Default,
}

pub(crate) struct Engine<'c> {
    ctx: ValidationContext<'c>,
    errors: Vec<PropertyError>,
    secrets: Vec<SecretField>,
    generators: Vec<GeneratorRequest>,
    references: Vec<ReferenceCheck>,
    options: Vec<OptionCheck>,
    dropped: Vec<PropertyPath>,
}

impl<'c> Engine<'c> {
    pub(crate) fn new(ctx: ValidationContext<'c>) -> Self {
        Self {
            ctx,
            errors: Vec::new(),
            secrets: Vec::new(),
            generators: Vec::new(),
            references: Vec::new(),
            options: Vec::new(),
            dropped: Vec::new(),
        }
    }

    pub(crate) fn push_errors(&mut self, errors: Vec<PropertyError>) {
        self.errors.extend(errors);
    }

    pub(crate) fn into_errors(self) -> Vec<PropertyError> {
        self.errors
    }

    pub(crate) fn finish(
        self,
        properties: Map<String, Value>,
    ) -> Result<Validated, Vec<PropertyError>> {
        if !self.errors.is_empty() {
            return Err(self.errors);
        }
        Ok(Validated {
            properties,
            secrets: self.secrets,
            generators: self.generators,
            references: self.references,
            options: self.options,
            dropped: self.dropped,
        })
    }

    fn error(&mut self, path: &PropertyPath, message: impl Into<String>) {
        self.errors
            .push(PropertyError::new(path.to_string(), message));
    }

    /// Builds an object from `given` over `old`.
    ///
    /// With `merge`, keys missing from `given` keep their `old` value (a
    /// partial update). Without it, `old` is only the baseline that tells
    /// whether a value changed; arrays are replaced whole, so their items
    /// are walked this way.
    pub(crate) fn object(
        &mut self,
        properties: &Properties,
        given: Option<&Map<String, Value>>,
        old: Option<&Map<String, Value>>,
        merge: bool,
        source: Source,
        path: &PropertyPath,
    ) -> Map<String, Value> {
        self.undeclared_keys(properties, given, old, merge, source, path);

        let mut out = Map::new();
        for (name, definition) in properties {
            let here = path.key(name);
            let new_value = present(given.and_then(|m| m.get(name)));
            let old_value = present(old.and_then(|m| m.get(name)));
            let result = match (new_value, old_value) {
                (Some(new_value), _) => {
                    self.value(definition, &here, new_value, old_value, merge, source)
                }
                (None, Some(old_value)) if merge => self.value(
                    definition,
                    &here,
                    old_value,
                    Some(old_value),
                    merge,
                    Source::Stored,
                ),
                (None, _) => self.absent(definition, &here, merge),
            };
            if let Some(value) = result {
                out.insert(name.clone(), value);
            }
        }
        out
    }

    fn undeclared_keys(
        &mut self,
        properties: &Properties,
        given: Option<&Map<String, Value>>,
        old: Option<&Map<String, Value>>,
        merge: bool,
        source: Source,
        path: &PropertyPath,
    ) {
        let reject =
            self.ctx.unknown_properties == UnknownProperties::Reject && source != Source::Stored;
        for (key, value) in given.into_iter().flatten() {
            if properties.contains_key(key) || value.is_null() {
                continue;
            }
            if reject {
                self.error(&path.key(key), "unknown property");
            } else {
                self.dropped.push(path.key(key));
            }
        }
        if merge {
            // Stored keys the schema no longer declares disappear as well;
            // report them so the caller can tell.
            for key in old.into_iter().flatten().map(|(key, _)| key) {
                let sent = given.is_some_and(|m| m.contains_key(key));
                if !properties.contains_key(key) && !sent {
                    self.dropped.push(path.key(key));
                }
            }
        }
    }

    /// A declared property that has no value at all.
    fn absent(
        &mut self,
        definition: &PropertyDefinition,
        path: &PropertyPath,
        merge: bool,
    ) -> Option<Value> {
        if let Some(default) = &definition.default {
            return self.value(definition, path, default, None, merge, Source::Default);
        }
        if let Some(generator) = &definition.generator {
            self.generators.push(GeneratorRequest {
                path: path.clone(),
                property_type: definition.property_type(),
                generator: generator.clone(),
            });
            return None;
        }
        if definition.required {
            self.error(path, "is required");
        }
        None
    }

    /// Checks one present value and returns its final form.
    pub(crate) fn value(
        &mut self,
        definition: &PropertyDefinition,
        path: &PropertyPath,
        given: &Value,
        old: Option<&Value>,
        merge: bool,
        source: Source,
    ) -> Option<Value> {
        if definition.secret.is_some() && vault_reference(given).is_some() {
            // A reference can only be kept, never introduced: accepting a new
            // one would let a caller point at a secret it does not own.
            if source == Source::Stored || old.is_some_and(|o| o == given) {
                return Some(given.clone());
            }
            self.error(
                path,
                "must be the secret value itself, not a vault reference",
            );
            return None;
        }

        let value = self.shape(definition, path, given, old, merge, source)?;
        let changed = source != Source::Stored && old.is_none_or(|o| !json_eq(o, &value));

        if changed && source == Source::Actor {
            if definition.immutable && old.is_some() {
                self.error(path, "is immutable and cannot be changed");
            }
            self.authorize(definition, path);
        }

        for message in validators::failures(&definition.validators, &value) {
            self.error(path, message);
        }
        self.external_checks(definition, path, &value, changed);

        if changed {
            if let Some(kind) = definition.secret {
                self.secrets.push(SecretField {
                    path: path.clone(),
                    kind,
                    value: value.clone(),
                    replaces: old.and_then(vault_reference).map(str::to_owned),
                });
            }
        }
        Some(value)
    }

    /// Type check plus the recursive walk into objects and arrays.
    fn shape(
        &mut self,
        definition: &PropertyDefinition,
        path: &PropertyPath,
        given: &Value,
        old: Option<&Value>,
        merge: bool,
        source: Source,
    ) -> Option<Value> {
        match &definition.kind {
            PropertyKind::Object(properties) => {
                if let Some(object) = given.as_object() {
                    let old_object = old.and_then(Value::as_object);
                    let merged =
                        self.object(properties, Some(object), old_object, merge, source, path);
                    return Some(Value::Object(merged));
                }
            }
            PropertyKind::Array(items) => {
                if let Some(array) = given.as_array() {
                    return Some(Value::Array(self.items(items, path, array, old, source)));
                }
            }
            // Whole numbers are stored in integer form, however they were written.
            PropertyKind::Integer => {
                if let Some(whole) = as_integer(given) {
                    return Some(whole);
                }
            }
            _ if definition.property_type().admits(given) => return Some(given.clone()),
            _ => {}
        }
        let expected = definition.property_type().expectation();
        self.error(path, expected);
        None
    }

    /// Arrays are replaced whole; the old items only tell what changed.
    fn items(
        &mut self,
        items: &PropertyDefinition,
        path: &PropertyPath,
        array: &[Value],
        old: Option<&Value>,
        source: Source,
    ) -> Vec<Value> {
        let old_items = old.and_then(Value::as_array);
        let mut out = Vec::with_capacity(array.len());
        for (index, item) in array.iter().enumerate() {
            let old_item = old_items.and_then(|a| a.get(index));
            let here = path.index(index);
            let checked = if item.is_null() && items.property_type() != PropertyType::Json {
                self.error(&here, "must not be null");
                None
            } else {
                self.value(items, &here, item, old_item, false, source)
            };
            // Keep positions stable so later errors still point at the right index.
            out.push(checked.unwrap_or_else(|| item.clone()));
        }
        out
    }

    fn authorize(&mut self, definition: &PropertyDefinition, path: &PropertyPath) {
        let actor = self.ctx.actor;
        let status = self.ctx.status();
        for rule in &definition.authorizers {
            match rule {
                Authorizer::Actor(allowed) if !allowed.contains(&actor) => {
                    self.error(path, format!("may not be set by {actor}"));
                }
                Authorizer::State(allowed) => {
                    if let Some(status) = status.filter(|s| !allowed.iter().any(|a| a == s)) {
                        self.error(path, format!("cannot be updated in state {status}"));
                    }
                }
                Authorizer::Actor(_) => {}
            }
        }
    }

    /// Turns lookup validators into checks, but only for values that are
    /// new: an unrelated update must not fail because a service referenced
    /// long ago has since gone away.
    fn external_checks(
        &mut self,
        definition: &PropertyDefinition,
        path: &PropertyPath,
        value: &Value,
        changed: bool,
    ) {
        for validator in &definition.validators {
            match validator {
                Validator::ServiceReference(config) => match parse_uuid(value) {
                    Some(service_id) if changed => self.references.push(ReferenceCheck {
                        path: path.clone(),
                        service_id,
                        config: config.clone(),
                    }),
                    Some(_) => {}
                    // Only reachable for string properties; uuid-typed ones
                    // were already refused by the type check.
                    None if value.is_string() => self.error(path, "must be a valid UUID"),
                    None => {}
                },
                Validator::ServiceOption { option_type } if changed => {
                    self.options.push(OptionCheck {
                        path: path.clone(),
                        option_type: option_type.clone(),
                        value: value.clone(),
                    });
                }
                _ => {}
            }
        }
    }
}

fn parse_uuid(value: &Value) -> Option<Uuid> {
    Uuid::parse_str(value.as_str()?).ok()
}

/// The reference part of a `vault://...` string.
pub(crate) fn vault_reference(value: &Value) -> Option<&str> {
    value.as_str()?.strip_prefix(VAULT_REFERENCE_PREFIX)
}
