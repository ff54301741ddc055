//! `federa serve` and `federa agent` as separate processes: services run as
//! real OS processes on the agent's host.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use federa_testkit::{Api, Federation, ADMIN_TOKEN, EXAMPLE_VM_LIFECYCLE};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const FEDERA: &str = env!("CARGO_BIN_EXE_federa");

struct Exchange {
    child: Child,
    api: Api,
    _dir: tempfile::TempDir,
}

/// `federa serve` on a fresh SQLite file with short job leases.
async fn serve(lease_seconds: u32) -> Exchange {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("federa.db").display());
    let mut child = Command::new(FEDERA)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            &database,
        ])
        .args(["--job-lease-seconds", &lease_seconds.to_string()])
        .env("FEDERA_ADMIN_TOKEN", ADMIN_TOKEN)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
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
    Exchange {
        child,
        api: Api::remote(&base),
        _dir: dir,
    }
}

/// A static website: optional page content and command, VM-like lifecycle.
fn website_type() -> Value {
    json!({
        "name": "Static website",
        "propertySchema": {"properties": {
            "content": {"type": "string", "label": "Page", "validators": [{"type": "maxLength", "config": {"value": 100000}}]},
            "command": {"type": "array", "items": {"type": "string"}}
        }},
        "lifecycleSchema": serde_json::from_str::<Value>(EXAMPLE_VM_LIFECYCLE).unwrap(),
    })
}

fn agent_config(dir: &Path, base: &str, token: &str, ports: [u16; 2]) -> PathBuf {
    let path = dir.join("agent.toml");
    std::fs::write(
        &path,
        format!(
            "url = \"{base}\"\ntoken = \"{token}\"\nheartbeat_seconds = 1\nmetrics_seconds = 1\npoll_wait_seconds = 5\n\n[driver]\nkind = \"process\"\nallow_commands = true\nwork_dir = \"{}\"\nports = [{}, {}]\n",
            dir.join("work").display(),
            ports[0],
            ports[1]
        ),
    )
    .unwrap();
    path
}

