//! The catalogue tables. Writes go through [`Store::apply`] so each change
//! commits with its event.

mod agent_installs;
mod agent_types;
mod agents;
mod service_groups;
mod service_options;
mod service_types;

pub use agent_installs::NewToken;
pub use service_types::ReferencedService;

use crate::error::StoreError;

/// Turns a refused delete into a message that says what still uses the row.
pub(crate) fn in_use(error: StoreError, message: &str) -> StoreError {
    match error {
        StoreError::Conflict(_) => StoreError::Conflict(message.to_string()),
        other => other,
    }
}

/// Turns a uniqueness failure into a message naming the field.
pub(crate) fn taken(error: StoreError, message: &str) -> StoreError {
    in_use(error, message)
}
