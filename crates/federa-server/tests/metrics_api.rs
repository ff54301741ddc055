//! Metric types and metric entries over HTTP: who may write and read them,
//! single and batch reporting, scoped listing, resource ids and bucketed
//! aggregation.

use federa_testkit::{error_paths, Federation, Response, TestServer, ADMIN_TOKEN};
use serde_json::{json, Value};

async fn metric_type(server: &TestServer, name: &str, entity_type: &str) -> String {
    let created = server
        .post(
            "/api/v1/metric-types",
            ADMIN_TOKEN,
            &json!({"name": name, "entityType": entity_type}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    created.body["id"].as_str().unwrap().to_string()
}

async fn post_entry(server: &TestServer, token: &str, body: Value) -> Response {
    server.post("/api/v1/metric-entries", token, &body).await
}

async fn post_batch(server: &TestServer, token: &str, entries: Vec<Value>) -> Response {
    server
        .post(
            "/api/v1/metric-entries/batch",
            token,
            &json!({"entries": entries}),
        )
        .await
}

/// A participant with no service anywhere, and its token.
async fn stranger(server: &TestServer) -> String {
    let id = server.participant("Stranger").await;
    server.token("participant", Some(&id)).await
}

fn entry(service: &str, resource: &str, type_name: &str, value: f64, at: &str) -> Value {
    json!({"serviceId": service, "resourceId": resource, "typeName": type_name, "value": value, "timestamp": at})
}

#[tokio::test]
async fn metric_types_are_managed_by_admins_and_read_by_everyone() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let id = metric_type(&server, "cpu.usage", "Resource").await;

    for token in [&federation.consumer_token, &federation.agent_token] {
        let fetched = server
            .get(&format!("/api/v1/metric-types/{id}"), token)
            .await;
        assert_eq!(fetched.status, 200, "{:?}", fetched.body);
        assert_eq!(fetched.body["name"], "cpu.usage");
        assert_eq!(fetched.body["entityType"], "Resource");
        let listed = server.get("/api/v1/metric-types?name=CPU", token).await;
        assert_eq!(listed.body["totalItems"], 1, "{:?}", listed.body);
    }
    let by_entity = server
        .get(
            "/api/v1/metric-types?entityType=Agent",
            &federation.consumer_token,
        )
        .await;
    assert_eq!(by_entity.body["totalItems"], 0);

    let body = json!({"name": "mem.usage", "entityType": "Service"});
    for token in [&federation.provider_token, &federation.agent_token] {
        let denied = server.post("/api/v1/metric-types", token, &body).await;
        assert_eq!(denied.status, 403, "{:?}", denied.body);
        let rename = server
            .patch(
                &format!("/api/v1/metric-types/{id}"),
                token,
                &json!({"name": "x"}),
            )
            .await;
        assert_eq!(rename.status, 403);
        let delete = server
            .delete(&format!("/api/v1/metric-types/{id}"), token)
            .await;
        assert_eq!(delete.status, 403);
    }

    let duplicate = server
        .post(
            "/api/v1/metric-types",
            ADMIN_TOKEN,
            &json!({"name": "cpu.usage", "entityType": "Agent"}),
        )
        .await;
    assert_eq!(duplicate.status, 409, "{:?}", duplicate.body);
    let bad_entity = server
        .post(
            "/api/v1/metric-types",
            ADMIN_TOKEN,
            &json!({"name": "disk", "entityType": "Disk"}),
        )
        .await;
    assert_eq!(bad_entity.status, 400);
    assert_eq!(error_paths(&bad_entity.body), ["entityType"]);
    let blank = server
        .post(
            "/api/v1/metric-types",
            ADMIN_TOKEN,
            &json!({"name": " ", "entityType": "Agent"}),
        )
        .await;
    assert_eq!(error_paths(&blank.body), ["name"]);

    let renamed = server
        .patch(
            &format!("/api/v1/metric-types/{id}"),
            ADMIN_TOKEN,
            &json!({"name": "cpu.percent"}),
        )
        .await;
    assert_eq!(renamed.status, 200, "{:?}", renamed.body);
    assert_eq!(renamed.body["name"], "cpu.percent");
    assert_eq!(renamed.body["entityType"], "Resource");

    let deleted = server
        .delete(&format!("/api/v1/metric-types/{id}"), ADMIN_TOKEN)
        .await;
    assert_eq!(deleted.status, 204);
    let gone = server
        .get(&format!("/api/v1/metric-types/{id}"), ADMIN_TOKEN)
        .await;
    assert_eq!(gone.status, 404);

    let events = server
        .get("/api/v1/events?type=metric_type&pageSize=10", ADMIN_TOKEN)
        .await;
    let kinds: Vec<&str> = events.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "metric_type.created",
            "metric_type.updated",
            "metric_type.deleted"
        ]
    );
}

