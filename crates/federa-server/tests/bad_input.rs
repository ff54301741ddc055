//! Input that once reached a 500, or was silently changed or ignored: each
//! case must now be a 400 naming the parameter or field, on both backends.
//! Text with U+0000 (which PostgreSQL cannot store), filters too large for
//! SQLite's expression limits, bytes after a JSON body, integers below
//! `i64`, metric values past what an invoice can add up.

mod exchange_kit;

use federa_testkit::{Federation, TestServer, ADMIN_TOKEN};
use serde_json::{json, Value};

/// Sends `body` as given (not re-encoded), so malformed documents reach
/// the server byte for byte.
async fn send_raw(
    server: &TestServer,
    method: &str,
    path: &str,
    token: &str,
    body: Option<&str>,
) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = server
        .http
        .request(method, server.url(path))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let bytes = response.bytes().await.unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// One request that must be refused with 400 naming `path`.
struct Case {
    what: &'static str,
    method: &'static str,
    url: String,
    token: String,
    body: Option<String>,
    path: &'static str,
}

fn case(
    what: &'static str,
    method: &'static str,
    url: impl Into<String>,
    token: &str,
    body: Option<String>,
    path: &'static str,
) -> Case {
    Case {
        what,
        method,
        url: url.into(),
        token: token.to_string(),
        body,
        path,
    }
}

/// The example VM with two more properties that have no bounds of their
/// own: an integer and a text.
fn roomy_vm() -> Value {
    let mut schema: Value =
        serde_json::from_str(federa_testkit::EXAMPLE_VM_PROPERTY_SCHEMA).unwrap();
    schema["properties"]["offset"] = json!({"type": "integer"});
    schema["properties"]["data"] = json!({"type": "string"});
    json!({
        "name": "Roomy VM",
        "propertySchema": schema,
        "lifecycleSchema": serde_json::from_str::<Value>(federa_testkit::EXAMPLE_VM_LIFECYCLE).unwrap(),
    })
}

