//! The agent's loops: resume the jobs it held before a restart, take jobs,
//! run them through the driver, keep their leases alive, report health and
//! metrics and what the platform shows of its services, and stop cleanly.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use federa_client::api::agents::{AgentRes, AgentStatus};
use federa_client::api::jobs::{
    CompleteJobReq, FailJobReq, FinishJobReq, HeartbeatReq, JobRes, JobStatus,
};
use federa_client::api::metric_entries::{MetricEntryBatchReq, MetricEntryReq};
use federa_client::api::observations::{ObservationReq, ObservationsReq};
use federa_client::api::services::ServiceRes;
use federa_client::{Client, ClientError, RetryPolicy, Services, StatusCode};
use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use uuid::Uuid;

use crate::config::AgentConfig;
use crate::credentials::{refuses_token, renewal_due, write_token_file, CredentialRefused};
use crate::driver::{Driver, JobContext, MetricSample, ServiceRecord};
use crate::reports::Reports;
use crate::secrets;
use crate::transfer::jobs as switch_jobs;
use crate::transfer::Transfers;

/// How long a stopping agent waits for running jobs.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

pub struct Runtime {
    client: Client,
    /// Jobs' reports, sent together when they are ready together.
    reports: Reports,
    config: AgentConfig,
    driver: Arc<dyn Driver>,
    /// Exports served and imports received, with a `[transfer]` section.
    transfers: Option<Transfers>,
    /// Set, with the exchange's words, once the token is refused for good.
    refused: tokio::sync::watch::Sender<Option<String>>,
}

/// Connects and runs until `shutdown` resolves.
pub async fn run(
    config: AgentConfig,
    driver: Arc<dyn Driver>,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let client = Client::new(&config.url, &config.token()?)?;
    let transfers = match &config.transfer {
        Some(transfer) => Some(Transfers::start(transfer).await?),
        None => None,
    };
    let runtime = Arc::new(Runtime {
        reports: Reports::start(client.clone()),
        client,
        config,
        driver,
        transfers,
        refused: tokio::sync::watch::Sender::new(None),
    });
    runtime.run(shutdown).await
}

