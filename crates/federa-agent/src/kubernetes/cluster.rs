//! What the driver reads back from the cluster: metrics of the services it
//! runs, found by label, and the capacity left on the nodes.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Namespace, Node, Pod, ResourceQuota};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use kube::api::{Api, ListParams};
use std::collections::BTreeMap;

use super::objects::{self, APP, PRODUCT, SERVICE_ID, TENANT};
use super::properties::{quantity_value, Product};
use super::{api_error, KubernetesDriver};
use crate::driver::{DriverError, MetricSample, Observation, ObservedState, ServiceRecord};

pub async fn metrics(driver: &KubernetesDriver) -> Result<Vec<MetricSample>, DriverError> {
    let namespaces: Api<Namespace> = Api::all(driver.client.clone());
    let ours = namespaces
        .list(&ListParams::default().labels(&objects::owner_selector(&driver.owner)))
        .await
        .map_err(|e| api_error("cannot list namespaces", e))?;
    let now = chrono::Utc::now();
    let mut samples = Vec::new();
    for namespace in ours.items {
        let labels = namespace.metadata.labels.unwrap_or_default();
        let (Some(name), Some(service_id)) = (namespace.metadata.name, labels.get(SERVICE_ID))
        else {
            continue;
        };
        if namespace.metadata.deletion_timestamp.is_some() {
            continue;
        }
        let values = match labels.get(PRODUCT).map(String::as_str) {
            Some(Product::APPLICATION) => application(driver, &name).await?,
            Some(Product::TENANT) => tenant(driver, &name).await?,
            _ => continue,
        };
        samples.extend(values.into_iter().map(|(type_name, value)| MetricSample {
            service_id: service_id.clone(),
            resource_id: name.clone(),
            type_name: type_name.to_string(),
            value,
            at: now,
        }));
    }
    Ok(samples)
}

/// What the cluster shows of each service: a namespace of this agent's
/// with a scaled-up Deployment runs, one scaled to zero is stopped, a
/// tenant namespace runs while it exists; no namespace is missing.
pub async fn observe(
    driver: &KubernetesDriver,
    services: &[ServiceRecord],
) -> Result<Vec<Observation>, DriverError> {
    let namespaces: Api<Namespace> = Api::all(driver.client.clone());
    let ours: BTreeMap<String, Namespace> = namespaces
        .list(&ListParams::default().labels(&objects::owner_selector(&driver.owner)))
        .await
        .map_err(|e| api_error("cannot list namespaces", e))?
        .items
        .into_iter()
        .filter_map(|namespace| Some((namespace.metadata.name.clone()?, namespace)))
        .collect();
    let mut observations = Vec::new();
    for service in services {
        let name = driver.namespace_of(&service.service_id);
        let Some(namespace) = ours.get(&name) else {
            observations.push(Observation::new(
                &service.service_id,
                ObservedState::Missing,
            ));
            continue;
        };
        let labels = namespace.metadata.labels.clone().unwrap_or_default();
        let state = if namespace.metadata.deletion_timestamp.is_some() {
            ObservedState::Missing
        } else if labels.get(PRODUCT).map(String::as_str) == Some(Product::APPLICATION) {
            let deployments: Api<Deployment> = Api::namespaced(driver.client.clone(), &name);
            match deployments
                .get_opt(APP)
                .await
                .map_err(|e| api_error("cannot read a deployment", e))?
            {
                None => ObservedState::Missing,
                Some(deployment) if deployment.spec.replicas == Some(0) => ObservedState::Stopped,
                Some(_) => ObservedState::Running,
            }
        } else {
            ObservedState::Running
        };
        observations.push(Observation::new(&service.service_id, state));
    }
    Ok(observations)
}

async fn application(
    driver: &KubernetesDriver,
    namespace: &str,
) -> Result<Vec<(&'static str, f64)>, DriverError> {
    let deployments: Api<Deployment> = Api::namespaced(driver.client.clone(), namespace);
    let Some(deployment) = deployments
        .get_opt(APP)
        .await
        .map_err(|e| api_error("cannot read a deployment", e))?
    else {
        return Ok(Vec::new());
    };
    let desired = deployment.spec.replicas.unwrap_or(0);
    let ready = deployment
        .status
        .and_then(|s| s.ready_replicas)
        .unwrap_or(0);
    let pods: Api<Pod> = Api::namespaced(driver.client.clone(), namespace);
    let restarts: i64 = pods
        .list(&ListParams::default())
        .await
        .map_err(|e| api_error("cannot list pods", e))?
        .items
        .iter()
        .flat_map(|pod| {
            pod.status
                .iter()
                .flat_map(|s| s.container_statuses.iter().flatten())
        })
        .map(|container| i64::from(container.restart_count))
        .sum();
    Ok(vec![
        ("kubernetes_replicas_desired", f64::from(desired)),
        ("kubernetes_replicas_ready", f64::from(ready)),
        ("kubernetes_restarts", restarts as f64),
    ])
}

