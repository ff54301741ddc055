//! The agent's loops: resume the jobs it held before a restart, take jobs,
//! run them through the driver, keep their leases alive, report health and
//! metrics and what the platform shows of its services, and stop cleanly.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use federa_client::{Client, ClientError, RetryPolicy, StatusCode};
use serde_json::{json, Map, Value};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::config::AgentConfig;
use crate::credentials::{refuses_token, renewal_due, write_token_file, CredentialRefused};
use crate::driver::{Driver, JobContext, MetricSample, ServiceRecord};
use crate::secrets;

/// How long a stopping agent waits for running jobs.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

pub struct Runtime {
    client: Client,
    config: AgentConfig,
    driver: Arc<dyn Driver>,
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
    let runtime = Arc::new(Runtime {
        client,
        config,
        driver,
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
        tracing::info!(agent = %agent["id"].as_str().unwrap_or(""), name = %agent["name"].as_str().unwrap_or(""), "agent connected");
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
            .put("/agents/me/status", &json!({"status": "Disconnected"}))
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
        let current: Value = self.client.get("/agents/me/token").await?.into_json()?;
        let (Some(created), Some(expires)) = (
            timestamp(&current["createdAt"]),
            timestamp(&current["expireAt"]),
        ) else {
            return Ok(());
        };
        if !renewal_due(created, expires, chrono::Utc::now()) {
            return Ok(());
        }
        let Some(file) = &self.config.token_file else {
            tracing::warn!(%expires, "the agent's token expires soon; set token_file so the agent can renew it");
            return Ok(());
        };
        let renewed: Value = self
            .client
            .post("/agents/me/token", &json!({}))
            .await?
            .into_json()?;
        let Some(value) = renewed["value"].as_str() else {
            return Err(ClientError::Decode("no token value in the renewal".into()));
        };
        if let Err(error) = write_token_file(file, value) {
            // The old token works for an hour yet: try again next time.
            tracing::error!(%error, "cannot keep the renewed token; the old one stays in use");
            return Ok(());
        }
        self.client.set_token(value);
        tracing::info!(expires = %renewed["expireAt"].as_str().unwrap_or(""), "renewed the agent's token");
        Ok(())
    }

    /// Reads the agent's own record and says it is connected, retrying
    /// until the exchange answers; a refused token is fatal.
    async fn connect(&self) -> anyhow::Result<Value> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = async {
                let me: Value = self.client.get("/agents/me").await?.into_json()?;
                self.client
                    .put("/agents/me/status", &json!({"status": "Connected"}))
                    .await?
                    .into_ok()?;
                Ok::<Value, ClientError>(me)
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
            .get("/jobs?status=Processing&pageSize=100&sort=createdAt")
            .await
            .and_then(|reply| reply.into_json::<Value>())
        {
            Ok(page) => page["items"].as_array().cloned().unwrap_or_default(),
            Err(error) => {
                tracing::warn!(%error, "cannot list the jobs this agent holds; their leases will lapse and they will be retried");
                return;
            }
        };
        for listed in held {
            let Some(id) = listed["id"].as_str() else {
                continue;
            };
            // The single job carries its service, which the driver needs.
            let job = match self
                .client
                .get(&format!("/jobs/{id}"))
                .await
                .and_then(|reply| reply.into_json::<Value>())
            {
                Ok(job) if job["status"] == "Processing" => job,
                Ok(_) => continue,
                Err(error) => {
                    tracing::warn!(job = id, %error, "cannot read a held job; its lease will lapse");
                    continue;
                }
            };
            let Ok(slot) = slots.clone().acquire_owned().await else {
                return;
            };
            if !self.renew(id).await {
                continue;
            }
            tracing::info!(job = id, action = %job["action"].as_str().unwrap_or_default(), "resuming a job this agent held before it restarted");
            // The claim it held is the job's latest: it is still Processing.
            let claim = Claim {
                attempt: job["attempts"].as_i64(),
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
    async fn renew(&self, id: &str) -> bool {
        match self
            .client
            .post(&format!("/jobs/{id}/heartbeat"), &json!({}))
            .await
        {
            Ok(reply) if reply.status.is_success() => true,
            Ok(reply) => {
                tracing::warn!(job = id, status = %reply.status, "a held job's lease cannot be renewed; leaving it");
                false
            }
            // Unreachable for now: the job is still ours, run it.
            Err(_) => true,
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
        let path = format!("/jobs/pending?limit={free}&wait={}s", wait.as_secs());
        let pending = match self
            .client
            .send(
                federa_client::Method::GET,
                &path,
                None,
                wait + Duration::from_secs(10),
            )
            .await
        {
            Ok(reply) => reply.into_json::<Vec<Value>>(),
            Err(error) => Err(error),
        };
        let pending = match pending {
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
            let Some(id) = job["id"].as_str().map(str::to_string) else {
                continue;
            };
            if let Some(claim) = self.claim(&id).await {
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
    async fn claim(&self, id: &str) -> Option<Claim> {
        match self
            .client
            .post(&format!("/jobs/{id}/claim"), &json!({}))
            .await
        {
            Ok(reply) if reply.status.is_success() => Some(Claim {
                attempt: reply
                    .headers
                    .get("federa-claim-attempt")
                    .and_then(|value| value.to_str().ok()?.parse().ok()),
            }),
            Ok(reply) if reply.status == StatusCode::CONFLICT => None,
            Ok(reply) => {
                tracing::warn!(job = id, status = %reply.status, "claim refused");
                None
            }
            Err(error) => {
                tracing::warn!(job = id, %error, "claim failed");
                None
            }
        }
    }

    /// Runs one claimed job to its report.
    async fn work(self: Arc<Self>, job: Value, claim: Claim) {
        let id = job["id"].as_str().unwrap_or_default().to_string();
        let action = job["action"].as_str().unwrap_or_default().to_string();
        let lease = tokio::spawn(self.clone().renew_lease(id.clone(), claim));
        let result = match self.context(&job).await {
            Ok(context) => {
                tracing::info!(job = %id, %action, service = %context.service_name, "running job");
                self.driver
                    .execute(&context)
                    .await
                    .map_err(|e| e.to_string())
            }
            Err(message) => Err(message),
        };
        lease.abort();
        let report = match &result {
            Ok(outcome) => {
                let mut body = claim.body();
                if let Some(instance) = &outcome.agent_instance_id {
                    body.insert("agentInstanceId".into(), json!(instance));
                }
                if let Some(data) = &outcome.agent_instance_data {
                    body.insert("agentInstanceData".into(), data.clone());
                }
                if let Some(properties) = &outcome.properties {
                    body.insert("properties".into(), Value::Object(properties.clone()));
                }
                self.client
                    .post(&format!("/jobs/{id}/complete"), &Value::Object(body))
                    .await
            }
            Err(message) => {
                let mut body = claim.body();
                body.insert("errorMessage".into(), json!(message));
                self.client
                    .post(&format!("/jobs/{id}/fail"), &Value::Object(body))
                    .await
            }
        };
        match report.map(|r| r.into_ok()) {
            Ok(Ok(())) => match result {
                Ok(_) => tracing::info!(job = %id, %action, "job completed"),
                Err(message) => tracing::warn!(job = %id, %action, %message, "job failed"),
            },
            Ok(Err(error)) | Err(error) => {
                tracing::error!(job = %id, %action, %error, "cannot report the job's outcome; its lease will lapse and it will be retried")
            }
        }
        // What the job left on the platform, as the service now stands.
        if let Some(service_id) = job["serviceId"].as_str().or(job["service"]["id"].as_str()) {
            match self.service_record(service_id).await {
                Ok(Some(record)) => {
                    self.observe_and_report(std::slice::from_ref(&record)).await;
                }
                Ok(None) => {}
                Err(error) => tracing::debug!(%error, "cannot read the service to observe it"),
            }
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
            let reply: Value = self
                .client
                .get(&format!("/services?pageSize=100&page={page}"))
                .await?
                .into_json()?;
            let items = reply["items"].as_array().cloned().unwrap_or_default();
            records.extend(items.iter().filter_map(service_record));
            if items.is_empty() || page >= reply["totalPages"].as_u64().unwrap_or(1) {
                break;
            }
        }
        Ok(records)
    }

    async fn service_record(&self, service_id: &str) -> Result<Option<ServiceRecord>, ClientError> {
        let service: Value = self
            .client
            .get(&format!("/services/{service_id}"))
            .await?
            .into_json()?;
        Ok(service_record(&service))
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
        let entries: Vec<Value> = observed
            .iter()
            .map(|o| json!({"serviceId": o.service_id, "state": o.state.as_str(), "observedAt": observed_at}))
            .collect();
        match self
            .client
            .post("/agents/me/observations", &json!({"observations": entries}))
            .await
        {
            Ok(reply) if reply.status.is_success() => true,
            Ok(reply)
                if matches!(
                    reply.status,
                    StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED
                ) =>
            {
                tracing::info!("the exchange takes no observations; not reporting them");
                false
            }
            Ok(reply) => {
                tracing::warn!(status = %reply.status, body = %reply.body, "observations refused");
                true
            }
            Err(error) => {
                tracing::warn!(%error, "observations not reported");
                true
            }
        }
    }

    /// The driver's view of a job: the requested properties for `create`
    /// and `update`, the service's otherwise, with secrets resolved.
    async fn context(&self, job: &Value) -> Result<JobContext, String> {
        let service = &job["service"];
        let action = job["action"].as_str().unwrap_or_default().to_string();
        let mut properties = match (&job["params"], action.as_str()) {
            (Value::Object(params), "create" | "update") => Value::Object(params.clone()),
            _ => service["properties"].clone(),
        };
        if !properties.is_object() {
            properties = Value::Object(Map::new());
        }
        secrets::resolve(&self.client, &mut properties).await?;
        Ok(JobContext {
            job_id: job["id"].as_str().unwrap_or_default().to_string(),
            action,
            service_id: job["serviceId"]
                .as_str()
                .or(service["id"].as_str())
                .unwrap_or_default()
                .to_string(),
            service_name: service["name"].as_str().unwrap_or_default().to_string(),
            properties: properties.as_object().cloned().unwrap_or_default(),
            agent_instance_id: service["agentInstanceId"].as_str().map(str::to_string),
            agent_instance_data: service
                .get("agentInstanceData")
                .cloned()
                .filter(|v| !v.is_null()),
        })
    }

    /// Renews the job's lease until aborted. A server without leases
    /// answers 404 or 405, and renewal stops.
    async fn renew_lease(self: Arc<Self>, id: String, claim: Claim) {
        loop {
            tokio::time::sleep(self.config.heartbeat()).await;
            match self
                .client
                .post(
                    &format!("/jobs/{id}/heartbeat"),
                    &Value::Object(claim.body()),
                )
                .await
            {
                Ok(reply) if reply.status.is_success() => {}
                Ok(reply)
                    if matches!(
                        reply.status,
                        StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED
                    ) =>
                {
                    return
                }
                Ok(reply) => {
                    tracing::warn!(job = %id, status = %reply.status, "lease renewal refused")
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
                .put("/agents/me/status", &json!({"status": "Connected"}))
                .await
                .and_then(|reply| reply.into_ok())
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
            let entries: Vec<Value> = samples.iter().map(metric_entry).collect();
            match self
                .client
                .post("/metric-entries/batch", &json!({"entries": entries}))
                .await
            {
                Ok(reply) if reply.status.is_success() => {
                    tracing::debug!(count = entries.len(), "metrics posted")
                }
                Ok(reply) => {
                    tracing::warn!(status = %reply.status, body = %reply.body, "metrics refused")
                }
                Err(error) => tracing::warn!(%error, "metrics not posted"),
            }
        }
    }
}

/// A service of the exchange's answer, as a driver is asked about it.
fn service_record(service: &Value) -> Option<ServiceRecord> {
    Some(ServiceRecord {
        service_id: service["id"].as_str()?.to_string(),
        state: service["status"].as_str().unwrap_or_default().to_string(),
        agent_instance_id: service["agentInstanceId"].as_str().map(str::to_string),
        agent_instance_data: service
            .get("agentInstanceData")
            .cloned()
            .filter(|v| !v.is_null()),
    })
}

fn timestamp(value: &Value) -> Option<chrono::DateTime<chrono::Utc>> {
    value
        .as_str()
        .and_then(|text| chrono::DateTime::parse_from_rfc3339(text).ok())
        .map(|at| at.with_timezone(&chrono::Utc))
}

fn metric_entry(sample: &MetricSample) -> Value {
    json!({
        "serviceId": sample.service_id,
        "resourceId": sample.resource_id,
        "typeName": sample.type_name,
        "value": sample.value,
        "timestamp": sample.at,
    })
}

/// The claim an instance of the agent holds on a job.
#[derive(Debug, Clone, Copy)]
struct Claim {
    /// Which of the job's claims this is, when the exchange says.
    attempt: Option<i64>,
}

impl Claim {
    /// A report or heartbeat body naming the claim.
    fn body(&self) -> Map<String, Value> {
        let mut body = Map::new();
        if let Some(attempt) = self.attempt {
            body.insert("attempt".into(), json!(attempt));
        }
        body
    }
}
