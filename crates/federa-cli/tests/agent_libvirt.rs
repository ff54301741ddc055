//! `federa serve` and a `federa agent` with the libvirt driver, on libvirt's
//! built-in `test:///default` hypervisor: an ordered VM becomes a libvirt
//! domain, reported back through the exchange.
#![cfg(feature = "libvirt")]

use std::time::Duration;

use federa_testkit::processes::{
    act, define_metric_types, order_created, reported_metrics, spawn_agent, terminate, wait_for,
    Exchange,
};
use federa_testkit::Federation;
use serde_json::{json, Value};

const FEDERA: &str = env!("CARGO_BIN_EXE_federa");

/// The repository's libvirt catalogue: what a provider loads is what runs here.
const VM_TYPE: &str = include_str!("../../../catalogue/libvirt/vm.json");

const METRIC_TYPES: &str = include_str!("../../../catalogue/libvirt/metric-types.json");

fn vm_type() -> Value {
    serde_json::from_str(VM_TYPE).unwrap()
}

#[test]
fn the_catalogues_metric_types_are_the_ones_the_driver_reports() {
    let listed: Vec<Value> = serde_json::from_str(METRIC_TYPES).unwrap();
    let names: Vec<&str> = listed.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, federa_agent::libvirt::METRIC_TYPES);
}

#[tokio::test]
async fn an_ordered_vm_is_a_libvirt_domain_until_deleted() {
    let exchange = Exchange::start(FEDERA, 60).await;
    let api = &exchange.api;
    let federation = Federation::create_with(api, &vm_type()).await;
    define_metric_types(api, &federa_agent::libvirt::METRIC_TYPES).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("agent.toml");
    std::fs::write(
        &config,
        format!(
            "url = \"{}\"\ntoken = \"{}\"\nheartbeat_seconds = 1\nmetrics_seconds = 1\npoll_wait_seconds = 5\n\n[driver]\nkind = \"libvirt\"\nuri = \"test:///default\"\nnetwork = \"default\"\n",
            api.base, federation.agent_token
        ),
    )
    .unwrap();
    let log = dir.path().join("agent.log");
    let mut agent = spawn_agent(FEDERA, &config, &log);
    let agent_log = || std::fs::read_to_string(&log).unwrap_or_default();

    let order = json!({"name": "build-runner", "serviceTypeId": federation.service_type_id,
                       "groupId": federation.group_id, "properties": {"vcpus": 2, "memoryMiB": 1024}});
    let (service_id, service_path, stopped) = order_created(api, &federation, &order).await;
    let uuid = stopped["agentInstanceId"].as_str().unwrap_or_default();
    assert_eq!(uuid.len(), 36, "a domain UUID: {stopped}; {}", agent_log());
    let data = &stopped["agentInstanceData"];
    assert_eq!(data["name"], json!(format!("federa-{service_id}")));
    assert_eq!(data["state"], "shutoff");
    assert_eq!(data["vcpus"], 2);
    assert_eq!(data["memoryMiB"], 1024);

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

    let metrics = reported_metrics(api, &federation.consumer_token, &service_id).await;
    assert!(
        metrics > 0,
        "no metrics arrived; agent log: {}",
        agent_log()
    );

    api.post(
        &format!("{service_path}/stop"),
        &federation.consumer_token,
        &json!({}),
    )
    .await;
    let stopped = wait_for(
        api,
        &federation.consumer_token,
        &service_path,
        "status",
        "Stopped",
    )
    .await;
    assert_eq!(stopped["agentInstanceData"]["state"], "shutoff");

    api.delete(&service_path, &federation.consumer_token).await;
    wait_for(
        api,
        &federation.consumer_token,
        &service_path,
        "status",
        "Deleted",
    )
    .await;

    terminate(&agent);
    let exit = tokio::time::timeout(Duration::from_secs(30), agent.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(exit.success(), "agent exit: {exit:?}; {}", agent_log());
    exchange.terminate();
}
