//! `federa agent` against an exchange without `POST /jobs/finish`, as
//! Fulcrum Core is: after the first 404 it reports each job on its own
//! endpoint, and every job still finishes.
//!
//! The exchange is a real `federa serve` behind a pass-through proxy that
//! answers that one route 404 (as an exchange without it does) and passes
//! every other request on unchanged.

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use federa_testkit::processes::{
    agent_config, order_created, requests_on, spawn_agent, wait_for, Exchange, KillOnDrop,
};
use federa_testkit::{Federation, EXAMPLE_VM_LIFECYCLE};
use serde_json::{json, Value};

const FEDERA: &str = env!("CARGO_BIN_EXE_federa");

#[derive(Clone)]
struct Upstream {
    base: String,
    client: reqwest::Client,
}

/// Passes `request` on to the exchange, or answers 404 for the batch
/// endpoint.
async fn pass(State(upstream): State<Upstream>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    if parts.method == Method::POST && parts.uri.path() == "/api/v1/jobs/finish" {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"error": "Not Found"})),
        )
            .into_response();
    }
    let Ok(body) = axum::body::to_bytes(body, 16 << 20).await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let method = reqwest::Method::from_bytes(parts.method.as_str().as_bytes()).unwrap();
    let mut forwarded = upstream
        .client
        .request(method, format!("{}{path}", upstream.base))
        .body(body);
    for (name, value) in &parts.headers {
        if name != "host" && name != "content-length" {
            forwarded = forwarded.header(name.as_str(), value.as_bytes());
        }
    }
    let Ok(answer) = forwarded.send().await else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap();
    let mut headers = HeaderMap::new();
    if let Some(kind) = answer.headers().get("content-type") {
        headers.insert("content-type", kind.as_bytes().try_into().unwrap());
    }
    let bytes: Bytes = answer.bytes().await.unwrap_or_default();
    (status, headers, bytes).into_response()
}

/// Starts the proxy in front of `base`; its own base URL.
async fn proxy_without_batches(base: &str) -> String {
    let upstream = Upstream {
        base: base.trim_end_matches('/').to_string(),
        client: reqwest::Client::new(),
    };
    let app = axum::Router::new().fallback(pass).with_state(upstream);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{address}")
}

#[tokio::test]
async fn without_the_batch_endpoint_the_agent_reports_each_job_on_its_own() {
    let exchange = Exchange::start(FEDERA, 60).await;
    let api = &exchange.api;
    let service_type = json!({
        "name": "Static website",
        "propertySchema": {"properties": {"content": {"type": "string"}}},
        "lifecycleSchema": serde_json::from_str::<Value>(EXAMPLE_VM_LIFECYCLE).unwrap(),
    });
    let federation = Federation::create_with(api, &service_type).await;
    let dir = tempfile::tempdir().unwrap();
    let _cleanup = KillOnDrop(dir.path().to_path_buf());
    let proxy = proxy_without_batches(&api.base).await;
    let config = agent_config(dir.path(), &proxy, &federation.agent_token, [24300, 24399]);
    let _agent = spawn_agent(FEDERA, &config, &dir.path().join("agent.log"));
    let agent_path = format!("/api/v1/agents/{}", federation.agent_id);
    wait_for(
        api,
        &federation.provider_token,
        &agent_path,
        "status",
        "Connected",
    )
    .await;

    // Two services, each with a create and then a start job to report.
    for name in ["first", "second"] {
        let order = json!({"name": name, "serviceTypeId": federation.service_type_id, "groupId": federation.group_id,
                           "properties": {"content": name}});
        let (_, service_path, _) = order_created(api, &federation, &order).await;
        let started = api
            .post(
                &format!("{service_path}/start"),
                &federation.consumer_token,
                &json!({}),
            )
            .await;
        assert!(started.status < 300, "{}", started.body);
        wait_for(
            api,
            &federation.consumer_token,
            &service_path,
            "status",
            "Started",
        )
        .await;
    }

    // Four jobs, each reported once on its own endpoint; the batch
    // endpoint never reached the exchange.
    assert_eq!(requests_on(api, "/jobs/finish").await, 0);
    assert_eq!(requests_on(api, "/jobs/{id}/complete").await, 4);
}
