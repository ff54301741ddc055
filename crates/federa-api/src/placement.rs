//! Placement: where the exchange would put a service, and why the other offerings lost.

use federa_domain::exchange::placement::{CandidateVerdict, Choice, PlacementRequest};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::services::ServiceRes;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PlacementPreviewReq {
    pub service_type_id: Uuid,
    /// The consumer the service would be ordered for; defaults to the
    /// caller's participant, and is required of admins.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumer_id: Option<Uuid>,
    /// The properties of the order, priced as the order would be.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub properties: Map<String, Value>,
    #[serde(default)]
    pub agent_tags: Vec<String>,
    #[serde(default)]
    pub placement: PlacementRequest,
}

/// A placement decision with its reasons.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PlacementRes {
    /// Where the service goes (or would go), with its hourly price; absent
    /// when no candidate is eligible.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chosen: Option<Choice>,
    /// Every offering considered: eligible ones in ranking order, then each
    /// rejected one with every rule it broke.
    pub considered: Vec<CandidateVerdict>,
    /// The decision in a sentence.
    pub explanation: String,
    /// The request after the consumer's attached policies narrowed it.
    pub effective_request: PlacementRequest,
    /// The attached policies that were applied.
    pub applied_policy_ids: Vec<Uuid>,
}

/// A service as answered to its order: with the placement that chose its
/// provider, when the order asked for one.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OrderedServiceRes {
    #[serde(flatten)]
    pub service: ServiceRes,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placement: Option<PlacementRes>,
}
