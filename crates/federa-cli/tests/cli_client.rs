//! The command-line client against a real exchange and a real agent.

mod command_line;

use command_line::{federa, follow, next_line, stderr, stdout, FEDERA};
use federa_testkit::processes::{agent_config, spawn_agent, wait_for, Exchange, KillOnDrop};
use federa_testkit::{Federation, ADMIN_TOKEN, EXAMPLE_VM_LIFECYCLE};
use serde_json::{json, Value};

/// A federation around a static website type whose one property is its
/// content, with the example VM lifecycle.
async fn website_federation(api: &federa_testkit::Api) -> Federation {
    let website = json!({
        "name": "Static website",
        "propertySchema": {"properties": {"content": {"type": "string", "required": true}}},
        "lifecycleSchema": serde_json::from_str::<Value>(EXAMPLE_VM_LIFECYCLE).unwrap(),
    });
    Federation::create_with(api, &website).await
}

#[tokio::test]
async fn a_service_is_created_started_stopped_and_deleted_from_the_command_line() {
    let exchange = Exchange::start(FEDERA, 60).await;
    let api = &exchange.api;
    let federation = website_federation(api).await;
    let dir = tempfile::tempdir().unwrap();
    let _cleanup = KillOnDrop(dir.path().to_path_buf());
    let config = agent_config(
        dir.path(),
        &api.base,
        &federation.agent_token,
        [24300, 24399],
    );
    let _agent = spawn_agent(FEDERA, &config, &dir.path().join("agent.log"));
    wait_for(
        api,
        &federation.provider_token,
        &format!("/api/v1/agents/{}", federation.agent_id),
        "status",
        "Connected",
    )
    .await;
    let (url, token) = (api.base.as_str(), federation.consumer_token.as_str());

    let created = federa(
        url,
        token,
        &[
            "services",
            "create",
            "--name",
            "site",
            "--type",
            "static website",
            "--group",
            &federation.group_id,
            "--prop",
            "content=<p>from the CLI</p>",
            "--wait",
            "-o",
            "json",
        ],
    )
    .await;
    assert!(created.status.success(), "{}", stderr(&created));
    let service: Value = serde_json::from_str(&stdout(&created)).unwrap();
    assert_eq!(
        service["status"], "Stopped",
        "--wait followed the create job"
    );
    let id = service["id"].as_str().unwrap();

    let started = federa(url, token, &["services", "start", id, "--wait"]).await;
    assert!(started.status.success(), "{}", stderr(&started));
    assert!(
        stdout(&started)
            .lines()
            .any(|l| l.starts_with("status") && l.contains("Started")),
        "{}",
        stdout(&started)
    );
    let port = api.get(&format!("/api/v1/services/{id}"), token).await.body["agentInstanceData"]
        ["port"]
        .as_u64()
        .unwrap();
    let page = reqwest::get(format!("http://127.0.0.1:{port}/"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(page, "<p>from the CLI</p>");

    let listed = federa(url, token, &["services", "list", "--status", "Started"]).await;
    assert!(listed.status.success(), "{}", stderr(&listed));
    let table = stdout(&listed);
    let mut lines = table.lines();
    let header = lines.next().unwrap();
    assert!(
        header.starts_with("ID") && header.contains("NAME") && header.contains("STATUS"),
        "{table}"
    );
    let row = lines.next().expect("one row");
    assert!(
        row.starts_with(id) && row.contains("site") && row.contains("Started"),
        "{table}"
    );
    assert_eq!(
        header.find("STATUS"),
        row.find("Started"),
        "columns are aligned:\n{table}"
    );

    let stopped = federa(
        url,
        token,
        &["services", "stop", id, "--wait", "-o", "json"],
    )
    .await;
    assert!(stopped.status.success(), "{}", stderr(&stopped));
    assert_eq!(
        serde_json::from_str::<Value>(&stdout(&stopped)).unwrap()["status"],
        "Stopped"
    );

    let deleted = federa(
        url,
        token,
        &["services", "delete", id, "--wait", "-o", "json"],
    )
    .await;
    assert!(deleted.status.success(), "{}", stderr(&deleted));
    assert_eq!(
        serde_json::from_str::<Value>(&stdout(&deleted)).unwrap()["status"],
        "Deleted"
    );

    let jobs = federa(
        url,
        token,
        &[
            "jobs",
            "list",
            "--serviceId",
            id,
            "--status",
            "Completed",
            "-o",
            "json",
        ],
    )
    .await;
    assert_eq!(
        serde_json::from_str::<Value>(&stdout(&jobs)).unwrap()["totalItems"],
        4
    );

    // `--start` orders a running service in one command.
    let running = federa(
        url,
        token,
        &[
            "services",
            "create",
            "--name",
            "site-2",
            "--type",
            "Static website",
            "--group",
            &federation.group_id,
            "-p",
            "content=<p>started at once</p>",
            "--start",
            "--wait",
            "-o",
            "json",
        ],
    )
    .await;
    assert!(running.status.success(), "{}", stderr(&running));
    let service: Value = serde_json::from_str(&stdout(&running)).unwrap();
    assert_eq!(service["status"], "Started", "{service}");
    let port = service["agentInstanceData"]["port"].as_u64().unwrap();
    let page = reqwest::get(format!("http://127.0.0.1:{port}/"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(page, "<p>started at once</p>");
    exchange.terminate();
}

/// With no agent running, an order's job stays Pending: `--wait` gives up
/// at its timeout with exit 5 and says what it waited on, and the job is
/// still there for an agent to take.
#[tokio::test]
async fn waiting_on_a_job_no_agent_takes_gives_up_at_the_timeout() {
    let exchange = Exchange::start(FEDERA, 60).await;
    let api = &exchange.api;
    let federation = website_federation(api).await;
    let (url, token) = (api.base.as_str(), federation.consumer_token.as_str());
    let order = |timeout: &'static [&'static str]| {
        let group = federation.group_id.clone();
        async move {
            let mut words = vec![
                "services",
                "create",
                "--name",
                "unattended",
                "--type",
                "static website",
                "--group",
                group.as_str(),
                "--prop",
                "content=<p>waiting</p>",
                "--wait",
            ];
            words.extend_from_slice(timeout);
            federa(url, token, &words).await
        }
    };

    let gave_up = order(&["--wait-timeout", "1"]).await;
    assert_eq!(gave_up.status.code(), Some(5), "{}", stderr(&gave_up));
    assert!(
        stderr(&gave_up).contains("gave up waiting after 1 s: create is still Pending"),
        "{}",
        stderr(&gave_up)
    );
    let jobs = api
        .get("/api/v1/jobs?action=create&status=Pending", token)
        .await;
    assert_eq!(jobs.body["totalItems"], 1, "{}", jobs.body);

    let bad = order(&["--wait-timeout=soon"]).await;
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    exchange.terminate();
}

#[tokio::test]
async fn errors_name_the_field_and_exit_codes_tell_what_went_wrong() {
    let exchange = Exchange::start(FEDERA, 60).await;
    let url = exchange.api.base.as_str();

    let invalid = federa(
        url,
        ADMIN_TOKEN,
        &[
            "participants",
            "create",
            "--set",
            "name=",
            "--set",
            "status=Enabled",
        ],
    )
    .await;
    assert_eq!(invalid.status.code(), Some(1));
    assert!(
        stderr(&invalid).contains("name: must not be empty"),
        "{}",
        stderr(&invalid)
    );

    let forbidden = federa(url, "not-a-token", &["participants", "list"]).await;
    assert_eq!(forbidden.status.code(), Some(1));

    let created = federa(
        url,
        ADMIN_TOKEN,
        &[
            "participants",
            "create",
            "--set",
            "name=Acme",
            "--set",
            "status=Enabled",
            "-o",
            "json",
        ],
    )
    .await;
    assert!(created.status.success(), "{}", stderr(&created));
    let listed = federa(
        url,
        ADMIN_TOKEN,
        &["participants", "list", "--name", "acme"],
    )
    .await;
    assert!(stdout(&listed).contains("Acme"), "{}", stdout(&listed));

    let unreachable = federa("http://127.0.0.1:9", ADMIN_TOKEN, &["participants", "list"]).await;
    assert_eq!(
        unreachable.status.code(),
        Some(3),
        "{}",
        stderr(&unreachable)
    );

    let usage = federa(
        url,
        ADMIN_TOKEN,
        &["participants", "create", "--set", "novalue"],
    )
    .await;
    assert_eq!(usage.status.code(), Some(2));

    let completions = federa(url, ADMIN_TOKEN, &["completions", "bash"]).await;
    assert!(completions.status.success());
    assert!(stdout(&completions).contains("service-types"));
    exchange.terminate();
}

#[tokio::test]
async fn events_tail_follows_the_log() {
    let exchange = Exchange::start(FEDERA, 60).await;
    let (mut tail, mut lines) = follow(
        &exchange.api.base,
        ADMIN_TOKEN,
        &["events", "tail", "-o", "json"],
    );
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    exchange.api.participant("Followed").await;
    let line = next_line(&mut lines).await;
    let event: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(event["type"], "participant.created");
    assert_eq!(event["properties"]["name"], "Followed");
    tail.kill().await.unwrap();
    exchange.terminate();
}

/// The text of `line` from under `title` in `header` to its end.
fn column_onwards(header: &str, line: &str, title: &str) -> String {
    let at = header.find(title).expect("a column title");
    line.chars().skip(at).collect()
}

#[tokio::test]
async fn events_name_their_subject_in_aligned_columns() {
    let exchange = Exchange::start(FEDERA, 60).await;
    let api = &exchange.api;
    let federation = Federation::create(api).await;
    let service_id = federation.order_service(api, "web-01").await;
    api.provider_profile(&federation.provider_id, "FI", "fi-hel-1")
        .await;

    let listed = federa(
        &api.base,
        ADMIN_TOKEN,
        &["events", "list", "--page-size", "100"],
    )
    .await;
    assert!(listed.status.success(), "{}", stderr(&listed));
    let table = stdout(&listed);
    let header = table.lines().next().unwrap();
    assert_eq!(
        header.split_whitespace().collect::<Vec<_>>(),
        ["SEQ", "TIME", "TYPE", "BY", "SUBJECT"],
        "{table}"
    );
    let subject_of = |kind: &str| -> String {
        let line = table
            .lines()
            .find(|line| line.split_whitespace().nth(2) == Some(kind))
            .unwrap_or_else(|| panic!("no {kind}:\n{table}"));
        assert_eq!(line.find(kind), header.find("TYPE"), "aligned:\n{table}");
        column_onwards(header, line, "SUBJECT")
    };
    assert_eq!(subject_of("participant.created"), "participant Provider");
    assert_eq!(subject_of("service_type.created"), "service type VM");
    assert_eq!(subject_of("service.created"), "service web-01");
    assert_eq!(subject_of("job.created"), "service web-01 (create job)");
    assert_eq!(
        subject_of("provider_profile.created"),
        "provider profile of Provider"
    );
    assert!(!table.contains(&service_id), "named, not by id:\n{table}");
    let ordered = table
        .lines()
        .find(|line| line.contains("service.created"))
        .unwrap();
    assert!(
        column_onwards(header, ordered, "BY").starts_with("participant token"),
        "the token that ordered it, by name: {ordered}"
    );

    let (mut tail, mut lines) = follow(&api.base, ADMIN_TOKEN, &["events", "tail"]);
    let header = next_line(&mut lines).await;
    assert!(header.starts_with("SEQ"), "{header}");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    api.participant("Followed Cloud").await;
    let line = next_line(&mut lines).await;
    assert!(line.contains("participant.created"), "{line}");
    assert_eq!(
        line.find("participant.created"),
        header.find("TYPE"),
        "{header}\n{line}"
    );
    assert_eq!(
        column_onwards(&header, &line, "SUBJECT"),
        "participant Followed Cloud",
        "{header}\n{line}"
    );
    tail.kill().await.unwrap();
    exchange.terminate();
}

#[tokio::test]
async fn profiles_in_the_config_file_supply_url_and_token() {
    let exchange = Exchange::start(FEDERA, 60).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "default_profile = \"broken\"\n[profiles.broken]\nurl = \"http://127.0.0.1:9\"\ntoken = \"x\"\n[profiles.local]\nurl = \"{}\"\ntoken = \"{ADMIN_TOKEN}\"\n",
            exchange.api.base
        ),
    )
    .unwrap();
    let run = |args: Vec<&'static str>| {
        let config = config.clone();
        async move {
            tokio::process::Command::new(FEDERA)
                .args(args)
                .env_remove("FEDERA_URL")
                .env_remove("FEDERA_TOKEN")
                .env("FEDERA_CONFIG", &config)
                .output()
                .await
                .unwrap()
        }
    };
    let named = run(vec![
        "--profile",
        "local",
        "participants",
        "list",
        "-o",
        "json",
    ])
    .await;
    assert!(named.status.success(), "{}", stderr(&named));
    assert_eq!(
        serde_json::from_str::<Value>(&stdout(&named)).unwrap()["totalItems"],
        0
    );
    let default = run(vec!["participants", "list"]).await;
    assert_eq!(
        default.status.code(),
        Some(3),
        "the default profile points nowhere"
    );
    let missing = run(vec!["--profile", "nope", "participants", "list"]).await;
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("no profile named nope"),
        "{}",
        stderr(&missing)
    );
    exchange.terminate();
}

