//! Property-schema engine: checks a service type's `propertySchema` (or an
//! agent type's `configurationSchema`) and validates property documents
//! against it. Pure: no I/O; anything needing a vault, a pool or a store
//! lookup is handed back to the caller as data.
//!
//! # Schema format
//!
//! Compatible with Fulcrum Core's service-type format:
//!
//! ```json
//! {
//!   "properties": {
//!     "cpu": {
//!       "type": "integer",            // string|integer|number|boolean|uuid|json|object|array
//!       "label": "CPU Cores",
//!       "required": true,
//!       "immutable": false,
//!       "default": 2,
//!       "authorizers": [
//!         {"type": "actor", "config": {"actors": ["user", "agent"]}},
//!         {"type": "state", "config": {"allowedStates": ["Stopped"]}}
//!       ],
//!       "secret": {"type": "persistent"},          // or "ephemeral"
//!       "generator": {"type": "pool", "config": {"poolType": "public_ip"}},
//!       "validators": [{"type": "enum", "config": {"values": [1, 2, 4]}}],
//!       "quota": "vcpus",                          // Federa's: a top-level integer
//!                                                  // counted towards the quota so named
//!       "properties": {},                          // object only, required there
//!       "items": {}                                // array only, required there
//!     }
//!   },
//!   "validators": [{"type": "exactlyOne", "config": {"properties": ["a", "b"]}}]
//! }
//! ```
//!
//! Validators and their `config`: `minLength`/`maxLength` `{value}` (string),
//! `pattern` `{pattern}` (string), `enum` `{values}` (any primitive),
//! `min`/`max` `{value}` (integer, number), `minItems`/`maxItems`/
//! `uniqueItems` `{value}` (array), `serviceReference` `{types?, origin?:
//! consumer|group}` (uuid, string), `serviceOption` `{value: optionType}`
//! (any). Schema-level rules: `exactlyOne` and `uniqueValues`
//! `{properties: [..]}`. A configuration schema has no authorizers, no
//! `serviceReference`/`serviceOption` and no `uniqueValues`.
//!
//! # API
//!
//! - [`PropertySchema::parse`] / [`PropertySchema::parse_configuration`]
//!   check the schema itself and return every problem as a [`PropertyError`]
//!   whose path starts with `propertySchema` / `configurationSchema`.
//! - [`PropertySchema::to_json`] (and `Serialize`) give the document back;
//!   it parses to an equal schema.
//! - [`PropertySchema::validate`] takes the input map and a
//!   [`ValidationContext`] (actor plus [`Operation::Create`] or
//!   [`Operation::Update`] with current properties and service status) and
//!   returns [`Validated`] or every [`PropertyError`] found.
//! - [`Validated`] carries the final properties, the [`SecretField`]s to
//!   vault, the [`GeneratorRequest`]s to fill, and the [`ReferenceCheck`]s
//!   and [`OptionCheck`]s to look up. Their `evaluate`/`failure` methods
//!   produce errors in the same shape; [`Validated::finish`] folds them in.
//!
//! # Semantics
//!
//! - `null` counts as absent. Whole numbers written as `2.0` are accepted
//!   for integers and stored as `2`; `2.5` is refused.
//! - Create: defaults fill absent properties, generators are requested for
//!   absent properties without a default, then required/type/validator and
//!   actor rules run.
//! - Update: the input is merged over the current properties (objects
//!   key by key, arrays and `json` values whole) and the merged result is
//!   validated again. Immutability and authorizers only look at values the
//!   actor actually changes, so sending a value back unchanged is fine.
//! - No actor authorizer means any actor may write the property; the state
//!   authorizer applies to updates only.
//! - Undeclared input keys are dropped and listed in [`Validated::dropped`],
//!   as Fulcrum Core does; [`ValidationContext::rejecting_unknown`] turns
//!   them into `unknown property` errors instead.
//! - A secret property keeps a stored `vault://` reference when it is sent
//!   back unchanged; a new `vault://` value is refused, so nobody can point
//!   a property at a secret they did not provide.
//! - Lookup validators are only reported for new or changed values.
//! - [`PropertySchema::unknown_states`] checks `state` authorizers against
//!   the service type's lifecycle, which the schema alone cannot know.

mod checker;
mod context;
mod engine;
mod error;
mod examples;
mod json;
mod outcome;
mod path;
mod rule_config;
mod schema_check;
mod secrets;
mod serialize;
mod state_refs;
mod types;
mod validator_config;
mod validators;
mod weight;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

pub use context::{Operation, UnknownProperties, ValidationContext};
pub use engine::VAULT_REFERENCE_PREFIX;
pub use error::PropertyError;
pub use examples::{EXAMPLE_VM_PROPERTIES, EXAMPLE_VM_PROPERTY_SCHEMA};
pub use outcome::{
    GeneratorRequest, OptionCheck, ReferenceCheck, ReferenceFailure, ReferenceTarget, SecretField,
    Validated,
};
pub use path::{PropertyPath, Segment};
pub use schema_check::{is_quota_name, MAX_SCHEMA_DEPTH};
pub use secrets::StoredSecret;
pub use types::{
    Actor, Authorizer, Generator, GeneratorKind, Pattern, Properties, PropertyDefinition,
    PropertyKind, PropertyType, ReferenceConfig, ReferenceOrigin, SchemaKind, SchemaRule,
    SecretKind, Validator,
};
pub use weight::{check_weight, json_weight, DEFAULT_MAX_PROPERTIES_BYTES};

use checker::Checker;
use engine::{Engine, Source};

/// A checked property schema, ready to validate documents.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertySchema {
    kind: SchemaKind,
    properties: Properties,
    rules: Vec<SchemaRule>,
}

