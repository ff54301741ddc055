//! Secret properties and configuration through the vault: only
//! `vault://` references leave the vault, only the right agent resolves
//! them, and plain values reach neither the database nor the logs.

mod exchange_kit;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::Utc;
use federa_domain::property_schema::SecretKind;
use federa_store::vault::SealedSecret;
use federa_testkit::{
    Federation, Response, TestServer, ADMIN_TOKEN, EXAMPLE_VM_LIFECYCLE, EXAMPLE_VM_PROPERTY_SCHEMA,
};
use serde_json::{json, Value};
use uuid::Uuid;

/// Everything every test in this binary logs, at debug level and above.
fn logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = buffer.clone();
        let _ = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || Sink(sink.clone()))
            .try_init();
        buffer
    })
    .clone()
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn start() -> TestServer {
    logs();
    tracing::debug!("a test server starts; logs are captured");
    TestServer::start().await
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

fn assert_not_logged(plain: &str) {
    let logs = logs();
    let logs = logs.lock().unwrap_or_else(|e| e.into_inner());
    assert!(!logs.is_empty(), "the log capture works");
    assert!(!contains(&logs, plain), "a plain secret was logged");
}

/// Whether `needle` is anywhere in the SQLite database files (with the WAL)
/// or in any row of any PostgreSQL table, as text or as bytes.
async fn in_database(server: &TestServer, needle: &str) -> bool {
    let url = &server.database.url;
    if let Some(path) = url.strip_prefix("sqlite://") {
        assert!(std::fs::metadata(path).is_ok(), "the database file is here");
        ["", "-wal", "-shm"].iter().any(|suffix| {
            std::fs::read(format!("{path}{suffix}")).is_ok_and(|bytes| contains(&bytes, needle))
        })
    } else {
        use sqlx::{Connection, Row};
        let mut db = sqlx::PgConnection::connect(url).await.unwrap();
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
        )
        .fetch_all(&mut db)
        .await
        .unwrap();
        assert!(tables.iter().any(|t| t == "vault_secrets"));
        let hex: String = needle.bytes().map(|b| format!("{b:02x}")).collect();
        let mut found = false;
        for table in tables {
            let rows = sqlx::query(&format!("SELECT CAST(t AS TEXT) FROM \"{table}\" t"))
                .fetch_all(&mut db)
                .await
                .unwrap();
            found |= rows.iter().any(|row| {
                let text: String = row.get(0);
                text.contains(needle) || text.contains(&hex)
            });
        }
        let _ = db.close().await;
        found
    }
}

async fn assert_not_stored(server: &TestServer, plain: &str) {
    assert!(
        !in_database(server, plain).await,
        "a plain secret is in the database"
    );
}

fn reference(value: &Value) -> String {
    value
        .as_str()
        .and_then(|text| text.strip_prefix("vault://"))
        .unwrap_or_else(|| panic!("not a vault reference: {value}"))
        .to_string()
}

async fn resolve(server: &TestServer, token: &str, reference: &str) -> Response {
    server
        .get(&format!("/api/v1/vault/secrets/{reference}"), token)
        .await
}

/// Orders a VM whose root password is `password`; returns the answer.
async fn order(server: &TestServer, federation: &Federation, name: &str, password: &str) -> Value {
    let mut body = federation.order(name);
    body["properties"]["rootPassword"] = json!(password);
    let ordered = server
        .post("/api/v1/services", &federation.consumer_token, &body)
        .await;
    assert_eq!(ordered.status, 201, "{:?}", ordered.body);
    ordered.body
}

/// The agent's pending jobs.
async fn pending(server: &TestServer, token: &str) -> Vec<Value> {
    let pending = server.get("/api/v1/jobs/pending", token).await;
    assert_eq!(pending.status, 200, "{:?}", pending.body);
    pending.body.as_array().expect("a bare array").clone()
}

