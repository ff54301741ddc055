//! Job leases: a claim is a lease measured from when it was granted,
//! renewed by the agent's heartbeats; a lease that lapses returns the job
//! to the queue or fails it, by the lease policy, visibly.
//!
//! Exactly one of any number of concurrent claims of a job wins: the
//! store's claim is a conditional update. Every replica may sweep; when two
//! find the same lapsed job only one of them changes it.

use chrono::{DateTime, Utc};
use federa_domain::event::Initiator;
use federa_domain::event_kind::EventKind;
use federa_domain::provisioning::{lease_expiry_verdict, ExpiryVerdict, Job, JobStatus, Service};
use serde_json::json;

use crate::clock;
use crate::error::{ExchangeError, ExchangeResult};
use crate::finishing::{check_attempt, record_failure};
use crate::job_events::job_event;
use crate::Exchange;

/// How many lapsed jobs one sweep handles; the next sweep takes the rest.
const SWEEP_BATCH: u32 = 200;

/// Claims `job` for its agent; answers the claim's attempt number, or a
/// conflict when the job is not pending (another claim won).
pub async fn claim(exchange: &Exchange, initiator: Initiator, job: &Job) -> ExchangeResult<i32> {
    let event = job_event(EventKind::JobClaimed, initiator, job, json!({}));
    match exchange
        .store
        .claim_job(
            job.id,
            job.agent_id,
            exchange.lease.duration,
            clock::now,
            &event,
        )
        .await?
    {
        Some(lease) => Ok(lease.attempt),
        None => Err(ExchangeError::Conflict("the job is not pending".into())),
    }
}

/// Claims up to `limit` of `agent_id`'s pending jobs (at most one per
/// service group) and answers them as claimed. Instances of one agent
/// claiming at once take different jobs.
pub async fn claim_next(
    exchange: &Exchange,
    initiator: Initiator,
    agent_id: uuid::Uuid,
    limit: u32,
) -> ExchangeResult<Vec<(Job, Service)>> {
    let event = |job: &Job| job_event(EventKind::JobClaimed, initiator.clone(), job, json!({}));
    Ok(exchange
        .store
        .claim_next_jobs(agent_id, limit, exchange.lease.duration, clock::now, &event)
        .await?)
}

/// Renews the lease of `job` for the claim `attempt`; answers when it now
/// lapses, or a conflict when the job is no longer in progress.
pub async fn renew(
    exchange: &Exchange,
    job: &Job,
    attempt: Option<i32>,
) -> ExchangeResult<DateTime<Utc>> {
    check_attempt(job, attempt)?;
    let now = clock::now();
    let until = now + exchange.lease.duration;
    if exchange
        .store
        .renew_lease(job.id, job.agent_id, attempt, now, until)
        .await?
    {
        Ok(until)
    } else {
        Err(ExchangeError::Conflict("the job is not in progress".into()))
    }
}

/// What one sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    pub requeued: usize,
    pub failed: usize,
}

/// Requeues or fails, by the lease policy, every job whose lease lapsed.
pub async fn sweep_leases(exchange: &Exchange) -> ExchangeResult<SweepReport> {
    let now = clock::now();
    let mut report = SweepReport::default();
    for job in exchange.store.expired_leases(now, SWEEP_BATCH).await? {
        match lease_expiry_verdict(&job, &exchange.lease) {
            ExpiryVerdict::Requeue => {
                let event = job_event(
                    EventKind::JobLeaseExpired,
                    Initiator::system(),
                    &job,
                    json!({"attempts": job.attempts, "outcome": "requeued"}),
                );
                if exchange.store.requeue_job(&job, now, &event).await? {
                    exchange.dispatch.wake(job.agent_id);
                    report.requeued += 1;
                }
            }
            ExpiryVerdict::Fail(message) => {
                if record_failure(
                    exchange,
                    &job,
                    Initiator::system(),
                    &message,
                    &[JobStatus::Processing],
                    Some(now),
                    Some(job.attempts),
                )
                .await?
                {
                    report.failed += 1;
                }
            }
        }
    }
    Ok(report)
}
