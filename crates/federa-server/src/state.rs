use std::sync::Arc;

use federa_domain::catalogue::Liveness;
use federa_domain::property_schema::DEFAULT_MAX_PROPERTIES_BYTES;
use federa_domain::provisioning::LeasePolicy;
use federa_domain::token::TokenLifetimes;
use federa_store::Store;

use crate::dispatch::Dispatch;

use crate::metrics::Metrics;
use crate::vault::Vault;

/// Everything a handler may reach, cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub metrics: Arc<Metrics>,
    /// Wakes agents long-polling for jobs.
    pub dispatch: Arc<Dispatch>,
    pub lease: LeasePolicy,
    /// How long an agent may stay silent before it is `Disconnected`.
    pub liveness: Liveness,
    /// When this server last wrote each agent's sign of life.
    pub signs_of_life: Arc<crate::liveness::SignsOfLife>,
    /// Parsed service-type rules.
    pub rules: Arc<crate::provisioning::RulesCache>,
    /// Seals and opens secret property values.
    pub vault: Arc<Vault>,
    /// Failed authentication attempts by client address.
    pub failed_auth: Arc<crate::auth_limit::FailedAttempts>,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Arc<Vec<ipnet::IpNet>>,
    /// The root URL installers reach this server at (`--public-url`); when
    /// unset, install URLs use the Host of the request that made them.
    pub public_url: Option<String>,
    /// Verifies bearer JWTs from an external issuer, when one is configured.
    pub oidc: Option<Arc<crate::oidc::Oidc>>,
    /// The longest a token of each role may live.
    pub token_lifetimes: TokenLifetimes,
    /// The most a service's properties may weigh, as JSON bytes.
    pub max_properties_bytes: usize,
    /// How long a request may wait on the database before it answers 503
    /// (see `request_bound`); `None` waits as long as the store does.
    pub database_bound: Option<std::time::Duration>,
    /// How long an agent's install command and its bootstrap token live.
    pub install_ttl: chrono::Duration,
    /// Set when the server starts shutting down; ends long-polls and streams.
    pub closing: crate::closing::Closing,
}

impl AppState {
    pub fn new(store: Store) -> AppState {
        AppState {
            store,
            metrics: Arc::new(Metrics::new()),
            dispatch: Arc::new(Dispatch::default()),
            lease: LeasePolicy::default(),
            liveness: Liveness::default(),
            signs_of_life: Arc::default(),
            rules: Arc::default(),
            // Secrets sealed under this key die with the process; `serve`
            // and the test kit put in the configured one.
            vault: Arc::new(Vault::ephemeral()),
            failed_auth: Arc::default(),
            trusted_proxies: Arc::default(),
            public_url: None,
            oidc: None,
            token_lifetimes: TokenLifetimes::default(),
            max_properties_bytes: DEFAULT_MAX_PROPERTIES_BYTES,
            database_bound: None,
            install_ttl: federa_domain::catalogue::INSTALL_TTL,
            closing: Default::default(),
        }
    }
}
