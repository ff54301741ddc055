//! Federa's application layer: the exchange's workflows, each in a file
//! named for it, between the domain's rules (`federa-domain`) and storage
//! (`federa-store`).
//!
//! A workflow takes the [`Exchange`] handles it needs and answers with an
//! [`ExchangeError`]; it knows nothing of HTTP, which calls it and maps its
//! errors at the edge. Being a crate of its own, without a web framework
//! among its dependencies, it cannot reach back into the routes.

pub mod agent_configuration;
pub mod agent_events;
pub mod billing;
pub mod budgets;
pub mod clock;
pub mod composing;
pub mod composition_secrets;
pub mod composition_switching;
pub mod compositions;
pub mod dispatch;
pub mod error;
pub mod finishing;
pub mod job_events;
pub mod leases;
pub mod liveness;
pub mod long_poll;
pub mod ordering;
pub mod orders;
pub mod placement;
pub mod pools;
pub mod quotas;
pub mod reconciliation;
pub mod secrets;
pub mod switch_report;
pub mod switching;
pub mod type_rules;
pub mod upkeep;
pub mod vault;
pub mod webhook_delivery;
pub mod webhook_signing;
pub mod webhooks;

use std::sync::Arc;

use federa_domain::catalogue::Liveness;
use federa_domain::property_schema::DEFAULT_MAX_PROPERTIES_BYTES;
use federa_domain::provisioning::LeasePolicy;
use federa_store::Store;

pub use error::{under, ExchangeError, ExchangeResult};

use clock::Clock;
use dispatch::Dispatch;
use liveness::SignsOfLife;
use type_rules::RulesCache;
use vault::Vault;

/// The handles the workflows work with, cheap to clone: storage, the
/// agents' wake-ups, the vault, the parsed type rules, and the policies
/// the exchange is configured with.
#[derive(Clone)]
pub struct Exchange {
    pub store: Store,
    /// Wakes agents long-polling for jobs.
    pub dispatch: Arc<Dispatch>,
    /// Seals and opens secret property values.
    pub vault: Arc<Vault>,
    /// Parsed service-type rules.
    pub rules: Arc<RulesCache>,
    pub lease: LeasePolicy,
    /// How long an agent may stay silent before it is `Disconnected`.
    pub liveness: Liveness,
    /// When this server last wrote each agent's sign of life.
    pub signs_of_life: Arc<SignsOfLife>,
    /// The most a service's properties may weigh, as JSON bytes.
    pub max_properties_bytes: usize,
    /// The time placement judges date rules by.
    pub clock: Clock,
    /// How long an order's quote binds.
    pub quote_validity: chrono::Duration,
}

impl Exchange {
    pub fn new(store: Store) -> Exchange {
        Exchange {
            store,
            dispatch: Arc::default(),
            // Secrets sealed under this key die with the process; `serve`
            // and the test kit put in the configured one.
            vault: Arc::new(Vault::ephemeral()),
            rules: Arc::default(),
            lease: LeasePolicy::default(),
            liveness: Liveness::default(),
            signs_of_life: Arc::default(),
            max_properties_bytes: DEFAULT_MAX_PROPERTIES_BYTES,
            clock: Clock::system(),
            quote_validity: federa_domain::commerce::order::DEFAULT_QUOTE_VALIDITY,
        }
    }
}
