//! What a finished job does to its service.

use serde_json::{Map, Value};

use super::job::Job;
use super::service::Service;
use crate::exchange::switching::{status_after_switch_job, ERASED_STATUS};
use crate::lifecycle::{LifecycleError, LifecycleSchema};
use crate::property_schema::{Actor, PropertyError, PropertySchema, ValidationContext};

/// The change a finished job makes to its service.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceChange {
    pub status: String,
    /// Replaces the properties when given.
    pub properties: Option<Map<String, Value>>,
    /// `None` keeps the instance id, `Some(None)` clears it, `Some(Some(id))` sets it.
    pub agent_instance_id: Option<Option<String>>,
    /// Replaces the instance data when given.
    pub agent_instance_data: Option<Value>,
}

/// What an agent reports with a completion. `None` means "leave as is".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CompletionReport {
    pub agent_instance_id: Option<String>,
    pub agent_instance_data: Option<Value>,
    pub properties: Option<Map<String, Value>>,
    /// What the job produced beyond the service's properties, kept with the
    /// job (e.g. an export's size, SHA-256 and address).
    pub result: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CompletionError {
    Lifecycle(LifecycleError),
    /// Agent-set properties broke the schema; paths are under `properties`.
    Properties(Vec<PropertyError>),
}

/// The service after `job` succeeded: the lifecycle's success transition,
/// `update` params as the new properties, agent-set properties validated as
/// the agent actor, and the instance id cleared in a terminal state so the
/// provider may reuse it.
pub fn completion_change(
    lifecycle: &LifecycleSchema,
    schema: &PropertySchema,
    service: &Service,
    job: &Job,
    report: &CompletionReport,
) -> Result<ServiceChange, CompletionError> {
    let status = match status_after_switch_job(&service.status, &job.action) {
        Some(status) => status.to_string(),
        None => lifecycle
            .on_success(&service.status, &job.action)
            .map_err(CompletionError::Lifecycle)?
            .to_string(),
    };
    let mut properties = match (&job.params, job.action.as_str()) {
        (Some(Value::Object(params)), "update") => Some(params.clone()),
        _ => None,
    };
    if let Some(reported) = &report.properties {
        let current = properties.as_ref().unwrap_or(&service.properties);
        let validated = schema
            .validate(
                reported,
                &ValidationContext::update(Actor::Agent, current, &service.status),
            )
            .map_err(|errors| {
                CompletionError::Properties(
                    errors
                        .into_iter()
                        .map(|e| PropertyError {
                            path: format!("properties.{}", e.path),
                            message: e.message,
                        })
                        .collect(),
                )
            })?;
        properties = Some(validated.properties);
    }
    let agent_instance_id = if lifecycle.is_terminal(&status) || status == ERASED_STATUS {
        Some(None)
    } else {
        report.agent_instance_id.clone().map(Some)
    };
    Ok(ServiceChange {
        status,
        properties,
        agent_instance_id,
        agent_instance_data: report.agent_instance_data.clone(),
    })
}

/// The service after `job` failed with `message`: the first matching error
/// transition, or where it was. A terminal error state clears the instance
/// id, as a terminal success does.
pub fn failure_change(
    lifecycle: &LifecycleSchema,
    service: &Service,
    job: &Job,
    message: &str,
) -> ServiceChange {
    let status = lifecycle
        .on_error(&service.status, &job.action, message)
        .unwrap_or(&service.status)
        .to_string();
    let agent_instance_id = lifecycle.is_terminal(&status).then_some(None);
    ServiceChange {
        status,
        properties: None,
        agent_instance_id,
        agent_instance_data: None,
    }
}
