//! PostgreSQL stopped and started under load: meanwhile `federa serve`
//! says it is not ready and answers 503 instead of hanging, and afterwards
//! it recovers by itself with every acknowledged order still there.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use federa_testkit::postgres_cluster::{postgres_binaries, PostgresCluster};
use federa_testkit::processes::Exchange;
use federa_testkit::{Api, Federation};

const FEDERA: &str = env!("CARGO_BIN_EXE_federa");

/// Longer than any answer may take: a request still open after this hangs.
const HANG: Duration = Duration::from_secs(20);

/// What one order got: its status (0 when it hung or the connection
/// failed) and the service it created.
type Outcome = (u16, Option<String>);

async fn consumer(api: Api, federation: Arc<Federation>, stop: Arc<AtomicBool>) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let order = federation.order(&format!("site-{n}"));
        let answer = tokio::time::timeout(
            HANG,
            api.try_call(
                "POST",
                "/api/v1/services",
                Some(&federation.consumer_token),
                Some(&order),
            ),
        )
        .await
        .ok()
        .flatten();
        outcomes.push(match answer {
            Some(response) => (
                response.status,
                response.body["id"].as_str().map(str::to_string),
            ),
            None => (0, None),
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    outcomes
}

/// Polls `path` until it answers `status`; how long that took.
async fn until_status(api: &Api, path: &str, status: u16, within: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let answer = tokio::time::timeout(HANG, api.try_call("GET", path, None, None))
            .await
            .ok()
            .flatten();
        if answer.as_ref().map(|r| r.status) == Some(status) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < within,
            "{path} did not answer {status} within {within:?}; last: {:?}",
            answer.map(|r| (r.status, r.body))
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `federa serve` on a PostgreSQL cluster of its own, which the test may
/// stop and start; `test` names the test in the message when PostgreSQL is
/// not configured.
async fn exchange_on_its_own_cluster(test: &str) -> (PostgresCluster, Exchange) {
    assert!(
        std::env::var("FEDERA_TEST_POSTGRES_URL").is_ok(),
        "{test} needs PostgreSQL: set FEDERA_TEST_POSTGRES_URL"
    );
    let bin = postgres_binaries().expect("PostgreSQL binaries under /usr/lib/postgresql");
    let cluster = PostgresCluster::start(&bin);
    let exchange = Exchange::start_on(
        FEDERA,
        &cluster.url,
        "127.0.0.1:0",
        60,
        tempfile::tempdir().unwrap(),
    )
    .await;
    (cluster, exchange)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: .ci/run runs it with --ignored where FEDERA_TEST_POSTGRES_URL is set"]
async fn the_exchange_waits_out_a_database_outage_and_recovers_by_itself() {
    // Runs with the PostgreSQL half of the suite; it brings its own cluster
    // because it stops it.
    let (cluster, exchange) = exchange_on_its_own_cluster("the outage test").await;
    let api = exchange.api.clone();
    let federation = Arc::new(Federation::create(&api).await);
    let stop = Arc::new(AtomicBool::new(false));
    let load: Vec<_> = (0..3)
        .map(|_| tokio::spawn(consumer(api.clone(), federation.clone(), stop.clone())))
        .collect();
    tokio::time::sleep(Duration::from_secs(1)).await;

    cluster.stop();
    let noticed = until_status(&api, "/ready", 503, Duration::from_secs(15)).await;
    let asked = Instant::now();
    let refused = tokio::time::timeout(
        HANG,
        api.try_call(
            "GET",
            "/api/v1/services",
            Some(&federation.consumer_token),
            None,
        ),
    )
    .await
    .expect("an answer, not a hang")
    .expect("the server is up");
    let refused_after = asked.elapsed();
    assert_eq!(refused.status, 503, "{:?}", refused.body);
    assert_eq!(refused.body["status"], "Service unavailable");
    assert!(
        refused_after < Duration::from_secs(10),
        "503 after {refused_after:?}"
    );
    assert_eq!(
        api.try_call("GET", "/healthz", None, None)
            .await
            .map(|r| r.status),
        Some(200),
        "the process itself is alive"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;

    cluster.start_again();
    let recovered = until_status(&api, "/ready", 200, Duration::from_secs(30)).await;
    let back = Instant::now();
    loop {
        let answer = api
            .post(
                "/api/v1/services",
                &federation.consumer_token,
                &federation.order("after-the-outage"),
            )
            .await;
        if answer.status == 201 {
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(30),
            "orders still refused: {} {:?}",
            answer.status,
            answer.body
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    let mut outcomes = Vec::new();
    for consumer in load {
        outcomes.extend(consumer.await.unwrap());
    }

    let count = |status: u16| outcomes.iter().filter(|(s, _)| *s == status).count();
    let unexpected: Vec<u16> = outcomes
        .iter()
        .map(|(status, _)| *status)
        .filter(|status| *status != 201 && *status != 503)
        .collect();
    assert!(
        unexpected.is_empty(),
        "every order is created or refused with 503 (0 = hung): {unexpected:?}"
    );
    assert!(count(503) > 0, "orders were refused during the outage");
    assert!(count(201) > 0, "orders were taken before and after");
    let acknowledged: Vec<&String> = outcomes.iter().filter_map(|(_, id)| id.as_ref()).collect();
    for id in &acknowledged {
        let service = api
            .get(
                &format!("/api/v1/services/{id}"),
                &federation.consumer_token,
            )
            .await;
        assert_eq!(service.status, 200, "acknowledged order {id} is lost");
    }
    federa_testkit::reliability_summary(
        env!("CARGO_TARGET_TMPDIR"),
        "database outage",
        &format!(
            "not ready {noticed:.1?} after the stop, 503 in {refused_after:.1?}, ready {recovered:.1?} after the start; {} orders created and kept, {} refused with 503, none hung or failed with 500",
            count(201),
            count(503)
        ),
    );
    exchange.terminate();
}

/// One request's status (0 when it hung or the connection failed).
async fn status_of(
    api: Api,
    method: &'static str,
    path: &'static str,
    token: String,
    body: Option<serde_json::Value>,
) -> u16 {
    tokio::time::timeout(
        HANG,
        api.try_call(method, path, Some(&token), body.as_ref()),
    )
    .await
    .ok()
    .flatten()
    .map_or(0, |r| r.status)
}

/// A burst of reads and orders at once, so that they hold many of the
/// server's pooled connections together; their statuses.
async fn burst(api: &Api, federation: &Federation, name: &str) -> Vec<u16> {
    let token = federation.consumer_token.clone();
    let mut requests = Vec::new();
    for n in 0..12 {
        requests.push(tokio::spawn(status_of(
            api.clone(),
            "GET",
            "/api/v1/services",
            token.clone(),
            None,
        )));
        requests.push(tokio::spawn(status_of(
            api.clone(),
            "POST",
            "/api/v1/services",
            token.clone(),
            Some(federation.order(&format!("{name}-{n}"))),
        )));
    }
    let mut statuses = Vec::new();
    for request in requests {
        statuses.push(request.await.unwrap());
    }
    statuses
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: .ci/run runs it with --ignored where FEDERA_TEST_POSTGRES_URL is set"]
async fn requests_right_after_a_database_restart_are_answered_on_fresh_connections() {
    let (cluster, exchange) = exchange_on_its_own_cluster("the restart test").await;
    let api = exchange.api.clone();
    let federation = Federation::create(&api).await;
    let before = burst(&api, &federation, "before").await;
    assert!(before.iter().all(|s| *s == 200 || *s == 201), "{before:?}");

    // The server's pooled connections now lead to a server that is gone;
    // nothing is asked of the exchange until the database is back.
    cluster.stop();
    cluster.start_again();
    let after = burst(&api, &federation, "after").await;
    assert!(
        after.iter().all(|s| *s == 200 || *s == 201),
        "every request after the restart is answered, none with a broken connection's 503: {after:?}"
    );
    exchange.terminate();
}

/// Timeouts short enough for a test: their sum, 2 s, bounds every request.
const SHORT_TIMEOUTS: [&str; 6] = [
    "--database-statement-timeout-ms",
    "1000",
    "--database-lock-timeout-ms",
    "500",
    "--database-idle-in-transaction-timeout-ms",
    "1000",
];
const REQUEST_BOUND: Duration = Duration::from_secs(2);

/// One request against a frozen database: its status (0 when it hung past
/// [`HANG`]) and how long it took.
async fn timed(
    api: Api,
    method: &'static str,
    path: &'static str,
    token: String,
    body: Option<serde_json::Value>,
) -> (u16, Duration) {
    let started = Instant::now();
    let answer = tokio::time::timeout(
        HANG,
        api.try_call(method, path, Some(&token), body.as_ref()),
    )
    .await
    .ok()
    .flatten();
    (answer.map_or(0, |r| r.status), started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_frozen_database_gets_every_request_answered_503_within_the_bound() {
    if std::env::var("FEDERA_TEST_POSTGRES_URL").is_err() {
        eprintln!("the frozen-database test runs only where FEDERA_TEST_POSTGRES_URL is set");
        return;
    }
    let bin = postgres_binaries().expect("PostgreSQL binaries under /usr/lib/postgresql");
    let cluster = PostgresCluster::start(&bin);
    let exchange = Exchange::start_with(
        FEDERA,
        &cluster.url,
        "127.0.0.1:0",
        60,
        &SHORT_TIMEOUTS,
        tempfile::tempdir().unwrap(),
    )
    .await;
    let api = exchange.api.clone();
    let federation = Federation::create(&api).await;
    let before = api
        .post(
            "/api/v1/services",
            &federation.consumer_token,
            &federation.order("before"),
        )
        .await;
    assert_eq!(before.status, 201, "{:?}", before.body);

    // Every process of the server stops answering; sockets stay open.
    cluster.freeze();
    let token = federation.consumer_token.clone();
    let mut requests = Vec::new();
    for n in 0..3 {
        requests.push(tokio::spawn(timed(
            api.clone(),
            "GET",
            "/api/v1/services",
            token.clone(),
            None,
        )));
        requests.push(tokio::spawn(timed(
            api.clone(),
            "POST",
            "/api/v1/services",
            token.clone(),
            Some(federation.order(&format!("frozen-{n}"))),
        )));
    }
    requests.push(tokio::spawn(timed(
        api.clone(),
        "GET",
        "/ready",
        token.clone(),
        None,
    )));
    let mut slowest = Duration::ZERO;
    for request in requests {
        let (status, took) = request.await.unwrap();
        assert_eq!(status, 503, "answered {status} after {took:?} (0 = hung)");
        slowest = slowest.max(took);
    }
    assert!(
        slowest < REQUEST_BOUND + Duration::from_secs(2),
        "the slowest 503 took {slowest:?} for a bound of {REQUEST_BOUND:?}"
    );
    assert_eq!(
        api.try_call("GET", "/healthz", None, None)
            .await
            .map(|r| r.status),
        Some(200),
        "the process itself answers"
    );

    cluster.thaw();
    let thawed = Instant::now();
    let after = loop {
        let answer = api
            .post(
                "/api/v1/services",
                &federation.consumer_token,
                &federation.order("after"),
            )
            .await;
        if answer.status == 201 {
            break thawed.elapsed();
        }
        assert!(
            thawed.elapsed() < Duration::from_secs(30),
            "orders still refused after the thaw: {} {:?}",
            answer.status,
            answer.body
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let kept = api
        .get(
            &format!("/api/v1/services/{}", before.body["id"].as_str().unwrap()),
            &federation.consumer_token,
        )
        .await;
    assert_eq!(
        kept.status, 200,
        "the order taken before the freeze is kept"
    );
    let frozen = api
        .get("/api/v1/services?name=frozen", &federation.consumer_token)
        .await;
    assert_eq!(
        frozen.body["totalItems"], 0,
        "no order refused with 503 was kept: {:?}",
        frozen.body
    );
    federa_testkit::reliability_summary(
        env!("CARGO_TARGET_TMPDIR"),
        "frozen database",
        &format!(
            "PostgreSQL frozen with SIGSTOP: 7 requests answered 503, the slowest in {slowest:.1?} (bound {REQUEST_BOUND:?}), none hung; orders taken {after:.1?} after the thaw"
        ),
    );
    exchange.terminate();
}
