//! Quotas on sums of properties over HTTP: a service type's property
//! schema says which integer properties count towards which quota
//! (`"quota": "vcpus"`); a project (set by its consumer) or a consumer (set
//! by an admin) limits the sum over its services not in a terminal state,
//! and the order (or the change of a service's properties) that would pass
//! a limit is refused with 409 naming it;
//! concurrent orders never pass one.

mod commerce_kit;

use commerce_kit::{concurrently, project_with};
use federa_testkit::{error_paths, Federation, TestServer, ADMIN_TOKEN};
use serde_json::{json, Value};

/// Makes the federation's VM type count `cpu` towards `vcpus` and `memory`
/// towards `memoryMiB`.
async fn count_cpus_and_memory(server: &TestServer, f: &Federation) {
    let path = format!("/api/v1/service-types/{}", f.service_type_id);
    let mut schema = server.get(&path, ADMIN_TOKEN).await.body["propertySchema"].clone();
    schema["properties"]["cpu"]["quota"] = json!("vcpus");
    schema["properties"]["memory"]["quota"] = json!("memoryMiB");
    let changed = server
        .patch(&path, ADMIN_TOKEN, &json!({"propertySchema": schema}))
        .await;
    assert_eq!(changed.status, 200, "{:?}", changed.body);
    assert_eq!(
        changed.body["propertySchema"]["properties"]["cpu"]["quota"],
        "vcpus"
    );
}

/// A project of the consumer with `limits` on its properties, and a group
/// in it: their ids.
async fn limited_project(server: &TestServer, f: &Federation, limits: Value) -> (String, String) {
    let (project_id, group_id, project) =
        project_with(server, f, json!({"propertyLimits": limits})).await;
    assert_eq!(project["propertyLimits"], limits);
    (project_id, group_id)
}

/// An order of a VM named `name` with `cpu` vCPUs into `group_id`.
fn vm(f: &Federation, group_id: &str, name: &str, cpu: u32) -> Value {
    let mut order = f.order(name);
    order["groupId"] = json!(group_id);
    order["properties"]["cpu"] = json!(cpu);
    order
}

#[tokio::test]
async fn a_project_limits_the_vcpus_of_its_services_and_frees_them_when_one_ends() {
    let server = TestServer::start().await;
    let f = Federation::create(&server).await;
    count_cpus_and_memory(&server, &f).await;
    let (project_id, group_id) = limited_project(&server, &f, json!({"vcpus": 4})).await;

    let first = server
        .post(
            "/api/v1/services",
            &f.consumer_token,
            &vm(&f, &group_id, "vm-1", 2),
        )
        .await;
    assert_eq!(first.status, 201, "{:?}", first.body);
    server.run_job(&f.agent_token, "create").await;
    let second = server
        .post(
            "/api/v1/services",
            &f.consumer_token,
            &vm(&f, &group_id, "vm-2", 2),
        )
        .await;
    assert_eq!(second.status, 201, "{:?}", second.body);
    server.run_job(&f.agent_token, "create").await;

    let refused = server
        .post(
            "/api/v1/services",
            &f.consumer_token,
            &vm(&f, &group_id, "vm-3", 1),
        )
        .await;
    assert_eq!(refused.status, 409, "{:?}", refused.body);
    assert_eq!(
        refused.body["quota"],
        json!({"name": "project.propertyLimits.vcpus", "projectId": project_id, "limit": 4, "count": 4, "adds": 1})
    );
    // Growing a service's vCPUs is checked as ordering them is; shrinking
    // them is not.
    let second_path = format!("/api/v1/services/{}", second.body["id"].as_str().unwrap());
    let grown = server
        .patch(
            &second_path,
            &f.consumer_token,
            &json!({"properties": {"cpu": 4}}),
        )
        .await;
    assert_eq!(grown.status, 409, "{:?}", grown.body);
    assert_eq!(
        grown.body["quota"],
        json!({"name": "project.propertyLimits.vcpus", "projectId": project_id, "limit": 4, "count": 4, "adds": 2})
    );
    let shrunk = server
        .patch(
            &second_path,
            &f.consumer_token,
            &json!({"properties": {"cpu": 1}}),
        )
        .await;
    assert!(shrunk.status < 300, "{:?}", shrunk.body);
    server.run_job(&f.agent_token, "update").await;
    let regrown = server
        .patch(
            &second_path,
            &f.consumer_token,
            &json!({"properties": {"cpu": 2}}),
        )
        .await;
    assert!(
        regrown.status < 300,
        "back within the limit: {:?}",
        regrown.body
    );
    server.run_job(&f.agent_token, "update").await;

    // Services outside the project, and limits it does not set, count not.
    let outside = server
        .post(
            "/api/v1/services",
            &f.consumer_token,
            &vm(&f, &f.group_id, "vm-out", 16),
        )
        .await;
    assert_eq!(outside.status, 201, "{:?}", outside.body);
    server.run_job(&f.agent_token, "create").await;

    let first_id = first.body["id"].as_str().unwrap();
    let deleting = server
        .delete(&format!("/api/v1/services/{first_id}"), &f.consumer_token)
        .await;
    assert!(deleting.status < 300, "{:?}", deleting.body);
    server.run_job(&f.agent_token, "delete").await;
    let again = server
        .post(
            "/api/v1/services",
            &f.consumer_token,
            &vm(&f, &group_id, "vm-3", 2),
        )
        .await;
    assert_eq!(
        again.status, 201,
        "a deleted service's vCPUs no longer count: {:?}",
        again.body
    );

    let lifted = server
        .patch(
            &format!("/api/v1/projects/{project_id}"),
            &f.consumer_token,
            &json!({"propertyLimits": {}}),
        )
        .await;
    assert_eq!(lifted.status, 200, "{:?}", lifted.body);
    assert!(
        lifted.body.get("propertyLimits").is_none(),
        "{:?}",
        lifted.body
    );
    server.stop().await;
}

