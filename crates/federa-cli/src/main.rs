//! The `federa` binary.

mod backup;
mod catalogue;
mod client;
mod demo;
mod logging;
mod serve_config;

use std::net::SocketAddr;

use clap::{FromArgMatches, Parser, Subcommand};

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
    #[command(flatten)]
    connection: client::Connection,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Participants: providers and consumers; `budget` shows how a
    /// consumer's monthly budget stands.
    Participants(client::BudgetHolderArgs),
    /// A consumer's projects (cost centres); `budget` shows how a
    /// project's monthly budget stands.
    Projects(client::BudgetHolderArgs),
    /// API tokens.
    Tokens(client::ResourceArgs),
    /// Service types: what can be ordered.
    ServiceTypes(client::ResourceArgs),
    /// Agent types.
    AgentTypes(client::ResourceArgs),
    /// People: users (admins keep them); `token-create` makes a personal token.
    Users(client::UsersArgs),
    /// Who belongs to a participant, with which role and projects.
    Memberships(client::ResourceArgs),
    /// Providers' agents; `install-command` prints how to install one.
    Agents(client::AgentsArgs),
    /// Consumers' service groups.
    ServiceGroups(client::ResourceArgs),
    /// Kinds of service options.
    ServiceOptionTypes(client::ResourceArgs),
    /// Providers' service options.
    ServiceOptions(client::ResourceArgs),
    /// Where a service would be placed, at what price, and why.
    Placement(client::PlacementArgs),
    /// Services: order, act, follow with --wait.
    #[command(after_help = client::SERVICE_ACTIONS_HELP)]
    Services(client::ServicesArgs),
    /// Jobs queued for agents (the exchange makes them; list and get).
    Jobs(client::ReadArgs),
    /// The audit log; `federa events tail` follows it.
    Events(client::EventsArgs),
    /// Kinds of metrics.
    MetricTypes(client::ResourceArgs),
    /// Metric entries.
    Metrics(client::ResourceArgs),
    /// A provider's groups of service pools.
    ServicePoolSets(client::ResourceArgs),
    /// Pools that fill service properties with exclusive values.
    ServicePools(client::ResourceArgs),
    /// The values of list pools.
    ServicePoolValues(client::ResourceArgs),
    /// Pools that fill agent configuration with exclusive values; global
    /// ones have no participant.
    ConfigPools(client::ResourceArgs),
    /// The values of config pools.
    ConfigPoolValues(client::ResourceArgs),
    /// Providers' jurisdictions, regions and certifications.
    ProviderProfiles(client::ResourceArgs),
    /// Service types offered by providers, with prices.
    Offerings(client::ResourceArgs),
    /// What a consumer owes for a period.
    Invoices(client::BillArgs),
    /// What a provider earns for a period.
    Statements(client::BillArgs),
    /// Placement rules a consumer always applies.
    PlacementPolicies(client::ResourceArgs),
    /// Services ordered together, in dependency order.
    Compositions(client::ResourceArgs),
    /// Switching a service to another provider with its data, and the
    /// report of how it went.
    Switches(client::SwitchesArgs),
    /// Signed webhooks: endpoints subscribed to event kinds (`create`
    /// prints the signing secret once) and their delivery logs.
    Webhooks(client::WebhooksArgs),
    /// Ordering one service with a binding quote, and accepting,
    /// approving or cancelling it.
    Orders(client::OrdersArgs),
    /// Who the token is: its role, participant and agent.
    Whoami,
    /// Catalogue files: `federa catalogue apply catalogue/demo`.
    #[command(subcommand)]
    Catalogue(CatalogueCommand),
    /// Print a shell completion script, e.g. `federa completions bash`.
    Completions { shell: clap_complete::Shell },
    /// Run an agent next to a provider's infrastructure.
    Agent {
        /// The agent's configuration file (TOML).
        #[arg(long, env = "FEDERA_AGENT_CONFIG")]
        config: std::path::PathBuf,
        /// Install first, from an install command's URL: download the
        /// configuration to --config and trade the URL's one-time credential
        /// for the agent's token (kept in `token_file`, by default beside
        /// the configuration). Skipped when the agent is installed already.
        #[arg(long, value_name = "URL")]
        install: Option<String>,
        /// The bootstrap token an install command carries; the installer
        /// sends it as the bearer of its requests.
        /// Its value may begin with `-` (a random token's first character).
        #[arg(
            long,
            value_name = "TOKEN",
            requires = "install",
            hide_env_values = true,
            allow_hyphen_values = true
        )]
        install_token: Option<String>,
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
        #[arg(long, env = "FEDERA_LISTEN", default_value = "127.0.0.1:3000")]
        listen: SocketAddr,
    },
    /// Copy an embedded SQLite database and its vault key while the
    /// exchange runs (for PostgreSQL it says how to use pg_dump).
    Backup {
        #[arg(
            long,
            env = "FEDERA_DATABASE_URL",
            default_value = "sqlite:federa-data/federa.db"
        )]
        database_url: String,
        /// An empty (or new) directory for the copy.
        #[arg(long)]
        to: std::path::PathBuf,
    },
    /// Run the exchange: REST API, health, metrics.
    Serve {
        /// Settings in a TOML file (`listen = "…"`, `database_url = "…"`, …);
        /// flags and environment variables override it.
        #[arg(long, value_name = "FILE")]
        config: Option<std::path::PathBuf>,
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
        #[command(flatten)]
        database_timeouts: DatabaseTimeoutArgs,
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
        /// Seconds an agent may stay silent (no call of any kind) before it
        /// is marked Disconnected and placement passes it by. The default
        /// tolerates agents that report their status once a minute.
        #[arg(long, env = "FEDERA_AGENT_TIMEOUT_SECONDS", default_value_t = 180, value_parser = clap::value_parser!(u32).range(1..))]
        agent_timeout_seconds: u32,
        /// File holding the key that seals secret properties (32 bytes as
        /// base64 or hex). `FEDERA_VAULT_KEY` gives the key itself instead.
        /// Without either, a SQLite database gets `vault.key` beside it.
        #[arg(long, env = "FEDERA_VAULT_KEY_FILE")]
        vault_key_file: Option<std::path::PathBuf>,
        /// The root URL agents' installers reach this server at, used in
        /// install commands. Without it, the Host of the request is used.
        #[arg(long, env = "FEDERA_PUBLIC_URL")]
        public_url: Option<String>,
        /// Accept bearer JWTs signed by this OpenID Connect issuer (its keys
        /// are found through `/.well-known/openid-configuration`).
        #[arg(long, env = "FEDERA_OIDC_ISSUER")]
        oidc_issuer: Option<String>,
        /// Audience the issuer's JWTs must name in `aud`; also the client
        /// whose `resource_access` roles are read.
        #[arg(long, env = "FEDERA_OIDC_AUDIENCE", requires = "oidc_issuer")]
        oidc_audience: Option<String>,
        /// The issuer's public client (authorization code with PKCE, redirect
        /// URI `<public URL>/console/`) the web console signs people in as.
        #[arg(long, env = "FEDERA_OIDC_CONSOLE_CLIENT_ID", requires = "oidc_issuer")]
        oidc_console_client_id: Option<String>,
        /// Seconds a JWT is still accepted past its `exp` or before its
        /// `nbf`, for clocks that disagree.
        #[arg(long, env = "FEDERA_OIDC_LEEWAY_SECONDS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(0..=300))]
        oidc_leeway_seconds: u64,
        /// A reverse proxy (CIDR block or address) whose X-Forwarded-For
        /// names the client, for limits kept per client; repeatable.
        #[arg(
            long = "trusted-proxy",
            env = "FEDERA_TRUSTED_PROXIES",
            value_delimiter = ','
        )]
        trusted_proxies: Vec<String>,
        /// Client connections open at once; past it the oldest idle one is
        /// closed to make room. By default 10,000, lowered to fit the
        /// open-file limit.
        #[arg(long, env = "FEDERA_MAX_CONNECTIONS", value_parser = clap::value_parser!(u32).range(1..))]
        max_connections: Option<u32>,
        /// Seconds a connection may take to send a request head, or sit idle
        /// between requests, before it is closed.
        #[arg(long, env = "FEDERA_HEADER_READ_TIMEOUT_SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
        header_read_timeout_seconds: u32,
        /// Seconds a shutdown waits for requests in progress (long-polls,
        /// event streams) before closing their connections.
        #[arg(long, env = "FEDERA_SHUTDOWN_SECONDS", default_value_t = 20)]
        shutdown_seconds: u32,
        /// The most a service's properties (and an agent's instance data)
        /// may weigh, in bytes of JSON.
        #[arg(long, env = "FEDERA_MAX_PROPERTIES_BYTES", default_value_t = 65536, value_parser = clap::value_parser!(u32).range(1024..=1048576))]
        max_properties_bytes: u32,
        /// The longest an admin or participant token may live, in days.
        #[arg(long, env = "FEDERA_MAX_TOKEN_DAYS", default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=36500))]
        max_token_days: u32,
        /// The longest an agent token may live, in days.
        #[arg(long, env = "FEDERA_MAX_AGENT_TOKEN_DAYS", default_value_t = 366, value_parser = clap::value_parser!(u32).range(1..=36500))]
        max_agent_token_days: u32,
        /// Seconds an agent's install command and its bootstrap token live.
        #[arg(long, env = "FEDERA_AGENT_INSTALL_TTL_SECONDS", default_value_t = 300, value_parser = clap::value_parser!(u32).range(1..))]
        agent_install_ttl_seconds: u32,
        /// Hours an order's quote binds the exchange before it expires.
        #[arg(long, env = "FEDERA_QUOTE_VALIDITY_HOURS", default_value_t = 24, value_parser = clap::value_parser!(u32).range(1..=8760))]
        quote_validity_hours: u32,
    },
}

