//! The pure core of Federa: entities and the rules that govern them.
//!
//! Nothing in this crate performs I/O or awaits; every function is a plain
//! computation over values, so the rules can be tested in milliseconds and
//! reused unchanged by the store, the server, the agent and the CLI.

pub mod access;
pub mod catalogue;
pub mod commerce;
pub mod event;
pub mod event_kind;
pub mod exchange;
pub mod json_diff;
pub mod lifecycle;
pub mod listing;
pub mod metrics;
pub mod participant;
pub mod people;
pub mod pools;
pub mod property_schema;
pub mod provisioning;
pub mod token;
pub mod webhooks;
