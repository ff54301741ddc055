//! The migrations are compiled into the store by `sqlx::migrate!`, which on
//! a stable compiler does not tell Cargo about the files it read: without
//! this, a new migration file alone would not rebuild the crate, and a
//! cached build would run the migrations it had before.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
