//! Three `federa serve` processes on one PostgreSQL database, with no load
//! balancer: clients spread over them. No job is claimed twice, lease
//! maintenance acts once per lapse, and a long-poll on one replica is woken
//! by an order on another.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use federa_testkit::processes::Exchange;
use federa_testkit::{Api, Federation, TestDatabase, ADMIN_TOKEN};
use serde_json::json;

const FEDERA: &str = env!("CARGO_BIN_EXE_federa");
const SERVICES: usize = 120;
const GROUPS: usize = 12;
const INSTANCES: usize = 6;

async fn claim_and_complete(replica: Api, agent_token: String) -> Vec<String> {
    let mut completed = Vec::new();
    let mut idle_rounds = 0;
    while idle_rounds < 5 {
        let claimed = replica
            .post("/api/v1/jobs/claim", &agent_token, &json!({"limit": 10}))
            .await;
        assert_eq!(claimed.status, 200, "{:?}", claimed.body);
        let jobs = claimed.body.as_array().unwrap().clone();
        if jobs.is_empty() {
            idle_rounds += 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        }
        idle_rounds = 0;
        for job in jobs {
            let id = job["id"].as_str().unwrap().to_string();
            let done = replica
                .post(
                    &format!("/api/v1/jobs/{id}/complete"),
                    &agent_token,
                    &json!({}),
                )
                .await;
            assert_eq!(done.status, 204, "{:?}", done.body);
            completed.push(id);
        }
    }
    completed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: .ci/run runs it with --ignored where FEDERA_TEST_POSTGRES_URL is set"]
async fn three_replicas_share_one_queue_without_doing_anything_twice() {
    assert!(
        std::env::var("FEDERA_TEST_POSTGRES_URL").is_ok(),
        "replicas share a PostgreSQL database: set FEDERA_TEST_POSTGRES_URL"
    );
    let database = TestDatabase::create().await;
    // Leases of 4 s are swept every second on each replica.
    let exchanges = Exchange::replicas(FEDERA, &database.url, 3, 4, &[]).await;
    let replicas: Vec<Api> = exchanges.iter().map(|e| e.api.clone()).collect();
    let federation = Federation::create(&replicas[0]).await;

    // A long-poll on the third replica is answered by an order on the first.
    let waiter = {
        let (replica, token) = (replicas[2].clone(), federation.agent_token.clone());
        tokio::spawn(async move {
            let started = Instant::now();
            let answer = replica.get("/api/v1/jobs/pending?wait=30s", &token).await;
            (answer, started.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let woken_by = federation.order_service(&replicas[0], "wake-up").await;
    let (answer, waited) = waiter.await.unwrap();
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body[0]["serviceId"], woken_by.as_str());
    assert!(
        waited < Duration::from_secs(10),
        "woken across replicas, not by the timeout: {waited:?}"
    );

    // A claim left to lapse is put back once, though three replicas sweep.
    let job_id = answer.body[0]["id"].as_str().unwrap().to_string();
    let claimed = replicas[1]
        .post(
            &format!("/api/v1/jobs/{job_id}/claim"),
            &federation.agent_token,
            &json!({}),
        )
        .await;
    assert_eq!(claimed.status, 204, "{:?}", claimed.body);
    let lapsed = Instant::now();
    loop {
        let job = replicas[2]
            .get(&format!("/api/v1/jobs/{job_id}"), ADMIN_TOKEN)
            .await;
        if job.body["status"] == "Pending" {
            break;
        }
        assert!(
            lapsed.elapsed() < Duration::from_secs(30),
            "the lapsed claim was never put back: {:?}",
            job.body
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Three more sweeps on each replica find nothing left to do.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let expiries = replicas[0]
        .get(
            "/api/v1/events?type=job.leaseExpired&pageSize=100",
            ADMIN_TOKEN,
        )
        .await;
    assert_eq!(
        expiries.body["totalItems"], 1,
        "one lapse, one expiry: {:?}",
        expiries.body
    );
    let done = replicas[0]
        .post(
            &format!("/api/v1/jobs/{job_id}/claim"),
            &federation.agent_token,
            &json!({}),
        )
        .await;
    assert_eq!(done.status, 204);
    let completed = replicas[0]
        .post(
            &format!("/api/v1/jobs/{job_id}/complete"),
            &federation.agent_token,
            &json!({}),
        )
        .await;
    assert_eq!(completed.status, 204);

    // Orders through every replica, drained by agent instances on every
    // replica: each job completed exactly once.
    let mut groups = Vec::new();
    for g in 0..GROUPS {
        groups.push(federation.group(&replicas[g % 3], &format!("g{g}")).await);
    }
    for n in 0..SERVICES {
        let mut order = federation.order(&format!("vm-{n}"));
        order["groupId"] = json!(groups[n % GROUPS]);
        let created = replicas[n % 3]
            .post("/api/v1/services", &federation.consumer_token, &order)
            .await;
        assert_eq!(created.status, 201, "{:?}", created.body);
    }
    let instances: Vec<_> = (0..INSTANCES)
        .map(|i| {
            tokio::spawn(claim_and_complete(
                replicas[i % 3].clone(),
                federation.agent_token.clone(),
            ))
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
    let open = replicas[1]
        .get("/api/v1/jobs?status=Pending,Processing", ADMIN_TOKEN)
        .await;
    assert_eq!(open.body["totalItems"], 0);
    let completions = replicas[2]
        .get("/api/v1/events?type=job.completed&pageSize=1", ADMIN_TOKEN)
        .await;
    assert_eq!(
        completions.body["totalItems"],
        SERVICES + 1,
        "one completion event per job"
    );
    federa_testkit::reliability_summary(
        env!("CARGO_TARGET_TMPDIR"),
        "replicas",
        &format!(
            "3 replicas: long-poll woken across replicas in {waited:.1?}, 1 lease expiry for 1 lapse, {SERVICES} jobs each completed once"
        ),
    );
    for exchange in &exchanges {
        exchange.terminate();
    }
}
