//! Background upkeep: returning jobs whose lease lapsed, moving
//! compositions on, noticing silent agents, and forgetting jobs finished
//! long ago.
//!
//! Every replica may run the sweep. Each step is a conditional update, so
//! when two replicas find the same lapsed job only one of them changes it.

use std::time::Duration;

use crate::clock;
use crate::error::ExchangeResult;
use crate::leases::{sweep_leases, SweepReport};
use crate::Exchange;

/// How long finished jobs are kept. Their events stay in the log, which is
/// the audit trail; the jobs table only needs what agents may still ask for.
pub const JOB_RETENTION: chrono::Duration = chrono::Duration::days(30);
const RETENTION_BATCH: u32 = 1000;

/// Deletes finished jobs older than the retention period, in batches so a
/// large backlog never holds the writer for long.
pub async fn forget_finished_jobs(
    exchange: &Exchange,
    retention: chrono::Duration,
) -> ExchangeResult<u64> {
    let before = clock::now() - retention;
    let mut total = 0;
    loop {
        let deleted = exchange
            .store
            .delete_finished_jobs(before, RETENTION_BATCH)
            .await?;
        total += deleted;
        if deleted < u64::from(RETENTION_BATCH) {
            return Ok(total);
        }
    }
}

const RETENTION_INTERVAL: Duration = Duration::from_secs(3600);

/// How often a server numbers the events committed since (PostgreSQL):
/// every read of the log numbers them too, so this only keeps events
/// committed while nobody reads from piling up.
const NUMBERING_INTERVAL: Duration = Duration::from_secs(1);

/// Numbers committed events every [`NUMBERING_INTERVAL`] until the task is
/// dropped; a failure is logged and retried at the next tick.
async fn number_events(exchange: Exchange) {
    let mut ticker = tokio::time::interval(NUMBERING_INTERVAL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if let Err(error) = exchange.store.number_events().await {
            tracing::warn!(?error, "event numbering failed; retrying at the next tick");
        }
    }
}

/// Runs the sweep every `interval` until the task is dropped. Errors are
/// logged and retried at the next tick: a database outage must not stop it.
pub async fn run(exchange: Exchange, interval: Duration) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_retention = std::time::Instant::now() - RETENTION_INTERVAL;
    loop {
        ticker.tick().await;
        match sweep_leases(&exchange).await {
            Ok(report) if report != SweepReport::default() => {
                tracing::info!(
                    requeued = report.requeued,
                    failed = report.failed,
                    "lapsed job leases handled"
                );
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(?error, "lease sweep failed; retrying at the next tick"),
        }
        // Heals a composition whose step was interrupted (a crash between
        // a job finishing and the next member being ordered).
        if let Err(error) = crate::composing::sweep(&exchange).await {
            tracing::warn!(
                ?error,
                "composition sweep failed; retrying at the next tick"
            );
        }
        // Ends transitional periods that ran out and heals a switch whose
        // step was interrupted the same way.
        if let Err(error) = crate::switching::sweep(&exchange).await {
            tracing::warn!(?error, "switch sweep failed; retrying at the next tick");
        }
        // Heals an order whose service's `create` job finished without it.
        if let Err(error) = crate::orders::settle_provisioning(&exchange).await {
            tracing::warn!(?error, "order settling failed; retrying at the next tick");
        }
        // Expires the orders whose quote lapsed while they waited.
        match crate::orders::expire_lapsed(&exchange).await {
            Ok(0) => {}
            Ok(expired) => tracing::info!(expired, "orders with lapsed quotes expired"),
            Err(error) => tracing::warn!(?error, "order expiry failed; retrying at the next tick"),
        }
        exchange.dispatch.prune();
        if last_retention.elapsed() >= RETENTION_INTERVAL {
            last_retention = std::time::Instant::now();
            match forget_finished_jobs(&exchange, JOB_RETENTION).await {
                Ok(0) => {}
                Ok(deleted) => tracing::info!(deleted, "finished jobs past retention deleted"),
                Err(error) => tracing::warn!(?error, "job retention failed; retrying later"),
            }
        }
    }
}

/// The background tasks of one server; dropping it stops them.
pub struct Background {
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Background {
    /// Starts the lease sweep, the agent liveness sweep and, on PostgreSQL,
    /// the relay of other replicas' notifications (job wake-ups, cleared
    /// read caches) and the numbering of committed events.
    pub fn start(exchange: &Exchange, database_url: &str, sweep_interval: Duration) -> Background {
        let mut tasks = vec![
            tokio::spawn(run(exchange.clone(), sweep_interval)),
            tokio::spawn(crate::liveness::run(exchange.clone())),
        ];
        if database_url.starts_with("postgres") {
            tasks.push(tokio::spawn(number_events(exchange.clone())));
            let dispatch = exchange.dispatch.clone();
            tasks.push(tokio::spawn(federa_store::job_wakes::relay(
                database_url.to_string(),
                exchange.store.read_caches(),
                move |agent_id| dispatch.wake(agent_id),
            )));
        }
        Background { tasks }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}
