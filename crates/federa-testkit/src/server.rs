use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use federa_domain::provisioning::LeasePolicy;
use federa_server::composition::{ExchangeSettings, RunningExchange};
use federa_store::Store;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::api::{Api, ADMIN_TOKEN};
use federa_test_database::TestDatabase;

/// The vault key of every test exchange, in-process or spawned: replicas
/// on one database must share it.
pub const VAULT_KEY: [u8; 32] = [0x5e; 32];

/// [`VAULT_KEY`] as `FEDERA_VAULT_KEY` takes it.
pub fn vault_key_hex() -> String {
    VAULT_KEY.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A running server on a loopback port with its own database.
pub struct TestServer {
    pub api: Api,
    pub base: String,
    pub address: SocketAddr,
    pub store: Store,
    /// Shared by replicas; dropped with the last of them.
    pub database: Arc<TestDatabase>,
    lease: LeasePolicy,
    stop: Option<oneshot::Sender<()>>,
    exchange: Option<RunningExchange>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_with(LeasePolicy::default(), Duration::from_secs(30)).await
    }

    /// A server whose job claims last `lease` and whose lapsed claims are
    /// looked for every `sweep_interval`.
    pub async fn start_with(lease: LeasePolicy, sweep_interval: Duration) -> TestServer {
        let database = Arc::new(TestDatabase::create().await);
        TestServer::start_on(database, lease, sweep_interval, |_| {}).await
    }

    /// A server whose settings `configure` adjusts before it starts (an OIDC
    /// issuer, trusted proxies).
    pub async fn start_configured(configure: impl FnOnce(&mut ExchangeSettings)) -> TestServer {
        let database = Arc::new(TestDatabase::create().await);
        TestServer::start_on(
            database,
            LeasePolicy::default(),
            Duration::from_secs(30),
            configure,
        )
        .await
    }

    /// Another server on this server's database, as a second replica.
    pub async fn replica(&self) -> TestServer {
        TestServer::start_on(
            self.database.clone(),
            self.lease,
            Duration::from_secs(30),
            |_| {},
        )
        .await
    }

    /// Stops this server and starts another on its database with the
    /// settings `configure` adjusts, as a restart of the exchange would.
    pub async fn restart_configured(
        self,
        configure: impl FnOnce(&mut ExchangeSettings),
    ) -> TestServer {
        let database = self.database.clone();
        let lease = self.lease;
        self.stop().await;
        TestServer::start_on(database, lease, Duration::from_secs(30), configure).await
    }

    async fn start_on(
        database: Arc<TestDatabase>,
        lease: LeasePolicy,
        sweep_interval: Duration,
        configure: impl FnOnce(&mut ExchangeSettings),
    ) -> TestServer {
        let store = Store::open(&database.url).await.expect("open store");
        federa_server::ensure_admin_token(&store, Some(ADMIN_TOKEN))
            .await
            .expect("admin token");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let mut settings = ExchangeSettings {
            lease,
            sweep_interval,
            ..ExchangeSettings::default()
        };
        configure(&mut settings);
        // One fixed key, so replicas of a test share their secrets.
        let vault = federa_server::vault::Vault::from_key(&VAULT_KEY);
        let exchange = RunningExchange::start(store.clone(), vault, &database.url, settings);
        let app = exchange.router();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum_serve(listener, app, stopped).await;
        });
        TestServer {
            base: format!("http://{address}"),
            address,
            store,
            database,
            lease,
            api: Api::remote(&format!("http://{address}")),
            stop: Some(stop),
            exchange: Some(exchange),
            task: Some(task),
        }
    }

    pub async fn stop(mut self) {
        drop(self.exchange.take());
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.store.close().await;
    }
}

async fn axum_serve(
    listener: TcpListener,
    app: axum::Router,
    stopped: oneshot::Receiver<()>,
) -> std::io::Result<()> {
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = stopped.await;
        })
        .await
}

impl std::ops::Deref for TestServer {
    type Target = Api;

    fn deref(&self) -> &Api {
        &self.api
    }
}
