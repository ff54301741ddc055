//! Running the `federa` binary as a client of an exchange, as a user would.

// Each test file that includes this module uses only some of it.
#![allow(dead_code)]

use std::process::{Output, Stdio};

use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout};

pub const FEDERA: &str = env!("CARGO_BIN_EXE_federa");

/// `federa ARGS…` against the exchange at `url` with `token`, from the
/// environment, with no profile file to fall back on.
pub async fn federa(url: &str, token: &str, args: &[&str]) -> Output {
    tokio::process::Command::new(FEDERA)
        .args(args)
        .env("FEDERA_URL", url)
        .env("FEDERA_TOKEN", token)
        .env("FEDERA_CONFIG", "/nonexistent/federa.toml")
        .output()
        .await
        .unwrap()
}

/// `federa ARGS…` running on, as [`federa`] runs it, with its output read
/// line by line; it is killed when dropped.
pub fn follow(url: &str, token: &str, args: &[&str]) -> (Child, Lines<BufReader<ChildStdout>>) {
    let mut child = tokio::process::Command::new(FEDERA)
        .args(args)
        .env("FEDERA_URL", url)
        .env("FEDERA_TOKEN", token)
        .env("FEDERA_CONFIG", "/nonexistent/federa.toml")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    (child, lines)
}

/// The next line a [`follow`]ed command prints, within 20 s.
pub async fn next_line(lines: &mut Lines<BufReader<ChildStdout>>) -> String {
    tokio::time::timeout(std::time::Duration::from_secs(20), lines.next_line())
        .await
        .expect("a line arrives")
        .unwrap()
        .expect("the command goes on")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).to_string()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}