#[tokio::test]
async fn an_agent_reports_one_entry_for_its_own_service() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let service = federation.order_service(&server, "web-01").await;
    let type_id = metric_type(&server, "cpu.usage", "Resource").await;

    let created = post_entry(
        &server,
        &federation.agent_token,
        json!({"serviceId": service, "resourceId": "cpu-1", "typeName": "cpu.usage", "value": 78.5}),
    )
    .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let body = &created.body;
    assert_eq!(body["serviceId"], service.as_str());
    assert_eq!(body["agentId"], federation.agent_id.as_str());
    assert_eq!(body["providerId"], federation.provider_id.as_str());
    assert_eq!(body["consumerId"], federation.consumer_id.as_str());
    assert_eq!(body["typeId"], type_id.as_str());
    assert_eq!(body["resourceId"], "cpu-1");
    assert_eq!(body["value"], 78.5);
    assert_eq!(body["createdAt"], body["updatedAt"]);

    let listed = server
        .get("/api/v1/metric-entries", &federation.consumer_token)
        .await;
    assert_eq!(listed.body["totalItems"], 1);
    assert_eq!(listed.body["items"][0]["id"], body["id"]);
}

#[tokio::test]
async fn only_the_services_agent_may_report_for_it() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let service = federation.order_service(&server, "web-01").await;
    metric_type(&server, "cpu.usage", "Resource").await;
    let (_, other_agent) = federation.agent(&server, "agent-2", &[]).await;
    let body =
        json!({"serviceId": service, "resourceId": "cpu-1", "typeName": "cpu.usage", "value": 1.0});

    let foreign = post_entry(&server, &other_agent, body.clone()).await;
    assert_eq!(foreign.status, 403, "{:?}", foreign.body);
    let mut unknown_type = body.clone();
    unknown_type["typeName"] = json!("nope");
    let still_foreign = post_entry(&server, &other_agent, unknown_type).await;
    assert_eq!(
        still_foreign.status, 403,
        "refused before the type is judged"
    );
    for participant in [&federation.consumer_token, &federation.provider_token] {
        let denied = post_entry(&server, participant, body.clone()).await;
        assert_eq!(denied.status, 403, "{:?}", denied.body);
    }
    let listed = server.get("/api/v1/metric-entries", ADMIN_TOKEN).await;
    assert_eq!(listed.body["totalItems"], 0, "nothing was stored");
}

