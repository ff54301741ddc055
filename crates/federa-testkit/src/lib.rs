//! Test support: every test gets its own real database — a fresh SQLite file,
//! or a fresh PostgreSQL database when `FEDERA_TEST_POSTGRES_URL` points at a
//! server — and a real `federa` server listening on a loopback port.

use serde::Deserialize;

mod api;
mod federation;
pub mod postgres_cluster;
pub mod processes;
mod server;

pub use api::{Api, Response, ADMIN_TOKEN};
/// The typed client [`Api::client`] hands out, for its resource markers.
pub use federa_client;
pub use federa_test_database::{backend_name, TestDatabase};
pub use federation::{
    Federation, EXAMPLE_VM_LIFECYCLE, EXAMPLE_VM_PROPERTIES, EXAMPLE_VM_PROPERTY_SCHEMA,
};
pub use server::{vault_key_hex, TestServer, VAULT_KEY};

/// Records one line of the reliability summary that `.ci/run` prints after
/// the suite: `dir` is the test's `CARGO_TARGET_TMPDIR`, `name` the
/// property proved; one file per property and backend.
pub fn reliability_summary(dir: &str, name: &str, line: &str) {
    let dir = std::path::Path::new(dir).join("reliability");
    let line = format!("{name} ({}): {line}\n", backend_name());
    eprint!("{line}");
    if std::fs::create_dir_all(&dir).is_ok() {
        let _ = std::fs::write(dir.join(format!("{name}-{}.txt", backend_name())), line);
    }
}

/// The field paths of every error in a 400 answer's body, in order.
pub fn error_paths(body: &serde_json::Value) -> Vec<String> {
    federa_client::api::ErrorRes::deserialize(body)
        .map(|refusal| refusal.errors.into_iter().map(|error| error.path).collect())
        .unwrap_or_default()
}
