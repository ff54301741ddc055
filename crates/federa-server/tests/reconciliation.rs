//! Reconciliation over HTTP: an agent reports what the platform shows of
//! its services; the exchange records it, reports drift, takes the drift
//! transition the lifecycle declares, and stops billing running time when
//! the instance was seen off.

mod exchange_kit;

use chrono::{DateTime, SecondsFormat, Utc};
use exchange_kit::{act, offering, placed_order, profile_in, provider, Provider};
use federa_testkit::{
    error_paths, Federation, TestServer, EXAMPLE_VM_LIFECYCLE, EXAMPLE_VM_PROPERTY_SCHEMA,
};
use serde_json::{json, Value};

/// The example VM, whose lifecycle says a `Started` VM seen off is `Stopped`.
fn vm_with_drift() -> Value {
    let mut lifecycle: Value = serde_json::from_str(EXAMPLE_VM_LIFECYCLE).unwrap();
    lifecycle["driftTransitions"] =
        json!([{"from": "Started", "observed": "Stopped", "to": "Stopped"}]);
    json!({
        "name": "VM",
        "propertySchema": serde_json::from_str::<Value>(EXAMPLE_VM_PROPERTY_SCHEMA).unwrap(),
        "lifecycleSchema": lifecycle,
    })
}

/// A started VM placed on `nordic`'s agent at 3600 EUR an hour.
async fn started_vm(server: &TestServer) -> (Federation, Provider, String) {
    let federation = Federation::create_with(server, &vm_with_drift()).await;
    let nordic = provider(server, &federation, "Nordic", profile_in("FI", "fi-hel-1")).await;
    offering(
        server,
        &federation,
        &nordic,
        &["fi-hel-1"],
        json!({"hourly": "3600"}),
    )
    .await;
    let ordered = server
        .post(
            "/api/v1/services",
            &federation.consumer_token,
            &placed_order(&federation, "vm-01", json!({})),
        )
        .await;
    assert_eq!(ordered.status, 201, "{:?}", ordered.body);
    let service_id = ordered.body["id"].as_str().unwrap().to_string();
    server.run_job(&nordic.agent_token, "create").await;
    act(server, &federation, &service_id, "start").await;
    server.run_job(&nordic.agent_token, "start").await;
    (federation, nordic, service_id)
}

