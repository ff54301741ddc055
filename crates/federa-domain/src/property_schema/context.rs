//! What the engine needs to know about a write besides the values.

use serde_json::{Map, Value};

use super::types::Actor;

/// Whether properties are being created or changed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Operation<'a> {
    /// A new document: defaults apply, nothing is immutable yet.
    Create,
    /// A partial change to `current`, the stored properties of a service in
    /// lifecycle state `status`.
    Update {
        current: &'a Map<String, Value>,
        status: &'a str,
    },
}

/// What to do with input keys the schema does not declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UnknownProperties {
    /// Leave them out of the result and list them in
    /// [`Validated::dropped`](super::Validated::dropped). This is how Fulcrum
    /// Core's service-type format behaves, so it is the default.
    #[default]
    Drop,
    /// Report each one as `unknown property`.
    Reject,
}

/// Who is writing, and whether this is a create or an update.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValidationContext<'a> {
    pub actor: Actor,
    pub operation: Operation<'a>,
    pub unknown_properties: UnknownProperties,
}

impl<'a> ValidationContext<'a> {
    pub fn create(actor: Actor) -> Self {
        Self {
            actor,
            operation: Operation::Create,
            unknown_properties: UnknownProperties::Drop,
        }
    }

    pub fn update(actor: Actor, current: &'a Map<String, Value>, status: &'a str) -> Self {
        Self {
            actor,
            operation: Operation::Update { current, status },
            unknown_properties: UnknownProperties::Drop,
        }
    }

    /// The same context, but undeclared input keys become errors.
    pub fn rejecting_unknown(mut self) -> Self {
        self.unknown_properties = UnknownProperties::Reject;
        self
    }

    /// The stored properties an update starts from.
    pub fn current(&self) -> Option<&'a Map<String, Value>> {
        match self.operation {
            Operation::Create => None,
            Operation::Update { current, .. } => Some(current),
        }
    }

    pub(crate) fn status(&self) -> Option<&'a str> {
        match self.operation {
            Operation::Create => None,
            Operation::Update { status, .. } => Some(status),
        }
    }
}