/// Claims the agent's only pending job and reports `outcome` for it
/// (`complete` or `fail`); returns the job.
async fn finish_next(server: &TestServer, token: &str, outcome: &str, body: Value) -> Value {
    let jobs = pending(server, token).await;
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    let job = jobs[0].clone();
    let id = job["id"].as_str().unwrap();
    let claimed = server
        .post(&format!("/api/v1/jobs/{id}/claim"), token, &json!({}))
        .await;
    assert_eq!(claimed.status, 204, "{:?}", claimed.body);
    let reported = server
        .post(&format!("/api/v1/jobs/{id}/{outcome}"), token, &body)
        .await;
    assert_eq!(reported.status, 204, "{:?}", reported.body);
    job
}

async fn service(server: &TestServer, federation: &Federation, id: &str) -> Value {
    let found = server
        .get(
            &format!("/api/v1/services/{id}"),
            &federation.consumer_token,
        )
        .await;
    assert_eq!(found.status, 200, "{:?}", found.body);
    found.body
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", Uuid::new_v4().simple())
}

#[tokio::test]
async fn an_ordered_secret_leaves_the_vault_only_as_a_reference() {
    let server = start().await;
    let federation = Federation::create(&server).await;
    let password = unique("root-pw");
    let name = format!("vm-{}", Uuid::new_v4().simple());

    let ordered = order(&server, &federation, &name, &password).await;
    let stored = ordered["properties"]["rootPassword"].clone();
    let reference = reference(&stored);
    let id = ordered["id"].as_str().unwrap();

    assert_eq!(
        service(&server, &federation, id).await["properties"]["rootPassword"],
        stored
    );
    let jobs = pending(&server, &federation.agent_token).await;
    assert_eq!(jobs[0]["params"]["rootPassword"], stored);
    assert_eq!(jobs[0]["service"]["properties"]["rootPassword"], stored);
    let job = server
        .get(
            &format!("/api/v1/jobs/{}", jobs[0]["id"].as_str().unwrap()),
            ADMIN_TOKEN,
        )
        .await;
    assert_eq!(job.body["params"]["rootPassword"], stored);
    let events = server.get("/api/v1/events?pageSize=100", ADMIN_TOKEN).await;
    assert_eq!(events.status, 200);
    assert!(!events.body["items"].as_array().unwrap().is_empty());
    let answers = [&ordered, &jobs[0], &job.body, &events.body];
    for answer in answers {
        assert!(!answer.to_string().contains(&password));
    }

    let resolved = resolve(&server, &federation.agent_token, &reference).await;
    assert_eq!(resolved.status, 200, "{:?}", resolved.body);
    assert_eq!(resolved.body, json!({"value": password}));

    assert_not_stored(&server, &password).await;
    assert!(
        in_database(&server, &name).await,
        "the search finds what is stored"
    );
    assert_not_logged(&password);
    let logs = logs();
    let logs = logs.lock().unwrap_or_else(|e| e.into_inner());
    assert!(
        contains(&logs, "INSERT INTO vault_secrets"),
        "the server's own logs are captured"
    );
}

#[tokio::test]
async fn only_the_agent_running_the_service_resolves_its_secret() {
    let server = start().await;
    let federation = Federation::create(&server).await;
    let password = unique("only-mine");
    let ordered = order(&server, &federation, "web-01", &password).await;
    let reference = reference(&ordered["properties"]["rootPassword"]);

    let (_, other_agent) = federation.agent(&server, "agent-2", &[]).await;
    let other = resolve(&server, &other_agent, &reference).await;
    assert_eq!(other.status, 404, "another agent learns nothing");
    assert!(!other.body.to_string().contains(&password));
    for (who, token) in [
        ("consumer", federation.consumer_token.as_str()),
        ("provider", federation.provider_token.as_str()),
        ("admin", ADMIN_TOKEN),
    ] {
        let refused = resolve(&server, token, &reference).await;
        assert_eq!(refused.status, 403, "{who}: {:?}", refused.body);
        assert!(!refused.body.to_string().contains(&password));
    }
    let missing = Uuid::new_v4().simple().to_string();
    for unknown in [missing.as_str(), "not-a-reference"] {
        let answer = resolve(&server, &federation.agent_token, unknown).await;
        assert_eq!(answer.status, 404, "{unknown}");
    }
    let anonymous = server
        .call(
            "GET",
            &format!("/api/v1/vault/secrets/{reference}"),
            None,
            None,
        )
        .await;
    assert_eq!(anonymous.status, 401);

    // Another replica on the same database opens it too.
    let replica = server.replica().await;
    let resolved = replica
        .get(
            &format!("/api/v1/vault/secrets/{reference}"),
            &federation.agent_token,
        )
        .await;
    assert_eq!(resolved.body["value"], password.as_str());
    replica.stop().await;
}

