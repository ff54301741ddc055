//! Federa's storage layer: one API over SQLite and PostgreSQL.
//!
//! Queries are written once as SQL text that both engines accept (`$N`
//! placeholders, `RETURNING`, `ON CONFLICT`) and executed through
//! [`on_pool!`], which compiles each body once per backend. Filters come
//! from the domain's list specification and are rendered by
//! [`sql::Where`]; only columns named in a specification ever reach the SQL.
//! Backend-specific SQL is limited to what differs in meaning (claims,
//! notifications).

mod broken_connections;
pub mod catalogue;
mod commerce;
mod db;
mod disabled_holder;
mod error;
pub mod event_subscriptions;
mod events;
pub mod exchange;
pub mod job_wakes;
mod location;
pub mod metrics;
pub mod participants;
mod people;
pub mod pools;
pub mod provisioning;
pub mod read_cache;
mod records;
mod service_limits;
pub mod sql;
pub mod tokens;
mod type_rules;
pub mod vault;
pub mod webhooks;
mod write;

pub use commerce::budgets::BudgetStanding;
pub use commerce::holders::EndedStates;
pub use commerce::orders::{OrderMove, QuotedService};
pub use commerce::quotas::{QuotaCheck, ServiceLimits};
pub use db::{Backend, DatabaseTimeouts, Store};
pub use error::{Result, StoreError, UNIQUE_CONFLICT};
pub use location::DataLocation;
pub use records::{Record, Table};