#[tokio::test]
async fn a_bad_single_entry_names_every_failing_field() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let service = federation.order_service(&server, "web-01").await;
    metric_type(&server, "cpu.usage", "Resource").await;

    let invalid = post_entry(
        &server,
        &federation.agent_token,
        json!({"serviceId": service, "resourceId": "", "typeName": "cpu.usage", "value": 1.0,
               "timestamp": "2999-01-01T00:00:00Z"}),
    )
    .await;
    assert_eq!(invalid.status, 400);
    assert_eq!(error_paths(&invalid.body), ["resourceId", "timestamp"]);

    let unknown = post_entry(
        &server,
        &federation.agent_token,
        json!({"serviceId": uuid::Uuid::now_v7(), "resourceId": "cpu-1", "typeName": "nope", "value": 1.0}),
    )
    .await;
    // As in Fulcrum, naming what does not exist is a 404; the body names it.
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.body["status"], "Resource not found");
    assert_eq!(error_paths(&unknown.body), ["serviceId", "typeName"]);

    let no_service = post_entry(
        &server,
        &federation.agent_token,
        json!({"agentInstanceId": "i-unknown", "resourceId": "cpu-1", "typeName": "cpu.usage", "value": 1.0}),
    )
    .await;
    assert_eq!(no_service.status, 404);
    assert_eq!(error_paths(&no_service.body), ["agentInstanceId"]);

    let not_a_number = post_entry(
        &server,
        &federation.agent_token,
        json!({"serviceId": service, "resourceId": "cpu-1", "typeName": "cpu.usage", "value": "high"}),
    )
    .await;
    assert_eq!(not_a_number.status, 400);
    assert_eq!(error_paths(&not_a_number.body), ["value"]);
}

#[tokio::test]
async fn an_agent_may_name_its_service_by_instance_id() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let service = federation.order_service(&server, "web-01").await;
    metric_type(&server, "cpu.usage", "Resource").await;
    let pending = server
        .get("/api/v1/jobs/pending", &federation.agent_token)
        .await;
    let job = pending.body[0]["id"].as_str().unwrap().to_string();
    let claimed = server
        .post(
            &format!("/api/v1/jobs/{job}/claim"),
            &federation.agent_token,
            &json!({}),
        )
        .await;
    assert_eq!(claimed.status, 204);
    let completed = server
        .post(
            &format!("/api/v1/jobs/{job}/complete"),
            &federation.agent_token,
            &json!({"agentInstanceId": "vm-42"}),
        )
        .await;
    assert_eq!(completed.status, 204, "{:?}", completed.body);

    let body = json!({"agentInstanceId": "vm-42", "resourceId": "cpu-1", "typeName": "cpu.usage", "value": 3.0});
    let created = post_entry(&server, &federation.agent_token, body.clone()).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["serviceId"], service.as_str());

    // The same instance id means nothing for another agent.
    let (_, other_agent) = federation.agent(&server, "agent-2", &[]).await;
    let elsewhere = post_entry(&server, &other_agent, body.clone()).await;
    assert_eq!(elsewhere.status, 404);
    assert_eq!(error_paths(&elsewhere.body), ["agentInstanceId"]);
    // Admins read measurements; only agents report them, as in Fulcrum.
    let admin = post_entry(&server, ADMIN_TOKEN, body).await;
    assert_eq!(admin.status, 403, "{:?}", admin.body);
}

