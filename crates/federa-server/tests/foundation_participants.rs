//! Participants: CRUD, listing, and refusal of bad input.

use federa_testkit::{TestServer, ADMIN_TOKEN};
use serde_json::json;

#[tokio::test]
async fn create_get_patch_delete() {
    let server = TestServer::start().await;
    let created = server
        .post(
            "/api/v1/participants",
            ADMIN_TOKEN,
            &json!({"name": "Nordic Cloud", "status": "Enabled"}),
        )
        .await;
    assert_eq!(created.status, 201);
    let id = created.body["id"].as_str().unwrap().to_string();
    assert_eq!(created.body["name"], "Nordic Cloud");
    assert_eq!(created.body["status"], "Enabled");
    let created_at = created.body["createdAt"].as_str().unwrap();
    assert!(created_at.ends_with('Z'), "{created_at}");

    let fetched = server
        .get(&format!("/api/v1/participants/{id}"), ADMIN_TOKEN)
        .await;
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.body, created.body);

    let patched = server
        .patch(
            &format!("/api/v1/participants/{id}"),
            ADMIN_TOKEN,
            &json!({"status": "Disabled"}),
        )
        .await;
    assert_eq!(patched.status, 200);
    assert_eq!(patched.body["status"], "Disabled");
    assert_eq!(patched.body["name"], "Nordic Cloud");

    assert_eq!(
        server
            .delete(&format!("/api/v1/participants/{id}"), ADMIN_TOKEN)
            .await
            .status,
        204
    );
    let gone = server
        .get(&format!("/api/v1/participants/{id}"), ADMIN_TOKEN)
        .await;
    assert_eq!(gone.status, 404);
    assert_eq!(gone.body, json!({"status": "Resource not found"}));
    assert_eq!(
        server
            .delete(&format!("/api/v1/participants/{id}"), ADMIN_TOKEN)
            .await
            .status,
        404
    );
    server.stop().await;
}

