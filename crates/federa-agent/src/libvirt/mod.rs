//! The `libvirt` driver (cargo feature `libvirt`): each service is a VM, a
//! persistent libvirt domain named `<name_prefix><service id>`, on any
//! hypervisor libvirt drives (QEMU/KVM, Xen, …).
//!
//! Service properties it reads:
//! - `vcpus` (whole number, required on create).
//! - `memoryMiB` (whole number, required on create).
//! - `diskImage` (string, optional): a volume of the agent's storage pool,
//!   by name or path, copied to the VM's own disk on create.
//! - `diskGiB` (whole number, optional): the size of the VM's disk; a blank
//!   disk when there is no `diskImage`.
//!
//! Everything the driver knows about a service is the domain itself (and its
//! disk volume), so a restarted agent finds its VMs by name and a repeated
//! job does what is left to do. `update` changes vCPUs and memory in the
//! domain's configuration, effective at the next boot; it leaves disks alone.
//!
//! For a switch, `export` streams the VM's disk volume out of the
//! hypervisor, `import` streams a verified one into the target VM's volume
//! with the VM off (and starts it again if it ran), and `erase` removes the
//! VM and its volume and confirms neither is left (see `disk_transfer`).
//!
//! libvirt calls block (a remote hypervisor is an RPC away), so each runs on
//! tokio's blocking pool.

mod disk_transfer;
mod domain_xml;
mod spec;
mod storage;

pub use disk_transfer::FORMAT as DISK_FORMAT;
/// The libvirt bindings the driver is built on, for callers that share its
/// connection through [`LibvirtDriver::with_connection`].
pub use virt;

/// The metric types this driver reports, each for the resource `vm`: CPU
/// time used by the guest and the memory it currently has.
pub const METRIC_TYPES: [&str; 2] = ["cpu_seconds", "memory_bytes"];

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use virt::connect::Connect;
use virt::domain::{Domain, DomainState};
use virt::error::ErrorNumber;
use virt::sys;

use crate::config::LibvirtConfig;
use crate::driver::{
    checked_service_id, Driver, DriverError, JobContext, MetricSample, Observation, ObservedState,
    Outcome, ServiceRecord,
};
use crate::driver::{Snapshot, SnapshotWriter};
use domain_xml::Definition;
use spec::{Size, VmSpec};

/// How often a stop looks whether the guest has powered off.
const SHUTDOWN_POLL: Duration = Duration::from_millis(250);

pub struct LibvirtDriver {
    connection: Arc<Connection>,
    network: Option<String>,
    storage_pool: Option<String>,
    name_prefix: String,
    domain_type: String,
    shutdown_timeout: Duration,
}

/// The hypervisor connection, opened again when it died (libvirtd restarts
/// on upgrades) if the driver knows its URI.
struct Connection {
    uri: Option<String>,
    current: Mutex<Connect>,
}

impl Connection {
    fn get(&self) -> Result<Connect, DriverError> {
        let mut current = self
            .current
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(uri) = &self.uri {
            if !current.is_alive().unwrap_or(false) {
                tracing::warn!(uri, "the libvirt connection was lost; reconnecting");
                *current = Connect::open(Some(uri))
                    .map_err(|e| failed(&format!("cannot connect to {uri}"), e))?;
            }
        }
        Ok(current.clone())
    }
}

impl LibvirtDriver {
    /// Connects to the hypervisor at `config.uri`.
    pub fn open(config: &LibvirtConfig) -> anyhow::Result<LibvirtDriver> {
        quiet_libvirt();
        let connection = Connect::open(Some(&config.uri))
            .map_err(|e| anyhow::anyhow!("cannot connect to libvirt at {}: {e}", config.uri))?;
        Self::new(connection, Some(config.uri.clone()), config)
    }

    /// Works on a connection the caller opened (and may keep using, as tests
    /// do to look at the hypervisor), never reconnecting.
    pub fn with_connection(
        connection: Connect,
        config: &LibvirtConfig,
    ) -> anyhow::Result<LibvirtDriver> {
        quiet_libvirt();
        Self::new(connection, None, config)
    }

    fn new(
        connection: Connect,
        uri: Option<String>,
        config: &LibvirtConfig,
    ) -> anyhow::Result<LibvirtDriver> {
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
        let domain_type = match &config.domain_type {
            Some(domain_type) => domain_type.clone(),
            None => default_domain_type(
                &connection
                    .driver_type()
                    .map_err(|e| anyhow::anyhow!("cannot ask libvirt for its hypervisor: {e}"))?,
            ),
        };
        Ok(LibvirtDriver {
            connection: Arc::new(Connection {
                uri,
                current: Mutex::new(connection),
            }),
            network: config.network.clone(),
            storage_pool: config.storage_pool.clone(),
            name_prefix: config.name_prefix.clone(),
            domain_type,
            shutdown_timeout: Duration::from_secs(config.shutdown_timeout_seconds),
        })
    }