#[tokio::test]
async fn a_batch_stores_its_valid_entries_and_rejects_the_rest_by_index() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let service = federation.order_service(&server, "web-01").await;
    let other_service = federation.order_service(&server, "web-02").await;
    metric_type(&server, "cpu.usage", "Resource").await;
    let (_, other_agent) = federation.agent(&server, "agent-2", &[]).await;
    let events_before = server.get("/api/v1/events", ADMIN_TOKEN).await.body["totalItems"]
        .as_u64()
        .unwrap();

    let base = chrono::DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z").unwrap();
    let mut entries: Vec<Value> = (0..2000)
        .map(|i| {
            let at = base + chrono::TimeDelta::seconds(i);
            entry(
                &service,
                &format!("cpu-{}", i % 4),
                "cpu.usage",
                i as f64,
                &at.to_rfc3339(),
            )
        })
        .collect();
    entries[3]["value"] = json!("NaN");
    entries[10]["resourceId"] = json!("");
    entries[500]["typeName"] = json!("unknown.metric");
    entries[1200]["timestamp"] = json!("2999-01-01T00:00:00Z");
    entries[1999] = json!({"resourceId": "cpu-0", "typeName": "cpu.usage", "value": 1});
    let rejected = [3usize, 10, 500, 1200, 1999];

    let answer = post_batch(&server, &federation.agent_token, entries).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    assert_eq!(answer.body["created"], 1995);
    assert_eq!(answer.body["rejected"], 5);
    let results = answer.body["results"].as_array().unwrap();
    assert_eq!(results.len(), 2000);
    for (index, result) in results.iter().enumerate() {
        assert_eq!(result["index"], index);
        let expected = if rejected.contains(&index) {
            "rejected"
        } else {
            "created"
        };
        assert_eq!(result["status"], expected, "entry {index}: {result:?}");
    }
    assert_eq!(error_paths(&results[3]), ["entries[3].value"]);
    assert_eq!(error_paths(&results[10]), ["entries[10].resourceId"]);
    assert_eq!(error_paths(&results[500]), ["entries[500].typeName"]);
    assert_eq!(error_paths(&results[1200]), ["entries[1200].timestamp"]);
    assert_eq!(error_paths(&results[1999]), ["entries[1999].serviceId"]);
    assert!(results[3]["error"]
        .as_str()
        .unwrap()
        .starts_with("entries[3].value"));
    assert!(results[0]["id"].is_string());

    let stored = server
        .get(
            &format!("/api/v1/metric-entries?serviceId={service}&pageSize=100"),
            &federation.consumer_token,
        )
        .await;
    // Past 1,000 rows the total is an estimate; walking the pages by
    // cursor counts every stored entry exactly.
    assert_eq!(stored.body["totalIsEstimate"], true, "{}", stored.body);
    let mut counted = stored.body["items"].as_array().unwrap().len();
    let mut next = stored.body["nextCursor"].as_str().map(str::to_owned);
    while let Some(cursor) = next {
        let page = server
            .get(
                &format!("/api/v1/metric-entries?serviceId={service}&pageSize=100&cursor={cursor}"),
                &federation.consumer_token,
            )
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        counted += page.body["items"].as_array().unwrap().len();
        next = page.body["nextCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(counted, 1995);
    let first = &stored.body["items"][0];
    assert_eq!(
        first["createdAt"], "2025-01-01T00:00:00Z",
        "timestamps are honoured"
    );
    assert_eq!(first["value"], 0.0);
    let latest = server
        .get(
            &format!("/api/v1/metric-entries?serviceId={service}&sort=-createdAt&pageSize=1"),
            &federation.consumer_token,
        )
        .await;
    assert_eq!(latest.body["items"][0]["createdAt"], "2025-01-01T00:33:18Z");
    assert_eq!(latest.body["items"][0]["value"], 1998.0);

    let events_after = server.get("/api/v1/events", ADMIN_TOKEN).await.body["totalItems"]
        .as_u64()
        .unwrap();
    assert_eq!(events_after, events_before, "entries record no events");

    // An entry for a service the agent does not run is rejected alone.
    let mixed = post_batch(
        &server,
        &other_agent,
        vec![
            entry(&service, "cpu-0", "cpu.usage", 1.0, "2025-01-02T00:00:00Z"),
            entry(
                &other_service,
                "cpu-0",
                "cpu.usage",
                1.0,
                "2025-01-02T00:00:00Z",
            ),
        ],
    )
    .await;
    assert_eq!(mixed.status, 200, "{:?}", mixed.body);
    assert_eq!(mixed.body["created"], 0);
    assert_eq!(
        error_paths(&mixed.body["results"][1]),
        ["entries[1].serviceId"]
    );
}

#[tokio::test]
async fn batches_are_bounded_and_only_agents_send_them() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let service = federation.order_service(&server, "web-01").await;
    metric_type(&server, "cpu.usage", "Resource").await;
    let one = || entry(&service, "cpu-0", "cpu.usage", 1.0, "2025-01-01T00:00:00Z");

    let empty = post_batch(&server, &federation.agent_token, vec![]).await;
    assert_eq!(empty.status, 400);
    assert_eq!(error_paths(&empty.body), ["entries"]);
    let too_many = post_batch(&server, &federation.agent_token, vec![one(); 5001]).await;
    assert_eq!(too_many.status, 400);
    assert_eq!(error_paths(&too_many.body), ["entries"]);
    let participant = post_batch(&server, &federation.consumer_token, vec![one()]).await;
    assert_eq!(participant.status, 403);
    let not_json = server
        .call(
            "POST",
            "/api/v1/metric-entries/batch",
            Some(&federation.agent_token),
            Some(&json!([1, 2])),
        )
        .await;
    assert_eq!(not_json.status, 400);

    // A full batch with long resource ids is larger than other bodies may be.
    let long_resource = "r".repeat(255);
    let full: Vec<Value> = (0..5000)
        .map(|i| {
            entry(
                &service,
                &long_resource,
                "cpu.usage",
                i as f64,
                "2025-01-01T00:00:00Z",
            )
        })
        .collect();
    assert!(serde_json::to_vec(&full).unwrap().len() > federa_server::MAX_BODY_BYTES);
    let accepted = post_batch(&server, &federation.agent_token, full).await;
    assert_eq!(accepted.status, 200, "{:?}", accepted.body);
    assert_eq!(accepted.body["created"], 5000);
    let by_admin = post_batch(&server, ADMIN_TOKEN, vec![one()]).await;
    assert_eq!(by_admin.status, 403, "{:?}", by_admin.body);
}

