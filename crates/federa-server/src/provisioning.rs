//! What service and job handlers share: the answer shapes and the rules of
//! a service's type.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use federa_domain::catalogue::AgentStatus;
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::lifecycle::LifecycleSchema;
use federa_domain::property_schema::{PropertySchema, ReferenceTarget, Validated};
use federa_domain::provisioning::{failure_change, Job, JobStatus, Service};
use federa_store::provisioning::JobFinish;
use serde::Serialize;
use serde_json::{json, Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::clock;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

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

/// The parsed rules of a service type. A type without a property schema
/// accepts properties as given.
pub struct TypeRules {
    pub properties: Option<PropertySchema>,
    pub lifecycle: LifecycleSchema,
}

/// Parsed rules of service types by id, with the type's `updatedAt` when
/// parsed: parsing compiles every pattern, which costs more than the rest
/// of an order, and a changed type (on any replica) has a newer stamp.
#[derive(Default)]
pub struct RulesCache(Mutex<HashMap<Uuid, CachedRules>>);

/// The type's `updatedAt` when parsed, and the parsed rules.
type CachedRules = (DateTime<Utc>, Arc<TypeRules>);

/// Loads and parses a service type's schemas, or takes them from the
/// cache; `field` names the request field that chose the type, for the error.
pub async fn type_rules(
    state: &AppState,
    service_type_id: Uuid,
    field: &str,
) -> ApiResult<Arc<TypeRules>> {
    let stored = state
        .store
        .service_type_rules(service_type_id)
        .await?
        .ok_or_else(|| ApiError::field(field, "no service type has this id"))?;
    {
        let cache = state.rules.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((stamp, rules)) = cache.get(&service_type_id) {
            if *stamp == stored.updated_at {
                return Ok(rules.clone());
            }
        }
    }
    let lifecycle = stored
        .lifecycle_schema
        .as_ref()
        .ok_or_else(|| ApiError::field(field, "the service type defines no lifecycle"))
        .and_then(|json| {
            // Schemas are validated when stored; a failure here means the row
            // was written by something else.
            LifecycleSchema::parse(&json.0)
                .map_err(|_| ApiError::internal("a stored lifecycle schema does not parse"))
        })?;
    let properties = match stored.property_schema.as_ref() {
        Some(json) => Some(
            PropertySchema::parse(&json.0)
                .map_err(|_| ApiError::internal("a stored property schema does not parse"))?,
        ),
        None => None,
    };
    let rules = Arc::new(TypeRules {
        properties,
        lifecycle,
    });
    let mut cache = state.rules.0.lock().unwrap_or_else(|e| e.into_inner());
    cache.insert(service_type_id, (stored.updated_at, rules.clone()));
    Ok(rules)
}

/// Prefixes property-engine paths with the request field that held them.
pub fn under(field: &str, errors: Vec<federa_domain::property_schema::PropertyError>) -> ApiError {
    ApiError::Invalid(errors.into_iter().map(|e| e.under(field)).collect())
}

/// An event about `job`, carrying its id and action.
pub fn job_event(kind: &str, initiator: Initiator, job: &Job, extra: Value) -> NewEvent {
    let mut properties = json!({"jobId": job.id, "action": job.action});
    if let (Some(target), Value::Object(more)) = (properties.as_object_mut(), extra) {
        target.extend(more);
    }
    NewEvent::new(kind, initiator, job.service_id)
        .provider(Some(job.provider_id))
        .consumer(Some(job.consumer_id))
        .agent(Some(job.agent_id))
        .properties(properties)
}

/// The event of a service moving between lifecycle states because of `job`.
pub fn transition_event(initiator: Initiator, job: &Job, service: &Service, to: &str) -> NewEvent {
    job_event(
        "service.transitioned",
        initiator,
        job,
        json!({"from": service.status, "to": to}),
    )
}

/// Fails `job` with `message` if it is still in one of `from`, moving its
/// service by the lifecycle's error transitions. `false` when the job had
/// already left those states (or, with `lapsed_before`, its lease was
/// renewed, or with `attempt`, a later claim superseded that one). Shared
/// by agents' reports and lapsed leases.
pub async fn record_failure(
    state: &AppState,
    job: &Job,
    initiator: Initiator,
    message: &str,
    from: &'static [JobStatus],
    lapsed_before: Option<DateTime<Utc>>,
    attempt: Option<i32>,
) -> ApiResult<bool> {
    let service = state
        .store
        .service(job.service_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let rules = type_rules(state, service.service_type_id, "serviceTypeId").await?;
    let change = failure_change(&rules.lifecycle, &service, job, message);
    let events = [
        job_event(
            "job.failed",
            initiator.clone(),
            job,
            json!({"errorMessage": message}),
        ),
        transition_event(initiator, job, &service, &change.status),
    ];
    let terminal = rules.lifecycle.is_terminal(&change.status);
    let finish = JobFinish {
        job_id: job.id,
        service_id: service.id,
        from,
        to: JobStatus::Failed,
        error_message: Some(message.to_string()),
        outcome_digest: None,
        service: change,
        at: clock::now(),
        lapsed_before,
        attempt,
        releases_pool_values: terminal,
    };
    let failed = state.store.finish_job(&finish, &events).await?;
    if failed {
        // The next job of the service group may now be handed out.
        state.dispatch.wake(job.agent_id);
        crate::vault::job_finished(
            state,
            job,
            &service,
            finish.service.properties.as_ref(),
            terminal,
        )
        .await;
        crate::composing::after_job(state, job.service_id).await;
    }
    Ok(failed)
}

/// Where a service's properties are being written: whose options and which
/// consumer and group references are judged against, and which service and
/// agent their secrets belong to.
pub struct PropertyOwner {
    pub service_id: Uuid,
    pub agent_id: Uuid,
    pub provider_id: Uuid,
    pub consumer_id: Uuid,
    pub group_id: Uuid,
}

/// Runs the lookups the property engine hands back — service references
/// and service options — and fails with every broken one under `properties`.
pub async fn resolve_lookups(
    state: &AppState,
    validated: &Validated,
    owner: &PropertyOwner,
) -> ApiResult<()> {
    let mut failures = Vec::new();
    for check in &validated.references {
        let found = state.store.referenced_service(check.service_id).await?;
        let target = found.as_ref().map(|s| ReferenceTarget {
            service_type: &s.service_type_name,
            same_consumer: s.consumer_id == owner.consumer_id,
            same_group: s.group_id == owner.group_id,
        });
        failures.extend(check.evaluate(target).err());
    }
    for check in &validated.options {
        let values = state
            .store
            .enabled_option_values(owner.provider_id, &check.option_type)
            .await?;
        failures.extend(check.evaluate(&values).err());
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(under("properties", failures))
    }
}
