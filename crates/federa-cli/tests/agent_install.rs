//! A provider installs Federa's own agent as the README says: the catalogue's
//! agent type, `federa agents install-command`, and the printed command run
//! on the host. The agent trades its one-time credential for its own token,
//! keeps working after the install credential has expired, renews its token
//! before that one expires, and stops, saying why, once its token is taken
//! away.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use federa_testkit::processes::{wait_for, Exchange, KillOnDrop};
use federa_testkit::ADMIN_TOKEN;
use serde_json::{json, Value};
use tokio::process::{Child, Command};

const FEDERA: &str = env!("CARGO_BIN_EXE_federa");
/// How long install commands live on this test's exchange.
const INSTALL_TTL_SECONDS: u64 = 3;

async fn federa(url: &str, token: &str, args: &[&str]) -> Output {
    Command::new(FEDERA)
        .args(args)
        .env("FEDERA_URL", url)
        .env("FEDERA_TOKEN", token)
        .env("FEDERA_CONFIG", "/nonexistent/federa.toml")
        .output()
        .await
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

fn catalogue_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalogue/demo")
}

/// Runs an install command as an operator pastes it into a shell on the
/// agent's host, where `federa` is on the PATH and nothing else is set.
fn run_install_command(command: &str, log: &Path) -> Child {
    let bin = Path::new(FEDERA).parent().unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    Command::new("sh")
        .args(["-c", command])
        .env_clear()
        .env("PATH", path)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

/// Stops what the install command started, as a service manager stops
/// its unit: SIGTERM to the whole process group.
async fn stop_group(child: &mut Child) {
    let group = child.id().unwrap();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", "--", &format!("-{group}")])
        .status()
        .unwrap();
    assert!(sent.success());
    let _ = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("the agent stops");
}

async fn agent_tokens(api: &federa_testkit::Api, agent_id: &str) -> Vec<Value> {
    let tokens = api
        .get(&format!("/api/v1/tokens?agentId={agent_id}"), ADMIN_TOKEN)
        .await;
    assert_eq!(tokens.status, 200, "{:?}", tokens.body);
    tokens.body["items"].as_array().unwrap().clone()
}

/// Orders a website on the agent, starts it and returns its page.
async fn running_website(api: &federa_testkit::Api, consumer_token: &str, order: Value) -> String {
    let created = api.post("/api/v1/services", consumer_token, &order).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let path = format!("/api/v1/services/{}", created.body["id"].as_str().unwrap());
    wait_for(api, consumer_token, &path, "status", "Stopped").await;
    let started = api
        .post(&format!("{path}/start"), consumer_token, &json!({}))
        .await;
    assert!((200..300).contains(&started.status), "{:?}", started.body);
    let service = wait_for(api, consumer_token, &path, "status", "Started").await;
    reqwest::get(service["agentInstanceData"]["url"].as_str().unwrap())
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_installed_agent_outlives_its_install_credential_renews_its_token_and_stops_when_refused(
) {
    let scratch = tempfile::tempdir().unwrap();
    let _cleanup = KillOnDrop(scratch.path().to_path_buf());
    let data = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", data.path().join("federa.db").display());
    let ttl = INSTALL_TTL_SECONDS.to_string();
    let exchange = Exchange::start_with(
        FEDERA,
        &database,
        "127.0.0.1:0",
        60,
        &["--agent-install-ttl-seconds", &ttl],
        data,
    )
    .await;
    let api = &exchange.api;
    let url = api.base.as_str();

    let applied = federa(
        url,
        ADMIN_TOKEN,
        &["catalogue", "apply", catalogue_dir().to_str().unwrap()],
    )
    .await;
    assert!(applied.status.success(), "{}", text(&applied.stderr));
    let agent_type = api
        .get("/api/v1/agent-types?pageSize=100", ADMIN_TOKEN)
        .await
        .body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Federa process agent")
        .cloned()
        .expect("the catalogue's agent type");
    let website = api
        .get("/api/v1/service-types?name=Static%20website", ADMIN_TOKEN)
        .await
        .body["items"][0]["id"]
        .clone();
    assert!(website.is_string(), "the catalogue's static website");
    let provider = api.participant("Provider").await;
    let provider_token = api.token("participant", Some(&provider)).await;
    let consumer = api.participant("Consumer").await;
    let consumer_token = api.token("participant", Some(&consumer)).await;
    let group = api
        .post(
            "/api/v1/service-groups",
            &consumer_token,
            &json!({"name": "web", "consumerId": consumer}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let host = scratch.path().join("host");
    let agent = api
        .post(
            "/api/v1/agents",
            &provider_token,
            &json!({"name": "edge", "providerId": provider, "agentTypeId": agent_type["id"],
                    "configuration": {"configDir": host.join("etc"), "workDir": host.join("work"),
                                      "firstPort": 24700, "lastPort": 24749}}),
        )
        .await;
    assert_eq!(agent.status, 201, "{:?}", agent.body);
    let agent_id = agent.body["id"].as_str().unwrap().to_string();
    let agent_path = format!("/api/v1/agents/{agent_id}");

    // The provider asks for the install command and runs it on the host.
    let printed = federa(
        url,
        &provider_token,
        &["agents", "install-command", &agent_id],
    )
    .await;
    assert!(printed.status.success(), "{}", text(&printed.stderr));
    let command = text(&printed.stdout).trim().to_string();
    assert!(command.starts_with("federa agent --install '"), "{command}");
    let again = federa(
        url,
        &provider_token,
        &["agents", "install-command", &agent_id],
    )
    .await;
    assert_eq!(
        again.status.code(),
        Some(1),
        "a live command is not replaced silently"
    );
    assert!(text(&again.stderr).contains("--regenerate"));
    let log = scratch.path().join("agent.log");
    let mut running = run_install_command(&command, &log);
    wait_for(api, &provider_token, &agent_path, "status", "Connected").await;

    let config_file = host.join("etc/agent.toml");
    let token_file = host.join("etc/agent.token");
    let config = std::fs::read_to_string(&config_file).unwrap();
    assert!(config.contains(&format!("url = \"{url}\"")), "{config}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for file in [&config_file, &token_file] {
            let mode = std::fs::metadata(file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{}", file.display());
        }
    }
    let first_token = std::fs::read_to_string(&token_file).unwrap();
    let tokens = agent_tokens(api, &agent_id).await;
    assert_eq!(
        tokens.len(),
        1,
        "only the exchanged token is left: {tokens:?}"
    );

    // Past the install credential's life, the agent still takes jobs.
    tokio::time::sleep(Duration::from_secs(INSTALL_TTL_SECONDS + 1)).await;
    let expired = api
        .get(&format!("{agent_path}/install-command"), &provider_token)
        .await;
    assert_eq!(
        expired.status, 404,
        "used up by the exchange: {:?}",
        expired.body
    );
    let page = running_website(
        api,
        &consumer_token,
        json!({"name": "after-install", "serviceTypeId": website,
               "groupId": group, "agentId": agent_id,
               "properties": {"content": "<p>served by an installed agent</p>"}}),
    )
    .await;
    assert_eq!(page, "<p>served by an installed agent</p>");
    let agent_now = api.get(&agent_path, &provider_token).await;
    assert_eq!(agent_now.body["status"], "Connected");

    // The agent's token nears its end: the agent renews it by itself. The
    // same install command, run again, finds the agent installed.
    stop_group(&mut running).await;
    // The shell goes at once; the agent finishes its shutdown after it.
    let first_log = scratch.path().join("agent.log");
    let stopped = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let text = std::fs::read_to_string(&first_log).unwrap_or_default();
            if text.contains("agent stopped") {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert!(
        stopped.is_ok(),
        "a clean stop: {}",
        std::fs::read_to_string(&first_log).unwrap_or_default()
    );
    let token_id = tokens[0]["id"].as_str().unwrap();
    let soon = chrono::Utc::now() + chrono::Duration::seconds(12);
    let shortened = api
        .patch(
            &format!("/api/v1/tokens/{token_id}"),
            ADMIN_TOKEN,
            &json!({"expireAt": soon}),
        )
        .await;
    assert_eq!(shortened.status, 200, "{:?}", shortened.body);
    let config = std::fs::read_to_string(&config_file).unwrap();
    std::fs::write(&config_file, format!("token_check_seconds = 1\n{config}")).unwrap();
    let log = scratch.path().join("agent-2.log");
    let mut running = run_install_command(&command, &log);
    let renewed = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let on_file = std::fs::read_to_string(&token_file).unwrap_or_default();
            if !on_file.is_empty() && on_file != first_token {
                return on_file;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no renewal: {}", std::fs::read_to_string(&log).unwrap()));
    assert_ne!(renewed.trim(), first_token.trim());
    let installed_log = std::fs::read_to_string(&log).unwrap();
    assert!(
        installed_log.contains("installed already"),
        "{installed_log}"
    );
    let tokens = agent_tokens(api, &agent_id).await;
    let new_token = tokens
        .iter()
        .find(|t| t["id"] != token_id)
        .expect("a new token");
    let new_expiry =
        chrono::DateTime::parse_from_rfc3339(new_token["expireAt"].as_str().unwrap()).unwrap();
    assert!(new_expiry > chrono::Utc::now() + chrono::Duration::days(300));
    tokio::time::sleep_until(
        tokio::time::Instant::now()
            + (soon - chrono::Utc::now()).to_std().unwrap_or_default()
            + Duration::from_secs(1),
    )
    .await;
    let page = running_website(
        api,
        &consumer_token,
        json!({"name": "after-renewal", "serviceTypeId": website,
               "groupId": group, "agentId": agent_id,
               "properties": {"content": "<p>after the old token ended</p>"}}),
    )
    .await;
    assert_eq!(page, "<p>after the old token ended</p>");

    // Every token of the agent taken away: it stops at once, saying why,
    // with the exit code a service manager does not restart.
    for token in agent_tokens(api, &agent_id).await {
        let deleted = api
            .delete(
                &format!("/api/v1/tokens/{}", token["id"].as_str().unwrap()),
                ADMIN_TOKEN,
            )
            .await;
        assert_eq!(deleted.status, 204);
    }
    let exit = tokio::time::timeout(Duration::from_secs(30), running.wait())
        .await
        .expect("the agent stops instead of retrying forever")
        .unwrap();
    assert_eq!(exit.code(), Some(78), "{exit:?}");
    let stopped_log = std::fs::read_to_string(&log).unwrap();
    assert!(
        stopped_log.contains("refused this agent's token")
            && stopped_log.contains("will not take it again"),
        "{stopped_log}"
    );

    // The used install command, pasted on another host, says what to do.
    let elsewhere = command.replace(
        &host.join("etc").display().to_string(),
        &scratch.path().join("other").display().to_string(),
    );
    let output = Command::new("sh")
        .args(["-c", &elsewhere])
        .env(
            "PATH",
            format!(
                "{}:{}",
                Path::new(FEDERA).parent().unwrap().display(),
                std::env::var("PATH").unwrap()
            ),
        )
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let said = text(&output.stderr);
    assert!(
        said.contains("no longer knows this install command") && said.contains("--regenerate"),
        "{said}"
    );
    exchange.terminate();
}
