//! The exchange's own error: what a workflow refuses and why, in terms of
//! the exchange (a missing object, broken input, a conflict), never of a
//! protocol. The HTTP layer maps it to its answers in one place.

use federa_domain::access::Denied;
use federa_domain::commerce::QuotaUsage;
use federa_domain::listing::FieldError;
use federa_domain::property_schema::PropertyError;
use federa_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    /// The object the workflow was asked about does not exist.
    #[error("{what} not found")]
    NotFound { what: &'static str },
    /// Input broke a rule: every failing field.
    #[error("invalid input: {}", describe(.0))]
    Invalid(Vec<FieldError>),
    /// The object is not in a state that allows this, or another writer
    /// holds what was asked for.
    #[error("conflict: {0}")]
    Conflict(String),
    /// An order would pass a service quota: which, its limit and count.
    #[error("quota exceeded: {0}")]
    QuotaExceeded(QuotaUsage),
    /// The caller may not do this.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The caller already holds as much of something as it may (such as
    /// long-polls); asking again later may succeed.
    #[error("busy: {0}")]
    Busy(String),
    /// The database is not answering.
    #[error("the database is not answering")]
    Unavailable,
    /// A state the code cannot reach unless something is broken.
    #[error("{cause}")]
    Internal {
        cause: String,
        #[source]
        source: Option<StoreError>,
    },
}

pub type ExchangeResult<T> = Result<T, ExchangeError>;

impl ExchangeError {
    /// Broken input in one field.
    pub fn field(path: impl Into<String>, message: impl Into<String>) -> ExchangeError {
        ExchangeError::Invalid(vec![FieldError::new(path, message)])
    }

    /// A broken state, with what was being done.
    pub fn internal(cause: impl Into<String>) -> ExchangeError {
        ExchangeError::Internal {
            cause: cause.into(),
            source: None,
        }
    }

    /// Every failing field in one sentence, when the error is a refusal of
    /// input or a conflict; `None` for errors that are not the input's fault.
    pub fn refusal(&self) -> Option<String> {
        match self {
            ExchangeError::Invalid(errors) => Some(describe(errors)),
            ExchangeError::Conflict(message) => Some(message.clone()),
            ExchangeError::QuotaExceeded(usage) => Some(usage.to_string()),
            _ => None,
        }
    }
}

fn describe(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|error| format!("{}: {}", error.path, error.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Property-engine errors placed under the request field that held them.
pub fn under(field: &str, errors: Vec<PropertyError>) -> ExchangeError {
    ExchangeError::Invalid(errors.into_iter().map(|e| e.under(field)).collect())
}

impl From<StoreError> for ExchangeError {
    fn from(error: StoreError) -> ExchangeError {
        match error {
            StoreError::Invalid(errors) => ExchangeError::Invalid(errors),
            StoreError::NotFound => ExchangeError::NotFound { what: "row" },
            StoreError::Conflict(message) | StoreError::Raced(message) => {
                ExchangeError::Conflict(message)
            }
            StoreError::QuotaExceeded(usage) => ExchangeError::QuotaExceeded(usage),
            reached @ StoreError::QuotaReached(_) => ExchangeError::Conflict(reached.to_string()),
            StoreError::Unavailable(message) => {
                tracing::warn!(%message, "database unavailable");
                ExchangeError::Unavailable
            }
            other => ExchangeError::Internal {
                cause: "storage failure".into(),
                source: Some(other),
            },
        }
    }
}

impl From<FieldError> for ExchangeError {
    fn from(error: FieldError) -> ExchangeError {
        ExchangeError::Invalid(vec![error])
    }
}

impl From<Vec<FieldError>> for ExchangeError {
    fn from(errors: Vec<FieldError>) -> ExchangeError {
        ExchangeError::Invalid(errors)
    }
}

impl From<Denied> for ExchangeError {
    fn from(denied: Denied) -> ExchangeError {
        ExchangeError::Forbidden(denied.to_string())
    }
}

impl From<federa_domain::lifecycle::LifecycleError> for ExchangeError {
    fn from(error: federa_domain::lifecycle::LifecycleError) -> ExchangeError {
        ExchangeError::field("action", error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_names_every_failing_field_and_other_errors_are_none() {
        let invalid = ExchangeError::Invalid(vec![
            FieldError::new("properties.cpu", "must be at least 1"),
            FieldError::new("placement", "no offering"),
        ]);
        assert_eq!(
            invalid.refusal().as_deref(),
            Some("properties.cpu: must be at least 1; placement: no offering")
        );
        assert_eq!(
            ExchangeError::Conflict("busy".into()).refusal().as_deref(),
            Some("busy")
        );
        assert_eq!(ExchangeError::Unavailable.refusal(), None);
        assert_eq!(ExchangeError::internal("broken").refusal(), None);
    }

    #[test]
    fn a_lost_race_is_a_conflict_and_an_unreachable_database_is_unavailable() {
        let raced = ExchangeError::from(StoreError::Raced("pool value taken".into()));
        assert!(matches!(raced, ExchangeError::Conflict(ref m) if m == "pool value taken"));
        let down = ExchangeError::from(StoreError::Unavailable("refused".into()));
        assert!(matches!(down, ExchangeError::Unavailable));
    }
}
