//! What a driver is: the trait the runtime calls and the values it passes
//! and gets back.

use serde_json::{Map, Value};

mod error;
mod snapshot;

pub use error::DriverError;
pub(crate) use snapshot::hash_file;
pub use snapshot::{Snapshot, SnapshotWriter};

/// What a driver needs to know to carry out one job.
#[derive(Debug, Clone)]
pub struct JobContext {
    pub job_id: String,
    pub action: String,
    pub service_id: String,
    pub service_name: String,
    /// The service's properties, `vault://` references resolved. For
    /// `create` and `update`, the properties the job asks for.
    pub properties: Map<String, Value>,
    pub agent_instance_id: Option<String>,
    pub agent_instance_data: Option<Value>,
}

/// What the driver reports with a completion; `None` keeps what the exchange
/// has.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub agent_instance_id: Option<String>,
    pub agent_instance_data: Option<Value>,
    /// Properties the agent sets (those the schema lets the agent write).
    pub properties: Option<Map<String, Value>>,
}

impl Outcome {
    pub fn instance(id: impl Into<String>) -> Outcome {
        Outcome {
            agent_instance_id: Some(id.into()),
            ..Outcome::default()
        }
    }
}

/// One measurement for the exchange.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricSample {
    pub service_id: String,
    pub resource_id: String,
    /// A metric type name known to the exchange.
    pub type_name: String,
    pub value: f64,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// A service the exchange has placed on this agent, as it records it; what
/// [`Driver::observe`] is asked about.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceRecord {
    pub service_id: String,
    /// The service's lifecycle state at the exchange, e.g. `Started`.
    pub state: String,
    pub agent_instance_id: Option<String>,
    pub agent_instance_data: Option<Value>,
}

/// What the platform shows of a service, whatever its lifecycle calls it:
/// `Running` (a live process, a running domain), `Stopped` (shut off,
/// scaled to zero) or `Missing` (no instance).
pub use federa_client::api::observations::ObservedState;

/// The observed state of one service, as [`Driver::observe`] reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub service_id: String,
    pub state: ObservedState,
}

impl Observation {
    pub fn new(service_id: impl Into<String>, state: ObservedState) -> Observation {
        Observation {
            service_id: service_id.into(),
            state,
        }
    }
}

#[async_trait::async_trait]
pub trait Driver: Send + Sync + 'static {
    /// Carries out one job. Must be safe to repeat.
    async fn execute(&self, job: &JobContext) -> Result<Outcome, DriverError>;

    /// What the platform shows of each of `services`, to be compared with
    /// their lifecycle states. Answer for the services the driver can see
    /// (a service with no instance is [`ObservedState::Missing`]); a
    /// service left out is one whose state is unknown, e.g. while the
    /// platform does not answer. Must only look, never change anything. The
    /// default observes nothing.
    async fn observe(&self, services: &[ServiceRecord]) -> Vec<Observation> {
        let _ = services;
        Vec::new()
    }

    /// Current usage of the services this driver runs.
    async fn metrics(&self) -> Vec<MetricSample> {
        Vec::new()
    }

    /// Writes the service's exportable data into `into`, in
    /// `into.format()`, for a switch to another provider. Runs while the
    /// service keeps running; what it writes is one consistent moment of
    /// the data. The default cannot export.
    async fn export(&self, job: &JobContext, into: &mut SnapshotWriter) -> Result<(), DriverError> {
        let _ = (job, into);
        Err(DriverError::Unsupported("export".into()))
    }

    /// Loads `snapshot`, an export whose size and SHA-256 were verified,
    /// into the service, which exists on this agent; the service's data
    /// becomes the snapshot's. The driver may move the file away. The
    /// default cannot import.
    async fn import(&self, job: &JobContext, snapshot: &Snapshot) -> Result<(), DriverError> {
        let _ = (job, snapshot);
        Err(DriverError::Unsupported("import".into()))
    }

    /// Stops the service and removes it with all its data, leaving nothing
    /// of it on the platform; the switch records the completion as the
    /// confirmation. The default cannot erase.
    async fn erase(&self, job: &JobContext) -> Result<(), DriverError> {
        let _ = job;
        Err(DriverError::Unsupported("erase".into()))
    }

    /// Called once when the agent stops.
    async fn shutdown(&self) {}
}

/// A service id fit to name things on the host (a directory, a VM). Ids come
/// from the exchange; anything that could escape a path or break a name is
/// refused rather than escaped.
pub(crate) fn checked_service_id(service_id: &str) -> Result<&str, DriverError> {
    if service_id.is_empty()
        || !service_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(DriverError::Failed(format!(
            "unusable service id {service_id:?}"
        )));
    }
    Ok(service_id)
}
