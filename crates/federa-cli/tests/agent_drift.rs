//! Drift between the exchange and the platform, with real agents: a
//! service's process killed for good, and (with the `libvirt` feature) a
//! VM destroyed behind the agent's back on `test:///default`. Each time the
//! agent's observation raises `service.drifted`, the lifecycle's declared
//! transition is taken, `start` works again, and the invoice stops counting
//! running time at the drift.

use chrono::{DateTime, SecondsFormat, Utc};
use federa_testkit::processes::{act, order_started, wait_for, Exchange};
use federa_testkit::{Api, Federation, TestDatabase, EXAMPLE_VM_LIFECYCLE};
use serde_json::{json, Value};

const FEDERA: &str = env!("CARGO_BIN_EXE_federa");

/// The example VM lifecycle, where a `Started` service seen stopped is
/// `Stopped`.
fn drifting_lifecycle() -> Value {
    let mut lifecycle: Value = serde_json::from_str(EXAMPLE_VM_LIFECYCLE).unwrap();
    lifecycle["driftTransitions"] =
        json!([{"from": "Started", "observed": "Stopped", "to": "Stopped"}]);
    lifecycle
}

async fn exchange() -> (TestDatabase, Exchange) {
    let database = TestDatabase::create().await;
    let exchange = Exchange::start_on(
        FEDERA,
        &database.url,
        "127.0.0.1:0",
        900,
        tempfile::tempdir().unwrap(),
    )
    .await;
    (database, exchange)
}

/// A profile and an offering at 3600 EUR an hour for the federation's
/// provider, so its services are billed.
async fn priced(api: &Api, federation: &Federation) {
    let profile = api
        .post(
            "/api/v1/provider-profiles",
            &federation.provider_token,
            &json!({"participantId": federation.provider_id, "jurisdiction": "FR",
                    "regions": [{"code": "fr-par-1", "country": "FR"}]}),
        )
        .await;
    assert_eq!(profile.status, 201, "{:?}", profile.body);
    let offering = api
        .post(
            "/api/v1/offerings",
            &federation.provider_token,
            &json!({"participantId": federation.provider_id, "serviceTypeId": federation.service_type_id,
                    "regions": ["fr-par-1"], "price": {"hourly": "3600"}}),
        )
        .await;
    assert_eq!(offering.status, 201, "{:?}", offering.body);
}

fn at(event: &Value) -> DateTime<Utc> {
    event["createdAt"].as_str().unwrap().parse().unwrap()
}

/// Checks the drift left its trace and was billed right: `service.drifted`
/// from `Started` observed `Stopped`, the declared move to `Stopped`, and
/// running hours from the start to the drift only.
async fn assert_drifted_and_billed(api: &Api, federation: &Federation, service_id: &str) {
    let events = api
        .get(
            &format!("/api/v1/events?entityId={service_id}&pageSize=100&sort=sequenceNumber"),
            &federation.consumer_token,
        )
        .await;
    let log = events.body["items"].as_array().cloned().unwrap_or_default();
    let drift = log
        .iter()
        .find(|e| e["type"] == "service.drifted")
        .unwrap_or_else(|| panic!("no service.drifted in {log:?}"));
    assert_eq!(drift["properties"]["status"], "Started");
    assert_eq!(drift["properties"]["observed"], "Stopped");
    assert_eq!(drift["initiatorType"], "user", "reported by the agent");
    let started = log
        .iter()
        .find(|e| e["type"] == "service.transitioned" && e["properties"]["to"] == "Started")
        .expect("started");
    let moved = log
        .iter()
        .find(|e| e["type"] == "service.transitioned" && e["properties"]["drift"] == true)
        .expect("the declared drift transition");
    assert_eq!(moved["properties"]["to"], "Stopped");

    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let from =
        (at(started) - chrono::Duration::hours(1)).to_rfc3339_opts(SecondsFormat::Micros, true);
    let to = (Utc::now() + chrono::Duration::hours(1)).to_rfc3339_opts(SecondsFormat::Micros, true);
    let invoice = api
        .get(
            &format!("/api/v1/invoices?from={from}&to={to}"),
            &federation.consumer_token,
        )
        .await;
    assert_eq!(invoice.status, 200, "{:?}", invoice.body);
    let hours: f64 = invoice.body["lines"][0]["quantity"]
        .as_str()
        .unwrap_or_else(|| panic!("no running hours: {:?}", invoice.body))
        .parse()
        .unwrap();
    let ran = (at(moved) - at(started)).num_microseconds().unwrap() as f64 / 3.6e9;
    assert!(
        (hours - ran).abs() < 2e-6,
        "billed {hours} h, ran {ran} h until the drift"
    );
}

