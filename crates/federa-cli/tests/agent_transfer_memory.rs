//! A large store's data moves from agent to agent in bounded memory: the
//! export is written, served, received, verified and checked a chunk at a
//! time. Alone in its test binary, so the process's peak memory is the
//! transfer's.

mod store_file;
mod transfer_sides;

use std::time::Instant;

use federa_testkit::processes::peak_resident_bytes;
use store_file::write_store_file;
use transfer_sides::Side;
use uuid::Uuid;

/// 256 keys of 1 MiB each.
const KEYS: usize = 256;
const VALUE_BYTES: usize = 1 << 20;

#[tokio::test]
async fn a_quarter_gibibyte_moves_while_the_agents_stay_far_below_its_size() {
    let source = Side::new([24700, 24709]).await;
    let target = Side::new([24710, 24719]).await;
    let store = source.create_store().await;
    let (size, _) = write_store_file(&source.data_file(&store), KEYS, VALUE_BYTES);
    let before = peak_resident_bytes(std::process::id());

    let started = Instant::now();
    let switch_id = Uuid::new_v4();
    let exported = source.export(&store, switch_id, "token").await;
    let exported_in = started.elapsed();
    let moved = target.create_store().await;
    let imported = target
        .import(&moved, switch_id, &exported, "token")
        .await
        .unwrap();
    let peak = peak_resident_bytes(std::process::id());
    eprintln!(
        "{size} bytes: exported in {exported_in:?}, transferred, verified and imported in {:?}; \
         peak resident memory {} MiB before, {} MiB after",
        started.elapsed() - exported_in,
        before >> 20,
        peak >> 20
    );
    assert_eq!(imported.size_bytes, size);
    assert_eq!(imported.sha256, exported.source.sha256);
    assert_eq!(
        std::fs::metadata(target.data_file(&moved)).unwrap().len(),
        size
    );
    assert!(
        peak < size / 8,
        "peak resident memory {peak} bytes for a transfer of {size} bytes"
    );
}
