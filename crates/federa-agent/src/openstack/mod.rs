//! The `openstack` driver (cargo feature `openstack`): each service is a Nova
//! server in the project of a `clouds.yaml` cloud, booted from a flavor and
//! a Glance image, without a network of its own (`"networks": "none"`;
//! providers attach networks by their own policy).
//!
//! Service properties it reads:
//! - `flavor` (string): a flavor by name or id; or
//! - `vcpus`, `ramMiB`, `diskGiB` (whole numbers): the smallest flavor with at
//!   least these (fewest vCPUs, then least RAM, then least disk);
//! - `image` (string, or the configuration's `image`): a Glance image by
//!   name or id;
//! - `sshPublicKey` (string, optional): imported as the key pair
//!   `<name_prefix><service id>`, deleted with the server; or `keyName`, a
//!   key pair the project has.
//!
//! A server is named `<name_prefix><service id>` and carries the service id
//! and name in its metadata, so a restarted agent finds (adopts) the
//! servers of its services, and a repeated job does what is left to do.
//! Every action waits until Nova reports the server's status with no task
//! in progress; a server that goes to `ERROR` fails the job with Nova's
//! fault message (`No valid host was found…`), a refused request with
//! Nova's own message (`Quota exceeded for cores…`), so lifecycles route
//! them with `onErrorRegexp`.
//!
//! A server can switch providers with its disk (see [`switching`]): it
//! exports a Glance snapshot of itself, imports another's disk by
//! rebuilding from it, and is erased with the images made for it.
//!
//! The client is a small typed one over reqwest (see the README for why no
//! published OpenStack crate is used).

mod clouds;
mod compute;
mod error;
mod images;
mod metrics;
mod session;
mod spec;
pub mod switching;

pub use compute::Limits;
pub use error::OpenStackError;
pub use metrics::{METRIC_TYPES, RESOURCE};

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::config::OpenStackConfig;
use crate::driver::{
    checked_service_id, Driver, DriverError, JobContext, MetricSample, Observation, ObservedState,
    Outcome, ServiceRecord, Snapshot, SnapshotWriter,
};
use compute::{Compute, Server};
use session::Session;
use spec::{choose_flavor, flavor_request, ServerSpec};

/// Metadata keys naming a server's service.
pub const SERVICE_ID_KEY: &str = "federa_service_id";
pub const SERVICE_NAME_KEY: &str = "federa_service_name";

pub struct OpenStackDriver {
    compute: Compute,
    image: Option<String>,
    name_prefix: String,
    wait_timeout: Duration,
    poll_interval: Duration,
}

