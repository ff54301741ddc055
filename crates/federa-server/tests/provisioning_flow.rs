//! Services through their lifecycle: order, jobs, claims, completion and
//! failure, over HTTP with a real agent token.

use federa_testkit::{Federation, TestServer, ADMIN_TOKEN};
use serde_json::{json, Value};

/// The agent's only pending job, claimed.
async fn claim_next(server: &TestServer, federation: &Federation) -> Value {
    let pending = server
        .get("/api/v1/jobs/pending", &federation.agent_token)
        .await;
    assert_eq!(pending.status, 200, "{:?}", pending.body);
    let job = pending.body.as_array().expect("a bare array")[0].clone();
    let id = job["id"].as_str().unwrap();
    let claimed = server
        .post(
            &format!("/api/v1/jobs/{id}/claim"),
            &federation.agent_token,
            &json!({}),
        )
        .await;
    assert_eq!(claimed.status, 204, "{:?}", claimed.body);
    job
}

async fn complete(server: &TestServer, federation: &Federation, job_id: &str, body: Value) -> u16 {
    server
        .post(
            &format!("/api/v1/jobs/{job_id}/complete"),
            &federation.agent_token,
            &body,
        )
        .await
        .status
}

async fn service(server: &TestServer, federation: &Federation, id: &str) -> Value {
    let response = server
        .get(
            &format!("/api/v1/services/{id}"),
            &federation.consumer_token,
        )
        .await;
    assert_eq!(response.status, 200);
    response.body
}

#[tokio::test]
async fn a_service_is_created_started_updated_and_deleted_by_its_agent() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let id = federation.order_service(&server, "web-01").await;
    let ordered = service(&server, &federation, &id).await;
    assert_eq!(ordered["status"], "New");
    assert_eq!(ordered["agentId"], federation.agent_id.as_str());
    assert_eq!(ordered["providerId"], federation.provider_id.as_str());
    assert_eq!(
        ordered["properties"]["diskSize"], 20,
        "schema default applied"
    );

    let create = claim_next(&server, &federation).await;
    assert_eq!(create["action"], "create");
    assert_eq!(create["service"]["id"], id.as_str());
    assert_eq!(create["params"]["name"], "web-01");
    let job_id = create["id"].as_str().unwrap();
    let held = server
        .get(&format!("/api/v1/jobs/{job_id}"), &federation.agent_token)
        .await;
    assert_eq!(held.body["status"], "Processing");
    assert_eq!(held.body["attempts"], 1);
    assert!(held.body["leaseExpiresAt"].is_string());
    let status = complete(
        &server,
        &federation,
        job_id,
        json!({"agentInstanceId": "vm-1234", "agentInstanceData": {"host": "h1"}, "properties": {"ipAddress": "10.0.0.7"}}),
    )
    .await;
    assert_eq!(status, 204);
    let created = service(&server, &federation, &id).await;
    assert_eq!(created["status"], "Stopped");
    assert_eq!(created["agentInstanceId"], "vm-1234");
    assert_eq!(created["agentInstanceData"]["host"], "h1");
    assert_eq!(created["properties"]["ipAddress"], "10.0.0.7");

    let started = server
        .post(
            &format!("/api/v1/services/{id}/start"),
            &federation.consumer_token,
            &json!({}),
        )
        .await;
    assert_eq!(started.status, 200, "{:?}", started.body);
    let start = claim_next(&server, &federation).await;
    assert_eq!(start["action"], "start");
    assert_eq!(
        complete(
            &server,
            &federation,
            start["id"].as_str().unwrap(),
            json!({})
        )
        .await,
        204
    );
    let running = service(&server, &federation, &id).await;
    assert_eq!(running["status"], "Started");
    assert_eq!(
        running["agentInstanceId"], "vm-1234",
        "null in a completion keeps the instance id"
    );

    // Memory may change only while stopped; the name never.
    let refused = server
        .patch(
            &format!("/api/v1/services/{id}"),
            &federation.consumer_token,
            &json!({"properties": {"memory": 4096}}),
        )
        .await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.body["errors"][0]["path"], "properties.memory");
    let immutable = server
        .patch(
            &format!("/api/v1/services/{id}"),
            &federation.consumer_token,
            &json!({"properties": {"name": "other"}}),
        )
        .await;
    assert_eq!(immutable.status, 400);
    assert_eq!(immutable.body["errors"][0]["path"], "properties.name");
    let resized = server
        .patch(
            &format!("/api/v1/services/{id}"),
            &federation.consumer_token,
            &json!({"properties": {"diskSize": 40}}),
        )
        .await;
    assert_eq!(resized.status, 200, "{:?}", resized.body);
    let update = claim_next(&server, &federation).await;
    assert_eq!(update["action"], "update");
    assert_eq!(update["params"]["diskSize"], 40);
    assert_eq!(
        update["params"]["memory"], 2048,
        "the update carries the merged properties"
    );
    assert_eq!(
        complete(
            &server,
            &federation,
            update["id"].as_str().unwrap(),
            json!({})
        )
        .await,
        204
    );
    assert_eq!(
        service(&server, &federation, &id).await["properties"]["diskSize"],
        40
    );

    let deleted = server
        .delete(
            &format!("/api/v1/services/{id}"),
            &federation.consumer_token,
        )
        .await;
    assert_eq!(deleted.status, 204);
    let delete = claim_next(&server, &federation).await;
    assert_eq!(delete["action"], "delete");
    assert_eq!(
        complete(
            &server,
            &federation,
            delete["id"].as_str().unwrap(),
            json!({})
        )
        .await,
        204
    );
    let gone = service(&server, &federation, &id).await;
    assert_eq!(gone["status"], "Deleted");
    assert!(
        gone.get("agentInstanceId").is_none(),
        "a terminal state frees the instance id"
    );

    let jobs = server
        .get(
            &format!("/api/v1/jobs?serviceId={id}&status=Completed"),
            &federation.consumer_token,
        )
        .await;
    assert_eq!(jobs.body["totalItems"], 4);
    server.stop().await;
}

