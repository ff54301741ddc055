//! Service pool sets, pools and values of both families, and the claims
//! that hand values to services and agents. A claim runs inside the
//! transaction that writes its holder, so a value is held by at most one
//! holder and never by one that was not written.

pub(crate) mod allocation;
mod pool_definitions;
mod pool_sets;
mod pool_values;
mod tables;

pub(crate) use allocation::claim_statements;
pub use allocation::PoolClaim;
pub use federa_domain::pools::PoolFamily;
pub use pool_definitions::PoolEdit;
