//! `federa serve` and a `federa agent` with the openstack driver, against
//! the real OpenStack `.ci/openstack.sh` starts (`OS_CLIENT_CONFIG_FILE`
//! names its clouds.yaml): VMs ordered through placement become Nova
//! servers, with the catalogue's service type.
#![cfg(feature = "openstack")]

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use federa_testkit::processes::{
    define_metric_types, reported_metrics, spawn_agent, terminate, Exchange,
};
use federa_testkit::{Api, Federation, ADMIN_TOKEN};
use serde_json::{json, Value};

const FEDERA: &str = env!("CARGO_BIN_EXE_federa");
const CATALOGUE: &str = include_str!("../../../catalogue/openstack/vm.json");

fn clouds_file() -> String {
    std::env::var("OS_CLIENT_CONFIG_FILE")
        .expect("OS_CLIENT_CONFIG_FILE names the test cloud's clouds.yaml (.ci/openstack.sh)")
}

/// `openstack --os-cloud <cloud> <args>`, its standard output.
fn openstack_run(cloud: &str, clouds: &str, args: &[&str]) -> Vec<u8> {
    let output = Command::new("openstack")
        .env("OS_CLIENT_CONFIG_FILE", clouds)
        .args(["--os-cloud", cloud])
        .args(args)
        .output()
        .expect("the openstack client runs");
    assert!(
        output.status.success(),
        "openstack {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// `openstack --os-cloud <cloud> <args> -f json`, parsed.
fn openstack(cloud: &str, clouds: &str, args: &[&str]) -> Value {
    let args: Vec<&str> = args.iter().copied().chain(["-f", "json"]).collect();
    serde_json::from_slice(&openstack_run(cloud, clouds, &args)).unwrap_or(Value::Null)
}

fn agent_toml(dir: &Path, api: &Api, token: &str, cloud: &str, clouds: &str) -> std::path::PathBuf {
    let path = dir.join("agent.toml");
    std::fs::write(
        &path,
        format!(
            "url = \"{}\"\ntoken = \"{token}\"\nheartbeat_seconds = 1\nmetrics_seconds = 1\npoll_wait_seconds = 5\n\n\
             [driver]\nkind = \"openstack\"\ncloud = \"{cloud}\"\nclouds_file = \"{clouds}\"\n\
             image = \"federa-test-image\"\nwait_timeout_seconds = 240\npoll_interval_milliseconds = 250\n",
            api.base
        ),
    )
    .unwrap();
    path
}

/// The exchange with the catalogue's OpenStack VM type, a provider in
/// Finland offering it, and the provider's agent connected.
async fn federation(api: &Api) -> Federation {
    let service_type: Value = serde_json::from_str(CATALOGUE).unwrap();
    let federation = Federation::create_with(api, &service_type).await;
    define_metric_types(api, &federa_agent::openstack::METRIC_TYPES).await;
    let profile = api
        .post(
            "/api/v1/provider-profiles",
            ADMIN_TOKEN,
            &json!({"participantId": federation.provider_id, "jurisdiction": "FI",
                    "regions": [{"code": "fi-hel-1", "country": "FI"}]}),
        )
        .await;
    assert_eq!(profile.status, 201, "{:?}", profile.body);
    let offering = api
        .post(
            "/api/v1/offerings",
            ADMIN_TOKEN,
            &json!({"participantId": federation.provider_id, "serviceTypeId": federation.service_type_id,
                    "regions": ["fi-hel-1"], "price": {"hourly": "0.05"}}),
        )
        .await;
    assert_eq!(offering.status, 201, "{:?}", offering.body);
    federation
}

async fn wait_connected(api: &Api, federation: &Federation, log: &Path) {
    for _ in 0..600 {
        let agent = api
            .get(
                &format!("/api/v1/agents/{}", federation.agent_id),
                ADMIN_TOKEN,
            )
            .await;
        if agent.body["status"] == "Connected" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the agent never connected: {}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

/// Polls the service until its status is `expected` (Nova under load can
/// take a while to boot a server).
async fn wait_status(api: &Api, token: &str, path: &str, expected: &str, log: &Path) -> Value {
    let mut last = Value::Null;
    for _ in 0..1200 {
        last = api.get(path, token).await.body;
        if last["status"] == expected {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!(
        "{path} never became {expected}: {last}; agent log: {}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

fn placed_order(federation: &Federation, name: &str, properties: Value) -> Value {
    json!({"name": name, "serviceTypeId": federation.service_type_id, "groupId": federation.group_id,
           "properties": properties, "placement": {"countries": ["FI"]}})
}

#[tokio::test]
async fn a_vm_ordered_through_placement_is_a_nova_server_until_deleted() {
    let clouds = clouds_file();
    let exchange = Exchange::start(FEDERA, 300).await;
    let api = &exchange.api;
    let federation = federation(api).await;
    let dir = tempfile::tempdir().unwrap();
    let config = agent_toml(dir.path(), api, &federation.agent_token, "federa", &clouds);
    let log = dir.path().join("agent.log");
    let agent = spawn_agent(FEDERA, &config, &log);
    wait_connected(api, &federation, &log).await;

    let order = placed_order(
        &federation,
        "build-runner",
        json!({"vcpus": 1, "ramMiB": 512}),
    );
    let created = api
        .post("/api/v1/services", &federation.consumer_token, &order)
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let service_id = created.body["id"].as_str().unwrap().to_string();
    let service_path = format!("/api/v1/services/{service_id}");
    let started = wait_status(
        api,
        &federation.consumer_token,
        &service_path,
        "Started",
        &log,
    )
    .await;
    let server_id = started["agentInstanceId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(started["agentInstanceData"]["serverId"], json!(server_id));
    assert_eq!(started["agentInstanceData"]["flavor"], "m1.tiny");
    assert_eq!(started["agentInstanceData"]["status"], "ACTIVE");

    let servers = openstack("federa", &clouds, &["server", "list"]);
    let listed = servers
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["ID"] == json!(server_id))
        .unwrap_or_else(|| panic!("{server_id} not in openstack server list: {servers}"));
    assert_eq!(listed["Name"], json!(format!("federa-{service_id}")));
    assert_eq!(listed["Status"], "ACTIVE");
    assert_eq!(listed["Flavor"], "m1.tiny");

    let metrics = reported_metrics(api, &federation.consumer_token, &service_id).await;
    assert!(metrics > 0, "no metrics arrived");

    api.post(
        &format!("{service_path}/stop"),
        &federation.consumer_token,
        &json!({}),
    )
    .await;
    let stopped = wait_status(
        api,
        &federation.consumer_token,
        &service_path,
        "Stopped",
        &log,
    )
    .await;
    assert_eq!(stopped["agentInstanceData"]["status"], "SHUTOFF");

    api.delete(&service_path, &federation.consumer_token).await;
    wait_status(
        api,
        &federation.consumer_token,
        &service_path,
        "Deleted",
        &log,
    )
    .await;
    let servers = openstack("federa", &clouds, &["server", "list"]);
    assert!(
        !servers.to_string().contains(&server_id),
        "the server is gone: {servers}"
    );

    terminate(&agent);
    exchange.terminate();
}

#[tokio::test]
async fn a_quota_refusal_sends_the_order_to_the_lifecycles_quota_state() {
    let clouds = clouds_file();
    let project = format!(
        "federa-quota-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis()
    );
    let admin = |args: &[&str]| openstack_run("federa-admin", &clouds, args);
    admin(&["project", "create", "--domain", "default", &project]);
    admin(&[
        "role",
        "add",
        "--project",
        &project,
        "--user",
        "federa",
        "member",
    ]);
    admin(&["quota", "set", "--cores", "2", &project]);
    // The member user, in the low-quota project.
    let dir = tempfile::tempdir().unwrap();
    let member = std::fs::read_to_string(&clouds).unwrap();
    let quota_clouds = dir.path().join("clouds.yaml");
    std::fs::write(
        &quota_clouds,
        member.replacen(
            "project_name: federa\n",
            &format!("project_name: {project}\n"),
            1,
        ),
    )
    .unwrap();

    let exchange = Exchange::start(FEDERA, 300).await;
    let api = &exchange.api;
    let federation = federation(api).await;
    let config = agent_toml(
        dir.path(),
        api,
        &federation.agent_token,
        "federa",
        quota_clouds.to_str().unwrap(),
    );
    let log = dir.path().join("agent.log");
    let agent = spawn_agent(FEDERA, &config, &log);
    wait_connected(api, &federation, &log).await;

    let order = placed_order(&federation, "big-vm", json!({"flavor": "m1.large"}));
    let created = api
        .post("/api/v1/services", &federation.consumer_token, &order)
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let service_id = created.body["id"].as_str().unwrap().to_string();
    let service_path = format!("/api/v1/services/{service_id}");
    wait_status(
        api,
        &federation.consumer_token,
        &service_path,
        "QuotaExceeded",
        &log,
    )
    .await;
    let jobs = api
        .get(
            &format!("/api/v1/jobs?serviceId={service_id}&action=create"),
            &federation.consumer_token,
        )
        .await;
    let message = jobs.body["items"][0]["errorMessage"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.contains("Quota exceeded for cores: Requested 4, but already used 0 of 2 cores"),
        "{}",
        jobs.body
    );
    let servers = openstack(
        "federa-admin",
        &clouds,
        &["server", "list", "--project", &project],
    );
    assert_eq!(servers, json!([]), "nothing was booted");

    api.delete(&service_path, &federation.consumer_token).await;
    wait_status(
        api,
        &federation.consumer_token,
        &service_path,
        "Deleted",
        &log,
    )
    .await;
    terminate(&agent);
    exchange.terminate();
    admin(&["project", "delete", &project]);
}

#[tokio::test]
async fn an_agent_with_bad_credentials_stops_at_start_saying_why() {
    let clouds = clouds_file();
    let dir = tempfile::tempdir().unwrap();
    let wrong = dir.path().join("clouds.yaml");
    std::fs::write(
        &wrong,
        std::fs::read_to_string(&clouds)
            .unwrap()
            .replacen("password: ", "password: wrong-", 1),
    )
    .unwrap();
    let api = Api::remote("http://127.0.0.1:9");
    let config = agent_toml(
        dir.path(),
        &api,
        "unused",
        "federa",
        wrong.to_str().unwrap(),
    );
    let log = dir.path().join("agent.log");
    let mut agent = spawn_agent(FEDERA, &config, &log);
    let exit = tokio::time::timeout(Duration::from_secs(60), agent.wait())
        .await
        .expect("the agent stops by itself")
        .unwrap();
    let output = std::fs::read_to_string(&log).unwrap();
    assert!(!exit.success(), "{output}");
    assert!(
        output.contains("refused the credentials of cloud \"federa\"") && output.contains("401"),
        "{output}"
    );
    assert!(
        !output.contains("wrong-"),
        "the password is not printed: {output}"
    );
}
