//! The one place an exchange is put together: its handles from the store,
//! the vault and the settings, and the tasks that run beside the requests.
//! `federa serve` (and the demo through it) and the test kit's servers start
//! here, so a test runs the wiring a deployment runs.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use federa_domain::catalogue::Liveness;
use federa_domain::property_schema::DEFAULT_MAX_PROPERTIES_BYTES;
use federa_domain::provisioning::LeasePolicy;
use federa_domain::token::TokenLifetimes;
use federa_exchange::clock::Clock;
use federa_exchange::upkeep::Background;
use federa_exchange::vault::{Sweeper, Vault, SWEEP_INTERVAL};
use federa_exchange::webhook_delivery::{Deliveries, DeliverySettings, RenderEvent};
use federa_store::Store;

use crate::oidc::Oidc;
use crate::state::AppState;

/// What may differ between two exchanges on the same code.
pub struct ExchangeSettings {
    /// How long a job claim lasts without renewal.
    pub lease: LeasePolicy,
    /// How often lapsed claims are looked for.
    pub sweep_interval: Duration,
    /// How long an agent may stay silent before it is `Disconnected`.
    pub liveness: Liveness,
    /// How long a request may wait on the database before it answers 503;
    /// `None` waits as long as the store does.
    pub database_bound: Option<Duration>,
    /// The root URL installers reach this server at.
    pub public_url: Option<String>,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The longest a token of each role may live.
    pub token_lifetimes: TokenLifetimes,
    /// The most a service's properties may weigh, as JSON bytes.
    pub max_properties_bytes: usize,
    /// How long agents' install commands and bootstrap tokens live.
    pub install_ttl: chrono::Duration,
    /// An external issuer whose JWTs are accepted as bearers.
    pub oidc: Option<Arc<Oidc>>,
    /// How webhook deliveries are made and retried.
    pub webhooks: DeliverySettings,
    /// The time placement judges date rules by: the system's, except in
    /// tests of another day.
    pub clock: Clock,
    /// How long an order's quote binds.
    pub quote_validity: chrono::Duration,
}

impl Default for ExchangeSettings {
    fn default() -> ExchangeSettings {
        ExchangeSettings {
            lease: LeasePolicy::default(),
            sweep_interval: Duration::from_secs(30),
            liveness: Liveness::default(),
            database_bound: None,
            public_url: None,
            trusted_proxies: Vec::new(),
            token_lifetimes: TokenLifetimes::default(),
            max_properties_bytes: DEFAULT_MAX_PROPERTIES_BYTES,
            install_ttl: federa_domain::catalogue::INSTALL_TTL,
            oidc: None,
            webhooks: DeliverySettings::default(),
            clock: Clock::system(),
            quote_validity: federa_domain::commerce::order::DEFAULT_QUOTE_VALIDITY,
        }
    }
}

/// An exchange with its background tasks running: the lease and liveness
/// sweeps, the relay of other replicas' job wake-ups on PostgreSQL, the
/// vault's sweep of orphaned secrets and webhook deliveries. Dropping it
/// stops them.
pub struct RunningExchange {
    pub state: AppState,
    _background: Background,
    _sweeper: Sweeper,
    _deliveries: Option<Deliveries>,
}

impl RunningExchange {
    /// `database_url` is the store's, for the PostgreSQL relay's own
    /// listening connection.
    pub fn start(
        store: Store,
        vault: Vault,
        database_url: &str,
        settings: ExchangeSettings,
    ) -> RunningExchange {
        let mut state = AppState::new(store.clone());
        state.lease = settings.lease;
        state.liveness = settings.liveness;
        state.vault = Arc::new(vault);
        state.max_properties_bytes = settings.max_properties_bytes;
        state.clock = settings.clock;
        state.quote_validity = settings.quote_validity;
        state.database_bound = settings.database_bound;
        state.public_url = settings.public_url;
        state.trusted_proxies = Arc::new(settings.trusted_proxies);
        state.token_lifetimes = settings.token_lifetimes;
        state.install_ttl = settings.install_ttl;
        state.oidc = settings.oidc;
        let background = Background::start(&state, database_url, settings.sweep_interval);
        let sweeper = Sweeper::start(store, SWEEP_INTERVAL);
        let deliveries = Deliveries::start(state.exchange.clone(), settings.webhooks, event_body())
            .map_err(|error| tracing::error!(%error, "webhook deliveries cannot start"))
            .ok();
        RunningExchange {
            state,
            _background: background,
            _sweeper: sweeper,
            _deliveries: deliveries,
        }
    }

    /// The HTTP API, the console and the metrics over this exchange.
    pub fn router(&self) -> Router {
        crate::app(self.state.clone())
    }
}

/// Webhooks carry an event as `GET /events` shows it.
fn event_body() -> RenderEvent {
    Arc::new(|event| {
        serde_json::to_vec(&federa_api::events::EventRes::from(event.clone())).unwrap_or_default()
    })
}
