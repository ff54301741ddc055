//! The `federa serve` binary as an operator runs it.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

struct Running {
    child: Child,
    stdout: Lines<BufReader<ChildStdout>>,
    base: String,
    printed: Vec<String>,
}

async fn start(database_url: &str, admin_token: Option<&str>) -> Running {
    let mut command = Command::new(env!("CARGO_BIN_EXE_federa"));
    command
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            database_url,
            "--log-format",
            "json",
        ])
        .env_remove("FEDERA_ADMIN_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    if let Some(token) = admin_token {
        command.env("FEDERA_ADMIN_TOKEN", token);
    }
    let mut child = command.spawn().expect("federa starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    let base = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let line = stdout
                .next_line()
                .await
                .unwrap()
                .expect("server printed its address");
            printed.push(line.clone());
            if let Some(url) = line.strip_prefix("Federa is listening on ") {
                return url.to_string();
            }
        }
    })
    .await
    .expect("server ready in time");
    Running {
        child,
        stdout,
        base,
        printed,
    }
}

async fn status(base: &str, token: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{base}/api/v1/participants"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn terminate(mut running: Running) -> std::process::ExitStatus {
    let pid = running.child.id().unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    while let Ok(Some(_)) = running.stdout.next_line().await {}
    tokio::time::timeout(Duration::from_secs(20), running.child.wait())
        .await
        .expect("stops after SIGTERM")
        .unwrap()
}

#[tokio::test]
async fn first_start_prints_an_admin_token_once_and_sigterm_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("nested/federa.db").display());

    let first = start(&url, None).await;
    let line = first
        .printed
        .iter()
        .find(|l| l.starts_with("Generated admin token"))
        .expect("token printed")
        .clone();
    let token = line.rsplit(' ').next().unwrap().to_string();
    assert_eq!(token.len(), 44);
    assert_eq!(status(&first.base, &token).await, 200);
    assert_eq!(status(&first.base, "wrong").await, 403);
    let health = reqwest::get(format!("{}/healthz", first.base))
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    assert!(terminate(first).await.success());
    assert!(dir.path().join("nested/federa.db").exists());

    // The second start keeps the token and prints none.
    let second = start(&url, None).await;
    assert!(second.printed.iter().all(|l| !l.contains("admin token")));
    assert_eq!(status(&second.base, &token).await, 200);
    assert!(terminate(second).await.success());

    // A configured token replaces the generated one.
    let third = start(&url, Some("t0")).await;
    assert_eq!(status(&third.base, "t0").await, 200);
    assert_eq!(status(&third.base, &token).await, 403);
    assert!(third.printed.iter().all(|l| !l.contains("t0")));
    assert!(terminate(third).await.success());
}

#[test]
fn a_trusted_proxy_that_is_no_address_is_a_usage_error() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_federa"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--trusted-proxy",
            "10.0.0.0/8,proxy.local",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("\"proxy.local\""), "{stderr}");
}
