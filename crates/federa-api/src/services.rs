//! A service as the exchange shows it.

use chrono::{DateTime, Utc};
use federa_domain::catalogue::AgentStatus;
use federa_domain::exchange::placement::PlacementRequest;
use federa_domain::provisioning::Service;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ServiceRes {
    pub id: Uuid,
    pub name: String,
    /// A state of the service type's lifecycle.
    pub status: String,
    // Fulcrum Core leaves out a service's empty properties.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object, required = true))]
    pub properties: Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub agent_instance_data: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_instance_id: Option<String>,
    pub provider_id: Uuid,
    pub consumer_id: Uuid,
    pub agent_id: Uuid,
    /// The status of the service's agent, on a single service's answer:
    /// jobs queued for an agent that is not `Connected` wait for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_status: Option<AgentStatus>,
    /// What the agent last saw of the service on the platform (`Running`,
    /// `Stopped`, `Missing`) and when, once it has reported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed_state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed_at: Option<DateTime<Utc>>,
    pub service_type_id: Uuid,
    pub group_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Service> for ServiceRes {
    fn from(s: Service) -> ServiceRes {
        ServiceRes {
            id: s.id,
            name: s.name,
            status: s.status,
            properties: s.properties,
            agent_instance_data: s.agent_instance_data,
            agent_instance_id: s.agent_instance_id,
            provider_id: s.provider_id,
            consumer_id: s.consumer_id,
            agent_id: s.agent_id,
            agent_status: None,
            observed_state: s.observed_state,
            observed_at: s.observed_at,
            service_type_id: s.service_type_id,
            group_id: s.group_id,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ServiceCreateReq {
    pub name: String,
    pub service_type_id: Uuid,
    pub group_id: Uuid,
    /// The agent to run the service; without it one is chosen by service type and `agentTags`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<Uuid>,
    #[serde(default)]
    pub agent_tags: Vec<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub properties: Map<String, Value>,
    /// Let the exchange choose the provider's offering, region and agent
    /// under these constraints (and the consumer's attached policies)
    /// instead of naming an agent; the answer explains the choice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placement: Option<PlacementRequest>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ServiceUpdateReq {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Changed properties; queues an `update` job with the merged result.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties: Option<Map<String, Value>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceActionReq {
    /// Only for an action whose lifecycle declares `requestSchemaType:
    /// properties`; validated by the service type's property schema, as an
    /// update of the service's properties.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties: Option<Map<String, Value>>,
}
