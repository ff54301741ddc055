//! Which config pool an agent draws from, and which config pools may share
//! a type.
//!
//! A config pool either belongs to a participant or, without one, is global
//! and managed by admins. An agent draws from its provider's own pool of the
//! type the property names, else from the global one. Within one type a
//! global pool excludes participant pools and the other way round, while
//! two participants may each have a pool of the same type.

use uuid::Uuid;

use super::entities::Pool;
use crate::listing::FieldError;

/// The pool of one type that an agent of `provider` draws from, among
/// `pools` of that type: the provider's own before a global one, so the
/// answer is defined even if both exist.
pub fn pool_for_provider(pools: &[Pool], provider: Uuid) -> Option<&Pool> {
    pools
        .iter()
        .find(|pool| pool.owner_id() == Some(provider))
        .or_else(|| pools.iter().find(|pool| pool.owner_id().is_none()))
}

/// Refuses a new pool owned by `owner` (`None`: global) when one of `pools`
/// of the same type already covers its scope: a global pool clashes with
/// every other pool of its type, a participant's pool with the global one
/// and with that participant's other pool.
pub fn type_clash(pools: &[Pool], owner: Option<Uuid>) -> Option<FieldError> {
    let clashing = pools
        .iter()
        .find(|pool| pool.owner_id().is_none() || owner.is_none() || pool.owner_id() == owner)?;
    let message = match clashing.owner_id() {
        None => "is already the type of a global config pool".to_string(),
        Some(participant) => {
            format!("is already the type of a config pool of participant {participant}")
        }
    };
    Some(FieldError::new("type", message))
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;
    use crate::pools::{GeneratorType, PoolPropertyType, PoolScope};

    /// Pools of one type as (id, owner), with the pool an agent of
    /// participant 7 draws from.
    type ProviderCase = (&'static [(u128, Option<u128>)], Option<u128>);
    /// Owners of the existing pools of a type, the new pool's owner, and
    /// whether it clashes.
    type ClashCase = (&'static [Option<u128>], Option<u128>, bool);

    fn pool(n: u128, participant: Option<u128>) -> Pool {
        Pool {
            id: Uuid::from_u128(n),
            name: format!("pool {n}"),
            pool_type: "public_ip".into(),
            property_type: PoolPropertyType::String,
            generator_type: GeneratorType::List,
            generator_config: None,
            scope: participant.map_or(PoolScope::Global, |p| {
                PoolScope::Participant(Uuid::from_u128(p))
            }),
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
            let pools: Vec<Pool> = pools.iter().map(|(n, p)| pool(*n, *p)).collect();
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
            let pools: Vec<Pool> = existing
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
}
