//! What an agent reports of the platform: the state it observes of each of
//! its services.

use chrono::{DateTime, Utc};
pub use federa_domain::lifecycle::ObservedState;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ObservationsReq {
    pub observations: Vec<ObservationReq>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ObservationReq {
    pub service_id: Uuid,
    pub state: ObservedState,
    /// When the agent looked; the time of the report when left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ObservationsRes {
    pub results: Vec<ObservationRes>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ObservationRes {
    pub service_id: Uuid,
    /// `agrees`, `drifted`, `stillDrifted`, `transitioned`, `resolved`,
    /// `skipped` (a job is
    /// in flight or the service changed since), or `ignored` (not a service
    /// of this agent).
    pub outcome: String,
}
