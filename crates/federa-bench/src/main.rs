//! `federa-bench`: starts real `federa serve` processes, drives them over
//! loopback HTTP with simulated consumers and agents, and prints figures
//! next to the machine's own ceilings measured in the same run.
//!
//! ```sh
//! cargo build --release -p federa-cli -p federa-bench
//! ./target/release/federa-bench [--postgres-url postgres://…] [--jobs 2000]
//! ```

mod backlog;
mod database;
mod finish_batches;
mod graphile;
mod ingest;
mod job_steps;
mod peer_run;
mod probes;
mod river;
mod round_trips;
mod scaling;
mod scenarios;
mod settings;
mod stats;

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use federa_testkit::{Api, ADMIN_TOKEN};
use tokio::io::{AsyncBufReadExt, BufReader};

#[derive(Parser)]
#[command(about = "Measure Federa's hot paths against this machine's limits")]
struct Args {
    /// A PostgreSQL server to measure on as well (a fresh database is made).
    #[arg(long, env = "FEDERA_BENCH_POSTGRES_URL")]
    postgres_url: Option<String>,
    /// Job cycles to run per backend.
    #[arg(long, default_value_t = 2000)]
    jobs: usize,
    /// Concurrent agent instances draining the queue.
    #[arg(long, default_value_t = 8)]
    agents: usize,
    /// Concurrent HTTP clients for the request-rate figures.
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// Idle long-poll connections for the memory figure.
    #[arg(long, default_value_t = 1000)]
    idle_polls: usize,
    /// Metric entries to ingest per backend through the batch endpoint.
    #[arg(long, default_value_t = 100_000)]
    metric_entries: usize,
    /// Entries per `POST /metric-entries/batch`.
    #[arg(long, default_value_t = 1000)]
    metric_batch: usize,
    /// Concurrent agents reporting metric entries.
    #[arg(long, default_value_t = 4)]
    metric_agents: usize,
    /// Largest services/jobs table size for the claim and list costs
    /// (sizes go 1k, 10k, 100k, 1M up to this).
    #[arg(long, default_value_t = 100_000)]
    scale_max: usize,
    /// Also run the same job count through graphile-worker (installed from
    /// npm into a scratch directory) on the PostgreSQL server.
    #[arg(long)]
    graphile: bool,
    /// Also run the same job count through River (Go; built once with the
    /// Go toolchain into a cache outside the repository) on SQLite and on
    /// the PostgreSQL server.
    #[arg(long)]
    river: bool,
    /// Measure only finishing jobs one per request against in batches
    /// (beside the baselines).
    #[arg(long)]
    finish_only: bool,
    /// Measure only the statements per job cycle and the job cycles (with
    /// the peers asked for), beside the baselines.
    #[arg(long)]
    cycles_only: bool,
    /// With `--cycles-only`, also the claim cost by pending backlog.
    #[arg(long)]
    backlog_too: bool,
    /// Measure only the memory of idle long-polls (`--idle-polls` of them)
    /// on a server that has run 200 job cycles.
    #[arg(long)]
    polls_only: bool,
    /// The `federa` binary (default: next to this program).
    #[arg(long)]
    federa: Option<PathBuf>,
}

pub struct Server {
    child: tokio::process::Child,
    pub api: Api,
}

impl Server {
    async fn start(binary: &std::path::Path, database_url: &str) -> anyhow::Result<Server> {
        Self::spawn(binary, database_url, None).await
    }

    /// A server that logs every statement it runs, each counted in
    /// `statements` as its log line arrives.
    async fn start_logging_statements(
        binary: &std::path::Path,
        database_url: &str,
        statements: Arc<AtomicU64>,
    ) -> anyhow::Result<Server> {
        Self::spawn(binary, database_url, Some(statements)).await
    }

