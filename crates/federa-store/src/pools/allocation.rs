use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::sql::Arg;
use crate::write::Statement;

/// A pool value a new service takes, written with the service.
#[derive(Debug, Clone, PartialEq)]
pub enum PoolClaim {
    /// Take a value of a list pool; lost if another service took it first.
    Listed {
        value_id: Uuid,
        property_name: String,
    },
    /// Record an address a subnet pool generated; lost if another service
    /// recorded the same address first.
    Generated {
        value_id: Uuid,
        pool_id: Uuid,
        provider_id: Uuid,
        address: String,
        property_name: String,
    },
}

impl PoolClaim {
    /// The statement and its arguments; it changes no row, or fails on the
    /// pool's unique address, exactly when the value is no longer free.
    pub(crate) fn sql(&self, service_id: Uuid, at: DateTime<Utc>) -> (&'static str, Vec<Arg>) {
        match self {
            PoolClaim::Listed {
                value_id,
                property_name,
            } => (
                "UPDATE service_pool_values SET service_id = $2, property_name = $3, allocated_at = $4, updated_at = $4 WHERE id = $1 AND service_id IS NULL",
                vec![
                    Arg::Uuid(*value_id),
                    Arg::Uuid(service_id),
                    Arg::Text(property_name.clone()),
                    Arg::Time(at),
                ],
            ),
            PoolClaim::Generated {
                value_id,
                pool_id,
                provider_id,
                address,
                property_name,
            } => (
                "INSERT INTO service_pool_values (id, name, value, service_pool_id, provider_id, service_id, property_name, allocated_at, address, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $2, $8, $8)",
                vec![
                    Arg::Uuid(*value_id),
                    Arg::Text(address.clone()),
                    Arg::Json(Value::String(address.clone())),
                    Arg::Uuid(*pool_id),
                    Arg::Uuid(*provider_id),
                    Arg::Uuid(service_id),
                    Arg::Text(property_name.clone()),
                    Arg::Time(at),
                ],
            ),
        }
    }
}

/// Runs `claims` for `service` inside the open transaction `tx`; a claim
/// that finds its value taken fails the whole write with
/// [`StoreError::Raced`](crate::StoreError::Raced).
macro_rules! claim_pool_values {
    ($tx:expr, $claims:expr, $service:expr) => {
        for claim in $claims {
            let (sql, args) = claim.sql($service.id, $service.created_at);
            let raced =
                || $crate::StoreError::Raced("a pool value was taken by another service".into());
            let done = $crate::sql::bind_args!(sqlx::query(sql), &args)
                .execute(&mut *$tx)
                .await
                .map_err(|e| match $crate::StoreError::classify(e) {
                    $crate::StoreError::Conflict(_) => raced(),
                    other => other,
                })?;
            if done.rows_affected() == 0 {
                return Err(raced());
            }
        }
    };
}
pub(crate) use claim_pool_values;

/// Gives back what a service holds: listed values become free again and
/// generated addresses are forgotten, so both can be handed out anew.
/// Run by the transaction that moves the service into a terminal state;
/// repeating it changes nothing.
pub(crate) fn release_statements(service_id: Uuid, now: DateTime<Utc>) -> [Statement; 2] {
    [
        Statement::new(
            "DELETE FROM service_pool_values WHERE service_id = $1 AND address IS NOT NULL",
            vec![Arg::Uuid(service_id)],
        ),
        Statement::new(
            "UPDATE service_pool_values SET service_id = NULL, property_name = NULL, allocated_at = NULL, updated_at = $2 WHERE service_id = $1",
            vec![Arg::Uuid(service_id), Arg::Time(now)],
        ),
    ]
}