impl Runtime {
    async fn run(self: Arc<Self>, shutdown: impl Future<Output = ()> + Send) -> anyhow::Result<()> {
        tokio::pin!(shutdown);
        let agent = tokio::select! {
            agent = self.connect() => agent?,
            _ = &mut shutdown => return Ok(()),
        };
        tracing::info!(agent = %agent.id, name = %agent.name, "agent connected");
        let background = [
            tokio::spawn(self.clone().report_health()),
            tokio::spawn(self.clone().report_metrics()),
            tokio::spawn(self.clone().report_observations()),
            tokio::spawn(self.clone().renew_token()),
        ];
        let slots = Arc::new(Semaphore::new(self.config.concurrency));
        let mut jobs = JoinSet::new();
        tokio::select! {
            _ = &mut shutdown => {}
            _ = self.resume_held_jobs(&slots, &mut jobs) => {}
        }
        let mut refused = self.refused.subscribe();
        let mut outcome = Ok(());
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                Ok(reason) = refused.wait_for(Option::is_some) => {
                    outcome = Err(CredentialRefused(reason.clone().unwrap_or_default()));
                    break;
                }
                _ = self.take_jobs(&slots, &mut jobs) => {}
            }
            while jobs.try_join_next().is_some() {}
        }
        tracing::info!(
            running = jobs.len(),
            "agent stopping; finishing running jobs"
        );
        let _ = tokio::time::timeout(SHUTDOWN_GRACE, async {
            while jobs.join_next().await.is_some() {}
        })
        .await;
        for task in background {
            task.abort();
        }
        self.driver.shutdown().await;
        let _ = self
            .client
            .report_agent_status(AgentStatus::Disconnected)
            .await;
        tracing::info!("agent stopped");
        Ok(outcome?)
    }

    /// The exchange refused the token: unless the token file now holds
    /// another one (renewed, or replaced by the operator), the agent stops.
    fn token_refused(&self, error: &ClientError) {
        if let Some(file) = &self.config.token_file {
            if let Ok(text) = std::fs::read_to_string(file) {
                let on_file = text.trim();
                if !on_file.is_empty() && on_file != self.client.bearer_value() {
                    tracing::info!(file = %file.display(), "the token file holds a new token; using it");
                    self.client.set_token(on_file);
                    return;
                }
            }
        }
        tracing::error!(%error, "the exchange refused the agent's token");
        self.refused.send_replace(Some(error.to_string()));
    }

    /// Renews the agent's token in the last third of its life, keeping the
    /// new one in the token file. Without a token file a renewed token
    /// could not outlive the process, so the agent only warns.
    async fn renew_token(self: Arc<Self>) {
        loop {
            match self.renew_if_due().await {
                Ok(()) => {}
                Err(error) if refuses_token(&error) => self.token_refused(&error),
                Err(error) => tracing::warn!(%error, "cannot check the agent's token"),
            }
            tokio::time::sleep(self.config.token_check()).await;
        }
    }

    async fn renew_if_due(&self) -> Result<(), ClientError> {
        let current = self.client.agent_token().await?;
        let Some(expires) = current.expire_at else {
            return Ok(());
        };
        if !renewal_due(current.created_at, expires, chrono::Utc::now()) {
            return Ok(());
        }
        let Some(file) = &self.config.token_file else {
            tracing::warn!(%expires, "the agent's token expires soon; set token_file so the agent can renew it");
            return Ok(());
        };
        let renewed = self.client.renew_agent_token().await?;
        let Some(value) = renewed.value.as_deref() else {
            return Err(ClientError::Decode("no token value in the renewal".into()));
        };
        if let Err(error) = write_token_file(file, value) {
            // The old token works for an hour yet: try again next time.
            tracing::error!(%error, "cannot keep the renewed token; the old one stays in use");
            return Ok(());
        }
        self.client.set_token(value);
        tracing::info!(expires = ?renewed.expire_at, "renewed the agent's token");
        Ok(())
    }

    /// Reads the agent's own record and says it is connected, retrying
    /// until the exchange answers; a refused token is fatal.
    async fn connect(&self) -> anyhow::Result<AgentRes> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = async {
                let me = self.client.agent_me().await?;
                self.client
                    .report_agent_status(AgentStatus::Connected)
                    .await?;
                Ok::<AgentRes, ClientError>(me)
            }
            .await;
            match result {
                Ok(me) => return Ok(me),
                Err(error) if refuses_token(&error) => {
                    return Err(CredentialRefused(error.to_string()).into())
                }
                Err(ClientError::Refused {
                    status, message, ..
                }) if status.is_client_error() => {
                    anyhow::bail!("the exchange refused the agent: {status} {message}")
                }
                Err(error) => {
                    let wait = RetryPolicy::default().backoff(attempt);
                    tracing::warn!(%error, ?wait, "cannot reach the exchange yet");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// Runs again, at once, the jobs this agent holds a claim on: an earlier
    /// run of it was stopped or killed while they ran. Waiting for their
    /// leases to lapse would leave them idle for up to a lease; running them
    /// again is safe because a driver's `execute` may be repeated.
    async fn resume_held_jobs(self: &Arc<Self>, slots: &Arc<Semaphore>, jobs: &mut JoinSet<()>) {
        let held = match self
            .client
            .jobs("status=Processing&pageSize=100&sort=createdAt")
            .await
        {
            Ok(page) => page.items,
            Err(error) => {
                tracing::warn!(%error, "cannot list the jobs this agent holds; their leases will lapse and they will be retried");
                return;
            }
        };
        for listed in held {
            let id = listed.id;
            // The single job carries its service, which the driver needs.
            let job = match self.client.job(id).await {
                Ok(job) if job.status == JobStatus::Processing => job,
                Ok(_) => continue,
                Err(error) => {
                    tracing::warn!(job = %id, %error, "cannot read a held job; its lease will lapse");
                    continue;
                }
            };
            let Ok(slot) = slots.clone().acquire_owned().await else {
                return;
            };
            if !self.renew(id).await {
                continue;
            }
            tracing::info!(job = %id, action = %job.action, "resuming a job this agent held before it restarted");
            // The claim it held is the job's latest: it is still Processing.
            // An exchange that counts no claims answers 0.
            let claim = Claim {
                attempt: Some(job.attempts).filter(|attempts| *attempts > 0),
            };
            let runtime = self.clone();
            jobs.spawn(async move {
                runtime.work(job, claim).await;
                drop(slot);
            });
        }
    }

    /// Renews a job's lease once; false when the exchange says the job is
    /// no longer this agent's.
    async fn renew(&self, id: Uuid) -> bool {
        match self
            .client
            .renew_job_lease(id, &HeartbeatReq::default())
            .await
        {
            Err(ClientError::Refused { status, .. }) => {
                tracing::warn!(job = %id, %status, "a held job's lease cannot be renewed; leaving it");
                false
            }
            // Renewed, or unreachable for now: the job is still ours, run it.
            Ok(_) | Err(_) => true,
        }
    }

    /// One round: wait for a free slot, long-poll, claim and start jobs.
    async fn take_jobs(self: &Arc<Self>, slots: &Arc<Semaphore>, jobs: &mut JoinSet<()>) {
        let Ok(first) = slots.clone().acquire_owned().await else {
            return;
        };
        let free = slots.available_permits() + 1;
        let wait = self.config.poll_wait();
        let started = Instant::now();
        let pending = match self.client.pending_jobs(free as u32, wait).await {
            Ok(pending) => pending,
            Err(error) if refuses_token(&error) => {
                self.token_refused(&error);
                tokio::time::sleep(Duration::from_secs(2)).await;
                return;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot fetch pending jobs");
                tokio::time::sleep(Duration::from_secs(2)).await;
                return;
            }
        };
        if pending.is_empty() && started.elapsed() < wait / 2 {
            // A server without long-poll answers at once: poll gently.
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        let mut permit = Some(first);
        for job in pending {
            let Some(slot) = permit
                .take()
                .or_else(|| slots.clone().try_acquire_owned().ok())
            else {
                break;
            };
            if let Some(claim) = self.claim(job.id).await {
                let runtime = self.clone();
                jobs.spawn(async move {
                    runtime.work(job, claim).await;
                    drop(slot);
                });
            } else {
                permit = Some(slot);
            }
        }
    }

    /// Claims a job; `None` when another instance took it. The claim won
    /// is named by the exchange's `Federa-Claim-Attempt` header when it
    /// sends one, and heartbeats and reports name it back, so that once
    /// the lease lapsed and another claim superseded this one, they are
    /// refused instead of finishing the other claim's job.
    async fn claim(&self, id: Uuid) -> Option<Claim> {
        match self.client.claim_job(id).await {
            Ok(claimed) => Some(Claim {
                attempt: claimed.attempt,
            }),
            Err(error) if error.status() == Some(StatusCode::CONFLICT) => None,
            Err(ClientError::Refused { status, .. }) => {
                tracing::warn!(job = %id, %status, "claim refused");
                None
            }
            Err(error) => {
                tracing::warn!(job = %id, %error, "claim failed");
                None
            }
        }
    }

    /// Runs one claimed job to its report.
    async fn work(self: Arc<Self>, job: JobRes, claim: Claim) {
        let id = job.id;
        let action = job.action.clone();
        let lease = tokio::spawn(self.clone().renew_lease(id, claim));
        let result = match self.context(&job).await {
            Ok(context) => {
                tracing::info!(job = %id, %action, service = %context.service_name, "running job");
                self.carry_out(&job, &context).await
            }
            Err(message) => Err(message),
        };
        lease.abort();
        let report = match &result {
            Ok(report) => {
                let report = CompleteJobReq {
                    attempt: claim.attempt,
                    ..report.clone()
                };
                self.reports.send(FinishJobReq::completed(id, report)).await
            }
            Err(message) => {
                let report = FailJobReq {
                    error_message: message.clone(),
                    attempt: claim.attempt,
                };
                self.reports.send(FinishJobReq::failed(id, report)).await
            }
        };
        match report {
            Ok(()) => match result {
                Ok(_) => tracing::info!(job = %id, %action, "job completed"),
                Err(message) => tracing::warn!(job = %id, %action, %message, "job failed"),
            },
            Err(error) => {
                tracing::error!(job = %id, %action, %error, "cannot report the job's outcome; its lease will lapse and it will be retried")
            }
        }
        // What the job left on the platform, as the service now stands.
        match self.client.read::<Services>(job.service_id).await {
            Ok(service) => {
                self.observe_and_report(&[service_record(service)]).await;
            }
            Err(error) => tracing::debug!(%error, "cannot read the service to observe it"),
        }
    }

    /// Reports, on a period, what the driver observes of every service of
    /// this agent. A server that takes no observations (Fulcrum Core)
    /// answers 404 or 405, and reporting stops.
    async fn report_observations(self: Arc<Self>) {
        loop {
            tokio::time::sleep(self.config.observe_interval()).await;
            let services = match self.own_services().await {
                Ok(services) => services,
                Err(error) => {
                    tracing::warn!(%error, "cannot list this agent's services to observe them");
                    continue;
                }
            };
            if !self.observe_and_report(&services).await {
                return;
            }
        }
    }

    /// The services the exchange has placed on this agent.
    async fn own_services(&self) -> Result<Vec<ServiceRecord>, ClientError> {
        let mut records = Vec::new();
        for page in 1u64.. {
            let reply = self
                .client
                .list::<Services>(&format!("pageSize=100&page={page}"))
                .await?;
            let last = reply.items.is_empty() || page >= reply.total_pages;
            records.extend(reply.items.into_iter().map(service_record));
            if last {
                break;
            }
        }
        Ok(records)
    }

    /// Asks the driver about `services` and reports what it saw; false when
    /// the exchange takes no observations.
    async fn observe_and_report(&self, services: &[ServiceRecord]) -> bool {
        if services.is_empty() {
            return true;
        }
        // Taken before looking, so a change made meanwhile is newer.
        let observed_at = chrono::Utc::now();
        let observed = self.driver.observe(services).await;
        if observed.is_empty() {
            return true;
        }
        let observations = observed
            .iter()
            .filter_map(|o| {
                Some(ObservationReq {
                    service_id: exchange_id(&o.service_id)?,
                    state: o.state,
                    observed_at: Some(observed_at),
                })
            })
            .collect();
        match self
            .client
            .report_observations(&ObservationsReq { observations })
            .await
        {
            Ok(_) => true,
            Err(error) if takes_none(&error) => {
                tracing::info!("the exchange takes no observations; not reporting them");
                false
            }
            Err(error @ ClientError::Refused { .. }) => {
                tracing::warn!(%error, "observations refused");
                true
            }
            Err(error) => {
                tracing::warn!(%error, "observations not reported");
                true
            }
        }
    }

    /// Has the driver, or for a switch's steps the transfers with the
    /// driver, carry out one job; the completion to report.
    async fn carry_out(
        &self,
        job: &JobRes,
        context: &JobContext,
    ) -> Result<CompleteJobReq, String> {
        if switch_jobs::is_switch_action(&job.action) {
            return switch_jobs::carry_out(
                self.transfers.as_ref(),
                self.driver.as_ref(),
                &self.client,
                job,
                context,
            )
            .await;
        }
        let outcome = self
            .driver
            .execute(context)
            .await
            .map_err(|e| e.to_string())?;
        Ok(CompleteJobReq {
            agent_instance_id: outcome.agent_instance_id,
            agent_instance_data: outcome.agent_instance_data,
            properties: outcome.properties,
            ..CompleteJobReq::default()
        })
    }

    /// The driver's view of a job: the requested properties for `create`
    /// and `update`, the service's otherwise, with secrets resolved.
    async fn context(&self, job: &JobRes) -> Result<JobContext, String> {
        let service = job.service.as_ref();
        let properties = match (&job.params, job.action.as_str()) {
            (Some(Value::Object(params)), "create" | "update") => params.clone(),
            _ => service.map(|s| s.properties.clone()).unwrap_or_default(),
        };
        let mut properties = properties;
        secrets::resolve(&self.client, &mut properties).await?;
        Ok(JobContext {
            job_id: job.id.to_string(),
            action: job.action.clone(),
            service_id: job.service_id.to_string(),
            service_name: service.map(|s| s.name.clone()).unwrap_or_default(),
            properties,
            agent_instance_id: service.and_then(|s| s.agent_instance_id.clone()),
            agent_instance_data: service
                .and_then(|s| s.agent_instance_data.clone())
                .filter(|v| !v.is_null()),
        })
    }

    /// Renews the job's lease until aborted. A server without leases
    /// answers 404 or 405, and renewal stops.
    async fn renew_lease(self: Arc<Self>, id: Uuid, claim: Claim) {
        let renewal = HeartbeatReq {
            attempt: claim.attempt,
        };
        loop {
            tokio::time::sleep(self.config.heartbeat()).await;
            match self.client.renew_job_lease(id, &renewal).await {
                Ok(_) => {}
                Err(error) if takes_none(&error) => return,
                Err(ClientError::Refused { status, .. }) => {
                    tracing::warn!(job = %id, %status, "lease renewal refused")
                }
                Err(error) => tracing::warn!(job = %id, %error, "lease renewal failed"),
            }
        }
    }

    /// Says the agent is alive, as Fulcrum's agents do, on every heartbeat.
    async fn report_health(self: Arc<Self>) {
        loop {
            tokio::time::sleep(self.config.heartbeat()).await;
            match self
                .client
                .report_agent_status(AgentStatus::Connected)
                .await
            {
                Ok(()) => {}
                Err(error) if refuses_token(&error) => self.token_refused(&error),
                Err(error) => tracing::warn!(%error, "health report failed"),
            }
        }
    }

    /// Posts the driver's measurements in batches.
    async fn report_metrics(self: Arc<Self>) {
        loop {
            tokio::time::sleep(self.config.metrics_interval()).await;
            let samples = self.driver.metrics().await;
            if samples.is_empty() {
                continue;
            }
            let batch = MetricEntryBatchReq {
                entries: samples.iter().filter_map(metric_entry).collect(),
            };
            match self.client.report_metric_entries(&batch).await {
                Ok(outcome) => {
                    tracing::debug!(
                        created = outcome.created,
                        rejected = outcome.rejected,
                        "metrics posted"
                    )
                }
                Err(error @ ClientError::Refused { .. }) => {
                    tracing::warn!(%error, "metrics refused")
                }
                Err(error) => tracing::warn!(%error, "metrics not posted"),
            }
        }
    }
}

/// A service of the exchange's answer, as a driver is asked about it.
fn service_record(service: ServiceRes) -> ServiceRecord {
    ServiceRecord {
        service_id: service.id.to_string(),
        state: service.status,
        agent_instance_id: service.agent_instance_id,
        agent_instance_data: service.agent_instance_data.filter(|v| !v.is_null()),
    }
}

/// A service id a driver names, as the exchange's id; drivers only name
/// the services the exchange gave them.
fn exchange_id(service_id: &str) -> Option<Uuid> {
    let id = service_id.parse().ok();
    if id.is_none() {
        tracing::warn!(
            service = service_id,
            "a driver named a service the exchange did not give it"
        );
    }
    id
}

/// The exchange has no such endpoint (Fulcrum Core has no leases and
/// takes no observations).
fn takes_none(error: &ClientError) -> bool {
    matches!(
        error.status(),
        Some(StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED)
    )
}

fn metric_entry(sample: &MetricSample) -> Option<MetricEntryReq> {
    Some(MetricEntryReq {
        service_id: Some(exchange_id(&sample.service_id)?),
        agent_instance_id: None,
        resource_id: sample.resource_id.clone(),
        type_name: sample.type_name.clone(),
        value: sample.value,
        timestamp: Some(sample.at),
    })
}

/// The claim an instance of the agent holds on a job.
#[derive(Debug, Clone, Copy)]
struct Claim {
    /// Which of the job's claims this is, when the exchange says.
    attempt: Option<i32>,
}
