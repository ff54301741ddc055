//! The parsed, checked form of a property schema.
//!
//! Everything here is produced by [`PropertySchema::parse`](super::PropertySchema::parse)
//! and is read-only afterwards: once a schema exists, its types, validators,
//! actors and secret kinds are known-good enums rather than strings, so the
//! validation engine never has to re-check the schema.

use std::collections::BTreeMap;
use std::fmt;

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

/// Which document a schema describes; decides which rules are available.
///
/// Agent-type configuration schemas use the same format as service property
/// schemas but have no actors or lifecycle, so authorizers and the
/// service-lookup validators do not exist there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemaKind {
    /// A service type's `propertySchema`.
    ServiceProperties,
    /// An agent type's `configurationSchema`.
    AgentConfiguration,
}

impl SchemaKind {
    /// The field name used as the first segment of schema error paths.
    pub fn root_path(self) -> &'static str {
        match self {
            Self::ServiceProperties => "propertySchema",
            Self::AgentConfiguration => "configurationSchema",
        }
    }
}

/// The declared type of a property, without its nested structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PropertyType {
    String,
    Integer,
    Number,
    Boolean,
    Uuid,
    Json,
    Object,
    Array,
}

impl PropertyType {
    pub const ALL: [PropertyType; 8] = [
        Self::String,
        Self::Integer,
        Self::Number,
        Self::Boolean,
        Self::Uuid,
        Self::Json,
        Self::Object,
        Self::Array,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Integer => "integer",
            Self::Number => "number",
            Self::Boolean => "boolean",
            Self::Uuid => "uuid",
            Self::Json => "json",
            Self::Object => "object",
            Self::Array => "array",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// Objects and arrays are containers; everything else is a leaf value.
    pub fn is_primitive(self) -> bool {
        !matches!(self, Self::Object | Self::Array)
    }

    /// The message given when a value does not have this type.
    pub fn expectation(self) -> &'static str {
        match self {
            Self::String => "must be a string",
            Self::Integer => "must be an integer",
            Self::Number => "must be a number",
            Self::Boolean => "must be a boolean",
            Self::Uuid => "must be a valid UUID",
            Self::Json => "must be valid JSON",
            Self::Object => "must be an object",
            Self::Array => "must be an array",
        }
    }

    /// Whether `value` has this type, looking only at its top level.
    pub fn admits(self, value: &Value) -> bool {
        match self {
            Self::String => value.is_string(),
            Self::Integer => super::json::as_integer(value).is_some(),
            Self::Number => value.is_number(),
            Self::Boolean => value.is_boolean(),
            Self::Uuid => value
                .as_str()
                .is_some_and(|text| uuid::Uuid::parse_str(text).is_ok()),
            Self::Json => true,
            Self::Object => value.is_object(),
            Self::Array => value.is_array(),
        }
    }
}

impl fmt::Display for PropertyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Nested property definitions of an object, kept sorted by name so that
/// validation order (and therefore error order) is deterministic.
pub type Properties = BTreeMap<String, PropertyDefinition>;

/// The type of a property together with the structure it carries.
#[derive(Debug, Clone, PartialEq)]
pub enum PropertyKind {
    String,
    Integer,
    Number,
    Boolean,
    Uuid,
    Json,
    Object(Properties),
    Array(Box<PropertyDefinition>),
}

impl PropertyKind {
    pub fn property_type(&self) -> PropertyType {
        match self {
            Self::String => PropertyType::String,
            Self::Integer => PropertyType::Integer,
            Self::Number => PropertyType::Number,
            Self::Boolean => PropertyType::Boolean,
            Self::Uuid => PropertyType::Uuid,
            Self::Json => PropertyType::Json,
            Self::Object(_) => PropertyType::Object,
            Self::Array(_) => PropertyType::Array,
        }
    }
}

/// Who is writing property values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Actor {
    /// An end user or administrator calling the API.
    User,
    /// An agent reporting back after running a job.
    Agent,
    /// The exchange itself, e.g. when a generator fills a value.
    System,
}

impl Actor {
    pub const ALL: [Actor; 3] = [Self::User, Self::Agent, Self::System];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Agent => "agent",
            Self::System => "system",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rule on who may write a property and when. All must pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authorizer {
    /// Only these actors may provide a value (never empty).
    Actor(Vec<Actor>),
    /// On update, a changed value is accepted only in these service states
    /// (never empty).
    State(Vec<String>),
}

/// How long a secret value lives in the vault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SecretKind {
    /// Kept until the service is deleted.
    Persistent,
    /// Removed after every job completes.
    Ephemeral,
}

impl SecretKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Persistent => "persistent",
            Self::Ephemeral => "ephemeral",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "persistent" => Some(Self::Persistent),
            "ephemeral" => Some(Self::Ephemeral),
            _ => None,
        }
    }
}

/// The kind of value generator; the engine never runs one itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum GeneratorKind {
    /// Allocate an exclusive value from the pool of this type.
    Pool {
        #[serde(rename = "poolType")]
        pool_type: String,
    },
}

/// A generator declaration: its kind plus the raw config, kept verbatim so
/// the schema round-trips and the caller sees every option the author gave.
#[derive(Debug, Clone, PartialEq)]
pub struct Generator {
    pub kind: GeneratorKind,
    pub config: Map<String, Value>,
}

