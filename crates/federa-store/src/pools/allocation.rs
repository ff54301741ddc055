//! The claims that hand pool values of either family to a new service or
//! agent, and the release that gives them back.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use federa_domain::pools::PoolFamily;

use super::tables::tables;
use crate::sql::Arg;
use crate::write::{IfUnchanged, Refusal, Statement};

/// A pool value a new service or agent takes, written with it.
#[derive(Debug, Clone, PartialEq)]
pub enum PoolClaim {
    /// Take a value of a list pool; lost if another holder took it first.
    Listed {
        value_id: Uuid,
        property_name: String,
    },
    /// Record an address a subnet pool generated; lost if another holder
    /// recorded the same address first.
    Generated {
        value_id: Uuid,
        pool_id: Uuid,
        owner_id: Option<Uuid>,
        address: String,
        property_name: String,
    },
}

impl PoolClaim {
    /// The statement and its arguments; it changes no row, or fails on the
    /// pool's unique address, exactly when the value is no longer free.
    fn sql(&self, family: PoolFamily, holder_id: Uuid, at: DateTime<Utc>) -> (String, Vec<Arg>) {
        let tables = tables(family);
        let (table, holder) = (tables.values, tables.holder_column);
        match self {
            PoolClaim::Listed {
                value_id,
                property_name,
            } => (
                format!("UPDATE {table} SET {holder} = $2, property_name = $3, allocated_at = $4, updated_at = $4 WHERE id = $1 AND {holder} IS NULL"),
                vec![
                    Arg::Uuid(*value_id),
                    Arg::Uuid(holder_id),
                    Arg::Text(property_name.clone()),
                    Arg::Time(at),
                ],
            ),
            PoolClaim::Generated {
                value_id,
                pool_id,
                owner_id,
                address,
                property_name,
            } => (
                format!(
                    "INSERT INTO {table} (id, name, value, {pool}, {owner}, {holder}, property_name, allocated_at, address, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $2, $8, $8)",
                    pool = tables.pool_column,
                    owner = tables.owner_column,
                ),
                vec![
                    Arg::Uuid(*value_id),
                    Arg::Text(address.clone()),
                    Arg::Json(Value::String(address.clone())),
                    Arg::Uuid(*pool_id),
                    Arg::OptUuid(*owner_id),
                    Arg::Uuid(holder_id),
                    Arg::Text(property_name.clone()),
                    Arg::Time(at),
                ],
            ),
        }
    }
}

/// Why a claim fails its whole write.
const TAKEN: &str = "a pool value was taken meanwhile";

/// The statements taking `claims` of `family` for the holder `holder_id`
/// at `at`, run in the write that stores the holder; a value found taken
/// fails the whole write with [`StoreError::Raced`](crate::StoreError::Raced).
pub(crate) fn claim_statements(
    family: PoolFamily,
    claims: &[PoolClaim],
    holder_id: Uuid,
    at: DateTime<Utc>,
) -> impl Iterator<Item = Statement> + '_ {
    claims.iter().map(move |claim| {
        let (sql, args) = claim.sql(family, holder_id, at);
        Statement::new(sql, args)
            .if_unchanged(IfUnchanged::Raced(TAKEN))
            .if_conflict(Refusal::Raced(TAKEN))
    })
}

/// Gives back what a holder has: listed values become free again and
/// generated addresses are forgotten, so both can be handed out anew.
/// Run by the transaction that ends the holder (a service reaching a
/// terminal state, an agent being deleted); repeating it changes nothing.
pub(crate) fn release_statements(
    family: PoolFamily,
    holder_id: Uuid,
    now: DateTime<Utc>,
) -> [Statement; 2] {
    let tables = tables(family);
    let (table, holder) = (tables.values, tables.holder_column);
    [
        Statement::new(
            format!("DELETE FROM {table} WHERE {holder} = $1 AND address IS NOT NULL"),
            vec![Arg::Uuid(holder_id)],
        ),
        Statement::new(
            format!("UPDATE {table} SET {holder} = NULL, property_name = NULL, allocated_at = NULL, updated_at = $2 WHERE {holder} = $1"),
            vec![Arg::Uuid(holder_id), Arg::Time(now)],
        ),
    ]
}
