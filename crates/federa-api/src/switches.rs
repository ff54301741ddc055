//! Switches: a consumer's service moved to another provider with its data,
//! and the report of how it went.

use chrono::{DateTime, Utc};
use federa_domain::exchange::placement::PlacementRequest;
use federa_domain::exchange::switching::{StageEntry, SwitchPlan, SwitchStage};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// `GET /switches/{id}/report`: what was moved with its checksums, when
/// each stage began and ended, the charges and their rule, both ends, and
/// the source agent's confirmation of the erasure.
pub use federa_domain::exchange::switch_report::{
    ErasureConfirmation, MovedData, StageTiming, SwitchCharges, SwitchParty, SwitchReport,
};
/// The size and SHA-256 of what a switch moved.
pub use federa_domain::exchange::switching::Digest;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SwitchCreateReq {
    /// The service to move; give this or `compositionId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_id: Option<Uuid>,
    /// The composition to move, every member with its data, all cutting
    /// over together or none; give this or `serviceId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub composition_id: Option<Uuid>,
    /// Where it may go, as for a placement; another provider than the
    /// service's own (each member's own, for a composition) is always
    /// required, and a composition's members keep the relations its spec
    /// asks of their providers and countries.
    #[serde(default)]
    pub target: PlacementRequest,
    /// The offering to move a service to, when the consumer has chosen
    /// one: placement then considers only it, still under `target`'s rules
    /// and the switch's own (another provider, able to import the data).
    /// Not for a composition, whose members are each placed by `target`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offering_id: Option<Uuid>,
}

/// `POST /switches` answers the switch of a service, or the composition
/// switch made of one switch per member.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum SwitchCreated {
    Service(Box<SwitchRes>),
    Composition(CompositionSwitchRes),
}

/// A composition's switch: one switch per member, which cut over together
/// once every member's import matched its export, or all roll back.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CompositionSwitchRes {
    /// What each member's switch carries as `compositionSwitchId`.
    pub id: Uuid,
    pub composition_id: Uuid,
    /// In the order of the composition's members.
    pub switches: Vec<SwitchRes>,
}

/// A switch and its report: where the service went and why, what was
/// exported and imported with their sizes and SHA-256, when each stage
/// began, what it was charged, and whether the source was erased.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SwitchRes {
    pub id: Uuid,
    pub consumer_id: Uuid,
    pub source_service_id: Uuid,
    pub target_service_id: Uuid,
    pub source_provider_id: Uuid,
    pub target_provider_id: Uuid,
    pub stage: SwitchStage,
    pub plan: SwitchPlan,
    /// What the source agent wrote.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exported: Option<Digest>,
    /// What the target agent loaded; a switch cuts over only when it is
    /// what was exported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imported: Option<Digest>,
    /// Why the switch failed, or why the source was not erased.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cut_over_at: Option<DateTime<Utc>>,
    /// When the source is erased unless the consumer confirms earlier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transitional_period_ends_at: Option<DateTime<Utc>>,
    /// Every stage entered, in order, with its time; `Completed` is entered
    /// when the source agent confirmed the erasure.
    pub history: Vec<StageEntry>,
    /// For one member's part of a composition switch: that switch's id,
    /// the composition and the member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub composition_switch_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub composition_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_key: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
