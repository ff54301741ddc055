//! Signed webhooks over real HTTP: a Python receiver verifies every
//! delivery with the Standard Webhooks reference library
//! (`standardwebhooks` 1.1.0) and records what it got, in order.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

use federa_api::webhooks::WebhookCreatedRes;
use federa_domain::webhooks::RetryPolicy;
use federa_exchange::webhook_delivery::DeliverySettings;
use federa_server::composition::ExchangeSettings;
use federa_testkit::{backend_name, error_paths, Federation, TestServer, ADMIN_TOKEN};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const WEBHOOKS: &str = "/api/v1/webhooks";
/// The reference library, at the version the receiver is written for.
const LIBRARY: &str = "standardwebhooks==1.1.0";

/// A Python with the reference library: `FEDERA_WEBHOOK_PYTHON`, or a
/// virtual environment made once under the target directory.
fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        if let Ok(python) = std::env::var("FEDERA_WEBHOOK_PYTHON") {
            return PathBuf::from(python);
        }
        let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("standardwebhooks-1.1.0");
        let python = venv.join("bin/python");
        let ready = venv.join("installed");
        if !ready.exists() {
            let made = std::process::Command::new("python3")
                .args(["-m", "venv"])
                .arg(&venv)
                .status()
                .expect("python3 -m venv (install python3-venv)");
            assert!(made.success(), "python3 -m venv failed");
            let installed = std::process::Command::new(&python)
                .args(["-m", "pip", "install", "--quiet", LIBRARY])
                .status()
                .expect("pip");
            assert!(installed.success(), "pip install {LIBRARY} failed");
            std::fs::write(&ready, LIBRARY).expect("marker");
        }
        python
    })
}

/// Retries fast enough for a test: 100 ms doubling to at most 400 ms.
fn quick_retries(settings: &mut ExchangeSettings) {
    settings.webhooks = DeliverySettings {
        retry: RetryPolicy {
            first_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(400),
            give_up_after: Duration::from_secs(24 * 3600),
        },
        poll_interval: Duration::from_millis(100),
        ..DeliverySettings::default()
    };
}

/// The receiver process; its state directory outlives it, so a receiver
/// started again on the same port continues the same record.
struct Receiver {
    child: Child,
    port: u16,
    state: StateDir,
}

/// A receiver's state directory, removed when the test is done with it.
struct StateDir(PathBuf);

impl Drop for StateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Receiver {
    async fn start() -> Receiver {
        let state = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("webhook-receiver-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&state).expect("state directory");
        Receiver::start_on(StateDir(state), 0).await
    }

    async fn start_on(state: StateDir, port: u16) -> Receiver {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/webhooks/receiver.py");
        let mut child = Command::new(python())
            .arg(script)
            .arg(&state.0)
            .arg(port.to_string())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("receiver");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        tokio::time::timeout(
            Duration::from_secs(30),
            BufReader::new(stdout).read_line(&mut line),
        )
        .await
        .expect("the receiver starts")
        .expect("its first line");
        let port = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("unexpected receiver output {line:?}"));
        Receiver { child, port, state }
    }

    /// Stops the process; connections to its port are refused until
    /// [`Receiver::restart`].
    async fn stop(mut self) -> (StateDir, u16) {
        self.child.kill().await.expect("kill receiver");
        (self.state, self.port)
    }

    async fn restart((state, port): (StateDir, u16)) -> Receiver {
        Receiver::start_on(state, port).await
    }

    fn url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/hooks/{name}", self.port)
    }

    async fn set_secret(&self, name: &str, secret: &str) {
        let answer = reqwest::Client::new()
            .put(format!("http://127.0.0.1:{}/secrets/{name}", self.port))
            .body(secret.to_string())
            .send()
            .await
            .expect("set secret");
        assert_eq!(answer.status(), 204);
    }

    async fn received(&self, name: &str) -> Vec<Value> {
        let all: Vec<Value> = reqwest::get(format!("http://127.0.0.1:{}/received", self.port))
            .await
            .expect("received")
            .json()
            .await
            .expect("json");
        all.into_iter().filter(|e| e["endpoint"] == name).collect()
    }
}

