use std::net::SocketAddr;
use std::time::Duration;

use federa_domain::provisioning::LeasePolicy;

use federa_store::Store;
use tokio::net::TcpListener;

use crate::bootstrap::{ensure_admin_token, AdminToken};
use crate::maintenance::Background;
use crate::state::AppState;

pub struct ServeConfig {
    pub listen: SocketAddr,
    pub database_url: String,
    pub admin_token: Option<String>,
    /// How long a job claim lasts without renewal, and how often lapsed
    /// claims are looked for.
    pub lease: LeasePolicy,
    pub sweep_interval: Duration,
}

/// Runs the exchange until `shutdown` resolves, then drains open requests.
pub async fn serve(
    config: ServeConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let store = Store::open(&config.database_url).await?;
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
    let background = Background::start(&state, &config.database_url, config.sweep_interval);
    let app = crate::app(state);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    drop(background);
    store.close().await;
    tracing::info!("federa stopped");
    Ok(())
}
