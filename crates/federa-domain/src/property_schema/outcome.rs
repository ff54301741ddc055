//! The result of a successful validation and the hooks it hands back.
//!
//! The engine is pure, so anything needing storage, a vault or a pool is
//! returned as data: secrets to store, values to generate, and lookups to
//! run. Lookups come back as [`ReferenceCheck`] and [`OptionCheck`], which
//! know how to judge the facts the caller fetched and phrase any failure as
//! a [`PropertyError`] like every other rule.

use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::error::PropertyError;
use super::json::{json_eq, render_names};
use super::path::PropertyPath;
use super::types::{Generator, PropertyType, ReferenceConfig, ReferenceOrigin, SecretKind};

/// Properties that passed every rule the engine can check on its own.
#[derive(Debug, Clone, PartialEq)]
pub struct Validated {
    /// The final document: input merged over current values, defaults
    /// applied, whole numbers normalised, undeclared keys removed. Secret
    /// values are still plain here; see [`Validated::secrets`].
    pub properties: Map<String, Value>,
    /// Secret values that are new or changed; the caller stores each in the
    /// vault and writes the reference back with [`Validated::set`].
    pub secrets: Vec<SecretField>,
    /// Absent properties that a generator must fill.
    pub generators: Vec<GeneratorRequest>,
    /// Service references the caller must look up.
    pub references: Vec<ReferenceCheck>,
    /// Service options the caller must look up.
    pub options: Vec<OptionCheck>,
    /// Keys that were left out because the schema does not declare them.
    pub dropped: Vec<PropertyPath>,
}

impl Validated {
    /// Folds the outcome of the caller's lookups back in: no failures keeps
    /// the result, any failure turns it into the usual error list.
    pub fn finish(
        self,
        failures: impl IntoIterator<Item = PropertyError>,
    ) -> Result<Self, Vec<PropertyError>> {
        let failures: Vec<PropertyError> = failures.into_iter().collect();
        if failures.is_empty() {
            Ok(self)
        } else {
            Err(failures)
        }
    }

    /// Writes a generated value or a vault reference at `path`.
    /// Returns `false` if the parent of `path` does not exist.
    pub fn set(&mut self, path: &PropertyPath, value: Value) -> bool {
        path.store(&mut self.properties, value)
    }
}

/// A secret value found in the input (or a secret default) that must be
/// moved into the vault before the properties are stored.
#[derive(Clone, PartialEq)]
pub struct SecretField {
    pub path: PropertyPath,
    pub kind: SecretKind,
    /// The plain secret. Never log it; `Debug` hides it.
    pub value: Value,
    /// The vault reference (without `vault://`) this value replaces, if the
    /// stored value was one; the caller may delete it after storing.
    pub replaces: Option<String>,
}

impl fmt::Debug for SecretField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretField")
            .field("path", &self.path)
            .field("kind", &self.kind)
            .field("value", &"<redacted>")
            .field("replaces", &self.replaces)
            .finish()
    }
}

/// A property with no value whose generator must produce one.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratorRequest {
    pub path: PropertyPath,
    /// The type the generated value must have.
    pub property_type: PropertyType,
    pub generator: Generator,
}

/// A `serviceReference` the caller must resolve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReferenceCheck {
    pub path: PropertyPath,
    pub service_id: Uuid,
    pub config: ReferenceConfig,
}

/// What the caller learned about a referenced service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReferenceTarget<'a> {
    /// Name of the referenced service's type.
    pub service_type: &'a str,
    /// Whether it belongs to the consumer of the service being written.
    pub same_consumer: bool,
    /// Whether it is in the group of the service being written.
    pub same_group: bool,
}

/// Why a service reference was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReferenceFailure {
    NotFound,
    WrongType { actual: String },
    OtherConsumer,
    OtherGroup,
}

impl ReferenceCheck {
    /// Applies the validator's constraints to what the caller found
    /// (`None` when no service has that id).
    pub fn evaluate(&self, target: Option<ReferenceTarget<'_>>) -> Result<(), PropertyError> {
        let Some(target) = target else {
            return Err(self.failure(ReferenceFailure::NotFound));
        };
        if !self.config.types.is_empty()
            && !self.config.types.iter().any(|t| t == target.service_type)
        {
            return Err(self.failure(ReferenceFailure::WrongType {
                actual: target.service_type.to_owned(),
            }));
        }
        match self.config.origin {
            Some(ReferenceOrigin::Consumer) if !target.same_consumer => {
                Err(self.failure(ReferenceFailure::OtherConsumer))
            }
            Some(ReferenceOrigin::Group) if !target.same_group => {
                Err(self.failure(ReferenceFailure::OtherGroup))
            }
            _ => Ok(()),
        }
    }

    /// The error for a failed lookup, phrased like the engine's own errors.
    pub fn failure(&self, failure: ReferenceFailure) -> PropertyError {
        let message = match failure {
            ReferenceFailure::NotFound => {
                format!(
                    "references service {} which does not exist",
                    self.service_id
                )
            }
            ReferenceFailure::WrongType { actual } => format!(
                "must reference a service of type {}, not {actual}",
                render_names(&self.config.types)
            ),
            ReferenceFailure::OtherConsumer => {
                "must reference a service of the same consumer".to_owned()
            }
            ReferenceFailure::OtherGroup => {
                "must reference a service in the same service group".to_owned()
            }
        };
        PropertyError::new(self.path.to_string(), message)
    }
}

/// A `serviceOption` the caller must resolve against the provider's
/// enabled options of `option_type`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OptionCheck {
    pub path: PropertyPath,
    pub option_type: String,
    pub value: Value,
}

impl OptionCheck {
    /// Accepts the value if it equals one of the enabled option values.
    pub fn evaluate<'v>(
        &self,
        enabled_values: impl IntoIterator<Item = &'v Value>,
    ) -> Result<(), PropertyError> {
        if enabled_values
            .into_iter()
            .any(|option| json_eq(option, &self.value))
        {
            Ok(())
        } else {
            Err(self.failure())
        }
    }

    /// The error for a value that matches no enabled option.
    pub fn failure(&self) -> PropertyError {
        PropertyError::new(
            self.path.to_string(),
            format!(
                "must be one of the enabled service options of type {}",
                self.option_type
            ),
        )
    }
}