/// How long PostgreSQL lets one of the exchange's sessions wait or stall
/// (ignored on SQLite). Their sum bounds every request: past it, 503.
#[derive(clap::Args)]
struct DatabaseTimeoutArgs {
    /// Milliseconds one statement may run.
    #[arg(long, env = "FEDERA_DATABASE_STATEMENT_TIMEOUT_MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    database_statement_timeout_ms: u64,
    /// Milliseconds a statement may wait for a lock another session holds.
    #[arg(long, env = "FEDERA_DATABASE_LOCK_TIMEOUT_MS", default_value_t = 3_000, value_parser = clap::value_parser!(u64).range(1..))]
    database_lock_timeout_ms: u64,
    /// Milliseconds a session may stay idle inside a transaction before
    /// PostgreSQL ends it and releases its locks.
    #[arg(long, env = "FEDERA_DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS", default_value_t = 5_000, value_parser = clap::value_parser!(u64).range(1..))]
    database_idle_in_transaction_timeout_ms: u64,
}

impl From<DatabaseTimeoutArgs> for federa_store::DatabaseTimeouts {
    fn from(args: DatabaseTimeoutArgs) -> Self {
        let millis = std::time::Duration::from_millis;
        federa_store::DatabaseTimeouts {
            statement: millis(args.database_statement_timeout_ms),
            lock: millis(args.database_lock_timeout_ms),
            idle_in_transaction: millis(args.database_idle_in_transaction_timeout_ms),
        }
    }
}

