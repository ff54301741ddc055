//! Provisioning: services, the jobs that change them, and the rules that
//! decide what a claim, a completion or a failure does.

mod agent_choice;
mod effect;
mod job;
mod outcome;
mod service;

pub use agent_choice::{choose_agent, AgentCandidate, NoEligibleAgent};
pub use effect::{
    completion_change, failure_change, CompletionError, CompletionReport, ServiceChange,
};
pub use job::{Job, JobStatus, LeasePolicy, JOB_LIST};
pub use outcome::{complete_verdict, fail_verdict, lease_expiry_verdict, ExpiryVerdict, Verdict};
pub use service::{Service, SERVICE_LIST};
