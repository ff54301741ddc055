//! Federa as separate processes: `federa serve` and `federa agent` started
//! from the built binary, and the OS processes they leave behind.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use federa_client::api::metric_entries::MetricEntryRes;
use federa_client::api::placement::OrderedServiceRes;
use federa_client::api::PageRes;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::api::Api;
use crate::api::ADMIN_TOKEN;
use crate::federation::Federation;
use crate::server::vault_key_hex;

/// A running `federa serve` on a fresh SQLite file.
pub struct Exchange {
    pub child: Child,
    pub api: Api,
    _dir: tempfile::TempDir,
}

impl Exchange {
    /// Starts `binary serve` with job leases of `lease_seconds` and the
    /// test admin token, and waits until it listens.
    pub async fn start(binary: &str, lease_seconds: u32) -> Exchange {
        let dir = tempfile::tempdir().unwrap();
        let database = format!("sqlite://{}", dir.path().join("federa.db").display());
        Exchange::start_on(binary, &database, "127.0.0.1:0", lease_seconds, dir).await
    }

    /// Starts `binary serve` on `database` and `listen`; `dir` is kept as
    /// long as the exchange runs.
    pub async fn start_on(
        binary: &str,
        database: &str,
        listen: &str,
        lease_seconds: u32,
        dir: tempfile::TempDir,
    ) -> Exchange {
        Exchange::start_with(binary, database, listen, lease_seconds, &[], dir).await
    }

    /// [`Exchange::start_on`] with more `serve` options.
    pub async fn start_with(
        binary: &str,
        database: &str,
        listen: &str,
        lease_seconds: u32,
        options: &[&str],
        dir: tempfile::TempDir,
    ) -> Exchange {
        let mut command = Command::new(binary);
        command
            .args(["serve", "--listen", listen, "--database-url", database])
            .args(["--job-lease-seconds", &lease_seconds.to_string()])
            .args(options)
            .stderr(Stdio::null());
        let (child, base) = spawn_serve(command).await;
        Exchange {
            child,
            api: Api::remote(&base),
            _dir: dir,
        }
    }

    /// `count` replicas of `binary serve` on one PostgreSQL `database`, on
    /// their own ports, with `extra` arguments. Replica `n`'s database
    /// sessions are named `federa-replica-n` (`application_name`), so a test
    /// can find them in `pg_stat_activity`.
    pub async fn replicas(
        binary: &str,
        database: &str,
        count: usize,
        lease_seconds: u32,
        extra: &[&str],
    ) -> Vec<Exchange> {
        let separator = if database.contains('?') { '&' } else { '?' };
        let mut replicas = Vec::new();
        for n in 0..count {
            let url = format!("{database}{separator}application_name=federa-replica-{n}");
            let dir = tempfile::tempdir().unwrap();
            replicas.push(
                Exchange::start_with(binary, &url, "127.0.0.1:0", lease_seconds, extra, dir).await,
            );
        }
        replicas
    }

    pub fn terminate(&self) {
        terminate(&self.child);
    }

    /// Sends `signal` (`STOP`, `CONT`, …) to the server process.
    pub fn signal(&self, signal: &str) {
        if let Some(pid) = self.child.id() {
            send_signal(pid, signal);
        }
    }
}

/// Sends `signal` (`STOP`, `CONT`, `KILL`, …) to `pid`.
pub fn send_signal(pid: u32, signal: &str) {
    let sent = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success(), "kill -{signal} {pid}");
}

/// `pid` and every process descended from it.
pub fn process_tree(pid: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
                .filter_map(|child| {
                    let stat = std::fs::read_to_string(format!("/proc/{child}/stat")).ok()?;
                    // The command may hold spaces and parentheses: fields
                    // after the last `)` are state, then the parent's pid.
                    let rest = &stat[stat.rfind(')')? + 1..];
                    let parent = rest.split_whitespace().nth(1)?.parse().ok()?;
                    Some((child, parent))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut tree = vec![pid];
    let mut next = 0;
    while next < tree.len() {
        let parent = tree[next];
        tree.extend(
            parents
                .iter()
                .filter(|(_, p)| *p == parent)
                .map(|(c, _)| *c),
        );
        next += 1;
    }
    tree
}

/// Starts `command`, a `federa serve` invocation, with the test admin token
/// and vault key, and waits until it prints the address it listens on.
pub async fn spawn_serve(mut command: Command) -> (Child, String) {
    let mut child = command
        .env("FEDERA_ADMIN_TOKEN", ADMIN_TOKEN)
        .env("FEDERA_VAULT_KEY", vault_key_hex())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let line = lines.next_line().await.unwrap().expect("address printed");
            if let Some(url) = line.strip_prefix("Federa is listening on ") {
                return url.to_string();
            }
        }
    })
    .await
    .unwrap();
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, base)
}

/// Sends SIGTERM.
pub fn terminate(child: &Child) {
    if let Some(pid) = child.id() {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
    }
}

