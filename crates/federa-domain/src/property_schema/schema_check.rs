//! Checks a schema document and builds the typed [`PropertySchema`] form.
//!
//! The walk never stops at the first problem: every malformed field is
//! recorded with its path (`propertySchema.cpu.validators[0]`), so a schema
//! author can fix everything in one round. Field-level parsing of
//! validators and of authorizers/secrets/generators lives in sibling
//! modules; this one owns the document layout and property definitions.

use serde_json::{Map, Value};

use super::checker::{Checker, Role};
use super::context::ValidationContext;
use super::engine::{Engine, Source};
use super::error::PropertyError;
use super::json::present;
use super::path::PropertyPath;
use super::rule_config;
use super::types::SchemaKind;
use super::types::{Actor, Properties, PropertyDefinition, PropertyKind, PropertyType, SchemaRule};
use super::validator_config;

/// Deepest nesting of objects/arrays a schema may declare. Real schemas are
/// a few levels deep; the limit keeps hostile input from exhausting the stack.
pub const MAX_SCHEMA_DEPTH: usize = 32;

impl Checker {
    /// The whole document: `{"properties": {...}, "validators": [...]}`.
    pub(crate) fn schema(&mut self, value: &Value) -> (Properties, Vec<SchemaRule>) {
        let root = self.kind.root_path();
        let Some(object) = value.as_object() else {
            self.err(root, "must be an object");
            return (Properties::new(), Vec::new());
        };
        let properties = match present(object.get("properties")) {
            Some(map) => self.properties(map, root, 0),
            None => {
                self.err(format!("{root}.properties"), "is required");
                Properties::new()
            }
        };
        let rules = rule_config::schema_rules(self, object.get("validators"), root, &properties);
        (properties, rules)
    }

    /// A `properties` map owned by the property (or root) at `owner`.
    fn properties(&mut self, value: &Value, owner: &str, depth: usize) -> Properties {
        let here = format!("{owner}.properties");
        let Some(map) = value.as_object() else {
            self.err(here, "must be an object");
            return Properties::new();
        };
        if map.is_empty() {
            self.err(&here, "must declare at least one property");
        }
        let mut out = Properties::new();
        for (name, definition) in map {
            if name.is_empty() {
                self.err(&here, "property names must not be empty");
                continue;
            }
            let path = format!("{owner}.{name}");
            if let Some(definition) = self.definition(definition, &path, Role::Property, depth) {
                out.insert(name.clone(), definition);
            }
        }
        out
    }

    fn definition(
        &mut self,
        value: &Value,
        path: &str,
        role: Role,
        depth: usize,
    ) -> Option<PropertyDefinition> {
        let Some(object) = value.as_object() else {
            self.err(path, "must be an object");
            return None;
        };
        if depth >= MAX_SCHEMA_DEPTH {
            self.err(
                path,
                format!("is nested too deeply (at most {MAX_SCHEMA_DEPTH} levels)"),
            );
            return None;
        }
        let errors_before = self.errors.len();

        let property_type = self.property_type(object, path);
        let label = self.text(object, "label", path);
        let required = self.flag(object, "required", path);
        let immutable = self.flag(object, "immutable", path);
        let authorizers = rule_config::authorizers(self, object.get("authorizers"), path, role);
        let secret = rule_config::secret(self, object.get("secret"), path, property_type, role);
        let generator = rule_config::generator(self, object.get("generator"), path, role);
        let validators =
            validator_config::validators(self, object.get("validators"), path, property_type);
        let kind = self.kind_of(property_type, object, path, depth);
        let quota = self.quota(object, path, property_type, depth);

        let default = present(object.get("default"));
        if default.is_some() {
            if role == Role::Item {
                self.err(
                    format!("{path}.default"),
                    "array items cannot have a default",
                );
            }
            if generator.is_some() {
                self.err(
                    format!("{path}.generator"),
                    "cannot be combined with a default",
                );
            }
        }

        let mut definition = PropertyDefinition {
            kind: kind?,
            label,
            required,
            immutable,
            default: None,
            authorizers,
            secret,
            generator,
            validators,
            quota,
        };
        // A default is only meaningful once the rest of the definition is
        // sound; checking it earlier would report noise.
        if let Some(default) = default {
            if self.errors.len() == errors_before {
                match check_default(&definition, default) {
                    Ok(normalised) => definition.default = Some(normalised),
                    Err(errors) => {
                        for error in errors {
                            let message = if error.path.is_empty() {
                                format!("default value {}", error.message)
                            } else {
                                format!("default value at {}: {}", error.path, error.message)
                            };
                            self.err(format!("{path}.default"), message);
                        }
                    }
                }
            }
        }
        Some(definition)
    }

