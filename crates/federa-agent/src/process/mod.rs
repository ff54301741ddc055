//! The `process` driver: each service is a supervised OS process on the
//! agent's host, listening on a port from a pool.
//!
//! Service properties it reads:
//! - `program` (string, optional): a program built into `federa`,
//!   `static-site` (the default: the service's directory as a website) or
//!   `kv-store` (a key-value store over HTTP).
//! - `command` (array of strings, optional, only where the agent's
//!   configuration sets `allow_commands`): any program and its arguments;
//!   `{port}` and `{dir}` are replaced by the service's port and directory.
//! - `content` (string, optional): written to `index.html` in the
//!   service's directory on create and update.
//!
//! A `kv-store` service can switch providers with its data: it exports
//! and imports its `data.json` as `application/json`, and erases.
//!
//! Everything the driver knows about a service is in
//! `<work_dir>/services/<service id>/instance.json`, so a restarted agent
//! adopts processes that outlived it instead of starting them twice.

mod instance;
mod kv_data;
mod procfs;
mod supervisor;

/// The metric types this driver reports, each for the resource `process`:
/// CPU time used, resident memory, and time since the process started. An
/// exchange that wants them stored defines metric types of these names.
pub const METRIC_TYPES: [&str; 3] = ["cpu_seconds", "rss_bytes", "uptime_seconds"];

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::Mutex;

use crate::driver::{
    checked_service_id, Driver, DriverError, JobContext, MetricSample, Observation, ObservedState,
    Outcome, ServiceRecord,
};
use instance::Instance;
use supervisor::Supervisor;

/// How long a started process has to accept connections on its port.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

pub struct ProcessDriver {
    work_dir: PathBuf,
    ports: [u16; 2],
    stop_on_exit: bool,
    allow_commands: bool,
    /// The `federa` executable that runs the built-in programs.
    programs: Option<PathBuf>,
    /// Serialises changes to one host's ports and instances.
    lock: Mutex<()>,
    supervisors: Mutex<HashMap<String, Arc<Supervisor>>>,
}

impl ProcessDriver {
    pub fn new(
        work_dir: PathBuf,
        ports: [u16; 2],
        stop_on_exit: bool,
        allow_commands: bool,
    ) -> anyhow::Result<ProcessDriver> {
        std::fs::create_dir_all(work_dir.join("services"))?;
        Ok(ProcessDriver {
            work_dir,
            ports,
            stop_on_exit,
            allow_commands,
            programs: None,
            lock: Mutex::new(()),
            supervisors: Mutex::new(HashMap::new()),
        })
    }

    /// Runs the built-in programs from `executable`, a `federa` binary,
    /// rather than from the running executable: for a host that embeds
    /// the driver without being `federa`.
    pub fn with_programs_from(mut self, executable: PathBuf) -> ProcessDriver {
        self.programs = Some(executable);
        self
    }

    fn command(
        &self,
        job: &JobContext,
        dir: &std::path::Path,
        port: u16,
    ) -> Result<Vec<String>, DriverError> {
        command(
            job,
            dir,
            port,
            self.allow_commands,
            self.programs.as_deref(),
        )
    }

    /// The directory of a key-value store service; any other refuses to
    /// move its data.
    fn kv_store_dir(&self, job: &JobContext, action: &str) -> Result<PathBuf, DriverError> {
        let custom = job.properties.get("command").is_some_and(|c| !c.is_null());
        if custom || job.properties.get("program").and_then(Value::as_str) != Some("kv-store") {
            return Err(DriverError::Unsupported(format!(
                "{action} of a service other than a kv-store"
            )));
        }
        self.service_dir(&job.service_id)
    }

    fn service_dir(&self, service_id: &str) -> Result<PathBuf, DriverError> {
        let service_id = checked_service_id(service_id)?;
        Ok(self.work_dir.join("services").join(service_id))
    }

    fn outcome(service_id: &str, instance: &Instance) -> Outcome {
        Outcome {
            agent_instance_id: Some(format!("process-{service_id}")),
            agent_instance_data: Some(json!({
                "port": instance.port,
                "url": format!("http://127.0.0.1:{}/", instance.port),
            })),
            properties: None,
        }
    }

