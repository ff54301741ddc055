//! Each replica keeps tokens and their holders' status in memory; a token
//! revoked or regenerated, or a participant disabled, through one replica
//! is refused by every other replica within moments, as their listeners
//! hear the write (PostgreSQL `LISTEN/NOTIFY`).

use std::time::{Duration, Instant};

use federa_testkit::{Api, Federation, TestServer, ADMIN_TOKEN};
use serde_json::json;

/// The status of `GET path` on `server` once it is `status`, waiting at
/// most 5 s; fails naming what it answered last.
async fn answers_within(server: &Api, path: &str, token: &str, status: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let answered = server.get(path, token).await.status;
        if answered == status {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: still {answered} after 5 s, not {status}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_token_revoked_or_a_participant_disabled_on_one_replica_is_refused_on_another() {
    if federa_testkit::backend_name() != "postgres" {
        eprintln!(
            "replicas share a database only on PostgreSQL; this runs with FEDERA_TEST_POSTGRES_URL"
        );
        return;
    }
    let first = TestServer::start().await;
    let second = first.replica().await;
    let federation = Federation::create(&first).await;

    let minted = first
        .post(
            "/api/v1/tokens",
            ADMIN_TOKEN,
            &json!({"name": "short-lived", "role": "participant", "scopeId": federation.consumer_id}),
        )
        .await;
    assert_eq!(minted.status, 201, "{}", minted.body);
    let (id, value) = (
        minted.body["id"].as_str().unwrap().to_string(),
        minted.body["value"].as_str().unwrap().to_string(),
    );
    // Read twice on the second replica, so it answers from memory.
    for _ in 0..2 {
        assert_eq!(second.get("/api/v1/services", &value).await.status, 200);
    }
    let deleted = first
        .delete(&format!("/api/v1/tokens/{id}"), ADMIN_TOKEN)
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    answers_within(&second, "/api/v1/services", &value, 403, "a deleted token").await;

    // A regenerated value replaces the old one on every replica.
    let agent = &federation.agent_token;
    for _ in 0..2 {
        assert_eq!(second.get("/api/v1/jobs/pending", agent).await.status, 200);
    }
    let agent_token_id = first.get("/api/v1/tokens", ADMIN_TOKEN).await.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|token| token["agentId"] == federation.agent_id.as_str())
        .expect("the agent's token")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let regenerated = first
        .post(
            &format!("/api/v1/tokens/{agent_token_id}/regenerate"),
            ADMIN_TOKEN,
            &json!({}),
        )
        .await;
    assert_eq!(regenerated.status, 200, "{}", regenerated.body);
    let new_value = regenerated.body["value"].as_str().unwrap().to_string();
    answers_within(
        &second,
        "/api/v1/jobs/pending",
        agent,
        403,
        "a replaced token value",
    )
    .await;
    answers_within(
        &second,
        "/api/v1/jobs/pending",
        &new_value,
        200,
        "the new value",
    )
    .await;

    // A provider disabled on the first replica suspends its agent on the
    // second, and enabling it again restores the agent there.
    for (status, answer) in [("Disabled", 403), ("Enabled", 200)] {
        first
            .set_participant_status(&federation.provider_id, status)
            .await;
        let what = format!("an agent of a provider set {status}");
        answers_within(&second, "/api/v1/jobs/pending", &new_value, answer, &what).await;
    }

    second.stop().await;
    first.stop().await;
}