    fn property_type(&mut self, object: &Map<String, Value>, path: &str) -> Option<PropertyType> {
        let here = format!("{path}.type");
        match present(object.get("type")) {
            None => {
                self.err(here, "is required");
                None
            }
            Some(Value::String(name)) => {
                let found = PropertyType::from_name(name);
                if found.is_none() {
                    let names: Vec<&str> = PropertyType::ALL.iter().map(|t| t.as_str()).collect();
                    self.err(
                        here,
                        format!(
                            "unknown type `{name}`; expected one of {}",
                            names.join(", ")
                        ),
                    );
                }
                found
            }
            Some(_) => {
                self.err(here, "must be a string");
                None
            }
        }
    }

    /// The structural part of a definition: nested properties or items.
    fn kind_of(
        &mut self,
        property_type: Option<PropertyType>,
        object: &Map<String, Value>,
        path: &str,
        depth: usize,
    ) -> Option<PropertyKind> {
        let properties = present(object.get("properties"));
        let items = present(object.get("items"));
        let is = |t: PropertyType| property_type == Some(t);
        if properties.is_some() && property_type.is_some() && !is(PropertyType::Object) {
            self.err(
                format!("{path}.properties"),
                "is only allowed on object properties",
            );
        }
        if items.is_some() && property_type.is_some() && !is(PropertyType::Array) {
            self.err(
                format!("{path}.items"),
                "is only allowed on array properties",
            );
        }
        Some(match property_type? {
            PropertyType::String => PropertyKind::String,
            PropertyType::Integer => PropertyKind::Integer,
            PropertyType::Number => PropertyKind::Number,
            PropertyType::Boolean => PropertyKind::Boolean,
            PropertyType::Uuid => PropertyKind::Uuid,
            PropertyType::Json => PropertyKind::Json,
            PropertyType::Object => match properties {
                Some(map) => PropertyKind::Object(self.properties(map, path, depth + 1)),
                None => {
                    self.err(
                        format!("{path}.properties"),
                        "is required for an object property (use type json for free-form objects)",
                    );
                    return None;
                }
            },
            PropertyType::Array => match items {
                Some(items) => {
                    let item_path = format!("{path}.items");
                    let items = self.definition(items, &item_path, Role::Item, depth + 1)?;
                    PropertyKind::Array(Box::new(items))
                }
                None => {
                    self.err(format!("{path}.items"), "is required for an array property");
                    return None;
                }
            },
        })
    }

    /// The quota a property counts towards: a name of letters and digits
    /// starting with a letter, on a top-level integer property of a
    /// service type.
    fn quota(
        &mut self,
        object: &Map<String, Value>,
        path: &str,
        property_type: Option<PropertyType>,
        depth: usize,
    ) -> Option<String> {
        let value = present(object.get("quota"))?;
        let here = format!("{path}.quota");
        let Some(name) = value.as_str().filter(|name| is_quota_name(name)) else {
            self.err(here, "must be a name of 1 to 64 letters and digits, starting with a letter, such as \"vcpus\"");
            return None;
        };
        if self.kind != SchemaKind::ServiceProperties || depth > 0 {
            self.err(
                here,
                "only a top-level property of a service type counts towards a quota",
            );
            return None;
        }
        if property_type.is_some_and(|t| t != PropertyType::Integer) {
            self.err(here, "only an integer property counts towards a quota");
            return None;
        }
        Some(name.to_string())
    }

    fn flag(&mut self, object: &Map<String, Value>, key: &str, path: &str) -> bool {
        match present(object.get(key)) {
            None => false,
            Some(Value::Bool(flag)) => *flag,
            Some(_) => {
                self.err(format!("{path}.{key}"), "must be a boolean");
                false
            }
        }
    }

    fn text(&mut self, object: &Map<String, Value>, key: &str, path: &str) -> String {
        match present(object.get(key)) {
            None => String::new(),
            Some(Value::String(text)) => text.clone(),
            Some(_) => {
                self.err(format!("{path}.{key}"), "must be a string");
                String::new()
            }
        }
    }
}

/// Whether `name` may name a quota: 1 to 64 ASCII letters and digits,
/// starting with a letter.
pub fn is_quota_name(name: &str) -> bool {
    name.len() <= 64
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Runs a default through the same engine as real input, as if the system
/// were creating a document, and returns its normalised form.
fn check_default(
    definition: &PropertyDefinition,
    default: &Value,
) -> Result<Value, Vec<PropertyError>> {
    let ctx = ValidationContext::create(Actor::System).rejecting_unknown();
    let mut engine = Engine::new(ctx);
    let checked = engine.value(
        definition,
        &PropertyPath::root(),
        default,
        None,
        true,
        Source::Default,
    );
    let errors = engine.into_errors();
    match checked {
        Some(value) if errors.is_empty() => Ok(value),
        _ => Err(errors),
    }
}