#[tokio::test]
async fn entries_are_listed_by_filter_within_the_callers_scope() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let service = federation.order_service(&server, "web-01").await;
    let cpu = metric_type(&server, "cpu.usage", "Resource").await;
    metric_type(&server, "disk.used", "Resource").await;
    let answer = post_batch(
        &server,
        &federation.agent_token,
        vec![
            entry(&service, "cpu-1", "cpu.usage", 10.0, "2025-01-01T00:00:00Z"),
            entry(&service, "cpu-2", "cpu.usage", 30.0, "2025-01-01T01:00:00Z"),
            entry(
                &service,
                "disk-1",
                "disk.used",
                20.0,
                "2025-01-01T02:00:00Z",
            ),
        ],
    )
    .await;
    assert_eq!(answer.body["created"], 3, "{:?}", answer.body);
    let (_, other_agent) = federation.agent(&server, "agent-2", &[]).await;
    let stranger = stranger(&server).await;

    let total = |response: Response| response.body["totalItems"].as_u64().unwrap();
    for token in [
        ADMIN_TOKEN,
        &federation.consumer_token,
        &federation.provider_token,
    ] {
        let seen = server.get("/api/v1/metric-entries", token).await;
        assert_eq!(seen.status, 200, "{:?}", seen.body);
        assert_eq!(total(seen), 3);
    }
    let seen = server.get("/api/v1/metric-entries", &stranger).await;
    assert_eq!(seen.status, 200);
    assert_eq!(total(seen), 0, "outsiders see nothing");
    // As in Fulcrum, agents report measurements but do not read them.
    for token in [&federation.agent_token, &other_agent] {
        let refused = server.get("/api/v1/metric-entries", token).await;
        assert_eq!(refused.status, 403, "{:?}", refused.body);
    }

    let consumer = &federation.consumer_token;
    let get = |query: String| {
        let server = &server;
        async move {
            server
                .get(&format!("/api/v1/metric-entries?{query}"), consumer)
                .await
        }
    };
    assert_eq!(total(get("resourceId=CPU".into()).await), 2);
    assert_eq!(total(get(format!("typeId={cpu}")).await), 2);
    assert_eq!(
        total(get(format!("agentId={}", federation.agent_id)).await),
        3
    );
    assert_eq!(
        total(get(format!("serviceId={}", uuid::Uuid::now_v7())).await),
        0
    );
    assert_eq!(
        total(get("since=2025-01-01T01:00:00Z&until=2025-01-01T02:00:00Z".into()).await),
        1
    );
    let by_value = get("sort=-value".into()).await;
    let values: Vec<f64> = by_value.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["value"].as_f64().unwrap())
        .collect();
    assert_eq!(values, [30.0, 20.0, 10.0]);
    let bad = get("serviceId=nope&sort=name".into()).await;
    assert_eq!(bad.status, 400);
    assert_eq!(error_paths(&bad.body), ["serviceId", "sort"]);
}

