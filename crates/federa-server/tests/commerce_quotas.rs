//! Service quotas over HTTP: a limit on a project (set by its consumer) or
//! on a consumer (set by an admin) refuses the order that would pass it
//! with 409 naming the quota, its limit and its count; services in a
//! terminal state do not count, and concurrent orders never pass a limit.

mod commerce_kit;

use commerce_kit::{concurrently, project_with, tally};
use federa_testkit::{error_paths, Federation, TestServer, ADMIN_TOKEN};
use serde_json::{json, Value};

/// A project of the consumer limited to `limit` services, and a group in it.
async fn limited_project(server: &TestServer, f: &Federation, limit: u32) -> (String, String) {
    let (project_id, group_id, project) =
        project_with(server, f, json!({"serviceLimit": limit})).await;
    assert_eq!(project["serviceLimit"], limit);
    (project_id, group_id)
}

/// Orders a VM named `name` into `group_id` as the consumer.
async fn order_into(
    server: &TestServer,
    f: &Federation,
    group_id: &str,
    name: &str,
) -> (u16, Value) {
    let mut order = f.order(name);
    order["groupId"] = json!(group_id);
    let answer = server
        .post("/api/v1/services", &f.consumer_token, &order)
        .await;
    (answer.status, answer.body)
}

#[tokio::test]
async fn a_project_quota_refuses_the_order_past_it_and_frees_up_when_a_service_ends() {
    let server = TestServer::start().await;
    let f = Federation::create(&server).await;
    let (project_id, group_id) = limited_project(&server, &f, 1).await;
    let (status, first) = order_into(&server, &f, &group_id, "vm-1").await;
    assert_eq!(status, 201, "{first:?}");
    server.run_job(&f.agent_token, "create").await;

    let (status, refused) = order_into(&server, &f, &group_id, "vm-2").await;
    assert_eq!(status, 409, "{refused:?}");
    assert_eq!(
        refused["quota"],
        json!({"name": "project.serviceLimit", "projectId": project_id, "limit": 1, "count": 1})
    );
    assert!(
        refused["error"]
            .as_str()
            .unwrap()
            .contains("project.serviceLimit of 1"),
        "{refused:?}"
    );
    // Services outside the project are not counted against it.
    let (status, outside) = order_into(&server, &f, &f.group_id, "vm-outside").await;
    assert_eq!(status, 201, "{outside:?}");
    server.run_job(&f.agent_token, "create").await;

    let first_id = first["id"].as_str().unwrap();
    let deleting = server
        .delete(&format!("/api/v1/services/{first_id}"), &f.consumer_token)
        .await;
    assert!(deleting.status < 300, "{:?}", deleting.body);
    server.run_job(&f.agent_token, "delete").await;
    let ended = server
        .get(&format!("/api/v1/services/{first_id}"), &f.consumer_token)
        .await;
    assert_eq!(ended.body["status"], "Deleted");
    let (status, again) = order_into(&server, &f, &group_id, "vm-2").await;
    assert_eq!(
        status, 201,
        "a service in a terminal state no longer counts: {again:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_consumer_quota_is_set_by_an_admin_and_caps_every_group() {
    let server = TestServer::start().await;
    let f = Federation::create(&server).await;
    let participant = format!("/api/v1/participants/{}", f.consumer_id);
    let by_itself = server
        .patch(
            &participant,
            &f.consumer_token,
            &json!({"serviceLimit": 10}),
        )
        .await;
    assert_eq!(by_itself.status, 403, "{:?}", by_itself.body);
    let set = server
        .patch(&participant, ADMIN_TOKEN, &json!({"serviceLimit": 1}))
        .await;
    assert_eq!(set.status, 200, "{:?}", set.body);
    assert_eq!(set.body["serviceLimit"], 1);
    let renamed = server
        .patch(
            &participant,
            &f.consumer_token,
            &json!({"name": "Consumer renamed"}),
        )
        .await;
    assert_eq!(renamed.status, 200, "the limit stays: {:?}", renamed.body);
    assert_eq!(renamed.body["serviceLimit"], 1);

    f.order_service(&server, "vm-1").await;
    let other_group = f.group(&server, "other").await;
    let (status, refused) = order_into(&server, &f, &other_group, "vm-2").await;
    assert_eq!(status, 409, "{refused:?}");
    assert_eq!(
        refused["quota"],
        json!({"name": "consumer.serviceLimit", "consumerId": f.consumer_id, "limit": 1, "count": 1})
    );

    let lifted = server
        .patch(&participant, ADMIN_TOKEN, &json!({"serviceLimit": null}))
        .await;
    assert_eq!(lifted.status, 200, "{:?}", lifted.body);
    assert!(
        lifted.body.get("serviceLimit").is_none(),
        "{:?}",
        lifted.body
    );
    let (status, ordered) = order_into(&server, &f, &other_group, "vm-2").await;
    assert_eq!(status, 201, "{ordered:?}");
    server.stop().await;
}

#[tokio::test]
async fn a_project_limit_is_changed_and_removed_and_bad_limits_are_refused_by_field() {
    let server = TestServer::start().await;
    let f = Federation::create(&server).await;
    let (project_id, _) = limited_project(&server, &f, 3).await;
    let path = format!("/api/v1/projects/{project_id}");
    let negative = server
        .patch(&path, &f.consumer_token, &json!({"serviceLimit": -1}))
        .await;
    assert_eq!(negative.status, 400, "{:?}", negative.body);
    assert_eq!(error_paths(&negative.body), ["serviceLimit"]);
    let text = server
        .post(
            "/api/v1/projects",
            &f.consumer_token,
            &json!({"consumerId": f.consumer_id, "name": "P", "serviceLimit": "many"}),
        )
        .await;
    assert_eq!(text.status, 400, "{:?}", text.body);
    assert_eq!(error_paths(&text.body), ["serviceLimit"]);
    let on_participant = server
        .patch(
            &format!("/api/v1/participants/{}", f.consumer_id),
            ADMIN_TOKEN,
            &json!({"serviceLimit": 1.5}),
        )
        .await;
    assert_eq!(on_participant.status, 400, "{:?}", on_participant.body);
    assert_eq!(error_paths(&on_participant.body), ["serviceLimit"]);

    let changed = server
        .patch(&path, &f.consumer_token, &json!({"serviceLimit": 0}))
        .await;
    assert_eq!(changed.status, 200, "{:?}", changed.body);
    assert_eq!(changed.body["serviceLimit"], 0);
    let kept = server
        .patch(&path, &f.consumer_token, &json!({"name": "Renamed"}))
        .await;
    assert_eq!(kept.body["serviceLimit"], 0, "{:?}", kept.body);
    let removed = server
        .patch(&path, &f.consumer_token, &json!({"serviceLimit": null}))
        .await;
    assert_eq!(removed.status, 200, "{:?}", removed.body);
    assert!(
        removed.body.get("serviceLimit").is_none(),
        "{:?}",
        removed.body
    );
    server.stop().await;
}

/// Sends `orders` concurrent orders into `group_id`; the statuses answered.
async fn concurrent_orders(
    server: &TestServer,
    f: &Federation,
    group_id: &str,
    orders: usize,
) -> Vec<u16> {
    let bodies = (0..orders)
        .map(|n| {
            let mut order = f.order(&format!("vm-race-{n}"));
            order["groupId"] = json!(group_id);
            order
        })
        .collect();
    concurrently(server, &f.consumer_token, bodies).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_concurrent_orders_against_a_project_quota_of_five_accept_exactly_five() {
    let server = TestServer::start().await;
    let f = Federation::create(&server).await;
    let (project_id, group_id) = limited_project(&server, &f, 5).await;
    let statuses = concurrent_orders(&server, &f, &group_id, 16).await;
    assert_eq!(tally(&statuses, 201), 5, "{statuses:?}");
    assert_eq!(tally(&statuses, 409), 11, "{statuses:?}");
    let listed = server
        .get(
            &format!("/api/v1/services?projectId={project_id}"),
            &f.consumer_token,
        )
        .await;
    assert_eq!(listed.body["totalItems"], 5, "{:?}", listed.body);
    federa_testkit::reliability_summary(
        env!("CARGO_TARGET_TMPDIR"),
        "project quota race",
        &format!(
            "16 concurrent orders, limit 5: {} accepted, {} refused with 409",
            tally(&statuses, 201),
            tally(&statuses, 409)
        ),
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_concurrent_orders_against_a_consumer_quota_of_five_accept_exactly_five() {
    let server = TestServer::start().await;
    let f = Federation::create(&server).await;
    let set = server
        .patch(
            &format!("/api/v1/participants/{}", f.consumer_id),
            ADMIN_TOKEN,
            &json!({"serviceLimit": 5}),
        )
        .await;
    assert_eq!(set.status, 200, "{:?}", set.body);
    let statuses = concurrent_orders(&server, &f, &f.group_id, 16).await;
    assert_eq!(tally(&statuses, 201), 5, "{statuses:?}");
    assert_eq!(tally(&statuses, 409), 11, "{statuses:?}");
    let listed = server
        .get(
            &format!("/api/v1/services?consumerId={}", f.consumer_id),
            ADMIN_TOKEN,
        )
        .await;
    assert_eq!(listed.body["totalItems"], 5, "{:?}", listed.body);
    server.stop().await;
}