    async fn create(&self, job: &JobContext) -> Result<Outcome, DriverError> {
        let _guard = self.lock.lock().await;
        let dir = self.service_dir(&job.service_id)?;
        // A service this host could never start is refused now, not at start.
        self.command(job, &dir, 0)?;
        let instance = match Instance::load(&dir)? {
            // Created before a crash: the same instance, not a second one.
            Some(existing) => existing,
            None => {
                let port = instance::free_port(&self.work_dir.join("services"), self.ports)?;
                let created = Instance::new(port);
                std::fs::create_dir_all(dir.join("site")).map_err(io_error)?;
                created.save(&dir)?;
                created
            }
        };
        write_content(&dir, job)?;
        Ok(Self::outcome(&job.service_id, &instance))
    }

    async fn start(&self, job: &JobContext) -> Result<Outcome, DriverError> {
        let dir = self.service_dir(&job.service_id)?;
        let mut instance = Instance::load(&dir)?.ok_or_else(|| {
            DriverError::Failed("the service was never created on this host".into())
        })?;
        let supervisor = self.supervisor(&job.service_id, &dir).await;
        let command = self.command(job, &dir, instance.port)?;
        supervisor.start(&mut instance, command).await?;
        wait_until_listening(&supervisor, instance.port).await?;
        Ok(Self::outcome(&job.service_id, &instance))
    }

    async fn stop(&self, job: &JobContext) -> Result<Outcome, DriverError> {
        let dir = self.service_dir(&job.service_id)?;
        let Some(mut instance) = Instance::load(&dir)? else {
            return Ok(Outcome::default());
        };
        self.supervisor(&job.service_id, &dir)
            .await
            .stop(&mut instance)
            .await?;
        Ok(Self::outcome(&job.service_id, &instance))
    }

    async fn delete(&self, job: &JobContext) -> Result<Outcome, DriverError> {
        self.stop(job).await?;
        let dir = self.service_dir(&job.service_id)?;
        self.supervisors.lock().await.remove(&job.service_id);
        let _guard = self.lock.lock().await;
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => Ok(Outcome::default()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Outcome::default()),
            Err(e) => Err(io_error(e)),
        }
    }

    async fn update(&self, job: &JobContext) -> Result<Outcome, DriverError> {
        let dir = self.service_dir(&job.service_id)?;
        let instance = Instance::load(&dir)?.ok_or_else(|| {
            DriverError::Failed("the service was never created on this host".into())
        })?;
        self.command(job, &dir, instance.port)?;
        write_content(&dir, job)?;
        if instance.pid.is_some() {
            self.stop(job).await?;
            return self.start(job).await;
        }
        Ok(Self::outcome(&job.service_id, &instance))
    }

    async fn supervisor(&self, service_id: &str, dir: &std::path::Path) -> Arc<Supervisor> {
        self.supervisors
            .lock()
            .await
            .entry(service_id.to_string())
            .or_insert_with(|| Arc::new(Supervisor::new(dir.to_path_buf())))
            .clone()
    }
}

#[async_trait::async_trait]
impl Driver for ProcessDriver {
    async fn execute(&self, job: &JobContext) -> Result<Outcome, DriverError> {
        match job.action.as_str() {
            "create" => self.create(job).await,
            "start" => self.start(job).await,
            "stop" => self.stop(job).await,
            "restart" => {
                self.stop(job).await?;
                self.start(job).await
            }
            "update" => self.update(job).await,
            "delete" => self.delete(job).await,
            other => Err(DriverError::Unsupported(other.to_string())),
        }
    }

    async fn export(
        &self,
        job: &JobContext,
        into: &mut crate::driver::SnapshotWriter,
    ) -> Result<(), DriverError> {
        let dir = self.kv_store_dir(job, "export")?;
        if Instance::load(&dir)?.is_none() {
            return Err(DriverError::Failed(
                "the service was never created on this host".into(),
            ));
        }
        kv_data::export(&dir, into).await
    }

    async fn import(
        &self,
        job: &JobContext,
        snapshot: &crate::driver::Snapshot,
    ) -> Result<(), DriverError> {
        let dir = self.kv_store_dir(job, "import")?;
        let instance = Instance::load(&dir)?.ok_or_else(|| {
            DriverError::Failed("the service was never created on this host".into())
        })?;
        // A running store holds its data in memory: it loads the new data
        // when started again.
        let running = instance.pid.is_some_and(procfs::alive);
        if running {
            self.stop(job).await?;
        }
        kv_data::import(&dir, snapshot).await?;
        if running {
            self.start(job).await?;
        }
        Ok(())
    }