impl OpenStackDriver {
    /// Reads the cloud from `clouds.yaml` and authenticates, so that bad
    /// credentials stop the agent at start with Keystone's answer.
    pub async fn open(config: &OpenStackConfig) -> anyhow::Result<OpenStackDriver> {
        if !config
            .name_prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            anyhow::bail!(
                "name_prefix {:?} may only hold letters, digits, '-', '_' and '.'",
                config.name_prefix
            );
        }
        let cloud = clouds::load(config.clouds_file.as_deref(), &config.cloud)
            .map_err(|e| anyhow::anyhow!("openstack driver: {e}"))?;
        let session = Session::open(cloud)
            .await
            .map_err(|e| anyhow::anyhow!("openstack driver: {e}"))?;
        Ok(OpenStackDriver {
            compute: Compute::new(Arc::new(session)),
            image: config.image.clone(),
            name_prefix: config.name_prefix.clone(),
            wait_timeout: Duration::from_secs(config.wait_timeout_seconds),
            poll_interval: Duration::from_millis(config.poll_interval_milliseconds.max(100)),
        })
    }

    /// The project's limits and what it uses: how many more servers of a
    /// size fit is what an offering's capacity can be set from.
    pub async fn limits(&self) -> Result<Limits, OpenStackError> {
        self.compute.limits().await
    }

    fn server_name(&self, service_id: &str) -> Result<String, DriverError> {
        Ok(format!(
            "{}{}",
            self.name_prefix,
            checked_service_id(service_id)?
        ))
    }

    /// The service's server: the one the exchange knows, else the one named
    /// after the service and carrying its id.
    async fn find(&self, job: &JobContext) -> Result<Option<Server>, DriverError> {
        if let Some(id) = &job.agent_instance_id {
            if let Some(server) = self.compute.server(id).await? {
                if owned_by(&server, &job.service_id) {
                    return Ok(Some(server));
                }
            }
        }
        let name = self.server_name(&job.service_id)?;
        let servers = self.compute.servers_matching(&format!("^{name}$")).await?;
        Ok(servers
            .into_iter()
            .find(|server| owned_by(server, &job.service_id)))
    }

    async fn require(&self, job: &JobContext) -> Result<Server, DriverError> {
        self.find(job).await?.ok_or_else(|| {
            DriverError::Failed(format!(
                "there is no server for service {}: it was never created in this project",
                job.service_id
            ))
        })
    }

    /// Reads the server until no task runs on it and `done` holds of its
    /// status. `ERROR` fails with Nova's fault.
    async fn settle(&self, id: &str, done: impl Fn(&str) -> bool) -> Result<Server, DriverError> {
        let deadline = Instant::now() + self.wait_timeout;
        loop {
            let server = self.compute.server(id).await?.ok_or_else(|| {
                DriverError::Failed(format!("server {id} disappeared while waiting for it"))
            })?;
            if server.status == "ERROR" {
                return Err(DriverError::Failed(fault_of(&server)));
            }
            if server.task_state.is_none() && done(&server.status) {
                return Ok(server);
            }
            if Instant::now() >= deadline {
                return Err(DriverError::Failed(format!(
                    "server {id} is still {} (task {}) after {} s",
                    server.status,
                    server.task_state.as_deref().unwrap_or("none"),
                    self.wait_timeout.as_secs()
                )));
            }
            tokio::time::sleep(self.poll_interval).await;
        }
    }

    /// Waits until Nova no longer has the server.
    async fn gone(&self, id: &str) -> Result<(), DriverError> {
        let deadline = Instant::now() + self.wait_timeout;
        loop {
            match self.compute.server(id).await? {
                None => return Ok(()),
                Some(server) if server.status == "DELETED" => return Ok(()),
                Some(server) if Instant::now() >= deadline => {
                    return Err(DriverError::Failed(format!(
                        "server {id} is still {} after {} s",
                        server.status,
                        self.wait_timeout.as_secs()
                    )))
                }
                Some(_) => tokio::time::sleep(self.poll_interval).await,
            }
        }
    }

    async fn create(&self, job: &JobContext) -> Result<Outcome, DriverError> {
        let spec = ServerSpec::from_properties(&job.properties)?;
        let name = self.server_name(&job.service_id)?;
        if let Some(server) = self.find(job).await? {
            // Created before a crash or a lost report: the same server.
            if server.status == "ERROR" {
                return Err(self.discard_failed(&server).await);
            }
            return match self.settle(&server.id, |_| true).await {
                Ok(server) => Ok(describe(&server)),
                Err(error) => Err(self.discard_failed_after(&server.id, error).await),
            };
        }
        let flavors = self.compute.flavors().await?;
        let flavor = choose_flavor(&spec.flavor, &flavors, None)?;
        let image = spec.image.as_ref().or(self.image.as_ref()).ok_or_else(|| {
            DriverError::Properties("an image is required (the agent configures no default)".into())
        })?;
        let image_id = self.compute.image_id(image).await?.ok_or_else(|| {
            DriverError::Failed(format!("Image {image} could not be found in Glance"))
        })?;
        let key_name = match (&spec.ssh_public_key, &spec.key_name) {
            (Some(public_key), _) => {
                self.compute.import_keypair(&name, public_key).await?;
                Some(name.clone())
            }
            (None, Some(key_name)) => Some(key_name.clone()),
            (None, None) => None,
        };
        let mut server = json!({
            "name": name,
            "flavorRef": flavor.id,
            "imageRef": image_id,
            "networks": "none",
            "metadata": {
                SERVICE_ID_KEY: job.service_id,
                SERVICE_NAME_KEY: truncate(&job.service_name, 255),
            },
        });
        if let Some(key_name) = key_name {
            server["key_name"] = json!(key_name);
        }
        let id = match self.compute.create_server(&server).await {
            Ok(id) => id,
            Err(error) => {
                if spec.ssh_public_key.is_some() {
                    let _ = self.compute.delete_keypair(&name).await;
                }
                return Err(error.into());
            }
        };
        match self.settle(&id, |status| status == "ACTIVE").await {
            Ok(server) => Ok(describe(&server)),
            Err(error) => Err(self.discard_failed_after(&id, error).await),
        }
    }

    /// A server that failed to build holds quota and can never start:
    /// delete it, and fail with why it failed.
    async fn discard_failed(&self, server: &Server) -> DriverError {
        let fault = fault_of(server);
        if let Err(error) = self.compute.delete_server(&server.id).await {
            tracing::warn!(server = %server.id, %error, "cannot delete a failed server");
        } else if let Err(error) = self.gone(&server.id).await {
            tracing::warn!(server = %server.id, %error, "a failed server lingers");
        }
        DriverError::Failed(fault)
    }

    async fn discard_failed_after(&self, id: &str, error: DriverError) -> DriverError {
        match self.compute.server(id).await {
            Ok(Some(server)) if server.status == "ERROR" => self.discard_failed(&server).await,
            _ => error,
        }
    }

    async fn start(&self, job: &JobContext) -> Result<Outcome, DriverError> {
        let server = self.require(job).await?;
        let server = self.settle(&server.id, |_| true).await?;
        if server.status == "ACTIVE" {
            return Ok(describe(&server));
        }
        self.compute
            .action(&server.id, &json!({"os-start": null}))
            .await?;
        let server = self.settle(&server.id, |status| status == "ACTIVE").await?;
        Ok(describe(&server))
    }

    async fn stop(&self, job: &JobContext) -> Result<Outcome, DriverError> {
        let Some(server) = self.find(job).await? else {
            return Ok(Outcome::default());
        };
        let server = self.settle(&server.id, |_| true).await?;
        if server.status == "SHUTOFF" {
            return Ok(describe(&server));
        }
        self.compute
            .action(&server.id, &json!({"os-stop": null}))
            .await?;
        let server = self
            .settle(&server.id, |status| status == "SHUTOFF")
            .await?;
        Ok(describe(&server))
    }

    /// Resizes to the flavor the properties ask for and confirms it; the
    /// server keeps its running or stopped state.
    async fn update(&self, job: &JobContext) -> Result<Outcome, DriverError> {
        let server = self.require(job).await?;
        let mut server = self.settle(&server.id, |_| true).await?;
        if server.status == "VERIFY_RESIZE" {
            // A resize whose confirmation was lost.
            server = self.confirm_resize(&server.id).await?;
        }
        let Some(request) = flavor_request(&job.properties)? else {
            return Ok(describe(&server));
        };
        let flavors = self.compute.flavors().await?;
        let flavor = choose_flavor(&request, &flavors, Some(&server.flavor))?;
        if flavor.name == server.flavor.original_name {
            return Ok(describe(&server));
        }
        self.compute
            .action(&server.id, &json!({"resize": {"flavorRef": flavor.id}}))
            .await?;
        let resized = self
            .settle(&server.id, |status| status == "VERIFY_RESIZE")
            .await?;
        let server = self.confirm_resize(&resized.id).await?;
        Ok(describe(&server))
    }

    async fn confirm_resize(&self, id: &str) -> Result<Server, DriverError> {
        self.compute
            .action(id, &json!({"confirmResize": null}))
            .await?;
        self.settle(id, |status| status == "ACTIVE" || status == "SHUTOFF")
            .await
    }

    async fn delete(&self, job: &JobContext) -> Result<Outcome, DriverError> {
        if let Some(server) = self.find(job).await? {
            self.compute.delete_server(&server.id).await?;
            self.gone(&server.id).await?;
        }
        // Also after a delete that stopped between the two.
        let name = self.server_name(&job.service_id)?;
        self.compute.delete_keypair(&name).await?;
        Ok(Outcome::default())
    }
}

