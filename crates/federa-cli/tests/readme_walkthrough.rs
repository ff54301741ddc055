//! The README's walkthrough "First provider, first consumer, first service",
//! its commands run as written against a running exchange, to a service
//! that is started and answers.

use std::path::Path;
use std::process::Stdio;

use federa_testkit::processes::{Exchange, KillOnDrop};
use federa_testkit::ADMIN_TOKEN;

const FEDERA: &str = env!("CARGO_BIN_EXE_federa");

fn repository() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// The `sh` blocks of the walkthrough's section, in order.
fn walkthrough_blocks() -> Vec<String> {
    let readme = std::fs::read_to_string(repository().join("README.md")).unwrap();
    let section = readme
        .split_once("\n## First provider, first consumer, first service\n")
        .expect("the README has the walkthrough")
        .1;
    let section = section.split("\n## ").next().unwrap();
    section
        .split("```sh\n")
        .skip(1)
        .map(|block| block.split_once("```").unwrap().0.to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_walkthrough_reaches_a_running_service() {
    let blocks = walkthrough_blocks();
    assert_eq!(
        blocks.len(),
        2,
        "installing, then the walkthrough: {blocks:?}"
    );
    assert!(blocks[0].contains("cargo install --locked --path crates/federa-cli"));
    assert!(blocks[0].contains("federa serve"));

    let exchange = Exchange::start(FEDERA, 60).await;
    let script = blocks[1]
        .replace("http://127.0.0.1:3000", &exchange.api.base)
        .replace("THE_ADMIN_TOKEN_SERVE_PRINTED", ADMIN_TOKEN);
    assert_ne!(
        script, blocks[1],
        "the script names the exchange and its token"
    );

    // "In this repository's directory": the catalogue is where it says.
    let dir = tempfile::tempdir().unwrap();
    let _cleanup = KillOnDrop(dir.path().to_path_buf());
    std::os::unix::fs::symlink(repository().join("catalogue"), dir.path().join("catalogue"))
        .unwrap();
    let bin = Path::new(FEDERA).parent().unwrap();
    let output = tokio::process::Command::new("sh")
        .args(["-e", "-c", &script])
        .current_dir(dir.path())
        .env(
            "PATH",
            format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
        )
        .env("FEDERA_CONFIG", "/nonexistent/federa.toml")
        .env_remove("FEDERA_URL")
        .env_remove("FEDERA_TOKEN")
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    let printed = String::from_utf8_lossy(&output.stdout).to_string();
    let said = String::from_utf8_lossy(&output.stderr).to_string();
    let agent_log = std::fs::read_to_string(dir.path().join("first-agent.log")).unwrap_or_default();
    assert!(
        output.status.success(),
        "{printed}\n{said}\nagent:\n{agent_log}"
    );
    assert!(
        printed
            .lines()
            .any(|line| line.starts_with("status") && line.contains("Started")),
        "{printed}"
    );

    let services = exchange
        .api
        .get("/api/v1/services?name=hello", ADMIN_TOKEN)
        .await;
    let service = &services.body["items"][0];
    assert_eq!(service["status"], "Started", "{}", services.body);
    let url = service["agentInstanceData"]["url"].as_str().unwrap();
    let page = reqwest::get(url).await.unwrap().text().await.unwrap();
    assert_eq!(page, "<h1>Hello from the federation</h1>");
    assert!(
        dir.path().join("first-agent/agent.token").exists(),
        "the agent keeps its own token"
    );

    // The catalogue applied again changes nothing.
    let again = tokio::process::Command::new(FEDERA)
        .args(["catalogue", "apply", "catalogue/demo"])
        .current_dir(dir.path())
        .env("FEDERA_URL", &exchange.api.base)
        .env("FEDERA_TOKEN", ADMIN_TOKEN)
        .env("FEDERA_CONFIG", "/nonexistent/federa.toml")
        .output()
        .await
        .unwrap();
    let lines = String::from_utf8_lossy(&again.stdout).to_string();
    assert!(again.status.success(), "{lines}");
    assert!(
        lines.lines().count() >= 6 && lines.lines().all(|l| l.starts_with("unchanged")),
        "{lines}"
    );
    exchange.terminate();
}
