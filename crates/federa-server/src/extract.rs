//! Request extractors that turn every malformed input into a 400 naming the field.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use federa_domain::listing::FieldError;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
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

/// Why a text holding U+0000 is refused: PostgreSQL cannot store it in
/// text or JSON, so it is refused on every backend alike.
pub const NUL_RULE: &str = "must not contain the NUL character (U+0000)";

/// A body that may be left out: empty (or only whitespace) reads as
/// `T::default()`, anything else must decode as `T`.
pub fn decode_optional<T: DeserializeOwned + Default>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        Ok(T::default())
    } else {
        decode(bytes)
    }
}

pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if let Some(path) = nul_path(bytes) {
        return Err(ApiError::field(path, NUL_RULE));
    }
    decode_allowing_nul(bytes)
}

/// As [`decode`], leaving U+0000 in strings for a caller that replaces it
/// or checks each part of the document on its own. Every failing field is
/// named, not only the first.
pub fn decode_allowing_nul<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::field("body", "must be a JSON object"));
    }
    let first = match attempt::<T>(bytes) {
        Ok(value) => return Ok(value),
        Err(Failed::Syntax(message)) => return Err(ApiError::field("body", message)),
        Err(Failed::Field(error)) => error,
    };
    Err(ApiError::Invalid(every_failing_field::<T>(bytes, first)))
}

/// Why a body did not decode.
enum Failed {
    /// Not JSON at all: the whole body is wrong.
    Syntax(String),
    Field(FieldError),
}

fn attempt<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Failed> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let inner = error.inner();
        let message = inner.to_string();
        if matches!(
            inner.classify(),
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof
        ) {
            return Failed::Syntax(format!("is not valid JSON: {message}"));
        }
        let message = strip_position(&message);
        // serde writes the document itself as `.`.
        let path = error.path().to_string();
        let at = if path == "." { "" } else { path.as_str() };
        // serde names a missing field only in the message.
        Failed::Field(match missing_field(&message) {
            Some(missing) => FieldError::new(missing, message).under(at),
            None if at.is_empty() => FieldError::new("body", message),
            None => FieldError::new(at, message),
        })
    })?;
    // Anything but whitespace after the document is refused, not ignored:
    // a client that sent it meant something by it.
    deserializer.end().map_err(|_| {
        Failed::Syntax("is not valid JSON: trailing characters after the JSON document".into())
    })?;
    Ok(value)
}

/// Values that stand in for a failing field, of each JSON kind, so that
/// decoding goes on to the next failing field.
fn stand_ins() -> [Value; 6] {
    [
        json!(""),
        json!("00000000-0000-7000-8000-000000000000"),
        json!(0),
        json!(false),
        json!({}),
        json!([]),
    ]
}

/// serde stops at the first failing field; a body is decoded again with a
/// stand-in value in each failing field found so far, so the answer names
/// every failing field at once.
fn every_failing_field<T: DeserializeOwned>(bytes: &[u8], first: FieldError) -> Vec<FieldError> {
    let mut errors = vec![first];
    let Ok(mut document) = serde_json::from_slice::<Value>(bytes) else {
        return errors;
    };
    // A body is small; each field needs at most a few attempts.
    for _ in 0..32 {
        let failing = errors.last().map(|e| e.path.clone()).unwrap_or_default();
        let Some(pointer) = json_pointer(&failing) else {
            break;
        };
        let mut next = None;
        for stand_in in stand_ins() {
            if !put(&mut document, &pointer, stand_in) {
                break;
            }
            match attempt::<T>(&serde_json::to_vec(&document).unwrap_or_default()) {
                Ok(_) => return errors,
                Err(Failed::Field(error)) if error.path != failing => {
                    next = Some(error);
                    break;
                }
                Err(_) => {}
            }
        }
        match next {
            Some(error) if !errors.iter().any(|e| e.path == error.path) => errors.push(error),
            _ => break,
        }
    }
    errors
}

