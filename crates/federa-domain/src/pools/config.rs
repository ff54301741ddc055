//! Config pools: values handed out exclusively to agents whose type's
//! configuration schema asks for one with a `pool` generator.
//!
//! A pool either belongs to a participant or, without one, is global and
//! managed by admins. An agent draws from its provider's own pool of the
//! type the property names, else from the global one. Within one type a
//! global pool excludes participant pools and the other way round, while
//! two participants may each have a pool of the same type.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::generator::GeneratorType;
use super::property_type::PoolPropertyType;
use crate::access::Owners;
use crate::listing::{FieldError, FilterKind, FilterSpec, ListSpec};

/// Config pools hand out values an admin or participant entered.
pub const CONFIG_POOL_GENERATORS: [GeneratorType; 1] = [GeneratorType::List];
const CONFIG_POOL_GENERATOR_NAMES: [&str; 1] = ["list"];

#[derive(Debug, Clone, PartialEq)]
pub struct ConfigPool {
    pub id: Uuid,
    pub name: String,
    /// The key a configuration property's `pool` generator names as `poolType`.
    pub pool_type: String,
    pub property_type: PoolPropertyType,
    pub generator_type: GeneratorType,
    pub generator_config: Option<Value>,
    /// The owner; `None` for a global pool.
    pub participant_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ConfigPool {
    /// A global pool has no owner, so only admins pass an ownership check.
    pub fn owners(&self) -> Owners {
        owners(self.participant_id)
    }
}

/// A value of a config pool and, while an agent holds it, which agent and
/// which configuration property.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigPoolValue {
    pub id: Uuid,
    pub name: String,
    pub value: Value,
    pub config_pool_id: Uuid,
    /// Copied from the pool so access checks and list scopes need no join.
    pub participant_id: Option<Uuid>,
    pub agent_id: Option<Uuid>,
    pub property_name: Option<String>,
    pub allocated_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ConfigPoolValue {
    pub fn owners(&self) -> Owners {
        owners(self.participant_id)
    }
}

fn owners(participant_id: Option<Uuid>) -> Owners {
    participant_id.map_or_else(Owners::none, Owners::owner)
}

/// The pool of one type that an agent of `provider` draws from, among
/// `pools` of that type: the provider's own before a global one, so the
/// answer is defined even if both exist.
pub fn pool_for_provider(pools: &[ConfigPool], provider: Uuid) -> Option<&ConfigPool> {
    pools
        .iter()
        .find(|pool| pool.participant_id == Some(provider))
        .or_else(|| pools.iter().find(|pool| pool.participant_id.is_none()))
}

/// Refuses a new pool owned by `owner` (`None`: global) when one of `pools`
/// of the same type already covers its scope: a global pool clashes with
/// every other pool of its type, a participant's pool with the global one
/// and with that participant's other pool.
pub fn type_clash(pools: &[ConfigPool], owner: Option<Uuid>) -> Option<FieldError> {
    let clashing = pools.iter().find(|pool| {
        pool.participant_id.is_none() || owner.is_none() || pool.participant_id == owner
    })?;
    let message = match clashing.participant_id {
        None => "is already the type of a global config pool".to_string(),
        Some(participant) => {
            format!("is already the type of a config pool of participant {participant}")
        }
    };
    Some(FieldError::new("type", message))
}

pub const CONFIG_POOL_LIST: ListSpec = ListSpec {
    filters: &[
        FilterSpec::new("name", "name", FilterKind::Contains),
        FilterSpec::new("type", "type", FilterKind::Exact),
        FilterSpec::new(
            "generatorType",
            "generator_type",
            FilterKind::OneOf(&CONFIG_POOL_GENERATOR_NAMES),
        ),
        FilterSpec::new("participantId", "participant_id", FilterKind::Uuid),
    ],
    sorts: &[
        ("name", "LOWER(name)"),
        ("type", "type"),
        ("createdAt", "created_at"),
    ],
    default_sort: ("created_at", false),
};

pub const CONFIG_POOL_VALUE_LIST: ListSpec = ListSpec {
    filters: &[
        FilterSpec::new("name", "name", FilterKind::Contains),
        FilterSpec::new("configPoolId", "config_pool_id", FilterKind::Uuid),
        FilterSpec::new("agentId", "agent_id", FilterKind::Uuid),
    ],
    sorts: &[("name", "LOWER(name)"), ("createdAt", "created_at")],
    default_sort: ("created_at", false),
};

#[cfg(test)]
mod tests {
    use super::*;

