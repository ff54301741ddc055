//! Tokens: shown once, stored hashed, scoped, regenerated, revoked.

use federa_testkit::{TestServer, ADMIN_TOKEN};
use serde_json::json;

#[tokio::test]
async fn value_is_shown_once_and_works() {
    let server = TestServer::start().await;
    let participant = server.participant("Holder").await;
    let created = server
        .post(
            "/api/v1/tokens",
            ADMIN_TOKEN,
            &json!({"name": "ops", "role": "participant", "scopeId": participant}),
        )
        .await;
    assert_eq!(created.status, 201);
    let value = created.body["value"].as_str().unwrap().to_string();
    assert_eq!(value.len(), 44, "32 bytes in padded base64url");
    assert_eq!(created.body["role"], "participant");
    assert_eq!(created.body["participantId"], participant.as_str());
    assert!(created.body["expireAt"].is_string());
    let id = created.body["id"].as_str().unwrap();

    let fetched = server
        .get(&format!("/api/v1/tokens/{id}"), ADMIN_TOKEN)
        .await;
    assert_eq!(fetched.status, 200);
    assert!(fetched.body.get("value").is_none());
    let listed = server.get("/api/v1/tokens", ADMIN_TOKEN).await;
    assert!(listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t.get("value").is_none()));
    assert!(!listed.body.to_string().contains(&value));

    assert_eq!(server.get("/api/v1/participants", &value).await.status, 200);
    server.stop().await;
}

