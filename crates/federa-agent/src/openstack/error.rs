//! The driver's errors, carrying OpenStack's own words: a lifecycle routes
//! a failed job by its message (`Quota exceeded for cores…`, `No valid host
//! was found…`), so the message is passed on as the service gave it.

use serde_json::Value;

use crate::driver::DriverError;

#[derive(Debug, thiserror::Error)]
pub enum OpenStackError {
    /// Keystone refused the credentials, or gave an unusable token.
    #[error("{0}")]
    Authentication(String),
    /// The cloud could not be reached.
    #[error("{0}")]
    Transport(String),
    /// A service refused or failed a request.
    #[error("{0}")]
    Failed(String),
}

impl From<OpenStackError> for DriverError {
    fn from(error: OpenStackError) -> DriverError {
        DriverError::Failed(error.to_string())
    }
}

/// The message of an OpenStack error body, whatever its service's shape:
/// Nova's `{"forbidden": {"message": …}}`, Keystone's `{"error":
/// {"message": …}}`, Glance's and Placement's `{"errors": [{"detail": …}]}`
/// or a plain text page.
pub fn message_of(body: &Value) -> String {
    let found = match body {
        Value::Object(map) => map.values().find_map(|inner| {
            inner
                .get("message")
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| {
                    inner
                        .as_array()?
                        .first()?
                        .get("detail")?
                        .as_str()
                        .map(str::to_string)
                })
        }),
        Value::String(text) => Some(plain_text(text)),
        _ => None,
    };
    found
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| body.to_string())
}

/// The words of an HTML or plain error page, on one line.
fn plain_text(text: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_services_error_shape_gives_its_message() {
        let nova = json!({"forbidden": {"code": 403, "message": "Quota exceeded for cores: Requested 4, but already used 0 of 2 cores"}});
        assert_eq!(
            message_of(&nova),
            "Quota exceeded for cores: Requested 4, but already used 0 of 2 cores"
        );
        let keystone = json!({"error": {"code": 401, "message": "The request you have made requires authentication.", "title": "Unauthorized"}});
        assert_eq!(
            message_of(&keystone),
            "The request you have made requires authentication."
        );
        let placement = json!({"errors": [{"status": 404, "detail": "No resource provider"}]});
        assert_eq!(message_of(&placement), "No resource provider");
        let page = json!(
            "<html><body><h1>404 Not Found</h1>\nThe resource could not be found.</body></html>"
        );
        assert_eq!(
            message_of(&page),
            "404 Not Found The resource could not be found."
        );
    }
}