#[tokio::test]
async fn a_process_killed_for_good_drifts_to_stopped_and_starts_again() {
    use federa_testkit::processes::{agent_config, processes_mentioning, spawn_agent, KillOnDrop};

    let (_database, exchange) = exchange().await;
    let api = &exchange.api;
    let website = json!({
        "name": "Static website",
        "propertySchema": {"properties": {
            "content": {"type": "string"},
            "command": {"type": "array", "items": {"type": "string"}}
        }},
        "lifecycleSchema": drifting_lifecycle(),
    });
    let federation = Federation::create_with(api, &website).await;
    priced(api, &federation).await;
    let dir = tempfile::tempdir().unwrap();
    let _cleanup = KillOnDrop(dir.path().to_path_buf());
    let config = agent_config(
        dir.path(),
        &api.base,
        &federation.agent_token,
        [24700, 24749],
    );
    let mut agent = spawn_agent(FEDERA, &config, &dir.path().join("agent.log"));

    // The site serves only while its page exists: once the page is gone, a
    // restarted process exits at once, and the supervisor gives up.
    let command = json!([
        "sh",
        "-c",
        format!(
            "[ -e {{dir}}/index.html ] && exec {FEDERA} static-site --port {{port}} --dir {{dir}}"
        )
    ]);
    let order = json!({"name": "fragile", "serviceTypeId": federation.service_type_id, "groupId": federation.group_id,
                       "properties": {"content": "here", "command": command}});
    let (service_id, service_path) = order_started(api, &federation, &order).await;
    wait_for(
        api,
        &federation.consumer_token,
        &service_path,
        "observedState",
        "Running",
    )
    .await;

    let site = dir
        .path()
        .join("work/services")
        .join(&service_id)
        .join("site");
    std::fs::remove_file(site.join("index.html")).unwrap();
    for pid in processes_mentioning(&site.display().to_string()) {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
    let drifted = wait_for(
        api,
        &federation.consumer_token,
        &service_path,
        "status",
        "Stopped",
    )
    .await;
    assert_eq!(drifted["observedState"], "Stopped", "{drifted:?}");
    assert_drifted_and_billed(api, &federation, &service_id).await;

    // Fixed on the host, the usual action works again.
    std::fs::write(site.join("index.html"), "back").unwrap();
    act(api, &federation, &service_path, "start").await;
    let started = wait_for(
        api,
        &federation.consumer_token,
        &service_path,
        "status",
        "Started",
    )
    .await;
    let port = started["agentInstanceData"]["port"].as_u64().unwrap();
    let page = reqwest::get(format!("http://127.0.0.1:{port}/"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(page, "back");

    api.delete(&service_path, &federation.consumer_token).await;
    wait_for(
        api,
        &federation.consumer_token,
        &service_path,
        "status",
        "Deleted",
    )
    .await;
    agent.kill().await.unwrap();
    exchange.terminate();
}

#[cfg(feature = "libvirt")]
#[tokio::test]
async fn a_vm_destroyed_behind_the_agents_back_drifts_to_stopped_and_starts_again() {
    use std::sync::Arc;

    use federa_agent::libvirt::virt::connect::Connect;
    use federa_agent::libvirt::LibvirtDriver;
    use federa_agent::{AgentConfig, DriverConfig, LibvirtConfig};

    let (_database, exchange) = exchange().await;
    let api = &exchange.api;
    let vm = json!({
        "name": "Virtual machine",
        "propertySchema": {"properties": {
            "vcpus": {"type": "integer", "required": true},
            "memoryMiB": {"type": "integer", "required": true}
        }},
        "lifecycleSchema": drifting_lifecycle(),
    });
    let federation = Federation::create_with(api, &vm).await;
    priced(api, &federation).await;

    // The agent runs in this process, so the test sees the same in-memory
    // hypervisor through its own connection.
    let libvirt = LibvirtConfig {
        uri: "test:///default".into(),
        network: Some("default".into()),
        storage_pool: None,
        name_prefix: "drift-".into(),
        domain_type: None,
        shutdown_timeout_seconds: 5,
    };
    let host = Connect::open(Some("test:///default")).unwrap();
    let driver = LibvirtDriver::with_connection(host.clone(), &libvirt).unwrap();
    let config = AgentConfig {
        url: api.base.clone(),
        token: Some(federation.agent_token.clone()),
        token_file: None,
        concurrency: 2,
        poll_wait_seconds: 5,
        heartbeat_seconds: 1,
        metrics_seconds: 60,
        observe_seconds: 1,
        token_check_seconds: 3600,
        driver: DriverConfig::Libvirt(libvirt),
        transfer: None,
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let agent = tokio::spawn(federa_agent::run(config, Arc::new(driver), async {
        let _ = stopped.await;
    }));

    let order = json!({"name": "runner", "serviceTypeId": federation.service_type_id,
                       "groupId": federation.group_id, "properties": {"vcpus": 1, "memoryMiB": 512}});
    let (service_id, service_path) = order_started(api, &federation, &order).await;
    wait_for(
        api,
        &federation.consumer_token,
        &service_path,
        "observedState",
        "Running",
    )
    .await;

    // `virsh destroy`, as an operator would.
    let domain = host
        .lookup_domain_by_name(&format!("drift-{service_id}"))
        .unwrap();
    domain.destroy().unwrap();
    let drifted = wait_for(
        api,
        &federation.consumer_token,
        &service_path,
        "status",
        "Stopped",
    )
    .await;
    assert_eq!(drifted["observedState"], "Stopped", "{drifted:?}");
    assert_drifted_and_billed(api, &federation, &service_id).await;

    act(api, &federation, &service_path, "start").await;
    let started = wait_for(
        api,
        &federation.consumer_token,
        &service_path,
        "status",
        "Started",
    )
    .await;
    assert_eq!(started["agentInstanceData"]["state"], "running");
    assert!(domain.is_active().unwrap());

    api.delete(&service_path, &federation.consumer_token).await;
    wait_for(
        api,
        &federation.consumer_token,
        &service_path,
        "status",
        "Deleted",
    )
    .await;
    let _ = stop.send(());
    let _ = agent.await;
    exchange.terminate();
}