    async fn spawn(
        binary: &std::path::Path,
        database_url: &str,
        statements: Option<Arc<AtomicU64>>,
    ) -> anyhow::Result<Server> {
        let mut command = tokio::process::Command::new(binary);
        command
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--database-url",
                database_url,
            ])
            .env("FEDERA_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("FEDERA_VAULT_KEY", federa_testkit::vault_key_hex())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        if statements.is_some() {
            // JSON keeps each statement, however many lines its SQL spans,
            // on one log line.
            command
                .args(["--log-format", "json"])
                .env("RUST_LOG", "warn,sqlx::query=debug")
                .stderr(Stdio::piped());
        }
        let mut child = command.spawn()?;
        if let (Some(counted), Some(stderr)) = (statements, child.stderr.take()) {
            // Kept for reading which statements a cycle runs.
            let mut kept = std::env::var_os("FEDERA_BENCH_STATEMENT_LOG")
                .and_then(|path| std::fs::File::create(path).ok());
            tokio::spawn(async move {
                let mut lines = BufReader::new(stderr).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    if line.contains("\"target\":\"sqlx::query\"") {
                        counted.fetch_add(1, Ordering::Relaxed);
                        if let Some(file) = kept.as_mut() {
                            use std::io::Write;
                            let _ = writeln!(file, "{line}");
                        }
                    }
                }
            });
        }
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let base = tokio::time::timeout(Duration::from_secs(60), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(url) = line.strip_prefix("Federa is listening on ") {
                    return Some(url.to_string());
                }
            }
            None
        })
        .await?
        .ok_or_else(|| anyhow::anyhow!("federa serve did not start"))?;
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Server {
            child,
            api: Api::remote(&base),
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id().unwrap_or(0)
    }

    /// Stops the server and waits until it has exited: a SQLite database
    /// takes its next server only once the last one is gone.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let binary = match &args.federa {
        Some(path) => path.clone(),
        None => std::env::current_exe()?.with_file_name("federa"),
    };
    anyhow::ensure!(
        binary.exists(),
        "no federa binary at {} (build it, or pass --federa)",
        binary.display()
    );
    let dir = tempfile::tempdir()?;
    println!(
        "federa-bench: {} cores, jobs {}, agents {}, clients {}",
        cores(),
        args.jobs,
        args.agents,
        args.clients
    );
    println!();
    println!("Baselines");
    let sqlite_commits = probes::sqlite_commit_rate(dir.path(), 2000).await?;
    println!("  SQLite single-row commits/s (WAL, synchronous=NORMAL) {sqlite_commits:>12.0}");
    let mut postgres = None;
    if let Some(url) = &args.postgres_url {
        let commits = probes::postgres_commit_rate(url, 2000).await?;
        println!("  PostgreSQL single-row commits/s (one connection)       {commits:>12.0}");
        match probes::pgbench(url, 10) {
            Some((rw, ro)) => println!(
                "  pgbench TPS read-write / read-only (8 clients)          {rw:>12.0} / {ro:.0}"
            ),
            None => {
                println!("  pgbench                                                  not available")
            }
        }
        postgres = Some((url.clone(), commits));
    }

    let settings = args.settings();
    if args.polls_only {
        let sqlite = database::Database::Sqlite(dir.path().join("federa.db"));
        scenarios::run_long_polls(&binary, "SQLite", &sqlite, &settings).await?;
        if let Some((url, _)) = postgres {
            let database =
                database::Database::Postgres(database::fresh_postgres_database(&url).await?);
            scenarios::run_long_polls(&binary, "PostgreSQL", &database, &settings).await?;
        }
        return Ok(());
    }
    if args.finish_only {
        let sqlite = database::Database::Sqlite(dir.path().join("federa.db"));
        scenarios::run_finish_batches(&binary, "SQLite", &sqlite, sqlite_commits, &settings)
            .await?;
        if let Some((url, commits)) = postgres {
            let database =
                database::Database::Postgres(database::fresh_postgres_database(&url).await?);
            scenarios::run_finish_batches(&binary, "PostgreSQL", &database, commits, &settings)
                .await?;
        }
        return Ok(());
    }
    let river = if args.river {
        Some(river::runner().await)
    } else {
        None
    };
    let sqlite = database::Database::Sqlite(dir.path().join("federa.db"));
    let sqlite_cycles =
        scenarios::run_backend(&binary, "SQLite", &sqlite, sqlite_commits, &settings).await?;
    if let Some(runner) = &river {
        println!();
        println!("River {} (SQLite, same disk)", river::VERSION);
        let database = format!("sqlite:{}", dir.path().join("river.db").display());
        report_peer(runner, &database, &settings, sqlite_cycles).await;
    }
    if let Some((url, commits)) = postgres {
        let database = database::Database::Postgres(database::fresh_postgres_database(&url).await?);
        let cycles =
            scenarios::run_backend(&binary, "PostgreSQL", &database, commits, &settings).await?;
        if args.graphile {
            println!();
            println!("graphile-worker {} (same PostgreSQL)", graphile::VERSION);
            let scratch = database::fresh_postgres_database(&url).await?;
            match graphile::run(dir.path(), &scratch, &settings).await {
                Ok(theirs) => println!(
                    "  jobs/s (add → run no-op, {} workers):        {theirs:>10.0}   Federa job cycles/s = {:.2} × this",
                    settings.agents,
                    cycles / theirs
                ),
                Err(skipped) => println!("  skipped: {skipped:#}"),
            }
        }
        if let Some(runner) = &river {
            println!();
            println!("River {} (same PostgreSQL)", river::VERSION);
            let scratch = database::fresh_postgres_database(&url).await?;
            report_peer(runner, &scratch, &settings, cycles).await;
        }
    } else if args.graphile || args.river {
        println!();
        println!("graphile-worker and River on PostgreSQL: skipped, they need --postgres-url");
    }
    Ok(())
}

/// River's figure on `database` beside Federa's `cycles`, or why it was
/// skipped.
async fn report_peer(
    runner: &anyhow::Result<PathBuf>,
    database: &str,
    settings: &settings::Settings,
    cycles: f64,
) {
    let outcome = match runner {
        Ok(runner) => river::run(runner, database, settings).await,
        Err(error) => Err(anyhow::anyhow!("{error:#}")),
    };
    match outcome {
        Ok(theirs) => println!(
            "  jobs/s (insert → work no-op, {} workers):    {theirs:>10.0}   Federa job cycles/s = {:.2} × this",
            settings.agents,
            cycles / theirs
        ),
        Err(skipped) => println!("  skipped: {skipped:#}"),
    }
}

impl Args {
    fn settings(&self) -> settings::Settings {
        settings::Settings {
            jobs: self.jobs,
            agents: self.agents,
            clients: self.clients,
            idle_polls: self.idle_polls,
            metric_entries: self.metric_entries,
            metric_batch: self.metric_batch.clamp(1, 5000),
            metric_agents: self.metric_agents.max(1),
            scale_sizes: scaling::sizes(self.scale_max),
            cycles_only: self.cycles_only,
            backlog_too: self.backlog_too,
        }
    }
}

fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}
