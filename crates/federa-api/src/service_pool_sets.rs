//! Service pool sets: a provider's pools, handed to its agents together.

use chrono::{DateTime, Utc};
use federa_domain::pools::ServicePoolSet;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ServicePoolSetRes {
    pub id: Uuid,
    pub name: String,
    /// Fulcrum answers the provider under this spelling.
    #[serde(rename = "providerID")]
    pub provider_id_fulcrum: Uuid,
    pub provider_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<ServicePoolSet> for ServicePoolSetRes {
    fn from(s: ServicePoolSet) -> Self {
        ServicePoolSetRes {
            id: s.id,
            name: s.name,
            provider_id_fulcrum: s.provider_id,
            provider_id: s.provider_id,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ServicePoolSetCreateReq {
    pub name: String,
    pub provider_id: Uuid,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ServicePoolSetUpdateReq {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}
