//! Metric entries: measurements agents report for the services they run,
//! one at a time as in Fulcrum or in batches.

use chrono::{DateTime, Utc};
use federa_domain::listing::FieldError;
use federa_domain::metrics::{EntryDraft, MetricEntry};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MetricEntryRes {
    pub id: Uuid,
    pub provider_id: Uuid,
    pub consumer_id: Uuid,
    pub agent_id: Uuid,
    pub service_id: Uuid,
    pub resource_id: String,
    pub value: f64,
    /// The metric type's id, as text as in Fulcrum.
    pub type_id: String,
    /// When the value was measured.
    pub created_at: DateTime<Utc>,
    /// Entries never change: always `createdAt`.
    pub updated_at: DateTime<Utc>,
}

impl From<MetricEntry> for MetricEntryRes {
    fn from(e: MetricEntry) -> Self {
        MetricEntryRes {
            id: e.id,
            provider_id: e.provider_id,
            consumer_id: e.consumer_id,
            agent_id: e.agent_id,
            service_id: e.service_id,
            resource_id: e.resource_id,
            value: e.value,
            type_id: e.type_id.to_string(),
            created_at: e.created_at,
            updated_at: e.created_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MetricEntryReq {
    /// The service measured; an agent may give `agentInstanceId` instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_id: Option<Uuid>,
    /// The id the agent's infrastructure gave the service.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_instance_id: Option<String>,
    /// What inside the service was measured, e.g. `cpu-1`.
    pub resource_id: String,
    /// The metric type's name, e.g. `cpu.usage`.
    pub type_name: String,
    pub value: f64,
    /// When the value was measured (default: when it is received); at most
    /// 5 minutes ahead of the exchange's clock.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<DateTime<Utc>>,
}

impl From<MetricEntryReq> for EntryDraft {
    fn from(req: MetricEntryReq) -> EntryDraft {
        EntryDraft {
            service_id: req.service_id,
            agent_instance_id: req.agent_instance_id,
            resource_id: req.resource_id,
            type_name: req.type_name,
            value: req.value,
            timestamp: req.timestamp,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MetricEntryBatchReq {
    /// At most 5,000 entries. Each is checked on its own, so one malformed
    /// entry rejects only itself.
    pub entries: Vec<MetricEntryReq>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum EntryOutcome {
    Created,
    Rejected,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EntryResult {
    /// The entry's position in the request.
    pub index: usize,
    pub status: EntryOutcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    /// The first reason for a rejection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Every failing field, by path (`entries[3].value`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub errors: Vec<FieldError>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MetricEntryBatchRes {
    pub created: usize,
    pub rejected: usize,
    pub results: Vec<EntryResult>,
}
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AggregationRes {
    /// `[bucket start, value]` pairs, oldest first; buckets without entries
    /// are left out.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Vec<Object>>))]
    pub data: Vec<(String, f64)>,
    pub aggregate: String,
    pub bucket: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}
