//! Installing an agent: the install command, the configuration it
//! downloads, and the one-time exchange for the agent's lasting token.
//! Install credentials and bootstrap tokens never reach a log or a later
//! answer.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, Utc};
use federa_testkit::{Federation, Response, TestServer, ADMIN_TOKEN};
use serde_json::{json, Value};

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

fn assert_not_logged(secret: &str) {
    let logs = logs();
    let logs = logs.lock().unwrap_or_else(|e| e.into_inner());
    assert!(!logs.is_empty(), "the log capture works");
    let found = logs
        .windows(secret.len())
        .any(|window| window == secret.as_bytes());
    assert!(!found, "an install secret was logged");
}

async fn start() -> TestServer {
    logs();
    tracing::debug!("a test server starts; logs are captured");
    TestServer::start().await
}

const CONFIG_TEMPLATE: &str = "region: {{.region}}\napiKey: {{.apiKey}}\n";
const CMD_TEMPLATE: &str =
    "curl -fsS -H 'Authorization: Bearer {{.authToken}}' {{.configUrl}} > /etc/agent.yaml";

/// An agent of a type with install templates and a secret in its
/// configuration; returns its id.
async fn installable_agent(server: &TestServer, federation: &Federation, api_key: &str) -> String {
    let agent_type = server
        .post(
            "/api/v1/agent-types",
            ADMIN_TOKEN,
            &json!({
                "name": "Installable",
                "serviceTypeIds": [federation.service_type_id],
                "configurationSchema": {"properties": {
                    "region": {"type": "string"},
                    "apiKey": {"type": "string", "secret": {"type": "persistent"}},
                }},
                "configTemplate": CONFIG_TEMPLATE,
                "cmdTemplate": CMD_TEMPLATE,
                "configContentType": "application/yaml",
            }),
        )
        .await;
    assert_eq!(agent_type.status, 201, "{:?}", agent_type.body);
    let agent = server
        .post(
            "/api/v1/agents",
            &federation.provider_token,
            &json!({
                "name": "installable",
                "providerId": federation.provider_id,
                "agentTypeId": agent_type.body["id"],
                "configuration": {"region": "eu-north", "apiKey": api_key},
            }),
        )
        .await;
    assert_eq!(agent.status, 201, "{:?}", agent.body);
    agent.body["id"].as_str().unwrap().to_string()
}

fn command_path(agent_id: &str) -> String {
    format!("/api/v1/agents/{agent_id}/install-command")
}

/// The install credential and the bootstrap token of a create answer.
struct Install {
    url: String,
    token: String,
    bootstrap: String,
}

fn parse_install(body: &Value) -> Install {
    let url = body["url"].as_str().expect("url").to_string();
    let token = url
        .strip_suffix("/config")
        .and_then(|u| u.rsplit('/').next())
        .expect("token in url")
        .to_string();
    let command = body["installCommand"].as_str().expect("installCommand");
    let bootstrap = command
        .split("Bearer ")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("bootstrap in command")
        .to_string();
    assert!(command.contains(&url), "{command}");
    Install {
        url,
        token,
        bootstrap,
    }
}