#[tokio::test]
async fn regenerate_replaces_and_delete_revokes() {
    let server = TestServer::start().await;
    let participant = server.participant("Rotator").await;
    let created = server
        .post(
            "/api/v1/tokens",
            ADMIN_TOKEN,
            &json!({"name": "r", "role": "participant", "scopeId": participant}),
        )
        .await;
    let id = created.body["id"].as_str().unwrap().to_string();
    let old = created.body["value"].as_str().unwrap().to_string();

    let regenerated = server
        .post(&format!("/api/v1/tokens/{id}/regenerate"), &old, &json!({}))
        .await;
    assert_eq!(regenerated.status, 200, "{}", regenerated.body);
    let new = regenerated.body["value"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    assert_eq!(server.get("/api/v1/participants", &old).await.status, 403);
    assert_eq!(server.get("/api/v1/participants", &new).await.status, 200);

    let in_a_month = (chrono::Utc::now() + chrono::Duration::days(30))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let renamed = server
        .patch(
            &format!("/api/v1/tokens/{id}"),
            &new,
            &json!({"name": "renamed", "expireAt": in_a_month}),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert_eq!(renamed.body["name"], "renamed");
    assert_eq!(renamed.body["expireAt"], in_a_month.as_str());
    // No further than a participant token's longest lifetime (90 days).
    let far = server
        .patch(
            &format!("/api/v1/tokens/{id}"),
            &new,
            &json!({"expireAt": "9999-12-31T00:00:00Z"}),
        )
        .await;
    assert_eq!(far.status, 400, "{}", far.body);
    assert_eq!(far.body["errors"][0]["path"], "expireAt");
    assert!(far.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("at most 90 days"));
    let past = server
        .patch(
            &format!("/api/v1/tokens/{id}"),
            &new,
            &json!({"expireAt": "2001-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(past.status, 400);
    assert_eq!(past.body["errors"][0]["path"], "expireAt");

    assert_eq!(
        server
            .delete(&format!("/api/v1/tokens/{id}"), ADMIN_TOKEN)
            .await
            .status,
        204
    );
    assert_eq!(server.get("/api/v1/participants", &new).await.status, 403);
    assert_eq!(
        server
            .get(&format!("/api/v1/tokens/{id}"), ADMIN_TOKEN)
            .await
            .status,
        404
    );
    server.stop().await;
}

#[tokio::test]
async fn participants_manage_only_their_own_tokens() {
    let server = TestServer::start().await;
    let mine = server.participant("Mine").await;
    let other = server.participant("Other").await;
    let token = server.token("participant", Some(&mine)).await;
    let other_token_id = server
        .post(
            "/api/v1/tokens",
            ADMIN_TOKEN,
            &json!({"name": "o", "role": "participant", "scopeId": other}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();

    let own = server
        .post(
            "/api/v1/tokens",
            &token,
            &json!({"name": "second", "role": "participant", "scopeId": mine}),
        )
        .await;
    assert_eq!(own.status, 201);
    let foreign = server
        .post(
            "/api/v1/tokens",
            &token,
            &json!({"name": "steal", "role": "participant", "scopeId": other}),
        )
        .await;
    assert_eq!(foreign.status, 403);
    let admin = server
        .post(
            "/api/v1/tokens",
            &token,
            &json!({"name": "up", "role": "admin"}),
        )
        .await;
    assert_eq!(admin.status, 403);

    let list = server.get("/api/v1/tokens", &token).await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body["totalItems"], 2);
    assert!(list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["participantId"] == mine.as_str()));
    assert_eq!(
        server
            .get(&format!("/api/v1/tokens/{other_token_id}"), &token)
            .await
            .status,
        403
    );
    assert_eq!(
        server
            .delete(&format!("/api/v1/tokens/{other_token_id}"), &token)
            .await
            .status,
        403
    );
    server.stop().await;
}

#[tokio::test]
async fn role_and_scope_rules() {
    let server = TestServer::start().await;
    let participant = server.participant("Scoped").await;
    let cases = [
        (
            json!({"name": "a", "role": "admin", "scopeId": participant}),
            "scopeId",
        ),
        (json!({"name": "p", "role": "participant"}), "scopeId"),
        (json!({"name": "g", "role": "agent"}), "scopeId"),
        (
            json!({"name": "p", "role": "participant", "scopeId": uuid::Uuid::new_v4()}),
            "scopeId",
        ),
        (
            json!({"name": "g", "role": "agent", "scopeId": uuid::Uuid::new_v4()}),
            "scopeId",
        ),
        (json!({"name": "x", "role": "root"}), "role"),
        (
            json!({"name": "p", "role": "participant", "scopeId": "nope"}),
            "scopeId",
        ),
        (
            json!({"name": "p", "role": "participant", "scopeId": participant, "expireAt": "2000-01-01T00:00:00Z"}),
            "expireAt",
        ),
        (
            json!({"name": "p", "role": "participant", "scopeId": participant, "expireAt": "tomorrow"}),
            "expireAt",
        ),
    ];
    for (body, field) in cases {
        let r = server.post("/api/v1/tokens", ADMIN_TOKEN, &body).await;
        assert_eq!(r.status, 400, "{body}");
        assert_eq!(r.body["errors"][0]["path"], field, "{body}: {}", r.body);
    }
    let admin = server
        .post(
            "/api/v1/tokens",
            ADMIN_TOKEN,
            &json!({"name": "a2", "role": "admin"}),
        )
        .await;
    assert_eq!(admin.status, 201);
    assert!(admin.body.get("participantId").is_none());
    server.stop().await;
}

#[tokio::test]
async fn lifetimes_are_capped_by_role_and_an_expired_token_stays_expired() {
    let server = TestServer::start().await;
    let participant = server.participant("Capped").await;
    let at = |days: i64| {
        (chrono::Utc::now() + chrono::Duration::days(days))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let create = |role: &str, scope: Option<&str>, expire_at: String| {
        let mut body = json!({"name": "t", "role": role, "expireAt": expire_at});
        if let Some(scope) = scope {
            body["scopeId"] = json!(scope);
        }
        body
    };
    let agent_id = federa_testkit::Federation::create(&server).await.agent_id;
    for (body, allowed) in [
        (create("participant", Some(&participant), at(89)), true),
        (create("participant", Some(&participant), at(91)), false),
        (create("admin", None, at(91)), false),
        (create("agent", Some(&agent_id), at(365)), true),
        (create("agent", Some(&agent_id), at(367)), false),
    ] {
        let answer = server.post("/api/v1/tokens", ADMIN_TOKEN, &body).await;
        if allowed {
            assert_eq!(answer.status, 201, "{body}: {}", answer.body);
        } else {
            assert_eq!(answer.status, 400, "{body}: {}", answer.body);
            assert_eq!(answer.body["errors"][0]["path"], "expireAt");
        }
    }

    let soon = (chrono::Utc::now() + chrono::Duration::seconds(2))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let short = server
        .post(
            "/api/v1/tokens",
            ADMIN_TOKEN,
            &create("participant", Some(&participant), soon),
        )
        .await;
    assert_eq!(short.status, 201, "{}", short.body);
    let id = short.body["id"].as_str().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let revived = server
        .patch(
            &format!("/api/v1/tokens/{id}"),
            ADMIN_TOKEN,
            &json!({"expireAt": at(30)}),
        )
        .await;
    assert_eq!(revived.status, 400, "{}", revived.body);
    assert_eq!(revived.body["errors"][0]["path"], "expireAt");
    let value = short.body["value"].as_str().unwrap();
    assert_eq!(server.get("/api/v1/participants", value).await.status, 403);
    server.stop().await;
}
