//! The README's "Two commands", as a newcomer types them.
//!
//! The commands are read from the README itself, so the tests follow what it
//! says: the first runs in a fresh `git clone` of this repository until the
//! demo reports ready and is then interrupted as Ctrl-C would; the second is
//! the one `.ci/run` runs.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn readme() -> String {
    std::fs::read_to_string(repository().join("README.md")).unwrap()
}

/// The commands of the fenced block under "## Two commands", comments removed.
fn two_commands(readme: &str) -> [String; 2] {
    let section = readme
        .split_once("\n## Two commands\n")
        .expect("the README has a \"Two commands\" section")
        .1;
    let block = section
        .split_once("```sh\n")
        .expect("a ```sh block in \"Two commands\"")
        .1
        .split_once("```")
        .unwrap()
        .0;
    let commands: Vec<String> = block
        .lines()
        .map(|line| line.split_once('#').map_or(line, |(command, _)| command))
        .map(|command| command.trim().to_string())
        .filter(|command| !command.is_empty())
        .collect();
    commands
        .try_into()
        .unwrap_or_else(|commands| panic!("not two commands: {commands:?}"))
}

/// The command the README gives for running the exchange itself.
fn serve_command(readme: &str) -> String {
    let after = readme
        .split_once("To run the exchange itself: `")
        .expect("the README says how to run the exchange itself")
        .1;
    after.split_once('`').unwrap().0.to_string()
}

#[test]
fn the_readme_names_a_demo_and_a_test_command() {
    let [demo, test] = two_commands(&readme());
    assert_eq!(demo, "cargo run --release -- demo");
    assert_eq!(test, "cargo test --workspace");
    assert_eq!(serve_command(&readme()), "cargo run --release -- serve");
}

#[test]
fn ci_runs_the_readmes_test_command_on_both_backends() {
    let [_, test] = two_commands(&readme());
    let ci = std::fs::read_to_string(repository().join(".ci/run")).unwrap();
    let runs: Vec<&str> = ci
        .lines()
        .map(str::trim)
        .filter(|line| !line.starts_with('#') && line.contains("cargo test"))
        .filter(|line| {
            line.split_once(test.as_str())
                .is_some_and(|(_, rest)| rest.split_whitespace().all(|word| word.starts_with("--")))
        })
        .collect();
    assert!(
        runs.iter()
            .any(|line| line.starts_with("env -u FEDERA_TEST_POSTGRES_URL ")),
        "on SQLite: {runs:?}"
    );
    assert!(
        runs.iter()
            .any(|line| line.starts_with("FEDERA_TEST_POSTGRES_URL=")),
        "on PostgreSQL: {runs:?}"
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs `command` (plain words, as the README's are) in `dir`, in its own
/// process group as a terminal's foreground job, with a toolchain environment
/// free of the outer `cargo test`'s variables.
fn shell(command: &str, dir: &Path, listen: &str, target: Option<&Path>, log: &Path) -> Child {
    assert!(
        !command.contains(['|', '&', ';', '<', '>', '$', '`', '\'', '"']),
        "a plain command: {command}"
    );
    let words: Vec<&str> = command.split_whitespace().collect();
    let mut shell = Command::new(words[0]);
    shell
        .args(&words[1..])
        .current_dir(dir)
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap())
        .kill_on_drop(true);
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("CARGO_") && name != "CARGO_HOME" || name == "CARGO" {
            shell.env_remove(name.as_ref());
        }
    }
    if let Some(target) = target {
        shell.env("CARGO_TARGET_DIR", target);
    }
    shell.env("FEDERA_LISTEN", listen);
    shell.spawn().unwrap()
}

/// Reads `child`'s output until a line starting with `ready` and returns
/// every line read.
async fn wait_for_line(child: &mut Child, ready: &str, limit: Duration, log: &Path) -> Vec<String> {
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut lines = Vec::new();
    let read = tokio::time::timeout(limit, async {
        while let Some(line) = stdout.next_line().await.unwrap() {
            let done = line.starts_with(ready);
            lines.push(line);
            if done {
                return true;
            }
        }
        false
    })
    .await;
    let build_log = std::fs::read_to_string(log).unwrap_or_default();
    assert!(
        matches!(read, Ok(true)),
        "no {ready:?} line: {lines:#?}\n{build_log}"
    );
    tokio::spawn(async move { while let Ok(Some(_)) = stdout.next_line().await {} });
    lines
}

/// Sends SIGINT to the process group, as Ctrl-C in a terminal does, and
/// waits for a clean exit.
async fn interrupt(mut child: Child, what: &str, log: &Path) {
    let group = child.id().unwrap();
    let status = std::process::Command::new("kill")
        .args(["-INT", "--", &format!("-{group}")])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(60), child.wait())
        .await
        .unwrap_or_else(|_| panic!("{what} still runs a minute after Ctrl-C"))
        .unwrap();
    assert!(
        exit.success(),
        "{what} after Ctrl-C: {exit:?}\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

/// The release build of a fresh clone takes many minutes cold; `.ci/run` runs
/// this test explicitly and keeps the build in `FEDERA_FRESH_CLONE_TARGET_DIR`
/// between runs.
#[tokio::test]
#[ignore = "builds a fresh clone in release mode (minutes cold); .ci/run runs it with --ignored"]
async fn the_readmes_first_command_runs_the_demo_on_a_fresh_clone() {
    let readme = readme();
    let [demo_command, _] = two_commands(&readme);
    let scratch = tempfile::tempdir().unwrap();
    let clone = scratch.path().join("federa");
    let cloned = std::process::Command::new("git")
        .args(["clone", "--quiet"])
        .arg(repository())
        .arg(&clone)
        .status()
        .unwrap();
    assert!(cloned.success(), "git clone of the repository");
    let target = std::env::var_os("FEDERA_FRESH_CLONE_TARGET_DIR").map(PathBuf::from);
    let log = scratch.path().join("demo.log");

    let started = Instant::now();
    let listen = format!("127.0.0.1:{}", free_port());
    let mut demo = shell(&demo_command, &clone, &listen, target.as_deref(), &log);
    let lines = wait_for_line(
        &mut demo,
        "Press Ctrl-C",
        Duration::from_secs(60 * 60),
        &log,
    )
    .await;
    eprintln!(
        "the demo was ready {:?} after the command",
        started.elapsed()
    );
    assert!(
        lines
            .iter()
            .any(|line| line.trim() == format!("Console:        http://{listen}/console/")),
        "{lines:#?}"
    );
    let health = reqwest::get(format!("http://{listen}/healthz"))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    interrupt(demo, "the demo", &log).await;

    // The README's next command on the same clone: the exchange itself.
    let serve_command = serve_command(&readme);
    let listen = format!("127.0.0.1:{}", free_port());
    let log = scratch.path().join("serve.log");
    let mut serve = shell(&serve_command, &clone, &listen, target.as_deref(), &log);
    let lines = wait_for_line(
        &mut serve,
        "Federa is listening on",
        Duration::from_secs(20 * 60),
        &log,
    )
    .await;
    assert!(
        lines
            .iter()
            .any(|line| line.starts_with("Generated admin token")),
        "the first start prints an admin token: {lines:#?}"
    );
    let ready = reqwest::get(format!("http://{listen}/ready"))
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    interrupt(serve, "the exchange", &log).await;
    assert!(
        clone.join("federa-data/federa.db").exists(),
        "the exchange keeps its data in ./federa-data/"
    );
}
