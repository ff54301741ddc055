//! Three `federa serve` replicas on one PostgreSQL database: a job freed by
//! a completion on one replica wakes the long-poll its agent parked on
//! another at once, not at the poll's next periodic re-check; and under
//! writers on every replica, event times follow sequence numbers.

use std::time::{Duration, Instant};

use federa_testkit::processes::Exchange;
use federa_testkit::{Api, Federation, TestDatabase};
use serde_json::json;
use sqlx::Connection;

const FEDERA: &str = env!("CARGO_BIN_EXE_federa");
const TRIES: usize = 100;
const P99_BOUND: Duration = Duration::from_millis(50);

/// Claims the agent's one pending job on `replica`; its id.
async fn claim_one(replica: &Api, token: &str) -> String {
    let claimed = replica
        .post("/api/v1/jobs/claim", token, &json!({"limit": 1}))
        .await;
    assert_eq!(claimed.status, 200, "{:?}", claimed.body);
    let jobs = claimed.body.as_array().unwrap();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    jobs[0]["id"].as_str().unwrap().to_string()
}

async fn complete(replica: &Api, token: &str, id: &str) {
    let done = replica
        .post(&format!("/api/v1/jobs/{id}/complete"), token, &json!({}))
        .await;
    assert_eq!(done.status, 204, "{:?}", done.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_completion_on_one_replica_wakes_a_long_poll_on_another_at_once() {
    if std::env::var("FEDERA_TEST_POSTGRES_URL").is_err() {
        eprintln!("replicas share a PostgreSQL database: set FEDERA_TEST_POSTGRES_URL");
        return;
    }
    let database = TestDatabase::create().await;
    let exchanges = Exchange::replicas(FEDERA, &database.url, 3, 60, &[]).await;
    let replicas: Vec<Api> = exchanges.iter().map(|e| e.api.clone()).collect();
    let (a, c) = (&replicas[0], &replicas[2]);
    let federation = Federation::create(a).await;
    let token = federation.agent_token.clone();
    // When each job notification commits, as a listener of the test's own
    // hears it: the start of every measurement.
    let mut listener = sqlx::postgres::PgListener::connect(&database.url)
        .await
        .unwrap();
    listener.listen("federa_jobs").await.unwrap();
    let (heard, mut notifications) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while listener.recv().await.is_ok() {
            if heard.send(Instant::now()).is_err() {
                return;
            }
        }
    });

    let mut latencies = Vec::new();
    for n in 0..TRIES {
        // Two services of one group: the second's job waits for the first's.
        federation.order_service(a, &format!("first-{n}")).await;
        federation
            .order_service(&replicas[1], &format!("second-{n}"))
            .await;
        let first = claim_one(a, &token).await;
        let poll = {
            let (c, token) = (c.clone(), token.clone());
            tokio::spawn(async move {
                let answer = c.get("/api/v1/jobs/pending?wait=10s", &token).await;
                (answer, Instant::now())
            })
        };
        // The poll parks on replica C: nothing is pending until `first` ends.
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(
            !poll.is_finished(),
            "the poll answered before the completion"
        );
        while notifications.try_recv().is_ok() {}
        complete(a, &token, &first).await;
        let committed = notifications.recv().await.unwrap();
        let (answer, woken) = poll.await.unwrap();
        assert_eq!(answer.status, 200);
        let freed = answer.body.as_array().unwrap();
        assert_eq!(freed.len(), 1, "the freed job: {freed:?}");
        // From the completion's commit (its notification) to the poll on
        // the other replica answering.
        latencies.push(woken.saturating_duration_since(committed));
        let second = freed[0]["id"].as_str().unwrap().to_string();
        let claimed = c
            .post(&format!("/api/v1/jobs/{second}/claim"), &token, &json!({}))
            .await;
        assert_eq!(claimed.status, 204, "{:?}", claimed.body);
        complete(c, &token, &second).await;
    }
    latencies.sort();
    let p50 = latencies[TRIES / 2];
    let p99 = latencies[TRIES * 99 / 100 - 1];
    let max = latencies[TRIES - 1];
    assert!(
        p99 < P99_BOUND,
        "p99 {p99:?} from a completion committing on A to the long-poll on C answering (p50 {p50:?}, max {max:?})"
    );

    // Writers on all three replicas at once; then event times in sequence
    // order never run backwards.
    let mut writers = Vec::new();
    for (r, replica) in replicas.iter().enumerate() {
        for w in 0..3 {
            let (replica, consumer) = (replica.clone(), federation.consumer_token.clone());
            let order = federation.order(&format!("writer-{r}-{w}"));
            writers.push(tokio::spawn(async move {
                for n in 0..15 {
                    let mut order = order.clone();
                    order["name"] = json!(format!("{}-{n}", order["name"].as_str().unwrap()));
                    let created = replica.post("/api/v1/services", &consumer, &order).await;
                    assert_eq!(created.status, 201, "{:?}", created.body);
                }
            }));
        }
    }
    for writer in writers {
        writer.await.unwrap();
    }
    // A read of the log numbers every committed event first.
    let read = replicas[1]
        .get("/api/v1/events?pageSize=1", federa_testkit::ADMIN_TOKEN)
        .await;
    assert_eq!(read.status, 200, "{:?}", read.body);
    let mut db = sqlx::PgConnection::connect(&database.url).await.unwrap();
    let (events, inversions): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE created_at < previous) FROM \
         (SELECT created_at, lag(created_at) OVER (ORDER BY sequence_number) AS previous FROM events) ordered",
    )
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!(
        inversions, 0,
        "{inversions} of {events} events are stamped before the event numbered ahead of them"
    );
    federa_testkit::reliability_summary(
        env!("CARGO_TARGET_TMPDIR"),
        "cross-replica wake",
        &format!(
            "a job freed by a completion committed through replica A woke the long-poll on replica C in p50 {p50:.1?}, p99 {p99:.1?}, max {max:.1?} over {TRIES} tries; {events} events from writers on 3 replicas, createdAt never before the previous sequenceNumber's"
        ),
    );
    for exchange in &exchanges {
        exchange.terminate();
    }
}