    /// The name of a service's domain; stable, so a repeated job finds it.
    fn domain_name(&self, service_id: &str) -> Result<String, DriverError> {
        Ok(format!(
            "{}{}",
            self.name_prefix,
            checked_service_id(service_id)?
        ))
    }

    /// Runs libvirt calls on the blocking pool.
    async fn blocking<T, F>(&self, work: F) -> Result<T, DriverError>
    where
        T: Send + 'static,
        F: FnOnce(&Connect) -> Result<T, DriverError> + Send + 'static,
    {
        let connection = self.connection.clone();
        tokio::task::spawn_blocking(move || work(&connection.get()?))
            .await
            .map_err(|e| DriverError::Failed(format!("a libvirt call panicked: {e}")))?
    }

    async fn create(&self, job: &JobContext) -> Result<Outcome, DriverError> {
        let spec = VmSpec::from_properties(&job.properties)?;
        let name = self.domain_name(&job.service_id)?;
        let title = format!("{} ({})", job.service_name, job.service_id);
        let network = self.network.clone();
        let pool = self.storage_pool.clone();
        let domain_type = self.domain_type.clone();
        self.blocking(move |connection| {
            // Defined before a crash: the same VM, not a second one.
            if let Some(domain) = lookup(connection, &name)? {
                return describe(&domain);
            }
            let disk = spec
                .disk
                .as_ref()
                .map(|request| storage::prepare(connection, pool.as_deref(), &name, request))
                .transpose()?;
            let xml = Definition {
                name: &name,
                title: &title,
                domain_type: &domain_type,
                vcpus: spec.vcpus,
                memory_mib: spec.memory_mib,
                disk: disk.as_ref(),
                network: network.as_deref(),
            }
            .to_xml();
            let domain = connection
                .define_domain_xml(&xml)
                .map_err(|e| failed(&format!("cannot define {name}"), e))?;
            describe(&domain)
        })
        .await
    }

    async fn start(&self, job: &JobContext) -> Result<Outcome, DriverError> {
        let name = self.domain_name(&job.service_id)?;
        self.blocking(move |connection| {
            let domain = require(connection, &name)?;
            let context = |verb: &str| format!("cannot {verb} {name}");
            match state(&domain)? {
                DomainState::Running | DomainState::Blocked => {}
                DomainState::Paused => {
                    domain.resume().map_err(|e| failed(&context("resume"), e))?
                }
                DomainState::PMSuspended => domain
                    .pm_wakeup(0)
                    .map_err(|e| failed(&context("wake up"), e))?,
                DomainState::Shutdown => {
                    return Err(DriverError::Failed(format!(
                        "{name} is shutting down; start it once it is off"
                    )))
                }
                DomainState::Shutoff | DomainState::Crashed | DomainState::NoState => {
                    domain.create().map_err(|e| failed(&context("start"), e))?
                }
            }
            describe(&domain)
        })
        .await
    }

    async fn stop(&self, job: &JobContext) -> Result<Outcome, DriverError> {
        let name = self.domain_name(&job.service_id)?;
        let asked = {
            let name = name.clone();
            self.blocking(move |connection| {
                let Some(domain) = lookup(connection, &name)? else {
                    return Ok(false);
                };
                match state(&domain)? {
                    DomainState::Shutoff | DomainState::Crashed | DomainState::NoState => {}
                    // A paused or suspended guest cannot hear the power button.
                    DomainState::Paused | DomainState::PMSuspended => force_off(&domain, &name)?,
                    DomainState::Running | DomainState::Blocked | DomainState::Shutdown => {
                        if let Err(e) = domain.shutdown() {
                            // It may have gone off between the two calls.
                            if domain.is_active().unwrap_or(true) {
                                return Err(failed(&format!("cannot shut down {name}"), e));
                            }
                        }
                    }
                }
                Ok(true)
            })
            .await?
        };
        if !asked {
            return Ok(Outcome::default());
        }
        let deadline = std::time::Instant::now() + self.shutdown_timeout;
        loop {
            let name = name.clone();
            let off = self
                .blocking(move |connection| {
                    let domain = require(connection, &name)?;
                    let active = domain
                        .is_active()
                        .map_err(|e| failed(&format!("cannot read the state of {name}"), e))?;
                    if !active {
                        return describe(&domain).map(Some);
                    }
                    if std::time::Instant::now() >= deadline {
                        // The guest ignored the power button for too long.
                        force_off(&domain, &name)?;
                        return describe(&domain).map(Some);
                    }
                    Ok(None)
                })
                .await?;
            if let Some(outcome) = off {
                return Ok(outcome);
            }
            tokio::time::sleep(SHUTDOWN_POLL).await;
        }
    }

