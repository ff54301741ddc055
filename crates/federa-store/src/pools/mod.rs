//! Service pool sets, pools and values, config pools and values, and the
//! claims that hand values to services and agents. A claim runs inside the
//! transaction that writes its holder, so a value is held by at most one
//! holder and never by one that was not written.

pub(crate) mod allocation;
mod config_pool_values;
mod config_pools;
mod pool_edits;
mod pool_sets;
mod pool_values;
mod service_pools;

pub(crate) use allocation::claim_pool_values;
pub use allocation::{PoolClaim, PoolFamily};
pub use pool_edits::PoolEdit;
