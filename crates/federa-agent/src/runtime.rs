//! The agent's loops: take jobs, run them through the driver, keep their
//! leases alive, report health and metrics, and stop cleanly.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use federa_client::{Client, ClientError, RetryPolicy, StatusCode};
use serde_json::{json, Map, Value};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::config::AgentConfig;
use crate::driver::{Driver, JobContext, MetricSample};
use crate::secrets;

/// How long a stopping agent waits for running jobs.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

pub struct Runtime {
    client: Client,
    config: AgentConfig,
    driver: Arc<dyn Driver>,
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
        ];
        let slots = Arc::new(Semaphore::new(self.config.concurrency));
        let mut jobs = JoinSet::new();
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
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
            if self.claim(&id).await {
                let runtime = self.clone();
                jobs.spawn(async move {
                    runtime.work(job).await;
                    drop(slot);
                });
            } else {
                permit = Some(slot);
            }
        }
    }

    /// Claims a job. A claim retried after a lost answer may find the job
    /// already ours, which counts as won.
    async fn claim(&self, id: &str) -> bool {
        match self
            .client
            .post(&format!("/jobs/{id}/claim"), &json!({}))
            .await
        {
            Ok(reply) if reply.status.is_success() => true,
            Ok(reply) if reply.status == StatusCode::CONFLICT => false,
            Ok(reply) => {
                tracing::warn!(job = id, status = %reply.status, "claim refused");
                false
            }
            Err(error) => {
                tracing::warn!(job = id, %error, "claim failed");
                false
            }
        }
    }

    /// Runs one claimed job to its report.
    async fn work(self: Arc<Self>, job: Value) {
        let id = job["id"].as_str().unwrap_or_default().to_string();
        let action = job["action"].as_str().unwrap_or_default().to_string();
        let lease = tokio::spawn(self.clone().renew_lease(id.clone()));
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
                let mut body = Map::new();
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
                self.client
                    .post(
                        &format!("/jobs/{id}/fail"),
                        &json!({"errorMessage": message}),
                    )
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
    async fn renew_lease(self: Arc<Self>, id: String) {
        loop {
            tokio::time::sleep(self.config.heartbeat()).await;
            match self
                .client
                .post(&format!("/jobs/{id}/heartbeat"), &json!({}))
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
            if let Err(error) = self
                .client
                .put("/agents/me/status", &json!({"status": "Connected"}))
                .await
            {
                tracing::warn!(%error, "health report failed");
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

fn metric_entry(sample: &MetricSample) -> Value {
    json!({
        "serviceId": sample.service_id,
        "resourceId": sample.resource_id,
        "typeName": sample.type_name,
        "value": sample.value,
        "timestamp": sample.at,
    })
}