/// GETs a URL with no bearer, or with `bearer`.
async fn fetch(server: &TestServer, url: &str, bearer: Option<&str>) -> (u16, String, String) {
    let mut request = server.http.get(url);
    if let Some(bearer) = bearer {
        request = request.bearer_auth(bearer);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let meta = format!(
        "{}|{}|{}",
        header("content-type"),
        header("cache-control"),
        header("x-content-type-options")
    );
    (status, meta, response.text().await.unwrap())
}

async fn exchange(server: &TestServer, token: &str) -> Response {
    server
        .call(
            "POST",
            &format!("/api/v1/agents/install/{token}/exchange"),
            None,
            None,
        )
        .await
}

/// Moves every install credential of the test's database into the past.
async fn expire_installs(server: &TestServer) {
    use sqlx::Connection;
    let past: DateTime<Utc> = Utc::now() - chrono::Duration::minutes(1);
    let url = &server.database.url;
    if url.starts_with("postgres") {
        let mut db = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query("UPDATE agent_installs SET expires_at = $1")
            .bind(past)
            .execute(&mut db)
            .await
            .unwrap();
        let _ = db.close().await;
    } else {
        let mut db = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query("UPDATE agent_installs SET expires_at = $1")
            .bind(past)
            .execute(&mut db)
            .await
            .unwrap();
        let _ = db.close().await;
    }
}

#[tokio::test]
async fn install_command_serves_the_rendered_configuration_for_five_minutes() {
    let server = start().await;
    let federation = Federation::create(&server).await;
    let api_key = format!("key-{}", uuid::Uuid::now_v7().simple());
    let agent_id = installable_agent(&server, &federation, &api_key).await;

    let before = Utc::now();
    let created = server
        .post(
            &command_path(&agent_id),
            &federation.provider_token,
            &json!({}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let install = parse_install(&created.body);
    assert!(install
        .url
        .ends_with(&format!("/api/v1/agents/install/{}/config", install.token)));
    let expires: DateTime<Utc> = created.body["expiresAt"].as_str().unwrap().parse().unwrap();
    let ttl = expires - before;
    assert!(
        ttl > chrono::Duration::seconds(290) && ttl <= chrono::Duration::seconds(305),
        "{ttl}"
    );

    let again = server
        .post(&command_path(&agent_id), ADMIN_TOKEN, &json!({}))
        .await;
    assert_eq!(again.status, 409, "{:?}", again.body);

    let meta = server
        .get(&command_path(&agent_id), &federation.provider_token)
        .await;
    assert_eq!(meta.status, 200, "{:?}", meta.body);
    let keys: Vec<&String> = meta.body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["createdAt", "expiresAt", "id"]);

    // No bearer is needed; the installer's bootstrap bearer is accepted too.
    let (status, headers, body) = fetch(&server, &install.url, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, format!("region: eu-north\napiKey: {api_key}\n"));
    assert_eq!(headers, "application/yaml|no-store|nosniff");
    let (status, _, _) = fetch(&server, &install.url, Some(&install.bootstrap)).await;
    assert_eq!(status, 200);

    // The bootstrap token is an agent token of this agent until it expires.
    let me = server.get("/api/v1/agents/me", &install.bootstrap).await;
    assert_eq!(me.status, 200, "{:?}", me.body);
    assert_eq!(me.body["id"], agent_id.as_str());

    let unknown = server.url("/api/v1/agents/install/not-a-real-token/config");
    assert_eq!(fetch(&server, &unknown, None).await.0, 404);

    expire_installs(&server).await;
    assert_eq!(fetch(&server, &install.url, None).await.0, 404);
    assert_eq!(exchange(&server, &install.token).await.status, 404);
    // Metadata stays readable after expiry; a new command may now be made.
    let meta = server
        .get(&command_path(&agent_id), &federation.provider_token)
        .await;
    assert_eq!(meta.status, 200);
    let renewed = server
        .post(
            &command_path(&agent_id),
            &federation.provider_token,
            &json!({}),
        )
        .await;
    assert_eq!(renewed.status, 201, "{:?}", renewed.body);
    let renewed = parse_install(&renewed.body);
    assert_eq!(fetch(&server, &renewed.url, None).await.0, 200);
    assert_eq!(
        server
            .get("/api/v1/agents/me", &install.bootstrap)
            .await
            .status,
        403
    );
    server.stop().await;
}

#[tokio::test]
async fn regenerate_and_delete_retire_the_old_credentials() {
    let server = start().await;
    let federation = Federation::create(&server).await;
    let agent_id = installable_agent(&server, &federation, "k").await;
    let path = command_path(&agent_id);

    let none = server
        .post(&format!("{path}/regenerate"), ADMIN_TOKEN, &json!({}))
        .await;
    assert_eq!(none.status, 404, "{:?}", none.body);
    assert_eq!(server.get(&path, ADMIN_TOKEN).await.status, 404);

    let first = parse_install(&server.post(&path, ADMIN_TOKEN, &json!({})).await.body);
    let regenerated = server
        .post(
            &format!("{path}/regenerate"),
            &federation.provider_token,
            &json!({}),
        )
        .await;
    assert_eq!(regenerated.status, 200, "{:?}", regenerated.body);
    let second = parse_install(&regenerated.body);
    assert_ne!(first.token, second.token);
    assert_eq!(fetch(&server, &first.url, None).await.0, 404);
    assert_eq!(
        server
            .get("/api/v1/agents/me", &first.bootstrap)
            .await
            .status,
        403
    );
    assert_eq!(fetch(&server, &second.url, None).await.0, 200);

    let deleted = server.delete(&path, &federation.provider_token).await;
    assert_eq!(deleted.status, 204, "{:?}", deleted.body);
    assert_eq!(fetch(&server, &second.url, None).await.0, 404);
    assert_eq!(
        server
            .get("/api/v1/agents/me", &second.bootstrap)
            .await
            .status,
        403
    );
    assert_eq!(server.delete(&path, ADMIN_TOKEN).await.status, 404);
    assert_eq!(server.get(&path, ADMIN_TOKEN).await.status, 404);

    // Deleting the agent takes a live install along.
    let third = parse_install(&server.post(&path, ADMIN_TOKEN, &json!({})).await.body);
    let gone = server
        .delete(&format!("/api/v1/agents/{agent_id}"), ADMIN_TOKEN)
        .await;
    assert_eq!(gone.status, 204, "{:?}", gone.body);
    assert_eq!(fetch(&server, &third.url, None).await.0, 404);
    server.stop().await;
}

#[tokio::test]
async fn only_templated_agents_of_the_caller_get_install_commands() {
    let server = start().await;
    let federation = Federation::create(&server).await;
    // The federation's own agent type has no templates.
    let plain = server
        .post(
            &command_path(&federation.agent_id),
            &federation.provider_token,
            &json!({}),
        )
        .await;
    assert_eq!(plain.status, 400, "{:?}", plain.body);
    assert_eq!(plain.body["errors"][0]["path"], "agentTypeId");

    let agent_id = installable_agent(&server, &federation, "k").await;
    let stranger = server.participant("Stranger").await;
    let stranger_token = server.token("participant", Some(&stranger)).await;
    for token in [&stranger_token, &federation.consumer_token] {
        let refused = server
            .post(&command_path(&agent_id), token, &json!({}))
            .await;
        assert_eq!(refused.status, 403, "{:?}", refused.body);
    }
    let agent_token = server.token("agent", Some(&agent_id)).await;
    let by_agent = server
        .post(&command_path(&agent_id), &agent_token, &json!({}))
        .await;
    assert_eq!(by_agent.status, 403);
    let anonymous = server
        .call("POST", &command_path(&agent_id), None, None)
        .await;
    assert_eq!(anonymous.status, 401);
    server.stop().await;
}

#[tokio::test]
async fn the_install_is_exchanged_once_for_a_rotatable_agent_token() {
    let server = start().await;
    let federation = Federation::create(&server).await;
    let agent_id = installable_agent(&server, &federation, "k").await;
    let install = parse_install(
        &server
            .post(&command_path(&agent_id), ADMIN_TOKEN, &json!({}))
            .await
            .body,
    );

    let exchanged = exchange(&server, &install.token).await;
    assert_eq!(exchanged.status, 201, "{:?}", exchanged.body);
    assert_eq!(exchanged.body["role"], "agent");
    assert_eq!(exchanged.body["agentId"], agent_id.as_str());
    assert_eq!(
        exchanged.body["participantId"],
        federation.provider_id.as_str()
    );
    let expires: DateTime<Utc> = exchanged.body["expireAt"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(expires - Utc::now() > chrono::Duration::days(300));
    let value = exchanged.body["value"].as_str().unwrap().to_string();
    let me = server.get("/api/v1/agents/me", &value).await;
    assert_eq!(me.body["id"], agent_id.as_str());

    // The bootstrap credentials are spent.
    assert_eq!(exchange(&server, &install.token).await.status, 404);
    assert_eq!(fetch(&server, &install.url, None).await.0, 404);
    assert_eq!(
        server
            .get("/api/v1/agents/me", &install.bootstrap)
            .await
            .status,
        403
    );
    assert_eq!(
        server
            .get(&command_path(&agent_id), ADMIN_TOKEN)
            .await
            .status,
        404
    );

    // The owning participant rotates the agent's token.
    let token_id = exchanged.body["id"].as_str().unwrap();
    let rotated = server
        .post(
            &format!("/api/v1/tokens/{token_id}/regenerate"),
            &federation.provider_token,
            &json!({}),
        )
        .await;
    assert_eq!(rotated.status, 200, "{:?}", rotated.body);
    let new_value = rotated.body["value"].as_str().unwrap();
    assert_eq!(server.get("/api/v1/agents/me", &value).await.status, 403);
    assert_eq!(server.get("/api/v1/agents/me", new_value).await.status, 200);
    server.stop().await;
}

#[tokio::test]
async fn of_concurrent_exchanges_exactly_one_wins() {
    let server = start().await;
    let federation = Federation::create(&server).await;
    let agent_id = installable_agent(&server, &federation, "k").await;
    let install = parse_install(
        &server
            .post(&command_path(&agent_id), ADMIN_TOKEN, &json!({}))
            .await
            .body,
    );
    let mut attempts = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let api = server.api.clone();
        let path = format!("/api/v1/agents/install/{}/exchange", install.token);
        attempts.spawn(async move { api.call("POST", &path, None, None).await.status });
    }
    let statuses: Vec<u16> = attempts.join_all().await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 404),
        "{statuses:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn install_secrets_reach_neither_logs_nor_later_answers() {
    let server = start().await;
    let federation = Federation::create(&server).await;
    let agent_id = installable_agent(&server, &federation, "k").await;
    let path = command_path(&agent_id);
    let first = parse_install(&server.post(&path, ADMIN_TOKEN, &json!({})).await.body);
    fetch(&server, &first.url, None).await;
    let second = parse_install(
        &server
            .post(&format!("{path}/regenerate"), ADMIN_TOKEN, &json!({}))
            .await
            .body,
    );
    fetch(&server, &second.url, None).await;
    fetch(&server, &first.url, None).await;
    let exchanged = exchange(&server, &second.token).await;
    let agent_token = exchanged.body["value"].as_str().unwrap().to_string();
    exchange(&server, &second.token).await;

    let mut later = Vec::new();
    for read in [
        path.clone(),
        format!("/api/v1/agents/{agent_id}"),
        "/api/v1/events?pageSize=100".to_string(),
        format!("/api/v1/tokens?agentId={agent_id}"),
    ] {
        later.push(server.get(&read, ADMIN_TOKEN).await.body.to_string());
    }
    for secret in [
        &first.token,
        &first.bootstrap,
        &second.token,
        &second.bootstrap,
        &agent_token,
    ] {
        assert_not_logged(secret);
        for answer in &later {
            assert!(!answer.contains(secret.as_str()), "{answer}");
        }
    }
    server.stop().await;
}
