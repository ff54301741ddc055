//! The `kubernetes` driver: each service is a namespace of a Kubernetes
//! cluster (upstream Kubernetes, K3s, OKD), named by the configured prefix
//! and the service id, holding either a container application or a tenant
//! namespace handed to the consumer (see [`properties`] for which).
//!
//! Every object is written with server-side apply under the configured field
//! manager and labelled with the service id and the agent's owner label (the
//! prefix without its trailing dashes), so every action can repeat, a
//! restarted agent finds what it made by name and label, and agents of other
//! providers on the same cluster leave each other's objects alone.
//!
//! A container application can switch providers: it exports its objects as
//! [`manifests::FORMAT`], imports another's in place of its own, and is
//! erased with its namespace (see `switching`).

mod application;
mod cluster;
pub mod manifests;
pub mod objects;
pub mod properties;
mod switching;
mod tenant;

use std::time::Duration;

use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use kube::Client;
use serde_json::json;

use crate::config::KubernetesConfig;
use crate::driver::{
    checked_service_id, Driver, DriverError, JobContext, MetricSample, Observation, Outcome,
    ServiceRecord, Snapshot, SnapshotWriter,
};
pub use cluster::Capacity;
use properties::Product;

/// The metric types the driver reports; an exchange must define them first
/// (`catalogue/kubernetes/metric-types.json`).
pub const METRIC_TYPES: [&str; 9] = [
    "kubernetes_replicas_desired",
    "kubernetes_replicas_ready",
    "kubernetes_restarts",
    "kubernetes_quota_cpu_hard",
    "kubernetes_quota_cpu_used",
    "kubernetes_quota_memory_hard",
    "kubernetes_quota_memory_used",
    "kubernetes_quota_pods_hard",
    "kubernetes_quota_pods_used",
];

/// How often a wait looks at the cluster again.
const POLL: Duration = Duration::from_millis(500);

pub struct KubernetesDriver {
    client: Client,
    config: KubernetesConfig,
    owner: String,
    /// What tenant kubeconfigs name as their server and its CA.
    server: String,
    ca_data: Option<String>,
    routes: tokio::sync::OnceCell<bool>,
}

impl KubernetesDriver {
    /// Connects with the configured kubeconfig, or the pod's in-cluster
    /// credentials when none is configured.
    pub async fn connect(config: &KubernetesConfig) -> anyhow::Result<KubernetesDriver> {
        let client_config = match &config.kubeconfig {
            Some(path) => {
                let kubeconfig = kube::config::Kubeconfig::read_from(path)
                    .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
                let options = kube::config::KubeConfigOptions {
                    context: config.context.clone(),
                    ..Default::default()
                };
                kube::Config::from_custom_kubeconfig(kubeconfig, &options)
                    .await
                    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
            }
            None => kube::Config::incluster().map_err(|e| {
                anyhow::anyhow!("no kubeconfig configured and not in a cluster: {e}")
            })?,
        };
        KubernetesDriver::new(client_config, config)
    }

    pub fn new(
        client_config: kube::Config,
        config: &KubernetesConfig,
    ) -> anyhow::Result<KubernetesDriver> {
        let owner = config.namespace_prefix.trim_end_matches('-').to_string();
        if !valid_prefix(&config.namespace_prefix) || owner.is_empty() {
            anyhow::bail!(
                "namespace_prefix {:?} must be 1 to 26 lowercase letters, digits and dashes, starting with a letter",
                config.namespace_prefix
            );
        }
        let server = config.public_server.clone().unwrap_or_else(|| {
            client_config
                .cluster_url
                .to_string()
                .trim_end_matches('/')
                .to_string()
        });
        let ca_data = client_config.root_cert.as_ref().map(|certificates| {
            use base64::Engine;
            let pem: String = certificates
                .iter()
                .map(|der| pem_certificate(der))
                .collect();
            base64::engine::general_purpose::STANDARD.encode(pem)
        });
        let client = Client::try_from(client_config)?;
        Ok(KubernetesDriver {
            client,
            config: config.clone(),
            owner,
            server,
            ca_data,
            routes: tokio::sync::OnceCell::new(),
        })
    }

    fn namespace_of(&self, service_id: &str) -> String {
        format!("{}{service_id}", self.config.namespace_prefix)
    }

