//! What other replicas' writes tell this one. A transaction that makes a
//! job claimable sends `pg_notify` on [`CHANNEL`] with the agent's id; one
//! that writes a table feeding the read caches sends the families it
//! changed on [`crate::read_cache::CHANNEL`]. Every replica's [`relay`]
//! hears both after the commit: it wakes that agent's long-polls, or
//! clears those caches. SQLite has one server process, which does both
//! directly.

use std::sync::Arc;
use std::time::Duration;

use uuid::Uuid;

use crate::read_cache::{Families, ReadCaches};

/// The PostgreSQL notification channel of claimable jobs.
pub(crate) const CHANNEL: &str = "federa_jobs";

/// Calls `wake` with the agent of each job notification on the PostgreSQL
/// server at `url` and clears `caches` as other replicas' writes say,
/// reconnecting after a lost connection; runs until dropped. `caches` are
/// trusted only while the listener is connected (see
/// [`ReadCaches::set_listening`]).
pub async fn relay(url: String, caches: Arc<ReadCaches>, wake: impl Fn(Uuid) + Send) {
    loop {
        match sqlx::postgres::PgListener::connect(&url).await {
            Ok(mut listener) => {
                let channels = [CHANNEL, crate::read_cache::CHANNEL];
                if listener.listen_all(channels).await.is_ok() {
                    caches.set_listening(true);
                    while let Ok(notification) = listener.recv().await {
                        if notification.channel() == crate::read_cache::CHANNEL {
                            caches.clear(Families::from_payload(notification.payload()));
                        } else if let Ok(agent_id) = Uuid::parse_str(notification.payload()) {
                            wake(agent_id);
                        }
                    }
                }
                caches.set_listening(false);
                tracing::warn!("notification listener lost its connection; reconnecting");
            }
            Err(error) => tracing::warn!(%error, "notification listener cannot connect"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
