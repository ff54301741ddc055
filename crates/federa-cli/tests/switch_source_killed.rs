//! The source agent killed with SIGKILL while the target is part-way
//! through downloading its export, with real parts: `federa serve` on the
//! suite's backend, two `federa agent` processes and a key-value store of
//! 128 MiB run by the source agent as a real process.
//!
//! Restarted on its `listen` address, the source serves the same export
//! under the same certificate (both kept on disk), the target resumes its
//! download where it broke off, and the switch completes with every byte.
//! Gone for longer than the target waits, the switch fails with its reason,
//! the target is removed and the source runs on with every key.

mod store_file;
mod switching;

use std::time::{Duration, Instant};

use federa_testkit::processes::{act, send_signal, terminate, wait_for};
use store_file::{file_digest, store_key, store_value, write_store_file};
use switching::{free_address, wait_for_stage, Switching};

const KEYS: usize = 128;
const VALUE_BYTES: usize = 1 << 20;
/// The log of the source agent once restarted.
const RESTARTED_LOG: &str = "agent-restarted.log";

/// A switch under way whose source agent was just killed while the
/// target had received part of the export.
struct Interrupted {
    switching: Switching,
    source_id: String,
    source_url: String,
    switch_path: String,
    export_bytes: u64,
    export_sha256: String,
}

async fn kill_source_mid_transfer(ports: [[u16; 2]; 2]) -> Interrupted {
    let switching = Switching::start(ports, &free_address()).await;
    let (api, consumer) = (switching.api(), switching.consumer());
    let (source_id, source_path) = switching.order_store().await;
    // Written as the store writes it, before the store starts and loads it.
    let data_file = switching.source.data_file(&source_id);
    let (export_bytes, export_sha256) = write_store_file(&data_file, KEYS, VALUE_BYTES);
    act(api, &switching.federation, &source_path, "start").await;
    let started = wait_for(api, consumer, &source_path, "status", "Started").await;
    let source_url = started["agentInstanceData"]["url"]
        .as_str()
        .unwrap()
        .to_string();

    let (switch, switch_path) = switching.switch_to_germany(&source_id).await;
    let staging = switching
        .target
        .staging_file(switch["id"].as_str().unwrap());
    let began = Instant::now();
    while std::fs::metadata(&staging).map_or(0, |m| m.len()) == 0 {
        assert!(
            began.elapsed() < Duration::from_secs(120),
            "the target never began to download"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    send_signal(switching.source.pid(), "KILL");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let staged = std::fs::metadata(&staging).map_or(0, |m| m.len());
    assert!(
        staged > 0 && staged < export_bytes,
        "killed mid-transfer: {staged} of {export_bytes} bytes had arrived"
    );
    Interrupted {
        switching,
        source_id,
        source_url,
        switch_path,
        export_bytes,
        export_sha256,
    }
}

/// Reads every key from the store at `url` and compares it with what was
/// written.
async fn every_key_reads_back(url: &str) {
    let http = reqwest::Client::new();
    let mut expected = vec![0u8; VALUE_BYTES];
    for i in 0..KEYS {
        let read = http
            .get(format!("{url}keys/{}", store_key(i)))
            .send()
            .await
            .unwrap();
        assert_eq!(read.status(), 200, "key {i} at {url}");
        store_value(i, &mut expected);
        assert!(read.bytes().await.unwrap() == expected, "key {i} at {url}");
    }
}

#[tokio::test]
async fn a_source_agent_killed_mid_transfer_and_restarted_completes_the_switch() {
    let mut interrupted = kill_source_mid_transfer([[24800, 24819], [24820, 24839]]).await;
    interrupted.switching.source.restart(RESTARTED_LOG).await;
    let switching = &interrupted.switching;
    let (api, consumer) = (switching.api(), switching.consumer());

    let cut_over = wait_for_stage(api, consumer, &interrupted.switch_path, "Transitional").await;
    assert_eq!(cut_over["exported"], cut_over["imported"]);
    assert_eq!(cut_over["imported"]["sizeBytes"], interrupted.export_bytes);
    assert_eq!(
        cut_over["imported"]["sha256"],
        interrupted.export_sha256.as_str()
    );
    // The restarted source served the rest, not the whole again.
    let restarted = switching.source.log(RESTARTED_LOG);
    assert!(
        restarted.contains("serving a kept export again") && restarted.contains("bytes="),
        "{restarted}"
    );
    assert!(switching
        .target
        .log("agent.log")
        .contains("a transfer broke off; resuming"));

    let target_path = format!(
        "/api/v1/services/{}",
        cut_over["targetServiceId"].as_str().unwrap()
    );
    act(api, &switching.federation, &target_path, "start").await;
    let target = wait_for(api, consumer, &target_path, "status", "Started").await;
    every_key_reads_back(target["agentInstanceData"]["url"].as_str().unwrap()).await;
    every_key_reads_back(&interrupted.source_url).await;
    let source_path = format!("/api/v1/services/{}", interrupted.source_id);
    assert_eq!(
        api.get(&source_path, consumer).await.body["status"],
        "Started"
    );

    terminate(&switching.source.agent);
    terminate(&switching.target.agent);
}

#[tokio::test]
async fn a_source_agent_gone_longer_than_the_target_waits_fails_the_switch_and_the_source_runs_on()
{
    let mut interrupted = kill_source_mid_transfer([[24840, 24859], [24860, 24879]]).await;
    let (api, consumer) = (
        interrupted.switching.api(),
        interrupted.switching.consumer(),
    );
    let path = interrupted.switch_path.clone();
    let began = Instant::now();
    let failed = loop {
        let read = api.get(&path, consumer).await.body;
        if read["stage"] == "Failed" {
            break read;
        }
        assert!(
            began.elapsed() < Duration::from_secs(120),
            "the switch never failed: {read:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let failure = failed["failure"].as_str().unwrap_or_default();
    assert!(
        failure.contains("the import job failed") && failure.contains("attempts in a row"),
        "{failed:?}"
    );
    assert!(failed["cutOverAt"].is_null());
    let target_path = format!(
        "/api/v1/services/{}",
        failed["targetServiceId"].as_str().unwrap()
    );
    assert_eq!(
        api.get(&target_path, consumer).await.body["status"],
        "Deleted"
    );

    interrupted.switching.source.restart(RESTARTED_LOG).await;
    let switching = &interrupted.switching;
    let consumer = switching.consumer();
    let source_path = format!("/api/v1/services/{}", interrupted.source_id);
    assert_eq!(
        switching.api().get(&source_path, consumer).await.body["status"],
        "Started"
    );
    every_key_reads_back(&interrupted.source_url).await;
    let (size, sha256) = file_digest(&switching.source.data_file(&interrupted.source_id));
    assert_eq!(
        (size, sha256),
        (interrupted.export_bytes, interrupted.export_sha256.clone())
    );

    terminate(&switching.source.agent);
    terminate(&switching.target.agent);
}
