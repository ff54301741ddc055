use std::sync::Arc;

use federa_domain::token::TokenLifetimes;
use federa_exchange::Exchange;
use federa_store::Store;

use crate::metrics::Metrics;

/// Everything a handler may reach, cheap to clone: the exchange's handles,
/// which every workflow takes (and which a handler reaches through this
/// state as if they were its own fields), and what only HTTP needs.
#[derive(Clone)]
pub struct AppState {
    pub exchange: Exchange,
    pub metrics: Arc<Metrics>,
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
            exchange: Exchange::new(store),
            metrics: Arc::new(Metrics::new()),
            failed_auth: Arc::default(),
            trusted_proxies: Arc::default(),
            public_url: None,
            oidc: None,
            token_lifetimes: TokenLifetimes::default(),
            database_bound: None,
            install_ttl: federa_domain::catalogue::INSTALL_TTL,
            closing: Default::default(),
        }
    }
}

impl std::ops::Deref for AppState {
    type Target = Exchange;

    fn deref(&self) -> &Exchange {
        &self.exchange
    }
}

impl std::ops::DerefMut for AppState {
    fn deref_mut(&mut self) -> &mut Exchange {
        &mut self.exchange
    }
}

/// The metrics endpoint takes only the metrics.
impl axum::extract::FromRef<AppState> for Arc<Metrics> {
    fn from_ref(state: &AppState) -> Arc<Metrics> {
        state.metrics.clone()
    }
}