    async fn erase(&self, job: &JobContext) -> Result<(), DriverError> {
        self.kv_store_dir(job, "erase")?;
        self.delete(job).await?;
        Ok(())
    }

    async fn observe(&self, services: &[ServiceRecord]) -> Vec<Observation> {
        let mut observed = Vec::new();
        for service in services {
            let Ok(dir) = self.service_dir(&service.service_id) else {
                continue;
            };
            let state = match Instance::load(&dir) {
                Ok(None) => ObservedState::Missing,
                Ok(Some(instance)) => {
                    let supervisor = self
                        .supervisors
                        .lock()
                        .await
                        .get(&service.service_id)
                        .cloned();
                    let running = match supervisor {
                        // Supervised: running, or about to be restarted.
                        Some(supervisor) => supervisor.keeps_running().await,
                        // Left by an earlier run of the agent and not yet adopted.
                        None => instance.pid.is_some_and(procfs::alive),
                    };
                    if running {
                        ObservedState::Running
                    } else {
                        ObservedState::Stopped
                    }
                }
                // An unreadable record: unknown, not missing.
                Err(_) => continue,
            };
            observed.push(Observation::new(&service.service_id, state));
        }
        observed
    }

    async fn metrics(&self) -> Vec<MetricSample> {
        let supervisors: Vec<(String, Arc<Supervisor>)> = self
            .supervisors
            .lock()
            .await
            .iter()
            .map(|(id, s)| (id.clone(), s.clone()))
            .collect();
        let now = chrono::Utc::now();
        let mut samples = Vec::new();
        for (service_id, supervisor) in supervisors {
            let Some((pid, started_at)) = supervisor.running().await else {
                continue;
            };
            let Some(usage) = procfs::usage(pid) else {
                continue;
            };
            let values = [
                usage.cpu_seconds,
                usage.rss_bytes as f64,
                (now - started_at).num_milliseconds() as f64 / 1000.0,
            ];
            for (type_name, value) in METRIC_TYPES.into_iter().zip(values) {
                samples.push(MetricSample {
                    service_id: service_id.clone(),
                    resource_id: "process".into(),
                    type_name: type_name.into(),
                    value,
                    at: now,
                });
            }
        }
        samples
    }

    async fn shutdown(&self) {
        let supervisors: Vec<Arc<Supervisor>> =
            self.supervisors.lock().await.values().cloned().collect();
        for supervisor in supervisors {
            if self.stop_on_exit {
                supervisor.stop_quietly().await;
            } else {
                supervisor.detach().await;
            }
        }
    }
}

/// The command line of a service, placeholders filled.
fn command(
    job: &JobContext,
    dir: &std::path::Path,
    port: u16,
    allow_commands: bool,
    programs: Option<&std::path::Path>,
) -> Result<Vec<String>, DriverError> {
    let site = dir.join("site").display().to_string();
    if let Some(custom) = job.properties.get("command").filter(|c| !c.is_null()) {
        if !allow_commands {
            return Err(DriverError::Properties(
                "this agent does not run custom commands".into(),
            ));
        }
        let fill = |part: &str| {
            part.replace("{port}", &port.to_string())
                .replace("{dir}", &site)
        };
        return match custom {
            Value::Array(parts) if !parts.is_empty() => parts
                .iter()
                .map(|p| {
                    p.as_str().map(fill).ok_or_else(|| {
                        DriverError::Properties("command must be an array of strings".into())
                    })
                })
                .collect(),
            _ => Err(DriverError::Properties(
                "command must be a non-empty array of strings".into(),
            )),
        };
    }
    let program = match job.properties.get("program").and_then(Value::as_str) {
        None | Some("static-site") => "static-site",
        Some("kv-store") => "kv-store",
        Some(other) => {
            return Err(DriverError::Properties(format!(
                "unknown program {other:?}; this agent runs static-site and kv-store"
            )))
        }
    };
    let exe = match programs {
        Some(executable) => executable.to_path_buf(),
        None => std::env::current_exe().map_err(io_error)?,
    };
    Ok(vec![
        exe.display().to_string(),
        program.into(),
        "--port".into(),
        port.to_string(),
        "--dir".into(),
        site,
    ])
}

