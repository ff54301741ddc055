//! The one error shape shared by schema checking and value validation.
//!
//! Both the schema author and the API caller need to know *where* a rule was
//! broken, so every failure is a `{path, message}` pair. Lists of these are
//! what the HTTP layer returns, so the serialized form is part of the API.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One broken rule: where it happened and what the rule says.
///
/// `path` is a dotted path with `[i]` for array positions, e.g.
/// `propertySchema.cpu.validators[0]` when a schema is checked, or
/// `disks[1].size` when values are validated. The empty path means
/// "the document as a whole" (used by cross-property rules).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PropertyError {
    pub path: String,
    pub message: String,
}

impl PropertyError {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }

    /// The same error seen from the document that holds this one under
    /// `field`: `cpu` under `properties` is `properties.cpu`, `[2].name`
    /// under `items` is `items[2].name` (an index takes no dot, as in
    /// [`PropertyPath`](super::PropertyPath)), the whole document is `properties`
    /// itself, and no field leaves the path as it is.
    pub fn under(mut self, field: &str) -> Self {
        self.path = match (field.is_empty(), self.path.is_empty()) {
            (true, _) => self.path,
            (false, true) => field.to_string(),
            (false, false) if self.path.starts_with('[') => format!("{field}{}", self.path),
            (false, false) => format!("{field}.{}", self.path),
        };
        self
    }
}

impl fmt::Display for PropertyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for PropertyError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_under_a_field_starts_with_it() {
        let error = |path: &str| PropertyError::new(path, "is required");
        assert_eq!(error("cpu").under("properties").path, "properties.cpu");
        assert_eq!(
            error("disks[1].size").under("a.b").path,
            "a.b.disks[1].size"
        );
        assert_eq!(
            error("serviceId").under("entries[3]").path,
            "entries[3].serviceId"
        );
        assert_eq!(error("[2].name").under("items").path, "items[2].name");
        assert_eq!(error("").under("properties").path, "properties");
        assert_eq!(error("cpu").under("").path, "cpu");
        assert_eq!(error("").under("").path, "");
    }

    #[test]
    fn an_error_under_a_field_keeps_its_message() {
        let error = PropertyError::new("cpu", "must be at least 1").under("properties");
        assert_eq!(error.message, "must be at least 1");
        assert_eq!(error.to_string(), "properties.cpu: must be at least 1");
    }
}
