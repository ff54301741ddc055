//! Service option types: the kinds of options service types draw on.

use chrono::{DateTime, Utc};
use federa_domain::catalogue::ServiceOptionType;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ServiceOptionTypeRes {
    pub id: Uuid,
    pub name: String,
    #[serde(rename = "type")]
    pub type_key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<ServiceOptionType> for ServiceOptionTypeRes {
    fn from(t: ServiceOptionType) -> Self {
        ServiceOptionTypeRes {
            id: t.id,
            name: t.name,
            type_key: t.type_key,
            description: t.description,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceOptionTypeCreateReq {
    pub name: String,
    /// The key property schemas use, e.g. `operating_system`.
    #[serde(rename = "type")]
    pub type_key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceOptionTypeUpdateReq {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}
