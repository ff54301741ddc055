//! Baselines measured first, on the same machine and in the same run.

use std::time::{Duration, Instant};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::ConnectOptions;

use crate::stats::per_second;

/// Single-row commits per second on SQLite with Federa's pragmas (WAL,
/// `synchronous = NORMAL`): the ceiling for one-transaction-per-job work.
pub async fn sqlite_commit_rate(dir: &std::path::Path, commits: usize) -> anyhow::Result<f64> {
    let mut connection = SqliteConnectOptions::new()
        .filename(dir.join("probe.db"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .connect()
        .await?;
    sqlx::query("CREATE TABLE probe (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        .execute(&mut connection)
        .await?;
    let started = Instant::now();
    for n in 0..commits {
        sqlx::query("INSERT INTO probe (body) VALUES ($1)")
            .bind(format!("row {n}"))
            .execute(&mut connection)
            .await?;
    }
    Ok(per_second(commits, started.elapsed()))
}

/// Single-row commits per second on PostgreSQL from one connection, into a
/// logged table (a temporary one would skip the WAL and flatter the figure).
pub async fn postgres_commit_rate(url: &str, commits: usize) -> anyhow::Result<f64> {
    use sqlx::Connection;
    let mut connection = sqlx::PgConnection::connect(url).await?;
    let table = format!("federa_probe_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!(
        "CREATE TABLE {table} (id BIGSERIAL PRIMARY KEY, body TEXT NOT NULL)"
    ))
    .execute(&mut connection)
    .await?;
    let insert = format!("INSERT INTO {table} (body) VALUES ($1)");
    let started = Instant::now();
    for n in 0..commits {
        sqlx::query(&insert)
            .bind(format!("row {n}"))
            .execute(&mut connection)
            .await?;
    }
    let rate = per_second(commits, started.elapsed());
    sqlx::query(&format!("DROP TABLE {table}"))
        .execute(&mut connection)
        .await?;
    Ok(rate)
}

/// `pgbench` read-write and read-only TPS, when the tool is installed.
pub fn pgbench(url: &str, seconds: u32) -> Option<(f64, f64)> {
    let run = |args: &[&str]| -> Option<String> {
        let output = std::process::Command::new("pgbench")
            .args(args)
            .arg(url)
            .output()
            .ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).to_string())
    };
    run(&["-i", "-q", "-s", "4"])?;
    let duration = seconds.to_string();
    let tps = |text: String| -> Option<f64> {
        text.lines()
            .find(|l| l.starts_with("tps"))?
            .split_whitespace()
            .nth(2)?
            .parse()
            .ok()
    };
    let read_write = tps(run(&["-c", "8", "-j", "2", "-T", &duration])?)?;
    let read_only = tps(run(&["-S", "-c", "8", "-j", "2", "-T", &duration])?)?;
    Some((read_write, read_only))
}

/// Resident memory of a process, from `/proc`.
pub fn rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib: u64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kib * 1024)
}

pub async fn settle() {
    tokio::time::sleep(Duration::from_millis(500)).await;
}