#[tokio::test]
async fn completion_and_failure_are_idempotent_and_conflicts_are_409() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    federation.order_service(&server, "web-01").await;
    let job = claim_next(&server, &federation).await;
    let job_id = job["id"].as_str().unwrap();
    assert_eq!(complete(&server, &federation, job_id, json!({})).await, 204);
    assert_eq!(
        complete(&server, &federation, job_id, json!({})).await,
        204,
        "a retried completion"
    );
    // Another report for the completed job is refused, as another failure
    // message is, rather than answered 204 with its data dropped.
    assert_eq!(
        complete(
            &server,
            &federation,
            job_id,
            json!({"agentInstanceId": "vm-late"})
        )
        .await,
        409
    );
    let fail = server
        .post(
            &format!("/api/v1/jobs/{job_id}/fail"),
            &federation.agent_token,
            &json!({"errorMessage": "boom"}),
        )
        .await;
    assert_eq!(fail.status, 409);
    let claim_again = server
        .post(
            &format!("/api/v1/jobs/{job_id}/claim"),
            &federation.agent_token,
            &json!({}),
        )
        .await;
    assert_eq!(claim_again.status, 409);

    // A failure repeated with the same message is accepted; another is not.
    let id = federation.order_service(&server, "web-02").await;
    let job = claim_next(&server, &federation).await;
    let job_id = job["id"].as_str().unwrap();
    let fail = |message: &'static str| {
        let server = &server;
        let token = federation.agent_token.clone();
        async move {
            server
                .post(
                    &format!("/api/v1/jobs/{job_id}/fail"),
                    &token,
                    &json!({"errorMessage": message}),
                )
                .await
                .status
        }
    };
    assert_eq!(fail("disk full").await, 204);
    assert_eq!(fail("disk full").await, 204);
    assert_eq!(fail("other").await, 409);
    assert_eq!(complete(&server, &federation, job_id, json!({})).await, 409);
    let failed = service(&server, &federation, &id).await;
    assert_eq!(failed["status"], "Failed", "create's error transition");
    let recorded = server
        .get(
            &format!("/api/v1/jobs/{job_id}"),
            &federation.consumer_token,
        )
        .await;
    assert_eq!(recorded.body["errorMessage"], "disk full");

    // A completion with data repeats as the same report in any member order.
    federation.order_service(&server, "web-03").await;
    let job = claim_next(&server, &federation).await;
    let job_id = job["id"].as_str().unwrap();
    let report =
        json!({"agentInstanceId": "vm-3", "agentInstanceData": {"ip": "10.0.0.3", "disk": 20}});
    assert_eq!(complete(&server, &federation, job_id, report).await, 204);
    let reordered =
        json!({"agentInstanceData": {"disk": 20, "ip": "10.0.0.3"}, "agentInstanceId": "vm-3"});
    assert_eq!(complete(&server, &federation, job_id, reordered).await, 204);
    let other_data =
        json!({"agentInstanceId": "vm-3", "agentInstanceData": {"ip": "10.0.0.4", "disk": 20}});
    assert_eq!(
        complete(&server, &federation, job_id, other_data).await,
        409
    );
    server.stop().await;
}

