//! Lifecycle engine: a service type's states, actions and transitions, and
//! the questions asked of them when actions start and jobs finish. Pure.
//!
//! # Format
//!
//! Compatible with Fulcrum Core's service-type format:
//!
//! ```json
//! {
//!   "states": [{"name": "New"}, {"name": "Stopped"}, {"name": "Failed"}],
//!   "actions": [{
//!     "name": "create",
//!     "requestSchemaType": "properties",          // optional
//!     "transitions": [
//!       {"from": "New", "to": "Stopped"},
//!       {"from": "New", "to": "Failed", "onError": true, "onErrorRegexp": "quota"}
//!     ]
//!   }],
//!   "initialState": "New",
//!   "terminalStates": [],                          // optional
//!   "runningStates": [],                           // optional
//!   "driftTransitions": [                          // optional, Federa's
//!     {"from": "Started", "observed": "Stopped", "to": "Stopped"}
//!   ]
//! }
//! ```
//!
//! # API
//!
//! - [`LifecycleSchema::parse`] checks the document and returns every
//!   problem as a [`PropertyError`] whose path starts with
//!   `lifecycleSchema`; [`LifecycleSchema::to_json`] and `Serialize` give
//!   the document back.
//! - [`LifecycleSchema::can_perform`] says whether an action may start;
//!   [`LifecycleSchema::on_success`] and [`LifecycleSchema::on_error`] say
//!   where a finished job leaves the service; [`LifecycleError`] tells an
//!   unknown action from one that is not allowed in the current state.
//! - [`LifecycleSchema::reconcile`] says what an agent's observation of the
//!   platform ([`ObservedState`]) means for a service: it agrees, it drifted
//!   (and where a declared drift transition takes it), or a drift ended.
//!
//! # Rules enforced on the document
//!
//! Those of Fulcrum Core's format: at least one state and one action,
//! non-empty unique state and action names, every action with at least one
//! transition, `initialState`, `terminalStates`, `runningStates` and every
//! transition endpoint naming a declared state, valid `onErrorRegexp`
//! patterns. In addition, mistakes that would only show up in production
//! are refused:
//!
//! - a state that nothing reaches from the initial state (through success
//!   or error transitions);
//! - a transition leaving a terminal state: actions never run there, so it
//!   could never fire;
//! - a second success transition for the same action and source state, or
//!   an error transition behind an earlier catch-all from the same state:
//!   neither could ever be chosen;
//! - `onErrorRegexp` on a success transition, where it would be ignored.

mod drift;
mod error;
mod examples;
mod parse;
mod queries;
mod serialize;
mod types;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::property_schema::PropertyError;

pub use drift::Reconciliation;
pub use error::LifecycleError;
pub use examples::EXAMPLE_VM_LIFECYCLE;
pub use types::{
    Action, DriftTransition, LifecycleSchema, ObservedState, RequestSchemaType, Transition,
    TransitionTrigger,
};

impl LifecycleSchema {
    /// Checks a `lifecycleSchema` document.
    pub fn parse(document: &Value) -> Result<Self, Vec<PropertyError>> {
        parse::parse(document)
    }

    /// The lifecycle document; parsing it again yields an equal schema.
    pub fn to_json(&self) -> Value {
        serialize::document(self)
    }
}

impl Serialize for LifecycleSchema {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

/// Deserializes and checks a lifecycle; errors become one message joined by `; `.
impl<'de> Deserialize<'de> for LifecycleSchema {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let document = Value::deserialize(deserializer)?;
        Self::parse(&document).map_err(|errors| {
            let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
            serde::de::Error::custom(messages.join("; "))
        })
    }
}
