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