#[derive(Subcommand)]
enum CatalogueCommand {
    /// Create or change the service types, metric types and agent types of
    /// the JSON files under DIR (an admin's token); running it again
    /// changes nothing.
    Apply { dir: std::path::PathBuf },
}

fn main() -> std::process::ExitCode {
    // Before parsing, so that the file's settings stand in as variables.
    let args: Vec<String> = std::env::args().collect();
    if let Err(message) = serve_config::apply(&args) {
        eprintln!("error: --config: {message}");
        return std::process::ExitCode::from(2);
    }
    let cli = match Cli::from_arg_matches(&command().get_matches()) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };
    logging::init(cli.log_format);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: {error}");
            return std::process::ExitCode::from(3);
        }
    };
    // Signal handlers are installed when a command asks for them, before it
    // runs, which needs the runtime's context.
    let _runtime_context = runtime.enter();
    let connection = &cli.connection;
    let resource = |name: &'static str, args| {
        runtime.block_on(async {
            client::finish(client::resource(connection, name, args).await).await
        })
    };
    match cli.command {
        Command::Participants(args) => runtime.block_on(async {
            client::finish(client::budget_holders(connection, "participants", args).await).await
        }),
        Command::Projects(args) => runtime.block_on(async {
            client::finish(client::budget_holders(connection, "projects", args).await).await
        }),
        Command::Tokens(args) => resource("tokens", args),
        Command::ServiceTypes(args) => resource("service-types", args),
        Command::AgentTypes(args) => resource("agent-types", args),
        Command::Agents(args) => {
            runtime.block_on(async { client::finish(client::agents(connection, args).await).await })
        }
        Command::Users(args) => {
            runtime.block_on(async { client::finish(client::users(connection, args).await).await })
        }
        Command::Memberships(args) => resource("memberships", args),
        Command::ServiceGroups(args) => resource("service-groups", args),
        Command::ServiceOptionTypes(args) => resource("service-option-types", args),
        Command::ServiceOptions(args) => resource("service-options", args),
        Command::Jobs(args) => runtime.block_on(async {
            client::finish(client::read_only(connection, "jobs", args).await).await
        }),
        Command::Events(args) => {
            runtime.block_on(async { client::finish(client::events(connection, args).await).await })
        }
        Command::MetricTypes(args) => resource("metric-types", args),
        Command::Metrics(args) => resource("metrics", args),
        Command::ServicePoolSets(args) => resource("service-pool-sets", args),
        Command::ServicePools(args) => resource("service-pools", args),
        Command::ServicePoolValues(args) => resource("service-pool-values", args),
        Command::ConfigPools(args) => resource("config-pools", args),
        Command::ConfigPoolValues(args) => resource("config-pool-values", args),
        Command::ProviderProfiles(args) => resource("provider-profiles", args),
        Command::Offerings(args) => resource("offerings", args),
        Command::PlacementPolicies(args) => resource("placement-policies", args),
        Command::Compositions(args) => resource("compositions", args),
        Command::Invoices(args) => runtime.block_on(async {
            client::finish(client::bill(connection, client::Bill::Invoice, args).await).await
        }),
        Command::Statements(args) => runtime.block_on(async {
            client::finish(client::bill(connection, client::Bill::Statement, args).await).await
        }),
        Command::Placement(args) => runtime
            .block_on(async { client::finish(client::placement(connection, args).await).await }),
        Command::Services(args) => runtime
            .block_on(async { client::finish(client::services(connection, args).await).await }),
        Command::Webhooks(args) => runtime
            .block_on(async { client::finish(client::webhooks(connection, args).await).await }),
        Command::Switches(args) => runtime
            .block_on(async { client::finish(client::switches(connection, args).await).await }),
        Command::Orders(args) => {
            runtime.block_on(async { client::finish(client::orders(connection, args).await).await })
        }
        Command::Catalogue(CatalogueCommand::Apply { dir }) => runtime.block_on(async {
            client::finish(client::apply_catalogue(connection, &dir).await).await
        }),
        Command::Whoami => {
            runtime.block_on(async { client::finish(client::whoami(connection).await).await })
        }
        Command::Completions { shell } => {
            let mut command = command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut command, "federa", &mut script);
            // A reader that stops early (`| head`) is no error.
            let _ = std::io::Write::write_all(&mut std::io::stdout(), &script);
            std::process::ExitCode::SUCCESS
        }
        Command::Agent {
            config,
            install,
            install_token,
        } => {
            let outcome = runtime.block_on(async {
                if let Some(url) = install {
                    federa_agent::install::install(&config, &url, install_token.as_deref()).await?;
                }
                run_agent(config).await
            });
            match outcome {
                Err(error) if error.is::<federa_agent::credentials::CredentialRefused>() => {
                    eprintln!("error: {error:#}");
                    std::process::ExitCode::from(federa_agent::credentials::REFUSED_EXIT_CODE)
                }
                outcome => exit(outcome),
            }
        }
        Command::KvStore { port, dir, host } => exit(runtime.block_on(
            federa_agent::kv_store::serve(dir, SocketAddr::new(host, port)),
        )),
        Command::StaticSite { port, dir, host } => exit(runtime.block_on(
            federa_agent::static_site::serve(dir, SocketAddr::new(host, port)),
        )),
        Command::Backup { database_url, to } => {
            exit(runtime.block_on(backup::run(&database_url, &to)))
        }
        Command::Demo { listen } => exit(runtime.block_on(demo::run(listen, shutdown_signal()))),
        Command::Serve {
            config: _,
            listen,
            database_url,
            database_timeouts,
            admin_token,
            job_lease_seconds,
            job_max_attempts,
            agent_timeout_seconds,
            vault_key_file,
            public_url,
            oidc_issuer,
            oidc_audience,
            oidc_console_client_id,
            oidc_leeway_seconds,
            trusted_proxies,
            max_connections,
            header_read_timeout_seconds,
            shutdown_seconds,
            max_properties_bytes,
            max_token_days,
            max_agent_token_days,
            agent_install_ttl_seconds,
            quote_validity_hours,
        } => {
            let trusted_proxies =
                match federa_server::client_address::parse_trusted(&trusted_proxies) {
                    Ok(trusted) => trusted,
                    Err(message) => {
                        eprintln!("error: --trusted-proxy: {message}");
                        return std::process::ExitCode::from(2);
                    }
                };
            exit(runtime.block_on(federa_server::serve(
                federa_server::ServeConfig {
                    listen,
                    database_url,
                    database_timeouts: database_timeouts.into(),
                    admin_token,
                    lease: federa_domain::provisioning::LeasePolicy {
                        duration: chrono::Duration::seconds(i64::from(job_lease_seconds)),
                        max_attempts: job_max_attempts,
                    },
                    // Lapsed claims are found within a tenth of a lease.
                    sweep_interval: std::time::Duration::from_secs(
                        u64::from(job_lease_seconds / 10).clamp(1, 30),
                    ),
                    liveness: federa_domain::catalogue::Liveness {
                        timeout: chrono::Duration::seconds(i64::from(agent_timeout_seconds)),
                    },
                    vault_key: federa_server::VaultKeyConfig::from_env(vault_key_file),
                    public_url,
                    oidc: oidc_issuer.map(|issuer| federa_server::oidc::OidcConfig {
                        console_client_id: oidc_console_client_id,
                        leeway: std::time::Duration::from_secs(oidc_leeway_seconds),
                        ..federa_server::oidc::OidcConfig::new(issuer, oidc_audience)
                    }),
                    trusted_proxies,
                    connections: federa_server::connections::ConnectionLimits {
                        max_connections: max_connections.map(|max| max as usize),
                        header_read_timeout: std::time::Duration::from_secs(u64::from(
                            header_read_timeout_seconds,
                        )),
                        shutdown_deadline: std::time::Duration::from_secs(u64::from(
                            shutdown_seconds,
                        )),
                    },
                    token_lifetimes: federa_domain::token::TokenLifetimes {
                        admin: chrono::Duration::days(i64::from(max_token_days)),
                        participant: chrono::Duration::days(i64::from(max_token_days)),
                        agent: chrono::Duration::days(i64::from(max_agent_token_days)),
                    },
                    max_properties_bytes: max_properties_bytes as usize,
                    agent_install_ttl: chrono::Duration::seconds(i64::from(
                        agent_install_ttl_seconds,
                    )),
                    quote_validity: chrono::Duration::hours(i64::from(quote_validity_hours)),
                },
                shutdown_signal(),
            )))
        }
    }
}

