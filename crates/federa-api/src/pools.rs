//! Service pools and config pools: one model keyed by family, with the values each hands out.

use chrono::{DateTime, Utc};
use federa_domain::pools::PoolValue;
use federa_domain::pools::{Pool, PoolFamily, PoolScope};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// A pool as answered; the set and provider appear for service pools, the
/// owning participant for a config pool that has one.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PoolRes {
    pub id: Uuid,
    pub name: String,
    #[serde(rename = "type")]
    pub pool_type: String,
    /// string, integer, number, boolean or json.
    pub property_type: String,
    /// list, or subnet for a service pool.
    pub generator_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub generator_config: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_pool_set_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_pool_set_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<Uuid>,
    /// A config pool's owner; absent for a global pool, which only admins
    /// manage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub participant_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Pool> for PoolRes {
    fn from(p: Pool) -> Self {
        let (set, participant_id) = match p.scope {
            PoolScope::Set {
                set_id,
                set_name,
                provider_id,
            } => (Some((set_id, set_name, provider_id)), None),
            PoolScope::Participant(owner) => (None, Some(owner)),
            PoolScope::Global => (None, None),
        };
        let (service_pool_set_id, service_pool_set_name, provider_id) = match set {
            Some((id, name, provider)) => (Some(id), Some(name), Some(provider)),
            None => (None, None, None),
        };
        PoolRes {
            id: p.id,
            name: p.name,
            pool_type: p.pool_type,
            property_type: p.property_type.as_str().to_string(),
            generator_type: p.generator_type.as_str().to_string(),
            generator_config: p.generator_config,
            service_pool_set_id,
            service_pool_set_name,
            provider_id,
            participant_id,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// A new service pool, in a pool set.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ServicePoolCreateReq {
    pub name: String,
    /// The `poolType` a property's pool generator names.
    #[serde(rename = "type")]
    pub pool_type: String,
    /// string, integer, number, boolean or json; a subnet pool holds strings.
    pub property_type: String,
    /// list (values entered by the provider) or subnet (addresses of a range).
    pub generator_type: String,
    /// For subnet: `{"cidr": "10.0.0.0/24", "excludeFirst": 1, "excludeLast": 1, "exclude": ["10.0.0.5"]}`.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generator_config: Option<Value>,
    pub service_pool_set_id: Uuid,
}

/// A new config pool, a participant's or global.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ConfigPoolCreateReq {
    pub name: String,
    /// The `poolType` a configuration property's pool generator names.
    #[serde(rename = "type")]
    pub pool_type: String,
    /// string, integer, number, boolean or json.
    pub property_type: String,
    /// list: values entered through `/config-pool-values`.
    pub generator_type: String,
    /// Notes kept with the pool; an object.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generator_config: Option<Value>,
    /// The owning participant; absent (or null) for a global pool, which
    /// only admins may create. A type is either global or per participant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub participant_id: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PoolUpdateReq {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generator_config: Option<Value>,
}
/// A pool value as answered, with the service or agent holding it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PoolValueRes {
    pub id: Uuid,
    pub name: String,
    /// Any JSON value of the pool's `propertyType`.
    #[cfg_attr(feature = "openapi", schema(value_type = Value))]
    pub value: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_pool_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_pool_id: Option<Uuid>,
    /// The service holding a service pool's value; absent while it is free.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_id: Option<Uuid>,
    /// The agent holding a config pool's value; absent while it is free.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<Uuid>,
    /// The property of the holder the value fills.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub property_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allocated_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<PoolValue> for PoolValueRes {
    fn from(v: PoolValue) -> Self {
        let service = v.family == PoolFamily::Service;
        let of_family = |id: Option<Uuid>, wanted: bool| id.filter(|_| wanted);
        PoolValueRes {
            id: v.id,
            name: v.name,
            value: v.value,
            service_pool_id: of_family(Some(v.pool_id), service),
            config_pool_id: of_family(Some(v.pool_id), !service),
            service_id: of_family(v.holder_id, service),
            agent_id: of_family(v.holder_id, !service),
            property_name: v.property_name,
            allocated_at: v.allocated_at,
            created_at: v.created_at,
            updated_at: v.updated_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ServicePoolValueCreateReq {
    pub service_pool_id: Uuid,
    pub name: String,
    /// A value of the pool's `propertyType`.
    #[cfg_attr(feature = "openapi", schema(value_type = Value))]
    pub value: Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ConfigPoolValueCreateReq {
    pub config_pool_id: Uuid,
    pub name: String,
    /// A value of the pool's `propertyType`.
    #[cfg_attr(feature = "openapi", schema(value_type = Value))]
    pub value: Value,
}
