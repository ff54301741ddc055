use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::generator::GeneratorType;
use super::property_type::PoolPropertyType;
use crate::access::Owners;
use crate::listing::{FieldError, FilterKind, FilterSpec, ListSpec};

/// A provider's group of pools; an agent draws from the one set it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicePoolSet {
    pub id: Uuid,
    pub name: String,
    pub provider_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ServicePoolSet {
    pub fn owners(&self) -> Owners {
        Owners::owner(self.provider_id)
    }
}

/// One pool of a set: the values of one `poolType`.
#[derive(Debug, Clone, PartialEq)]
pub struct ServicePool {
    pub id: Uuid,
    pub name: String,
    /// The key a property's `pool` generator names as `poolType`.
    pub pool_type: String,
    pub property_type: PoolPropertyType,
    pub generator_type: GeneratorType,
    pub generator_config: Option<Value>,
    pub service_pool_set_id: Uuid,
    pub service_pool_set_name: String,
    /// Copied from the set so access checks and list scopes need no join.
    pub provider_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ServicePool {
    pub fn owners(&self) -> Owners {
        Owners::owner(self.provider_id)
    }
}

/// A value of a pool and, while a service holds it, which one and for
/// which property.
#[derive(Debug, Clone, PartialEq)]
pub struct ServicePoolValue {
    pub id: Uuid,
    pub name: String,
    pub value: Value,
    pub service_pool_id: Uuid,
    pub provider_id: Uuid,
    pub service_id: Option<Uuid>,
    pub property_name: Option<String>,
    pub allocated_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ServicePoolValue {
    pub fn owners(&self) -> Owners {
        Owners::owner(self.provider_id)
    }
}

/// Pool types are keys that schemas spell; surrounding blanks are dropped.
pub fn check_pool_type(path: &str, key: &str) -> Result<String, FieldError> {
    let key = key.trim();
    if key.is_empty() || key.chars().count() > 100 {
        return Err(FieldError::new(path, "must be 1 to 100 characters"));
    }
    Ok(key.to_string())
}

pub const SERVICE_POOL_SET_LIST: ListSpec = ListSpec {
    filters: &[
        FilterSpec::new("name", "name", FilterKind::Contains),
        FilterSpec::new("providerId", "provider_id", FilterKind::Uuid),
    ],
    sorts: &[("name", "LOWER(name)"), ("createdAt", "created_at")],
    default_sort: ("created_at", false),
};

pub const SERVICE_POOL_LIST: ListSpec = ListSpec {
    filters: &[
        FilterSpec::new("name", "name", FilterKind::Contains),
        FilterSpec::new("servicePoolSetId", "service_pool_set_id", FilterKind::Uuid),
        FilterSpec::new("type", "type", FilterKind::Exact),
        FilterSpec::new(
            "generatorType",
            "generator_type",
            FilterKind::OneOf(&GeneratorType::NAMES),
        ),
    ],
    sorts: &[
        ("name", "LOWER(name)"),
        ("type", "type"),
        ("createdAt", "created_at"),
    ],
    default_sort: ("created_at", false),
};

pub const SERVICE_POOL_VALUE_LIST: ListSpec = ListSpec {
    filters: &[
        FilterSpec::new("name", "name", FilterKind::Contains),
        FilterSpec::new("servicePoolId", "service_pool_id", FilterKind::Uuid),
        FilterSpec::new("serviceId", "service_id", FilterKind::Uuid),
    ],
    sorts: &[("name", "LOWER(name)"), ("createdAt", "created_at")],
    default_sort: ("created_at", false),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_types_are_short_non_blank_keys() {
        assert_eq!(check_pool_type("type", " public_ip ").unwrap(), "public_ip");
        for bad in ["", "   ", &"x".repeat(101)] {
            assert_eq!(check_pool_type("type", bad).unwrap_err().path, "type");
        }
    }
}
