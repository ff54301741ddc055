//! `federa serve` and two providers' `federa agent` processes: an agent
//! killed with SIGKILL is marked `Disconnected` within the exchange's
//! timeout, placement passes it by and says so, and it is `Connected`
//! again once restarted.

use std::time::{Duration, Instant};

use federa_testkit::processes::{agent_config, spawn_agent, wait_for, Exchange, KillOnDrop};
use federa_testkit::{Api, Federation, TestDatabase, EXAMPLE_VM_LIFECYCLE};
use serde_json::{json, Value};

const FEDERA: &str = env!("CARGO_BIN_EXE_federa");
const TIMEOUT_SECONDS: u64 = 4;

fn website_type() -> Value {
    json!({
        "name": "Static website",
        "propertySchema": {"properties": {"content": {"type": "string"}}},
        "lifecycleSchema": serde_json::from_str::<Value>(EXAMPLE_VM_LIFECYCLE).unwrap(),
    })
}

/// A profile in France and an offering of the website at `hourly` EUR.
async fn offer(api: &Api, federation: &Federation, provider: (&str, &str), hourly: &str) {
    let (provider_id, token) = provider;
    let profile = api
        .post(
            "/api/v1/provider-profiles",
            token,
            &json!({"participantId": provider_id, "jurisdiction": "FR",
                    "regions": [{"code": "fr-par-1", "country": "FR"}]}),
        )
        .await;
    assert_eq!(profile.status, 201, "{:?}", profile.body);
    let offering = api
        .post(
            "/api/v1/offerings",
            token,
            &json!({"participantId": provider_id, "serviceTypeId": federation.service_type_id,
                    "regions": ["fr-par-1"], "price": {"hourly": hourly}}),
        )
        .await;
    assert_eq!(offering.status, 201, "{:?}", offering.body);
}

fn website_order(federation: &Federation, name: &str) -> Value {
    json!({"name": name, "serviceTypeId": federation.service_type_id, "groupId": federation.group_id,
           "properties": {"content": format!("<h1>{name}</h1>")}})
}

fn kill(child: &tokio::process::Child) {
    let pid = child.id().expect("running").to_string();
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
}

