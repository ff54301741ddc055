//! Claims, actions, leases and long-polls under contention: exactly one
//! winner, and lapsed claims come back.

use std::sync::Arc;
use std::time::{Duration, Instant};

use federa_domain::provisioning::LeasePolicy;
use federa_testkit::{Federation, TestServer};
use serde_json::{json, Value};

const RACERS: usize = 16;

async fn pending_job(server: &TestServer, token: &str) -> Value {
    let pending = server.get("/api/v1/jobs/pending", token).await;
    pending.body.as_array().expect("array")[0].clone()
}

/// Orders a service in a group of its own; returns it and its pending job.
async fn order_in_own_group(
    server: &TestServer,
    federation: &Federation,
    round: usize,
) -> (String, String) {
    let group = federation.group(server, &format!("g{round}")).await;
    let mut order = federation.order(&format!("web-{round}"));
    order["groupId"] = json!(group);
    let ordered = server
        .post("/api/v1/services", &federation.consumer_token, &order)
        .await;
    let service_id = ordered.body["id"].as_str().unwrap().to_string();
    let job = pending_job(server, &federation.agent_token).await;
    (service_id, job["id"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn many_identical_concurrent_completions_all_answer_204_and_apply_once() {
    let server = Arc::new(TestServer::start().await);
    let federation = Arc::new(Federation::create(&server).await);
    for round in 0..3 {
        let (service_id, job_id) = order_in_own_group(&server, &federation, round).await;
        let claimed = server
            .post(
                &format!("/api/v1/jobs/{job_id}/claim"),
                &federation.agent_token,
                &json!({}),
            )
            .await;
        assert_eq!(claimed.status, 204);
        let racers: Vec<_> = (0..RACERS)
            .map(|_| {
                let (server, federation, job_id) =
                    (server.clone(), federation.clone(), job_id.clone());
                tokio::spawn(async move {
                    server
                        .post(
                            &format!("/api/v1/jobs/{job_id}/complete"),
                            &federation.agent_token,
                            &json!({"agentInstanceId": format!("vm-{job_id}"), "agentInstanceData": {"ip": "10.1.1.1"}}),
                        )
                        .await
                })
            })
            .collect();
        for racer in racers {
            let response = racer.await.unwrap();
            assert_eq!(response.status, 204, "round {round}: {:?}", response.body);
        }
        let service = server
            .get(
                &format!("/api/v1/services/{service_id}"),
                &federation.consumer_token,
            )
            .await;
        assert_eq!(service.body["status"], "Stopped", "{:?}", service.body);
        let completed = server
            .get(
                &format!("/api/v1/events?type=job.completed&entityId={service_id}"),
                federa_testkit::ADMIN_TOKEN,
            )
            .await;
        assert_eq!(completed.body["totalItems"], 1, "applied once");
    }
}

#[tokio::test]
async fn of_many_concurrent_claims_exactly_one_wins() {
    let server = Arc::new(TestServer::start().await);
    let federation = Arc::new(Federation::create(&server).await);
    for round in 0..5 {
        let (_, job_id) = order_in_own_group(&server, &federation, round).await;
        let racers: Vec<_> = (0..RACERS)
            .map(|_| {
                let (server, federation, job_id) =
                    (server.clone(), federation.clone(), job_id.clone());
                tokio::spawn(async move {
                    server
                        .post(
                            &format!("/api/v1/jobs/{job_id}/claim"),
                            &federation.agent_token,
                            &json!({}),
                        )
                        .await
                        .status
                })
            })
            .collect();
        let mut statuses = Vec::new();
        for racer in racers {
            statuses.push(racer.await.unwrap());
        }
        assert_eq!(
            statuses.iter().filter(|s| **s == 204).count(),
            1,
            "round {round}: {statuses:?}"
        );
        assert_eq!(
            statuses.iter().filter(|s| **s == 409).count(),
            RACERS - 1,
            "round {round}: {statuses:?}"
        );
        let held = server
            .get(&format!("/api/v1/jobs/{job_id}"), &federation.agent_token)
            .await;
        assert_eq!(held.body["attempts"], 1, "claimed once");
    }
    Arc::try_unwrap(server).ok().unwrap().stop().await;
}

#[tokio::test]
async fn batch_claims_by_concurrent_agent_instances_never_share_a_job() {
    let server = Arc::new(TestServer::start().await);
    let federation = Arc::new(Federation::create(&server).await);
    let services = 12;
    for n in 0..services {
        let group = federation.group(&server, &format!("g{n}")).await;
        let mut order = federation.order(&format!("web-{n}"));
        order["groupId"] = json!(group);
        server
            .post("/api/v1/services", &federation.consumer_token, &order)
            .await;
    }
    let instances: Vec<_> = (0..4)
        .map(|_| {
            let (server, federation) = (server.clone(), federation.clone());
            tokio::spawn(async move {
                let claimed = server
                    .post(
                        "/api/v1/jobs/claim",
                        &federation.agent_token,
                        &json!({"limit": 100}),
                    )
                    .await;
                assert_eq!(claimed.status, 200);
                claimed
                    .body
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|j| j["id"].as_str().unwrap().to_string())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut all = Vec::new();
    for instance in instances {
        all.extend(instance.await.unwrap());
    }
    let mut unique = all.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), all.len(), "a job was handed to two instances");
    assert_eq!(all.len(), services, "every job was claimed by someone");
    Arc::try_unwrap(server).ok().unwrap().stop().await;
}

#[tokio::test]
async fn at_most_one_job_is_active_per_service_under_concurrent_actions() {
    let server = Arc::new(TestServer::start().await);
    let federation = Arc::new(Federation::create(&server).await);
    let id = federation.order_service(&server, "web-01").await;
    let job = pending_job(&server, &federation.agent_token).await;
    let job_id = job["id"].as_str().unwrap();
    server
        .post(
            &format!("/api/v1/jobs/{job_id}/claim"),
            &federation.agent_token,
            &json!({}),
        )
        .await;
    server
        .post(
            &format!("/api/v1/jobs/{job_id}/complete"),
            &federation.agent_token,
            &json!({}),
        )
        .await;

    let racers: Vec<_> = (0..RACERS)
        .map(|n| {
            let (server, federation, id) = (server.clone(), federation.clone(), id.clone());
            // Half ask to start, half to delete: still only one may be queued.
            let action = if n % 2 == 0 { "start" } else { "delete" };
            tokio::spawn(async move {
                server
                    .post(
                        &format!("/api/v1/services/{id}/{action}"),
                        &federation.consumer_token,
                        &json!({}),
                    )
                    .await
            })
        })
        .collect();
    let mut accepted = 0;
    for racer in racers {
        let response = racer.await.unwrap();
        match response.status {
            200 => accepted += 1,
            // As in Fulcrum, an action during another job is invalid input.
            400 => assert!(
                response.body["error"]
                    .as_str()
                    .unwrap()
                    .contains("active job"),
                "{:?}",
                response.body
            ),
            other => panic!("unexpected {other}: {:?}", response.body),
        }
    }
    assert_eq!(accepted, 1);
    let active = server
        .get(
            &format!("/api/v1/jobs?serviceId={id}&status=Pending"),
            &federation.consumer_token,
        )
        .await;
    assert_eq!(active.body["totalItems"], 1);
    Arc::try_unwrap(server).ok().unwrap().stop().await;
}

#[tokio::test]
async fn a_long_poll_returns_as_soon_as_a_job_is_queued() {
    let server = Arc::new(TestServer::start().await);
    let federation = Arc::new(Federation::create(&server).await);
    let empty_started = Instant::now();
    let empty = server
        .get("/api/v1/jobs/pending?wait=300ms", &federation.agent_token)
        .await;
    assert_eq!(empty.body, json!([]));
    assert!(
        empty_started.elapsed() >= Duration::from_millis(300),
        "an empty long-poll waits"
    );

    let waiter = {
        let (server, federation) = (server.clone(), federation.clone());
        tokio::spawn(async move {
            let started = Instant::now();
            let response = server
                .get("/api/v1/jobs/pending?wait=30s", &federation.agent_token)
                .await;
            (response, started.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    federation.order_service(&server, "web-01").await;
    let (response, waited) = waiter.await.unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.body.as_array().unwrap().len(), 1);
    assert!(
        waited < Duration::from_secs(5),
        "woken by the order, not by the timeout: {waited:?} of a 30 s wait"
    );

    let bad = server
        .get("/api/v1/jobs/pending?wait=forever", &federation.agent_token)
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body["errors"][0]["path"], "wait");
    // Longer than a minute is refused, not shortened behind the caller's back.
    for too_long in ["61s", "2m", "60001ms"] {
        let refused = server
            .get(
                &format!("/api/v1/jobs/pending?wait={too_long}"),
                &federation.agent_token,
            )
            .await;
        assert_eq!(refused.status, 400, "{too_long}: {}", refused.body);
        assert_eq!(refused.body["errors"][0]["path"], "wait");
        assert!(
            refused.body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("at most 60 s"),
            "{}",
            refused.body
        );
    }
    Arc::try_unwrap(server).ok().unwrap().stop().await;
}

async fn wait_for_job(server: &TestServer, token: &str, job_id: &str, status: &str) -> Value {
    for _ in 0..100 {
        let job = server.get(&format!("/api/v1/jobs/{job_id}"), token).await;
        if job.body["status"] == status {
            return job.body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("job {job_id} never reached {status}");
}

#[tokio::test]
async fn a_lapsed_lease_requeues_the_job_then_fails_it_by_policy() {
    let lease = LeasePolicy {
        duration: chrono::Duration::milliseconds(600),
        max_attempts: 2,
    };
    let server = TestServer::start_with(lease, Duration::from_millis(100)).await;
    let federation = Federation::create(&server).await;
    let id = federation.order_service(&server, "web-01").await;
    let job = pending_job(&server, &federation.agent_token).await;
    let job_id = job["id"].as_str().unwrap();
    let token = federation.agent_token.as_str();

    // First claim: renewed a few times, then abandoned.
    server
        .post(&format!("/api/v1/jobs/{job_id}/claim"), token, &json!({}))
        .await;
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let renewed = server
            .post(
                &format!("/api/v1/jobs/{job_id}/heartbeat"),
                token,
                &json!({}),
            )
            .await;
        assert_eq!(
            renewed.status, 200,
            "a renewed lease does not lapse: {:?}",
            renewed.body
        );
        assert!(renewed.body["leaseExpiresAt"].is_string());
    }
    let requeued = wait_for_job(&server, token, job_id, "Pending").await;
    assert_eq!(requeued["attempts"], 1);
    let late = server
        .post(
            &format!("/api/v1/jobs/{job_id}/complete"),
            token,
            &json!({}),
        )
        .await;
    assert_eq!(late.status, 409, "a report on a lapsed claim is refused");

    // Second claim lapses too: the policy allows two attempts, so it fails.
    server
        .post(&format!("/api/v1/jobs/{job_id}/claim"), token, &json!({}))
        .await;
    let failed = wait_for_job(&server, token, job_id, "Failed").await;
    assert!(
        failed["errorMessage"]
            .as_str()
            .unwrap()
            .contains("lease expired"),
        "{failed:?}"
    );
    let service = server
        .get(
            &format!("/api/v1/services/{id}"),
            &federation.consumer_token,
        )
        .await;
    assert_eq!(
        service.body["status"], "Failed",
        "routed through create's error transition"
    );

    let events = server
        .store
        .events(
            federa_domain::access::ListScope::All,
            &federa_domain::listing::ListSpec {
                filters: &[],
                sorts: &[],
                default_sort: ("sequence_number", false),
            }
            .parse(&[("pageSize".into(), "100".into())])
            .unwrap(),
        )
        .await
        .unwrap();
    let kinds: Vec<&str> = events.items.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "job.leaseExpired").count(),
        1,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "job.failed").count(),
        1,
        "{kinds:?}"
    );
    server.stop().await;
}

/// Claims `job_id` and returns the claim number the answer names.
async fn claim_numbered(server: &TestServer, token: &str, job_id: &str) -> i64 {
    let answer = server
        .http
        .post(format!("{}/api/v1/jobs/{job_id}/claim", server.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 204);
    answer.headers()["federa-claim-attempt"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn reports_and_heartbeats_of_a_superseded_claim_are_refused() {
    let lease = LeasePolicy {
        duration: chrono::Duration::milliseconds(400),
        max_attempts: 5,
    };
    let duration = lease.duration;
    let server = TestServer::start_with(lease, Duration::from_millis(100)).await;
    let federation = Federation::create(&server).await;
    federation.order_service(&server, "web-01").await;
    let job = pending_job(&server, &federation.agent_token).await;
    let job_id = job["id"].as_str().unwrap();
    let token = federation.agent_token.as_str();
    let path = |action: &str| format!("/api/v1/jobs/{job_id}/{action}");

    let first = claim_numbered(&server, token, job_id).await;
    assert_eq!(first, 1);
    let claimed = server.get(&format!("/api/v1/jobs/{job_id}"), token).await;
    let (claimed_at, expires_at) = (
        claimed.body["claimedAt"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap(),
        claimed.body["leaseExpiresAt"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap(),
    );
    assert_eq!(
        expires_at - claimed_at,
        duration,
        "the lease runs from the claim"
    );
    // The first claim lapses and the job goes to a second claim.
    wait_for_job(&server, token, job_id, "Pending").await;
    let second = claim_numbered(&server, token, job_id).await;
    assert_eq!(second, 2);

    let stale = json!({"attempt": first});
    let heartbeat = server.post(&path("heartbeat"), token, &stale).await;
    assert_eq!(heartbeat.status, 409, "{:?}", heartbeat.body);
    let refused = server.post(&path("complete"), token, &stale).await;
    assert_eq!(refused.status, 409, "{:?}", refused.body);
    assert!(
        refused.body["error"]
            .as_str()
            .unwrap()
            .contains("superseded"),
        "{:?}",
        refused.body
    );
    let failed = server
        .post(
            &path("fail"),
            token,
            &json!({"errorMessage": "late", "attempt": first}),
        )
        .await;
    assert_eq!(failed.status, 409, "{:?}", failed.body);

    let current = json!({"attempt": second});
    let renewed = server.post(&path("heartbeat"), token, &current).await;
    assert_eq!(renewed.status, 200, "{:?}", renewed.body);
    let done = server.post(&path("complete"), token, &current).await;
    assert_eq!(done.status, 204, "{:?}", done.body);
    // Repeating the current claim's report is fine; the stale one stays
    // refused even now that the job is done.
    assert_eq!(
        server.post(&path("complete"), token, &current).await.status,
        204
    );
    assert_eq!(
        server.post(&path("complete"), token, &stale).await.status,
        409
    );
    let completions = server
        .get(
            "/api/v1/events?type=job.completed",
            federa_testkit::ADMIN_TOKEN,
        )
        .await;
    assert_eq!(completions.body["totalItems"], 1);
    server.stop().await;
}

#[tokio::test]
async fn a_long_poll_on_one_replica_is_woken_by_an_order_on_another() {
    if federa_testkit::backend_name() != "postgres" {
        // Replicas share a database only on PostgreSQL.
        return;
    }
    let first = Arc::new(TestServer::start().await);
    let second = first.replica().await;
    let federation = Arc::new(Federation::create(&first).await);
    let waiter = {
        let (first, federation) = (first.clone(), federation.clone());
        tokio::spawn(async move {
            first
                .get("/api/v1/jobs/pending?wait=20s", &federation.agent_token)
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    federation.order_service(&second, "web-01").await;
    let response = waiter.await.unwrap();
    assert_eq!(response.body.as_array().unwrap().len(), 1);
    // The in-process re-check runs every 5 s; a wake-up well before that
    // came through LISTEN/NOTIFY.
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "took {:?}",
        started.elapsed()
    );
    second.stop().await;
    Arc::try_unwrap(first).ok().unwrap().stop().await;
}

#[tokio::test]
async fn an_agent_holds_a_bounded_number_of_long_polls() {
    let server = Arc::new(TestServer::start().await);
    let federation = Arc::new(Federation::create(&server).await);
    let max = federa_server::dispatch::MAX_WAITERS_PER_AGENT;
    // Every waiter long-polls until it is handed a job. On a loaded machine
    // a poll may end in an error (a busy database answers 503); the waiter
    // then polls again, so the limit stays full, and the error is kept for
    // the failure message.
    let errors = Arc::new(std::sync::Mutex::new(Vec::<u16>::new()));
    let waiting: Vec<_> = (0..max)
        .map(|_| {
            let (server, federation, errors) = (server.clone(), federation.clone(), errors.clone());
            tokio::spawn(async move {
                loop {
                    let polled = server
                        .get("/api/v1/jobs/pending?wait=60s", &federation.agent_token)
                        .await;
                    match polled.body.as_array() {
                        Some(jobs) if polled.status == 200 && !jobs.is_empty() => return 200,
                        Some(_) if polled.status == 200 => {}
                        _ => errors.lock().unwrap().push(polled.status),
                    }
                }
            })
        })
        .collect();
    // Until every waiter is in, a short one more may fit; then none does.
    let mut probes = Vec::new();
    let mut refused = None;
    let probing = Instant::now();
    while probing.elapsed() < Duration::from_secs(50) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let one_more = server
            .get("/api/v1/jobs/pending?wait=100ms", &federation.agent_token)
            .await;
        if one_more.status == 429 {
            refused = Some(one_more);
            break;
        }
        probes.push(one_more.status);
    }
    let refused = refused.unwrap_or_else(|| {
        panic!(
            "the long-poll over the limit is refused; probes answered {probes:?}, waiters saw {:?}",
            errors.lock().unwrap()
        )
    });
    assert_eq!(refused.body["status"], "Too many requests");
    assert!(
        refused.body["error"]
            .as_str()
            .unwrap()
            .contains(&format!("at most {max} long-polls")),
        "{:?}",
        refused.body
    );
    // A plain poll needs no waiter and still answers.
    let plain = server
        .get("/api/v1/jobs/pending", &federation.agent_token)
        .await;
    assert_eq!(plain.status, 200);
    // An order wakes one waiter at once; the others find the job at their
    // next re-check.
    federation.order_service(&server, "wake-all").await;
    let statuses: Vec<u16> = statuses_of(waiting).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let again = server
        .get("/api/v1/jobs/pending?wait=100ms", &federation.agent_token)
        .await;
    assert_eq!(again.status, 200, "the waiters' places are free again");
    Arc::try_unwrap(server).ok().unwrap().stop().await;
}

async fn statuses_of(tasks: Vec<tokio::task::JoinHandle<u16>>) -> Vec<u16> {
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    statuses
}
