//! Test support: every test gets its own real database — a fresh SQLite file,
//! or a fresh PostgreSQL database when `FEDERA_TEST_POSTGRES_URL` points at a
//! server — and a real `federa` server listening on a loopback port.

mod api;
mod database;
mod federation;
pub mod postgres_cluster;
pub mod processes;
mod server;

pub use api::Api;
pub use database::{backend_name, TestDatabase};
pub use federation::{
    Federation, EXAMPLE_VM_LIFECYCLE, EXAMPLE_VM_PROPERTIES, EXAMPLE_VM_PROPERTY_SCHEMA,
};
pub use server::{vault_key_hex, Response, TestServer, ADMIN_TOKEN, VAULT_KEY};
