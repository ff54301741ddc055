use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::listing::{FilterKind, FilterSpec, ListSpec};

/// What a metric type measures: an agent as a whole, a service, or one
/// resource inside a service (a disk, a CPU).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum MetricEntityType {
    Agent,
    Service,
    Resource,
}

impl MetricEntityType {
    pub const NAMES: &'static [&'static str] = &["Agent", "Service", "Resource"];

    pub fn as_str(self) -> &'static str {
        match self {
            MetricEntityType::Agent => "Agent",
            MetricEntityType::Service => "Service",
            MetricEntityType::Resource => "Resource",
        }
    }

    pub fn parse(text: &str) -> Option<MetricEntityType> {
        match text {
            "Agent" => Some(MetricEntityType::Agent),
            "Service" => Some(MetricEntityType::Service),
            "Resource" => Some(MetricEntityType::Resource),
            _ => None,
        }
    }
}

/// A named kind of measurement, such as `cpu.usage`. Agents refer to it by
/// name when they report, so names are unique.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricType {
    pub id: Uuid,
    pub name: String,
    pub entity_type: MetricEntityType,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub const METRIC_TYPE_LIST: ListSpec = ListSpec {
    filters: &[
        FilterSpec::new("name", "name", FilterKind::Contains),
        FilterSpec::new(
            "entityType",
            "entity_type",
            FilterKind::OneOf(MetricEntityType::NAMES),
        ),
    ],
    sorts: &[("name", "LOWER(name)"), ("createdAt", "created_at")],
    default_sort: ("created_at", false),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_types_round_trip_through_their_names() {
        for name in MetricEntityType::NAMES {
            assert_eq!(MetricEntityType::parse(name).unwrap().as_str(), *name);
        }
        assert_eq!(MetricEntityType::parse("agent"), None);
    }
}