impl Generator {
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            GeneratorKind::Pool { .. } => "pool",
        }
    }
}

/// Where a referenced service must come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReferenceOrigin {
    /// Owned by the same consumer participant.
    Consumer,
    /// In the same service group.
    Group,
}

impl ReferenceOrigin {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Consumer => "consumer",
            Self::Group => "group",
        }
    }
}

/// Constraints of a `serviceReference` validator.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ReferenceConfig {
    /// Allowed service type names; empty means any type.
    pub types: Vec<String>,
    pub origin: Option<ReferenceOrigin>,
}

/// A compiled regular expression that remembers its source text.
#[derive(Debug, Clone)]
pub struct Pattern(Regex);

impl Pattern {
    pub(crate) fn new(regex: Regex) -> Self {
        Self(regex)
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Unanchored search, like the pattern validator of the reference format.
    pub fn is_match(&self, text: &str) -> bool {
        self.0.is_match(text)
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

/// A rule on a single property's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Validator {
    MinLength(u64),
    MaxLength(u64),
    Pattern(Pattern),
    Enum(Vec<Value>),
    Min(Number),
    Max(Number),
    MinItems(u64),
    MaxItems(u64),
    /// `false` is accepted and means "duplicates allowed".
    UniqueItems(bool),
    /// Needs a store lookup; reported to the caller as a [`ReferenceCheck`](super::ReferenceCheck).
    ServiceReference(ReferenceConfig),
    /// Needs a store lookup; reported to the caller as an [`OptionCheck`](super::OptionCheck).
    ServiceOption {
        option_type: String,
    },
}

impl Validator {
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::MinLength(_) => "minLength",
            Self::MaxLength(_) => "maxLength",
            Self::Pattern(_) => "pattern",
            Self::Enum(_) => "enum",
            Self::Min(_) => "min",
            Self::Max(_) => "max",
            Self::MinItems(_) => "minItems",
            Self::MaxItems(_) => "maxItems",
            Self::UniqueItems(_) => "uniqueItems",
            Self::ServiceReference(_) => "serviceReference",
            Self::ServiceOption { .. } => "serviceOption",
        }
    }
}

/// A rule across several top-level properties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaRule {
    /// Exactly one of these properties must have a value.
    ExactlyOne(Vec<String>),
    /// Those of these properties that have a value must all differ.
    UniqueValues(Vec<String>),
}

impl SchemaRule {
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::ExactlyOne(_) => "exactlyOne",
            Self::UniqueValues(_) => "uniqueValues",
        }
    }

    pub fn properties(&self) -> &[String] {
        match self {
            Self::ExactlyOne(names) | Self::UniqueValues(names) => names,
        }
    }
}

/// One property of a schema, fully checked.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyDefinition {
    pub(crate) kind: PropertyKind,
    pub(crate) label: String,
    pub(crate) required: bool,
    pub(crate) immutable: bool,
    pub(crate) default: Option<Value>,
    pub(crate) authorizers: Vec<Authorizer>,
    pub(crate) secret: Option<SecretKind>,
    pub(crate) generator: Option<Generator>,
    pub(crate) validators: Vec<Validator>,
    /// The quota this property's value counts towards (such as `vcpus`):
    /// the sum over a consumer's or project's services is held to the
    /// limit of that name set on it.
    pub(crate) quota: Option<String>,
}

impl PropertyDefinition {
    pub fn quota(&self) -> Option<&str> {
        self.quota.as_deref()
    }

    pub fn kind(&self) -> &PropertyKind {
        &self.kind
    }

    pub fn property_type(&self) -> PropertyType {
        self.kind.property_type()
    }

    /// Human-readable label; empty when the schema gives none.
    pub fn label(&self) -> &str {
        &self.label
    }

    pub fn is_required(&self) -> bool {
        self.required
    }

    pub fn is_immutable(&self) -> bool {
        self.immutable
    }

    pub fn default_value(&self) -> Option<&Value> {
        self.default.as_ref()
    }

    pub fn authorizers(&self) -> &[Authorizer] {
        &self.authorizers
    }

    pub fn secret(&self) -> Option<SecretKind> {
        self.secret
    }

    pub fn generator(&self) -> Option<&Generator> {
        self.generator.as_ref()
    }

    pub fn validators(&self) -> &[Validator] {
        &self.validators
    }

    /// Nested properties when this is an object.
    pub fn properties(&self) -> Option<&Properties> {
        match &self.kind {
            PropertyKind::Object(properties) => Some(properties),
            _ => None,
        }
    }

    /// Element definition when this is an array.
    pub fn items(&self) -> Option<&PropertyDefinition> {
        match &self.kind {
            PropertyKind::Array(items) => Some(items),
            _ => None,
        }
    }

    /// Whether every actor authorizer admits `actor` (no actor authorizer
    /// means anyone may write the property).
    pub fn allows_actor(&self, actor: Actor) -> bool {
        self.authorizers.iter().all(|rule| match rule {
            Authorizer::Actor(actors) => actors.contains(&actor),
            Authorizer::State(_) => true,
        })
    }
}
