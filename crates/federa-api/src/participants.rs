//! Participants: the parties of the exchange, providers and consumers alike.

use chrono::{DateTime, Utc};
use federa_domain::participant::Participant;
pub use federa_domain::participant::ParticipantStatus;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ParticipantRes {
    pub id: Uuid,
    pub name: String,
    pub status: ParticipantStatus,
    /// Most services not in a terminal state it may consume at once; none
    /// means no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_limit: Option<u32>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Participant> for ParticipantRes {
    fn from(p: Participant) -> Self {
        ParticipantRes {
            id: p.id,
            name: p.name,
            status: p.status,
            service_limit: p.service_limit,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ParticipantCreateReq {
    pub name: String,
    pub status: ParticipantStatus,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ParticipantUpdateReq {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<ParticipantStatus>,
    /// Set by an admin; `null` removes the limit.
    #[serde(default, deserialize_with = "crate::envelope::present")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<u32>))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_limit: Option<Option<u32>>,
}
