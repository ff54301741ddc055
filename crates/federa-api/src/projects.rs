//! Projects: a consumer's cost centres, which its service groups belong to.

use chrono::{DateTime, Utc};
use federa_domain::commerce::Project;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ProjectRes {
    pub id: Uuid,
    pub consumer_id: Uuid,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Most services not in a terminal state the project's groups may
    /// hold at once; none means no limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_limit: Option<u32>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Project> for ProjectRes {
    fn from(p: Project) -> Self {
        ProjectRes {
            id: p.id,
            consumer_id: p.consumer_id,
            name: p.name,
            description: p.description,
            service_limit: p.service_limit,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ProjectCreateReq {
    pub consumer_id: Uuid,
    /// Unique within the consumer.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_limit: Option<u32>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ProjectUpdateReq {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// An empty text removes the description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `null` removes the limit.
    #[serde(default, deserialize_with = "crate::envelope::present")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<u32>))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_limit: Option<Option<u32>>,
}