#[tokio::test]
async fn resource_ids_are_distinct_paged_and_scoped() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let service = federation.order_service(&server, "web-01").await;
    metric_type(&server, "cpu.usage", "Resource").await;
    let answer = post_batch(
        &server,
        &federation.agent_token,
        ["cpu-2", "cpu-1", "cpu-1", "disk-1", "cpu-2"]
            .iter()
            .map(|r| entry(&service, r, "cpu.usage", 1.0, "2025-01-01T00:00:00Z"))
            .collect(),
    )
    .await;
    assert_eq!(answer.body["created"], 5, "{:?}", answer.body);

    let all = server
        .get(
            "/api/v1/metric-entries/resource-ids",
            &federation.consumer_token,
        )
        .await;
    assert_eq!(all.status, 200, "{:?}", all.body);
    assert_eq!(all.body["items"], json!(["cpu-1", "cpu-2", "disk-1"]));
    assert_eq!(all.body["totalItems"], 3);

    let paged = server
        .get(
            "/api/v1/metric-entries/resource-ids?pageSize=2&page=2",
            &federation.provider_token,
        )
        .await;
    assert_eq!(paged.body["items"], json!(["disk-1"]));
    assert_eq!(paged.body["hasPrev"], true);
    assert_eq!(paged.body["hasNext"], false);

    let filtered = server
        .get(
            &format!("/api/v1/metric-entries/resource-ids?resourceId=cpu&serviceId={service}"),
            &federation.provider_token,
        )
        .await;
    assert_eq!(filtered.body["items"], json!(["cpu-1", "cpu-2"]));

    let stranger = stranger(&server).await;
    let hidden = server
        .get("/api/v1/metric-entries/resource-ids", &stranger)
        .await;
    assert_eq!(hidden.body["totalItems"], 0);
}

/// One series with known values around the turn of a minute, hour, day and
/// month, plus entries of other series that must not be counted.
async fn known_series(server: &TestServer, federation: &Federation) -> (String, String) {
    let service = federation.order_service(server, "db-01").await;
    let other_service = federation.order_service(server, "db-02").await;
    let io = metric_type(server, "disk.io", "Resource").await;
    metric_type(server, "disk.used", "Resource").await;
    let series = [
        ("2025-01-31T23:58:10Z", 1.0),
        ("2025-01-31T23:58:50Z", 3.0),
        ("2025-01-31T23:59:30Z", 11.0),
        ("2025-02-01T00:00:00Z", 20.0),
        ("2025-02-01T00:30:00Z", 4.0),
        ("2025-02-01T01:15:00Z", 6.0),
        ("2025-02-02T12:00:00Z", 2.0),
    ];
    let mut entries: Vec<Value> = series
        .iter()
        .map(|(at, value)| entry(&service, "disk-1", "disk.io", *value, at))
        .collect();
    entries.push(entry(
        &service,
        "disk-2",
        "disk.io",
        1000.0,
        "2025-02-01T00:00:30Z",
    ));
    entries.push(entry(
        &service,
        "disk-1",
        "disk.used",
        1000.0,
        "2025-02-01T00:00:30Z",
    ));
    entries.push(entry(
        &other_service,
        "disk-1",
        "disk.io",
        1000.0,
        "2025-02-01T00:00:30Z",
    ));
    let answer = post_batch(server, &federation.agent_token, entries).await;
    assert_eq!(answer.body["created"], 10, "{:?}", answer.body);
    (service, io)
}

