//! An agent waiting for work: its pending jobs now, or as soon as one is
//! queued for it, within the time it is willing to wait. A job commit in
//! this process wakes the wait directly ([`crate::dispatch`]); one in
//! another replica arrives through the store's job notifications.

use std::future::Future;
use std::time::Duration;

use federa_domain::provisioning::{Job, Service};
use uuid::Uuid;

use crate::dispatch::MAX_WAITERS_PER_AGENT;
use crate::error::{ExchangeError, ExchangeResult};
use crate::Exchange;

/// A wake-up can be missed only while a replica's notification connection
/// reconnects; looking again this often bounds that.
const RECHECK_EVERY: Duration = Duration::from_secs(5);

/// Up to `limit` of `agent_id`'s pending jobs (at most one per service
/// group), waiting up to `wait` for one to be queued when there is none.
/// Answers nothing at once when `closing` resolves, so that the agent asks
/// again, of this server's successor.
pub async fn pending_jobs(
    exchange: &Exchange,
    agent_id: Uuid,
    limit: u32,
    wait: Duration,
    closing: impl Future<Output = ()>,
) -> ExchangeResult<Vec<(Job, Service)>> {
    if wait.is_zero() {
        return Ok(exchange.store.pending_jobs(agent_id, limit).await?);
    }
    let deadline = tokio::time::Instant::now() + wait;
    let handle = exchange.dispatch.waiter(agent_id).ok_or_else(|| {
        ExchangeError::Busy(format!(
            "wait: an agent may hold at most {MAX_WAITERS_PER_AGENT} long-polls open at once"
        ))
    })?;
    tokio::pin!(closing);
    loop {
        let notified = handle.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        // Boxed, so that the parked wait below does not keep room for the
        // read's state: a parked poll holds only its waiter and timers.
        let jobs = Box::pin(exchange.store.pending_jobs(agent_id, limit)).await?;
        let now = tokio::time::Instant::now();
        if !jobs.is_empty() || now >= deadline {
            return Ok(jobs);
        }
        let slice = (deadline - now).min(RECHECK_EVERY);
        tokio::select! {
            _ = tokio::time::timeout(slice, notified) => {}
            () = &mut closing => return Ok(Vec::new()),
        }
    }
}