/// Commands that are not clients of an exchange, where the client flags
/// (`--url`, `--token`, …) mean nothing and are left out of the help.
const NOT_CLIENTS: &[&str] = &[
    "serve",
    "demo",
    "agent",
    "backup",
    "completions",
    "static-site",
    "kv-store",
];

/// The command line, with the client flags hidden where they mean nothing.
fn command() -> clap::Command {
    let command = <Cli as clap::CommandFactory>::command();
    let client_flags: Vec<clap::Arg> = command
        .get_arguments()
        .filter(|arg| client::CLIENT_FLAGS.contains(&arg.get_id().as_str()))
        .cloned()
        .collect();
    // A subcommand that has an argument of a global's id does not receive
    // the global, so hidden local copies keep the global ones out of its
    // help (and take whatever is given there, unused).
    NOT_CLIENTS.iter().fold(command, |command, name| {
        command.mut_subcommand(name, |subcommand| {
            client_flags.iter().fold(subcommand, |subcommand, flag| {
                subcommand.arg(flag.clone().global(false).hide(true))
            })
        })
    })
}

/// The exit code of a long-running command.
fn exit(outcome: anyhow::Result<()>) -> std::process::ExitCode {
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
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
        federa_agent::DriverConfig::Libvirt(libvirt) => libvirt_driver(libvirt)?,
        federa_agent::DriverConfig::OpenStack(openstack) => openstack_driver(openstack).await?,
        federa_agent::DriverConfig::Kubernetes(kubernetes) => kubernetes_driver(kubernetes).await?,
    };
    federa_agent::run(config, driver, shutdown_signal()).await
}