#[tokio::test]
async fn whoami_names_the_tokens_role_and_participant() {
    let exchange = Exchange::start(FEDERA, 60).await;
    let api = &exchange.api;
    let federation = Federation::create(api).await;
    let table = federa(&api.base, &federation.consumer_token, &["whoami"]).await;
    assert!(table.status.success(), "{}", stderr(&table));
    let text = stdout(&table);
    assert!(
        text.contains("participant") && text.contains("Consumer"),
        "{text}"
    );
    let json = federa(
        &api.base,
        &federation.agent_token,
        &["whoami", "-o", "json"],
    )
    .await;
    let session: Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(session["role"], "agent");
    assert_eq!(session["agentId"], federation.agent_id.as_str());
    let refused = federa(&api.base, "not-a-token", &["whoami"]).await;
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    exchange.terminate();
}

#[tokio::test]
async fn a_provider_publishes_its_profile_and_offering_from_the_command_line() {
    let exchange = Exchange::start(FEDERA, 60).await;
    let api = &exchange.api;
    let federation = Federation::create(api).await;
    let (url, token) = (api.base.as_str(), federation.provider_token.as_str());
    let profile = json!({"participantId": federation.provider_id, "jurisdiction": "FI",
                         "regions": [{"code": "fi-hel-1", "country": "FI"}]})
    .to_string();
    let published = federa(
        url,
        token,
        &["provider-profiles", "create", "--json", &profile],
    )
    .await;
    assert!(published.status.success(), "{}", stderr(&published));

    let offering = json!({"participantId": federation.provider_id, "serviceTypeId": federation.service_type_id,
                          "regions": ["fi-hel-1"], "price": {"hourly": "0.05"},
                          "exitTerms": {"noticePeriodDays": 14, "switchingCharge": "10"}})
    .to_string();
    let offered = federa(
        url,
        token,
        &[
            "offerings",
            "create",
            "--json",
            &offering,
            "--output",
            "json",
        ],
    )
    .await;
    assert!(offered.status.success(), "{}", stderr(&offered));
    let offered: Value = serde_json::from_str(&stdout(&offered)).unwrap();
    let offering_id = offered["id"].as_str().expect("an offering id");
    assert_eq!(offered["exitTerms"]["noticePeriodDays"], 14, "{offered}");
    assert_eq!(
        offered["exitTerms"]["transitionalPeriodDays"], 30,
        "{offered}"
    );

    let table = federa(url, token, &["offerings", "list"]).await;
    assert!(table.status.success(), "{}", stderr(&table));
    let lines: Vec<String> = stdout(&table).lines().map(str::to_string).collect();
    assert!(lines[0].starts_with("ID"), "{lines:?}");
    assert!(lines[0].contains("PROVIDER"), "{lines:?}");
    assert!(
        lines[0].contains("REGIONS")
            && lines[0].contains("EUR/HOUR")
            && lines[0].contains("NOTICE DAYS")
            && lines[0].contains("SWITCH EUR"),
        "{lines:?}"
    );
    let row = lines
        .iter()
        .find(|line| line.starts_with(offering_id))
        .unwrap_or_else(|| panic!("{lines:?}"));
    let words: Vec<&str> = row.split_whitespace().collect();
    assert!(row.contains("fi-hel-1"), "{row}");
    assert_eq!(words[words.len() - 3..], ["0.05", "14", "10"], "{row}");

    // A consumer may read offerings but not publish them for the provider.
    let refused = federa(
        url,
        &federation.consumer_token,
        &["offerings", "create", "--json", &offering],
    )
    .await;
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("403"), "{}", stderr(&refused));
    let profiles = federa(
        url,
        &federation.consumer_token,
        &["provider-profiles", "list", "--output", "json"],
    )
    .await;
    let profiles: Value = serde_json::from_str(&stdout(&profiles)).unwrap();
    assert_eq!(profiles["items"][0]["jurisdiction"], "FI");

    // A service placed on the offering runs for a moment; the consumer's
    // invoice and the provider's statement both bill it.
    api.report_connected(&federation.agent_token).await;
    let mut order = federation.order("billed-web");
    order.as_object_mut().unwrap().remove("agentId");
    order["placement"] = json!({});
    let ordered = api
        .post("/api/v1/services", &federation.consumer_token, &order)
        .await;
    assert_eq!(ordered.status, 201, "{:?}", ordered.body);
    let service_id = ordered.body["id"].as_str().unwrap().to_string();
    api.run_job(&federation.agent_token, "create").await;
    let started = api
        .post(
            &format!("/api/v1/services/{service_id}/start"),
            &federation.consumer_token,
            &json!({}),
        )
        .await;
    assert_eq!(started.status, 200, "{:?}", started.body);
    api.run_job(&federation.agent_token, "start").await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    let today = chrono::Utc::now().date_naive();
    let (from, to) = (
        today.to_string(),
        (today + chrono::Days::new(1)).to_string(),
    );
    let invoice = federa(
        url,
        &federation.consumer_token,
        &["invoices", "--from", &from, "--to", &to],
    )
    .await;
    assert!(invoice.status.success(), "{}", stderr(&invoice));
    let text = stdout(&invoice);
    assert!(
        text.lines().next().unwrap().starts_with("SERVICE"),
        "{text}"
    );
    assert!(text.contains("billed-web"), "{text}");
    assert!(
        text.contains("Total 0.") && text.contains(" EUR for "),
        "{text}"
    );
    // The service's group is in no project: its subtotal says so.
    assert!(text.contains("  no project: 0."), "{text}");
    let statement = federa(
        url,
        token,
        &[
            "statements",
            "--from",
            &from,
            "--to",
            &to,
            "--output",
            "json",
        ],
    )
    .await;
    assert!(statement.status.success(), "{}", stderr(&statement));
    let statement: Value = serde_json::from_str(&stdout(&statement)).unwrap();
    assert_eq!(statement["participantId"], federation.provider_id.as_str());
    assert_eq!(statement["lines"][0]["serviceName"], "billed-web");
    let csv = federa(
        url,
        &federation.consumer_token,
        &["invoices", "--from", &from, "--to", &to, "--csv"],
    )
    .await;
    assert!(csv.status.success(), "{}", stderr(&csv));
    assert!(
        stdout(&csv).lines().count() >= 2 && stdout(&csv).contains("billed-web"),
        "{}",
        stdout(&csv)
    );
    // An admin must say whose invoice; a malformed date is a usage error.
    let whose = federa(
        url,
        ADMIN_TOKEN,
        &["invoices", "--from", &from, "--to", &to],
    )
    .await;
    assert_eq!(whose.status.code(), Some(1), "{}", stderr(&whose));
    assert!(
        stderr(&whose).contains("--participant") && !stderr(&whose).contains("consumerId"),
        "the flag the user types: {}",
        stderr(&whose)
    );
    let earns = federa(
        url,
        ADMIN_TOKEN,
        &["statements", "--from", &from, "--to", &to],
    )
    .await;
    assert_eq!(earns.status.code(), Some(1), "{}", stderr(&earns));
    assert!(
        stderr(&earns).contains("--participant") && !stderr(&earns).contains("providerId"),
        "{}",
        stderr(&earns)
    );
    let bad = federa(
        url,
        token,
        &["statements", "--from", "yesterday", "--to", &to],
    )
    .await;
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert!(stderr(&bad).contains("--from"), "{}", stderr(&bad));
}

