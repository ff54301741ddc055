//! Health, readiness, metrics and the OpenAPI document.

use federa_testkit::{TestServer, ADMIN_TOKEN};

#[tokio::test]
async fn health_and_readiness() {
    let server = TestServer::start().await;
    let health = server.call("GET", "/healthz", None, None).await;
    assert_eq!(health.status, 200);
    let ready = server.call("GET", "/ready", None, None).await;
    assert_eq!(ready.status, 200);
    assert_eq!(ready.body["status"], "ready");
    // A store whose pools are closed no longer answers: not ready.
    server.store.close().await;
    let not_ready = server.call("GET", "/ready", None, None).await;
    assert_eq!(not_ready.status, 503);
    let api = server.get("/api/v1/participants", ADMIN_TOKEN).await;
    assert_eq!(api.status, 503, "{}", api.body);
    server.stop().await;
}

#[tokio::test]
async fn metrics_count_requests_by_route() {
    let server = TestServer::start().await;
    server.get("/api/v1/participants", ADMIN_TOKEN).await;
    server
        .get(
            &format!("/api/v1/participants/{}", uuid::Uuid::new_v4()),
            ADMIN_TOKEN,
        )
        .await;
    let text = server
        .http
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains(r#"federa_http_requests_total{method="GET",route="/api/v1/participants",status="200"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"route="/api/v1/participants/{id}",status="404""#),
        "{text}"
    );
    assert!(text.contains("federa_http_request_duration_seconds_bucket"));
    server.stop().await;
}

#[tokio::test]
async fn openapi_document_describes_the_routes() {
    let server = TestServer::start().await;
    let doc = server.call("GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(doc.status, 200);
    assert!(doc.body["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc.body["paths"].as_object().unwrap();
    for (path, methods) in [
        ("/participants", &["get", "post"][..]),
        ("/participants/{id}", &["get", "patch", "delete"][..]),
        ("/tokens", &["get", "post"][..]),
        ("/tokens/{id}", &["get", "patch", "delete"][..]),
        ("/tokens/{id}/regenerate", &["post"][..]),
    ] {
        for method in methods {
            assert!(paths[path].get(*method).is_some(), "{method} {path}");
        }
    }
    assert!(doc.body["components"]["schemas"]["ParticipantRes"].is_object());
    server.stop().await;
}

#[tokio::test]
async fn the_api_root_answers_with_an_index_of_the_api() {
    let server = TestServer::start().await;
    let doc = server.call("GET", "/api/v1/openapi.json", None, None).await;
    {
        let root = "/api/v1";
        let index = server.call("GET", root, None, None).await;
        assert_eq!(index.status, 200, "{root}: {}", index.body);
        assert_eq!(index.body["openapi"], "/api/v1/openapi.json");
        assert_eq!(index.body["console"], "/console/");
        let collections: Vec<&str> = index.body["collections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        // Every path of the document falls under a listed collection.
        for path in doc.body["paths"].as_object().unwrap().keys() {
            let collection = format!("/api/v1/{}", path.split('/').nth(1).unwrap());
            assert!(collections.contains(&collection.as_str()), "{path}");
        }
        assert!(collections.contains(&"/api/v1/services"));
        // Each collection it names answers rather than 404.
        let listed = server.get("/api/v1/participants", ADMIN_TOKEN).await;
        assert_eq!(listed.status, 200);
    }
    server.stop().await;
}

#[tokio::test]
async fn unknown_paths_and_methods_answer_json() {
    let server = TestServer::start().await;
    let missing = server.get("/api/v1/nothing-here", ADMIN_TOKEN).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body["status"], "Resource not found");
    let wrong = server
        .call("PUT", "/api/v1/participants", Some(ADMIN_TOKEN), None)
        .await;
    assert_eq!(wrong.status, 405);
    server.stop().await;
}

#[tokio::test]
async fn metrics_labels_come_from_a_fixed_set_whatever_clients_send() {
    let server = TestServer::start().await;
    for n in 0..20 {
        let method = reqwest::Method::from_bytes(format!("MADEUP{n}").as_bytes()).unwrap();
        let answer = server
            .http
            .request(method, server.url(&format!("/api/v1/made-up-{n}")))
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_client_error(), "{}", answer.status());
        server
            .http
            .request(
                reqwest::Method::from_bytes(b"BREW").unwrap(),
                server.url("/api/v1/participants"),
            )
            .send()
            .await
            .unwrap();
    }
    let text = server
        .http
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!text.contains("MADEUP"), "{text}");
    assert!(!text.contains("BREW"), "{text}");
    assert!(!text.contains("made-up-"), "{text}");
    assert!(
        text.contains(
            r#"federa_http_requests_total{method="other",route="unmatched",status="404"} 20"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"method="other",route="/api/v1/participants",status="405"} 20"#),
        "{text}"
    );
    server.stop().await;
}

#[tokio::test]
async fn an_empty_order_names_every_missing_field_at_once() {
    let server = TestServer::start().await;
    let consumer = server.participant("Consumer").await;
    let token = server.token("participant", Some(&consumer)).await;
    let empty = server
        .post("/api/v1/services", &token, &serde_json::json!({}))
        .await;
    assert_eq!(empty.status, 400, "{}", empty.body);
    let mut paths: Vec<&str> = empty.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    paths.sort();
    assert_eq!(
        paths,
        ["groupId", "name", "serviceTypeId"],
        "{}",
        empty.body
    );
    server.stop().await;
}
