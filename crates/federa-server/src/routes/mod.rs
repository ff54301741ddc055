//! HTTP handlers, one file per resource. Handlers parse, authorize through
//! the domain's rule table, call the store and shape the answer.

pub mod agent_install;
pub mod agent_token;
pub mod agent_types;
pub mod agents;
mod budget_holders;
mod catalogue_event;
pub mod compositions;
mod documented;
pub mod events;
pub mod health;
pub mod invoices;
pub mod jobs;
pub mod memberships;
pub mod metric_entries;
pub mod metric_types;
pub mod observations;
pub mod offerings;
pub mod orders;
pub mod participants;
pub mod placement;
pub mod placement_policies;
mod pool_docs;
pub mod pool_values;
pub mod pools;
pub mod projects;
pub mod provider_profiles;
mod record_routes;
pub mod service_groups;
pub mod service_option_types;
pub mod service_options;
pub mod service_pool_sets;
pub mod service_types;
pub mod services;
pub mod session;
pub mod switches;
pub mod tokens;
pub mod users;
pub mod vault;
pub mod webhooks;

pub use federa_api::{ErrorRes, PageRes};
