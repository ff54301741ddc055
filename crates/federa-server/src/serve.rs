//! `federa serve`: takes the address, opens the database, and runs the
//! exchange until asked to stop.

use std::net::SocketAddr;
use std::time::Duration;

use federa_domain::catalogue::Liveness;
use federa_domain::provisioning::LeasePolicy;
use federa_domain::token::TokenLifetimes;

use anyhow::Context;
use federa_store::{Backend, DatabaseTimeouts, Store};
use tokio::net::TcpListener;

use crate::bootstrap::{ensure_admin_token, AdminToken};
use crate::closing::Closing;
use crate::composition::{ExchangeSettings, RunningExchange};
use crate::connections::ConnectionLimits;
use crate::database_lock;
use crate::oidc::{Oidc, OidcConfig};
use crate::vault::{KeyOrigin, Vault, VaultKeyConfig};

/// How often a stopping server says what it still waits for.
const CLOSING_REPORT_INTERVAL: Duration = Duration::from_secs(3);

pub struct ServeConfig {
    pub listen: SocketAddr,
    pub database_url: String,
    /// PostgreSQL's statement, lock and idle-in-transaction timeouts; their
    /// sum also bounds each request on Federa's side.
    pub database_timeouts: DatabaseTimeouts,
    pub admin_token: Option<String>,
    /// How long a job claim lasts without renewal, and how often lapsed
    /// claims are looked for.
    pub lease: LeasePolicy,
    pub sweep_interval: Duration,
    /// How long an agent may stay silent before it is `Disconnected`.
    pub liveness: Liveness,
    /// Where the key sealing secret properties comes from.
    pub vault_key: VaultKeyConfig,
    /// The root URL installers reach this server at; see `AppState::public_url`.
    pub public_url: Option<String>,
    /// An external issuer whose JWTs are accepted as bearers.
    pub oidc: Option<OidcConfig>,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The connection cap and timeouts.
    pub connections: ConnectionLimits,
    /// The longest a token of each role may live.
    pub token_lifetimes: TokenLifetimes,
    /// The most a service's properties may weigh, as JSON bytes.
    pub max_properties_bytes: usize,
    /// How long agents' install commands and bootstrap tokens live.
    pub agent_install_ttl: chrono::Duration,
    /// How long an order's quote binds the exchange.
    pub quote_validity: chrono::Duration,
}

/// Takes the listening address, naming it when it cannot be had.
pub async fn bind(address: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen on {address}"))
}

/// Runs the exchange until `shutdown` resolves, then lets open requests
/// finish for at most the shutdown deadline. The address is taken first,
/// so that a taken one fails at once.
pub async fn serve(
    config: ServeConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let listener = bind(config.listen).await?;
    serve_bound(listener, config, shutdown).await
}

/// [`serve`] on an address already taken; `config.listen` is not used.
pub async fn serve_bound(
    listener: TcpListener,
    config: ServeConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    // Before the database is touched, so a missing key changes nothing.
    let (vault, key_origin) = Vault::configured(&config.vault_key, &config.database_url)?;
    let _lock = database_lock::acquire(&config.database_url)?;
    let store = Store::open_with(&config.database_url, config.database_timeouts).await?;
    vault.check(&store).await?;
    match key_origin {
        KeyOrigin::Generated(path) => {
            tracing::info!(path = %path.display(), "generated a vault key; back it up together with the database")
        }
        KeyOrigin::File(path) => tracing::info!(path = %path.display(), "vault key read from file"),
        KeyOrigin::Configured => tracing::info!("vault key taken from configuration"),
        KeyOrigin::Ephemeral => {
            tracing::warn!("in-memory database: the vault key lives only as long as this process")
        }
    }
    match ensure_admin_token(&store, config.admin_token.as_deref()).await? {
        AdminToken::Generated(value) => {
            // Printed on stdout, never logged: logs are shipped and kept.
            println!("Generated admin token (shown once, store it now): {value}");
        }
        AdminToken::Configured => tracing::info!("admin token taken from configuration"),
        AdminToken::Existing => tracing::info!("using the existing admin token"),
    }
    let descriptors = crate::connections::raise_open_file_limit();
    let limits = config.connections;
    tracing::info!(
        open_file_limit = descriptors,
        max_connections = limits.max_connections(descriptors),
        header_read_timeout_seconds = limits.header_read_timeout.as_secs_f64(),
        shutdown_deadline_seconds = limits.shutdown_deadline.as_secs_f64(),
        "connection limits"
    );
    let address = listener.local_addr()?;
    tracing::info!(%address, backend = ?store.backend(), "federa listening");
    println!("Federa is listening on http://{address}");
    let oidc = match config.oidc {
        Some(oidc) => Some(std::sync::Arc::new(open_oidc(oidc).await?)),
        None => None,
    };
    let settings = ExchangeSettings {
        lease: config.lease,
        sweep_interval: config.sweep_interval,
        liveness: config.liveness,
        database_bound: (store.backend() == Backend::Postgres)
            .then(|| config.database_timeouts.request_bound()),
        public_url: config.public_url,
        trusted_proxies: config.trusted_proxies,
        token_lifetimes: config.token_lifetimes,
        max_properties_bytes: config.max_properties_bytes,
        install_ttl: config.agent_install_ttl,
        oidc,
        webhooks: Default::default(),
        clock: Default::default(),
        quote_validity: config.quote_validity,
    };
    let exchange = RunningExchange::start(store.clone(), vault, &config.database_url, settings);
    let metrics = exchange.state.metrics.clone();
    let closing = exchange.state.closing.clone();
    let app = exchange.router();
    let reporter = tokio::spawn(report_closing(closing.clone()));
    let shutdown = async move {
        shutdown.await;
        closing.begin();
    };
    crate::connections::serve(listener, app, limits, descriptors, metrics, shutdown).await;
    reporter.abort();
    drop(exchange);
    store.close().await;
    tracing::info!("federa stopped");
    Ok(())
}

/// The OIDC issuer's verifier. Its keys not being reachable yet is not
/// fatal: the issuer may come up later, and keys are fetched again on the
/// first token that needs them.
async fn open_oidc(config: OidcConfig) -> anyhow::Result<Oidc> {
    let oidc = Oidc::new(config)?;
    match oidc.prefetch().await {
        Ok(keys) => tracing::info!(
            issuer = oidc.issuer(),
            keys,
            "accepting JWTs from the OIDC issuer"
        ),
        Err(error) => {
            tracing::warn!(issuer = oidc.issuer(), %error, "the OIDC issuer's keys are not available yet")
        }
    }
    Ok(oidc)
}

/// Says, once shutdown begins and then every few seconds, what stopping
/// still waits for.
async fn report_closing(closing: Closing) {
    closing.closed().await;
    tracing::info!(
        open_requests = closing.open_requests(),
        "stopping: no new connections; agents' long-polls and event streams are answered now; \
         finishing open requests"
    );
    loop {
        tokio::time::sleep(CLOSING_REPORT_INTERVAL).await;
        tracing::info!(
            open_requests = closing.open_requests(),
            "stopping: still finishing open requests"
        );
    }
}
