//! Jobs and what an agent sends about them: claims, lease renewals and the
//! report of each job's outcome.

use chrono::{DateTime, Utc};
pub use federa_domain::provisioning::JobStatus;
use federa_domain::provisioning::{Job, Service};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::services::ServiceRes;
use crate::switch_jobs::{ErasedRes, ExportedRes, ImportedRes};

/// Names the claim a successful `POST /jobs/{id}/claim` granted: the job's
/// `attempts` once claimed. Agents that send it back as `attempt` with
/// heartbeats and reports are refused once another claim superseded theirs.
pub const CLAIM_ATTEMPT_HEADER: &str = "federa-claim-attempt";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct JobRes {
    pub id: Uuid,
    pub provider_id: Uuid,
    pub consumer_id: Uuid,
    pub agent_id: Uuid,
    pub service_id: Uuid,
    pub action: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
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
    // Fulcrum Core does not count claims: its jobs read as never claimed.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub attempts: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceRes>,
}

impl JobRes {
    /// A job as listed: Fulcrum's answers carry each job's service.
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

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CompleteJobReq {
    /// The agent's id for the instance; `null` keeps the current one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_instance_id: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_instance_data: Option<Value>,
    /// Properties the agent sets (validated as the agent actor).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties: Option<Map<String, Value>>,
    /// The claim reporting (see [`CLAIM_ATTEMPT_HEADER`]); a claim a later
    /// one superseded is refused with 409.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt: Option<i32>,
    /// An `export` job's file, as served to the target (a Federa extension,
    /// absent for every other job).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exported: Option<ExportedRes>,
    /// What an `import` job loaded (a Federa extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported: Option<ImportedRes>,
    /// An `erase` job's confirmation (a Federa extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub erased: Option<ErasedRes>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FailJobReq {
    pub error_message: String,
    /// The claim reporting, as for completion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt: Option<i32>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct HeartbeatReq {
    /// The claim renewing; a claim a later one superseded is refused with 409.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt: Option<i32>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ClaimNextReq {
    /// How many jobs to claim at most (1–100, default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LeaseRes {
    pub lease_expires_at: DateTime<Utc>,
}

/// How a job ended, as an agent reports it in `POST /jobs/finish`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum JobOutcome {
    Completed,
    Failed,
}

/// Several jobs' reports in one request (a Federa extension): each is
/// judged as `POST /jobs/{id}/complete` or `/fail` would judge it, and all
/// the finishes are written in one transaction.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FinishJobsReq {
    /// 1 to 100 reports, each on a different job.
    pub jobs: Vec<FinishJobReq>,
}

/// One job's report: with `outcome: completed`, the fields of
/// `CompleteJobReq`; with `outcome: failed`, `errorMessage`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FinishJobReq {
    pub job_id: Uuid,
    pub outcome: JobOutcome,
    /// Why the job failed; only with `outcome: failed`, and required there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// The claim reporting (see [`CLAIM_ATTEMPT_HEADER`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_instance_id: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_instance_data: Option<Value>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exported: Option<ExportedRes>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported: Option<ImportedRes>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub erased: Option<ErasedRes>,
}

impl FinishJobReq {
    /// The report `POST /jobs/{id}/complete` would take as `report`.
    pub fn completed(job_id: Uuid, report: CompleteJobReq) -> FinishJobReq {
        FinishJobReq {
            job_id,
            outcome: JobOutcome::Completed,
            error_message: None,
            attempt: report.attempt,
            agent_instance_id: report.agent_instance_id,
            agent_instance_data: report.agent_instance_data,
            properties: report.properties,
            exported: report.exported,
            imported: report.imported,
            erased: report.erased,
        }
    }

    /// The report `POST /jobs/{id}/fail` would take as `report`.
    pub fn failed(job_id: Uuid, report: FailJobReq) -> FinishJobReq {
        FinishJobReq {
            job_id,
            outcome: JobOutcome::Failed,
            error_message: Some(report.error_message),
            attempt: report.attempt,
            agent_instance_id: None,
            agent_instance_data: None,
            properties: None,
            exported: None,
            imported: None,
            erased: None,
        }
    }

    /// A completion's fields as `POST /jobs/{id}/complete` takes them.
    pub fn completion(&self) -> CompleteJobReq {
        CompleteJobReq {
            agent_instance_id: self.agent_instance_id.clone(),
            agent_instance_data: self.agent_instance_data.clone(),
            properties: self.properties.clone(),
            attempt: self.attempt,
            exported: self.exported.clone(),
            imported: self.imported.clone(),
            erased: self.erased.clone(),
        }
    }
}

/// Each report's answer, in the order sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FinishJobsRes {
    pub jobs: Vec<FinishedJobRes>,
}

/// One report's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FinishedJobRes {
    pub job_id: Uuid,
    /// What the job's own endpoint would answer: 204 when the job is
    /// finished as reported (now, or by the same report before), else 400,
    /// 403, 404 or 409.
    pub code: u16,
    /// Why the report was refused, as the error envelope says it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<crate::ErrorRes>,
}

impl FinishedJobRes {
    /// Whether the job is finished as reported.
    pub fn finished(&self) -> bool {
        self.code == 204
    }
}
