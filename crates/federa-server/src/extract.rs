//! Request extractors that turn every malformed input into a 400 naming the field.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::error::ApiError;

/// A JSON body decoded whatever the Content-Type says (as Fulcrum does),
/// with decoding errors reported by path.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge(format!(
                        "request bodies are limited to {} bytes",
                        crate::MAX_BODY_BYTES
                    ))
                } else {
                    ApiError::field("body", rejection.body_text())
                }
            })?;
        decode(&bytes).map(Body)
    }
}

pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::field("body", "must be a JSON object"));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let inner = error.inner();
        let message = inner.to_string();
        match inner.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                return ApiError::field("body", format!("is not valid JSON: {message}"));
            }
            _ => {}
        }
        let mut path = error.path().to_string();
        if path == "." {
            // serde names a missing field only in the message.
            path = missing_field(&message).unwrap_or_else(|| "body".into());
        }
        let message = strip_position(&message);
        ApiError::field(path, message)
    })
}

fn missing_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    Some(rest.split('`').next()?.to_string())
}

fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}

/// The raw query pairs, for [`federa_domain::listing::ListSpec::parse`].
pub struct QueryPairs(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        serde_urlencoded_pairs(query).map(QueryPairs)
    }
}

fn serde_urlencoded_pairs(query: &str) -> Result<Vec<(String, String)>, ApiError> {
    axum::extract::Query::<Vec<(String, String)>>::try_from_uri(
        &format!("/?{query}")
            .parse()
            .map_err(|_| ApiError::field("query", "is not a valid query string"))?,
    )
    .map(|q| q.0)
    .map_err(|_| ApiError::field("query", "is not a valid query string"))
}

/// Parses a path segment as a UUID, naming the segment on failure.
pub fn uuid_param(name: &str, value: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(value)
        .map_err(|_| ApiError::field(name, format!("must be a UUID, got {value:?}")))
}

/// The `{id}` path segment of a route, as a UUID.
pub struct IdPath(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let axum::extract::Path(params) =
            axum::extract::Path::<Vec<(String, String)>>::from_request_parts(parts, state)
                .await
                .map_err(|_| ApiError::field("id", "is missing"))?;
        let value = params
            .iter()
            .find(|(k, _)| k == "id")
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| ApiError::field("id", "is missing"))?;
        uuid_param("id", value).map(IdPath)
    }
}
