//! The answer shapes of services and jobs, which service, job and
//! placement handlers share.

use chrono::{DateTime, Utc};
use federa_domain::catalogue::AgentStatus;
use federa_domain::provisioning::{Job, JobStatus, Service};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Serialize, ToSchema, Clone)]
#[serde(rename_all = "camelCase")]
pub struct ServiceRes {
    pub id: Uuid,
    pub name: String,
    /// A state of the service type's lifecycle.
    pub status: String,
    #[schema(value_type = Object)]
    pub properties: Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
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

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobRes {
    pub id: Uuid,
    pub provider_id: Uuid,
    pub consumer_id: Uuid,
    pub agent_id: Uuid,
    pub service_id: Uuid,
    pub action: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub params: Option<Value>,
    pub status: JobStatus,
    pub priority: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claimed_at: Option<DateTime<Utc>>,
    /// When the claim lapses unless renewed with `POST /jobs/{id}/heartbeat`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lease_expires_at: Option<DateTime<Utc>>,
    /// How many times the job has been claimed.
    pub attempts: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceRes>,
}

impl JobRes {
    pub fn new(job: Job, service: Option<Service>) -> JobRes {
        JobRes {
            id: job.id,
            provider_id: job.provider_id,
            consumer_id: job.consumer_id,
            agent_id: job.agent_id,
            service_id: job.service_id,
            action: job.action,
            params: job.params,
            status: job.status,
            priority: job.priority,
            error_message: job.error_message,
            claimed_at: job.claimed_at,
            lease_expires_at: job.lease_expires_at,
            attempts: job.attempts,
            completed_at: job.completed_at,
            created_at: job.created_at,
            updated_at: job.updated_at,
            service: service.map(ServiceRes::from),
        }
    }
}