#[tokio::test]
async fn aggregates_apply_each_function_to_each_bucket() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let (service, io) = known_series(&server, &federation).await;

    let ranges = [
        ("minute", "2025-01-31T12:00:00Z", "2025-02-01T12:00:00Z"),
        ("hour", "2025-01-31T00:00:00Z", "2025-02-07T00:00:00Z"),
        ("day", "2025-01-01T00:00:00Z", "2025-03-01T00:00:00Z"),
        ("month", "2024-12-01T00:00:00Z", "2025-06-01T00:00:00Z"),
    ];
    // Per bucket: the bucket start, then min, max, sum, avg and diff.
    type Expected = &'static [(&'static str, [f64; 5])];
    let expected: [(&str, Expected); 4] = [
        (
            "minute",
            &[
                ("2025-01-31T23:58:00Z", [1.0, 3.0, 4.0, 2.0, 2.0]),
                ("2025-01-31T23:59:00Z", [11.0, 11.0, 11.0, 11.0, 0.0]),
                ("2025-02-01T00:00:00Z", [20.0, 20.0, 20.0, 20.0, 0.0]),
                ("2025-02-01T00:30:00Z", [4.0, 4.0, 4.0, 4.0, 0.0]),
                ("2025-02-01T01:15:00Z", [6.0, 6.0, 6.0, 6.0, 0.0]),
            ],
        ),
        (
            "hour",
            &[
                ("2025-01-31T23:00:00Z", [1.0, 11.0, 15.0, 5.0, 10.0]),
                ("2025-02-01T00:00:00Z", [4.0, 20.0, 24.0, 12.0, 16.0]),
                ("2025-02-01T01:00:00Z", [6.0, 6.0, 6.0, 6.0, 0.0]),
                ("2025-02-02T12:00:00Z", [2.0, 2.0, 2.0, 2.0, 0.0]),
            ],
        ),
        (
            "day",
            &[
                ("2025-01-31T00:00:00Z", [1.0, 11.0, 15.0, 5.0, 10.0]),
                ("2025-02-01T00:00:00Z", [4.0, 20.0, 30.0, 10.0, 16.0]),
                ("2025-02-02T00:00:00Z", [2.0, 2.0, 2.0, 2.0, 0.0]),
            ],
        ),
        (
            "month",
            &[
                ("2025-01-01T00:00:00Z", [1.0, 11.0, 15.0, 5.0, 10.0]),
                ("2025-02-01T00:00:00Z", [2.0, 20.0, 32.0, 8.0, 18.0]),
            ],
        ),
    ];

    for ((bucket, start, end), (same_bucket, buckets)) in ranges.iter().zip(expected) {
        assert_eq!(bucket, &same_bucket);
        for (column, function) in ["min", "max", "sum", "avg", "diff"].iter().enumerate() {
            let answer = server
                .get(
                    &format!("/api/v1/metric-entries/aggregate/{service}/disk-1/{io}?aggregateType={function}&bucket={bucket}&start={start}&end={end}"),
                    &federation.consumer_token,
                )
                .await;
            assert_eq!(answer.status, 200, "{bucket} {function}: {:?}", answer.body);
            assert_eq!(answer.body["aggregate"], *function);
            assert_eq!(answer.body["bucket"], *bucket);
            assert_eq!(answer.body["start"], *start);
            assert_eq!(answer.body["end"], *end);
            let want: Vec<Value> = buckets
                .iter()
                .map(|(at, values)| json!([at, values[column]]))
                .collect();
            assert_eq!(answer.body["data"], json!(want), "{bucket} {function}");
        }
    }
}

#[tokio::test]
async fn aggregation_defaults_to_hourly_minimum_and_bounds_are_inclusive() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let (service, io) = known_series(&server, &federation).await;
    let path = format!("/api/v1/metric-entries/aggregate/{service}/disk-1/{io}");

    let defaults = server
        .get(&format!("{path}?end=2025-02-01T00:00:00Z"), ADMIN_TOKEN)
        .await;
    assert_eq!(defaults.status, 200, "{:?}", defaults.body);
    assert_eq!(defaults.body["aggregate"], "min");
    assert_eq!(defaults.body["bucket"], "hour");
    assert_eq!(defaults.body["start"], "2025-01-25T00:00:00Z");
    assert_eq!(
        defaults.body["data"],
        json!([
            ["2025-01-31T23:00:00Z", 1.0],
            ["2025-02-01T00:00:00Z", 20.0]
        ]),
        "the entry exactly at the end is included"
    );

    let from_start = server
        .get(
            &format!("{path}?aggregateType=sum&bucket=minute&start=2025-02-01T01:15:00Z&end=2025-02-01T02:00:00Z"),
            ADMIN_TOKEN,
        )
        .await;
    assert_eq!(
        from_start.body["data"],
        json!([["2025-02-01T01:15:00Z", 6.0]])
    );

    let stranger = stranger(&server).await;
    let hidden = server
        .get(&format!("{path}?end=2025-02-01T00:00:00Z"), &stranger)
        .await;
    assert_eq!(hidden.status, 200);
    assert_eq!(hidden.body["data"], json!([]), "outsiders see no data");
}