/// Writes an `agent.toml` for the process driver into `dir`, with fast
/// heartbeats and metrics, working under `dir/work`.
pub fn agent_config(dir: &Path, base: &str, token: &str, ports: [u16; 2]) -> PathBuf {
    let path = dir.join("agent.toml");
    std::fs::write(
        &path,
        format!(
            "url = \"{base}\"\ntoken = \"{token}\"\nheartbeat_seconds = 1\nmetrics_seconds = 1\nobserve_seconds = 1\npoll_wait_seconds = 5\n\n[driver]\nkind = \"process\"\nallow_commands = true\nwork_dir = \"{}\"\nports = [{}, {}]\n",
            dir.join("work").display(),
            ports[0],
            ports[1]
        ),
    )
    .unwrap();
    path
}

/// Starts `binary agent --config config`, its log in `log`.
pub fn spawn_agent(binary: &str, config: &Path, log: &Path) -> Child {
    let log = std::fs::File::create(log).unwrap();
    Command::new(binary)
        .args(["agent", "--config"])
        .arg(config)
        .stdout(Stdio::null())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

/// The peak resident memory (`VmHWM`) process `pid` reached, in bytes.
pub fn peak_resident_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|line| line.starts_with("VmHWM:"))
        .unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

/// Processes whose command line mentions `needle`.
pub fn processes_mentioning(needle: &str) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|bytes| String::from_utf8_lossy(&bytes).contains(needle))
                .unwrap_or(false)
        })
        .collect()
}

/// Kills, when dropped, every process whose command line mentions its
/// directory, so a failing test leaves no service running.
pub struct KillOnDrop(pub PathBuf);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        for pid in processes_mentioning(&self.0.display().to_string()) {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
    }
}

/// Polls `path` until `field` equals `expected` (30 s at most).
pub async fn wait_for(
    api: &Api,
    token: &str,
    path: &str,
    field: &str,
    expected: &str,
) -> serde_json::Value {
    for _ in 0..300 {
        let response = api.get(path, token).await;
        if response.body[field] == expected {
            return response.body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path}: {field} never became {expected}");
}

/// Asks for `action` on the service at `service_path` as the federation's
/// consumer; the exchange must queue it.
pub async fn act(api: &Api, federation: &Federation, service_path: &str, action: &str) {
    let queued = api
        .post(
            &format!("{service_path}/{action}"),
            &federation.consumer_token,
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(queued.status, 200, "{:?}", queued.body);
}

/// Orders `order` as the federation's consumer and waits until its agent
/// has created it (`Stopped`); returns the service's id, its path and the
/// service as it then reads.
pub async fn order_created(
    api: &Api,
    federation: &Federation,
    order: &serde_json::Value,
) -> (String, String, serde_json::Value) {
    let created = api
        .post("/api/v1/services", &federation.consumer_token, order)
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let ordered: OrderedServiceRes =
        serde_json::from_value(created.body).expect("an ordered service");
    let service_id = ordered.service.id.to_string();
    let service_path = format!("/api/v1/services/{service_id}");
    let token = &federation.consumer_token;
    let stopped = wait_for(api, token, &service_path, "status", "Stopped").await;
    (service_id, service_path, stopped)
}

/// [`order_created`], then started and waited on until it runs; returns
/// the service's id and path.
pub async fn order_started(
    api: &Api,
    federation: &Federation,
    order: &serde_json::Value,
) -> (String, String) {
    let (service_id, service_path, _) = order_created(api, federation, order).await;
    act(api, federation, &service_path, "start").await;
    let token = &federation.consumer_token;
    wait_for(api, token, &service_path, "status", "Started").await;
    (service_id, service_path)
}

/// Defines the metric types an agent's driver reports, as an admin must
/// before the exchange stores them.
pub async fn define_metric_types(api: &Api, names: &[&str]) {
    for name in names {
        let created = api
            .post(
                "/api/v1/metric-types",
                ADMIN_TOKEN,
                &serde_json::json!({"name": name, "entityType": "Service"}),
            )
            .await;
        assert_eq!(created.status, 201, "{:?}", created.body);
    }
}

/// How many metric entries `service_id` has once its agent has reported
/// some (within 10 s), or 0.
pub async fn reported_metrics(api: &Api, token: &str, service_id: &str) -> u64 {
    for _ in 0..100 {
        let entries: Result<PageRes<MetricEntryRes>, _> = api
            .client(token)
            .fetch(&format!("/metric-entries?serviceId={service_id}"))
            .await;
        let count = entries.map_or(0, |page| page.total_items);
        if count > 0 {
            return count;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    0
}

/// How many requests the exchange at `api` has answered on `route` (its
/// template under `/api/v1`, e.g. `/jobs/{id}/complete`), by its metrics.
pub async fn requests_on(api: &Api, route: &str) -> u64 {
    let metrics = api
        .http
        .get(api.url("/metrics"))
        .send()
        .await
        .expect("read the metrics")
        .text()
        .await
        .expect("the metrics' text");
    metrics
        .lines()
        .filter(|line| line.starts_with("federa_http_requests_total{"))
        .filter(|line| line.contains(&format!("route=\"/api/v1{route}\"")))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}