    async fn update(&self, job: &JobContext) -> Result<Outcome, DriverError> {
        let size = Size::from_properties(&job.properties)?;
        let name = self.domain_name(&job.service_id)?;
        self.blocking(move |connection| {
            let domain = require(connection, &name)?;
            resize(&domain, &name, size)?;
            let mut outcome = describe(&domain)?;
            let running = domain
                .is_active()
                .map_err(|e| failed(&format!("cannot read the state of {name}"), e))?;
            if let Some(serde_json::Value::Object(data)) = outcome.agent_instance_data.as_mut() {
                // The new size is in the configuration; the running guest
                // keeps its own until it boots again.
                data.insert("appliesOnNextBoot".into(), json!(running));
            }
            Ok(outcome)
        })
        .await
    }

    async fn delete(&self, job: &JobContext) -> Result<Outcome, DriverError> {
        let name = self.domain_name(&job.service_id)?;
        let pool = self.storage_pool.clone();
        self.blocking(move |connection| {
            if let Some(domain) = lookup(connection, &name)? {
                if domain.is_active().unwrap_or(true) {
                    force_off(&domain, &name)?;
                }
                domain
                    .undefine_flags(sys::VIR_DOMAIN_UNDEFINE_MANAGED_SAVE)
                    .map_err(|e| failed(&format!("cannot undefine {name}"), e))?;
            }
            // Also after a delete that stopped between the two.
            storage::remove(connection, pool.as_deref(), &name)?;
            Ok(Outcome::default())
        })
        .await
    }
}

#[async_trait::async_trait]
impl Driver for LibvirtDriver {
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
        if into.format() != DISK_FORMAT {
            return Err(DriverError::Failed(format!(
                "a VM's disk exports as {DISK_FORMAT}, not {}",
                into.format()
            )));
        }
        let name = self.domain_name(&job.service_id)?;
        let pool = self.storage_pool.clone();
        // A few chunks in flight between the hypervisor's stream and the
        // file, never the disk.
        let (chunks, mut received) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
        let download = self.blocking(move |connection| {
            disk_transfer::download(connection, pool.as_deref(), &name, chunks)
        });
        let write = async {
            while let Some(chunk) = received.recv().await {
                into.write(&chunk).await?;
            }
            Ok::<(), DriverError>(())
        };
        let (downloaded, written) = tokio::join!(download, write);
        downloaded?;
        written
    }

    async fn import(&self, job: &JobContext, snapshot: &Snapshot) -> Result<(), DriverError> {
        if snapshot.format != DISK_FORMAT {
            return Err(DriverError::Failed(format!(
                "a VM's disk imports {DISK_FORMAT}, not {}",
                snapshot.format
            )));
        }
        let name = self.domain_name(&job.service_id)?;
        let was_running = {
            let name = name.clone();
            self.blocking(move |connection| {
                let domain = require(connection, &name)?;
                domain
                    .is_active()
                    .map_err(|e| failed(&format!("cannot read the state of {name}"), e))
            })
            .await?
        };
        // The guest must not write to the disk being replaced.
        if was_running {
            self.stop(job).await?;
        }
        let pool = self.storage_pool.clone();
        let (path, size_bytes) = (snapshot.path.clone(), snapshot.size_bytes);
        let uploaded = self
            .blocking(move |connection| {
                disk_transfer::upload(connection, pool.as_deref(), &name, &path, size_bytes)
            })
            .await;
        if was_running {
            self.start(job).await?;
        }
        uploaded
    }

    async fn erase(&self, job: &JobContext) -> Result<(), DriverError> {
        self.delete(job).await?;
        let name = self.domain_name(&job.service_id)?;
        let pool = self.storage_pool.clone();
        // The erasure is confirmed only by looking: neither is left.
        self.blocking(move |connection| {
            if lookup(connection, &name)?.is_some() {
                return Err(DriverError::Failed(format!("{name} is still defined")));
            }
            if let Some(pool) = &pool {
                if storage::find(connection, pool, &name)?.is_some() {
                    return Err(DriverError::Failed(format!(
                        "the disk of {name} is still in storage pool {pool}"
                    )));
                }
            }
            Ok(())
        })
        .await
    }

    async fn observe(&self, services: &[ServiceRecord]) -> Vec<Observation> {
        let named: Vec<(String, String)> = services
            .iter()
            .filter_map(|service| {
                let name = self.domain_name(&service.service_id).ok()?;
                Some((service.service_id.clone(), name))
            })
            .collect();
        let observed = self
            .blocking(move |connection| {
                let mut observed = Vec::new();
                for (service_id, name) in named {
                    // A domain whose state cannot be read is left out: unknown.
                    let state = match lookup(connection, &name) {
                        Ok(None) => ObservedState::Missing,
                        Ok(Some(domain)) => match state(&domain) {
                            Ok(state) => observed_state(state),
                            Err(_) => continue,
                        },
                        Err(_) => continue,
                    };
                    observed.push(Observation::new(service_id, state));
                }
                Ok(observed)
            })
            .await;
        observed.unwrap_or_else(|error| {
            tracing::warn!(%error, "cannot observe VMs");
            Vec::new()
        })
    }

    async fn metrics(&self) -> Vec<MetricSample> {
        let prefix = self.name_prefix.clone();
        let usage = self
            .blocking(move |connection| {
                let domains = connection
                    .list_all_domains(sys::VIR_CONNECT_LIST_DOMAINS_ACTIVE)
                    .map_err(|e| failed("cannot list domains", e))?;
                let mut usage = Vec::new();
                for domain in domains {
                    let Ok(name) = domain.name() else { continue };
                    let Some(service_id) = name.strip_prefix(&prefix) else {
                        continue;
                    };
                    // A domain that went away since the listing has no usage.
                    let Ok(info) = domain.info() else { continue };
                    usage.push((service_id.to_string(), info));
                }
                Ok(usage)
            })
            .await;
        let usage = match usage {
            Ok(usage) => usage,
            Err(error) => {
                tracing::warn!(%error, "no VM metrics");
                return Vec::new();
            }
        };
        let now = chrono::Utc::now();
        let mut samples = Vec::new();
        for (service_id, info) in usage {
            let values = [
                info.cpu_time as f64 / 1e9,
                info.memory.saturating_mul(1024) as f64,
            ];
            for (type_name, value) in METRIC_TYPES.into_iter().zip(values) {
                samples.push(MetricSample {
                    service_id: service_id.clone(),
                    resource_id: "vm".into(),
                    type_name: type_name.into(),
                    value,
                    at: now,
                });
            }
        }
        samples
    }
}

