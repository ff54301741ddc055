use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::family::PoolFamily;
use super::generator::GeneratorType;
use super::property_type::PoolPropertyType;
use crate::access::Owners;
use crate::listing::{FieldError, FilterKind, FilterSpec, ListSpec};

/// A provider's group of service pools; an agent draws from the one set it
/// names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicePoolSet {
    pub id: Uuid,
    pub name: String,
    pub provider_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ServicePoolSet {
    pub fn owners(&self) -> Owners {
        Owners::owner(self.provider_id)
    }
}

/// Where a pool belongs, which also says its family: a service pool lives
/// in a provider's pool set; a config pool belongs to a participant or, as
/// a global pool, to the exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoolScope {
    Set {
        set_id: Uuid,
        set_name: String,
        provider_id: Uuid,
    },
    Participant(Uuid),
    Global,
}

/// A pool: the values of one `poolType`, handed out exclusively.
#[derive(Debug, Clone, PartialEq)]
pub struct Pool {
    pub id: Uuid,
    pub name: String,
    /// The key a property's `pool` generator names as `poolType`.
    pub pool_type: String,
    pub property_type: PoolPropertyType,
    pub generator_type: GeneratorType,
    pub generator_config: Option<Value>,
    pub scope: PoolScope,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Pool {
    pub fn family(&self) -> PoolFamily {
        match self.scope {
            PoolScope::Set { .. } => PoolFamily::Service,
            PoolScope::Participant(_) | PoolScope::Global => PoolFamily::Config,
        }
    }

    /// The participant owning the pool; `None` for a global pool.
    pub fn owner_id(&self) -> Option<Uuid> {
        match self.scope {
            PoolScope::Set { provider_id, .. } => Some(provider_id),
            PoolScope::Participant(owner) => Some(owner),
            PoolScope::Global => None,
        }
    }

    /// A global pool has no owner, so only admins pass an ownership check.
    pub fn owners(&self) -> Owners {
        owners(self.owner_id())
    }
}

/// A value of a pool and, while a service or agent holds it, which one and
/// for which property.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolValue {
    pub family: PoolFamily,
    pub id: Uuid,
    pub name: String,
    pub value: Value,
    pub pool_id: Uuid,
    /// Copied from the pool so access checks and list scopes need no join.
    pub owner_id: Option<Uuid>,
    /// The service or agent holding the value; `None` while it is free.
    pub holder_id: Option<Uuid>,
    pub property_name: Option<String>,
    pub allocated_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl PoolValue {
    pub fn owners(&self) -> Owners {
        owners(self.owner_id)
    }
}

fn owners(owner_id: Option<Uuid>) -> Owners {
    owner_id.map_or_else(Owners::none, Owners::owner)
}

/// Pool types are keys that schemas spell; surrounding blanks are dropped.
pub fn check_pool_type(path: &str, key: &str) -> Result<String, FieldError> {
    let key = key.trim();
    if key.is_empty() || key.chars().count() > 100 {
        return Err(FieldError::new(path, "must be 1 to 100 characters"));
    }
    Ok(key.to_string())
}

pub const SERVICE_POOL_SET_LIST: ListSpec = ListSpec {
    filters: &[
        FilterSpec::new("name", "name", FilterKind::Contains),
        FilterSpec::new("providerId", "provider_id", FilterKind::Uuid),
    ],
    sorts: &[("name", "LOWER(name)"), ("createdAt", "created_at")],
    default_sort: ("created_at", false),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_types_are_short_non_blank_keys() {
        assert_eq!(check_pool_type("type", " public_ip ").unwrap(), "public_ip");
        for bad in ["", "   ", &"x".repeat(101)] {
            assert_eq!(check_pool_type("type", bad).unwrap_err().path, "type");
        }
    }

    #[test]
    fn a_pools_scope_says_its_family_and_owner() {
        let provider = Uuid::from_u128(3);
        let set = PoolScope::Set {
            set_id: Uuid::from_u128(1),
            set_name: "edge".into(),
            provider_id: provider,
        };
        let cases = [
            (set, PoolFamily::Service, Some(provider)),
            (
                PoolScope::Participant(provider),
                PoolFamily::Config,
                Some(provider),
            ),
            (PoolScope::Global, PoolFamily::Config, None),
        ];
        for (scope, family, owner) in cases {
            let pool = Pool {
                id: Uuid::from_u128(9),
                name: "pool".into(),
                pool_type: "public_ip".into(),
                property_type: PoolPropertyType::String,
                generator_type: GeneratorType::List,
                generator_config: None,
                scope,
                created_at: DateTime::UNIX_EPOCH,
                updated_at: DateTime::UNIX_EPOCH,
            };
            assert_eq!(pool.family(), family);
            assert_eq!(pool.owner_id(), owner);
            assert_eq!(
                pool.owners(),
                owner.map_or_else(Owners::none, Owners::owner)
            );
        }
    }
}
