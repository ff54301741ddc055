//! What a completion, a failure or a lapsed lease does to a job, decided
//! from the job's current state alone so that retries are safe.

use super::job::{Job, JobStatus, LeasePolicy};

/// The answer to a completion or failure report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Record the outcome.
    Apply,
    /// The same outcome was already recorded: a retried report, answered as success.
    AlreadyDone,
    /// A different outcome was recorded, or the job cannot have this one.
    Conflict(&'static str),
}

/// An agent reports success with the report `digest` identifies; a job
/// completed by another report refuses it, as a failure with another
/// message is refused.
pub fn complete_verdict(status: JobStatus, recorded_digest: Option<&str>, digest: &str) -> Verdict {
    match status {
        JobStatus::Processing => Verdict::Apply,
        JobStatus::Completed if recorded_digest.is_none_or(|recorded| recorded == digest) => {
            Verdict::AlreadyDone
        }
        JobStatus::Completed => {
            Verdict::Conflict("the job has already completed with another report")
        }
        JobStatus::Failed => Verdict::Conflict("the job has already failed"),
        JobStatus::Pending => Verdict::Conflict("the job must be claimed before it is completed"),
    }
}

/// An agent reports failure. A failure of a still-pending job is its agent
/// refusing the job (for example an action it does not support); it is
/// accepted so the job leaves the queue instead of blocking it.
pub fn fail_verdict(status: JobStatus, recorded_message: Option<&str>, message: &str) -> Verdict {
    match status {
        JobStatus::Processing | JobStatus::Pending => Verdict::Apply,
        JobStatus::Failed if recorded_message == Some(message) => Verdict::AlreadyDone,
        JobStatus::Failed => Verdict::Conflict("the job has already failed with another message"),
        JobStatus::Completed => Verdict::Conflict("the job has already completed"),
    }
}

/// What to do with a job whose claim was not renewed in time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpiryVerdict {
    /// Make it visible to its agent again.
    Requeue,
    /// Give up: fail it with this message, routed through the lifecycle.
    Fail(String),
}

pub fn lease_expiry_verdict(job: &Job, policy: &LeasePolicy) -> ExpiryVerdict {
    if job.attempts < policy.max_attempts {
        ExpiryVerdict::Requeue
    } else {
        ExpiryVerdict::Fail(format!(
            "lease expired: the agent claimed the job {} times without finishing it",
            job.attempts
        ))
    }
}
