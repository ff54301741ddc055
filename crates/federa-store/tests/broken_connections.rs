//! The store's pooled connections are not tested as they are taken: when
//! PostgreSQL ends every session of the store (as a restart or an
//! administrator does), the reads and writes that follow are still
//! answered, each on a fresh connection, none failing on a dead one.

mod support;

use std::time::Duration;

use federa_test_database::backend_name;
use sqlx::Connection;

/// More than the store's pool keeps open after the warm-up below, so every
/// connection it holds is tried again.
const REQUESTS: usize = 24;

/// Reads and writes at once, so that they hold many pooled connections
/// together; each one's outcome.
async fn burst(store: &federa_store::Store, name: &str) -> Vec<federa_store::Result<()>> {
    let tasks: Vec<_> = (0..REQUESTS)
        .map(|n| {
            let store = store.clone();
            let name = format!("{name}-{n}");
            tokio::spawn(async move {
                if n % 2 == 0 {
                    store.last_event_sequence().await.map(|_| ())
                } else {
                    support::try_participant(&store, &name).await.map(|_| ())
                }
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.expect("the request ran"));
    }
    outcomes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn requests_after_the_server_ended_every_session_are_answered_on_fresh_connections() {
    if backend_name() != "postgres" {
        eprintln!(
            "SQLite has no server to end its sessions; this runs with FEDERA_TEST_POSTGRES_URL"
        );
        return;
    }
    let test = support::open().await;
    let warm = burst(&test.store, "before").await;
    assert!(warm.iter().all(Result::is_ok), "{warm:?}");

    let mut admin = sqlx::PgConnection::connect(&test.database.url)
        .await
        .expect("connect as an administrator");
    let ended: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_all(&mut admin)
    .await
    .expect("end the store's sessions");
    assert!(
        ended.len() > 1,
        "the warm-up left several pooled connections: {ended:?}"
    );
    // The sessions are gone once the server no longer lists them.
    for _ in 0..50 {
        let left: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .fetch_one(&mut admin)
        .await
        .unwrap();
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let after = burst(&test.store, "after").await;
    let failed: Vec<_> = after.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(
        failed.is_empty(),
        "no request fails on a connection the server ended: {failed:?}"
    );
}
