//! Compositions: services ordered together, in the order their dependencies ask.

use chrono::{DateTime, Utc};
use federa_domain::exchange::composition::{Component, CompositionSpec, OnFailure, PeerRelation};
use federa_domain::exchange::composition_progress::{CompositionStatus, MemberState};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CompositionCreateReq {
    /// The consumer's service group every member is ordered into.
    pub group_id: Uuid,
    pub name: String,
    pub components: Vec<Component>,
    #[serde(default)]
    pub relations: Vec<PeerRelation>,
    /// `rollback` (the default) or `stop`.
    #[serde(default)]
    pub on_failure: OnFailure,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CompositionRes {
    pub id: Uuid,
    pub name: String,
    pub consumer_id: Uuid,
    pub group_id: Uuid,
    /// Derived from the members: `Pending`, `Provisioning`, `Ready`,
    /// `Failed`, `RollingBack`, `RolledBack`, `Deleting` or `Deleted`.
    pub status: CompositionStatus,
    pub on_failure: OnFailure,
    /// One per component, in the order submitted.
    pub members: Vec<MemberRes>,
    /// The composition as submitted.
    pub spec: CompositionSpec,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MemberRes {
    pub key: String,
    pub state: MemberState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_id: Option<Uuid>,
    /// The service's lifecycle state (answered by `GET /compositions/{id}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_status: Option<String>,
    /// The provider placement chose.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Why placement chose that provider.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placement_explanation: Option<String>,
    /// Why the member failed or was kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}
