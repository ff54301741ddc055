//! Authentication: 401 for missing credentials, 403 for refused ones.

use chrono::{DateTime, Duration, Utc};
use federa_domain::access::Role;
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::event_kind::EventKind;
use federa_domain::token::Token;
use federa_server::auth::hash_token_value;
use federa_testkit::{TestServer, ADMIN_TOKEN};
use serde_json::json;
use uuid::Uuid;

#[tokio::test]
async fn missing_or_malformed_credentials_are_401() {
    let server = TestServer::start().await;
    let none = server.call("GET", "/api/v1/participants", None, None).await;
    assert_eq!(none.status, 401);
    assert_eq!(none.body["status"], "Unauthorized");
    let basic = server
        .http
        .get(server.url("/api/v1/participants"))
        .header("Authorization", "Basic dXNlcjpwdw==")
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status().as_u16(), 401);
    server.stop().await;
}

#[tokio::test]
async fn unknown_token_is_403_and_admin_gets_the_page_envelope() {
    let server = TestServer::start().await;
    let wrong = server.get("/api/v1/participants", "not-a-token").await;
    assert_eq!(wrong.status, 403);
    assert_eq!(wrong.body["status"], "Forbidden");
    let ok = server.get("/api/v1/participants", ADMIN_TOKEN).await;
    assert_eq!(ok.status, 200);
    assert_eq!(
        ok.body,
        json!({"items": [], "totalItems": 0, "totalPages": 0, "currentPage": 1, "hasNext": false, "hasPrev": false})
    );
    server.stop().await;
}

/// Stores a token row as given, bypassing the API's checks, so that a
/// test can present a credential the API would never issue.
async fn store_token(
    server: &TestServer,
    role: Role,
    participant_id: Option<Uuid>,
    agent_id: Option<Uuid>,
    expire_at: DateTime<Utc>,
    value: &str,
) {
    let token = Token {
        id: Uuid::now_v7(),
        name: value.into(),
        role,
        expire_at: Some(expire_at),
        participant_id,
        agent_id,
        created_at: expire_at - Duration::hours(1),
        updated_at: expire_at - Duration::hours(1),
    };
    let event = NewEvent::new(EventKind::TokenCreated, Initiator::system(), token.id);
    server
        .store
        .insert_token(&token, &hash_token_value(value), &event)
        .await
        .unwrap();
}

#[tokio::test]
async fn expired_token_is_403() {
    let server = TestServer::start().await;
    let participant = server.participant("Expired Co").await;
    let past = Utc::now() - Duration::minutes(1);
    let participant_id = Some(participant.parse().unwrap());
    store_token(
        &server,
        Role::Participant,
        participant_id,
        None,
        past,
        "expired-value",
    )
    .await;
    let refused = server.get("/api/v1/participants", "expired-value").await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.body["error"], "token expired");
    server.stop().await;
}

/// A caller holds exactly the ids its role has: a token row lacking one
/// (which the API never writes) names no caller, so it is refused rather
/// than acting as a participant or agent of nobody.
#[tokio::test]
async fn a_token_lacking_an_id_its_role_needs_is_403() {
    let server = TestServer::start().await;
    let participant: Uuid = server.participant("Half Co").await.parse().unwrap();
    let later = Utc::now() + Duration::hours(1);
    store_token(
        &server,
        Role::Participant,
        None,
        None,
        later,
        "no-participant",
    )
    .await;
    store_token(
        &server,
        Role::Agent,
        Some(participant),
        None,
        later,
        "no-agent",
    )
    .await;
    for value in ["no-participant", "no-agent"] {
        let refused = server.get("/api/v1/participants", value).await;
        assert_eq!(refused.status, 403, "{value}");
        assert_eq!(refused.body["error"], "invalid token", "{value}");
    }
    server.stop().await;
}

