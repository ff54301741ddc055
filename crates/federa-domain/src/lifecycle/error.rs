//! Why an action cannot be performed or resolved.

use thiserror::Error;

/// A refused lifecycle query. The messages are meant for API callers.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LifecycleError {
    #[error("action `{action}` is not defined by this service type's lifecycle")]
    UnknownAction { action: String },
    #[error("no action can be performed in terminal state `{state}`")]
    TerminalState { state: String },
    #[error("action `{action}` is not allowed from state `{state}`")]
    NotAllowed { action: String, state: String },
    #[error("action `{action}` has no success transition from state `{state}`")]
    NoSuccessTransition { action: String, state: String },
}
