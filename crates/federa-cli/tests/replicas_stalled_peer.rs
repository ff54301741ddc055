//! Three `federa serve` replicas on one PostgreSQL database under load, one
//! of them paused (SIGSTOP) inside a write transaction, for longer than the
//! database timeouts. PostgreSQL ends the
//! paused replica's transaction, the other replicas' writes resume within
//! the configured bound, leases that lapsed meanwhile go to other workers,
//! and once the paused replica resumes its stale reports are refused: no job
//! completed by two claims, no acknowledged order lost, events gap-free with
//! `createdAt` following `sequenceNumber`.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use federa_testkit::processes::Exchange;
use federa_testkit::{Api, Federation, Response, TestDatabase, ADMIN_TOKEN};
use serde_json::{json, Value};
use sqlx::{Connection, Row};

const FEDERA: &str = env!("CARGO_BIN_EXE_federa");
const LEASE_SECONDS: u32 = 2;
/// Statement 2 s, lock 1 s, idle in transaction 2 s: requests are bounded
/// by their sum of 4 s (statement + the longer of the other two).
/// Lapsed claims are always put back: a job failed for its attempts would
/// hide whether it was done once.
const SERVE_ARGS: [&str; 8] = [
    "--job-max-attempts",
    "1000",
    "--database-statement-timeout-ms",
    "2000",
    "--database-lock-timeout-ms",
    "1000",
    "--database-idle-in-transaction-timeout-ms",
    "2000",
];
const IDLE_IN_TRANSACTION: Duration = Duration::from_secs(2);
const REQUEST_BOUND: Duration = Duration::from_secs(4);
/// Longer than every timeout.
const PAUSE: Duration = Duration::from_secs(6);
const GROUPS: usize = 12;
/// Longer than any answer may take, pause included.
const HANG: Duration = Duration::from_secs(30);

/// One request as a client saw it.
#[derive(Clone, Copy)]
struct Call {
    replica: usize,
    write: bool,
    started: Instant,
    took: Duration,
    /// 0 when the request hung past [`HANG`] or its connection failed.
    status: u16,
}

#[derive(Default)]
struct Calls(Mutex<Vec<Call>>);

