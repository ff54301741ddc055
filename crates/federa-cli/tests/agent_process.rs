//! `federa serve` and `federa agent` as separate processes: services run as
//! real OS processes on the agent's host.

use std::time::Duration;

use federa_testkit::processes::{
    act, agent_config, define_metric_types, order_created, processes_mentioning, reported_metrics,
    requests_on, spawn_agent, terminate, wait_for, Exchange, KillOnDrop,
};
use federa_testkit::{Federation, TestDatabase, EXAMPLE_VM_LIFECYCLE};
use serde_json::{json, Value};

const FEDERA: &str = env!("CARGO_BIN_EXE_federa");

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

async fn page(port: u64) -> Option<String> {
    let response = reqwest::get(format!("http://127.0.0.1:{port}/"))
        .await
        .ok()?;
    response.text().await.ok()
}

#[tokio::test]
async fn an_ordered_website_runs_as_a_real_process_until_deleted() {
    let exchange = Exchange::start(FEDERA, 60).await;
    let api = &exchange.api;
    let federation = Federation::create_with(api, &website_type()).await;
    define_metric_types(api, &federa_agent::process::METRIC_TYPES).await;
    let dir = tempfile::tempdir().unwrap();
    let _cleanup = KillOnDrop(dir.path().to_path_buf());
    let config = agent_config(
        dir.path(),
        &api.base,
        &federation.agent_token,
        [24100, 24199],
    );
    let mut running_agent = spawn_agent(FEDERA, &config, &dir.path().join("agent.log"));
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
    let (service_id, service_path, stopped) = order_created(api, &federation, &order).await;
    let port = stopped["agentInstanceData"]["port"]
        .as_u64()
        .expect("the agent reported a port");
    assert!(page(port).await.is_none(), "created, not yet running");

    act(api, &federation, &service_path, "start").await;
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

    // The website's process sends usage back.
    let metrics = reported_metrics(api, &federation.consumer_token, &service_id).await;
    assert!(
        metrics > 0,
        "no metrics arrived; agent log: {}",
        std::fs::read_to_string(dir.path().join("agent.log")).unwrap()
    );

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
    // The agent sent its reports through the batch endpoint, not the
    // single ones: create, start, stop and delete.
    assert!(requests_on(api, "/jobs/finish").await >= 4);
    assert_eq!(requests_on(api, "/jobs/{id}/complete").await, 0);
    assert_eq!(requests_on(api, "/jobs/{id}/fail").await, 0);

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
    exchange.terminate();
}

#[tokio::test]
async fn a_job_interrupted_by_an_agent_crash_is_finished_once_by_the_next_agent_at_once() {
    // The default lease: waiting for it to lapse would take 15 minutes.
    let database = TestDatabase::create().await;
    let exchange = Exchange::start_on(
        FEDERA,
        &database.url,
        "127.0.0.1:0",
        900,
        tempfile::tempdir().unwrap(),
    )
    .await;
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
    let mut first = spawn_agent(FEDERA, &config, &dir.path().join("agent-1.log"));
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
    let (service_id, service_path, _) = order_created(api, &federation, &order).await;
    act(api, &federation, &service_path, "start").await;
    let jobs_path = format!("/api/v1/jobs?serviceId={service_id}&action=start");
    let start_job = loop {
        let jobs = api.get(&jobs_path, &federation.consumer_token).await;
        if jobs.body["items"][0]["status"] == "Processing" {
            break jobs.body["items"][0]["id"].as_str().unwrap().to_string();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    first.kill().await.unwrap();

    let mut second = spawn_agent(FEDERA, &config, &dir.path().join("agent-2.log"));
    let restarted = std::time::Instant::now();
    wait_for(
        api,
        &federation.consumer_token,
        &service_path,
        "status",
        "Started",
    )
    .await;
    let finished_after = restarted.elapsed();
    assert!(
        finished_after < Duration::from_secs(15),
        "the restarted agent finished its held job {finished_after:?} after it started"
    );
    let job = api
        .get(
            &format!("/api/v1/jobs/{start_job}"),
            &federation.consumer_token,
        )
        .await;
    assert_eq!(job.body["status"], "Completed");
    assert_eq!(
        job.body["attempts"], 1,
        "resumed under the crashed agent's claim, not claimed again"
    );
    let events = api
        .get(
            &format!("/api/v1/events?entityId={service_id}&pageSize=100"),
            &federation.consumer_token,
        )
        .await;
    let completions = events.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|event| {
            event["type"] == "job.completed" && event["properties"]["jobId"] == start_job.as_str()
        })
        .count();
    assert_eq!(completions, 1, "{:?}", events.body);
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
    exchange.terminate();
}

#[cfg(not(feature = "libvirt"))]
#[test]
fn a_libvirt_agent_from_a_build_without_libvirt_says_how_to_get_one() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("agent.toml");
    std::fs::write(
        &config,
        "url = \"http://127.0.0.1:1\"\ntoken = \"t\"\n[driver]\nkind = \"libvirt\"\nuri = \"qemu:///system\"\n",
    )
    .unwrap();
    let output = std::process::Command::new(FEDERA)
        .args(["agent", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--features libvirt"), "{stderr}");
}