async fn tenant(
    driver: &KubernetesDriver,
    namespace: &str,
) -> Result<Vec<(&'static str, f64)>, DriverError> {
    let quotas: Api<ResourceQuota> = Api::namespaced(driver.client.clone(), namespace);
    let Some(status) = quotas
        .get_opt(TENANT)
        .await
        .map_err(|e| api_error("cannot read a quota", e))?
        .and_then(|quota| quota.status)
    else {
        return Ok(Vec::new());
    };
    let read = |map: &Option<BTreeMap<String, Quantity>>, key: &str| {
        map.as_ref()
            .and_then(|m| m.get(key))
            .and_then(|q| quantity_value(&q.0))
            .unwrap_or(0.0)
    };
    Ok(vec![
        (
            "kubernetes_quota_cpu_hard",
            read(&status.hard, "requests.cpu"),
        ),
        (
            "kubernetes_quota_cpu_used",
            read(&status.used, "requests.cpu"),
        ),
        (
            "kubernetes_quota_memory_hard",
            read(&status.hard, "requests.memory"),
        ),
        (
            "kubernetes_quota_memory_used",
            read(&status.used, "requests.memory"),
        ),
        ("kubernetes_quota_pods_hard", read(&status.hard, "pods")),
        ("kubernetes_quota_pods_used", read(&status.used, "pods")),
    ])
}

/// What the cluster's schedulable nodes can still take: allocatable minus
/// what running and pending pods request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Capacity {
    pub cpu: f64,
    pub memory_bytes: f64,
    pub pods: f64,
}

impl Capacity {
    /// How many more of something requesting `cpu` cores and
    /// `memory_bytes` (one pod each) fit.
    pub fn fits(&self, cpu: f64, memory_bytes: f64) -> u32 {
        let by = |free: f64, each: f64| {
            if each > 0.0 {
                (free / each).floor()
            } else {
                f64::MAX
            }
        };
        let count = by(self.cpu, cpu)
            .min(by(self.memory_bytes, memory_bytes))
            .min(self.pods.floor());
        count.clamp(0.0, f64::from(u32::MAX)) as u32
    }
}

/// Needs `list` on nodes and pods cluster-wide, which a provider may grant
/// the agent or not.
pub async fn capacity(driver: &KubernetesDriver) -> Result<Capacity, DriverError> {
    let nodes: Api<Node> = Api::all(driver.client.clone());
    let pods: Api<Pod> = Api::all(driver.client.clone());
    let mut free = Capacity {
        cpu: 0.0,
        memory_bytes: 0.0,
        pods: 0.0,
    };
    for node in nodes
        .list(&ListParams::default())
        .await
        .map_err(|e| api_error("cannot list nodes", e))?
        .items
    {
        if node.spec.as_ref().and_then(|s| s.unschedulable) == Some(true) {
            continue;
        }
        let allocatable = node.status.and_then(|s| s.allocatable);
        let get = |key: &str| {
            allocatable
                .as_ref()
                .and_then(|a| a.get(key))
                .and_then(|q| quantity_value(&q.0))
                .unwrap_or(0.0)
        };
        free.cpu += get("cpu");
        free.memory_bytes += get("memory");
        free.pods += get("pods");
    }
    for pod in pods
        .list(&ListParams::default().fields("status.phase!=Succeeded,status.phase!=Failed"))
        .await
        .map_err(|e| api_error("cannot list pods", e))?
        .items
    {
        free.pods -= 1.0;
        for container in pod.spec.iter().flat_map(|s| s.containers.iter()) {
            let requests = container
                .resources
                .as_ref()
                .and_then(|r| r.requests.as_ref());
            let get = |key: &str| {
                requests
                    .and_then(|r| r.get(key))
                    .and_then(|q| quantity_value(&q.0))
                    .unwrap_or(0.0)
            };
            free.cpu -= get("cpu");
            free.memory_bytes -= get("memory");
        }
    }
    Ok(free)
}

impl KubernetesDriver {
    /// The capacity left on the cluster; see [`capacity`].
    pub async fn capacity(&self) -> Result<Capacity, DriverError> {
        capacity(self).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scarcest_resource_bounds_what_fits() {
        let free = Capacity {
            cpu: 2.0,
            memory_bytes: 8.0 * 1024.0 * 1024.0 * 1024.0,
            pods: 100.0,
        };
        assert_eq!(free.fits(0.5, 1024.0 * 1024.0 * 1024.0), 4);
        assert_eq!(free.fits(0.1, 4.0 * 1024.0 * 1024.0 * 1024.0), 2);
        let crowded = Capacity { pods: 3.0, ..free };
        assert_eq!(crowded.fits(0.0, 0.0), 3);
        let over = Capacity { cpu: -1.0, ..free };
        assert_eq!(over.fits(0.5, 1.0), 0);
    }
}
