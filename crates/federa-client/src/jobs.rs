//! Jobs, as an agent takes and reports them.

use std::time::Duration;

use federa_api::jobs::{
    ClaimNextReq, CompleteJobReq, FailJobReq, FinishJobsReq, FinishJobsRes, HeartbeatReq, JobRes,
    LeaseRes, CLAIM_ATTEMPT_HEADER,
};
use federa_api::PageRes;
use reqwest::Method;
use uuid::Uuid;

use crate::{Client, ClientError};

/// A claim won on a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claimed {
    /// Which of the job's claims this is, when the exchange says (Fulcrum
    /// Core does not): heartbeats and reports name it back.
    pub attempt: Option<i32>,
}

impl Client {
    /// A page of the jobs the caller may see; `query` is a URL query
    /// (`status=Processing&pageSize=100`), already encoded.
    pub async fn jobs(&self, query: &str) -> Result<PageRes<JobRes>, ClientError> {
        self.fetch(&format!("/jobs?{query}")).await
    }

    /// One job, with its service.
    pub async fn job(&self, id: Uuid) -> Result<JobRes, ClientError> {
        self.fetch(&format!("/jobs/{id}")).await
    }

    /// The calling agent's pending jobs, at most `limit`. A nonzero `wait`
    /// long-polls: the exchange answers once a job exists or the wait ends.
    pub async fn pending_jobs(
        &self,
        limit: u32,
        wait: Duration,
    ) -> Result<Vec<JobRes>, ClientError> {
        let mut path = format!("/jobs/pending?limit={limit}");
        if !wait.is_zero() {
            path.push_str(&format!("&wait={}s", wait.as_secs()));
        }
        // The exchange holds the request open for the wait.
        let timeout = self.retry.timeout.max(wait + Duration::from_secs(10));
        self.send(Method::GET, &path, None, timeout)
            .await?
            .into_json()
    }

    /// Claims one job. Losing the race to another claimant is a refusal
    /// with status 409.
    pub async fn claim_job(&self, id: Uuid) -> Result<Claimed, ClientError> {
        let reply = self
            .send(
                Method::POST,
                &format!("/jobs/{id}/claim"),
                Some(&serde_json::json!({})),
                self.retry.timeout,
            )
            .await?;
        let attempt = reply
            .headers
            .get(CLAIM_ATTEMPT_HEADER)
            .and_then(|value| value.to_str().ok()?.parse().ok());
        reply.into_ok()?;
        Ok(Claimed { attempt })
    }

    /// Claims up to `limit` of the calling agent's pending jobs at once.
    pub async fn claim_next_jobs(&self, limit: u32) -> Result<Vec<JobRes>, ClientError> {
        let body = ClaimNextReq { limit: Some(limit) };
        self.submit(Method::POST, "/jobs/claim", &body).await
    }

    /// Renews the lease of a claimed job.
    pub async fn renew_job_lease(
        &self,
        id: Uuid,
        claim: &HeartbeatReq,
    ) -> Result<LeaseRes, ClientError> {
        self.submit(Method::POST, &format!("/jobs/{id}/heartbeat"), claim)
            .await
    }

    /// Reports a job's success.
    pub async fn complete_job(&self, id: Uuid, report: &CompleteJobReq) -> Result<(), ClientError> {
        self.submit_ok(Method::POST, &format!("/jobs/{id}/complete"), report)
            .await
    }

    /// Reports a job's failure.
    pub async fn fail_job(&self, id: Uuid, report: &FailJobReq) -> Result<(), ClientError> {
        self.submit_ok(Method::POST, &format!("/jobs/{id}/fail"), report)
            .await
    }

    /// Reports several jobs' outcomes in one request (`POST /jobs/finish`,
    /// a Federa extension): each report's answer, in order. A request lost
    /// on the way is sent again like any other; a report the first attempt
    /// recorded is then answered as finished again, never recorded twice.
    pub async fn finish_jobs(&self, reports: &FinishJobsReq) -> Result<FinishJobsRes, ClientError> {
        self.submit(Method::POST, "/jobs/finish", reports).await
    }
}