#[tokio::test]
async fn aggregation_ranges_are_limited_per_bucket() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let service = federation.order_service(&server, "web-01").await;
    let io = metric_type(&server, "disk.io", "Resource").await;
    let path = format!("/api/v1/metric-entries/aggregate/{service}/disk-1/{io}");
    let token = &federation.consumer_token;

    for (bucket, longest, too_long) in [
        ("minute", "2025-01-31T00:00:00Z", "2025-01-30T23:59:59Z"),
        ("hour", "2025-01-25T00:00:00Z", "2025-01-24T23:59:59Z"),
        ("day", "2024-11-03T00:00:00Z", "2024-11-02T23:59:59Z"),
        ("month", "2024-02-02T00:00:00Z", "2024-02-01T23:59:59Z"),
    ] {
        let end = "2025-02-01T00:00:00Z";
        let ok = server
            .get(
                &format!("{path}?bucket={bucket}&start={longest}&end={end}"),
                token,
            )
            .await;
        assert_eq!(ok.status, 200, "{bucket}: {:?}", ok.body);
        let refused = server
            .get(
                &format!("{path}?bucket={bucket}&start={too_long}&end={end}"),
                token,
            )
            .await;
        assert_eq!(refused.status, 400, "{bucket}");
        assert_eq!(error_paths(&refused.body), ["start"], "{bucket}");
    }

    let backwards = server
        .get(
            &format!("{path}?start=2025-02-01T00:00:00Z&end=2025-01-31T00:00:00Z"),
            token,
        )
        .await;
    assert_eq!(error_paths(&backwards.body), ["end"]);
    let unknown = server
        .get(
            &format!("{path}?aggregateType=median&bucket=week&start=soon"),
            token,
        )
        .await;
    assert_eq!(unknown.status, 400);
    assert_eq!(
        error_paths(&unknown.body),
        ["aggregateType", "bucket", "start"]
    );
    let bad_ids = server
        .get(
            &format!("/api/v1/metric-entries/aggregate/nope/disk-1/{io}"),
            token,
        )
        .await;
    assert_eq!(error_paths(&bad_ids.body), ["serviceId"]);
}

#[tokio::test]
async fn a_metric_type_with_entries_cannot_be_deleted() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let service = federation.order_service(&server, "web-01").await;
    let cpu = metric_type(&server, "cpu.usage", "Resource").await;
    let created = post_entry(
        &server,
        &federation.agent_token,
        json!({"serviceId": service, "resourceId": "cpu-1", "typeName": "cpu.usage", "value": 1}),
    )
    .await;
    assert_eq!(created.status, 201);
    let refused = server
        .delete(&format!("/api/v1/metric-types/{cpu}"), ADMIN_TOKEN)
        .await;
    assert_eq!(refused.status, 409, "{:?}", refused.body);
}

#[tokio::test]
async fn the_openapi_document_describes_the_metric_endpoints() {
    let server = TestServer::start().await;
    let document = server.call("GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(document.status, 200);
    for path in [
        "/metric-types",
        "/metric-types/{id}",
        "/metric-entries",
        "/metric-entries/batch",
        "/metric-entries/resource-ids",
        "/metric-entries/aggregate/{serviceId}/{resourceId}/{typeId}",
    ] {
        assert!(
            document.body["paths"].get(path).is_some(),
            "{path} is documented"
        );
    }
}
