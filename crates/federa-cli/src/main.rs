//! The `federa` binary.

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
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    logging::init(cli.log_format);
    let runtime = tokio::runtime::Runtime::new()?;
    match cli.command {
        Command::Serve {
            listen,
            database_url,
            admin_token,
        } => runtime.block_on(federa_server::serve(
            federa_server::ServeConfig {
                listen,
                database_url,
                admin_token,
            },
            shutdown_signal(),
        )),
    }
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
