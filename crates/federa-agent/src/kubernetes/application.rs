//! The container application: `create` and `start` apply its objects and
//! wait until the Deployment is Available, `stop` scales it to zero, and
//! `update` applies the changed properties and waits for the rollout (a
//! stopped application stays at zero).

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{ResourceQuota, Service};
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, ListParams, Patch, PatchParams};
use serde_json::json;

use super::objects::{self, APP, SERVICE_ID};
use super::properties::{AppSpec, Product};
use super::{api_error, instance, KubernetesDriver, POLL};
use crate::driver::{DriverError, Outcome};

pub async fn execute(
    driver: &KubernetesDriver,
    action: &str,
    service_id: &str,
    namespace: &str,
    app: &AppSpec,
) -> Result<Outcome, DriverError> {
    if !allowed(&driver.config.image_allow_list, &app.image) {
        return Err(DriverError::Failed(format!(
            "image {} is not in the provider's image allow-list",
            app.image
        )));
    }
    let replicas = match action {
        "create" | "start" => app.replicas,
        "stop" => 0,
        // An update leaves a stopped application stopped.
        "update" => match current_replicas(driver, namespace).await? {
            Some(0) => 0,
            _ => app.replicas,
        },
        other => return Err(DriverError::Unsupported(other.to_string())),
    };
    driver
        .ensure_namespace(namespace, service_id, Product::APPLICATION)
        .await?;
    apply(driver, service_id, namespace, app, replicas).await?;
    let deployment = wait_rollout(driver, namespace, replicas).await?;
    let status = deployment.status.unwrap_or_default();
    Ok(instance(
        Product::APPLICATION,
        namespace,
        json!({
            "deployment": APP,
            "image": app.image,
            "replicas": replicas,
            "readyReplicas": status.ready_replicas.unwrap_or(0),
            "service": app.container_port.map(|_| APP),
            "host": app.host,
        }),
    ))
}

/// Image prefixes the provider allows; none configured allows all.
pub(super) fn allowed(allow_list: &[String], image: &str) -> bool {
    allow_list.is_empty() || allow_list.iter().any(|prefix| image.starts_with(prefix))
}

async fn current_replicas(
    driver: &KubernetesDriver,
    namespace: &str,
) -> Result<Option<i32>, DriverError> {
    let deployments: Api<Deployment> = Api::namespaced(driver.client.clone(), namespace);
    let current = deployments
        .get_opt(APP)
        .await
        .map_err(|e| api_error("cannot read the deployment", e))?;
    Ok(current.and_then(|d| d.spec.replicas))
}

async fn apply(
    driver: &KubernetesDriver,
    service_id: &str,
    namespace: &str,
    app: &AppSpec,
    replicas: i32,
) -> Result<(), DriverError> {
    let client = driver.client.clone();
    let params = driver.apply_params();
    let labels = objects::labels(&driver.owner, service_id, Product::APPLICATION);
    if let Some(quota) = &driver.config.app_quota {
        let quotas: Api<ResourceQuota> = Api::namespaced(client.clone(), namespace);
        quotas
            .patch(
                APP,
                &params,
                &Patch::Apply(&objects::app_quota(quota, &labels)),
            )
            .await
            .map_err(|e| api_error("cannot apply the quota", e))?;
    }
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), namespace);
    deployments
        .patch(
            APP,
            &params,
            &Patch::Apply(&objects::deployment(app, replicas, &labels)),
        )
        .await
        .map_err(|e| api_error("cannot apply the deployment", e))?;
    let services: Api<Service> = Api::namespaced(client.clone(), namespace);
    let service = objects::service(app, &labels);
    apply_or_remove(&services, &params, service.as_ref(), "service").await?;
    if driver.serves_routes().await {
        let route = objects::route(app, &labels);
        apply_or_remove(&routes(driver, namespace), &params, route.as_ref(), "route").await?;
    } else {
        let ingresses: Api<Ingress> = Api::namespaced(client, namespace);
        let ingress = objects::ingress(app, &labels);
        apply_or_remove(&ingresses, &params, ingress.as_ref(), "ingress").await?;
    }
    Ok(())
}

/// The namespace's OpenShift Routes, on clusters (OKD) that serve them.
pub(super) fn routes(driver: &KubernetesDriver, namespace: &str) -> Api<DynamicObject> {
    let resource = ApiResource {
        group: "route.openshift.io".into(),
        version: "v1".into(),
        api_version: "route.openshift.io/v1".into(),
        kind: "Route".into(),
        plural: "routes".into(),
    };
    Api::namespaced_with(driver.client.clone(), namespace, &resource)
}

/// Applies `object` as the application's object of `api`; with none,
/// deletes the one there is, so the namespace holds no stale object.
pub(super) async fn apply_or_remove<K, T>(
    api: &Api<K>,
    params: &PatchParams,
    object: Option<&T>,
    what: &str,
) -> Result<(), DriverError>
where
    K: Clone + serde::de::DeserializeOwned + std::fmt::Debug,
    T: serde::Serialize + std::fmt::Debug,
{
    match object {
        Some(object) => api
            .patch(APP, params, &Patch::Apply(object))
            .await
            .map(drop)
            .map_err(|e| api_error(&format!("cannot apply the {what}"), e)),
        None => remove(api, what).await,
    }
}

