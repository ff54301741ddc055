//! The wire contract of `/api/v1`: every body the exchange reads or answers
//! with, named as Fulcrum Core names its JSON fields. The server shapes its
//! answers with these types and `federa-client` reads them back, so both
//! sides of the wire change together or not at all.
//!
//! With the `openapi` feature each type also derives its OpenAPI schema;
//! the server enables it to publish `/api/v1/openapi.json`.
//!
//! This crate owns shapes only: no I/O, no rules beyond how an entity of
//! the domain is shown.

pub mod agent_install;
pub mod agent_types;
pub mod agents;
pub mod budgets;
pub mod compositions;
pub mod envelope;
pub mod events;
pub mod invoices;
pub mod jobs;
pub mod metric_entries;
pub mod metric_types;
pub mod observations;
pub mod offerings;
pub mod orders;
pub mod participants;
pub mod people;
pub mod placement;
pub mod placement_policies;
pub mod pools;
pub mod projects;
pub mod provider_profiles;
pub mod service_groups;
pub mod service_option_types;
pub mod service_options;
pub mod service_pool_sets;
pub mod service_types;
pub mod services;
pub mod session;
pub mod switch_jobs;
pub mod switches;
pub mod tokens;
pub mod vault;
pub mod webhooks;

pub use envelope::{ErrorRes, FieldError, PageRes, QuotaRes};
