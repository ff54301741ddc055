//! A switch end to end with real parts: `federa serve`, two `federa agent`
//! processes of providers in two countries, and a key-value store run by
//! the source agent as a real process. The consumer asks for the switch;
//! the agents export, transfer over pinned HTTPS and import; every key is
//! read back from the target; the source's process and data are gone after
//! the erasure; and the invoice bills the source until the cut-over only.

use std::time::Duration;

use federa_testkit::processes::{
    act, agent_config, processes_mentioning, spawn_agent, terminate, wait_for, Exchange, KillOnDrop,
};
use federa_testkit::{Federation, ADMIN_TOKEN, EXAMPLE_VM_LIFECYCLE};
use serde_json::{json, Value};

const FEDERA: &str = env!("CARGO_BIN_EXE_federa");

const KEYS: usize = 10_000;

fn kv_type() -> Value {
    json!({
        "name": "Key-value store",
        "propertySchema": {"properties": {"program": {"type": "string"}}},
        "lifecycleSchema": serde_json::from_str::<Value>(EXAMPLE_VM_LIFECYCLE).unwrap(),
    })
}

/// One provider's side: its agent running as a process with a transfer
/// listener, under `dir`.
struct Side {
    dir: tempfile::TempDir,
    agent: tokio::process::Child,
}

fn start_agent(base: &str, token: &str, ports: [u16; 2]) -> Side {
    let dir = tempfile::tempdir().unwrap();
    let config = agent_config(dir.path(), base, token, ports);
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        "\n[transfer]\ndir = \"{}\"\nlisten = \"127.0.0.1:0\"\n",
        dir.path().join("transfers").display()
    ));
    std::fs::write(&config, text).unwrap();
    let agent = spawn_agent(FEDERA, &config, &dir.path().join("agent.log"));
    Side { dir, agent }
}

/// Publishes `provider`'s profile in `country` and an offering there whose
/// exit terms let a store's data go as JSON.
async fn publish(
    api: &federa_testkit::Api,
    federation: &Federation,
    provider: &str,
    country: &str,
) {
    let region = format!("{}-1", country.to_lowercase());
    api.provider_profile(provider, country, &region).await;
    let offering = api
        .post(
            "/api/v1/offerings",
            ADMIN_TOKEN,
            &json!({
                "participantId": provider,
                "serviceTypeId": federation.service_type_id,
                "regions": [region],
                "price": {"hourly": "3600"},
                "exitTerms": {"exportable": [{"name": "data", "format": "application/json"}]},
            }),
        )
        .await;
    assert_eq!(offering.status, 201, "{:?}", offering.body);
}

/// Running hours billed to `service_id` in `invoice`.
fn billed_hours(invoice: &Value, service_id: &str) -> f64 {
    fn walk(value: &Value, service_id: &str, hours: &mut f64) {
        match value {
            Value::Object(fields) => {
                if fields.get("serviceId").and_then(Value::as_str) == Some(service_id)
                    && fields.get("kind").and_then(Value::as_str) == Some("runningHours")
                {
                    let quantity = fields.get("quantity").and_then(Value::as_str);
                    *hours += quantity.and_then(|q| q.parse::<f64>().ok()).unwrap_or(0.0);
                }
                fields.values().for_each(|v| walk(v, service_id, hours));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, service_id, hours)),
            _ => {}
        }
    }
    let mut hours = 0.0;
    walk(invoice, service_id, &mut hours);
    hours
}