/// `a.b[2].c` as the JSON pointer `/a/b/2/c`; `None` for the whole body.
fn json_pointer(path: &str) -> Option<String> {
    if path == "body" || path.is_empty() {
        return None;
    }
    let mut pointer = String::new();
    for part in path.split('.') {
        let (name, indexes) = part.split_once('[').unwrap_or((part, ""));
        if !name.is_empty() {
            pointer.push('/');
            pointer.push_str(&name.replace('~', "~0").replace('/', "~1"));
        }
        for index in indexes.split('[').filter(|i| !i.is_empty()) {
            pointer.push('/');
            pointer.push_str(index.trim_end_matches(']'));
        }
    }
    Some(pointer)
}

/// Sets the value at `pointer`, creating it in its parent object.
fn put(document: &mut Value, pointer: &str, value: Value) -> bool {
    if let Some(slot) = document.pointer_mut(pointer) {
        *slot = value;
        return true;
    }
    let Some((parent, name)) = pointer.rsplit_once('/') else {
        return false;
    };
    match document.pointer_mut(parent) {
        Some(Value::Object(object)) => {
            object.insert(name.replace("~1", "/").replace("~0", "~"), value);
            true
        }
        _ => false,
    }
}

/// Where the JSON document holds U+0000, in a string or a key, named as
/// serde names paths (`properties.name`, `entries[3].resourceId`). JSON can
/// only carry it escaped, so documents without `\u0000` are not parsed twice.
fn nul_path(bytes: &[u8]) -> Option<String> {
    const ESCAPED: &[u8] = b"\\u0000";
    if !bytes.windows(ESCAPED.len()).any(|w| w == ESCAPED) {
        return None;
    }
    let document: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    nul_in(&document, String::new())
}

fn nul_in(value: &serde_json::Value, path: String) -> Option<String> {
    let named = |path: String| if path.is_empty() { "body".into() } else { path };
    match value {
        serde_json::Value::String(text) if text.contains('\0') => Some(named(path)),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(index, item)| nul_in(item, format!("{path}[{index}]"))),
        serde_json::Value::Object(fields) => fields.iter().find_map(|(key, item)| {
            let here = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            if key.contains('\0') {
                Some(named(path.clone()))
            } else {
                nul_in(item, here)
            }
        }),
        _ => None,
    }
}

/// The field serde's message names as missing; serde puts it nowhere else.
pub(crate) fn missing_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    Some(rest.split('`').next()?.to_string())
}

fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}

/// Whether a path decodes to U+0000 (`%00`): refused before any handler
/// reads a segment of it as text.
pub fn nul_in_path(uri: &axum::http::Uri) -> bool {
    uri.path().to_ascii_lowercase().contains("%00")
}

/// The refusal of a path with U+0000 in it.
pub fn nul_in_path_refused() -> ApiError {
    ApiError::field("path", NUL_RULE)
}

/// The raw query pairs, for [`federa_domain::listing::ListSpec::parse`].
pub struct QueryPairs(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        let pairs = serde_urlencoded_pairs(query)?;
        if let Some((name, _)) = pairs
            .iter()
            .find(|(name, value)| name.contains('\0') || value.contains('\0'))
        {
            let name = if name.contains('\0') { "query" } else { name };
            return Err(ApiError::field(name, NUL_RULE));
        }
        Ok(QueryPairs(pairs))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Order {
        name: String,
        service_type_id: Uuid,
        count: u32,
        placement: Option<Placement>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Placement {
        countries: Vec<String>,
        strategy: String,
    }

    fn paths(body: &str) -> Vec<String> {
        match decode::<Order>(body.as_bytes()) {
            // Every failing field, in no particular order.
            Err(ApiError::Invalid(errors)) => {
                let mut paths: Vec<String> = errors.into_iter().map(|e| e.path).collect();
                paths.sort();
                paths
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_failing_field_is_named_at_once() {
        assert_eq!(paths("{}"), ["count", "name", "serviceTypeId"]);
        assert_eq!(
            paths(r#"{"name": 1, "serviceTypeId": "nope", "count": -1}"#),
            ["count", "name", "serviceTypeId"]
        );
        assert_eq!(
            paths(r#"{"name": "a", "count": 1, "placement": {"countries": [1]}}"#),
            [
                "placement.countries[0]",
                "placement.strategy",
                "serviceTypeId"
            ]
        );
        assert_eq!(paths("true"), ["body"]);
    }
}
