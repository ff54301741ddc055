//! `federa serve` under a flood of connections that never finish a request:
//! the cap closes idle ones to make room, the header-read timeout closes
//! them on its own, and a shutdown ends within its deadline whatever is
//! open. The real binary, over real sockets.

use std::path::Path;
use std::time::{Duration, Instant};

use federa_testkit::{Api, Federation, TestDatabase, ADMIN_TOKEN};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

struct Server {
    child: Child,
    api: Api,
    address: String,
    _database: TestDatabase,
}

/// Starts `federa serve` on a fresh test database with `flags`, its
/// open-file soft limit lowered to 512 first (as a default shell would
/// leave it), logging to `log`.
async fn start(flags: &[&str], log: &Path) -> Server {
    let database = TestDatabase::create().await;
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg("ulimit -S -n 512 2>/dev/null; exec \"$@\"")
        .arg("sh")
        .arg(env!("CARGO_BIN_EXE_federa"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            &database.url,
        ])
        .args(flags)
        .stderr(std::fs::File::create(log).unwrap());
    let (child, base) = federa_testkit::processes::spawn_serve(command).await;
    Server {
        child,
        address: base.trim_start_matches("http://").to_string(),
        api: Api::remote(&base),
        _database: database,
    }
}

/// Opens a connection and sends half a request head, then nothing.
async fn partial(address: &str) -> TcpStream {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"GET /api/v1/participants HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    stream
}

/// Whether the server has closed `stream` (a read ends or fails).
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> bool {
    let mut buffer = [0u8; 1024];
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}

fn terminate(child: &Child) {
    let pid = child.id().unwrap();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn open_file_limits(child: &Child) -> (String, String) {
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", child.id().unwrap())).unwrap();
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .unwrap()
        .to_string();
    let numbers: Vec<&str> = line.split_whitespace().skip(3).take(2).collect();
    (numbers[0].to_string(), numbers[1].to_string())
}

#[tokio::test]
async fn a_flood_of_half_sent_requests_locks_no_one_out_and_shutdown_keeps_its_deadline() {
    let log_dir = tempfile::tempdir().unwrap();
    let log = log_dir.path().join("serve.log");
    let cap = 20;
    let mut server = start(
        &[
            "--max-connections",
            &cap.to_string(),
            "--header-read-timeout-seconds",
            "30",
            "--shutdown-seconds",
            "3",
        ],
        &log,
    )
    .await;
    let (soft, hard) = open_file_limits(&server.child);
    assert_eq!(
        soft, hard,
        "the soft open-file limit is raised to the hard one"
    );

    let federation = Federation::create(&server.api).await;
    // A long-poll in progress is busy, never closed to make room.
    let api = server.api.clone();
    let agent_token = federation.agent_token.clone();
    let long_poll = tokio::spawn(async move {
        api.try_call(
            "GET",
            "/api/v1/jobs/pending?wait=60s",
            Some(&agent_token),
            None,
        )
        .await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;

    let flood = cap * 3;
    let mut idle = Vec::new();
    for _ in 0..flood {
        idle.push(partial(&server.address).await);
    }
    let started = Instant::now();
    let fresh = Api::remote(&server.api.base);
    let health = fresh.call("GET", "/healthz", None, None).await;
    assert_eq!(health.status, 200);
    let listed = fresh.get("/api/v1/participants", ADMIN_TOKEN).await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    let answered_in = started.elapsed();
    assert!(answered_in < Duration::from_secs(5), "{answered_in:?}");

    let metrics = reqwest::get(server.api.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let shed: u64 = metrics
        .lines()
        .find_map(|line| line.strip_prefix("federa_connections_over_limit_total "))
        .expect("the over-limit counter")
        .parse()
        .unwrap();
    assert!(shed >= (flood - cap) as u64, "{shed}: {metrics}");
    assert!(
        std::fs::read_to_string(&log)
            .unwrap()
            .contains("connection limit reached"),
        "the cap is logged"
    );

    // Shutdown with the flood and the long-poll still open.
    for _ in 0..cap {
        idle.push(partial(&server.address).await);
    }
    let stopping = Instant::now();
    terminate(&server.child);
    let status = tokio::time::timeout(Duration::from_secs(15), server.child.wait())
        .await
        .expect("exits within its shutdown deadline")
        .unwrap();
    let exited_in = stopping.elapsed();
    assert!(status.success(), "{status:?}");
    assert!(
        exited_in < Duration::from_secs(3) + Duration::from_millis(1500),
        "{exited_in:?} for a 3 s deadline"
    );
    assert!(long_poll
        .await
        .unwrap()
        .is_none_or(|answer| answer.status == 200));
    federa_testkit::reliability_summary(
        env!("CARGO_TARGET_TMPDIR"),
        "connection limits",
        &format!(
            "{flood} half-sent requests against a cap of {cap}: /healthz and an authenticated list answered in {} ms ({shed} connections closed to make room); SIGTERM with {} idle connections and a 60 s long-poll open exited in {:.1} s (deadline 3 s)",
            answered_in.as_millis(),
            idle.len(),
            exited_in.as_secs_f64()
        ),
    );
    drop(idle);
}

#[tokio::test]
async fn idle_and_half_sent_connections_are_closed_but_long_polls_last() {
    let log_dir = tempfile::tempdir().unwrap();
    let log = log_dir.path().join("serve.log");
    let server = start(&["--header-read-timeout-seconds", "1"], &log).await;
    let federation = Federation::create(&server.api).await;

    let mut half_sent = partial(&server.address).await;
    let mut idle = TcpStream::connect(&server.address).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut answer = [0u8; 256];
    let read = idle.read(&mut answer).await.unwrap();
    assert!(answer[..read].starts_with(b"HTTP/1.1 200"));

    let started = Instant::now();
    let (half_closed, idle_closed) = tokio::join!(
        closed_within(&mut half_sent, Duration::from_secs(5)),
        closed_within(&mut idle, Duration::from_secs(5)),
    );
    assert!(half_closed, "a half-sent request head is given up on");
    assert!(idle_closed, "an idle keep-alive connection is closed");
    assert!(started.elapsed() < Duration::from_secs(3));

    // A long-poll outlasts the header timeout: its request head is read.
    let waited = Instant::now();
    let polled = server
        .api
        .get("/api/v1/jobs/pending?wait=3s", &federation.agent_token)
        .await;
    assert_eq!(polled.status, 200, "{}", polled.body);
    assert!(waited.elapsed() >= Duration::from_millis(2900));
    // So does an event stream between events.
    let mut stream = server
        .api
        .http
        .get(server.api.url("/api/v1/events/stream"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    tokio::time::sleep(Duration::from_secs(2)).await;
    federation.order_service(&server.api, "after-a-pause").await;
    let mut seen = String::new();
    let delivered = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(chunk) = stream.chunk().await.unwrap() {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("data:") {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(delivered, Ok(true), "{seen}");
}