#[tokio::test]
async fn participant_token_sees_only_its_participant_and_is_refused_admin_calls() {
    let server = TestServer::start().await;
    let mine = server.participant("Mine").await;
    let other = server.participant("Other").await;
    let token = server.token("participant", Some(&mine)).await;

    let list = server.get("/api/v1/participants", &token).await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body["totalItems"], 1);
    assert_eq!(list.body["items"][0]["id"], mine.as_str());

    assert_eq!(
        server
            .get(&format!("/api/v1/participants/{mine}"), &token)
            .await
            .status,
        200
    );
    assert_eq!(
        server
            .get(&format!("/api/v1/participants/{other}"), &token)
            .await
            .status,
        403
    );

    let create = server
        .post(
            "/api/v1/participants",
            &token,
            &json!({"name": "X", "status": "Enabled"}),
        )
        .await;
    assert_eq!(create.status, 403);
    assert_eq!(
        server
            .delete(&format!("/api/v1/participants/{mine}"), &token)
            .await
            .status,
        403
    );

    let renamed = server
        .patch(
            &format!("/api/v1/participants/{mine}"),
            &token,
            &json!({"name": "Mine, renamed"}),
        )
        .await;
    assert_eq!(renamed.status, 200);
    assert_eq!(renamed.body["name"], "Mine, renamed");
    let foreign = server
        .patch(
            &format!("/api/v1/participants/{other}"),
            &token,
            &json!({"name": "Hijacked"}),
        )
        .await;
    assert_eq!(foreign.status, 403);
    server.stop().await;
}

#[tokio::test]
async fn an_address_that_keeps_failing_is_held_off_with_429() {
    let server = TestServer::start().await;
    for n in 0..federa_server::auth_limit::DEFAULT_LIMIT {
        let wrong = server
            .get("/api/v1/participants", &format!("guess-{n}"))
            .await;
        assert_eq!(wrong.status, 403, "attempt {n} is only refused");
    }
    // Missing credentials are not guesses and are not counted.
    let none = server.call("GET", "/healthz", None, None).await;
    assert_eq!(none.status, 200);

    let held = server
        .http
        .get(server.url("/api/v1/participants"))
        .bearer_auth("one-more-guess")
        .send()
        .await
        .unwrap();
    assert_eq!(held.status().as_u16(), 429);
    let retry_after: u64 = held.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let body: serde_json::Value = held.json().await.unwrap();
    assert_eq!(body["status"], "Too many requests");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("failed authentication attempts"),
        "{body}"
    );
    // Until the window ends every refused credential is held off, but a
    // valid one from the same address is still served.
    let again = server.get("/api/v1/participants", "still-guessing").await;
    assert_eq!(again.status, 429);
    let valid = server.get("/api/v1/participants", ADMIN_TOKEN).await;
    assert_eq!(valid.status, 200, "{}", valid.body);
    let metrics = server
        .http
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(&format!(
            "federa_auth_failures_total {}",
            // The two held off count as failures too.
            federa_server::auth_limit::DEFAULT_LIMIT + 2
        )),
        "{metrics}"
    );
    server.stop().await;
}

/// `count` guesses with a wrong token, each claiming to be forwarded for
/// `forwarded_for(n)`.
async fn guesses(server: &TestServer, count: u32, forwarded_for: impl Fn(u32) -> String) {
    for n in 0..count {
        let wrong = server
            .http
            .get(server.url("/api/v1/participants"))
            .bearer_auth(format!("guess-{n}"))
            .header("x-forwarded-for", forwarded_for(n))
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status().as_u16(), 403, "attempt {n} is only refused");
    }
}

async fn as_forwarded(server: &TestServer, token: &str, forwarded_for: &str) -> u16 {
    server
        .http
        .get(server.url("/api/v1/participants"))
        .bearer_auth(token)
        .header("x-forwarded-for", forwarded_for)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit() {
    let trusted = federa_server::client_address::parse_trusted(&["127.0.0.0/8".into()]).unwrap();
    let server = TestServer::start_configured(move |settings| {
        settings.trusted_proxies = trusted;
    })
    .await;
    let limit = federa_server::auth_limit::DEFAULT_LIMIT;
    guesses(&server, limit, |_| "203.0.113.5".into()).await;
    assert_eq!(as_forwarded(&server, "one-more", "203.0.113.5").await, 429);
    // Another client behind the same proxy is not held off.
    assert_eq!(as_forwarded(&server, "a-guess", "203.0.113.6").await, 403);
    // A client cannot shed its record by prepending a made-up hop.
    assert_eq!(
        as_forwarded(&server, "another", "198.51.100.1, 203.0.113.5").await,
        429
    );
    server.stop().await;
}

#[tokio::test]
async fn without_a_trusted_proxy_a_forwarded_header_changes_nothing() {
    let server = TestServer::start().await;
    let limit = federa_server::auth_limit::DEFAULT_LIMIT;
    // Every guess claims another origin; all count against the peer.
    guesses(&server, limit, |n| format!("203.0.113.{n}")).await;
    assert_eq!(as_forwarded(&server, "guess", "198.51.100.1").await, 429);
    server.stop().await;
}
