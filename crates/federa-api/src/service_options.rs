//! Service options: the values a property of a service type may take.

use chrono::{DateTime, Utc};
use federa_domain::catalogue::ServiceOption;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ServiceOptionRes {
    pub id: Uuid,
    pub provider_id: Uuid,
    pub service_option_type_id: Uuid,
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub value: Value,
    pub enabled: bool,
    pub display_order: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<ServiceOption> for ServiceOptionRes {
    fn from(o: ServiceOption) -> Self {
        ServiceOptionRes {
            id: o.id,
            provider_id: o.provider_id,
            service_option_type_id: o.service_option_type_id,
            name: o.name,
            value: o.value,
            enabled: o.enabled,
            display_order: o.display_order,
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ServiceOptionCreateReq {
    pub provider_id: Uuid,
    pub service_option_type_id: Uuid,
    pub name: String,
    /// Any JSON value; what a property restricted to this option type holds.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub value: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_order: Option<i32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ServiceOptionUpdateReq {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_order: Option<i32>,
}