/// `kvm` for QEMU (hardware virtualisation is what a provider wants), the
/// hypervisor's own name elsewhere (`test`, `xen`, …).
fn default_domain_type(driver_type: &str) -> String {
    match driver_type.to_ascii_lowercase().as_str() {
        "qemu" => "kvm".into(),
        other => other.into(),
    }
}

/// libvirt prints every error to stderr by default; the driver reports them
/// itself, with context.
fn quiet_libvirt() {
    virt::error::clear_error_callback();
}

fn lookup(connection: &Connect, name: &str) -> Result<Option<Domain>, DriverError> {
    match connection.lookup_domain_by_name(name) {
        Ok(domain) => Ok(Some(domain)),
        Err(e) if not_found(&e, ErrorNumber::NoDomain) => Ok(None),
        Err(e) => Err(failed(&format!("cannot look up {name}"), e)),
    }
}

fn require(connection: &Connect, name: &str) -> Result<Domain, DriverError> {
    lookup(connection, name)?.ok_or_else(|| {
        DriverError::Failed(format!(
            "there is no VM {name}: the service was never created on this host"
        ))
    })
}

fn state(domain: &Domain) -> Result<DomainState, DriverError> {
    let (state, _reason) = domain
        .state()
        .map_err(|e| failed("cannot read a VM's state", e))?;
    Ok(state.unwrap_or(DomainState::NoState))
}

/// What a domain's state means for its service: paused or suspended
/// guests still hold their resources, so they count as running.
fn observed_state(state: DomainState) -> ObservedState {
    match state {
        DomainState::Running
        | DomainState::Blocked
        | DomainState::Paused
        | DomainState::PMSuspended
        | DomainState::Shutdown => ObservedState::Running,
        DomainState::Shutoff | DomainState::Crashed | DomainState::NoState => {
            ObservedState::Stopped
        }
    }
}

fn force_off(domain: &Domain, name: &str) -> Result<(), DriverError> {
    match domain.destroy() {
        Ok(()) => Ok(()),
        // Already off: what was wanted.
        Err(e) if e.code().is(ErrorNumber::OperationInvalid) => Ok(()),
        Err(e) => Err(failed(&format!("cannot power off {name}"), e)),
    }
}

