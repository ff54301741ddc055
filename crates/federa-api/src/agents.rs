//! Agents: their records, and what an agent says of itself.

use chrono::{DateTime, Utc};
use federa_domain::catalogue::Agent;
pub use federa_domain::catalogue::AgentStatus;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AgentRes {
    pub id: Uuid,
    pub name: String,
    pub status: AgentStatus,
    pub provider_id: Uuid,
    pub agent_type_id: Uuid,
    pub tags: Vec<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub configuration: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_pool_set_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_status_update: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Agent> for AgentRes {
    fn from(a: Agent) -> Self {
        AgentRes {
            id: a.id,
            name: a.name,
            status: a.status,
            provider_id: a.provider_id,
            agent_type_id: a.agent_type_id,
            tags: a.tags,
            configuration: a.configuration,
            service_pool_set_id: a.service_pool_set_id,
            last_status_update: a.last_status_update,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AgentCreateReq {
    pub name: String,
    /// The participant that operates the agent.
    pub provider_id: Uuid,
    pub agent_type_id: Uuid,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Checked against the agent type's configuration schema.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub configuration: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_pool_set_id: Option<Uuid>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AgentUpdateReq {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<AgentStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// Replaces the configuration.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub configuration: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_pool_set_id: Option<Uuid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentStatusReq {
    pub status: AgentStatus,
}