impl Calls {
    async fn send(
        &self,
        replica: usize,
        api: &Api,
        method: &str,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> Option<Response> {
        let started = Instant::now();
        let answer = tokio::time::timeout(HANG, api.try_call(method, path, Some(token), body))
            .await
            .ok()
            .flatten();
        self.0.lock().unwrap().push(Call {
            replica,
            write: method != "GET",
            started,
            took: started.elapsed(),
            status: answer.as_ref().map_or(0, |r| r.status),
        });
        answer
    }
}

/// What the agent workers saw: completions accepted per job, by claim.
#[derive(Default)]
struct Reports {
    accepted: Mutex<HashMap<String, HashSet<i64>>>,
    superseded: Mutex<usize>,
}

/// An agent worker on one replica: claims, then completes each job naming
/// its claim, retrying a report the database could not take (503).
async fn worker(
    replica: usize,
    api: Api,
    token: String,
    calls: Arc<Calls>,
    reports: Arc<Reports>,
    stop: Arc<AtomicBool>,
) {
    loop {
        let claimed = calls
            .send(
                replica,
                &api,
                "POST",
                "/api/v1/jobs/claim",
                &token,
                Some(&json!({"limit": 3})),
            )
            .await;
        let jobs = match claimed {
            Some(r) if r.status == 200 => r.body.as_array().cloned().unwrap_or_default(),
            _ => Vec::new(),
        };
        if jobs.is_empty() {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        }
        for job in jobs {
            let id = job["id"].as_str().unwrap().to_string();
            let attempt = job["attempts"].as_i64().unwrap();
            let path = format!("/api/v1/jobs/{id}/complete");
            for _ in 0..20 {
                let done = calls
                    .send(
                        replica,
                        &api,
                        "POST",
                        &path,
                        &token,
                        Some(&json!({"attempt": attempt})),
                    )
                    .await;
                match done.map(|r| r.status) {
                    Some(204) => {
                        let mut accepted = reports.accepted.lock().unwrap();
                        accepted.entry(id.clone()).or_default().insert(attempt);
                        break;
                    }
                    Some(409) => {
                        *reports.superseded.lock().unwrap() += 1;
                        break;
                    }
                    status => {
                        assert!(
                            matches!(status, Some(503) | None),
                            "a report answered {status:?}"
                        );
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
        }
    }
}

/// A consumer ordering on one replica; the ids of acknowledged orders.
async fn consumer(
    replica: usize,
    api: Api,
    federation: Arc<Federation>,
    groups: Arc<Vec<String>>,
    calls: Arc<Calls>,
    stop: Arc<AtomicBool>,
) -> Vec<String> {
    let mut acknowledged = Vec::new();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let mut order = federation.order(&format!("r{replica}-{n}"));
        order["groupId"] = json!(groups[n % GROUPS]);
        let answer = calls
            .send(
                replica,
                &api,
                "POST",
                "/api/v1/services",
                &federation.consumer_token,
                Some(&order),
            )
            .await;
        match answer {
            Some(r) if r.status == 201 => {
                acknowledged.push(r.body["id"].as_str().unwrap().to_string())
            }
            Some(r) => assert_eq!(r.status, 503, "an order answered {} {:?}", r.status, r.body),
            None => {}
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    acknowledged
}

/// Pauses `replica` until it is caught inside a write transaction; how
/// many sessions of the other replicas were waiting on it, and when the
/// replica was stopped. Writers share no row every write needs (events are
/// numbered after commit), so fewer wait on it than before; the test shows
/// that whoever does waits no longer than the timeouts.
async fn pause_inside_a_write_transaction(replica: &Exchange, database: &str) -> (i64, Instant) {
    let mut db = sqlx::PgConnection::connect(database).await.unwrap();
    for attempt in 0..200u64 {
        let stopped_at = Instant::now();
        replica.signal("STOP");
        tokio::time::sleep(Duration::from_millis(300)).await;
        let caught: Option<i64> = sqlx::query_scalar(
            "SELECT (SELECT count(*) FROM pg_stat_activity waiting \
                     WHERE waiting.application_name <> 'federa-replica-0' \
                       AND paused.pid = ANY(pg_blocking_pids(waiting.pid))) \
             FROM pg_stat_activity paused \
             WHERE paused.application_name = 'federa-replica-0' \
               AND paused.state = 'idle in transaction' \
               AND paused.backend_xid IS NOT NULL \
             LIMIT 1",
        )
        .fetch_optional(&mut db)
        .await
        .unwrap();
        if let Some(blocked) = caught {
            return (blocked, stopped_at);
        }
        replica.signal("CONT");
        tokio::time::sleep(Duration::from_millis(20 + attempt * 7 % 60)).await;
    }
    panic!("replica 0 was never caught inside a write transaction");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replica_paused_mid_transaction_stops_nobody_for_longer_than_the_timeouts() {
    if std::env::var("FEDERA_TEST_POSTGRES_URL").is_err() {
        eprintln!("replicas share a PostgreSQL database: set FEDERA_TEST_POSTGRES_URL");
        return;
    }
    let database = TestDatabase::create().await;
    let exchanges = Exchange::replicas(FEDERA, &database.url, 3, LEASE_SECONDS, &SERVE_ARGS).await;
    let replicas: Vec<Api> = exchanges.iter().map(|e| e.api.clone()).collect();
    let federation = Arc::new(Federation::create(&replicas[0]).await);
    let mut groups = Vec::new();
    for g in 0..GROUPS {
        groups.push(federation.group(&replicas[g % 3], &format!("g{g}")).await);
    }
    let groups = Arc::new(groups);

    let calls = Arc::new(Calls::default());
    let reports = Arc::new(Reports::default());
    let stop_orders = Arc::new(AtomicBool::new(false));
    let stop_workers = Arc::new(AtomicBool::new(false));
    let consumers: Vec<_> = (0..3)
        .map(|r| {
            tokio::spawn(consumer(
                r,
                replicas[r].clone(),
                federation.clone(),
                groups.clone(),
                calls.clone(),
                stop_orders.clone(),
            ))
        })
        .collect();
    let workers: Vec<_> = (0..6)
        .map(|w| {
            tokio::spawn(worker(
                w % 3,
                replicas[w % 3].clone(),
                federation.agent_token.clone(),
                calls.clone(),
                reports.clone(),
                stop_workers.clone(),
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(2)).await;

    let (blocked, paused_at) = pause_inside_a_write_transaction(&exchanges[0], &database.url).await;
    tokio::time::sleep(PAUSE.saturating_sub(paused_at.elapsed())).await;
    exchanges[0].signal("CONT");
    let resumed_at = Instant::now();
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop_orders.store(true, Ordering::Relaxed);
    let mut acknowledged = Vec::new();
    for consumer in consumers {
        acknowledged.extend(consumer.await.unwrap());
    }
    // The workers drain what is left; lapsed claims come back meanwhile.
    let drained = Instant::now();
    loop {
        let open = replicas[1]
            .get(
                "/api/v1/jobs?status=Pending,Processing&pageSize=1",
                ADMIN_TOKEN,
            )
            .await;
        if open.body["totalItems"] == 0 {
            break;
        }
        assert!(
            drained.elapsed() < Duration::from_secs(90),
            "jobs left open: {:?}",
            open.body
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    stop_workers.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.await.unwrap();
    }

    // During the pause, the other replicas answered every request within
    // the bound, and their writes went on within it.
    let calls = calls.0.lock().unwrap().clone();
    let others_during_pause: Vec<&Call> = calls
        .iter()
        .filter(|c| c.replica != 0 && c.started >= paused_at && c.started < resumed_at)
        .collect();
    let slowest = others_during_pause
        .iter()
        .map(|c| c.took)
        .max()
        .unwrap_or_default();
    assert!(
        slowest < REQUEST_BOUND + Duration::from_secs(1),
        "a request on another replica took {slowest:?}"
    );
    assert!(
        others_during_pause.iter().all(|c| c.status != 0),
        "no request on another replica hung"
    );
    // The longest stretch without a successful write on the other replicas
    // while replica 0 was paused: how long they waited on its transaction.
    let mut finished: Vec<Instant> = calls
        .iter()
        .filter(|c| c.replica != 0 && c.write && (200..300).contains(&c.status))
        .map(|c| c.started + c.took)
        .filter(|at| *at > paused_at && *at < resumed_at)
        .collect();
    finished.sort();
    let mut stalled = Duration::ZERO;
    let mut last = paused_at;
    for at in finished.iter().copied().chain([resumed_at]) {
        stalled = stalled.max(at - last);
        last = at;
    }
    assert!(
        stalled < IDLE_IN_TRANSACTION + Duration::from_secs(1),
        "writes on the other replicas stood still for {stalled:?}"
    );
    let refused = others_during_pause
        .iter()
        .filter(|c| c.status == 503)
        .count();

    // Exactly once: no job's completion accepted for two claims, one
    // completion event per job, every acknowledged order there and done.
    let accepted = reports.accepted.lock().unwrap().clone();
    let twice: Vec<_> = accepted
        .iter()
        .filter(|(_, claims)| claims.len() > 1)
        .collect();
    assert!(twice.is_empty(), "completed under two claims: {twice:?}");
    // A read of the log numbers every committed event, so the checks below
    // read the whole log from the database.
    let read = replicas[1]
        .get("/api/v1/events?pageSize=1", ADMIN_TOKEN)
        .await;
    assert_eq!(read.status, 200, "{:?}", read.body);
    let mut db = sqlx::PgConnection::connect(&database.url).await.unwrap();
    let unnumbered: i64 = sqlx::query_scalar("SELECT count(*) FROM unnumbered_events")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(unnumbered, 0, "events left unnumbered after a read");
    let doubled: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT properties->>'jobId' FROM events WHERE type = 'job.completed' \
         GROUP BY 1 HAVING count(*) > 1) twice",
    )
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!(doubled, 0, "a job has two completion events");
    for id in &acknowledged {
        let service = replicas[2]
            .get(
                &format!("/api/v1/services/{id}"),
                &federation.consumer_token,
            )
            .await;
        assert_eq!(service.status, 200, "acknowledged order {id} is lost");
        assert_eq!(
            service.body["status"], "Stopped",
            "created: {:?}",
            service.body
        );
    }
    let jobs: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(
        jobs as usize,
        accepted.len(),
        "every job was completed once"
    );

    // Events: 1..N without a gap, times never running backwards.
    let events =
        sqlx::query("SELECT sequence_number, created_at FROM events ORDER BY sequence_number")
            .fetch_all(&mut db)
            .await
            .unwrap();
    let mut previous: Option<chrono::DateTime<chrono::Utc>> = None;
    for (index, row) in events.iter().enumerate() {
        let sequence: i64 = row.get(0);
        let created_at: chrono::DateTime<chrono::Utc> = row.get(1);
        assert_eq!(sequence, index as i64 + 1, "a gap before event {sequence}");
        assert!(
            previous.is_none_or(|p| p <= created_at),
            "event {sequence} is stamped before the one numbered ahead of it"
        );
        previous = Some(created_at);
    }
    let superseded = *reports.superseded.lock().unwrap();
    federa_testkit::reliability_summary(
        env!("CARGO_TARGET_TMPDIR"),
        "stalled replica",
        &format!(
            "3 replicas, one paused {PAUSE:?} inside a write transaction ({blocked} sessions waited on it): writes on the others stood still at most {stalled:.1?} (idle-in-transaction timeout {IDLE_IN_TRANSACTION:?}), {} succeeded during the pause, slowest answer {slowest:.1?} (bound {REQUEST_BOUND:?}), {refused} answered 503; {} orders acknowledged and kept, {} jobs each completed once, {superseded} stale reports refused, {} events gap-free with createdAt in order",
            finished.len(),
            acknowledged.len(),
            accepted.len(),
            events.len()
        ),
    );
    for exchange in &exchanges {
        exchange.terminate();
    }
}
