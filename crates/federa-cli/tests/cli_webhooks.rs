//! Webhooks from the command line against a real exchange: a consumer
//! subscribes an endpoint (the signing secret printed once), lists it,
//! reads its delivery log as the exchange tries to deliver, and removes it.

mod command_line;

use std::time::Duration;

use command_line::{federa, stderr, stdout, FEDERA};
use federa_testkit::processes::Exchange;
use federa_testkit::Federation;
use serde_json::{json, Value};

#[tokio::test]
async fn a_consumer_subscribes_an_endpoint_reads_its_deliveries_and_removes_it() {
    let exchange = Exchange::start(FEDERA, 60).await;
    let api = &exchange.api;
    let federation = Federation::create(api).await;
    let (url, token) = (api.base.as_str(), federation.consumer_token.as_str());
    // Nothing listens on port 9: every attempt fails and is logged.
    let endpoint =
        json!({"url": "http://127.0.0.1:9/hook", "eventTypes": ["service_group.created"]});
    let created = federa(
        url,
        token,
        &[
            "webhooks",
            "create",
            "--json",
            &endpoint.to_string(),
            "-o",
            "json",
        ],
    )
    .await;
    assert!(created.status.success(), "{}", stderr(&created));
    let created: Value = serde_json::from_str(&stdout(&created)).expect("an endpoint as JSON");
    let id = created["id"].as_str().expect("endpoint id").to_string();
    assert!(
        created["secret"]
            .as_str()
            .is_some_and(|s| s.starts_with("whsec_")),
        "the secret is shown once: {created:?}"
    );
    let listed = federa(url, token, &["webhooks", "list"]).await;
    assert!(listed.status.success(), "{}", stderr(&listed));
    assert!(
        stdout(&listed).contains("http://127.0.0.1:9/hook"),
        "{}",
        stdout(&listed)
    );
    assert!(!stdout(&listed).contains("whsec_"), "{}", stdout(&listed));

    let group = api
        .post(
            "/api/v1/service-groups",
            token,
            &json!({"name": "hooked", "consumerId": federation.consumer_id}),
        )
        .await;
    assert_eq!(group.status, 201, "{:?}", group.body);
    let mut table = String::new();
    for _ in 0..100 {
        let deliveries = federa(url, token, &["webhooks", "deliveries", &id]).await;
        assert!(deliveries.status.success(), "{}", stderr(&deliveries));
        table = stdout(&deliveries);
        if table.contains("service_group.created") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(table.contains("SEQUENCE"), "{table}");
    assert!(table.contains("service_group.created"), "{table}");

    let removed = federa(url, token, &["webhooks", "delete", &id]).await;
    assert!(removed.status.success(), "{}", stderr(&removed));
    let gone = federa(url, token, &["webhooks", "get", &id]).await;
    assert_eq!(gone.status.code(), Some(1), "{}", stderr(&gone));
}
