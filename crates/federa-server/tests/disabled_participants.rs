//! What `Disabled` means: a disabled participant is suspended from the
//! exchange. Every credential it holds, and every credential of its agents,
//! is refused; its offerings win no placement and its agents are chosen for
//! no service; only an admin changes a participant's status. A `Disabled`
//! agent is refused the same way on its own.

mod exchange_kit;

use exchange_kit::{offering, placed_order, profile_in, provider, rejections};
use federa_testkit::{Federation, TestServer, ADMIN_TOKEN};
use serde_json::json;

/// Asserts `answer` refuses a disabled holder's credential; 1, to count it.
fn refused_as_disabled(answer: &federa_testkit::Response, what: &str) -> usize {
    assert_eq!(answer.status, 403, "{what}: {}", answer.body);
    assert!(
        answer.body["error"]
            .as_str()
            .unwrap_or_default()
            .contains("disabled"),
        "{what}: {}",
        answer.body
    );
    1
}

#[tokio::test]
async fn a_disabled_participant_and_its_agents_can_do_nothing_until_an_admin_enables_it() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    server.report_connected(&federation.agent_token).await;
    let service_id = federation.order_service(&server, "web-01").await;

    // A participant may rename itself but not change its own status.
    let own = server
        .patch(
            &format!("/api/v1/participants/{}", federation.consumer_id),
            &federation.consumer_token,
            &json!({"status": "Disabled"}),
        )
        .await;
    assert_eq!(own.status, 403, "{}", own.body);

    server
        .set_participant_status(&federation.consumer_id, "Disabled")
        .await;
    let mut refused = 0;
    let consumer = &federation.consumer_token;
    refused += refused_as_disabled(
        &server
            .post("/api/v1/services", consumer, &federation.order("web-02"))
            .await,
        "a disabled consumer orders",
    );
    refused += refused_as_disabled(
        &server.get("/api/v1/services", consumer).await,
        "a disabled consumer lists",
    );
    refused += refused_as_disabled(
        &server
            .post(
                "/api/v1/tokens",
                consumer,
                &json!({"name": "more", "role": "participant", "scopeId": federation.consumer_id}),
            )
            .await,
        "a disabled participant mints a token",
    );
    refused += refused_as_disabled(
        &server
            .patch(
                &format!("/api/v1/participants/{}", federation.consumer_id),
                consumer,
                &json!({"status": "Enabled"}),
            )
            .await,
        "a disabled participant enables itself",
    );

    server
        .set_participant_status(&federation.provider_id, "Disabled")
        .await;
    let agent = &federation.agent_token;
    refused += refused_as_disabled(
        &server.get("/api/v1/jobs/pending", agent).await,
        "an agent of a disabled provider polls",
    );
    refused += refused_as_disabled(
        &server
            .post("/api/v1/jobs/claim", agent, &json!({"limit": 1}))
            .await,
        "an agent of a disabled provider claims",
    );
    refused += refused_as_disabled(
        &server
            .post(
                "/api/v1/offerings",
                &federation.provider_token,
                &json!({"participantId": federation.provider_id, "serviceTypeId": federation.service_type_id, "regions": [], "price": {"hourly": "1"}}),
            )
            .await,
        "a disabled provider publishes an offering",
    );
    // The services themselves are still there for the admin.
    let service = server
        .get(&format!("/api/v1/services/{service_id}"), ADMIN_TOKEN)
        .await;
    assert_eq!(service.status, 200);

    // Enabled again, both work as before.
    server
        .set_participant_status(&federation.consumer_id, "Enabled")
        .await;
    server
        .set_participant_status(&federation.provider_id, "Enabled")
        .await;
    assert_eq!(server.get("/api/v1/services", consumer).await.status, 200);
    assert_eq!(server.get("/api/v1/jobs/pending", agent).await.status, 200);
    federa_testkit::reliability_summary(
        env!("CARGO_TARGET_TMPDIR"),
        "disabled participants",
        &format!(
            "{} calls by a disabled consumer, a disabled provider and its agent refused with 403, none allowed; enabled again, both are served",
            refused
        ),
    );
    server.stop().await;
}

#[tokio::test]
async fn a_disabled_agent_is_refused_and_chosen_for_nothing() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    server.report_connected(&federation.agent_token).await;
    let disabled = server
        .patch(
            &format!("/api/v1/agents/{}", federation.agent_id),
            &federation.provider_token,
            &json!({"status": "Disabled"}),
        )
        .await;
    assert_eq!(disabled.status, 200, "{}", disabled.body);
    let _ = refused_as_disabled(
        &server
            .get("/api/v1/jobs/pending?wait=1s", &federation.agent_token)
            .await,
        "a disabled agent polls",
    );
    let _ = refused_as_disabled(
        &server
            .call(
                "PUT",
                "/api/v1/agents/me/status",
                Some(&federation.agent_token),
                Some(&json!({"status": "Connected"})),
            )
            .await,
        "a disabled agent reports itself connected",
    );
    let ordered = server
        .post(
            "/api/v1/services",
            &federation.consumer_token,
            &federation.order("web-01"),
        )
        .await;
    assert_eq!(ordered.status, 400, "{}", ordered.body);
    server.stop().await;
}

#[tokio::test]
async fn a_disabled_providers_offerings_win_no_placement() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let cheap = provider(&server, &federation, "Cheap", profile_in("FI", "fi-hel-1")).await;
    let dear = provider(&server, &federation, "Dear", profile_in("DE", "de-fra-1")).await;
    offering(
        &server,
        &federation,
        &cheap,
        &["fi-hel-1"],
        json!({"hourly": "0.01"}),
    )
    .await;
    offering(
        &server,
        &federation,
        &dear,
        &["de-fra-1"],
        json!({"hourly": "9"}),
    )
    .await;
    server.set_participant_status(&cheap.id, "Disabled").await;
    let ordered = server
        .post(
            "/api/v1/services",
            &federation.consumer_token,
            &placed_order(&federation, "web-01", json!({})),
        )
        .await;
    assert_eq!(ordered.status, 201, "{}", ordered.body);
    assert_eq!(ordered.body["providerId"], dear.id.as_str());
    assert!(
        !rejections(&ordered.body["placement"], &cheap.id).is_empty(),
        "{}",
        ordered.body
    );
    server.stop().await;
}