async fn observe(server: &TestServer, agent_token: &str, service_id: &str, state: &str) -> String {
    let reported = server
        .post(
            "/api/v1/agents/me/observations",
            agent_token,
            &json!({"observations": [{"serviceId": service_id, "state": state}]}),
        )
        .await;
    assert_eq!(reported.status, 200, "{:?}", reported.body);
    reported.body["results"][0]["outcome"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn service(server: &TestServer, federation: &Federation, id: &str) -> Value {
    let answer = server
        .get(
            &format!("/api/v1/services/{id}"),
            &federation.consumer_token,
        )
        .await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    answer.body
}

async fn events(server: &TestServer, federation: &Federation, id: &str) -> Vec<Value> {
    let answer = server
        .get(
            &format!("/api/v1/events?entityId={id}&pageSize=100&sort=sequenceNumber"),
            &federation.consumer_token,
        )
        .await;
    answer.body["items"].as_array().cloned().unwrap_or_default()
}

fn at(event: &Value) -> DateTime<Utc> {
    event["createdAt"].as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_vm_seen_off_drifts_takes_the_declared_transition_starts_again_and_stops_being_billed() {
    let server = TestServer::start().await;
    let (federation, nordic, id) = started_vm(&server).await;
    let from =
        (Utc::now() - chrono::Duration::hours(1)).to_rfc3339_opts(SecondsFormat::Micros, true);

    assert_eq!(
        observe(&server, &nordic.agent_token, &id, "Running").await,
        "agrees"
    );
    let seen = service(&server, &federation, &id).await;
    assert_eq!(seen["observedState"], "Running");
    assert!(seen["observedAt"].is_string(), "{seen:?}");

    assert_eq!(
        observe(&server, &nordic.agent_token, &id, "Stopped").await,
        "transitioned"
    );
    let drifted = service(&server, &federation, &id).await;
    assert_eq!(drifted["status"], "Stopped");
    assert_eq!(drifted["observedState"], "Stopped");
    let log = events(&server, &federation, &id).await;
    let drift = log
        .iter()
        .find(|e| e["type"] == "service.drifted")
        .expect("service.drifted");
    assert_eq!(drift["properties"]["status"], "Started");
    assert_eq!(drift["properties"]["observed"], "Stopped");
    assert_eq!(drift["properties"]["to"], "Stopped");
    let started = log
        .iter()
        .find(|e| e["type"] == "service.transitioned" && e["properties"]["to"] == "Started")
        .expect("started");
    let stopped = log
        .iter()
        .find(|e| e["type"] == "service.transitioned" && e["properties"]["drift"] == true)
        .expect("the drift transition");
    assert_eq!(stopped["properties"]["from"], "Started");
    assert_eq!(stopped["properties"]["to"], "Stopped");

    // Billed from start to drift, not a moment more.
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let to = (Utc::now() + chrono::Duration::hours(1)).to_rfc3339_opts(SecondsFormat::Micros, true);
    let invoice = server
        .get(
            &format!("/api/v1/invoices?from={from}&to={to}"),
            &federation.consumer_token,
        )
        .await;
    assert_eq!(invoice.status, 200, "{:?}", invoice.body);
    let hours: f64 = invoice.body["lines"][0]["quantity"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let ran = (at(stopped) - at(started)).num_microseconds().unwrap() as f64 / 3.6e9;
    assert!((hours - ran).abs() < 2e-6, "billed {hours} h, ran {ran} h");

    // The usual action applies again.
    act(&server, &federation, &id, "start").await;
    server.run_job(&nordic.agent_token, "start").await;
    assert_eq!(
        service(&server, &federation, &id).await["status"],
        "Started"
    );
}

#[tokio::test]
async fn an_undeclared_drift_is_reported_once_keeps_the_state_and_its_end_is_reported() {
    let server = TestServer::start().await;
    let (federation, nordic, id) = started_vm(&server).await;
    assert_eq!(
        observe(&server, &nordic.agent_token, &id, "Missing").await,
        "drifted"
    );
    assert_eq!(
        observe(&server, &nordic.agent_token, &id, "Missing").await,
        "stillDrifted"
    );
    assert_eq!(
        service(&server, &federation, &id).await["status"],
        "Started"
    );
    assert_eq!(
        observe(&server, &nordic.agent_token, &id, "Running").await,
        "resolved"
    );
    let kinds: Vec<String> = events(&server, &federation, &id)
        .await
        .iter()
        .filter_map(|e| e["type"].as_str().map(str::to_owned))
        .filter(|kind| kind.starts_with("service.drift"))
        .collect();
    assert_eq!(kinds, ["service.drifted", "service.driftResolved"]);

    // A job in flight moves the service itself: no drift is judged.
    act(&server, &federation, &id, "stop").await;
    assert_eq!(
        observe(&server, &nordic.agent_token, &id, "Stopped").await,
        "skipped"
    );
    assert_eq!(
        service(&server, &federation, &id).await["status"],
        "Started"
    );
}

#[tokio::test]
async fn observations_are_only_an_agents_own_and_bad_ones_name_their_field() {
    let server = TestServer::start().await;
    let (federation, nordic, id) = started_vm(&server).await;
    let (_, stranger_token) = federation.agent(&server, "stranger", &[]).await;
    let results = server
        .post(
            "/api/v1/agents/me/observations",
            &stranger_token,
            &json!({"observations": [{"serviceId": id, "state": "Stopped"}]}),
        )
        .await;
    assert_eq!(results.status, 200, "{:?}", results.body);
    assert_eq!(results.body["results"][0]["outcome"], "ignored");
    assert_eq!(
        service(&server, &federation, &id).await["status"],
        "Started"
    );

    let participant = server
        .post(
            "/api/v1/agents/me/observations",
            &federation.consumer_token,
            &json!({"observations": []}),
        )
        .await;
    assert_eq!(participant.status, 403, "{:?}", participant.body);

    for (body, path) in [
        (
            json!({"observations": [{"serviceId": id, "state": "Off"}]}),
            "observations[0].state",
        ),
        (
            json!({"observations": [{"serviceId": "nope", "state": "Running"}]}),
            "observations[0].serviceId",
        ),
        (
            json!({"observations": [{"serviceId": id, "state": "Running", "observedAt": "2999-01-01T00:00:00Z"}]}),
            "observations[0].observedAt",
        ),
        (json!({}), "observations"),
    ] {
        let refused = server
            .post("/api/v1/agents/me/observations", &nordic.agent_token, &body)
            .await;
        assert_eq!(refused.status, 400, "{:?}", refused.body);
        assert_eq!(error_paths(&refused.body), [path], "{:?}", refused.body);
    }
}