/// Deletes the application's object of `api`, if there is one.
async fn remove<K>(api: &Api<K>, what: &str) -> Result<(), DriverError>
where
    K: Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    match api.delete(APP, &DeleteParams::default()).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.is_not_found() => Ok(()),
        Err(error) => Err(api_error(&format!("cannot delete the {what}"), error)),
    }
}

/// Waits until the Deployment runs `replicas` up-to-date, available pods
/// (none for zero), failing at once on a refusal the controllers report,
/// such as a quota the pods exceed.
pub(super) async fn wait_rollout(
    driver: &KubernetesDriver,
    namespace: &str,
    replicas: i32,
) -> Result<Deployment, DriverError> {
    let deployments: Api<Deployment> = Api::namespaced(driver.client.clone(), namespace);
    let replica_sets: Api<ReplicaSet> = Api::namespaced(driver.client.clone(), namespace);
    let deadline = tokio::time::Instant::now() + driver.timeout();
    loop {
        let deployment = deployments
            .get(APP)
            .await
            .map_err(|e| api_error("cannot read the deployment", e))?;
        let observed = deployment
            .status
            .as_ref()
            .and_then(|s| s.observed_generation);
        let settled_deployment = observed == deployment.metadata.generation;
        if let Some(message) = failure(&deployment).filter(|_| settled_deployment) {
            return Err(DriverError::Failed(message));
        }
        if rolled_out(&deployment, replicas) {
            return Ok(deployment);
        }
        let selector = format!("{SERVICE_ID}={}", labels_service(&deployment));
        let sets = replica_sets
            .list(&ListParams::default().labels(&selector))
            .await
            .map_err(|e| api_error("cannot list replica sets", e))?;
        // Only the current revision's refusal counts: an older one's stays
        // on its ReplicaSet after an update has fixed the cause.
        let revision = |meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta| {
            meta.annotations
                .as_ref()
                .and_then(|a| a.get("deployment.kubernetes.io/revision").cloned())
        };
        let current = revision(&deployment.metadata);
        // A ReplicaSet that has not yet seen its latest spec may still show
        // the refusal of its previous size.
        let settled = |set: &&ReplicaSet| {
            set.status.as_ref().and_then(|s| s.observed_generation) == set.metadata.generation
        };
        for set in sets
            .items
            .iter()
            .filter(|_| settled_deployment)
            .filter(|set| revision(&set.metadata) == current)
            .filter(settled)
        {
            let conditions = set.status.as_ref().and_then(|s| s.conditions.as_ref());
            if let Some(refused) = conditions
                .into_iter()
                .flatten()
                .find(|c| holds(&c.type_, "ReplicaFailure") && holds(&c.status, "True"))
            {
                return Err(DriverError::Failed(
                    refused
                        .message
                        .clone()
                        .unwrap_or_else(|| "replica failure".into()),
                ));
            }
        }
        if tokio::time::Instant::now() >= deadline {
            let available = deployment
                .status
                .and_then(|s| s.available_replicas)
                .unwrap_or(0);
            return Err(DriverError::Failed(format!(
                "the rollout did not finish within {} s: {available} of {replicas} replicas available",
                driver.timeout().as_secs()
            )));
        }
        tokio::time::sleep(POLL).await;
    }
}

fn labels_service(deployment: &Deployment) -> String {
    deployment
        .metadata
        .labels
        .as_ref()
        .and_then(|labels| labels.get(SERVICE_ID).cloned())
        .unwrap_or_default()
}

/// A condition saying the rollout cannot go on.
fn failure(deployment: &Deployment) -> Option<String> {
    let conditions = deployment.status.as_ref()?.conditions.as_ref()?;
    conditions.iter().find_map(|c| {
        // A ReplicaFailure copied here may be an older size's; the
        // ReplicaSets are asked about that instead.
        let stuck = holds(&c.type_, "Progressing")
            && holds(&c.status, "False")
            && holds(&c.reason, "ProgressDeadlineExceeded");
        stuck.then(|| {
            c.message
                .clone()
                .unwrap_or_else(|| "the rollout cannot go on".into())
        })
    })
}

fn rolled_out(deployment: &Deployment, replicas: i32) -> bool {
    let Some(status) = &deployment.status else {
        return false;
    };
    let observed =
        status.observed_generation.unwrap_or(0) >= deployment.metadata.generation.unwrap_or(1);
    let count = |n: Option<i32>| n.unwrap_or(0);
    if replicas == 0 {
        return observed && count(status.replicas) == 0;
    }
    let available = status
        .conditions
        .iter()
        .flatten()
        .any(|c| holds(&c.type_, "Available") && holds(&c.status, "True"));
    observed
        && available
        && count(status.replicas) == replicas
        && count(status.updated_replicas) == replicas
        && count(status.available_replicas) == replicas
}

fn holds(field: &Option<String>, value: &str) -> bool {
    field.as_deref() == Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_allow_list_matches_prefixes() {
        assert!(allowed(&[], "anything"));
        let list = ["registry.example.eu/".to_string(), "nginx:".to_string()];
        assert!(allowed(&list, "registry.example.eu/shop:1"));
        assert!(allowed(&list, "nginx:1.27"));
        assert!(!allowed(&list, "evil.example/nginx:1"));
    }
}
