use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::access::Owners;
use crate::listing::{FilterKind, FilterSpec, ListSpec};

/// A consumer's running instance of a service type, placed on one agent.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    pub id: Uuid,
    pub name: String,
    /// A state of the service type's lifecycle.
    pub status: String,
    pub service_type_id: Uuid,
    pub group_id: Uuid,
    pub provider_id: Uuid,
    pub consumer_id: Uuid,
    pub agent_id: Uuid,
    pub agent_instance_id: Option<String>,
    pub agent_instance_data: Option<Value>,
    pub properties: Map<String, Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// What the service's agent last saw of it on the platform (`Running`,
    /// `Stopped`, `Missing`), and when; `None` until it reports.
    pub observed_state: Option<String>,
    pub observed_at: Option<DateTime<Utc>>,
}

impl Service {
    pub fn owners(&self) -> Owners {
        Owners {
            owner: Some(self.provider_id),
            consumer: Some(self.consumer_id),
            agent: Some(self.agent_id),
            ..Owners::default()
        }
    }
}

pub const SERVICE_LIST: ListSpec = ListSpec {
    filters: &[
        FilterSpec {
            param: "name",
            column: "name",
            kind: FilterKind::Contains,
        },
        FilterSpec {
            param: "currentStatus",
            column: "status",
            kind: FilterKind::Exact,
        },
        FilterSpec {
            param: "status",
            column: "status",
            kind: FilterKind::Exact,
        },
        FilterSpec {
            param: "serviceTypeId",
            column: "service_type_id",
            kind: FilterKind::Uuid,
        },
        FilterSpec {
            param: "groupId",
            column: "group_id",
            kind: FilterKind::Uuid,
        },
        FilterSpec {
            param: "agentId",
            column: "agent_id",
            kind: FilterKind::Uuid,
        },
        FilterSpec {
            param: "providerId",
            column: "provider_id",
            kind: FilterKind::Uuid,
        },
        FilterSpec {
            param: "consumerId",
            column: "consumer_id",
            kind: FilterKind::Uuid,
        },
        // A service is in the project its group belongs to.
        FilterSpec {
            param: "projectId",
            column: "(SELECT g.project_id FROM service_groups g WHERE g.id = services.group_id)",
            kind: FilterKind::Uuid,
        },
    ],
    sorts: &[("name", "LOWER(name)"), ("createdAt", "created_at")],
    default_sort: ("created_at", false),
};
