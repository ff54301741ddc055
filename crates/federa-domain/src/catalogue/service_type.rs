use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::lifecycle::LifecycleSchema;
use crate::listing::{FieldError, FilterKind, FilterSpec, ListSpec};
use crate::property_schema::PropertySchema;

/// Something consumers can order, with the rules its properties and its
/// lifecycle follow.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceType {
    pub id: Uuid,
    pub name: String,
    /// Stored as given once checked, so clients get back what they sent.
    pub property_schema: Option<Value>,
    pub lifecycle_schema: Option<Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub const SERVICE_TYPE_LIST: ListSpec = ListSpec {
    filters: &[FilterSpec::new("name", "name", FilterKind::Contains)],
    sorts: &[("name", "LOWER(name)"), ("createdAt", "created_at")],
    default_sort: ("created_at", false),
};

/// Checks a service type's two schemas together: each on its own, and the
/// states the property schema's state authorizers name against the
/// lifecycle's states. Every problem is reported, under its field.
pub fn check_service_type_schemas(
    property_schema: Option<&Value>,
    lifecycle_schema: Option<&Value>,
) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    let properties = property_schema.and_then(|document| {
        PropertySchema::parse(document)
            .map_err(|e| errors.extend(e))
            .ok()
    });
    let lifecycle = lifecycle_schema.and_then(|document| {
        LifecycleSchema::parse(document)
            .map_err(|e| errors.extend(e))
            .ok()
    });
    if let (Some(properties), Some(lifecycle)) = (&properties, &lifecycle) {
        errors.extend(properties.unknown_states(|state| lifecycle.has_state(state)));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}
