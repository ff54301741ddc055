//! Agent liveness against a real database: the default timeout tolerates
//! agents that report once a minute, a silent agent is marked
//! `Disconnected` once (even by two servers sweeping at once), and any call
//! it makes brings it back.

use chrono::TimeDelta;
use federa_server::liveness::sweep_silent_agents;
use federa_server::state::AppState;
use federa_testkit::{Federation, TestServer};
use serde_json::Value;

async fn status(server: &TestServer, federation: &Federation) -> Value {
    let agent = server
        .get(
            &format!("/api/v1/agents/{}", federation.agent_id),
            &federation.provider_token,
        )
        .await;
    assert_eq!(agent.status, 200, "{:?}", agent.body);
    agent.body["status"].clone()
}

async fn status_events(server: &TestServer, federation: &Federation) -> Vec<Value> {
    let events = server
        .get(
            &format!(
                "/api/v1/events?entityId={}&type=agent.updated&pageSize=100",
                federation.agent_id
            ),
            &federation.provider_token,
        )
        .await;
    assert_eq!(events.status, 200, "{:?}", events.body);
    events.body["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn an_agent_reporting_once_a_minute_is_never_disconnected_by_the_default_timeout() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    server.report_connected(&federation.agent_token).await;
    let state = AppState::new(server.store.clone());
    let reported = chrono::Utc::now();
    // A Fulcrum agent reports every 60 s; a report late by half a minute
    // is still well within the default.
    for late in [60, 90, 120, 170] {
        let marked = sweep_silent_agents(&state, reported + TimeDelta::seconds(late))
            .await
            .unwrap();
        assert_eq!(marked, 0, "{late} s after the last report");
        assert_eq!(status(&server, &federation).await, "Connected");
    }
    // Three reports missed in a row: it is gone.
    let marked = sweep_silent_agents(&state, reported + TimeDelta::seconds(200))
        .await
        .unwrap();
    assert_eq!(marked, 1);
    assert_eq!(status(&server, &federation).await, "Disconnected");
}

#[tokio::test]
async fn two_servers_sweeping_at_once_disconnect_a_silent_agent_exactly_once() {
    let first = TestServer::start().await;
    let second = first.replica().await;
    let federation = Federation::create(&first).await;
    first.report_connected(&federation.agent_token).await;
    let later = chrono::Utc::now() + TimeDelta::seconds(600);
    for _ in 0..5 {
        let (a, b) = (
            AppState::new(first.store.clone()),
            AppState::new(second.store.clone()),
        );
        let (one, other) = tokio::join!(
            sweep_silent_agents(&a, later),
            sweep_silent_agents(&b, later)
        );
        assert!(one.unwrap() + other.unwrap() <= 1);
    }
    assert_eq!(status(&first, &federation).await, "Disconnected");
    let events = status_events(&first, &federation).await;
    let disconnections: Vec<&Value> = events
        .iter()
        .filter(|event| event["properties"]["to"] == "Disconnected")
        .collect();
    assert_eq!(disconnections.len(), 1, "{events:?}");
    assert_eq!(disconnections[0]["initiatorType"], "system");
    assert!(disconnections[0]["properties"]["reason"]
        .as_str()
        .unwrap_or_default()
        .contains("180 s"));
}

#[tokio::test]
async fn any_call_of_a_disconnected_agent_connects_it_again_with_one_event() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    server.report_connected(&federation.agent_token).await;
    let state = AppState::new(server.store.clone());
    let later = chrono::Utc::now() + TimeDelta::seconds(600);
    assert_eq!(sweep_silent_agents(&state, later).await.unwrap(), 1);
    assert_eq!(status(&server, &federation).await, "Disconnected");

    // Not a status report: polling for jobs is a sign of life too. The
    // server marked it silent through another state, so its own record of
    // the agent's last write still holds back the write for a moment.
    let mut revived = false;
    for _ in 0..60 {
        let polled = server
            .get("/api/v1/jobs/pending", &federation.agent_token)
            .await;
        assert_eq!(polled.status, 200, "{:?}", polled.body);
        if status(&server, &federation).await == "Connected" {
            revived = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(revived, "polling for jobs connected the agent again");
    let events = status_events(&server, &federation).await;
    let reconnections: Vec<&Value> = events
        .iter()
        .filter(|event| {
            event["properties"]["from"] == "Disconnected"
                && event["properties"]["to"] == "Connected"
        })
        .collect();
    assert_eq!(reconnections.len(), 1, "{events:?}");
    assert_eq!(reconnections[0]["initiatorType"], "user");
}