async fn wait_for_stage(api: &federa_testkit::Api, token: &str, path: &str, stage: &str) -> Value {
    for _ in 0..1200 {
        let read = api.get(path, token).await;
        if read.body["stage"] == stage {
            return read.body;
        }
        assert!(
            !["Failed", "Cancelled"].contains(&read.body["stage"].as_str().unwrap_or_default()),
            "{:?}",
            read.body
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path} never reached {stage}");
}

#[tokio::test]
async fn a_key_value_store_switches_country_with_every_key_and_its_source_is_erased() {
    let exchange = Exchange::start(FEDERA, 60).await;
    let api = &exchange.api;
    let federation = Federation::create_with(api, &kv_type()).await;
    let target_provider = api.participant("Berlin Cloud").await;
    let target_agent = api
        .post(
            "/api/v1/agents",
            ADMIN_TOKEN,
            &json!({"name": "berlin", "providerId": target_provider, "agentTypeId": federation.agent_type_id}),
        )
        .await;
    let target_agent_id = target_agent.body["id"].as_str().unwrap().to_string();
    let target_agent_token = api.token("agent", Some(&target_agent_id)).await;
    publish(api, &federation, &federation.provider_id, "FI").await;
    publish(api, &federation, &target_provider, "DE").await;

    let source = start_agent(&api.base, &federation.agent_token, [24700, 24749]);
    let target = start_agent(&api.base, &target_agent_token, [24750, 24799]);
    let _cleanup = [
        KillOnDrop(source.dir.path().to_path_buf()),
        KillOnDrop(target.dir.path().to_path_buf()),
    ];
    let admin = ADMIN_TOKEN;
    for agent_id in [&federation.agent_id, &target_agent_id] {
        wait_for(
            api,
            admin,
            &format!("/api/v1/agents/{agent_id}"),
            "status",
            "Connected",
        )
        .await;
    }

    let order = json!({"name": "orders", "serviceTypeId": federation.service_type_id, "groupId": federation.group_id,
                       "properties": {"program": "kv-store"}, "placement": {"countries": ["FI"]}});
    let created = api
        .post("/api/v1/services", &federation.consumer_token, &order)
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let source_id = created.body["id"].as_str().unwrap().to_string();
    let source_path = format!("/api/v1/services/{source_id}");
    let consumer = &federation.consumer_token;
    wait_for(api, consumer, &source_path, "status", "Stopped").await;
    act(api, &federation, &source_path, "start").await;
    let started = wait_for(api, consumer, &source_path, "status", "Started").await;
    let source_url = started["agentInstanceData"]["url"]
        .as_str()
        .unwrap()
        .to_string();
    let http = reqwest::Client::new();
    for i in 0..KEYS {
        let stored = http
            .put(format!("{source_url}keys/key-{i:05}"))
            .body(format!("value {i} ✓"))
            .send()
            .await
            .unwrap();
        assert_eq!(stored.status(), 204, "key {i}");
    }

    let switch = api
        .post(
            "/api/v1/switches",
            consumer,
            &json!({"serviceId": source_id, "target": {"countries": ["DE"]}}),
        )
        .await;
    assert_eq!(switch.status, 201, "{:?}", switch.body);
    assert_eq!(switch.body["targetProviderId"], target_provider.as_str());
    let switch_path = format!("/api/v1/switches/{}", switch.body["id"].as_str().unwrap());
    let cut_over = wait_for_stage(api, consumer, &switch_path, "Transitional").await;
    assert_eq!(cut_over["exported"], cut_over["imported"]);
    let size = cut_over["imported"]["sizeBytes"].as_u64().unwrap();
    assert!(size > (KEYS * 10) as u64, "{cut_over:?}");

    // The target holds every key; the source still answers until erased.
    let target_path = format!(
        "/api/v1/services/{}",
        cut_over["targetServiceId"].as_str().unwrap()
    );
    act(api, &federation, &target_path, "start").await;
    let target_service = wait_for(api, consumer, &target_path, "status", "Started").await;
    let target_url = target_service["agentInstanceData"]["url"].as_str().unwrap();
    assert_ne!(target_url, source_url);
    for i in 0..KEYS {
        let read = http
            .get(format!("{target_url}keys/key-{i:05}"))
            .send()
            .await
            .unwrap();
        assert_eq!(read.status(), 200, "key {i}");
        assert_eq!(read.text().await.unwrap(), format!("value {i} ✓"));
    }
    assert!(http.get(format!("{source_url}keys")).send().await.is_ok());

    let confirmed = api
        .post(
            &format!("{switch_path}/confirm-erasure"),
            consumer,
            &json!({}),
        )
        .await;
    assert_eq!(confirmed.status, 200, "{:?}", confirmed.body);
    let done = wait_for_stage(api, consumer, &switch_path, "Completed").await;
    wait_for(api, consumer, &source_path, "status", "Erased").await;
    let source_dir = source.dir.path().join("work/services").join(&source_id);
    assert!(!source_dir.exists(), "the source's data is gone");
    assert!(
        processes_mentioning(&source_dir.display().to_string()).is_empty(),
        "the source's process is gone"
    );
    assert!(http.get(format!("{source_url}keys")).send().await.is_err());

    // The source is billed from its start to the cut-over, no longer.
    let cut_over_at: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(done["cutOverAt"].clone()).unwrap();
    let started_at: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(started["updatedAt"].clone()).unwrap();
    let invoice = api
        .get(
            "/api/v1/invoices?from=2026-01-01T00:00:00Z&to=2100-01-01T00:00:00Z",
            consumer,
        )
        .await;
    assert_eq!(invoice.status, 200, "{:?}", invoice.body);
    let source_hours = billed_hours(&invoice.body, &source_id);
    let running = (cut_over_at - started_at).num_milliseconds() as f64 / 3_600_000.0;
    assert!(
        (source_hours - running).abs() < 0.5 / 3600.0,
        "billed {source_hours} h, ran {running} h until the cut-over"
    );
    let target_id = cut_over["targetServiceId"].as_str().unwrap();
    assert!(billed_hours(&invoice.body, target_id) > 0.0);

    terminate(&source.agent);
    terminate(&target.agent);
}