#[tokio::test]
async fn completions_into_a_pipe_closed_early_end_quietly() {
    let mut child = tokio::process::Command::new(FEDERA)
        .args(["completions", "bash"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // As `| head` does once it has its lines: the reader goes away.
    drop(child.stdout.take());
    let output = child.wait_with_output().await.unwrap();
    let stderr = stderr(&output);
    assert!(output.status.success(), "{:?}: {stderr}", output.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[tokio::test]
async fn what_the_exchange_writes_itself_is_only_listed_and_read() {
    for args in [
        &["jobs", "create", "--set", "action=start"][..],
        &["events", "create", "--set", "type=x"][..],
        &["events", "update", "1", "--set", "type=x"][..],
        &["events", "delete", "1"][..],
    ] {
        let output = federa("http://127.0.0.1:9", "t", args).await;
        assert_eq!(output.status.code(), Some(2), "{args:?}: a usage error");
        assert!(
            stderr(&output).contains("unrecognized subcommand"),
            "{}",
            stderr(&output)
        );
    }
    let help = federa("http://127.0.0.1:9", "t", &["jobs", "--help"]).await;
    let help = stdout(&help);
    assert!(
        help.contains("list") && help.contains("get") && !help.contains("create"),
        "{help}"
    );
}

#[tokio::test]
async fn services_help_names_start_and_stop_and_an_actions_help_is_no_error() {
    let help = federa("http://127.0.0.1:9", "t", &["services", "--help"]).await;
    assert!(help.status.success());
    let text = stdout(&help);
    assert!(
        text.contains("federa services start ID") && text.contains("federa services stop ID"),
        "{text}"
    );
    let stop = federa("http://127.0.0.1:9", "t", &["services", "stop", "--help"]).await;
    assert!(stop.status.success(), "{}", stderr(&stop));
    assert!(
        stdout(&stop).starts_with("Usage: federa services stop ID"),
        "{}",
        stdout(&stop)
    );
}

#[tokio::test]
async fn an_admin_makes_a_user_a_member_and_a_personal_token_from_the_command_line() {
    let exchange = Exchange::start(FEDERA, 60).await;
    let api = &exchange.api;
    let federation = Federation::create(api).await;
    let created = federa(
        &api.base,
        ADMIN_TOKEN,
        &["users", "create", "--set", "name=Ada", "-o", "id"],
    )
    .await;
    assert!(created.status.success(), "{}", stderr(&created));
    let user_id = stdout(&created).trim().to_string();
    let listed = federa(&api.base, ADMIN_TOKEN, &["users", "list"]).await;
    assert!(stdout(&listed).contains("Ada"), "{}", stdout(&listed));
    let joined = federa(
        &api.base,
        ADMIN_TOKEN,
        &[
            "memberships",
            "create",
            "--set",
            &format!("userId={user_id}"),
            "--set",
            &format!("participantId={}", federation.consumer_id),
            "--set",
            "role=viewer",
        ],
    )
    .await;
    assert!(joined.status.success(), "{}", stderr(&joined));
    let token = federa(
        &api.base,
        ADMIN_TOKEN,
        &[
            "users",
            "token-create",
            &user_id,
            "--participant",
            &federation.consumer_id,
        ],
    )
    .await;
    assert!(token.status.success(), "{}", stderr(&token));
    let value = stdout(&token).trim().to_string();
    let whoami = federa(&api.base, &value, &["whoami", "-o", "json"]).await;
    assert!(whoami.status.success(), "{}", stderr(&whoami));
    let session: Value = serde_json::from_str(&stdout(&whoami)).unwrap();
    assert_eq!(session["participantId"], federation.consumer_id.as_str());
    exchange.terminate();
}
