//! Service groups: a consumer's services that belong together.

use chrono::{DateTime, Utc};
use federa_domain::catalogue::ServiceGroup;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ServiceGroupRes {
    pub id: Uuid,
    pub name: String,
    pub consumer_id: Uuid,
    /// The project of the consumer the group belongs to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<ServiceGroup> for ServiceGroupRes {
    fn from(g: ServiceGroup) -> Self {
        ServiceGroupRes {
            id: g.id,
            name: g.name,
            consumer_id: g.consumer_id,
            project_id: g.project_id,
            created_at: g.created_at,
            updated_at: g.updated_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ServiceGroupCreateReq {
    pub name: String,
    pub consumer_id: Uuid,
    /// A project of the same consumer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ServiceGroupUpdateReq {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Moves the group into this project of its consumer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<Uuid>,
}
