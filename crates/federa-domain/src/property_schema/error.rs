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
