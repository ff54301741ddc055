//! One error type for every handler, rendered as Fulcrum's envelopes.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use federa_api::QuotaRes;
use federa_domain::access::Denied;
use federa_domain::commerce::QuotaUsage;
use federa_domain::listing::FieldError;
use federa_exchange::ExchangeError;
use federa_store::StoreError;
use serde_json::json;

#[derive(Debug)]
pub enum ApiError {
    /// No usable credentials: 401.
    Unauthenticated(String),
    /// Credentials refused or the role may not do this: 403.
    Forbidden(String),
    NotFound,
    /// The request names things that do not exist: 404 with every such path.
    Missing(Vec<FieldError>),
    /// Input broke a rule: 400 with every failing path.
    Invalid(Vec<FieldError>),
    Conflict(String),
    /// An order would pass a service quota: 409 naming the quota, its
    /// limit and its count.
    QuotaExceeded(QuotaUsage),
    /// A 409 whose `status` Fulcrum words its own way, such as `Lease Conflict`.
    ConflictAs(&'static str, String),
    PayloadTooLarge(String),
    /// The database is not answering: 503, so clients retry instead of hanging.
    Unavailable,
    /// The caller is over a limit: 429, with `Retry-After` when the wait is known.
    TooManyRequests {
        error: String,
        retry_after: Option<std::time::Duration>,
    },
    /// A state the code cannot reach unless something is broken: 500. The
    /// cause and the chain of its sources are logged, never sent: they may
    /// name internals a caller must not see.
    Internal {
        cause: String,
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

impl ApiError {
    /// A 500 for `cause`, which is logged when the answer is made.
    pub fn internal(cause: impl Into<String>) -> ApiError {
        ApiError::Internal {
            cause: cause.into(),
            source: None,
        }
    }

    pub fn field(path: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::Invalid(vec![FieldError::new(path, message)])
    }
}

impl From<Denied> for ApiError {
    fn from(denied: Denied) -> ApiError {
        ApiError::Forbidden(denied.to_string())
    }
}

impl From<FieldError> for ApiError {
    fn from(error: FieldError) -> ApiError {
        ApiError::Invalid(vec![error])
    }
}

impl From<federa_domain::lifecycle::LifecycleError> for ApiError {
    fn from(error: federa_domain::lifecycle::LifecycleError) -> ApiError {
        ApiError::field("action", error.to_string())
    }
}

impl From<Vec<FieldError>> for ApiError {
    fn from(errors: Vec<FieldError>) -> ApiError {
        ApiError::Invalid(errors)
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        match error {
            StoreError::Invalid(errors) => ApiError::Invalid(errors),
            StoreError::NotFound => ApiError::NotFound,
            StoreError::Conflict(message) | StoreError::Raced(message) => {
                ApiError::Conflict(message)
            }
            StoreError::QuotaExceeded(usage) => ApiError::QuotaExceeded(usage),
            reached @ StoreError::QuotaReached(_) => ApiError::Conflict(reached.to_string()),
            StoreError::Unavailable(message) => {
                tracing::warn!(%message, "database unavailable");
                ApiError::Unavailable
            }
            other => ApiError::Internal {
                cause: "storage failure".into(),
                source: Some(Box::new(other)),
            },
        }
    }
}

/// The one place the exchange's refusals become HTTP answers.
impl From<ExchangeError> for ApiError {
    fn from(error: ExchangeError) -> ApiError {
        match error {
            ExchangeError::NotFound { .. } => ApiError::NotFound,
            ExchangeError::Invalid(errors) => ApiError::Invalid(errors),
            ExchangeError::Conflict(message) => ApiError::Conflict(message),
            ExchangeError::QuotaExceeded(usage) => ApiError::QuotaExceeded(usage),
            ExchangeError::Forbidden(message) => ApiError::Forbidden(message),
            ExchangeError::Busy(message) => ApiError::TooManyRequests {
                error: message,
                retry_after: None,
            },
            ExchangeError::Unavailable => ApiError::Unavailable,
            ExchangeError::Internal { cause, source } => ApiError::Internal {
                cause,
                source: source.map(|store| Box::new(store) as _),
            },
        }
    }
}

impl ApiError {
    /// The status and error envelope this error answers with (without the
    /// `Retry-After` of a 429).
    pub fn envelope(self) -> (StatusCode, serde_json::Value) {
        match self {
            ApiError::Unauthenticated(error) => (
                StatusCode::UNAUTHORIZED,
                json!({"status": "Unauthorized", "error": error}),
            ),
            ApiError::Forbidden(error) => (
                StatusCode::FORBIDDEN,
                json!({"status": "Forbidden", "error": error}),
            ),
            ApiError::NotFound => (
                StatusCode::NOT_FOUND,
                json!({"status": "Resource not found"}),
            ),
            ApiError::Missing(errors) => (
                StatusCode::NOT_FOUND,
                json!({"status": "Resource not found", "error": first_error(&errors), "errors": errors}),
            ),
            ApiError::Invalid(errors) => (
                StatusCode::BAD_REQUEST,
                json!({"status": "Validation failed", "valid": false, "error": first_error(&errors), "errors": errors}),
            ),
            ApiError::Conflict(error) => (
                StatusCode::CONFLICT,
                json!({"status": "Conflict", "error": error}),
            ),
            ApiError::QuotaExceeded(usage) => (
                StatusCode::CONFLICT,
                json!({"status": "Conflict", "error": usage.to_string(), "quota": QuotaRes::from(usage)}),
            ),
            ApiError::ConflictAs(status, error) => (
                StatusCode::CONFLICT,
                json!({"status": status, "error": error}),
            ),
            ApiError::PayloadTooLarge(error) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                json!({"status": "Payload too large", "error": error}),
            ),
            ApiError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"status": "Service unavailable", "error": "the database is not answering; retry later"}),
            ),
            ApiError::TooManyRequests { error, .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                json!({"status": "Too many requests", "error": error}),
            ),
            ApiError::Internal { cause, source } => {
                let cause = with_sources(cause, source.as_deref().map(|inner| inner as _));
                tracing::error!(%cause, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({"status": "Internal server error", "error": "an unexpected error occurred"}),
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry_after = match &self {
            ApiError::TooManyRequests { retry_after, .. } => *retry_after,
            _ => None,
        };
        let (status, body) = self.envelope();
        let Some(wait) = retry_after else {
            return (status, Json(body)).into_response();
        };
        // Whole seconds, rounded up: retrying earlier is refused again.
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        (
            status,
            [(axum::http::header::RETRY_AFTER, seconds.to_string())],
            Json(body),
        )
            .into_response()
    }
}

/// The first failing field as one line, for clients that read only `error`.
fn first_error(errors: &[FieldError]) -> String {
    errors
        .first()
        .map(|e| format!("{}: {}", e.path, e.message))
        .unwrap_or_default()
}

/// `cause` followed by each error in the chain that led to it, for the log.
fn with_sources(cause: String, source: Option<&(dyn std::error::Error + 'static)>) -> String {
    let mut chain = cause;
    let mut next = source;
    while let Some(inner) = next {
        chain = format!("{chain}: {inner}");
        next = inner.source();
    }
    chain
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    /// Asserts that `error` answers a bare 500 that names nothing of its cause.
    async fn answers_a_bare_500(error: ApiError) {
        let response = error.into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            body,
            json!({"status": "Internal server error", "error": "an unexpected error occurred"})
        );
    }

    #[tokio::test]
    async fn an_internal_error_logs_its_sources_and_answers_without_them() {
        let source = std::io::Error::other("password=hunter2 refused");
        assert_eq!(
            with_sources("storage failure".into(), Some(&source)),
            "storage failure: password=hunter2 refused"
        );
        answers_a_bare_500(ApiError::Internal {
            cause: "storage failure".into(),
            source: Some(Box::new(source)),
        })
        .await;
    }

    #[tokio::test]
    async fn an_internal_error_answers_500_without_its_cause() {
        answers_a_bare_500(ApiError::internal(
            "storage failure: table services is locked by pid 4242",
        ))
        .await;
    }
}