/// Subscribes `url` for the holder of `token`; the answer, read as the
/// wire contract describes it.
async fn subscribe(
    server: &TestServer,
    token: &str,
    url: &str,
    kinds: &[&str],
) -> WebhookCreatedRes {
    let created = server
        .post(WEBHOOKS, token, &json!({"url": url, "eventTypes": kinds}))
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    serde_json::from_value(created.body).expect("a created endpoint")
}

/// Subscribes an endpoint of the receiver named `name` and tells the
/// receiver its secret; the endpoint's id.
async fn subscribe_receiver(
    server: &TestServer,
    receiver: &Receiver,
    token: &str,
    name: &str,
    kinds: &[&str],
) -> (String, String) {
    let endpoint = subscribe(server, token, &receiver.url(name), kinds).await;
    receiver.set_secret(name, &endpoint.secret).await;
    (endpoint.endpoint.id.to_string(), endpoint.secret)
}

/// Subscribes the receiver's endpoint `name` to the consumer's group
/// creations; the endpoint's id.
async fn subscribe_consumer_groups(
    server: &TestServer,
    receiver: &Receiver,
    federation: &Federation,
    name: &str,
) -> String {
    let kinds = ["service_group.created"];
    let token = &federation.consumer_token;
    subscribe_receiver(server, receiver, token, name, &kinds)
        .await
        .0
}

