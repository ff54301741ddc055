//! The steps of a job's cycle, as a consumer and an agent take them
//! through the test kit's calls.

use std::sync::Arc;

use federa_client::api::jobs::JobRes;
use federa_testkit::{Api, Federation};
use serde_json::{json, Value};
use uuid::Uuid;

/// Orders a service named `name` into `group` as the federation's consumer.
pub async fn order_into(api: &Api, federation: &Federation, name: &str, group: &str) {
    let order = in_group(federation.order(name), group);
    let response = api
        .post("/api/v1/services", &federation.consumer_token, &order)
        .await;
    assert_eq!(response.status, 201, "{:?}", response.body);
}

/// `order` moved into `group`.
pub fn in_group(mut order: Value, group: &str) -> Value {
    if let Some(fields) = order.as_object_mut() {
        fields.insert("groupId".to_string(), json!(group));
    }
    order
}

/// Claims up to 20 jobs as the agent holding `token`, through the test
/// kit's calls, which never retry: a refused claim counts as no jobs
/// rather than as a retry inside the timed figure. Reading the jobs typed
/// takes the place of the copy of the same documents made before, so the
/// client's share of the claim figures is of the same kind.
pub async fn claim_batch(api: &Api, token: &str) -> Vec<JobRes> {
    let claimed = api
        .post("/api/v1/jobs/claim", token, &json!({"limit": 20}))
        .await;
    jobs_in(claimed.body)
}

/// The jobs of a claim's or a long-poll's answer; none when it is not one.
pub fn jobs_in(body: Value) -> Vec<JobRes> {
    serde_json::from_value(body).unwrap_or_default()
}

/// Reports a claimed job done, as the agent holding `token`.
pub async fn complete(api: &Api, token: &str, id: Uuid) {
    let done = api
        .post(&format!("/api/v1/jobs/{id}/complete"), token, &json!({}))
        .await;
    assert_eq!(done.status, 204, "{:?}", done.body);
}

/// Completes each share of jobs one per request, the shares side by side
/// as concurrent agent instances of the federation's agent.
pub async fn complete_shares(api: &Api, federation: &Arc<Federation>, shares: Vec<Vec<Uuid>>) {
    let completers: Vec<_> = shares
        .into_iter()
        .map(|ids| {
            let (api, federation) = (api.clone(), federation.clone());
            tokio::spawn(async move {
                for id in ids {
                    complete(&api, &federation.agent_token, id).await;
                }
            })
        })
        .collect();
    for completer in completers {
        let _ = completer.await;
    }
}
