use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::access::Owners;
use crate::listing::{FilterKind, FilterSpec, ListSpec};

/// A consumer's set of related services. Jobs of one group run one at a
/// time, so services that depend on each other change in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceGroup {
    pub id: Uuid,
    pub name: String,
    pub consumer_id: Uuid,
    /// The project of its consumer it belongs to, if any.
    pub project_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ServiceGroup {
    /// Groups belong to their consumer, which is the owner for access rules.
    pub fn owners(&self) -> Owners {
        Owners::owner(self.consumer_id).with_consumer(self.consumer_id)
    }
}

pub const SERVICE_GROUP_LIST: ListSpec = ListSpec {
    filters: &[
        FilterSpec::new("name", "name", FilterKind::Contains),
        FilterSpec::new("consumerId", "consumer_id", FilterKind::Uuid),
        FilterSpec::new("projectId", "project_id", FilterKind::Uuid),
    ],
    sorts: &[("name", "LOWER(name)"), ("createdAt", "created_at")],
    default_sort: ("created_at", false),
};
