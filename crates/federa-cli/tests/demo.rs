//! `federa demo` as a newcomer runs it.

use std::process::Stdio;
use std::time::Duration;

use federa_testkit::processes::processes_mentioning;
use federa_testkit::Api;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

fn field<'a>(lines: &'a [String], label: &str) -> &'a str {
    lines
        .iter()
        .find_map(|line| line.trim().strip_prefix(label))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no {label} in {lines:#?}"))
}

#[tokio::test]
async fn the_demo_runs_a_federation_and_leaves_nothing_behind() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut demo = Command::new(env!("CARGO_BIN_EXE_federa"))
        .args(["demo", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(demo.stdout.take().unwrap()).lines();
    let mut lines = Vec::new();
    tokio::time::timeout(Duration::from_secs(120), async {
        while let Some(line) = stdout.next_line().await.unwrap() {
            let done = line.starts_with("Press Ctrl-C");
            lines.push(line);
            if done {
                return;
            }
        }
        panic!("the demo ended early: {lines:#?}");
    })
    .await
    .expect("the demo is ready in time");

    let admin_token = field(&lines, "Admin token:").to_string();
    assert_eq!(
        field(&lines, "Console:"),
        format!("http://127.0.0.1:{port}/console/"),
        "the demo names its web console"
    );
    let data_dir = field(&lines, "Data:").to_string();
    let api = Api::remote(&format!("http://127.0.0.1:{port}"));
    let participants = api.get("/api/v1/participants", &admin_token).await;
    assert_eq!(
        participants.body["totalItems"], 4,
        "three providers and a consumer"
    );
    let agents = api
        .get("/api/v1/agents?status=Connected", &admin_token)
        .await;
    assert_eq!(agents.body["totalItems"], 3);
    let providers: std::collections::HashSet<&str> = agents.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["providerId"].as_str().unwrap())
        .collect();
    assert_eq!(providers.len(), 3, "one agent per provider");
    let services = api
        .get("/api/v1/services?status=Started", &admin_token)
        .await;
    assert_eq!(services.body["totalItems"], 3);

    let index = reqwest::get(field(&lines, "API:").split_whitespace().next().unwrap())
        .await
        .unwrap();
    assert_eq!(index.status(), 200, "the printed API URL answers");
    let index: serde_json::Value = index.json().await.unwrap();
    assert_eq!(index["openapi"], "/api/v1/openapi.json");
    let store = lines
        .iter()
        .find(|l| l.trim().starts_with("sessions"))
        .unwrap();
    let store_url = store.split_whitespace().last().unwrap();
    let usage = reqwest::get(store_url).await.unwrap();
    assert_eq!(
        usage.status(),
        200,
        "the printed key-value store URL answers"
    );
    let usage = usage.text().await.unwrap();
    assert!(usage.contains("PUT    /keys/{key}"), "{usage}");

    let welcome = lines
        .iter()
        .find(|l| l.trim().starts_with("welcome-site"))
        .unwrap();
    let url = welcome.split_whitespace().last().unwrap();
    let page = reqwest::get(url).await.unwrap().text().await.unwrap();
    assert!(page.contains("Welcome to the federation"), "{page}");
    assert!(
        !processes_mentioning(&data_dir).is_empty(),
        "the services run as processes"
    );

    let pid = demo.id().unwrap().to_string();
    std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    while let Ok(Some(line)) = stdout.next_line().await {
        lines.push(line);
    }
    let exit = tokio::time::timeout(Duration::from_secs(60), demo.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(exit.success(), "{exit:?}: {lines:#?}");
    assert!(
        processes_mentioning(&data_dir).is_empty(),
        "a service process outlived the demo"
    );
    assert!(
        !std::path::Path::new(&data_dir).exists(),
        "the demo's data is removed"
    );
}
