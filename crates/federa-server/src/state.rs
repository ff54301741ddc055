use std::sync::Arc;

use federa_domain::provisioning::LeasePolicy;
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
}

impl AppState {
    pub fn new(store: Store) -> AppState {
        AppState {
            store,
            metrics: Arc::new(Metrics::new()),
            dispatch: Arc::new(Dispatch::default()),
            lease: LeasePolicy::default(),
            rules: Arc::default(),
            // Secrets sealed under this key die with the process; `serve`
            // and the test kit put in the configured one.
            vault: Arc::new(Vault::ephemeral()),
            failed_auth: Arc::default(),
            trusted_proxies: Arc::default(),
            public_url: None,
            oidc: None,
        }
    }
}