#[cfg(feature = "libvirt")]
fn libvirt_driver(
    config: &federa_agent::LibvirtConfig,
) -> anyhow::Result<std::sync::Arc<dyn federa_agent::Driver>> {
    Ok(std::sync::Arc::new(
        federa_agent::libvirt::LibvirtDriver::open(config)?,
    ))
}

#[cfg(not(feature = "libvirt"))]
fn libvirt_driver(
    _config: &federa_agent::LibvirtConfig,
) -> anyhow::Result<std::sync::Arc<dyn federa_agent::Driver>> {
    anyhow::bail!(
        "this federa was built without the libvirt driver; build it with \
         `cargo build -p federa-cli --features libvirt` (needs libvirt's development files)"
    )
}

#[cfg(feature = "openstack")]
async fn openstack_driver(
    config: &federa_agent::OpenStackConfig,
) -> anyhow::Result<std::sync::Arc<dyn federa_agent::Driver>> {
    Ok(std::sync::Arc::new(
        federa_agent::openstack::OpenStackDriver::open(config).await?,
    ))
}

#[cfg(not(feature = "openstack"))]
async fn openstack_driver(
    _config: &federa_agent::OpenStackConfig,
) -> anyhow::Result<std::sync::Arc<dyn federa_agent::Driver>> {
    anyhow::bail!(
        "this federa was built without the openstack driver; build it with \
         `cargo build -p federa-cli --features openstack`"
    )
}

