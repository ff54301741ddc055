use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::access::Owners;
use crate::listing::{FieldError, FilterKind, FilterSpec, ListSpec};

/// A named list of choices (operating systems, flavours…) that a property
/// can be restricted to with the `serviceOption` validator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceOptionType {
    pub id: Uuid,
    pub name: String,
    /// The key schemas refer to, e.g. `operating_system`.
    pub type_key: String,
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub const SERVICE_OPTION_TYPE_LIST: ListSpec = ListSpec {
    filters: &[
        FilterSpec::new("name", "name", FilterKind::Contains),
        FilterSpec::new("type", "type", FilterKind::Exact),
    ],
    sorts: &[
        ("name", "LOWER(name)"),
        ("type", "type"),
        ("createdAt", "created_at"),
    ],
    default_sort: ("created_at", false),
};

/// Option-type keys are lowercase identifiers, as schemas spell them.
pub fn check_option_type_key(key: &str) -> Result<String, FieldError> {
    let valid = key.len() <= 100
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid {
        Ok(key.to_string())
    } else {
        Err(FieldError::new(
            "type",
            "must start with a lowercase letter and use only lowercase letters, digits and underscores (at most 100)",
        ))
    }
}

/// One provider's choice within an option type.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceOption {
    pub id: Uuid,
    pub provider_id: Uuid,
    pub service_option_type_id: Uuid,
    pub name: String,
    pub value: Value,
    pub enabled: bool,
    pub display_order: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ServiceOption {
    pub fn owners(&self) -> Owners {
        Owners::owner(self.provider_id)
    }
}

pub const SERVICE_OPTION_LIST: ListSpec = ListSpec {
    filters: &[
        FilterSpec::new("name", "name", FilterKind::Contains),
        FilterSpec::new("providerId", "provider_id", FilterKind::Uuid),
        FilterSpec::new(
            "serviceOptionTypeId",
            "service_option_type_id",
            FilterKind::Uuid,
        ),
        FilterSpec::new("enabled", "enabled", FilterKind::Bool),
    ],
    sorts: &[
        ("name", "LOWER(name)"),
        ("displayOrder", "display_order"),
        ("createdAt", "created_at"),
    ],
    default_sort: ("display_order", false),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_type_keys_are_lowercase_identifiers() {
        assert!(check_option_type_key("operating_system").is_ok());
        assert!(check_option_type_key("os2").is_ok());
        for bad in ["", "OS", "2os", "os-name", "os name"] {
            assert!(check_option_type_key(bad).is_err(), "{bad}");
        }
    }
}
