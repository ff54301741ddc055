//! The same no-op job count through graphile-worker, an established
//! PostgreSQL job queue, on the same server: an outside yardstick for the
//! job-cycle figure.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use crate::settings::Settings;

/// Pinned so runs compare; the current release (0.18) needs Node 22.18.
pub const VERSION: &str = "0.16.6";
const SCRIPT: &str = include_str!("../graphile/run.js");
/// Bounds on installing and on running, so a stuck npm or worker cannot
/// hold the run.
const INSTALL_LIMIT: Duration = Duration::from_secs(300);
const RUN_LIMIT_SECONDS: u64 = 120;

/// graphile-worker's jobs per second: `settings.jobs` jobs added one per
/// transaction by as many producers as the Federa run has consumers, run by
/// one worker with as many concurrent slots as Federa has agent instances.
pub async fn run(scratch: &Path, database_url: &str, settings: &Settings) -> anyhow::Result<f64> {
    let dir = scratch.join("graphile-worker");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("package.json"), r#"{"private": true}"#)?;
    std::fs::write(dir.join("run.js"), SCRIPT)?;
    let install = tokio::process::Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            &format!("graphile-worker@{VERSION}"),
        ])
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let installed = match tokio::time::timeout(INSTALL_LIMIT, install).await {
        Err(_) => anyhow::bail!("npm install took over {} s", INSTALL_LIMIT.as_secs()),
        Ok(Err(error)) if error.kind() == std::io::ErrorKind::NotFound => {
            anyhow::bail!("npm is not installed")
        }
        Ok(result) => result?,
    };
    anyhow::ensure!(
        installed.status.success(),
        "npm install failed: {}",
        String::from_utf8_lossy(&installed.stderr).trim()
    );

    let mut worker = tokio::process::Command::new("node");
    worker
        .arg("run.js")
        .arg(database_url)
        .arg(settings.jobs.to_string())
        .arg(settings.agents.to_string())
        .arg(settings.clients.min(16).to_string())
        .arg(RUN_LIMIT_SECONDS.to_string())
        .current_dir(&dir);
    crate::peer_run::jobs_per_second("graphile-worker", worker, settings.jobs, RUN_LIMIT_SECONDS)
        .await
}