/// The event ids `token` sees in the log from sequence `from` on, oldest
/// first.
async fn visible_events(server: &TestServer, token: &str, from: i64) -> Vec<(String, String)> {
    let page = server
        .get("/api/v1/events?pageSize=100&sort=sequenceNumber", token)
        .await;
    assert_eq!(page.status, 200, "{:?}", page.body);
    page.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["sequenceNumber"].as_i64().unwrap() >= from)
        .map(|e| {
            (
                e["id"].as_str().unwrap().to_string(),
                e["type"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The consumer's group creations from sequence `from` on.
async fn groups_made_since(
    server: &TestServer,
    federation: &Federation,
    from: i64,
) -> Vec<(String, String)> {
    visible_events(server, &federation.consumer_token, from)
        .await
        .into_iter()
        .filter(|(_, kind)| kind == "service_group.created")
        .collect()
}

/// The sequence number of the event recording the endpoint's creation.
async fn created_at_sequence(server: &TestServer, endpoint_id: &str) -> i64 {
    let page = server
        .get(
            &format!("/api/v1/events?entityId={endpoint_id}"),
            ADMIN_TOKEN,
        )
        .await;
    page.body["items"][0]["sequenceNumber"]
        .as_i64()
        .expect("webhook.created")
}

/// What arrived, with repeats of the delivery just before removed (a
/// delivery may come twice, never out of order): every entry verified.
fn arrivals(received: &[Value]) -> Vec<(String, String)> {
    let mut arrived: Vec<(String, String)> = Vec::new();
    for entry in received {
        assert_eq!(entry["verified"], true, "unverified delivery {entry:?}");
        assert_eq!(
            entry["webhookId"], entry["eventId"],
            "webhook-id is the event id"
        );
        let item = (
            entry["eventId"].as_str().unwrap().to_string(),
            entry["type"].as_str().unwrap().to_string(),
        );
        if arrived.last() != Some(&item) {
            assert!(
                !arrived.contains(&item),
                "{item:?} arrived again after a later event"
            );
            arrived.push(item);
        }
    }
    arrived
}

/// Waits until the receiver has `count` distinct deliveries for `name`.
async fn wait_for_arrivals(receiver: &Receiver, name: &str, count: usize) -> Vec<(String, String)> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let arrived = arrivals(&receiver.received(name).await);
        if arrived.len() >= count || tokio::time::Instant::now() > deadline {
            return arrived;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn deliveries(server: &TestServer, token: &str, endpoint_id: &str) -> Vec<Value> {
    let page = server
        .get(
            &format!("{WEBHOOKS}/{endpoint_id}/deliveries?pageSize=100"),
            token,
        )
        .await;
    assert_eq!(page.status, 200, "{:?}", page.body);
    page.body["items"].as_array().unwrap().clone()
}

/// Waits until the endpoint's log holds `count` deliveries, each made: a
/// receiver records a delivery before it answers, so the log may lag the
/// receiver by the last answer.
async fn wait_for_delivered(
    server: &TestServer,
    token: &str,
    endpoint_id: &str,
    count: usize,
) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let log = deliveries(server, token, endpoint_id).await;
        let made = log.iter().filter(|d| d["deliveredAt"].is_string()).count();
        if made >= count {
            assert_eq!(log.len(), count, "{log:?}");
            return log;
        }
        assert!(tokio::time::Instant::now() < deadline, "{log:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the endpoint's first undelivered row has failed at least
/// `attempts` times.
async fn wait_for_failures(server: &TestServer, endpoint_id: &str, attempts: i64) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let log = deliveries(server, ADMIN_TOKEN, endpoint_id).await;
        let failing = log
            .iter()
            .find(|d| d["deliveredAt"].is_null())
            .and_then(|d| d["attempts"].as_i64())
            .unwrap_or(0);
        if failing >= attempts {
            return log;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no failing delivery: {log:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Creates `count` service groups for the federation's consumer.
async fn make_groups(server: &TestServer, federation: &Federation, prefix: &str, count: usize) {
    for index in 0..count {
        let group = server
            .post(
                "/api/v1/service-groups",
                &federation.consumer_token,
                &json!({"name": format!("{prefix}-{index}"), "consumerId": federation.consumer_id}),
            )
            .await;
        assert_eq!(group.status, 201, "{:?}", group.body);
    }
}

/// A group for `consumer`, made by an admin.
async fn admin_made_group(server: &TestServer, consumer: &str, round: usize) {
    let group = server
        .post(
            "/api/v1/service-groups",
            ADMIN_TOKEN,
            &json!({"name": format!("theirs-{round}"), "consumerId": consumer}),
        )
        .await;
    assert_eq!(group.status, 201, "{:?}", group.body);
}

#[tokio::test]
async fn deliveries_arrive_verified_in_order_and_only_for_what_the_subscriber_may_see() {
    python();
    let server = TestServer::start_configured(quick_retries).await;
    let federation = Federation::create(&server).await;
    let receiver = Receiver::start().await;
    let (all_id, secret) =
        subscribe_receiver(&server, &receiver, &federation.consumer_token, "all", &[]).await;
    let (groups_id, _) = subscribe_receiver(
        &server,
        &receiver,
        &federation.consumer_token,
        "groups",
        &["service_group.created"],
    )
    .await;
    let from = created_at_sequence(&server, &all_id).await;

    // Events of another participant, interleaved with the consumer's own.
    let stranger = server.participant("Stranger").await;
    for round in 0..3 {
        make_groups(&server, &federation, &format!("mine-{round}"), 2).await;
        admin_made_group(&server, &stranger, round).await;
    }
    let expected = visible_events(&server, &federation.consumer_token, from).await;
    assert!(expected.len() >= 8, "{expected:?}");
    let arrived = wait_for_arrivals(&receiver, "all", expected.len()).await;
    assert_eq!(arrived, expected, "every visible event, in log order");

    let expected_groups: Vec<_> = expected
        .iter()
        .filter(|(_, kind)| kind == "service_group.created")
        .cloned()
        .collect();
    assert_eq!(expected_groups.len(), 6);
    let arrived_groups = wait_for_arrivals(&receiver, "groups", expected_groups.len()).await;
    assert_eq!(arrived_groups, expected_groups);

    let stranger_events = visible_events(&server, ADMIN_TOKEN, from)
        .await
        .into_iter()
        .filter(|event| !expected.contains(event))
        .count();
    assert!(stranger_events >= 3, "the stranger's groups are in the log");
    for entry in receiver.received("all").await {
        assert_ne!(entry["consumerId"], json!(stranger));
    }

    let log =
        wait_for_delivered(&server, &federation.consumer_token, &all_id, expected.len()).await;
    for (delivery, (event_id, kind)) in log.iter().zip(&expected) {
        assert_eq!(&delivery["eventId"], event_id);
        assert_eq!(&delivery["eventType"], kind);
        assert_eq!(delivery["attempts"], 1);
        assert_eq!(delivery["lastStatusCode"], 204);
        assert!(delivery["deliveredAt"].is_string());
    }
    let stranger_token = server.token("participant", Some(&stranger)).await;
    let foreign_log = server
        .get(
            &format!("{WEBHOOKS}/{groups_id}/deliveries"),
            &stranger_token,
        )
        .await;
    assert_eq!(foreign_log.status, 403);

    assert_secret_is_never_shown_again(&server, &federation, &all_id, &secret).await;
    server.stop().await;
}

/// After the answer to create, the secret appears in no answer and in no
/// table in plain text (nor its base64 body).
async fn assert_secret_is_never_shown_again(
    server: &TestServer,
    federation: &Federation,
    endpoint_id: &str,
    secret: &str,
) {
    let key = secret.strip_prefix("whsec_").expect("whsec_ prefix");
    assert!(key.len() >= 32, "24 bytes or more of base64");
    for (path, token) in [
        (format!("{WEBHOOKS}/{endpoint_id}"), ADMIN_TOKEN),
        (
            format!("{WEBHOOKS}/{endpoint_id}"),
            &federation.consumer_token,
        ),
        (WEBHOOKS.to_string(), &federation.consumer_token),
        (format!("{WEBHOOKS}/{endpoint_id}/deliveries"), ADMIN_TOKEN),
        ("/api/v1/events?pageSize=100".to_string(), ADMIN_TOKEN),
    ] {
        let answer = server.get(&path, token).await;
        assert_eq!(answer.status, 200);
        let text = answer.body.to_string();
        assert!(!text.contains(key), "{path} shows the secret");
        assert!(
            !text.contains("sealed:v1:"),
            "{path} shows the sealed secret"
        );
    }
    let stored = stored_text(server).await;
    assert!(stored.contains("sealed:v1:"), "the secret is kept sealed");
    assert!(!stored.contains(key), "the secret is stored in plain text");
}

/// Every row of the webhook and event tables as text.
async fn stored_text(server: &TestServer) -> String {
    let url = &server.database.url;
    let tables = ["webhook_endpoints", "webhook_deliveries", "events"];
    let mut text = String::new();
    if backend_name() == "postgres" {
        let pool = sqlx::PgPool::connect(url).await.expect("connect");
        for table in tables {
            let rows: Vec<(String,)> = sqlx::query_as(&format!("SELECT t::text FROM {table} t"))
                .fetch_all(&pool)
                .await
                .expect("rows");
            text.extend(rows.into_iter().map(|(row,)| row));
        }
        pool.close().await;
    } else {
        let pool = sqlx::SqlitePool::connect(url).await.expect("connect");
        let columns = [
            "SELECT quote(url) || quote(event_types) || quote(sealed_secret) FROM webhook_endpoints",
            "SELECT quote(last_error) || quote(event_type) FROM webhook_deliveries",
            "SELECT quote(properties) FROM events",
        ];
        for sql in columns {
            let rows: Vec<(String,)> = sqlx::query_as(sql).fetch_all(&pool).await.expect("rows");
            text.extend(rows.into_iter().map(|(row,)| row));
        }
        pool.close().await;
    }
    text
}

#[tokio::test]
async fn two_servers_on_one_database_send_each_delivery_once_and_in_order() {
    python();
    let first = TestServer::start_configured(quick_retries).await;
    let second = first.replica().await;
    let federation = Federation::create(&first).await;
    let receiver = Receiver::start().await;
    // An admin's endpoint is sent every event, whoever it concerns.
    let (endpoint_id, _) = subscribe_receiver(
        &first,
        &receiver,
        ADMIN_TOKEN,
        "admin",
        &["service_group.created"],
    )
    .await;
    let from = created_at_sequence(&first, &endpoint_id).await;
    let stranger = first.participant("Stranger").await;
    for round in 0..4 {
        make_groups(&first, &federation, &format!("mine-{round}"), 1).await;
        admin_made_group(&second, &stranger, round).await;
    }
    let expected: Vec<_> = visible_events(&first, ADMIN_TOKEN, from)
        .await
        .into_iter()
        .filter(|(_, kind)| kind == "service_group.created")
        .collect();
    assert_eq!(expected.len(), 8);
    let arrived = wait_for_arrivals(&receiver, "admin", expected.len()).await;
    assert_eq!(arrived, expected);
    assert_eq!(
        receiver.received("admin").await.len(),
        expected.len(),
        "each delivery is attempted by one server at a time"
    );
    second.stop().await;
    first.stop().await;
}

#[tokio::test]
async fn a_disabled_participant_is_sent_nothing_until_enabled_again() {
    python();
    let server = TestServer::start_configured(quick_retries).await;
    let federation = Federation::create(&server).await;
    let receiver = Receiver::start().await;
    let endpoint_id = subscribe_consumer_groups(&server, &receiver, &federation, "paused").await;
    server
        .set_participant_status(&federation.consumer_id, "Disabled")
        .await;
    admin_made_group(&server, &federation.consumer_id, 0).await;
    // Ten delivery rounds at the test's pace.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(receiver.received("paused").await, Vec::<Value>::new());
    // A server already working the endpoint may have queued the event;
    // none is attempted.
    let log = deliveries(&server, ADMIN_TOKEN, &endpoint_id).await;
    assert!(log.iter().all(|d| d["attempts"] == 0), "{log:?}");

    server
        .set_participant_status(&federation.consumer_id, "Enabled")
        .await;
    let from = created_at_sequence(&server, &endpoint_id).await;
    let expected = groups_made_since(&server, &federation, from).await;
    assert_eq!(expected.len(), 1);
    assert_eq!(wait_for_arrivals(&receiver, "paused", 1).await, expected);
    server.stop().await;
}

/// A server with an endpoint for the consumer's group creations whose
/// receiver has been stopped: connections to it are refused.
struct ReceiverDown {
    server: TestServer,
    federation: Federation,
    endpoint_id: String,
    name: &'static str,
    receiver: (StateDir, u16),
}

impl ReceiverDown {
    async fn start(name: &'static str) -> ReceiverDown {
        python();
        let server = TestServer::start_configured(quick_retries).await;
        let federation = Federation::create(&server).await;
        let receiver = Receiver::start().await;
        let endpoint_id = subscribe_consumer_groups(&server, &receiver, &federation, name).await;
        ReceiverDown {
            receiver: receiver.stop().await,
            server,
            federation,
            endpoint_id,
            name,
        }
    }

    /// Starts the receiver again and waits for every group made since the
    /// endpoint was subscribed, `count` of them: in order, each verified.
    async fn back_up_receives(self, count: usize) -> TestServer {
        let receiver = Receiver::restart(self.receiver).await;
        let from = created_at_sequence(&self.server, &self.endpoint_id).await;
        let expected = groups_made_since(&self.server, &self.federation, from).await;
        assert_eq!(expected.len(), count);
        let arrived = wait_for_arrivals(&receiver, self.name, count).await;
        assert_eq!(arrived, expected);
        wait_for_delivered(&self.server, ADMIN_TOKEN, &self.endpoint_id, count).await;
        self.server
    }
}

#[tokio::test]
async fn a_receiver_that_was_down_gets_every_delivery_in_order_once_back() {
    let down = ReceiverDown::start("down").await;
    make_groups(&down.server, &down.federation, "while-down", 4).await;
    let log = wait_for_failures(&down.server, &down.endpoint_id, 3).await;
    // In order: the next event waits for the first to succeed.
    assert_eq!(log.len(), 1, "{log:?}");
    assert!(log[0]["lastError"].is_string(), "{log:?}");
    assert!(log[0]["nextAttemptAt"].is_string(), "{log:?}");
    let endpoint_id = down.endpoint_id.clone();
    let server = down.back_up_receives(4).await;
    let log = deliveries(&server, ADMIN_TOKEN, &endpoint_id).await;
    assert!(log[0]["attempts"].as_i64().unwrap() >= 4, "{log:?}");
    server.stop().await;
}

#[tokio::test]
async fn a_server_restart_mid_retry_loses_no_delivery() {
    let mut down = ReceiverDown::start("restart").await;
    make_groups(&down.server, &down.federation, "before-restart", 3).await;
    wait_for_failures(&down.server, &down.endpoint_id, 2).await;
    down.server = down.server.restart_configured(quick_retries).await;
    make_groups(&down.server, &down.federation, "after-restart", 2).await;
    down.back_up_receives(5).await.stop().await;
}

#[tokio::test]
async fn an_endpoint_failing_for_the_whole_retry_period_is_disabled() {
    let server = TestServer::start_configured(|settings| {
        quick_retries(settings);
        settings.webhooks.retry.give_up_after = Duration::from_millis(600);
    })
    .await;
    let federation = Federation::create(&server).await;
    // Nothing listens on the discard port of loopback.
    let endpoint = subscribe(
        &server,
        &federation.provider_token,
        "http://127.0.0.1:9/hook",
        &[],
    )
    .await;
    let id = &endpoint.endpoint.id.to_string();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let got = server
            .get(&format!("{WEBHOOKS}/{id}"), &federation.provider_token)
            .await;
        if got.body["status"] == "Disabled" {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{:?}", got.body);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let events = server
        .get(
            &format!("/api/v1/events?entityId={id}&type=webhook.disabled"),
            &federation.provider_token,
        )
        .await;
    assert_eq!(events.body["items"].as_array().unwrap().len(), 1);
    let log = deliveries(&server, &federation.provider_token, id).await;
    assert_eq!(log.len(), 1);
    assert!(log[0]["attempts"].as_i64().unwrap() >= 2, "{log:?}");
    assert!(log[0]["nextAttemptAt"].is_null());
    assert!(log[0]["deliveredAt"].is_null());
    server.stop().await;
}

/// A loopback server that answers every request the same way, as
/// `answer` writes it; the URL it listens at.
async fn raw_receiver(answer: fn(tokio::net::TcpStream) -> tokio::task::JoinHandle<()>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((connection, _)) = listener.accept().await {
            answer(connection);
        }
    });
    url
}

/// Reads a request head and writes `head`, then `body` every 50 ms while
/// the connection lasts.
fn respond(
    mut connection: tokio::net::TcpStream,
    head: &'static str,
    body: Option<usize>,
) -> tokio::task::JoinHandle<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    tokio::spawn(async move {
        let mut buffer = [0u8; 65536];
        let _ = connection.read(&mut buffer).await;
        if connection.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        let Some(chunk) = body else {
            // Holds the connection open without a word.
            let _ = connection.read(&mut buffer).await;
            return;
        };
        while connection.write_all(&vec![b'x'; chunk]).await.is_ok() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
}

#[tokio::test]
async fn redirects_silence_and_endless_answers_are_bounded() {
    let server = TestServer::start_configured(|settings| {
        quick_retries(settings);
        settings.webhooks.timeout = Duration::from_secs(1);
    })
    .await;
    let federation = Federation::create(&server).await;
    let redirect = raw_receiver(|c| {
        respond(
            c,
            "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:9/\r\nContent-Length: 0\r\n\r\n",
            None,
        )
    })
    .await;
    let silent = raw_receiver(|c| respond(c, "", None)).await;
    // 16 KiB every 50 ms of a body announced as 100 MB: the whole of it
    // would take minutes.
    let endless = raw_receiver(|c| {
        respond(
            c,
            "HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n",
            Some(16 * 1024),
        )
    })
    .await;
    let token = &federation.consumer_token;
    let kinds = ["service_group.created"];
    let redirect_id = subscribe(&server, token, &redirect, &kinds)
        .await
        .endpoint
        .id
        .to_string();
    let silent_id = subscribe(&server, token, &silent, &kinds)
        .await
        .endpoint
        .id
        .to_string();
    let endless_id = subscribe(&server, token, &endless, &kinds)
        .await
        .endpoint
        .id
        .to_string();
    make_groups(&server, &federation, "bounded", 1).await;

    let log = wait_for_failures(&server, &redirect_id, 1).await;
    assert_eq!(log[0]["lastStatusCode"], 302, "{log:?}");
    assert_eq!(log[0]["lastError"], "redirects are not followed");
    let log = wait_for_failures(&server, &silent_id, 1).await;
    assert_eq!(log[0]["lastError"], "no answer within 1s", "{log:?}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let log = deliveries(&server, token, &endless_id).await;
        if log.first().is_some_and(|d| d["deliveredAt"].is_string()) {
            assert_eq!(log[0]["attempts"], 1, "{log:?}");
            assert_eq!(log[0]["lastStatusCode"], 200);
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{log:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.stop().await;
}

#[tokio::test]
async fn bad_subscriptions_are_refused_naming_each_failing_field() {
    let server = TestServer::start().await;
    let federation = Federation::create(&server).await;
    let token = &federation.consumer_token;
    let refused = server
        .post(
            WEBHOOKS,
            token,
            &json!({"url": "http://hooks.example.com/in", "eventTypes": ["service.created", "service.exploded", "service.created"]}),
        )
        .await;
    assert_eq!(refused.status, 400, "{:?}", refused.body);
    assert_eq!(
        error_paths(&refused.body),
        ["url", "eventTypes[1]", "eventTypes[2]"]
    );
    for url in [
        "ftp://127.0.0.1/",
        "not a url",
        "https://user:pw@example.com/",
    ] {
        let refused = server.post(WEBHOOKS, token, &json!({"url": url})).await;
        assert_eq!(refused.status, 400, "{url}: {:?}", refused.body);
        assert_eq!(error_paths(&refused.body), ["url"]);
    }
    let missing = server.post(WEBHOOKS, token, &json!({})).await;
    assert_eq!(missing.status, 400, "{:?}", missing.body);
    let other = server
        .post(
            WEBHOOKS,
            token,
            &json!({"url": "https://hooks.example.com/in", "participantId": federation.provider_id}),
        )
        .await;
    assert_eq!(other.status, 403, "{:?}", other.body);
    let unknown = server
        .post(
            WEBHOOKS,
            ADMIN_TOKEN,
            &json!({"url": "https://hooks.example.com/in", "participantId": uuid::Uuid::now_v7()}),
        )
        .await;
    assert_eq!(error_paths(&unknown.body), ["participantId"]);
    let accepted = server
        .post(
            WEBHOOKS,
            token,
            &json!({"url": "https://hooks.example.com/in", "eventTypes": ["service.created"]}),
        )
        .await;
    assert_eq!(accepted.status, 201, "{:?}", accepted.body);
    assert_eq!(
        accepted.body["participantId"],
        json!(federation.consumer_id)
    );
    assert!(accepted.body["secret"]
        .as_str()
        .unwrap()
        .starts_with("whsec_"));
    let id = accepted.body["id"].as_str().unwrap();
    let gone = server.delete(&format!("{WEBHOOKS}/{id}"), token).await;
    assert_eq!(gone.status, 204);
    let after = server.get(&format!("{WEBHOOKS}/{id}"), token).await;
    assert_eq!(after.status, 404);
    server.stop().await;
}
