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

/// A listening socket that never answers, as a hung program holding a port.
fn taken_address() -> (std::net::TcpListener, String) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    (listener, address)
}

#[tokio::test]
async fn a_taken_address_fails_serve_and_demo_at_once_naming_it() {
    let (_holder, address) = taken_address();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("federa.db").display());
    for args in [
        vec!["serve", "--listen", &address, "--database-url", &url],
        vec!["demo", "--listen", &address],
    ] {
        let run = Command::new(env!("CARGO_BIN_EXE_federa"))
            .args(&args)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output();
        let output = tokio::time::timeout(Duration::from_secs(20), run)
            .await
            .unwrap_or_else(|_| panic!("`federa {}` hangs on a taken address", args[0]))
            .unwrap();
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&format!("cannot listen on {address}")),
            "{args:?}: {stderr}"
        );
    }
}

#[tokio::test]
async fn a_second_server_on_the_same_sqlite_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("federa.db").display());
    let first = start(&url, Some("t0")).await;

    let second = Command::new(env!("CARGO_BIN_EXE_federa"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url", &url])
        .env("FEDERA_ADMIN_TOKEN", "t0")
        .kill_on_drop(true)
        .output();
    let second = tokio::time::timeout(Duration::from_secs(20), second)
        .await
        .expect("the second server gives up at once")
        .unwrap();
    assert!(!second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains(&format!(
            "another federa server is using the database {url}"
        )),
        "{stderr}"
    );
    assert_eq!(
        status(&first.base, "t0").await,
        200,
        "the first one runs on"
    );
    assert!(terminate(first).await.success());

    // Once the first has stopped, the database is free again.
    let third = start(&url, Some("t0")).await;
    assert_eq!(status(&third.base, "t0").await, 200);
    assert!(terminate(third).await.success());
}

#[tokio::test]
async fn stopping_answers_long_polls_at_once_and_says_what_it_waits_for() {
    use federa_testkit::{Api, Federation, ADMIN_TOKEN};

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("federa.db").display());
    let log = dir.path().join("serve.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_federa"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url", &url])
        .env("FEDERA_ADMIN_TOKEN", ADMIN_TOKEN)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = loop {
        let line = stdout.next_line().await.unwrap().expect("an address");
        if let Some(base) = line.strip_prefix("Federa is listening on ") {
            break base.to_string();
        }
    };
    let api = Api::remote(&base);
    let federation = Federation::create(&api).await;
    let long_poll = {
        let url = format!("{base}/api/v1/jobs/pending?wait=60s");
        let token = federation.agent_token.clone();
        tokio::spawn(async move {
            let answer = reqwest::Client::new()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            (answer.status().as_u16(), answer.text().await.unwrap())
        })
    };
    let mut stream = reqwest::Client::new()
        .get(format!("{base}/api/v1/events/stream"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    tokio::time::sleep(Duration::from_millis(500)).await;

    let asked = std::time::Instant::now();
    let pid = child.id().unwrap().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let exit = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("the server stops without waiting out the long-poll")
        .unwrap();
    assert!(exit.success(), "{exit:?}");
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "stopped after {:?}",
        asked.elapsed()
    );
    let (status, body) = long_poll.await.unwrap();
    assert_eq!((status, body.as_str()), (200, "[]"), "an empty answer");
    // The event stream ended rather than being cut.
    while let Ok(Some(_)) = stream.chunk().await {}
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("long-polls and event streams are answered now")
            && logged.contains("open_requests"),
        "{logged}"
    );
}

#[tokio::test]
async fn a_config_file_sets_what_flags_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let from_file = dir.path().join("from-file.db");
    let from_flag = dir.path().join("from-flag.db");
    let config = dir.path().join("federa.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\ndatabase_url = \"sqlite://{}\"\nadmin_token = \"file-token\"\n",
            from_file.display()
        ),
    )
    .unwrap();
    let run = |extra: Vec<String>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_federa"));
        command
            .arg("serve")
            .arg("--config")
            .arg(&config)
            .args(extra)
            .env_remove("FEDERA_ADMIN_TOKEN")
            .env_remove("FEDERA_DATABASE_URL")
            .env_remove("FEDERA_LISTEN")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        command.spawn().unwrap()
    };
    async fn listening(child: &mut Child) -> (String, Lines<BufReader<ChildStdout>>) {
        let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        loop {
            let line = stdout.next_line().await.unwrap().expect("an address");
            if let Some(base) = line.strip_prefix("Federa is listening on ") {
                return (base.to_string(), stdout);
            }
        }
    }

    let mut child = run(Vec::new());
    let (base, stdout) = listening(&mut child).await;
    assert_eq!(status(&base, "file-token").await, 200, "the file's token");
    assert!(from_file.exists(), "the file's database");
    assert!(terminate(Running {
        child,
        stdout,
        base,
        printed: Vec::new()
    })
    .await
    .success());

    let mut child = run(vec![
        "--database-url".into(),
        format!("sqlite://{}", from_flag.display()),
    ]);
    let (base, stdout) = listening(&mut child).await;
    assert!(from_flag.exists(), "the flag beats the file");
    assert_eq!(status(&base, "file-token").await, 200);
    assert!(terminate(Running {
        child,
        stdout,
        base,
        printed: Vec::new()
    })
    .await
    .success());

    std::fs::write(&config, "listen = \"127.0.0.1:0\"\nport = 3000\n").unwrap();
    let refused = Command::new(env!("CARGO_BIN_EXE_federa"))
        .arg("serve")
        .arg("--config")
        .arg(&config)
        .output()
        .await
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("unknown settings port"), "{stderr}");
}

#[tokio::test]
async fn a_running_exchange_is_backed_up_and_the_copy_serves_the_same_data() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("live/federa.db").display());
    let live = start(&url, Some("t0")).await;
    let created = reqwest::Client::new()
        .post(format!("{}/api/v1/participants", live.base))
        .bearer_auth("t0")
        .json(&serde_json::json!({"name": "Kept in the backup", "status": "Enabled"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);

    let backup = dir.path().join("backup");
    let copied = Command::new(env!("CARGO_BIN_EXE_federa"))
        .args(["backup", "--database-url", &url, "--to"])
        .arg(&backup)
        .output()
        .await
        .unwrap();
    assert!(
        copied.status.success(),
        "{}",
        String::from_utf8_lossy(&copied.stderr)
    );
    assert_eq!(
        std::fs::read(backup.join("vault.key")).unwrap(),
        std::fs::read(dir.path().join("live/vault.key")).unwrap(),
        "the key travels with the data"
    );
    assert_eq!(status(&live.base, "t0").await, 200, "the exchange ran on");
    assert!(terminate(live).await.success());

    let restored = format!("sqlite://{}", backup.join("federa.db").display());
    let copy = start(&restored, Some("t0")).await;
    let listed: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/api/v1/participants", copy.base))
        .bearer_auth("t0")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"][0]["name"], "Kept in the backup", "{listed}");
    assert!(terminate(copy).await.success());

    let postgres = Command::new(env!("CARGO_BIN_EXE_federa"))
        .args(["backup", "--database-url", "postgres://db/federa", "--to"])
        .arg(dir.path().join("pg"))
        .output()
        .await
        .unwrap();
    assert!(!postgres.status.success());
    assert!(String::from_utf8_lossy(&postgres.stderr).contains("pg_dump --format=custom"));
}