#[tokio::test]
async fn every_bad_input_is_a_400_naming_the_field() {
    let server = TestServer::start().await;
    let federation = Federation::create_with(&server, &roomy_vm()).await;
    let consumer = federation.consumer_token.clone();
    let agent = federation.agent_token.clone();
    let service_id = federation.order_service(&server, "web-01").await;
    let many = |prefix: &str| {
        (0..1000)
            .map(|n| format!("{prefix}{n}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let long_pattern = "a%25".repeat(15_000);
    let many_states = lifecycle_with_states(600, true);
    let mut order_with_nul = federation.order("web-02");
    order_with_nul["properties"]["image"] = json!("ubuntu\u{0}");
    let cases = vec![
        // Bytes after the document.
        case(
            "trailing bytes after a JSON body",
            "POST",
            "/api/v1/participants",
            ADMIN_TOKEN,
            Some(r#"{"name":"Trailing","status":"Enabled"}GARBAGE"#.into()),
            "body",
        ),
        // U+0000 in bodies, queries and paths.
        case(
            "NUL in a participant's name",
            "POST",
            "/api/v1/participants",
            ADMIN_TOKEN,
            Some(json!({"name": "nul\u{0}name", "status": "Enabled"}).to_string()),
            "name",
        ),
        case(
            "NUL in a token's name",
            "POST",
            "/api/v1/tokens",
            ADMIN_TOKEN,
            Some(json!({"name": "t\u{0}", "role": "admin"}).to_string()),
            "name",
        ),
        case(
            "NUL in an ordered property",
            "POST",
            "/api/v1/services",
            &consumer,
            Some(order_with_nul.to_string()),
            "properties.image",
        ),
        case(
            "NUL in a property name",
            "PATCH",
            format!("/api/v1/services/{service_id}"),
            &consumer,
            Some(json!({"properties": {"na\u{0}me": "x"}}).to_string()),
            "properties",
        ),
        case(
            "NUL in a list filter",
            "GET",
            "/api/v1/services?name=web%00",
            &consumer,
            None,
            "name",
        ),
        case(
            "NUL in a metric entry's resourceId",
            "POST",
            "/api/v1/metric-entries",
            &agent,
            Some(
                json!({"serviceId": service_id, "resourceId": "disk\u{0}", "typeName": "cpu.usage", "value": 1.0})
                    .to_string(),
            ),
            "resourceId",
        ),
        case(
            "NUL in a resourceId path segment",
            "GET",
            format!(
                "/api/v1/metric-entries/aggregate/{service_id}/disk%00/{}",
                uuid::Uuid::new_v4()
            ),
            ADMIN_TOKEN,
            None,
            "path",
        ),
        // Filters past SQLite's expression and LIKE limits.
        case(
            "1,000 values in a services filter",
            "GET",
            format!("/api/v1/services?name={}", many("web-")),
            &consumer,
            None,
            "name",
        ),
        case(
            "1,000 values in a participants filter",
            "GET",
            format!("/api/v1/participants?name={}", many("p-")),
            ADMIN_TOKEN,
            None,
            "name",
        ),
        case(
            "1,000 values in an events filter",
            "GET",
            format!("/api/v1/events?type={}", many("service.")),
            ADMIN_TOKEN,
            None,
            "type",
        ),
        case(
            "1,000 values in a metric entries filter",
            "GET",
            format!("/api/v1/metric-entries?resourceId={}", many("disk-")),
            ADMIN_TOKEN,
            None,
            "resourceId",
        ),
        case(
            "1,000 values on the event stream",
            "GET",
            format!("/api/v1/events/stream?type={}", many("service.")),
            ADMIN_TOKEN,
            None,
            "type",
        ),
        case(
            "a 60 KB LIKE pattern",
            "GET",
            format!("/api/v1/services?name={long_pattern}"),
            &consumer,
            None,
            "name",
        ),
        case(
            "a 60 KB LIKE pattern on the event stream",
            "GET",
            format!("/api/v1/events/stream?initiatorId={long_pattern}"),
            ADMIN_TOKEN,
            None,
            "initiatorId",
        ),
        // Numbers that were silently changed or dropped.
        case(
            "an integer below i64's range",
            "POST",
            "/api/v1/services",
            &consumer,
            Some(
                federation
                    .order("low")
                    .to_string()
                    .replacen(r#""properties":{"#, r#""properties":{"offset":-9223372036854775809,"#, 1),
            ),
            "properties.offset",
        ),
        case(
            "a metric value of 1e308",
            "POST",
            "/api/v1/metric-entries",
            &agent,
            Some(
                json!({"serviceId": service_id, "resourceId": "disk", "typeName": "cpu.usage", "value": 1e308})
                    .to_string(),
            ),
            "value",
        ),
        // Sizes bounded below the body limit.
        case(
            "properties over the 64 KiB a service may hold",
            "POST",
            "/api/v1/services",
            &consumer,
            Some({
                let mut heavy = federation.order("heavy");
                heavy["properties"]["data"] = json!("x".repeat(70_000));
                heavy.to_string()
            }),
            "properties",
        ),
        case(
            "a lifecycle of 600 states",
            "POST",
            "/api/v1/service-types",
            ADMIN_TOKEN,
            Some(json!({"name": "Huge", "lifecycleSchema": many_states}).to_string()),
            "lifecycleSchema.states",
        ),
        case(
            "a long-poll wait over a minute",
            "GET",
            "/api/v1/jobs/pending?wait=90s",
            &agent,
            None,
            "wait",
        ),
    ];
    let mut failures = Vec::new();
    for case in &cases {
        let (status, body) = send_raw(
            &server,
            case.method,
            &case.url,
            &case.token,
            case.body.as_deref(),
        )
        .await;
        let paths = federa_testkit::error_paths(&body);
        if status != 400 || !paths.iter().any(|p| p == case.path) {
            failures.push(format!(
                "{}: {status}, expected 400 naming {}: {body}",
                case.what, case.path
            ));
        }
    }
    federa_testkit::reliability_summary(
        env!("CARGO_TARGET_TMPDIR"),
        "bad input",
        &format!(
            "{} malformed or oversized inputs (NUL text, 1,000-value and 60 KB filters, trailing bytes, out-of-range numbers), {} not answered 400 naming the field",
            cases.len(),
            failures.len()
        ),
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Nothing was stored by the refused requests.
    let participants = server
        .get("/api/v1/participants?name=Trailing", ADMIN_TOKEN)
        .await;
    assert_eq!(participants.body["items"].as_array().unwrap().len(), 0);
    server.stop().await;
}

/// `count` states; a chain of transitions reaches each from the one
/// before when `chained`, else one transition leaves the first.
fn lifecycle_with_states(count: usize, chained: bool) -> Value {
    let states: Vec<Value> = (0..count)
        .map(|n| json!({"name": format!("s{n}")}))
        .collect();
    let last = if chained { count } else { 2 };
    let transitions: Vec<Value> = (1..last)
        .map(|n| json!({"from": format!("s{}", n - 1), "to": format!("s{n}")}))
        .collect();
    json!({
        "states": states,
        "initialState": "s0",
        "actions": [{"name": "next", "transitions": transitions}],
    })
}

#[tokio::test]
async fn a_huge_lifecycle_is_refused_at_once_with_a_short_answer() {
    let server = TestServer::start().await;
    let started = std::time::Instant::now();
    let (status, body) = send_raw(
        &server,
        "POST",
        "/api/v1/service-types",
        ADMIN_TOKEN,
        Some(
            &json!({"name": "Huge", "lifecycleSchema": lifecycle_with_states(40_000, false)})
                .to_string(),
        ),
    )
    .await;
    let took = started.elapsed();
    assert_eq!(status, 400, "{body}");
    assert!(
        body.to_string().len() < 2_000,
        "{} bytes",
        body.to_string().len()
    );
    // Generous for a loaded machine; checking it whole took far longer.
    assert!(took < std::time::Duration::from_secs(5), "{took:?}");
    // The largest allowed one is checked quickly too.
    let started = std::time::Instant::now();
    let allowed = server
        .post(
            "/api/v1/service-types",
            ADMIN_TOKEN,
            &json!({"name": "Long", "lifecycleSchema": lifecycle_with_states(500, true)}),
        )
        .await;
    assert_eq!(allowed.status, 201, "{}", allowed.body);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    server.stop().await;
}

#[tokio::test]
async fn an_order_whose_price_would_overflow_is_refused() {
    let server = TestServer::start().await;
    let federation = Federation::create_with(
        &server,
        &json!({
            "name": "Counter",
            "propertySchema": {"properties": {"offset": {"type": "number"}}},
            "lifecycleSchema": serde_json::from_str::<Value>(federa_testkit::EXAMPLE_VM_LIFECYCLE).unwrap(),
        }),
    )
    .await;
    let provider = exchange_kit::provider(
        &server,
        &federation,
        "Rhein",
        exchange_kit::profile_in("DE", "de-fra-1"),
    )
    .await;
    exchange_kit::offering(
        &server,
        &federation,
        &provider,
        &["de-fra-1"],
        json!({"hourly": "1", "perProperty": [{"property": "offset", "unit": "unit", "hourlyPerUnit": "1000000"}]}),
    )
    .await;
    let preview = server
        .post(
            "/api/v1/placement/preview",
            &federation.consumer_token,
            &json!({"consumerId": federation.consumer_id, "serviceTypeId": federation.service_type_id, "properties": {"offset": 1e27}}),
        )
        .await;
    assert_eq!(preview.status, 400, "{}", preview.body);
    assert_eq!(preview.body["errors"][0]["path"], "properties.offset");
    let fits = server
        .post(
            "/api/v1/placement/preview",
            &federation.consumer_token,
            &json!({"consumerId": federation.consumer_id, "serviceTypeId": federation.service_type_id, "properties": {"offset": 3}}),
        )
        .await;
    assert_eq!(fits.status, 200, "{}", fits.body);
    server.stop().await;
}

#[tokio::test]
async fn an_agents_failure_report_with_nul_is_kept() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    server.report_connected(&federation.agent_token).await;
    federation.order_service(&server, "web-01").await;
    let pending = server
        .get("/api/v1/jobs/pending", &federation.agent_token)
        .await;
    let job_id = pending.body[0]["id"].as_str().unwrap().to_string();
    let claimed = server
        .post(
            &format!("/api/v1/jobs/{job_id}/claim"),
            &federation.agent_token,
            &json!({}),
        )
        .await;
    assert_eq!(claimed.status, 204, "{}", claimed.body);
    let failed = server
        .post(
            &format!("/api/v1/jobs/{job_id}/fail"),
            &federation.agent_token,
            &json!({"errorMessage": "qemu: exit\u{0} 1"}),
        )
        .await;
    assert_eq!(failed.status, 204, "{}", failed.body);
    let job = server
        .get(&format!("/api/v1/jobs/{job_id}"), ADMIN_TOKEN)
        .await;
    assert_eq!(job.body["status"], "Failed", "{}", job.body);
    assert_eq!(job.body["errorMessage"], "qemu: exit\u{FFFD} 1");
    // The same report again is the same outcome, not a conflict.
    let again = server
        .post(
            &format!("/api/v1/jobs/{job_id}/fail"),
            &federation.agent_token,
            &json!({"errorMessage": "qemu: exit\u{0} 1"}),
        )
        .await;
    assert_eq!(again.status, 204, "{}", again.body);
    server.stop().await;
}

#[tokio::test]
async fn one_metric_entry_with_nul_rejects_only_itself_in_a_batch() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let service_id = federation.order_service(&server, "web-01").await;
    let metric_type = server
        .post(
            "/api/v1/metric-types",
            ADMIN_TOKEN,
            &json!({"name": "cpu.usage", "entityType": "Service"}),
        )
        .await;
    assert_eq!(metric_type.status, 201, "{}", metric_type.body);
    let entry = |resource: &str| json!({"serviceId": service_id, "resourceId": resource, "typeName": "cpu.usage", "value": 1.0});
    let batch = server
        .post(
            "/api/v1/metric-entries/batch",
            &federation.agent_token,
            &json!({"entries": [entry("disk-1"), entry("disk\u{0}2")]}),
        )
        .await;
    assert_eq!(batch.status, 200, "{}", batch.body);
    assert_eq!(batch.body["created"], 1, "{}", batch.body);
    assert_eq!(batch.body["rejected"], 1, "{}", batch.body);
    assert_eq!(
        batch.body["results"][1]["errors"][0]["path"],
        "entries[1].resourceId"
    );
    server.stop().await;
}

#[tokio::test]
async fn an_agents_report_is_bounded_like_an_order() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    federation.order_service(&server, "web-01").await;
    let pending = server
        .get("/api/v1/jobs/pending", &federation.agent_token)
        .await;
    let job_id = pending.body[0]["id"].as_str().unwrap().to_string();
    let agent = &federation.agent_token;
    let claimed = server
        .post(&format!("/api/v1/jobs/{job_id}/claim"), agent, &json!({}))
        .await;
    assert_eq!(claimed.status, 204, "{}", claimed.body);
    let complete = |body: Value| {
        let path = format!("/api/v1/jobs/{job_id}/complete");
        let server = &server;
        async move { server.post(&path, agent, &body).await }
    };
    for (body, field) in [
        (
            json!({"agentInstanceId": "i".repeat(1001)}),
            "agentInstanceId",
        ),
        (
            json!({"agentInstanceData": {"log": "x".repeat(70_000)}}),
            "agentInstanceData",
        ),
        (
            json!({"properties": {"ipAddress": "x".repeat(70_000)}}),
            "properties",
        ),
    ] {
        let refused = complete(body).await;
        assert_eq!(refused.status, 400, "{field}: {}", refused.body);
        assert_eq!(refused.body["errors"][0]["path"], field, "{}", refused.body);
    }
    let done = complete(json!({"agentInstanceId": "vm-1"})).await;
    assert_eq!(done.status, 204, "{}", done.body);
    server.stop().await;
}