#[async_trait::async_trait]
impl Driver for OpenStackDriver {
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

    async fn export(&self, job: &JobContext, into: &mut SnapshotWriter) -> Result<(), DriverError> {
        self.export_disk(job, into).await
    }

    async fn import(&self, job: &JobContext, snapshot: &Snapshot) -> Result<(), DriverError> {
        self.import_disk(job, snapshot).await
    }

    async fn erase(&self, job: &JobContext) -> Result<(), DriverError> {
        self.erase_all(job).await
    }

    async fn observe(&self, services: &[ServiceRecord]) -> Vec<Observation> {
        let servers = match self
            .compute
            .servers_matching(&format!("^{}", self.name_prefix))
            .await
        {
            Ok(servers) => servers,
            Err(error) => {
                tracing::warn!(%error, "cannot observe servers");
                return Vec::new();
            }
        };
        services
            .iter()
            .filter_map(|service| {
                let server = servers
                    .iter()
                    .find(|server| owned_by(server, &service.service_id));
                let state = match server {
                    None => ObservedState::Missing,
                    Some(server) => observed_state(server)?,
                };
                Some(Observation::new(service.service_id.clone(), state))
            })
            .collect()
    }

    async fn metrics(&self) -> Vec<MetricSample> {
        match metrics::collect(&self.compute, &self.name_prefix).await {
            Ok(samples) => samples,
            Err(error) => {
                tracing::warn!(%error, "no server metrics");
                Vec::new()
            }
        }
    }
}

