//! What the quota and budget tests share: a project with limits and a
//! group in it, and orders sent all at once.

#![allow(dead_code)]

use federa_testkit::{Federation, TestServer};
use serde_json::{json, Value};

/// A project of the consumer named `Limited` with `fields` besides, and a
/// group in it: their ids and the project as created.
pub async fn project_with(
    server: &TestServer,
    f: &Federation,
    fields: Value,
) -> (String, String, Value) {
    let mut body = json!({"consumerId": f.consumer_id, "name": "Limited"});
    body.as_object_mut()
        .unwrap()
        .extend(fields.as_object().unwrap().clone());
    let project = server
        .post("/api/v1/projects", &f.consumer_token, &body)
        .await;
    assert_eq!(project.status, 201, "{:?}", project.body);
    let project_id = project.body["id"].as_str().unwrap().to_string();
    let group = server
        .post(
            "/api/v1/service-groups",
            &f.consumer_token,
            &json!({"name": "limited", "consumerId": f.consumer_id, "projectId": project_id}),
        )
        .await;
    assert_eq!(group.status, 201, "{:?}", group.body);
    let group_id = group.body["id"].as_str().unwrap().to_string();
    (project_id, group_id, project.body)
}

/// Sends every one of `orders` to `POST /services` at once as `token`;
/// the statuses answered.
pub async fn concurrently(server: &TestServer, token: &str, orders: Vec<Value>) -> Vec<u16> {
    let tasks: Vec<_> = orders
        .into_iter()
        .map(|order| {
            let api = server.api.clone();
            let token = token.to_string();
            tokio::spawn(async move { api.post("/api/v1/services", &token, &order).await.status })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.expect("order task"));
    }
    statuses
}

/// How many of `statuses` are `status`.
pub fn tally(statuses: &[u16], status: u16) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}
