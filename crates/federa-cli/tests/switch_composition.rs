//! A composition switched end to end with real parts: `federa serve`, two
//! `federa agent` processes of providers in two countries, and a
//! composition of two key-value stores run by the source agent as real
//! processes. One request moves both; the agents export, transfer and
//! import each store; the two cut over together; the composition's members
//! then run at the target with every key; and both sources are erased.

mod switching;

use federa_testkit::processes::{act, processes_mentioning, terminate, wait_for};
use serde_json::{json, Value};
use switching::{wait_for_stage, Switching};

const KEYS: usize = 500;
const MEMBERS: [&str; 2] = ["orders", "sessions"];

#[tokio::test]
async fn a_composition_of_two_stores_switches_country_as_one_with_every_key() {
    let switching = Switching::start([[24900, 24949], [24950, 24999]], "127.0.0.1:0").await;
    let (api, federation) = (switching.api(), &switching.federation);
    let consumer = switching.consumer();

    let components: Vec<Value> = MEMBERS
        .iter()
        .map(|key| {
            json!({"key": key, "name": key, "serviceTypeId": federation.service_type_id,
                   "properties": {"program": "kv-store"}, "placement": {"countries": ["FI"]}})
        })
        .collect();
    let created = api
        .post(
            "/api/v1/compositions",
            consumer,
            &json!({"groupId": federation.group_id, "name": "shop", "components": components}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let composition_path = format!(
        "/api/v1/compositions/{}",
        created.body["id"].as_str().unwrap()
    );
    let ready = wait_for(api, consumer, &composition_path, "status", "Ready").await;

    // Each store runs and holds its own keys.
    let http = reqwest::Client::new();
    let mut sources = Vec::new();
    for member in ready["members"].as_array().unwrap() {
        let key = member["key"].as_str().unwrap().to_string();
        let service_id = member["serviceId"].as_str().unwrap().to_string();
        let path = format!("/api/v1/services/{service_id}");
        act(api, federation, &path, "start").await;
        let started = wait_for(api, consumer, &path, "status", "Started").await;
        let url = started["agentInstanceData"]["url"]
            .as_str()
            .unwrap()
            .to_string();
        for i in 0..KEYS {
            let stored = http
                .put(format!("{url}keys/key-{i:04}"))
                .body(format!("{key} {i}"))
                .send()
                .await
                .unwrap();
            assert_eq!(stored.status(), 204, "{key} key {i}");
        }
        sources.push((key, service_id, url));
    }

    let asked = api
        .post(
            "/api/v1/switches",
            consumer,
            &json!({"compositionId": created.body["id"], "target": {"countries": ["DE"]}}),
        )
        .await;
    assert_eq!(asked.status, 201, "{:?}", asked.body);
    let switches = asked.body["switches"].as_array().unwrap().clone();
    assert_eq!(switches.len(), 2, "{:?}", asked.body);
    let mut cut_over = Vec::new();
    for switch in &switches {
        assert_eq!(
            switch["targetProviderId"],
            switching.target_provider.as_str()
        );
        let path = format!("/api/v1/switches/{}", switch["id"].as_str().unwrap());
        cut_over.push(wait_for_stage(api, consumer, &path, "Transitional").await);
    }
    // Together: neither cut over before the other's import was verified.
    let time = |value: &Value| -> chrono::DateTime<chrono::Utc> {
        serde_json::from_value(value.clone()).unwrap()
    };
    let verified_at = |switch: &Value| {
        switch["history"]
            .as_array()
            .unwrap()
            .iter()
            .find(|entry| entry["stage"] == "Verified")
            .map(|entry| time(&entry["at"]))
    };
    let last_verified = cut_over.iter().filter_map(verified_at).max().unwrap();
    for switch in &cut_over {
        assert_eq!(switch["exported"], switch["imported"]);
        assert!(time(&switch["cutOverAt"]) >= last_verified, "{switch:?}");
    }

    // The composition's members now run at the target, with every key.
    let moved = api.get(&composition_path, consumer).await.body;
    for (key, source_id, source_url) in &sources {
        let member = moved["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|member| member["key"] == key.as_str())
            .unwrap();
        let switch = cut_over
            .iter()
            .find(|switch| switch["memberKey"] == key.as_str())
            .unwrap();
        assert_eq!(member["serviceId"], switch["targetServiceId"]);
        assert_eq!(member["country"], "DE");
        assert_eq!(switch["sourceServiceId"], source_id.as_str());
        let target_path = format!("/api/v1/services/{}", member["serviceId"].as_str().unwrap());
        act(api, federation, &target_path, "start").await;
        let target = wait_for(api, consumer, &target_path, "status", "Started").await;
        let target_url = target["agentInstanceData"]["url"].as_str().unwrap();
        assert_ne!(target_url, source_url);
        for i in 0..KEYS {
            let read = http
                .get(format!("{target_url}keys/key-{i:04}"))
                .send()
                .await
                .unwrap();
            assert_eq!(read.status(), 200, "{key} key {i}");
            assert_eq!(read.text().await.unwrap(), format!("{key} {i}"));
        }
    }

    // Each source is erased on confirmation: its process and data gone.
    for (switch, (_, source_id, source_url)) in cut_over.iter().zip(&sources) {
        let path = format!("/api/v1/switches/{}", switch["id"].as_str().unwrap());
        let confirmed = api
            .post(&format!("{path}/confirm-erasure"), consumer, &json!({}))
            .await;
        assert_eq!(confirmed.status, 200, "{:?}", confirmed.body);
        wait_for_stage(api, consumer, &path, "Completed").await;
        let source_dir = switching.source.service_dir(source_id);
        assert!(!source_dir.exists(), "the source's data is gone");
        assert!(processes_mentioning(&source_dir.display().to_string()).is_empty());
        assert!(http.get(format!("{source_url}keys")).send().await.is_err());
    }

    terminate(&switching.source.agent);
    terminate(&switching.target.agent);
}