    /// Pools of one type as (id, owner), with the pool an agent of
    /// participant 7 draws from.
    type ProviderCase = (&'static [(u128, Option<u128>)], Option<u128>);
    /// Owners of the existing pools of a type, the new pool's owner, and
    /// whether it clashes.
    type ClashCase = (&'static [Option<u128>], Option<u128>, bool);

    fn pool(n: u128, participant: Option<u128>) -> ConfigPool {
        ConfigPool {
            id: Uuid::from_u128(n),
            name: format!("pool {n}"),
            pool_type: "public_ip".into(),
            property_type: PoolPropertyType::String,
            generator_type: GeneratorType::List,
            generator_config: None,
            participant_id: participant.map(Uuid::from_u128),
            created_at: DateTime::UNIX_EPOCH,
            updated_at: DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_provider_draws_from_its_own_pool_before_the_global_one() {
        let provider = Uuid::from_u128(7);
        let cases: &[ProviderCase] = &[
            (&[(1, None)], Some(1)),
            (&[(1, Some(7))], Some(1)),
            (&[(1, None), (2, Some(7))], Some(2)),
            (&[(2, Some(7)), (1, None)], Some(2)),
            (&[(1, Some(8))], None),
            (&[(1, Some(8)), (2, None)], Some(2)),
            (&[], None),
        ];
        for (pools, expected) in cases {
            let pools: Vec<ConfigPool> = pools.iter().map(|(n, p)| pool(*n, *p)).collect();
            let got = pool_for_provider(&pools, provider).map(|p| p.id);
            assert_eq!(got, expected.map(Uuid::from_u128), "{pools:?}");
        }
    }

    #[test]
    fn global_and_participant_pools_never_share_a_type() {
        const A: Option<u128> = Some(1);
        const B: Option<u128> = Some(2);
        let cases: &[ClashCase] = &[
            (&[], None, false),
            (&[], A, false),
            (&[None], None, true),
            (&[None], A, true),
            (&[A], None, true),
            (&[A], A, true),
            (&[A], B, false),
            (&[A, B], None, true),
        ];
        for (existing, owner, clashes) in cases {
            let pools: Vec<ConfigPool> = existing
                .iter()
                .enumerate()
                .map(|(n, p)| pool(n as u128, *p))
                .collect();
            let got = type_clash(&pools, owner.map(Uuid::from_u128));
            assert_eq!(got.is_some(), *clashes, "{existing:?} + {owner:?}");
            if let Some(error) = got {
                assert_eq!(error.path, "type");
            }
        }
    }

    #[test]
    fn a_clash_names_the_scope_that_holds_the_type() {
        let global = type_clash(&[pool(1, None)], Some(Uuid::from_u128(2))).unwrap();
        assert!(global.message.contains("global"), "{}", global.message);
        let owned = type_clash(&[pool(1, Some(2))], None).unwrap();
        assert!(
            owned.message.contains(&Uuid::from_u128(2).to_string()),
            "{}",
            owned.message
        );
    }

    #[test]
    fn a_global_pool_has_no_owner() {
        assert_eq!(pool(1, None).owners(), Owners::none());
        assert_eq!(pool(1, Some(3)).owners(), Owners::owner(Uuid::from_u128(3)));
    }
}