#[tokio::test]
async fn errors_are_routed_by_the_lifecycle_error_patterns() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let id = federation.order_service(&server, "web-01").await;
    let create = claim_next(&server, &federation).await;
    complete(
        &server,
        &federation,
        create["id"].as_str().unwrap(),
        json!({}),
    )
    .await;
    server
        .post(
            &format!("/api/v1/services/{id}/start"),
            &federation.consumer_token,
            &json!({}),
        )
        .await;
    let start = claim_next(&server, &federation).await;
    let failed = server
        .post(
            &format!("/api/v1/jobs/{}/fail", start["id"].as_str().unwrap()),
            &federation.agent_token,
            &json!({"errorMessage": "vcpu quota exceeded in region"}),
        )
        .await;
    assert_eq!(failed.status, 204);
    assert_eq!(
        service(&server, &federation, &id).await["status"],
        "Stopped",
        "the quota rule matched first"
    );
    server.stop().await;
}

#[tokio::test]
async fn an_agent_may_refuse_a_pending_job() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let id = federation.order_service(&server, "web-01").await;
    let pending = server
        .get("/api/v1/jobs/pending", &federation.agent_token)
        .await;
    let job_id = pending.body[0]["id"].as_str().unwrap();
    let refused = server
        .post(
            &format!("/api/v1/jobs/{job_id}/fail"),
            &federation.agent_token,
            &json!({"errorMessage": "unsupported image"}),
        )
        .await;
    assert_eq!(refused.status, 204);
    assert_eq!(service(&server, &federation, &id).await["status"], "Failed");
    let empty = server
        .get("/api/v1/jobs/pending", &federation.agent_token)
        .await;
    assert_eq!(empty.body, json!([]));
    server.stop().await;
}

#[tokio::test]
async fn only_the_services_agent_works_its_jobs() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let (_, other_agent) = federation.agent(&server, "agent-2", &[]).await;
    federation.order_service(&server, "web-01").await;
    let pending = server
        .get("/api/v1/jobs/pending", &federation.agent_token)
        .await;
    let job_id = pending.body[0]["id"].as_str().unwrap();
    let foreign = server.get("/api/v1/jobs/pending", &other_agent).await;
    assert_eq!(foreign.body, json!([]));
    for path in ["claim", "complete", "fail", "heartbeat"] {
        let response = server
            .post(
                &format!("/api/v1/jobs/{job_id}/{path}"),
                &other_agent,
                &json!({"errorMessage": "x"}),
            )
            .await;
        assert_eq!(response.status, 403, "{path}");
    }
    let by_admin = server
        .post(
            &format!("/api/v1/jobs/{job_id}/claim"),
            ADMIN_TOKEN,
            &json!({}),
        )
        .await;
    assert_eq!(by_admin.status, 403);
    let by_consumer = server
        .get("/api/v1/jobs/pending", &federation.consumer_token)
        .await;
    assert_eq!(by_consumer.status, 403);
    server.stop().await;
}

#[tokio::test]
async fn instance_ids_are_unique_per_agent_only() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let (second_agent, second_token) = federation.agent(&server, "agent-2", &[]).await;
    federation.order_service(&server, "web-01").await;
    let first = claim_next(&server, &federation).await;
    assert_eq!(
        complete(
            &server,
            &federation,
            first["id"].as_str().unwrap(),
            json!({"agentInstanceId": "i-1"})
        )
        .await,
        204
    );
    // A second service in another group, so it is not queued behind the first.
    let group = federation.group(&server, "db").await;
    let mut order = federation.order("web-02");
    order["groupId"] = json!(group);
    server
        .post("/api/v1/services", &federation.consumer_token, &order)
        .await;
    let second = claim_next(&server, &federation).await;
    let clash = complete(
        &server,
        &federation,
        second["id"].as_str().unwrap(),
        json!({"agentInstanceId": "i-1"}),
    )
    .await;
    assert_eq!(clash, 409);

    // Another agent's infrastructure may use the same id.
    order["name"] = json!("web-03");
    order["properties"]["name"] = json!("web-03");
    order["agentId"] = json!(second_agent);
    let placed = server
        .post("/api/v1/services", &federation.consumer_token, &order)
        .await;
    assert_eq!(placed.status, 201, "{:?}", placed.body);
    let pending = server.get("/api/v1/jobs/pending", &second_token).await;
    let job_id = pending.body[0]["id"].as_str().unwrap();
    server
        .post(
            &format!("/api/v1/jobs/{job_id}/claim"),
            &second_token,
            &json!({}),
        )
        .await;
    let same_id = server
        .post(
            &format!("/api/v1/jobs/{job_id}/complete"),
            &second_token,
            &json!({"agentInstanceId": "i-1"}),
        )
        .await;
    assert_eq!(same_id.status, 204);
    server.stop().await;
}