#[tokio::test]
async fn list_filters_sorts_and_pages() {
    let server = TestServer::start().await;
    for (name, status) in [
        ("Alpha", "Enabled"),
        ("beta", "Disabled"),
        ("Gamma", "Enabled"),
        ("Alphabet", "Enabled"),
    ] {
        let r = server
            .post(
                "/api/v1/participants",
                ADMIN_TOKEN,
                &json!({"name": name, "status": status}),
            )
            .await;
        assert_eq!(r.status, 201);
    }
    let names = |body: &serde_json::Value| -> Vec<String> {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect()
    };
    // Names sort without regard to case, the same on both backends.
    let sorted = server
        .get("/api/v1/participants?sort=-name", ADMIN_TOKEN)
        .await;
    assert_eq!(
        names(&sorted.body),
        vec!["Gamma", "beta", "Alphabet", "Alpha"]
    );
    let ascending = server
        .get("/api/v1/participants?sort=%2Bname", ADMIN_TOKEN)
        .await;
    assert_eq!(
        names(&ascending.body),
        vec!["Alpha", "Alphabet", "beta", "Gamma"]
    );
    let plus_as_space = server
        .get("/api/v1/participants?sort=+name", ADMIN_TOKEN)
        .await;
    assert_eq!(names(&plus_as_space.body), names(&ascending.body));

    let alpha = server
        .get("/api/v1/participants?name=ALPHA&sort=name", ADMIN_TOKEN)
        .await;
    assert_eq!(names(&alpha.body), vec!["Alpha", "Alphabet"]);
    let enabled = server
        .get("/api/v1/participants?status=Enabled", ADMIN_TOKEN)
        .await;
    assert_eq!(enabled.body["totalItems"], 3);
    let both = server
        .get(
            "/api/v1/participants?status=Enabled&status=Disabled",
            ADMIN_TOKEN,
        )
        .await;
    assert_eq!(both.body["totalItems"], 4);

    let page2 = server
        .get(
            "/api/v1/participants?pageSize=3&page=2&sort=name",
            ADMIN_TOKEN,
        )
        .await;
    assert_eq!(page2.status, 200);
    assert_eq!(page2.body["totalItems"], 4);
    assert_eq!(page2.body["totalPages"], 2);
    assert_eq!(page2.body["currentPage"], 2);
    assert_eq!(page2.body["hasNext"], false);
    assert_eq!(page2.body["hasPrev"], true);
    assert_eq!(page2.body["items"].as_array().unwrap().len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn bad_list_parameters_name_the_field() {
    let server = TestServer::start().await;
    for (query, field) in [
        ("pageSize=0", "pageSize"),
        ("pageSize=101", "pageSize"),
        ("page=0", "page"),
        ("page=abc", "page"),
        ("sort=password", "sort"),
        ("status=Sleeping", "status"),
    ] {
        let r = server
            .get(&format!("/api/v1/participants?{query}"), ADMIN_TOKEN)
            .await;
        assert_eq!(r.status, 400, "{query}");
        assert_eq!(r.body["errors"][0]["path"], field, "{query}: {}", r.body);
    }
    server.stop().await;
}

#[tokio::test]
async fn bad_bodies_and_ids_are_400_with_the_field() {
    let server = TestServer::start().await;
    let cases = [
        (r#"{"name": 42, "status": "Enabled"}"#, "name"),
        (r#"{"name": "A", "status": "Asleep"}"#, "status"),
        (r#"{"status": "Enabled"}"#, "name"),
        (r#"{"name": "   ", "status": "Enabled"}"#, "name"),
        (r#"{"name": "A", "#, "body"),
        ("", "body"),
        ("[]", "body"),
    ];
    for (raw, field) in cases {
        let r = server
            .http
            .post(server.url("/api/v1/participants"))
            .bearer_auth(ADMIN_TOKEN)
            .header("Content-Type", "application/json")
            .body(raw)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 400, "{raw}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["status"], "Validation failed", "{raw}");
        assert_eq!(body["errors"][0]["path"], field, "{raw}: {body}");
    }
    let long_name = "x".repeat(256);
    let r = server
        .post(
            "/api/v1/participants",
            ADMIN_TOKEN,
            &json!({"name": long_name, "status": "Enabled"}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body["errors"][0]["message"],
        "must be at most 255 characters"
    );

    let bad_id = server
        .get("/api/v1/participants/not-a-uuid", ADMIN_TOKEN)
        .await;
    assert_eq!(bad_id.status, 400);
    assert_eq!(bad_id.body["errors"][0]["path"], "id");

    let huge = "a".repeat(federa_server::MAX_BODY_BYTES + 10);
    let r = server
        .http
        .post(server.url("/api/v1/participants"))
        .bearer_auth(ADMIN_TOKEN)
        .body(format!(r#"{{"name":"{huge}","status":"Enabled"}}"#))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["status"], "Payload too large");

    // Nothing was written by any refused request.
    let list = server.get("/api/v1/participants", ADMIN_TOKEN).await;
    assert_eq!(list.body["totalItems"], 0);
    server.stop().await;
}

#[tokio::test]
async fn every_change_is_an_event_in_sequence() {
    let server = TestServer::start().await;
    let id = server.participant("Evented").await;
    server
        .patch(
            &format!("/api/v1/participants/{id}"),
            ADMIN_TOKEN,
            &json!({"name": "Evented 2"}),
        )
        .await;
    server
        .delete(&format!("/api/v1/participants/{id}"), ADMIN_TOKEN)
        .await;
    let query = federa_domain::listing::ListSpec {
        filters: &[],
        sorts: &[],
        default_sort: ("sequence_number", false),
    }
    .parse(&[])
    .unwrap();
    let events = server
        .store
        .events(federa_domain::access::ListScope::All, &query)
        .await
        .unwrap();
    let kinds: Vec<&str> = events.items.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "participant.created",
            "participant.updated",
            "participant.deleted"
        ]
    );
    let sequences: Vec<i64> = events.items.iter().map(|e| e.sequence_number).collect();
    assert_eq!(sequences, [1, 2, 3]);
    assert!(events
        .items
        .iter()
        .all(|e| e.entity_id == Some(id.parse().unwrap())));
    server.stop().await;
}