#[tokio::test]
async fn a_vault_reference_cannot_be_ordered_in_place_of_a_secret() {
    let server = start().await;
    let federation = Federation::create(&server).await;
    let ordered = order(&server, &federation, "web-01", &unique("victim")).await;
    let stolen = ordered["properties"]["rootPassword"].as_str().unwrap();

    let mut body = federation.order("web-02");
    body["properties"]["rootPassword"] = json!(stolen);
    let refused = server
        .post("/api/v1/services", &federation.consumer_token, &body)
        .await;
    assert_eq!(refused.status, 400, "{:?}", refused.body);
    assert_eq!(refused.body["errors"][0]["path"], "properties.rootPassword");
}

#[tokio::test]
async fn changing_a_secret_stores_a_new_reference_and_deletes_the_old_one() {
    let server = start().await;
    let federation = Federation::create(&server).await;
    let first = unique("first-pw");
    let second = unique("second-pw");
    let ordered = order(&server, &federation, "web-01", &first).await;
    let id = ordered["id"].as_str().unwrap();
    let old = reference(&ordered["properties"]["rootPassword"]);
    finish_next(&server, &federation.agent_token, "complete", json!({})).await;

    // Sending the stored reference back unchanged keeps it.
    let unchanged = server
        .patch(
            &format!("/api/v1/services/{id}"),
            &federation.consumer_token,
            &json!({"properties": {"rootPassword": format!("vault://{old}"), "diskSize": 30}}),
        )
        .await;
    assert_eq!(unchanged.status, 200, "{:?}", unchanged.body);
    let resize = finish_next(&server, &federation.agent_token, "complete", json!({})).await;
    assert_eq!(
        reference(&resize["params"]["rootPassword"]),
        old,
        "kept as it was"
    );
    assert!(server.store.secret(&old).await.unwrap().is_some());

    let changed = server
        .patch(
            &format!("/api/v1/services/{id}"),
            &federation.consumer_token,
            &json!({"properties": {"rootPassword": second}}),
        )
        .await;
    assert_eq!(changed.status, 200, "{:?}", changed.body);
    let jobs = pending(&server, &federation.agent_token).await;
    let new = reference(&jobs[0]["params"]["rootPassword"]);
    assert_ne!(new, old);
    // Until the update is done, the service still runs with the old one.
    assert_eq!(
        reference(&service(&server, &federation, id).await["properties"]["rootPassword"]),
        old
    );
    let resolved = resolve(&server, &federation.agent_token, &new).await;
    assert_eq!(resolved.body["value"], second.as_str());

    finish_next(&server, &federation.agent_token, "complete", json!({})).await;
    let updated = service(&server, &federation, id).await;
    assert_eq!(reference(&updated["properties"]["rootPassword"]), new);
    assert!(server.store.secret(&old).await.unwrap().is_none());
    assert_eq!(
        resolve(&server, &federation.agent_token, &old).await.status,
        404
    );
    assert_eq!(
        resolve(&server, &federation.agent_token, &new).await.body["value"],
        second.as_str()
    );

    assert_not_stored(&server, &first).await;
    assert_not_stored(&server, &second).await;
    assert_not_logged(&first);
    assert_not_logged(&second);
}

