use reqwest::StatusCode;
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
    pub fn from_reply(status: StatusCode, body: Value) -> ClientError {
        let mut message = body["error"].as_str().unwrap_or("").to_string();
        if let Some(errors) = body["errors"].as_array() {
            let fields: Vec<String> = errors
                .iter()
                .map(|e| {
                    format!(
                        "{}: {}",
                        e["path"].as_str().unwrap_or(""),
                        e["message"].as_str().unwrap_or("")
                    )
                })
                .collect();
            message = fields.join("; ");
        }
        if message.is_empty() {
            message = status.canonical_reason().unwrap_or("error").to_string();
        }
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
