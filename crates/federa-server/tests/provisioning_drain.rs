//! Many jobs, many agent instances: every job is completed exactly once.

use std::collections::HashMap;
use std::sync::Arc;

use federa_testkit::{Federation, TestServer, ADMIN_TOKEN};
use serde_json::json;

const SERVICES: usize = 1000;
const GROUPS: usize = 100;
const INSTANCES: usize = 8;

#[tokio::test]
async fn a_thousand_jobs_drained_by_eight_instances_complete_once_each() {
    let server = Arc::new(TestServer::start().await);
    let federation = Arc::new(Federation::create(&server).await);
    let mut groups = Vec::new();
    for g in 0..GROUPS {
        groups.push(federation.group(&server, &format!("g{g}")).await);
    }
    // Order concurrently, a few at a time, as consumers would.
    let orders: Vec<_> = (0..8)
        .map(|worker| {
            let (server, federation, groups) = (server.clone(), federation.clone(), groups.clone());
            tokio::spawn(async move {
                for n in (worker..SERVICES).step_by(8) {
                    let mut order = federation.order(&format!("vm-{n}"));
                    order["groupId"] = json!(groups[n % GROUPS]);
                    let created = server
                        .post("/api/v1/services", &federation.consumer_token, &order)
                        .await;
                    assert_eq!(created.status, 201, "{:?}", created.body);
                }
            })
        })
        .collect();
    for order in orders {
        order.await.unwrap();
    }

    let instances: Vec<_> = (0..INSTANCES)
        .map(|_| {
            let (server, federation) = (server.clone(), federation.clone());
            tokio::spawn(async move {
                let mut completed = Vec::new();
                let mut idle_rounds = 0;
                while idle_rounds < 3 {
                    let claimed = server
                        .post(
                            "/api/v1/jobs/claim",
                            &federation.agent_token,
                            &json!({"limit": 20}),
                        )
                        .await;
                    assert_eq!(claimed.status, 200, "{:?}", claimed.body);
                    let jobs = claimed.body.as_array().unwrap().clone();
                    if jobs.is_empty() {
                        idle_rounds += 1;
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                    idle_rounds = 0;
                    for job in jobs {
                        let id = job["id"].as_str().unwrap().to_string();
                        let done = server
                            .post(
                                &format!("/api/v1/jobs/{id}/complete"),
                                &federation.agent_token,
                                &json!({}),
                            )
                            .await;
                        assert_eq!(done.status, 204, "{:?}", done.body);
                        completed.push(id);
                    }
                }
                completed
            })
        })
        .collect();
    let mut by_job: HashMap<String, usize> = HashMap::new();
    for instance in instances {
        for id in instance.await.unwrap() {
            *by_job.entry(id).or_default() += 1;
        }
    }
    assert_eq!(by_job.len(), SERVICES, "every job was completed");
    assert!(
        by_job.values().all(|n| *n == 1),
        "a job was completed by two instances"
    );

    let pending = server
        .get("/api/v1/jobs?status=Pending,Processing", ADMIN_TOKEN)
        .await;
    assert_eq!(pending.body["totalItems"], 0);
    let stopped = server
        .get("/api/v1/services?status=Stopped&pageSize=1", ADMIN_TOKEN)
        .await;
    assert_eq!(stopped.body["totalItems"], SERVICES);
    let completions = server
        .get("/api/v1/events?type=job.completed&pageSize=1", ADMIN_TOKEN)
        .await;
    assert_eq!(
        completions.body["totalItems"], SERVICES,
        "one completion event per job"
    );
    Arc::try_unwrap(server).ok().unwrap().stop().await;
}

#[tokio::test]
async fn finished_jobs_are_forgotten_after_the_retention_period() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let service = federation.order_service(&server, "vm-1").await;
    let pending = server
        .get("/api/v1/jobs/pending", &federation.agent_token)
        .await;
    let job = pending.body[0]["id"].as_str().unwrap().to_string();
    server
        .post(
            &format!("/api/v1/jobs/{job}/claim"),
            &federation.agent_token,
            &json!({}),
        )
        .await;
    server
        .post(
            &format!("/api/v1/jobs/{job}/complete"),
            &federation.agent_token,
            &json!({}),
        )
        .await;
    server
        .post(
            &format!("/api/v1/services/{service}/start"),
            &federation.consumer_token,
            &json!({}),
        )
        .await;

    let state = federa_server::state::AppState::new(server.store.clone());
    // A long retention keeps everything.
    let kept = federa_server::maintenance::forget_finished_jobs(&state, chrono::Duration::days(30))
        .await
        .unwrap();
    assert_eq!(kept, 0);
    // With none, the finished job goes and the pending one stays.
    let forgotten =
        federa_server::maintenance::forget_finished_jobs(&state, chrono::Duration::zero())
            .await
            .unwrap();
    assert_eq!(forgotten, 1);
    let gone = server
        .get(&format!("/api/v1/jobs/{job}"), ADMIN_TOKEN)
        .await;
    assert_eq!(gone.status, 404);
    let left = server
        .get(&format!("/api/v1/jobs?serviceId={service}"), ADMIN_TOKEN)
        .await;
    assert_eq!(left.body["totalItems"], 1);
    assert_eq!(left.body["items"][0]["action"], "start");
    let events = server
        .get("/api/v1/events?type=job.completed", ADMIN_TOKEN)
        .await;
    assert_eq!(events.body["totalItems"], 1, "the audit trail stays");
    server.stop().await;
}