fn write_content(dir: &std::path::Path, job: &JobContext) -> Result<(), DriverError> {
    if let Some(content) = job.properties.get("content").and_then(Value::as_str) {
        std::fs::create_dir_all(dir.join("site")).map_err(io_error)?;
        std::fs::write(dir.join("site").join("index.html"), content).map_err(io_error)?;
    }
    Ok(())
}

async fn wait_until_listening(supervisor: &Supervisor, port: u16) -> Result<(), DriverError> {
    let deadline = tokio::time::Instant::now() + READY_TIMEOUT;
    loop {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        if supervisor.running().await.is_none() {
            return Err(DriverError::Failed(format!(
                "the process exited before listening on port {port}: {}",
                supervisor.log_tail().await
            )));
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(DriverError::Failed(format!(
                "nothing listens on port {port} after {READY_TIMEOUT:?}"
            )));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn io_error(error: std::io::Error) -> DriverError {
    DriverError::Failed(error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(service_id: &str) -> ServiceRecord {
        ServiceRecord {
            service_id: service_id.into(),
            state: "Started".into(),
            agent_instance_id: None,
            agent_instance_data: None,
        }
    }

    fn job(service_id: &str, action: &str, properties: Value) -> JobContext {
        JobContext {
            job_id: format!("{action}-job"),
            action: action.into(),
            service_id: service_id.into(),
            service_name: "observed".into(),
            properties: properties.as_object().cloned().unwrap_or_default(),
            agent_instance_id: None,
            agent_instance_data: None,
        }
    }

    #[tokio::test]
    async fn observing_tells_a_running_process_from_a_stopped_and_a_missing_one() {
        let dir = tempfile::tempdir().unwrap();
        let driver =
            ProcessDriver::new(dir.path().to_path_buf(), [24900, 24949], true, true).unwrap();
        let service = "0000-observed";
        // Listens on its port, as the driver waits for.
        let command =
            json!({"command": ["python3", "-m", "http.server", "--bind", "127.0.0.1", "{port}"]});
        driver
            .execute(&job(service, "create", json!({})))
            .await
            .unwrap();
        let observed = driver
            .observe(&[record(service), record("0000-never")])
            .await;
        assert_eq!(
            observed,
            [
                Observation::new(service, ObservedState::Stopped),
                Observation::new("0000-never", ObservedState::Missing),
            ]
        );

        driver
            .execute(&job(service, "start", command.clone()))
            .await
            .unwrap();
        let observed = driver.observe(&[record(service)]).await;
        assert_eq!(
            observed,
            [Observation::new(service, ObservedState::Running)]
        );

        driver
            .execute(&job(service, "stop", command))
            .await
            .unwrap();
        let observed = driver.observe(&[record(service)]).await;
        assert_eq!(
            observed,
            [Observation::new(service, ObservedState::Stopped)]
        );
        driver.shutdown().await;
    }

    #[tokio::test]
    async fn a_program_this_host_cannot_run_is_refused_at_create() {
        const SERVICE: &str = "0193c7a0-0000-7000-8000-00000000000";
        let dir = tempfile::tempdir().unwrap();
        let driver =
            ProcessDriver::new(dir.path().join("work"), [24950, 24959], true, false).unwrap();
        let unknown = job(
            &format!("{}1", SERVICE),
            "create",
            json!({"program": "nonesuch"}),
        );
        match driver.execute(&unknown).await {
            Err(DriverError::Properties(message)) => {
                assert!(
                    message.contains("unknown program \"nonesuch\""),
                    "{message}"
                )
            }
            other => panic!("{other:?}"),
        }
        assert!(
            !dir.path()
                .join("work/services")
                .join(&unknown.service_id)
                .exists(),
            "nothing is made for it"
        );
        let command = job(
            &format!("{}2", SERVICE),
            "create",
            json!({"command": ["sleep", "60"]}),
        );
        assert!(matches!(
            driver.execute(&command).await,
            Err(DriverError::Properties(_))
        ));
        let known = job(
            &format!("{}3", SERVICE),
            "create",
            json!({"program": "kv-store"}),
        );
        assert!(driver.execute(&known).await.is_ok());
    }
}