    fn apply_params(&self) -> PatchParams {
        PatchParams::apply(&self.config.field_manager).force()
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(self.config.rollout_timeout_seconds.max(1))
    }

    /// Whether the cluster serves OpenShift Routes (OKD), asked once.
    async fn serves_routes(&self) -> bool {
        *self
            .routes
            .get_or_init(|| async {
                match self.client.list_api_groups().await {
                    Ok(groups) => groups.groups.iter().any(|g| g.name == "route.openshift.io"),
                    Err(error) => {
                        tracing::warn!(%error, "cannot list API groups; using Ingress");
                        false
                    }
                }
            })
            .await
    }

    /// Whether `namespace` carries this agent's owner label and the
    /// service's id.
    fn made_for(&self, namespace: &Namespace, service_id: &str) -> bool {
        let labels = namespace.metadata.labels.as_ref();
        let label = |key: &str| labels.and_then(|l| l.get(key)).map(String::as_str);
        label(objects::OWNER) == Some(self.owner.as_str())
            && label(objects::SERVICE_ID) == Some(service_id)
    }

    /// The product of the service's namespace, which must exist and be
    /// this agent's, made for the service.
    async fn product_in(&self, name: &str, service_id: &str) -> Result<String, DriverError> {
        let namespaces: Api<Namespace> = Api::all(self.client.clone());
        let existing = namespaces
            .get_opt(name)
            .await
            .map_err(|e| api_error("cannot read the namespace", e))?
            .ok_or_else(|| {
                DriverError::Failed(format!(
                    "namespace {name} does not exist: the service was never created on this cluster"
                ))
            })?;
        if !self.made_for(&existing, service_id) {
            return Err(DriverError::Failed(format!(
                "namespace {name} was not made by this agent for this service; left alone"
            )));
        }
        Ok(existing
            .metadata
            .labels
            .and_then(|mut labels| labels.remove(objects::PRODUCT))
            .unwrap_or_default())
    }

    /// Applies the service's namespace, refusing one that exists but is not
    /// this agent's or this service's.
    async fn ensure_namespace(
        &self,
        name: &str,
        service_id: &str,
        product: &str,
    ) -> Result<(), DriverError> {
        let namespaces: Api<Namespace> = Api::all(self.client.clone());
        if let Some(existing) = namespaces
            .get_opt(name)
            .await
            .map_err(|e| api_error("cannot read the namespace", e))?
        {
            if !self.made_for(&existing, service_id) {
                return Err(DriverError::Failed(format!(
                    "namespace {name} exists and was not made by this agent for this service"
                )));
            }
            if existing.metadata.deletion_timestamp.is_some() {
                return Err(DriverError::Failed(format!(
                    "namespace {name} is still being deleted"
                )));
            }
        }
        let labels = objects::labels(&self.owner, service_id, product);
        namespaces
            .patch(
                name,
                &self.apply_params(),
                &Patch::Apply(&objects::namespace(name, &labels)),
            )
            .await
            .map_err(|e| api_error("cannot apply the namespace", e))?;
        Ok(())
    }

    /// Deletes the service's namespace, and so everything in it, and waits
    /// until it is gone. Gone already is done.
    async fn delete_namespace(&self, name: &str, service_id: &str) -> Result<Outcome, DriverError> {
        let namespaces: Api<Namespace> = Api::all(self.client.clone());
        let Some(existing) = namespaces
            .get_opt(name)
            .await
            .map_err(|e| api_error("cannot read the namespace", e))?
        else {
            return Ok(Outcome::default());
        };
        if !self.made_for(&existing, service_id) {
            return Err(DriverError::Failed(format!(
                "namespace {name} was not made by this agent for this service; left alone"
            )));
        }
        match namespaces.delete(name, &DeleteParams::default()).await {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.is_not_found() => {}
            Err(error) => return Err(api_error("cannot delete the namespace", error)),
        }
        let deadline = tokio::time::Instant::now() + self.timeout();
        loop {
            match namespaces.get_opt(name).await {
                Ok(None) => return Ok(Outcome::default()),
                Ok(Some(_)) if tokio::time::Instant::now() >= deadline => {
                    return Err(DriverError::Failed(format!(
                        "namespace {name} was not gone within {} s",
                        self.timeout().as_secs()
                    )))
                }
                Ok(Some(_)) => tokio::time::sleep(POLL).await,
                Err(error) => return Err(api_error("cannot read the namespace", error)),
            }
        }
    }
}