#[tokio::test]
async fn orders_without_an_eligible_agent_say_why() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let mut order = federation.order("web-01");
    order["agentTags"] = json!(["gpu"]);
    let no_tag = server
        .post("/api/v1/services", &federation.consumer_token, &order)
        .await;
    assert_eq!(no_tag.status, 400);
    assert_eq!(no_tag.body["errors"][0]["path"], "agentTags");

    federation.agent(&server, "gpu-agent", &["gpu"]).await;
    let placed = server
        .post("/api/v1/services", &federation.consumer_token, &order)
        .await;
    assert_eq!(placed.status, 201, "{:?}", placed.body);

    let bare_type = server
        .post("/api/v1/service-types", ADMIN_TOKEN, &json!({"name": "Queue", "lifecycleSchema": serde_json::from_str::<Value>(federa_testkit::EXAMPLE_VM_LIFECYCLE).unwrap()}))
        .await;
    let mut order = federation.order("queue-1");
    order["serviceTypeId"] = bare_type.body["id"].clone();
    order["properties"] = json!({});
    let nobody = server
        .post("/api/v1/services", &federation.consumer_token, &order)
        .await;
    assert_eq!(nobody.status, 400);
    assert_eq!(nobody.body["errors"][0]["path"], "serviceTypeId");

    let mut bad = federation.order("web-02");
    bad["properties"]["cpu"] = json!(3);
    let invalid = server
        .post("/api/v1/services", &federation.consumer_token, &bad)
        .await;
    assert_eq!(invalid.status, 400);
    assert_eq!(invalid.body["errors"][0]["path"], "properties.cpu");

    // The provider cannot order into the consumer's group.
    let foreign = server
        .post(
            "/api/v1/services",
            &federation.provider_token,
            &federation.order("web-03"),
        )
        .await;
    assert_eq!(foreign.status, 403);
    server.stop().await;
}

#[tokio::test]
async fn jobs_of_one_group_are_handed_out_one_at_a_time() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    federation.order_service(&server, "web-01").await;
    federation.order_service(&server, "web-02").await;
    let other_group = federation.group(&server, "db").await;
    let mut order = federation.order("db-01");
    order["groupId"] = json!(other_group);
    server
        .post("/api/v1/services", &federation.consumer_token, &order)
        .await;

    let pending = server
        .get("/api/v1/jobs/pending", &federation.agent_token)
        .await;
    let names: Vec<&str> = pending
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["service"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec!["web-01", "db-01"],
        "the oldest job of each group"
    );

    // Claim several at once; the group's second job waits for the first.
    let claimed = server
        .post(
            "/api/v1/jobs/claim",
            &federation.agent_token,
            &json!({"limit": 10}),
        )
        .await;
    assert_eq!(claimed.status, 200);
    assert_eq!(claimed.body.as_array().unwrap().len(), 2);
    assert!(claimed
        .body
        .as_array()
        .unwrap()
        .iter()
        .all(|j| j["status"] == "Processing"));
    let after = server
        .get("/api/v1/jobs/pending", &federation.agent_token)
        .await;
    assert_eq!(
        after.body,
        json!([]),
        "web-02 waits while web-01's job runs"
    );
    let web_01 = claimed
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["service"]["name"] == "web-01")
        .unwrap();
    complete(
        &server,
        &federation,
        web_01["id"].as_str().unwrap(),
        json!({}),
    )
    .await;
    let next = server
        .get("/api/v1/jobs/pending", &federation.agent_token)
        .await;
    assert_eq!(next.body[0]["service"]["name"], "web-02");
    server.stop().await;
}