#[tokio::test]
async fn a_killed_agent_is_disconnected_passed_by_by_name_and_connected_again_after_restart() {
    let database = TestDatabase::create().await;
    let timeout = TIMEOUT_SECONDS.to_string();
    let exchange = Exchange::start_with(
        FEDERA,
        &database.url,
        "127.0.0.1:0",
        900,
        &["--agent-timeout-seconds", &timeout],
        tempfile::tempdir().unwrap(),
    )
    .await;
    let api = &exchange.api;
    let federation = Federation::create_with(api, &website_type()).await;
    // The cheaper provider runs the agent that will be killed.
    offer(
        api,
        &federation,
        (&federation.provider_id, &federation.provider_token),
        "0.01",
    )
    .await;
    let backup_id = api.participant("Backup").await;
    let backup_token = api.token("participant", Some(&backup_id)).await;
    offer(api, &federation, (&backup_id, &backup_token), "0.05").await;
    let backup_agent = api
        .post(
            "/api/v1/agents",
            &backup_token,
            &json!({"name": "backup-agent", "providerId": backup_id, "agentTypeId": federation.agent_type_id}),
        )
        .await;
    assert_eq!(backup_agent.status, 201, "{:?}", backup_agent.body);
    let backup_agent_id = backup_agent.body["id"].as_str().unwrap().to_string();
    let backup_agent_token = api.token("agent", Some(&backup_agent_id)).await;

    let dir = tempfile::tempdir().unwrap();
    let _cleanup = KillOnDrop(dir.path().to_path_buf());
    let (main_dir, backup_dir) = (dir.path().join("main"), dir.path().join("backup"));
    std::fs::create_dir_all(&main_dir).unwrap();
    std::fs::create_dir_all(&backup_dir).unwrap();
    let main_config = agent_config(
        &main_dir,
        &api.base,
        &federation.agent_token,
        [24600, 24649],
    );
    let backup_config = agent_config(&backup_dir, &api.base, &backup_agent_token, [24650, 24699]);
    let main_agent = spawn_agent(FEDERA, &main_config, &main_dir.join("agent.log"));
    let _backup = spawn_agent(FEDERA, &backup_config, &backup_dir.join("agent.log"));
    let main_path = format!("/api/v1/agents/{}", federation.agent_id);
    let backup_path = format!("/api/v1/agents/{backup_agent_id}");
    wait_for(
        api,
        &federation.provider_token,
        &main_path,
        "status",
        "Connected",
    )
    .await;
    wait_for(api, &backup_token, &backup_path, "status", "Connected").await;

    kill(&main_agent);
    let killed_at = Instant::now();
    wait_for(
        api,
        &federation.provider_token,
        &main_path,
        "status",
        "Disconnected",
    )
    .await;
    let noticed = killed_at.elapsed();
    // Its last call came at most a heartbeat (1 s) before the kill; the
    // sweep runs twice a second at this timeout.
    assert!(
        noticed <= Duration::from_secs(TIMEOUT_SECONDS + 1),
        "marked Disconnected {noticed:?} after the kill"
    );
    assert!(
        noticed >= Duration::from_secs(TIMEOUT_SECONDS - 1),
        "marked Disconnected {noticed:?} after the kill, before the timeout"
    );
    let events = api
        .get(
            &format!(
                "/api/v1/events?entityId={}&sort=-sequenceNumber",
                federation.agent_id
            ),
            &federation.provider_token,
        )
        .await;
    let latest = &events.body["items"][0];
    assert_eq!(latest["properties"]["to"], "Disconnected", "{latest:?}");
    assert_eq!(latest["initiatorType"], "system", "{latest:?}");

    let mut order = website_order(&federation, "homepage");
    order["placement"] = json!({});
    let placed = api
        .post("/api/v1/services", &federation.consumer_token, &order)
        .await;
    assert_eq!(placed.status, 201, "{:?}", placed.body);
    assert_eq!(placed.body["providerId"], backup_id.as_str());
    assert_eq!(placed.body["agentId"], backup_agent_id.as_str());
    let passed_by: Vec<Value> = placed.body["placement"]["considered"]
        .as_array()
        .expect("considered")
        .iter()
        .filter(|verdict| verdict["participantId"] == federation.provider_id.as_str())
        .flat_map(|verdict| {
            verdict["rejections"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(passed_by.len(), 1, "{passed_by:?}");
    assert_eq!(passed_by[0]["rule"], "noConnectedAgent");
    let why = passed_by[0]["message"].as_str().unwrap_or_default();
    assert!(
        why.contains("agent-1")
            && why.contains(&federation.agent_id)
            && why.contains("Disconnected"),
        "{why}"
    );
    let service_path = format!("/api/v1/services/{}", placed.body["id"].as_str().unwrap());
    let stopped = wait_for(
        api,
        &federation.consumer_token,
        &service_path,
        "status",
        "Stopped",
    )
    .await;
    assert_eq!(stopped["agentStatus"], "Connected", "{stopped:?}");

    // An order naming the dead agent waits for it, and says why.
    let mut waiting = website_order(&federation, "waits");
    waiting["agentId"] = json!(federation.agent_id);
    let waiting = api
        .post("/api/v1/services", &federation.consumer_token, &waiting)
        .await;
    assert_eq!(waiting.status, 201, "{:?}", waiting.body);
    let waiting_path = format!("/api/v1/services/{}", waiting.body["id"].as_str().unwrap());
    let seen = api.get(&waiting_path, &federation.consumer_token).await;
    assert_eq!(seen.body["status"], "New", "{:?}", seen.body);
    assert_eq!(seen.body["agentStatus"], "Disconnected", "{:?}", seen.body);

    let _restarted = spawn_agent(FEDERA, &main_config, &main_dir.join("agent-again.log"));
    wait_for(
        api,
        &federation.provider_token,
        &main_path,
        "status",
        "Connected",
    )
    .await;
    let created = wait_for(
        api,
        &federation.consumer_token,
        &waiting_path,
        "status",
        "Stopped",
    )
    .await;
    assert_eq!(created["agentStatus"], "Connected", "{created:?}");
}
