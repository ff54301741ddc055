//! Agent types: what an agent can run and how it is configured.

use chrono::{DateTime, Utc};
use federa_domain::catalogue::AgentType;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AgentTypeRes {
    pub id: Uuid,
    pub name: String,
    pub service_type_ids: Vec<Uuid>,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub configuration_schema: Value,
    /// Empty when the type has no install templates, as in Fulcrum.
    pub config_template: String,
    pub cmd_template: String,
    pub config_content_type: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<AgentType> for AgentTypeRes {
    fn from(t: AgentType) -> Self {
        AgentTypeRes {
            id: t.id,
            name: t.name,
            service_type_ids: t.service_type_ids,
            configuration_schema: t.configuration_schema,
            config_template: t.config_template.unwrap_or_default(),
            cmd_template: t.cmd_template.unwrap_or_default(),
            config_content_type: t.config_content_type.unwrap_or_else(|| "text/plain".into()),
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AgentTypeCreateReq {
    pub name: String,
    #[serde(default)]
    pub service_type_ids: Vec<Uuid>,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub configuration_schema: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_template: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cmd_template: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_content_type: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AgentTypeUpdateReq {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_type_ids: Option<Vec<Uuid>>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub configuration_schema: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_template: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cmd_template: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_content_type: Option<String>,
}
