//! Moving a key-value store's data from one provider's agent to another's,
//! as a switch does: export at the source, a pinned, token-guarded HTTPS
//! transfer over loopback, import at the target, erase at the source. The
//! stores are real child processes with their own data directories.

mod store_file;
mod transfer_sides;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use federa_agent::process::ProcessDriver;
use federa_agent::transfer::sha256_hex;
use federa_agent::Driver;
use store_file::write_store_file;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use transfer_sides::{any_certificate_client, export_file, job, Side};
use uuid::Uuid;

const KEYS: usize = 10_000;

fn value_of(i: usize) -> String {
    format!(
        "value {i}: \"quoted\", ünïcode & a tab\t{}",
        "v".repeat(i % 50)
    )
}

#[tokio::test]
async fn ten_thousand_keys_move_to_another_agent_and_the_source_is_erased() {
    let source = Side::new([24500, 24549]).await;
    let target = Side::new([24550, 24599]).await;
    let store = source.create_store().await;
    let url = source.start_store(&store).await;
    let http = reqwest::Client::new();
    let written = Instant::now();
    for i in 0..KEYS {
        let status = http
            .put(format!("{url}keys/key-{i:05}"))
            .body(value_of(i))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 204, "key {i}");
    }
    eprintln!("{KEYS} keys written in {:?}", written.elapsed());

    let switch_id = Uuid::new_v4();
    let token = format!("transfer-{}", Uuid::new_v4());
    let exported = source.export(&store, switch_id, &token).await;
    let file = export_file(&source, &store, switch_id);
    let on_disk = std::fs::read(&file).unwrap();
    assert_eq!(exported.source.size_bytes, on_disk.len() as u64);
    assert_eq!(exported.source.sha256, sha256_hex(&on_disk));
    assert_eq!(exported.source.format, "application/json");
    assert!(exported.source.url.starts_with("https://127.0.0.1:"));
    let lifetime = exported.expires_at - chrono::Utc::now();
    assert!(lifetime > chrono::Duration::minutes(59) && lifetime <= chrono::Duration::hours(1));

    let moved = target.create_store().await;
    let started = Instant::now();
    let imported = target
        .import(&moved, switch_id, &exported, &token)
        .await
        .unwrap();
    eprintln!(
        "{} bytes transferred and imported in {:?}",
        imported.size_bytes,
        started.elapsed()
    );
    assert_eq!(imported.sha256, exported.source.sha256);
    assert_eq!(imported.size_bytes, exported.source.size_bytes);

    let target_url = target.start_store(&moved).await;
    let keys: Vec<String> = http
        .get(format!("{target_url}keys"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(keys.len(), KEYS);
    for i in 0..KEYS {
        let value = http
            .get(format!("{target_url}keys/key-{i:05}"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(value, value_of(i), "key {i}");
    }

    // The target acknowledged the whole file: the token is spent.
    let reused = any_certificate_client()
        .get(&exported.source.url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(reused.status(), 410);
    assert!(
        !file.exists(),
        "the source deletes its copy of the data once the target received it"
    );

    let instance: serde_json::Value = serde_json::from_slice(
        &std::fs::read(source.service_dir(&store).join("instance.json")).unwrap(),
    )
    .unwrap();
    let pid = instance["pid"].as_i64().expect("the source runs") as i32;
    let erased = source
        .transfers
        .erase(&source.driver, &job(&store, "erase"))
        .await
        .unwrap();
    assert!(erased.at <= chrono::Utc::now());
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "the source's process {pid} is gone"
    );
    assert!(
        http.get(format!("{url}keys")).send().await.is_err(),
        "nothing answers"
    );
    assert!(!source.service_dir(&store).exists(), "its data is deleted");
    assert!(!file.exists(), "its export is deleted");
    let after_erase = any_certificate_client()
        .get(&exported.source.url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(after_erase.status(), 401, "the export is no longer served");
    target.driver.shutdown().await;
}

#[tokio::test]
async fn a_corrupted_transfer_is_caught_by_its_checksum_and_the_target_is_untouched() {
    let source = Side::new([24600, 24609]).await;
    let target = Side::new([24610, 24619]).await;
    let store = source.create_store().await;
    write_store_file(&source.data_file(&store), 100, 100);
    let switch_id = Uuid::new_v4();
    let exported = source.export(&store, switch_id, "token").await;
    // One byte of a value changes after the export was hashed.
    let file = export_file(&source, &store, switch_id);
    let mut bytes = std::fs::read(&file).unwrap();
    let at = bytes.len() / 2;
    bytes[at] = b'y';
    std::fs::write(&file, &bytes).unwrap();

    let moved = target.create_store().await;
    let target_url = target.start_store(&moved).await;
    let http = reqwest::Client::new();
    http.put(format!("{target_url}keys/kept"))
        .body("as it was")
        .send()
        .await
        .unwrap();
    let before = std::fs::read(target.data_file(&moved)).unwrap();

    let error = target
        .import(&moved, switch_id, &exported, "token")
        .await
        .unwrap_err();
    assert!(error.contains("does not match the export"), "{error}");
    assert!(error.contains(&exported.source.sha256), "{error}");
    assert_eq!(std::fs::read(target.data_file(&moved)).unwrap(), before);
    let kept = http
        .get(format!("{target_url}keys/kept"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        kept.text().await.unwrap(),
        "as it was",
        "still running, untouched"
    );
    assert_eq!(
        std::fs::read_dir(target.dir.path().join("transfers/imports"))
            .unwrap()
            .count(),
        0,
        "nothing of the bad transfer is kept"
    );
    target.driver.shutdown().await;
}

/// Forwards TCP to `to`; the first connection is cut after `cut` bytes
/// from the server. Records the bytes each connection carried back.
async fn cutting_proxy(to: std::net::SocketAddr, cut: u64) -> (u16, Arc<Mutex<Vec<u64>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let carried = Arc::new(Mutex::new(Vec::new()));
    let record = carried.clone();
    tokio::spawn(async move {
        let mut first = true;
        while let Ok((client, _)) = listener.accept().await {
            let limit = if first { cut } else { u64::MAX };
            first = false;
            let record = record.clone();
            tokio::spawn(async move {
                let server = TcpStream::connect(to).await.unwrap();
                let (mut client_read, mut client_write) = client.into_split();
                let (mut server_read, mut server_write) = server.into_split();
                let upstream = tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
                });
                let mut sent = 0u64;
                let mut chunk = vec![0; 16 * 1024];
                while sent < limit {
                    let wanted = chunk.len().min((limit - sent) as usize);
                    match server_read.read(&mut chunk[..wanted]).await {
                        Ok(0) | Err(_) => break,
                        Ok(read) => {
                            if client_write.write_all(&chunk[..read]).await.is_err() {
                                break;
                            }
                            sent += read as u64;
                        }
                    }
                }
                upstream.abort();
                record.lock().unwrap().push(sent);
            });
        }
    });
    (port, carried)
}

#[tokio::test]
async fn a_broken_download_resumes_with_the_rest_only() {
    let source = Side::new([24620, 24629]).await;
    let target = Side::new([24630, 24639]).await;
    let store = source.create_store().await;
    write_store_file(&source.data_file(&store), 1000, 8 * 1024);
    let switch_id = Uuid::new_v4();
    let mut exported = source.export(&store, switch_id, "token").await;
    let size = exported.source.size_bytes;
    let served_at: reqwest::Url = exported.source.url.parse().unwrap();
    let to = format!("127.0.0.1:{}", served_at.port().unwrap())
        .parse()
        .unwrap();
    let cut = size * 3 / 4;
    let (port, carried) = cutting_proxy(to, cut).await;
    exported.source.url = exported.source.url.replace(
        &format!(":{}/", served_at.port().unwrap()),
        &format!(":{port}/"),
    );

    let moved = target.create_store().await;
    let imported = target
        .import(&moved, switch_id, &exported, "token")
        .await
        .unwrap();
    assert_eq!(imported.sha256, exported.source.sha256);
    assert_eq!(
        sha256_hex(&std::fs::read(target.data_file(&moved)).unwrap()),
        exported.source.sha256
    );
    // Closed connections have recorded what they carried by the time the
    // import's last request returned; give the proxy a moment to log.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let carried = carried.lock().unwrap().clone();
    eprintln!("{size} bytes; carried per connection: {carried:?}");
    assert!(carried.len() >= 2, "{carried:?}");
    assert_eq!(carried[0], cut, "the first connection was cut");
    let after_cut: u64 = carried[1..].iter().sum();
    assert!(
        after_cut < size - cut + 64 * 1024,
        "only the rest was fetched again: {after_cut} bytes after the cut of {size}"
    );
}

#[tokio::test]
async fn a_wrong_token_a_spent_token_an_expired_token_and_a_wrong_certificate_are_refused() {
    let source = Side::with_expiry([24640, 24649], 2).await;
    let target = Side::new([24650, 24659]).await;
    let store = source.create_store().await;
    write_store_file(&source.data_file(&store), 10, 10);
    let switch_id = Uuid::new_v4();
    let exported = source.export(&store, switch_id, "the-token").await;
    let knock = |token: &'static str| {
        any_certificate_client()
            .get(&exported.source.url)
            .bearer_auth(token)
            .send()
    };
    let wrong = knock("not-the-token").await.unwrap();
    assert_eq!(wrong.status(), 401);
    let body: serde_json::Value = wrong.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("transfer token"));
    let without = any_certificate_client()
        .get(&exported.source.url)
        .send()
        .await
        .unwrap();
    assert_eq!(without.status(), 401);

    let moved = target.create_store().await;
    let error = target
        .import(&moved, switch_id, &exported, "not-the-token")
        .await
        .unwrap_err();
    assert!(error.contains("401"), "{error}");

    let mut impostor = exported.clone();
    impostor.source.certificate_sha256 = "00".repeat(32);
    let error = target
        .import(&moved, switch_id, &impostor, "the-token")
        .await
        .unwrap_err();
    assert!(error.contains("certificate"), "{error}");
    assert!(error.contains("refusing to connect"), "{error}");

    // The right token still works, once.
    let ranged = knock("the-token").await.unwrap();
    assert_eq!(ranged.status(), 200);
    target
        .import(&moved, switch_id, &exported, "the-token")
        .await
        .unwrap();
    let error = target
        .import(&moved, switch_id, &exported, "the-token")
        .await
        .unwrap_err();
    assert!(error.contains("410"), "{error}");

    // Another export of the same store expires unfetched.
    let later = Uuid::new_v4();
    let unfetched = source.export(&store, later, "the-token").await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let expired = any_certificate_client()
        .get(&unfetched.source.url)
        .bearer_auth("the-token")
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status(), 410);
}

#[tokio::test]
async fn a_service_that_is_not_a_store_cannot_move_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let driver = ProcessDriver::new(dir.path().to_path_buf(), [24660, 24669], true, false).unwrap();
    let mut website = job(&Uuid::new_v4().to_string(), "erase");
    website.properties.clear();
    let error = driver.erase(&website).await.unwrap_err().to_string();
    assert!(error.contains("not supported"), "{error}");
}
