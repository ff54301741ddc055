//! The `federa` binary.

mod demo;
mod logging;

use std::net::SocketAddr;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "federa",
    version,
    about = "Federa: a cloud federation exchange"
)]
struct Cli {
    /// Log format.
    #[arg(
        long,
        env = "FEDERA_LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    log_format: logging::Format,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run an agent next to a provider's infrastructure.
    Agent {
        /// The agent's configuration file (TOML).
        #[arg(long, env = "FEDERA_AGENT_CONFIG")]
        config: std::path::PathBuf,
    },
    /// Serve a directory over HTTP (what the process driver runs for a
    /// static website).
    #[command(hide = true)]
    StaticSite {
        #[arg(long)]
        port: u16,
        #[arg(long)]
        dir: std::path::PathBuf,
        #[arg(long, default_value = "127.0.0.1")]
        host: std::net::IpAddr,
    },
    /// Serve a key-value store over HTTP (what the process driver runs for
    /// a key-value store).
    #[command(hide = true)]
    KvStore {
        #[arg(long)]
        port: u16,
        #[arg(long)]
        dir: std::path::PathBuf,
        #[arg(long, default_value = "127.0.0.1")]
        host: std::net::IpAddr,
    },
    /// A whole federation on this machine: an exchange on a temporary
    /// database, three providers with agents, a consumer and running
    /// services. Runs until Ctrl-C, then removes everything it started.
    Demo {
        /// Address of the exchange.
        #[arg(long, default_value = "127.0.0.1:3000")]
        listen: SocketAddr,
    },
    /// Run the exchange: REST API, health, metrics.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "FEDERA_LISTEN", default_value = "127.0.0.1:3000")]
        listen: SocketAddr,
        /// `sqlite:PATH` or `postgres://…`; by default an embedded SQLite file.
        #[arg(
            long,
            env = "FEDERA_DATABASE_URL",
            default_value = "sqlite:federa-data/federa.db"
        )]
        database_url: String,
        /// Bootstrap admin bearer token, stored hashed. Without it, the first
        /// start creates one and prints it once.
        #[arg(long, env = "FEDERA_ADMIN_TOKEN", hide_env_values = true)]
        admin_token: Option<String>,
        /// Seconds a job claim lasts unless the agent renews it.
        #[arg(long, env = "FEDERA_JOB_LEASE_SECONDS", default_value_t = 900, value_parser = clap::value_parser!(u32).range(1..))]
        job_lease_seconds: u32,
        /// Claims a job may receive before a lapsed lease fails it.
        #[arg(long, env = "FEDERA_JOB_MAX_ATTEMPTS", default_value_t = 3, value_parser = clap::value_parser!(i32).range(1..))]
        job_max_attempts: i32,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    logging::init(cli.log_format);
    let runtime = tokio::runtime::Runtime::new()?;
    match cli.command {
        Command::Agent { config } => runtime.block_on(run_agent(config)),
        Command::KvStore { port, dir, host } => runtime.block_on(federa_agent::kv_store::serve(
            dir,
            SocketAddr::new(host, port),
        )),
        Command::Demo { listen } => runtime.block_on(demo::run(listen, shutdown_signal())),
        Command::StaticSite { port, dir, host } => runtime.block_on(
            federa_agent::static_site::serve(dir, SocketAddr::new(host, port)),
        ),
        Command::Serve {
            listen,
            database_url,
            admin_token,
            job_lease_seconds,
            job_max_attempts,
        } => runtime.block_on(federa_server::serve(
            federa_server::ServeConfig {
                listen,
                database_url,
                admin_token,
                lease: federa_domain::provisioning::LeasePolicy {
                    duration: chrono::Duration::seconds(i64::from(job_lease_seconds)),
                    max_attempts: job_max_attempts,
                },
                // Lapsed claims are found within a tenth of a lease.
                sweep_interval: std::time::Duration::from_secs(
                    u64::from(job_lease_seconds / 10).clamp(1, 30),
                ),
            },
            shutdown_signal(),
        )),
    }
}

async fn run_agent(path: std::path::PathBuf) -> anyhow::Result<()> {
    let config = federa_agent::AgentConfig::load(&path)?;
    let driver: std::sync::Arc<dyn federa_agent::Driver> = match &config.driver {
        federa_agent::DriverConfig::Process {
            work_dir,
            ports,
            stop_on_exit,
            allow_commands,
        } => std::sync::Arc::new(federa_agent::process::ProcessDriver::new(
            work_dir.clone(),
            *ports,
            *stop_on_exit,
            *allow_commands,
        )?),
    };
    federa_agent::run(config, driver, shutdown_signal()).await
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown requested");
}
