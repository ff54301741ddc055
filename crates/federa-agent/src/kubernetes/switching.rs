//! A container application switching providers: `export` writes its
//! objects (see [`manifests`]) from the source's namespace, `import`
//! applies them in place of the target service's own and waits until the
//! Deployment is Available, `erase` deletes the namespace with everything
//! in it and waits until it is gone. A tenant namespace holds what the
//! tenant made with its own credentials, not objects of this agent's, so
//! it exports and imports nothing.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{Api, Patch};
use serde_json::Value;
use tokio::io::AsyncReadExt;

use super::application::{allowed, apply_or_remove, routes, wait_rollout};
use super::manifests::{self, Manifests, DOCUMENT_END, DOCUMENT_START, FORMAT};
use super::objects::{self, APP};
use super::properties::Product;
use super::{api_error, KubernetesDriver};
use crate::driver::DriverError;
use crate::driver::{Snapshot, SnapshotWriter};

/// Writes the application's objects into `into`, one at a time.
pub async fn export(
    driver: &KubernetesDriver,
    service_id: &str,
    namespace: &str,
    into: &mut SnapshotWriter,
) -> Result<(), DriverError> {
    if into.format() != FORMAT {
        return Err(DriverError::Failed(format!(
            "a container application exports {FORMAT}, not {}",
            into.format()
        )));
    }
    require_application(driver, service_id, namespace, "export").await?;
    let client = driver.client.clone();
    let deployment = Api::<Deployment>::namespaced(client.clone(), namespace)
        .get_opt(APP)
        .await
        .map_err(|e| api_error("cannot read the deployment", e))?
        .ok_or_else(|| {
            DriverError::Failed(format!("namespace {namespace} holds no deployment {APP}"))
        })?;
    let mut objects = vec![to_value(&deployment)?];
    let service = Api::<Service>::namespaced(client.clone(), namespace)
        .get_opt(APP)
        .await
        .map_err(|e| api_error("cannot read the service", e))?;
    objects.extend(service.as_ref().map(to_value).transpose()?);
    if driver.serves_routes().await {
        let route = routes(driver, namespace)
            .get_opt(APP)
            .await
            .map_err(|e| api_error("cannot read the route", e))?;
        objects.extend(route.as_ref().map(to_value).transpose()?);
    } else {
        let ingress = Api::<Ingress>::namespaced(client, namespace)
            .get_opt(APP)
            .await
            .map_err(|e| api_error("cannot read the ingress", e))?;
        objects.extend(ingress.as_ref().map(to_value).transpose()?);
    }
    into.write(DOCUMENT_START.as_bytes()).await?;
    for (index, object) in objects.into_iter().enumerate() {
        if index > 0 {
            into.write(b",").await?;
        }
        let bytes = serde_json::to_vec(&manifests::portable(object))
            .map_err(|e| DriverError::Failed(format!("cannot write an object: {e}")))?;
        into.write(&bytes).await?;
    }
    into.write(DOCUMENT_END.as_bytes()).await
}

/// Applies the objects of `snapshot` in the target service's namespace
/// under the driver's field manager and labels, deletes the objects of
/// the service the snapshot does not have, and waits for the rollout.
pub async fn import(
    driver: &KubernetesDriver,
    service_id: &str,
    namespace: &str,
    snapshot: &Snapshot,
) -> Result<(), DriverError> {
    if snapshot.format != FORMAT {
        return Err(DriverError::Failed(format!(
            "a container application imports {FORMAT}, not {}",
            snapshot.format
        )));
    }
    require_application(driver, service_id, namespace, "import").await?;
    let document = read_document(snapshot).await?;
    let labels = objects::labels(&driver.owner, service_id, Product::APPLICATION);
    let Manifests {
        deployment,
        service,
        ingress,
        route,
        replicas,
    } = manifests::for_target(document, &labels, |image| {
        allowed(&driver.config.image_allow_list, image)
    })?;
    let client = driver.client.clone();
    let params = driver.apply_params();
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), namespace);
    deployments
        .patch(APP, &params, &Patch::Apply(&deployment))
        .await
        .map_err(|e| api_error("cannot apply the deployment", e))?;
    let services: Api<Service> = Api::namespaced(client.clone(), namespace);
    apply_or_remove(&services, &params, service.as_ref(), "service").await?;
    let ingresses: Api<Ingress> = Api::namespaced(client, namespace);
    apply_or_remove(&ingresses, &params, ingress.as_ref(), "ingress").await?;
    if driver.serves_routes().await {
        apply_or_remove(&routes(driver, namespace), &params, route.as_ref(), "route").await?;
    } else if route.is_some() {
        return Err(DriverError::Failed(
            "the snapshot holds an OpenShift Route, which this cluster does not serve".into(),
        ));
    }
    wait_rollout(driver, namespace, replicas).await?;
    Ok(())
}

/// Refuses a namespace that is missing, not this agent's, or a tenant's.
async fn require_application(
    driver: &KubernetesDriver,
    service_id: &str,
    namespace: &str,
    action: &str,
) -> Result<(), DriverError> {
    let product = driver.product_in(namespace, service_id).await?;
    if product != Product::APPLICATION {
        return Err(DriverError::Unsupported(format!(
            "{action} of a {product}: what is in it is the tenant's own, not objects this agent made"
        )));
    }
    Ok(())
}

/// The snapshot's document, read whole once its size is known to be
/// within [`manifests::MAX_DOCUMENT_BYTES`].
async fn read_document(snapshot: &Snapshot) -> Result<Value, DriverError> {
    let unreadable =
        |e: std::io::Error| DriverError::Failed(format!("cannot read the snapshot: {e}"));
    let file = tokio::fs::File::open(&snapshot.path)
        .await
        .map_err(unreadable)?;
    let size = file.metadata().await.map_err(unreadable)?.len();
    if size > manifests::MAX_DOCUMENT_BYTES {
        return Err(DriverError::Failed(format!(
            "the snapshot holds {size} bytes; an application's objects are at most {} bytes",
            manifests::MAX_DOCUMENT_BYTES
        )));
    }
    let mut text = Vec::with_capacity(size as usize);
    file.take(manifests::MAX_DOCUMENT_BYTES)
        .read_to_end(&mut text)
        .await
        .map_err(unreadable)?;
    serde_json::from_slice(&text)
        .map_err(|e| DriverError::Failed(format!("the snapshot is not JSON ({FORMAT}): {e}")))
}

fn to_value(object: &impl serde::Serialize) -> Result<Value, DriverError> {
    serde_json::to_value(object)
        .map_err(|e| DriverError::Failed(format!("cannot read an object: {e}")))
}
