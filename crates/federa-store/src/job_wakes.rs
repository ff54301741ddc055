//! Job wake-ups across replicas. A transaction that makes a job claimable
//! sends `pg_notify` on [`CHANNEL`] with the agent's id; every replica's
//! [`relay`] hears it after the commit and wakes that agent's long-polls.
//! SQLite has one server process, which wakes its waiters directly.

use std::time::Duration;

use uuid::Uuid;

/// The PostgreSQL notification channel of claimable jobs.
pub(crate) const CHANNEL: &str = "federa_jobs";

/// Calls `wake` with the agent of each job notification on the PostgreSQL
/// server at `url`, reconnecting after a lost connection; runs until
/// dropped.
pub async fn relay(url: String, wake: impl Fn(Uuid) + Send) {
    loop {
        match sqlx::postgres::PgListener::connect(&url).await {
            Ok(mut listener) => {
                if listener.listen(CHANNEL).await.is_ok() {
                    while let Ok(notification) = listener.recv().await {
                        if let Ok(agent_id) = Uuid::parse_str(notification.payload()) {
                            wake(agent_id);
                        }
                    }
                }
                tracing::warn!("job notification listener lost its connection; reconnecting");
            }
            Err(error) => tracing::warn!(%error, "job notification listener cannot connect"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
