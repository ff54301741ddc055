//! Running an outside job queue's runner (graphile-worker, River): each
//! prints one JSON line, `{"jobs": n, "seconds": s}`, timed from its first
//! add to its last completion.

use std::time::Duration;

/// The line a runner prints.
#[derive(serde::Deserialize)]
struct RunnerResult {
    jobs: f64,
    seconds: f64,
}

/// Runs `command` for at most `limit_seconds` (plus a minute to start and
/// stop) and returns its jobs per second, requiring all `expected` jobs.
pub async fn jobs_per_second(
    name: &str,
    mut command: tokio::process::Command,
    expected: usize,
    limit_seconds: u64,
) -> anyhow::Result<f64> {
    let run = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .output();
    let limit = Duration::from_secs(limit_seconds + 60);
    let output = tokio::time::timeout(limit, run)
        .await
        .map_err(|_| anyhow::anyhow!("{name} did not finish in {} s", limit.as_secs()))??;
    anyhow::ensure!(
        output.status.success(),
        "{name} run failed: {}",
        String::from_utf8_lossy(&output.stderr).trim()
    );
    let RunnerResult { jobs, seconds } = serde_json::from_slice(&output.stdout)?;
    anyhow::ensure!(
        jobs as usize == expected,
        "only {jobs} of {expected} jobs ran within {limit_seconds} s"
    );
    Ok(jobs / seconds.max(1e-9))
}
