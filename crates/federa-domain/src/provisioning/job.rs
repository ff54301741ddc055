use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::access::Owners;
use crate::listing::{FilterKind, FilterSpec, ListSpec};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum JobStatus {
    Pending,
    Processing,
    Completed,
    Failed,
}

impl JobStatus {
    pub const NAMES: &'static [&'static str] = &["Pending", "Processing", "Completed", "Failed"];

    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "Pending",
            JobStatus::Processing => "Processing",
            JobStatus::Completed => "Completed",
            JobStatus::Failed => "Failed",
        }
    }

    pub fn parse(text: &str) -> Option<JobStatus> {
        match text {
            "Pending" => Some(JobStatus::Pending),
            "Processing" => Some(JobStatus::Processing),
            "Completed" => Some(JobStatus::Completed),
            "Failed" => Some(JobStatus::Failed),
            _ => None,
        }
    }

    pub fn is_active(self) -> bool {
        matches!(self, JobStatus::Pending | JobStatus::Processing)
    }
}

/// One lifecycle action to be carried out on a service by its agent.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: Uuid,
    pub service_id: Uuid,
    pub agent_id: Uuid,
    pub provider_id: Uuid,
    pub consumer_id: Uuid,
    pub group_id: Uuid,
    pub action: String,
    pub params: Option<Value>,
    pub status: JobStatus,
    pub priority: i32,
    pub error_message: Option<String>,
    /// How many times the job has been claimed; a requeued job counts again.
    pub attempts: i32,
    pub claimed_at: Option<DateTime<Utc>>,
    pub lease_expires_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// For a completed job, what identifies the report that completed it.
    pub outcome_digest: Option<String>,
    /// What the agent reported with the completion beyond the service's
    /// properties, e.g. an export's size and SHA-256.
    pub result: Option<Value>,
}

impl Job {
    pub fn owners(&self) -> Owners {
        Owners {
            owner: Some(self.provider_id),
            consumer: Some(self.consumer_id),
            agent: Some(self.agent_id),
            ..Owners::default()
        }
    }
}

/// How long a claim lasts without renewal and what happens when it lapses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeasePolicy {
    pub duration: Duration,
    /// Claims a job may receive before an expired lease fails it instead of
    /// returning it to the queue.
    pub max_attempts: i32,
}

impl Default for LeasePolicy {
    /// Long enough for agents that never renew (Fulcrum's library does not),
    /// short enough that a crashed agent does not block its service for long.
    fn default() -> Self {
        LeasePolicy {
            duration: Duration::minutes(15),
            max_attempts: 3,
        }
    }
}

pub const JOB_LIST: ListSpec = ListSpec {
    filters: &[
        FilterSpec {
            param: "action",
            column: "action",
            kind: FilterKind::Exact,
        },
        FilterSpec {
            param: "status",
            column: "status",
            kind: FilterKind::OneOf(JobStatus::NAMES),
        },
        FilterSpec {
            param: "agentId",
            column: "agent_id",
            kind: FilterKind::Uuid,
        },
        FilterSpec {
            param: "serviceId",
            column: "service_id",
            kind: FilterKind::Uuid,
        },
    ],
    sorts: &[("createdAt", "created_at"), ("priority", "priority")],
    default_sort: ("created_at", false),
};