#[tokio::test]
async fn a_failed_update_keeps_the_old_secret_and_drops_the_new_one() {
    let server = start().await;
    let federation = Federation::create(&server).await;
    let ordered = order(&server, &federation, "web-01", &unique("kept")).await;
    let id = ordered["id"].as_str().unwrap();
    let old = reference(&ordered["properties"]["rootPassword"]);
    finish_next(&server, &federation.agent_token, "complete", json!({})).await;

    let changed = server
        .patch(
            &format!("/api/v1/services/{id}"),
            &federation.consumer_token,
            &json!({"properties": {"rootPassword": unique("dropped")}}),
        )
        .await;
    assert_eq!(changed.status, 200, "{:?}", changed.body);
    let job = finish_next(
        &server,
        &federation.agent_token,
        "fail",
        json!({"errorMessage": "hypervisor refused"}),
    )
    .await;
    let new = reference(&job["params"]["rootPassword"]);

    assert!(server.store.secret(&new).await.unwrap().is_none());
    assert!(server.store.secret(&old).await.unwrap().is_some());
    let current = service(&server, &federation, id).await;
    assert_eq!(reference(&current["properties"]["rootPassword"]), old);
    assert_eq!(
        resolve(&server, &federation.agent_token, &old).await.status,
        200
    );
}

#[tokio::test]
async fn a_deleted_service_takes_its_secrets_along() {
    let server = start().await;
    let federation = Federation::create(&server).await;
    let ordered = order(&server, &federation, "web-01", &unique("gone")).await;
    let id = ordered["id"].as_str().unwrap();
    let secret = reference(&ordered["properties"]["rootPassword"]);
    finish_next(&server, &federation.agent_token, "complete", json!({})).await;

    let deleted = server
        .delete(
            &format!("/api/v1/services/{id}"),
            &federation.consumer_token,
        )
        .await;
    assert_eq!(deleted.status, 204, "{:?}", deleted.body);
    let job = finish_next(&server, &federation.agent_token, "complete", json!({})).await;
    assert_eq!(job["action"], "delete");
    assert_eq!(service(&server, &federation, id).await["status"], "Deleted");
    assert!(server.store.secret(&secret).await.unwrap().is_none());
}

/// The example VM type plus an ephemeral `bootstrapToken`.
fn vm_with_ephemeral_secret() -> Value {
    let mut schema: Value = serde_json::from_str(EXAMPLE_VM_PROPERTY_SCHEMA).unwrap();
    schema["properties"]["bootstrapToken"] =
        json!({"type": "string", "secret": {"type": "ephemeral"}});
    json!({
        "name": "VM",
        "propertySchema": schema,
        "lifecycleSchema": serde_json::from_str::<Value>(EXAMPLE_VM_LIFECYCLE).unwrap(),
    })
}

#[tokio::test]
async fn ephemeral_secrets_go_when_their_job_completes_or_fails() {
    let server = start().await;
    let federation = Federation::create_with(&server, &vm_with_ephemeral_secret()).await;
    let mut secrets = Vec::new();
    for (name, outcome, body) in [
        ("web-01", "complete", json!({})),
        ("web-02", "fail", json!({"errorMessage": "no capacity"})),
    ] {
        let token = unique("bootstrap");
        let mut order = federation.order(name);
        order["properties"]["bootstrapToken"] = json!(token);
        order["properties"]["rootPassword"] = json!(unique("root"));
        let ordered = server
            .post("/api/v1/services", &federation.consumer_token, &order)
            .await;
        assert_eq!(ordered.status, 201, "{:?}", ordered.body);
        let ephemeral = reference(&ordered.body["properties"]["bootstrapToken"]);
        let persistent = reference(&ordered.body["properties"]["rootPassword"]);
        let resolved = resolve(&server, &federation.agent_token, &ephemeral).await;
        assert_eq!(resolved.body["value"], token.as_str());

        finish_next(&server, &federation.agent_token, outcome, body).await;
        assert!(
            server.store.secret(&ephemeral).await.unwrap().is_none(),
            "{outcome}"
        );
        assert_eq!(
            resolve(&server, &federation.agent_token, &ephemeral)
                .await
                .status,
            404
        );
        assert!(server.store.secret(&persistent).await.unwrap().is_some());
        secrets.push(token);
    }
    for token in &secrets {
        assert_not_stored(&server, token).await;
        assert_not_logged(token);
    }
}

