//! Service pool sets, pools and values, and the claims that hand values to
//! services. A claim runs inside the transaction that writes the service,
//! so a value is held by at most one service and never by a service that
//! was not written.

pub(crate) mod allocation;
mod pool_sets;
mod pool_values;
mod service_pools;

pub(crate) use allocation::claim_pool_values;
pub use allocation::PoolClaim;
