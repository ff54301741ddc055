//! The reference agent: runs next to a provider's infrastructure, takes jobs
//! from the exchange and carries them out through a [`Driver`].
//!
//! # Writing a driver
//!
//! A driver turns one job into work on real infrastructure. Implement
//! [`Driver::execute`] (one call per job, whatever the action) and, if the
//! infrastructure can report usage, [`Driver::metrics`]:
//!
//! ```
//! use federa_agent::{Driver, DriverError, JobContext, Outcome};
//!
//! struct Echo;
//!
//! #[async_trait::async_trait]
//! impl Driver for Echo {
//!     async fn execute(&self, job: &JobContext) -> Result<Outcome, DriverError> {
//!         match job.action.as_str() {
//!             "create" => Ok(Outcome::instance(format!("echo-{}", job.service_id))),
//!             "start" | "stop" | "update" | "delete" => Ok(Outcome::default()),
//!             other => Err(DriverError::Unsupported(other.to_string())),
//!         }
//!     }
//! }
//! ```
//!
//! The runtime claims the job, renews its lease while `execute` runs,
//! resolves `vault://` references in the properties first, and reports the
//! outcome: `Ok` completes the job, `Err` fails it with the error's message,
//! which the service type's lifecycle may route (e.g. `quota` errors). A job
//! may be delivered again after a crash, so `execute` must be safe to
//! repeat: creating what exists, or stopping what is stopped, succeeds.
//!
//! # Reporting what the platform shows
//!
//! Things change behind the exchange's back: a VM is destroyed by hand, a
//! process dies for good. A driver that can look implements
//! [`Driver::observe`]: given the services the exchange has placed on the
//! agent, it says for each whether the platform shows it
//! [`ObservedState::Running`], [`ObservedState::Stopped`] or
//! [`ObservedState::Missing`], and leaves out those it cannot tell. The
//! `process` and `libvirt` drivers implement it.
//!
//! ```
//! use federa_agent::{Observation, ObservedState, ServiceRecord};
//!
//! // Inside `impl Driver`: `async fn observe(&self, services: &[ServiceRecord]) -> Vec<Observation>`
//! fn observe(services: &[ServiceRecord]) -> Vec<Observation> {
//!     services
//!         .iter()
//!         .map(|service| Observation::new(&service.service_id, ObservedState::Running))
//!         .collect()
//! }
//! # assert!(observe(&[]).is_empty());
//! ```
//!
//! # Moving a service's data when it switches providers
//!
//! A driver whose platform can hand over a service's data implements
//! [`Driver::export`] (write it through the given [`SnapshotWriter`]),
//! [`Driver::import`] (load a verified [`Snapshot`]) and
//! [`Driver::erase`] (remove the service and all its data). The agent's
//! [`transfer`] module serves exports to other agents and fetches imports;
//! the process driver's `kv-store` implements all three. A driver that
//! cannot keeps the defaults, which say so.

mod config;
pub mod credentials;
mod digest;
mod driver;
pub mod install;
#[cfg(feature = "kubernetes")]
pub mod kubernetes;
pub mod kv_store;
#[cfg(feature = "libvirt")]
pub mod libvirt;
#[cfg(feature = "openstack")]
pub mod openstack;
pub mod process;
#[cfg(any(feature = "libvirt", feature = "openstack"))]
mod properties;
mod reports;
mod runtime;
mod secrets;
pub mod static_site;
pub mod transfer;

pub use config::{
    AgentConfig, AppQuotaConfig, DriverConfig, KubernetesConfig, LibvirtConfig, OpenStackConfig,
    TransferConfig,
};
pub use driver::{
    Driver, DriverError, JobContext, MetricSample, Observation, ObservedState, Outcome,
    ServiceRecord, Snapshot, SnapshotWriter,
};
pub use runtime::{run, Runtime};