/// What a server's status says of it; none while a task runs on it or its
/// status is a passing one (building, resizing, rebooting).
fn observed_state(server: &Server) -> Option<ObservedState> {
    if server.task_state.is_some() {
        return None;
    }
    match server.status.as_str() {
        "ACTIVE" => Some(ObservedState::Running),
        "SHUTOFF" | "SUSPENDED" | "PAUSED" | "SHELVED" | "SHELVED_OFFLOADED" | "ERROR" => {
            Some(ObservedState::Stopped)
        }
        _ => None,
    }
}

fn owned_by(server: &Server, service_id: &str) -> bool {
    server.metadata.get(SERVICE_ID_KEY).map(String::as_str) == Some(service_id)
}

/// Why a server is in `ERROR`, in Nova's words.
fn fault_of(server: &Server) -> String {
    match &server.fault {
        Some(fault) => format!("server {} failed: {}", server.id, fault.message),
        None => format!("server {} failed without a fault from Nova", server.id),
    }
}

/// The outcome naming a server: its id as the instance id, and what an
/// operator or consumer wants to see.
fn describe(server: &Server) -> Outcome {
    Outcome {
        agent_instance_id: Some(server.id.clone()),
        agent_instance_data: Some(json!({
            "serverId": server.id,
            "name": server.name,
            "status": server.status,
            "address": address_of(server),
            "flavor": server.flavor.original_name,
            "vcpus": server.flavor.vcpus,
            "ramMiB": server.flavor.ram,
            "diskGiB": server.flavor.disk,
            "keyName": server.key_name,
        })),
        properties: None,
    }
}

/// The address to reach the server at: its access address if set, else the
/// first fixed or floating address Nova lists.
fn address_of(server: &Server) -> Value {
    [&server.access_ipv4, &server.access_ipv6]
        .into_iter()
        .find(|a| !a.is_empty())
        .cloned()
        .or_else(|| {
            server
                .addresses
                .values()
                .flatten()
                .map(|a| a.addr.clone())
                .next()
        })
        .map(Value::String)
        .unwrap_or(Value::Null)
}

fn truncate(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}
