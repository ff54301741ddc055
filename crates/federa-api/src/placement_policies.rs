//! Placement policies: the rules an exchange or a consumer sets on where services go.

use chrono::{DateTime, Utc};
use federa_domain::exchange::placement::PlacementRequest;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PlacementPolicyRes {
    pub id: Uuid,
    /// The consumer the policy belongs to.
    pub participant_id: Uuid,
    pub name: String,
    pub rules: PlacementRequest,
    /// Whether the policy applies to every placement of the consumer.
    pub attached: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PlacementPolicyCreateReq {
    pub participant_id: Uuid,
    pub name: String,
    /// Constraints, as in a placement request; its strategy is not used,
    /// since a policy limits where services may go, not how to choose.
    #[serde(default)]
    pub rules: PlacementRequest,
    /// Attach the policy to the participant at once; defaults to true.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attached: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PlacementPolicyUpdateReq {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rules: Option<PlacementRequest>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attached: Option<bool>,
}