#[async_trait::async_trait]
impl Driver for KubernetesDriver {
    async fn execute(&self, job: &JobContext) -> Result<Outcome, DriverError> {
        let service_id = checked_service_id(&job.service_id)?;
        let namespace = self.namespace_of(service_id);
        if job.action == "delete" {
            return self.delete_namespace(&namespace, service_id).await;
        }
        match properties::product(&job.properties)? {
            Product::Application(app) => {
                application::execute(self, &job.action, service_id, &namespace, &app).await
            }
            Product::Tenant(tenant) => {
                tenant::execute(self, &job.action, service_id, &namespace, &tenant).await
            }
        }
    }

    async fn export(&self, job: &JobContext, into: &mut SnapshotWriter) -> Result<(), DriverError> {
        let service_id = checked_service_id(&job.service_id)?;
        switching::export(self, service_id, &self.namespace_of(service_id), into).await
    }

    async fn import(&self, job: &JobContext, snapshot: &Snapshot) -> Result<(), DriverError> {
        let service_id = checked_service_id(&job.service_id)?;
        switching::import(self, service_id, &self.namespace_of(service_id), snapshot).await
    }

    /// Deletes the service's namespace, with every object in it, and
    /// returns once the API server no longer has it.
    async fn erase(&self, job: &JobContext) -> Result<(), DriverError> {
        let service_id = checked_service_id(&job.service_id)?;
        self.delete_namespace(&self.namespace_of(service_id), service_id)
            .await
            .map(drop)
    }

    async fn observe(&self, services: &[ServiceRecord]) -> Vec<Observation> {
        match cluster::observe(self, services).await {
            Ok(observations) => observations,
            Err(error) => {
                tracing::warn!(%error, "cannot observe the services on Kubernetes");
                Vec::new()
            }
        }
    }

    async fn metrics(&self) -> Vec<MetricSample> {
        match cluster::metrics(self).await {
            Ok(samples) => samples,
            Err(error) => {
                tracing::warn!(%error, "no Kubernetes metrics");
                Vec::new()
            }
        }
    }
}

fn valid_prefix(prefix: &str) -> bool {
    (1..=26).contains(&prefix.len())
        && prefix.starts_with(|c: char| c.is_ascii_lowercase())
        && prefix
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn pem_certificate(der: &[u8]) -> String {
    use base64::Engine;
    let text = base64::engine::general_purpose::STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in text.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    pem
}

/// The API server's own message when it refused, so a lifecycle can route
/// it (`exceeded quota`, `forbidden`, `is invalid`); otherwise what failed.
pub(crate) fn api_error(context: &str, error: kube::Error) -> DriverError {
    match error {
        kube::Error::Api(status) if !status.message.is_empty() => {
            DriverError::Failed(status.message.clone())
        }
        other => DriverError::Failed(format!("{context}: {other}")),
    }
}

/// What the exchange keeps about a service: the product and its namespace.
pub(crate) fn instance(product: &str, namespace: &str, extra: serde_json::Value) -> Outcome {
    let mut data = json!({"product": product, "namespace": namespace});
    if let (Some(data), serde_json::Value::Object(extra)) = (data.as_object_mut(), extra) {
        data.extend(extra);
    }
    Outcome {
        agent_instance_id: Some(namespace.to_string()),
        agent_instance_data: Some(data),
        properties: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_make_namespace_names() {
        assert!(valid_prefix("federa-"));
        assert!(valid_prefix("p1-"));
        assert!(!valid_prefix(""));
        assert!(!valid_prefix("Federa-"));
        assert!(!valid_prefix("-x"));
        assert!(!valid_prefix("a-very-long-prefix-beyond-26"));
    }

    #[test]
    fn a_certificate_is_written_as_pem() {
        let pem = pem_certificate(&[0u8; 100]);
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\nAAAA"));
        assert!(pem.ends_with("\n-----END CERTIFICATE-----\n"));
        assert_eq!(pem.lines().nth(1).unwrap().len(), 64);
    }
}