#[cfg(feature = "kubernetes")]
async fn kubernetes_driver(
    config: &federa_agent::KubernetesConfig,
) -> anyhow::Result<std::sync::Arc<dyn federa_agent::Driver>> {
    Ok(std::sync::Arc::new(
        federa_agent::kubernetes::KubernetesDriver::connect(config).await?,
    ))
}

#[cfg(not(feature = "kubernetes"))]
async fn kubernetes_driver(
    _config: &federa_agent::KubernetesConfig,
) -> anyhow::Result<std::sync::Arc<dyn federa_agent::Driver>> {
    anyhow::bail!(
        "this federa was built without the kubernetes driver; build it with \
         `cargo build -p federa-cli --features kubernetes`"
    )
}

/// Resolves on SIGINT or SIGTERM. The handlers are installed now, not when
/// the future is first polled: a server polls it only once it serves, and a
/// SIGTERM that came between would end the process uncleanly.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let (interrupt, terminate) = {
        use tokio::signal::unix::{signal, SignalKind};
        (
            signal(SignalKind::interrupt()).ok(),
            signal(SignalKind::terminate()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let arrives = |stream: Option<tokio::signal::unix::Signal>| async move {
                match stream {
                    Some(mut stream) => {
                        stream.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = arrives(interrupt) => {},
                _ = arrives(terminate) => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutdown requested");
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::{Cli, Command};

    /// An install token is random URL-safe base64: one in 64 begins with `-`.
    #[test]
    fn an_install_token_beginning_with_a_dash_is_taken_as_the_token() {
        let cli = Cli::try_parse_from([
            "federa",
            "agent",
            "--install",
            "http://127.0.0.1:1/api/v1/agents/install/x/config",
            "--install-token",
            "-sAhfbAIVleut",
            "--config",
            "agent.toml",
        ])
        .expect("parsed");
        let Command::Agent { install_token, .. } = cli.command else {
            panic!("not the agent command");
        };
        assert_eq!(install_token.as_deref(), Some("-sAhfbAIVleut"));
    }
}
