//! Metric types: the names measurements are reported under.

use chrono::{DateTime, Utc};
use federa_domain::metrics::{MetricEntityType, MetricType};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MetricTypeRes {
    pub id: Uuid,
    pub name: String,
    pub entity_type: MetricEntityType,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<MetricType> for MetricTypeRes {
    fn from(t: MetricType) -> Self {
        MetricTypeRes {
            id: t.id,
            name: t.name,
            entity_type: t.entity_type,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MetricTypeCreateReq {
    /// The name agents report under, e.g. `cpu.usage`.
    pub name: String,
    pub entity_type: MetricEntityType,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MetricTypeUpdateReq {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}