#[tokio::test]
async fn a_secret_reported_by_the_agent_is_sealed_too() {
    let server = start().await;
    let federation = Federation::create(&server).await;
    let ordered = server
        .post(
            "/api/v1/services",
            &federation.consumer_token,
            &federation.order("web-01"),
        )
        .await;
    assert_eq!(ordered.status, 201);
    assert!(ordered.body["properties"].get("rootPassword").is_none());
    let id = ordered.body["id"].as_str().unwrap();
    let generated = unique("generated-by-agent");

    finish_next(
        &server,
        &federation.agent_token,
        "complete",
        json!({"properties": {"rootPassword": generated}}),
    )
    .await;
    let created = service(&server, &federation, id).await;
    let secret = reference(&created["properties"]["rootPassword"]);
    let resolved = resolve(&server, &federation.agent_token, &secret).await;
    assert_eq!(resolved.body["value"], generated.as_str());
    assert_not_stored(&server, &generated).await;
}

/// A provider's agent of a type whose configuration has a secret `apiKey`;
/// returns the agent's id and token and the create answer.
async fn agent_with_api_key(
    server: &TestServer,
    federation: &Federation,
    api_key: &str,
) -> (String, String, Value) {
    let agent_type = server
        .post(
            "/api/v1/agent-types",
            ADMIN_TOKEN,
            &json!({
                "name": "Keyed",
                "serviceTypeIds": [federation.service_type_id],
                "configurationSchema": {"properties": {
                    "region": {"type": "string"},
                    "apiKey": {"type": "string", "secret": {"type": "persistent"}},
                }},
            }),
        )
        .await;
    assert_eq!(agent_type.status, 201, "{:?}", agent_type.body);
    let created = server
        .post(
            "/api/v1/agents",
            &federation.provider_token,
            &json!({
                "name": "keyed-agent",
                "providerId": federation.provider_id,
                "agentTypeId": agent_type.body["id"],
                "configuration": {"region": "eu-north", "apiKey": api_key},
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let id = created.body["id"].as_str().unwrap().to_string();
    let token = server.token("agent", Some(&id)).await;
    (id, token, created.body)
}

#[tokio::test]
async fn agent_configuration_secrets_are_sealed_and_only_that_agent_reads_them() {
    let server = start().await;
    let federation = Federation::create(&server).await;
    let api_key = unique("api-key");
    let (id, token, created) = agent_with_api_key(&server, &federation, &api_key).await;
    let stored = created["configuration"]["apiKey"].clone();
    let secret = reference(&stored);
    assert_eq!(created["configuration"]["region"], "eu-north");

    let me = server.get("/api/v1/agents/me", &token).await;
    assert_eq!(me.body["configuration"]["apiKey"], stored);
    let resolved = resolve(&server, &token, &secret).await;
    assert_eq!(resolved.status, 200, "{:?}", resolved.body);
    assert_eq!(resolved.body["value"], api_key.as_str());
    assert_eq!(
        resolve(&server, &federation.agent_token, &secret)
            .await
            .status,
        404
    );
    assert_eq!(
        resolve(&server, &federation.provider_token, &secret)
            .await
            .status,
        403
    );

    // A replacement that sends the reference back keeps the secret.
    let regioned = server
        .patch(
            &format!("/api/v1/agents/{id}"),
            &federation.provider_token,
            &json!({"configuration": {"region": "eu-west", "apiKey": stored}}),
        )
        .await;
    assert_eq!(regioned.status, 200, "{:?}", regioned.body);
    assert_eq!(regioned.body["configuration"]["apiKey"], stored);
    assert_eq!(resolve(&server, &token, &secret).await.status, 200);

    let rotated_key = unique("rotated-key");
    let rotated = server
        .patch(
            &format!("/api/v1/agents/{id}"),
            &federation.provider_token,
            &json!({"configuration": {"region": "eu-west", "apiKey": rotated_key}}),
        )
        .await;
    assert_eq!(rotated.status, 200, "{:?}", rotated.body);
    let new = reference(&rotated.body["configuration"]["apiKey"]);
    assert_ne!(new, secret);
    assert!(server.store.secret(&secret).await.unwrap().is_none());
    assert_eq!(
        resolve(&server, &token, &new).await.body["value"],
        rotated_key.as_str()
    );

    // Another agent's reference is refused like any foreign one.
    let foreign = server
        .patch(
            &format!("/api/v1/agents/{id}"),
            &federation.provider_token,
            &json!({"configuration": {"apiKey": format!("vault://{secret}")}}),
        )
        .await;
    assert_eq!(foreign.status, 400, "{:?}", foreign.body);

    for plain in [&api_key, &rotated_key] {
        assert_not_stored(&server, plain).await;
        assert_not_logged(plain);
    }
}

#[tokio::test]
async fn unheld_secrets_are_swept_after_the_grace_period_and_held_ones_stay() {
    let server = start().await;
    let federation = Federation::create(&server).await;
    let ordered = order(&server, &federation, "web-01", &unique("held")).await;
    let held = reference(&ordered["properties"]["rootPassword"]);
    let agent_id: Uuid = federation.agent_id.parse().unwrap();
    let now = federa_server::clock::now();
    let orphan = |reference: &str, age: chrono::Duration| SealedSecret {
        reference: reference.to_string(),
        ciphertext: vec![1, 2, 3],
        nonce: vec![0; 12],
        kind: SecretKind::Persistent,
        // A service whose write never committed.
        service_id: Some(Uuid::now_v7()),
        agent_id,
        created_at: now - age,
        expires_at: None,
    };
    let old = "0123456789abcdef0123456789abcdef";
    let recent = "fedcba9876543210fedcba9876543210";
    server
        .store
        .insert_secrets(&[
            orphan(old, chrono::Duration::hours(2)),
            orphan(recent, chrono::Duration::minutes(1)),
        ])
        .await
        .unwrap();

    let swept = server
        .store
        .sweep_secrets(
            Utc::now() + chrono::Duration::seconds(1) - federa_server::vault::ORPHAN_GRACE,
            Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(swept, 1);
    assert!(server.store.secret(old).await.unwrap().is_none());
    assert!(server.store.secret(recent).await.unwrap().is_some());

    // Once past the grace period, only what a row holds survives.
    server
        .store
        .sweep_secrets(Utc::now() + chrono::Duration::hours(2), Utc::now())
        .await
        .unwrap();
    assert!(server.store.secret(recent).await.unwrap().is_none());
    assert!(server.store.secret(&held).await.unwrap().is_some());
    assert_eq!(
        resolve(&server, &federation.agent_token, &held)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn a_compositions_secrets_are_sealed_until_its_member_is_ordered() {
    let server = start().await;
    let federation = Federation::create(&server).await;
    let rhein = exchange_kit::provider(
        &server,
        &federation,
        "Rhein",
        exchange_kit::profile_in("DE", "de-fra-1"),
    )
    .await;
    exchange_kit::offering(
        &server,
        &federation,
        &rhein,
        &["de-fra-1"],
        json!({"hourly": "0.04"}),
    )
    .await;
    let password = unique("composed-pw");
    let mut properties: Value =
        serde_json::from_str(federa_testkit::EXAMPLE_VM_PROPERTIES).unwrap();
    properties["rootPassword"] = json!(password);
    let created = server
        .post(
            "/api/v1/compositions",
            &federation.consumer_token,
            &json!({
                "groupId": federation.group_id,
                "name": "sealed",
                "components": [{"key": "vm", "name": "vm-1", "serviceTypeId": federation.service_type_id, "properties": properties}],
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert!(
        !created.body.to_string().contains(&password),
        "{}",
        created.body
    );
    let id = created.body["id"].as_str().unwrap();
    let fetched = server
        .get(
            &format!("/api/v1/compositions/{id}"),
            &federation.consumer_token,
        )
        .await;
    assert!(!fetched.body.to_string().contains(&password));
    let service_id = fetched.body["members"][0]["serviceId"]
        .as_str()
        .unwrap_or_else(|| panic!("the member is ordered: {}", fetched.body));
    let member = service(&server, &federation, service_id).await;
    let stored = member["properties"]["rootPassword"].clone();
    let resolved = resolve(&server, &rhein.agent_token, &reference(&stored)).await;
    assert_eq!(
        resolved.body,
        json!({"value": password}),
        "the member's agent reads it"
    );
    let events = server.get("/api/v1/events?pageSize=100", ADMIN_TOKEN).await;
    assert!(!events.body.to_string().contains(&password));
    assert_not_stored(&server, &password).await;
    assert_not_logged(&password);
}

#[tokio::test]
async fn an_action_body_is_checked_by_its_request_schema_and_its_secrets_sealed() {
    let server = start().await;
    let mut lifecycle: Value = serde_json::from_str(EXAMPLE_VM_LIFECYCLE).unwrap();
    lifecycle["actions"].as_array_mut().unwrap().push(json!({
        "name": "resetPassword",
        "requestSchemaType": "properties",
        "transitions": [{"from": "Stopped", "to": "Stopped"}, {"from": "Stopped", "to": "Stopped", "onError": true}],
    }));
    let federation = Federation::create_with(
        &server,
        &json!({
            "name": "VM",
            "propertySchema": serde_json::from_str::<Value>(EXAMPLE_VM_PROPERTY_SCHEMA).unwrap(),
            "lifecycleSchema": lifecycle,
        }),
    )
    .await;
    let ordered = order(&server, &federation, "vm-1", &unique("first-pw")).await;
    let id = ordered["id"].as_str().unwrap();
    finish_next(&server, &federation.agent_token, "complete", json!({})).await;
    let password = unique("action-pw");

    // `start` declares no request schema: a body with properties is refused.
    let refused = server
        .post(
            &format!("/api/v1/services/{id}/start"),
            &federation.consumer_token,
            &json!({"properties": {"rootPassword": password}}),
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(refused.body["errors"][0]["path"], "properties");
    // A declared one is validated by the property schema...
    let invalid = server
        .post(
            &format!("/api/v1/services/{id}/resetPassword"),
            &federation.consumer_token,
            &json!({"properties": {"rootPassword": "short"}}),
        )
        .await;
    assert_eq!(invalid.status, 400, "{}", invalid.body);
    assert_eq!(invalid.body["errors"][0]["path"], "properties.rootPassword");
    // ...and its secrets are sealed before the job carries them.
    let accepted = server
        .post(
            &format!("/api/v1/services/{id}/resetPassword"),
            &federation.consumer_token,
            &json!({"properties": {"rootPassword": password}}),
        )
        .await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    let jobs = pending(&server, &federation.agent_token).await;
    let carried = jobs[0]["params"]["rootPassword"].clone();
    let resolved = resolve(&server, &federation.agent_token, &reference(&carried)).await;
    assert_eq!(resolved.body, json!({"value": password}));
    let listed = server.get("/api/v1/jobs?pageSize=100", ADMIN_TOKEN).await;
    assert!(!listed.body.to_string().contains(&password));
    assert_not_stored(&server, &password).await;
    assert_not_logged(&password);
}
