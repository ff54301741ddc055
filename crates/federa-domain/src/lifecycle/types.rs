//! The parsed, checked form of a lifecycle schema.

use crate::property_schema::Pattern;

/// A service type's state machine. Built only by
/// [`LifecycleSchema::parse`](super::LifecycleSchema::parse), so every state
/// it mentions is declared and every rule in the module docs holds.
#[derive(Debug, Clone, PartialEq)]
pub struct LifecycleSchema {
    pub(crate) states: Vec<String>,
    pub(crate) actions: Vec<Action>,
    pub(crate) initial_state: String,
    pub(crate) terminal_states: Vec<String>,
    pub(crate) running_states: Vec<String>,
    pub(crate) drift_transitions: Vec<DriftTransition>,
}

/// What an action's request body carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestSchemaType {
    /// The body holds service properties, validated by the property schema.
    Properties,
}

/// An operation a service can undergo, e.g. `start`.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    pub(crate) name: String,
    pub(crate) request_schema_type: Option<RequestSchemaType>,
    pub(crate) transitions: Vec<Transition>,
}

impl Action {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn request_schema_type(&self) -> Option<RequestSchemaType> {
        self.request_schema_type
    }

    /// Whether the action's request may carry properties.
    pub fn accepts_properties(&self) -> bool {
        self.request_schema_type == Some(RequestSchemaType::Properties)
    }

    /// Transitions in declared order; order decides which error route wins.
    pub fn transitions(&self) -> &[Transition] {
        &self.transitions
    }
}

/// When a transition applies.
#[derive(Debug, Clone, PartialEq)]
pub enum TransitionTrigger {
    /// The job succeeded.
    Success,
    /// The job failed and, if a pattern is given, its error message contains
    /// a match for it.
    Error(Option<Pattern>),
}

/// A move from one state to another caused by an action's job outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) trigger: TransitionTrigger,
}

impl Transition {
    pub fn from(&self) -> &str {
        &self.from
    }

    pub fn to(&self) -> &str {
        &self.to
    }

    pub fn trigger(&self) -> &TransitionTrigger {
        &self.trigger
    }

    pub fn is_error(&self) -> bool {
        matches!(self.trigger, TransitionTrigger::Error(_))
    }

    /// The `onErrorRegexp` source, if any.
    pub fn error_pattern(&self) -> Option<&str> {
        match &self.trigger {
            TransitionTrigger::Error(Some(pattern)) => Some(pattern.as_str()),
            _ => None,
        }
    }

    /// Whether this is an error transition that routes `message`: a missing
    /// pattern catches every error, otherwise the pattern must match
    /// somewhere in the message (unanchored, case-sensitive).
    pub fn routes_error(&self, message: &str) -> bool {
        match &self.trigger {
            TransitionTrigger::Success => false,
            TransitionTrigger::Error(None) => true,
            TransitionTrigger::Error(Some(pattern)) => pattern.is_match(message),
        }
    }
}

/// What the platform shows of a service, whatever its lifecycle calls it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ObservedState {
    /// The instance exists and runs.
    Running,
    /// The instance exists and does not run.
    Stopped,
    /// The platform has no instance for the service.
    Missing,
}

impl ObservedState {
    pub const NAMES: &'static [&'static str] = &["Running", "Stopped", "Missing"];

    pub fn as_str(self) -> &'static str {
        match self {
            ObservedState::Running => "Running",
            ObservedState::Stopped => "Stopped",
            ObservedState::Missing => "Missing",
        }
    }

    pub fn parse(text: &str) -> Option<ObservedState> {
        match text {
            "Running" => Some(ObservedState::Running),
            "Stopped" => Some(ObservedState::Stopped),
            "Missing" => Some(ObservedState::Missing),
            _ => None,
        }
    }
}

/// A move a lifecycle takes when its service in `from` is observed
/// `observed`.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftTransition {
    pub(crate) from: String,
    pub(crate) observed: ObservedState,
    pub(crate) to: String,
}

impl DriftTransition {
    pub fn from(&self) -> &str {
        &self.from
    }

    pub fn observed(&self) -> ObservedState {
        self.observed
    }

    pub fn to(&self) -> &str {
        &self.to
    }
}
