use std::net::SocketAddr;
use std::time::Duration;

use federa_domain::provisioning::LeasePolicy;

use federa_store::Store;
use tokio::net::TcpListener;

use crate::bootstrap::{ensure_admin_token, AdminToken};
use crate::maintenance::Background;
use crate::oidc::{Oidc, OidcConfig};
use crate::state::AppState;
use crate::vault::{KeyOrigin, Sweeper, Vault, VaultKeyConfig, SWEEP_INTERVAL};

pub struct ServeConfig {
    pub listen: SocketAddr,
    pub database_url: String,
    pub admin_token: Option<String>,
    /// How long a job claim lasts without renewal, and how often lapsed
    /// claims are looked for.
    pub lease: LeasePolicy,
    pub sweep_interval: Duration,
    /// Where the key sealing secret properties comes from.
    pub vault_key: VaultKeyConfig,
    /// The root URL installers reach this server at; see `AppState::public_url`.
    pub public_url: Option<String>,
    /// An external issuer whose JWTs are accepted as bearers.
    pub oidc: Option<OidcConfig>,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

/// Runs the exchange until `shutdown` resolves, then drains open requests.
pub async fn serve(
    config: ServeConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    // Before the database is touched, so a missing key changes nothing.
    let (vault, key_origin) = Vault::configured(&config.vault_key, &config.database_url)?;
    let store = Store::open(&config.database_url).await?;
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
    let listener = TcpListener::bind(config.listen).await?;
    let address = listener.local_addr()?;
    tracing::info!(%address, backend = ?store.backend(), "federa listening");
    println!("Federa is listening on http://{address}");
    let mut state = AppState::new(store.clone());
    state.lease = config.lease;
    state.vault = std::sync::Arc::new(vault);
    state.public_url = config.public_url;
    state.trusted_proxies = std::sync::Arc::new(config.trusted_proxies);
    if let Some(oidc) = config.oidc {
        let oidc = Oidc::new(oidc)?;
        // A failure here is not fatal: the issuer may come up later, and
        // keys are fetched again on the first token that needs them.
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
        state.oidc = Some(std::sync::Arc::new(oidc));
    }
    let background = Background::start(&state, &config.database_url, config.sweep_interval);
    let sweeper = Sweeper::start(store.clone(), SWEEP_INTERVAL);
    let app = crate::app(state);
    // The peer address counts failed authentication attempts.
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    drop(background);
    drop(sweeper);
    store.close().await;
    tracing::info!("federa stopped");
    Ok(())
}