#[tokio::test]
async fn a_consumers_memory_limit_is_set_by_an_admin_and_caps_every_group() {
    let server = TestServer::start().await;
    let f = Federation::create(&server).await;
    count_cpus_and_memory(&server, &f).await;
    let participant = format!("/api/v1/participants/{}", f.consumer_id);
    let by_itself = server
        .patch(
            &participant,
            &f.consumer_token,
            &json!({"propertyLimits": {"memoryMiB": 1_000_000}}),
        )
        .await;
    assert_eq!(by_itself.status, 403, "{:?}", by_itself.body);
    let set = server
        .patch(
            &participant,
            ADMIN_TOKEN,
            &json!({"propertyLimits": {"memoryMiB": 3000}}),
        )
        .await;
    assert_eq!(set.status, 200, "{:?}", set.body);
    assert_eq!(set.body["propertyLimits"], json!({"memoryMiB": 3000}));
    // The example VM asks for 2048 MiB: one fits, a second does not.
    let first = server
        .post("/api/v1/services", &f.consumer_token, &f.order("vm-1"))
        .await;
    assert_eq!(first.status, 201, "{:?}", first.body);
    let refused = server
        .post("/api/v1/services", &f.consumer_token, &f.order("vm-2"))
        .await;
    assert_eq!(refused.status, 409, "{:?}", refused.body);
    assert_eq!(
        refused.body["quota"]["name"],
        "consumer.propertyLimits.memoryMiB"
    );
    assert_eq!(refused.body["quota"]["consumerId"], f.consumer_id.as_str());
    assert!(
        refused.body["error"]
            .as_str()
            .unwrap()
            .contains("consumer.propertyLimits.memoryMiB of 3000"),
        "{:?}",
        refused.body
    );
    server.stop().await;
}

#[tokio::test]
async fn bad_property_limits_and_quota_declarations_are_refused_naming_each() {
    let server = TestServer::start().await;
    let f = Federation::create(&server).await;
    let refused = server
        .post(
            "/api/v1/projects",
            &f.consumer_token,
            &json!({"consumerId": f.consumer_id, "name": "bad", "propertyLimits": {"v cpus": 1, "disk": -1}}),
        )
        .await;
    assert_eq!(refused.status, 400, "{:?}", refused.body);
    assert_eq!(
        error_paths(&refused.body),
        ["propertyLimits.disk", "propertyLimits.v cpus"]
    );
    let path = format!("/api/v1/service-types/{}", f.service_type_id);
    let mut schema = server.get(&path, ADMIN_TOKEN).await.body["propertySchema"].clone();
    schema["properties"]["name"]["quota"] = json!("names");
    schema["properties"]["cpu"]["quota"] = json!("2fast");
    let refused = server
        .patch(&path, ADMIN_TOKEN, &json!({"propertySchema": schema}))
        .await;
    assert_eq!(refused.status, 400, "{:?}", refused.body);
    let paths = error_paths(&refused.body);
    assert!(
        paths.iter().any(|p| p.ends_with("cpu.quota"))
            && paths.iter().any(|p| p.ends_with("name.quota")),
        "{paths:?}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_concurrent_orders_against_five_vcpus_accept_exactly_five() {
    let server = TestServer::start().await;
    let f = Federation::create(&server).await;
    count_cpus_and_memory(&server, &f).await;
    let (_, group_id) = limited_project(&server, &f, json!({"vcpus": 5})).await;
    let orders = (0..16)
        .map(|n| vm(&f, &group_id, &format!("vm-race-{n}"), 1))
        .collect();
    let statuses = concurrently(&server, &f.consumer_token, orders).await;
    let tally = |status: u16| commerce_kit::tally(&statuses, status);
    assert_eq!(tally(201), 5, "{statuses:?}");
    assert_eq!(tally(409), 11, "{statuses:?}");
    federa_testkit::reliability_summary(
        env!("CARGO_TARGET_TMPDIR"),
        "project vCPU quota race",
        &format!(
            "16 concurrent orders of 1 vCPU, limit 5: {} accepted, {} refused with 409",
            tally(201),
            tally(409)
        ),
    );
    server.stop().await;
}