impl PropertySchema {
    /// Checks a service type's `propertySchema`.
    pub fn parse(document: &Value) -> Result<Self, Vec<PropertyError>> {
        Self::parse_as(SchemaKind::ServiceProperties, document)
    }

    /// Checks an agent type's `configurationSchema`.
    pub fn parse_configuration(document: &Value) -> Result<Self, Vec<PropertyError>> {
        Self::parse_as(SchemaKind::AgentConfiguration, document)
    }

    pub fn parse_as(kind: SchemaKind, document: &Value) -> Result<Self, Vec<PropertyError>> {
        let mut checker = Checker::new(kind);
        let (properties, rules) = checker.schema(document);
        if checker.errors.is_empty() {
            Ok(Self {
                kind,
                properties,
                rules,
            })
        } else {
            Err(checker.errors)
        }
    }

    /// The schema document; parsing it again yields an equal schema.
    pub fn to_json(&self) -> Value {
        serialize::document(&self.properties, &self.rules)
    }

    pub fn kind(&self) -> SchemaKind {
        self.kind
    }

    /// Top-level property definitions, sorted by name.
    pub fn properties(&self) -> &Properties {
        &self.properties
    }

    pub fn property(&self, name: &str) -> Option<&PropertyDefinition> {
        self.properties.get(name)
    }

    /// The quotas the schema's properties count towards, each with the
    /// property that counts: `[("vcpus", "cpu")]`.
    pub fn quota_properties(&self) -> Vec<(String, String)> {
        self.properties
            .iter()
            .filter_map(|(name, definition)| Some((definition.quota()?.to_string(), name.clone())))
            .collect()
    }

    /// What `properties` (validated against this schema) count towards
    /// each quota: the integer value of each quota-counted property, when
    /// above zero.
    pub fn quota_amounts(&self, properties: &Map<String, Value>) -> Vec<(String, i64)> {
        self.quota_properties()
            .into_iter()
            .filter_map(|(quota, name)| {
                let amount = properties.get(&name)?.as_i64().filter(|n| *n > 0)?;
                Some((quota, amount))
            })
            .collect()
    }

    /// Cross-property rules from the root `validators` list.
    pub fn rules(&self) -> &[SchemaRule] {
        &self.rules
    }

    /// Validates a create or an update; see the module docs for the rules.
    pub fn validate(
        &self,
        input: &Map<String, Value>,
        ctx: &ValidationContext<'_>,
    ) -> Result<Validated, Vec<PropertyError>> {
        let mut engine = Engine::new(*ctx);
        let properties = engine.object(
            &self.properties,
            Some(input),
            ctx.current(),
            true,
            Source::Actor,
            &PropertyPath::root(),
        );
        engine.push_errors(validators::rule_failures(&self.rules, &properties));
        engine.finish(properties)
    }

    /// Checks a value a generator produced for `request` and returns it in
    /// stored form (e.g. `2.0` becomes `2`).
    pub fn check_generated(
        &self,
        request: &GeneratorRequest,
        value: &Value,
    ) -> Result<Value, Vec<PropertyError>> {
        let Some(definition) = self.definition_at(&request.path) else {
            return Err(vec![PropertyError::new(
                request.path.to_string(),
                "is not declared by the schema",
            )]);
        };
        let mut engine = Engine::new(ValidationContext::create(Actor::System));
        let checked = engine.value(
            definition,
            &request.path,
            value,
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

    /// The definition governing the value at `path`, if any.
    pub fn definition_at(&self, path: &PropertyPath) -> Option<&PropertyDefinition> {
        let (first, rest) = path.segments().split_first()?;
        let Segment::Key(name) = first else {
            return None;
        };
        let mut definition = self.properties.get(name)?;
        for segment in rest {
            definition = match (segment, &definition.kind) {
                (Segment::Key(name), PropertyKind::Object(properties)) => properties.get(name)?,
                (Segment::Index(_), PropertyKind::Array(items)) => items,
                _ => return None,
            };
        }
        Some(definition)
    }

    /// Paths of every property with a generator, outside arrays (whose
    /// items cannot have one), in schema order.
    pub fn generated_paths(&self) -> Vec<PropertyPath> {
        fn walk(properties: &Properties, at: &PropertyPath, out: &mut Vec<PropertyPath>) {
            for (name, definition) in properties {
                let path = at.key(name);
                if definition.generator.is_some() {
                    out.push(path.clone());
                }
                if let PropertyKind::Object(children) = &definition.kind {
                    walk(children, &path, out);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.properties, &PropertyPath::root(), &mut out);
        out
    }

    /// Errors for every `state` authorizer naming a state for which
    /// `is_state` is false, e.g. `|s| lifecycle.has_state(s)`; paths point
    /// into the schema document like those of [`PropertySchema::parse`].
    pub fn unknown_states(&self, is_state: impl Fn(&str) -> bool) -> Vec<PropertyError> {
        let mut out = Vec::new();
        state_refs::unknown_states(&self.properties, self.kind.root_path(), &is_state, &mut out);
        out
    }

    /// Every secret-marked value in a stored document, e.g. to delete
    /// ephemeral vault entries after a job.
    pub fn stored_secrets<'a>(&self, properties: &'a Map<String, Value>) -> Vec<StoredSecret<'a>> {
        let mut out = Vec::new();
        secrets::collect(
            &self.properties,
            properties,
            &PropertyPath::root(),
            &mut out,
        );
        out
    }
}

impl Serialize for PropertySchema {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

/// Deserializes and checks a service `propertySchema`; schema errors become
/// one message joined by `; `.
impl<'de> Deserialize<'de> for PropertySchema {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let document = Value::deserialize(deserializer)?;
        Self::parse(&document).map_err(|errors| {
            let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
            serde::de::Error::custom(messages.join("; "))
        })
    }
}
