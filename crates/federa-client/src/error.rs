use federa_api::ErrorRes;
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, thiserror::Error)]
pub enum ClientError {
    /// The server could not be reached, after every retry.
    #[error("cannot reach the exchange: {0}")]
    Network(String),
    /// The server refused the request; `message` is its explanation,
    /// including each failing field for a 400.
    #[error("{status}: {message}")]
    Refused {
        status: StatusCode,
        message: String,
        body: Value,
    },
    #[error("unexpected answer: {0}")]
    Decode(String),
}

impl ClientError {
    /// A refusal, explained by the error envelope when the body is one.
    pub fn from_reply(status: StatusCode, body: Value) -> ClientError {
        let envelope = ErrorRes::deserialize(&body).ok();
        let message = match envelope {
            Some(ErrorRes { errors, .. }) if !errors.is_empty() => errors
                .iter()
                .map(|e| format!("{}: {}", e.path, e.message))
                .collect::<Vec<_>>()
                .join("; "),
            Some(ErrorRes {
                error: Some(error), ..
            }) if !error.is_empty() => error,
            _ => status.canonical_reason().unwrap_or("error").to_string(),
        };
        ClientError::Refused {
            status,
            message,
            body,
        }
    }

    /// The HTTP status of a refusal.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            ClientError::Refused { status, .. } => Some(*status),
            _ => None,
        }
    }
}
