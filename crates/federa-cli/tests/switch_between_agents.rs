//! A switch end to end with real parts: `federa serve`, two `federa agent`
//! processes of providers in two countries, and a key-value store run by
//! the source agent as a real process. The consumer asks for the switch;
//! the agents export, transfer over pinned HTTPS and import; every key is
//! read back from the target; the source's process and data are gone after
//! the erasure; and the invoice bills the source until the cut-over only.

mod switching;

use federa_testkit::processes::{act, processes_mentioning, terminate, wait_for};
use serde_json::{json, Value};
use switching::{wait_for_stage, Switching};

const KEYS: usize = 10_000;

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

#[tokio::test]
async fn a_key_value_store_switches_country_with_every_key_and_its_source_is_erased() {
    let switching = Switching::start([[24700, 24749], [24750, 24799]], "127.0.0.1:0").await;
    let (api, federation) = (switching.api(), &switching.federation);
    let (source, target) = (&switching.source, &switching.target);

    let (source_id, source_path) = switching.order_store().await;
    let consumer = switching.consumer();
    act(api, federation, &source_path, "start").await;
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

    let (_, switch_path) = switching.switch_to_germany(&source_id).await;
    let cut_over = wait_for_stage(api, consumer, &switch_path, "Transitional").await;
    assert_eq!(cut_over["exported"], cut_over["imported"]);
    let size = cut_over["imported"]["sizeBytes"].as_u64().unwrap();
    assert!(size > (KEYS * 10) as u64, "{cut_over:?}");

    // The target holds every key; the source still answers until erased.
    let target_path = format!(
        "/api/v1/services/{}",
        cut_over["targetServiceId"].as_str().unwrap()
    );
    act(api, federation, &target_path, "start").await;
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
    let source_dir = source.service_dir(&source_id);
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