fn agent(config: &Path, log: &Path) -> Child {
    let log = std::fs::File::create(log).unwrap();
    Command::new(FEDERA)
        .args(["agent", "--config"])
        .arg(config)
        .stdout(Stdio::null())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

async fn wait_for(api: &Api, token: &str, path: &str, field: &str, expected: &str) -> Value {
    for _ in 0..300 {
        let response = api.get(path, token).await;
        if response.body[field] == expected {
            return response.body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path}: {field} never became {expected}");
}

async fn page(port: u64) -> Option<String> {
    let response = reqwest::get(format!("http://127.0.0.1:{port}/"))
        .await
        .ok()?;
    response.text().await.ok()
}

fn terminate(child: &Child) {
    let pid = child.id().unwrap().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
}

/// Kills, when dropped, every process whose command line mentions its
/// directory, so a failing test leaves no service running.
struct KillOnDrop(PathBuf);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        for pid in processes_mentioning(&self.0.display().to_string()) {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
    }
}

/// Processes whose command line mentions `needle`.
fn processes_mentioning(needle: &str) -> Vec<u32> {
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

#[tokio::test]
async fn an_ordered_website_runs_as_a_real_process_until_deleted() {
    let exchange = serve(60).await;
    let api = &exchange.api;
    let federation = Federation::create_with(api, &website_type()).await;
    let dir = tempfile::tempdir().unwrap();
    let _cleanup = KillOnDrop(dir.path().to_path_buf());
    let config = agent_config(
        dir.path(),
        &api.base,
        &federation.agent_token,
        [24100, 24199],
    );
    let mut running_agent = agent(&config, &dir.path().join("agent.log"));
    let agent_path = format!("/api/v1/agents/{}", federation.agent_id);
    wait_for(
        api,
        &federation.provider_token,
        &agent_path,
        "status",
        "Connected",
    )
    .await;

    let order = json!({"name": "homepage", "serviceTypeId": federation.service_type_id, "groupId": federation.group_id,
                       "properties": {"content": "<h1>Hello from Federa</h1>"}});
    let created = api
        .post("/api/v1/services", &federation.consumer_token, &order)
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let service_path = format!("/api/v1/services/{}", created.body["id"].as_str().unwrap());
    let stopped = wait_for(
        api,
        &federation.consumer_token,
        &service_path,
        "status",
        "Stopped",
    )
    .await;
    let port = stopped["agentInstanceData"]["port"]
        .as_u64()
        .expect("the agent reported a port");
    assert!(page(port).await.is_none(), "created, not yet running");

    api.post(
        &format!("{service_path}/start"),
        &federation.consumer_token,
        &json!({}),
    )
    .await;
    wait_for(
        api,
        &federation.consumer_token,
        &service_path,
        "status",
        "Started",
    )
    .await;
    let body = page(port).await.expect("the website answers");
    assert!(body.contains("Hello from Federa"), "{body}");

    api.post(
        &format!("{service_path}/stop"),
        &federation.consumer_token,
        &json!({}),
    )
    .await;
    wait_for(
        api,
        &federation.consumer_token,
        &service_path,
        "status",
        "Stopped",
    )
    .await;
    assert!(
        page(port).await.is_none(),
        "a stopped website does not answer"
    );

    api.delete(&service_path, &federation.consumer_token).await;
    wait_for(
        api,
        &federation.consumer_token,
        &service_path,
        "status",
        "Deleted",
    )
    .await;
    assert!(
        !dir.path().join("work/services").join(service_id).exists(),
        "delete cleans up"
    );

    terminate(&running_agent);
    let exit = tokio::time::timeout(Duration::from_secs(30), running_agent.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(exit.success(), "agent exit: {exit:?}");
    wait_for(
        api,
        &federation.provider_token,
        &agent_path,
        "status",
        "Disconnected",
    )
    .await;
    terminate(&exchange.child);
}

#[tokio::test]
async fn a_job_interrupted_by_an_agent_crash_is_finished_once_by_the_next_agent() {
    let exchange = serve(3).await;
    let api = &exchange.api;
    let federation = Federation::create_with(api, &website_type()).await;
    let dir = tempfile::tempdir().unwrap();
    let _cleanup = KillOnDrop(dir.path().to_path_buf());
    let config = agent_config(
        dir.path(),
        &api.base,
        &federation.agent_token,
        [24200, 24299],
    );
    let mut first = agent(&config, &dir.path().join("agent-1.log"));
    let agent_path = format!("/api/v1/agents/{}", federation.agent_id);
    wait_for(
        api,
        &federation.provider_token,
        &agent_path,
        "status",
        "Connected",
    )
    .await;

    // A website that takes a while to come up, so the agent dies mid-start.
    let command = json!([
        "sh",
        "-c",
        format!("sleep 2; exec {FEDERA} static-site --port {{port}} --dir {{dir}}")
    ]);
    let order = json!({"name": "slow", "serviceTypeId": federation.service_type_id, "groupId": federation.group_id,
                       "properties": {"content": "slow but sure", "command": command}});
    let created = api
        .post("/api/v1/services", &federation.consumer_token, &order)
        .await;
    let service_id = created.body["id"].as_str().unwrap().to_string();
    let service_path = format!("/api/v1/services/{service_id}");
    wait_for(
        api,
        &federation.consumer_token,
        &service_path,
        "status",
        "Stopped",
    )
    .await;
    api.post(
        &format!("{service_path}/start"),
        &federation.consumer_token,
        &json!({}),
    )
    .await;
    let jobs_path = format!("/api/v1/jobs?serviceId={service_id}&action=start");
    let start_job = loop {
        let jobs = api.get(&jobs_path, &federation.consumer_token).await;
        if jobs.body["items"][0]["status"] == "Processing" {
            break jobs.body["items"][0]["id"].as_str().unwrap().to_string();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    first.kill().await.unwrap();

    let mut second = agent(&config, &dir.path().join("agent-2.log"));
    wait_for(
        api,
        &federation.consumer_token,
        &service_path,
        "status",
        "Started",
    )
    .await;
    let job = api
        .get(
            &format!("/api/v1/jobs/{start_job}"),
            &federation.consumer_token,
        )
        .await;
    assert_eq!(job.body["status"], "Completed");
    assert_eq!(
        job.body["attempts"], 2,
        "claimed by the crashed agent, then by the new one"
    );
    let site_dir = dir
        .path()
        .join("work/services")
        .join(&service_id)
        .join("site");
    let serving = processes_mentioning(&site_dir.display().to_string());
    assert_eq!(
        serving.len(),
        1,
        "the website was started once, not twice: {serving:?}"
    );
    let port = api
        .get(&service_path, &federation.consumer_token)
        .await
        .body["agentInstanceData"]["port"]
        .as_u64()
        .unwrap();
    assert_eq!(page(port).await.as_deref(), Some("slow but sure"));

    // Leave nothing behind.
    api.delete(&service_path, &federation.consumer_token).await;
    wait_for(
        api,
        &federation.consumer_token,
        &service_path,
        "status",
        "Deleted",
    )
    .await;
    assert!(processes_mentioning(&site_dir.display().to_string()).is_empty());
    second.kill().await.unwrap();
    terminate(&exchange.child);
}
