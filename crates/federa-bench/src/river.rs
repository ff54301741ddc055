//! The same no-op job count through River (Go), another established job
//! queue, on the same PostgreSQL server and on SQLite on the same disk: a
//! second outside yardstick for the job-cycle figure.
//!
//! The bench builds River's runner itself with the Go toolchain, fetching
//! the pinned modules from the Go module proxy, into a cache directory
//! outside the repository keyed by River's version and the runner's source
//! (`$XDG_CACHE_HOME/federa-bench`, else `~/.cache/federa-bench`), so later
//! runs start at once.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use crate::settings::Settings;

pub const VERSION: &str = "v0.51.2";
const SOURCE: &str = include_str!("../river/main.go");
const MODULES: [&str; 3] = [
    "github.com/riverqueue/river",
    "github.com/riverqueue/river/riverdriver/riverpgxv5",
    "github.com/riverqueue/river/riverdriver/riversqlite",
];
/// Bounds on building and on running, so a stuck download or runner cannot
/// hold the run.
const BUILD_LIMIT: Duration = Duration::from_secs(900);
const RUN_LIMIT_SECONDS: u64 = 120;

/// The runner, built on first use.
pub async fn runner() -> anyhow::Result<PathBuf> {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache")))
        .ok_or_else(|| anyhow::anyhow!("neither XDG_CACHE_HOME nor HOME is set"))?;
    let dir = cache
        .join("federa-bench")
        .join(format!("river-{VERSION}-{:016x}", fingerprint(SOURCE)));
    let binary = dir.join("river-bench");
    if binary.exists() {
        return Ok(binary);
    }
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("main.go"), SOURCE)?;
    let _ = std::fs::remove_file(dir.join("go.mod"));
    let pinned: Vec<String> = MODULES.iter().map(|m| format!("{m}@{VERSION}")).collect();
    let steps: [Vec<&str>; 4] = [
        vec!["mod", "init", "federa-river-bench"],
        ["get"]
            .into_iter()
            .chain(pinned.iter().map(String::as_str))
            .collect(),
        vec!["mod", "tidy"],
        vec!["build", "-o", "river-bench", "."],
    ];
    let build = async {
        for args in steps {
            let output = tokio::process::Command::new("go")
                .args(&args)
                .current_dir(&dir)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .kill_on_drop(true)
                .output()
                .await
                .map_err(|error| match error.kind() {
                    std::io::ErrorKind::NotFound => anyhow::anyhow!("go is not installed"),
                    _ => error.into(),
                })?;
            anyhow::ensure!(
                output.status.success(),
                "go {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(())
    };
    tokio::time::timeout(BUILD_LIMIT, build)
        .await
        .map_err(|_| anyhow::anyhow!("building River took over {} s", BUILD_LIMIT.as_secs()))??;
    Ok(binary)
}

/// River's jobs per second on `database` (`postgres://…` or `sqlite:PATH`):
/// `settings.jobs` jobs inserted one per transaction by as many producers as
/// the Federa run has consumers, worked by one client with as many workers
/// as Federa has agent instances.
pub async fn run(runner: &Path, database: &str, settings: &Settings) -> anyhow::Result<f64> {
    let mut river = tokio::process::Command::new(runner);
    river
        .arg(database)
        .arg(settings.jobs.to_string())
        .arg(settings.agents.to_string())
        .arg(settings.clients.min(16).to_string())
        .arg(RUN_LIMIT_SECONDS.to_string());
    crate::peer_run::jobs_per_second("River", river, settings.jobs, RUN_LIMIT_SECONDS).await
}

/// FNV-1a of `text`: names the cached build after the runner's source.
fn fingerprint(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}
