//! The tenant namespace: a namespace with a quota and container defaults,
//! and an account bound to the tenant role in it. `create` hands the
//! consumer a kubeconfig for that account (reported as the `kubeconfig`
//! property, which the catalogue declares a secret, so the exchange seals
//! it in its vault); `update` changes the quota.

use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::{LimitRange, ResourceQuota, ServiceAccount};
use k8s_openapi::api::rbac::v1::RoleBinding;
use kube::api::{Api, Patch, PostParams};
use serde_json::{json, Map, Value};

use super::objects::{self, TENANT};
use super::properties::{Product, TenantSpec};
use super::{api_error, instance, KubernetesDriver};
use crate::driver::{DriverError, Outcome};

pub async fn execute(
    driver: &KubernetesDriver,
    action: &str,
    service_id: &str,
    namespace: &str,
    tenant: &TenantSpec,
) -> Result<Outcome, DriverError> {
    if !matches!(action, "create" | "update") {
        return Err(DriverError::Unsupported(action.to_string()));
    }
    driver
        .ensure_namespace(namespace, service_id, Product::TENANT)
        .await?;
    apply(driver, service_id, namespace, tenant).await?;
    let mut outcome = instance(
        Product::TENANT,
        namespace,
        json!({"cpu": tenant.cpu, "memory": tenant.memory, "pods": tenant.pods}),
    );
    if action == "create" {
        ready_for_pods(driver, namespace).await?;
        let token = token(driver, namespace).await?;
        let kubeconfig =
            objects::kubeconfig(&driver.server, driver.ca_data.as_deref(), namespace, &token);
        outcome.properties = Some(Map::from_iter([(
            "kubeconfig".to_string(),
            Value::String(kubeconfig),
        )]));
    }
    Ok(outcome)
}

async fn apply(
    driver: &KubernetesDriver,
    service_id: &str,
    namespace: &str,
    tenant: &TenantSpec,
) -> Result<(), DriverError> {
    let client = driver.client.clone();
    let params = driver.apply_params();
    let labels = objects::labels(&driver.owner, service_id, Product::TENANT);
    let quotas: Api<ResourceQuota> = Api::namespaced(client.clone(), namespace);
    quotas
        .patch(
            TENANT,
            &params,
            &Patch::Apply(&objects::tenant_quota(tenant, &labels)),
        )
        .await
        .map_err(|e| api_error("cannot apply the quota", e))?;
    let limits: Api<LimitRange> = Api::namespaced(client.clone(), namespace);
    limits
        .patch(
            TENANT,
            &params,
            &Patch::Apply(&objects::tenant_limits(tenant, &labels)),
        )
        .await
        .map_err(|e| api_error("cannot apply the limit range", e))?;
    let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), namespace);
    accounts
        .patch(
            TENANT,
            &params,
            &Patch::Apply(&objects::tenant_account(&labels)),
        )
        .await
        .map_err(|e| api_error("cannot apply the service account", e))?;
    let bindings: Api<RoleBinding> = Api::namespaced(client, namespace);
    let binding = objects::tenant_binding(&driver.config.tenant_role, namespace, &labels);
    bindings
        .patch(TENANT, &params, &Patch::Apply(&binding))
        .await
        .map_err(|e| api_error("cannot apply the role binding", e))?;
    Ok(())
}

/// Waits for the namespace's `default` ServiceAccount, without which the
/// API server admits no pod, so the tenant's first pod is not refused.
async fn ready_for_pods(driver: &KubernetesDriver, namespace: &str) -> Result<(), DriverError> {
    let accounts: Api<ServiceAccount> = Api::namespaced(driver.client.clone(), namespace);
    let deadline = tokio::time::Instant::now() + driver.timeout();
    loop {
        let found = accounts
            .get_opt("default")
            .await
            .map_err(|e| api_error("cannot read the default service account", e))?;
        if found.is_some() {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(DriverError::Failed(format!(
                "namespace {namespace} got no default service account within {} s",
                driver.timeout().as_secs()
            )));
        }
        tokio::time::sleep(super::POLL).await;
    }
}

/// A token for the tenant's account, valid as long as configured.
async fn token(driver: &KubernetesDriver, namespace: &str) -> Result<String, DriverError> {
    let accounts: Api<ServiceAccount> = Api::namespaced(driver.client.clone(), namespace);
    let request = TokenRequest {
        spec: Some(TokenRequestSpec {
            expiration_seconds: Some(driver.config.tenant_token_seconds),
            ..TokenRequestSpec::default()
        }),
        ..TokenRequest::default()
    };
    let answer = accounts
        .create_token_request(TENANT, &PostParams::default(), &request)
        .await
        .map_err(|e| api_error("cannot request a token", e))?;
    answer
        .status
        .and_then(|status| status.token)
        .filter(|token| !token.is_empty())
        .ok_or_else(|| DriverError::Failed("the API server returned no token".into()))
}