/// Sets the size in the domain's configuration. The maximum bounds the
/// current value, so the order depends on whether the size grows or shrinks.
fn resize(domain: &Domain, name: &str, size: Size) -> Result<(), DriverError> {
    let config = sys::VIR_DOMAIN_AFFECT_CONFIG;
    let info = domain
        .info()
        .map_err(|e| failed(&format!("cannot read the size of {name}"), e))?;
    if let Some(vcpus) = size.vcpus {
        let set_max = || domain.set_vcpus_flags(vcpus, config | sys::VIR_DOMAIN_VCPU_MAXIMUM);
        let set_current = || domain.set_vcpus_flags(vcpus, config);
        let steps: [&dyn Fn() -> Result<(), virt::error::Error>; 2] = if vcpus >= info.nr_virt_cpu {
            [&set_max, &set_current]
        } else {
            [&set_current, &set_max]
        };
        for step in steps {
            step().map_err(|e| failed(&format!("cannot set {name} to {vcpus} vCPUs"), e))?;
        }
    }
    if let Some(memory_mib) = size.memory_mib {
        let kib = memory_mib * 1024;
        let set_max = || domain.set_memory_flags(kib, config | sys::VIR_DOMAIN_MEM_MAXIMUM);
        let set_current = || domain.set_memory_flags(kib, config);
        let steps: [&dyn Fn() -> Result<(), virt::error::Error>; 2] = if kib >= info.max_mem {
            [&set_max, &set_current]
        } else {
            [&set_current, &set_max]
        };
        for step in steps {
            step().map_err(|e| {
                failed(
                    &format!("cannot set {name} to {memory_mib} MiB of memory"),
                    e,
                )
            })?;
        }
    }
    Ok(())
}

/// The outcome naming a domain: its UUID as the instance id, and what an
/// operator or consumer wants to see.
fn describe(domain: &Domain) -> Result<Outcome, DriverError> {
    let uuid = domain
        .uuid_string()
        .map_err(|e| failed("cannot read a VM's UUID", e))?;
    let name = domain
        .name()
        .map_err(|e| failed("cannot read a VM's name", e))?;
    let info = domain
        .info()
        .map_err(|e| failed(&format!("cannot read the state of {name}"), e))?;
    // The configuration holds the size the next boot gets; info holds the
    // running guest's.
    let vcpus = domain
        .vcpus_flags(sys::VIR_DOMAIN_AFFECT_CONFIG)
        .unwrap_or(info.nr_virt_cpu);
    let memory_kib = configured_memory_kib(domain).unwrap_or(info.max_mem);
    Ok(Outcome {
        agent_instance_id: Some(uuid),
        agent_instance_data: Some(json!({
            "name": name,
            "state": state(domain)?.to_string(),
            "vcpus": vcpus,
            "memoryMiB": memory_kib / 1024,
        })),
        properties: None,
    })
}

/// The maximum memory in the domain's configuration, which libvirt only
/// tells through the XML (its API answers with the running guest's).
fn configured_memory_kib(domain: &Domain) -> Option<u64> {
    let xml = domain.xml_desc(sys::VIR_DOMAIN_XML_INACTIVE).ok()?;
    memory_kib_in(&xml)
}

/// libvirt writes `<memory unit='KiB'>…</memory>` whatever unit it was given.
fn memory_kib_in(xml: &str) -> Option<u64> {
    let start = xml.find("<memory unit='KiB'>")? + "<memory unit='KiB'>".len();
    let rest = &xml[start..];
    rest[..rest.find('<')?].trim().parse().ok()
}

/// libvirt's message, which the service type's lifecycle may route (e.g. an
/// out-of-memory refusal to a quota state), behind what was being done.
fn failed(context: &str, error: virt::error::Error) -> DriverError {
    DriverError::Failed(format!("{context}: {}", error.message()))
}

fn not_found(error: &virt::error::Error, code: ErrorNumber) -> bool {
    error.code().is(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_is_read_from_the_domain_xml() {
        let xml = "<domain type='kvm'>\n  <name>a</name>\n  <memory unit='KiB'>1048576</memory>\n  <currentMemory unit='KiB'>524288</currentMemory>\n</domain>";
        assert_eq!(memory_kib_in(xml), Some(1_048_576));
        assert_eq!(memory_kib_in("<domain/>"), None);
    }

    #[test]
    fn qemu_vms_use_kvm_by_default() {
        assert_eq!(default_domain_type("QEMU"), "kvm");
        assert_eq!(default_domain_type("Test"), "test");
    }
}
