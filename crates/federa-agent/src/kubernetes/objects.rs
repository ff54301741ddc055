//! The Kubernetes objects each product is made of, as server-side apply
//! sends them: only the fields this agent owns. Pure.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{
    Container, ContainerPort, EnvVar, LimitRange, LimitRangeItem, LimitRangeSpec, Namespace,
    PodSpec, PodTemplateSpec, ResourceQuota, ResourceQuotaSpec, ResourceRequirements, Service,
    ServiceAccount, ServicePort, ServiceSpec,
};
use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule,
    IngressServiceBackend, IngressSpec, ServiceBackendPort,
};
use k8s_openapi::api::rbac::v1::{RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::{json, Value};

use super::properties::{AppSpec, TenantSpec};
use crate::config::AppQuotaConfig;

/// Every object of a service carries these, so a restarted agent finds
/// what it made and another agent on the cluster leaves it alone.
pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
pub const SERVICE_ID: &str = "federa.io/service-id";
pub const OWNER: &str = "federa.io/owner";
pub const PRODUCT: &str = "federa.io/product";

/// The one name of an application's Deployment, Service and Ingress (its
/// namespace says which service it is).
pub const APP: &str = "app";
/// The tenant's ServiceAccount, RoleBinding, ResourceQuota and LimitRange.
pub const TENANT: &str = "tenant";

pub fn labels(owner: &str, service_id: &str, product: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (MANAGED_BY.to_string(), "federa".to_string()),
        (OWNER.to_string(), owner.to_string()),
        (SERVICE_ID.to_string(), service_id.to_string()),
        (PRODUCT.to_string(), product.to_string()),
    ])
}

/// The selector of every object an agent with `owner` made.
pub fn owner_selector(owner: &str) -> String {
    format!("{MANAGED_BY}=federa,{OWNER}={owner}")
}

fn meta(name: &str, labels: &BTreeMap<String, String>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        labels: Some(labels.clone()),
        ..ObjectMeta::default()
    }
}

fn quantities(pairs: &[(&str, Option<&str>)]) -> Option<BTreeMap<String, Quantity>> {
    let map: BTreeMap<String, Quantity> = pairs
        .iter()
        .filter_map(|(key, value)| value.map(|v| (key.to_string(), Quantity(v.to_string()))))
        .collect();
    (!map.is_empty()).then_some(map)
}

pub fn namespace(name: &str, labels: &BTreeMap<String, String>) -> Namespace {
    let mut labels = labels.clone();
    // Tenants run what they like, but not privileged containers.
    labels.insert(
        "pod-security.kubernetes.io/enforce".into(),
        "baseline".into(),
    );
    Namespace {
        metadata: meta(name, &labels),
        ..Namespace::default()
    }
}

pub fn deployment(app: &AppSpec, replicas: i32, labels: &BTreeMap<String, String>) -> Deployment {
    let selector = BTreeMap::from([(SERVICE_ID.to_string(), labels[SERVICE_ID].clone())]);
    let container = Container {
        name: APP.into(),
        image: Some(app.image.clone()),
        ports: app.container_port.map(|port| {
            vec![ContainerPort {
                container_port: port,
                name: Some("http".into()),
                ..ContainerPort::default()
            }]
        }),
        env: (!app.env.is_empty()).then(|| {
            app.env
                .iter()
                .map(|(name, value)| EnvVar {
                    name: name.clone(),
                    value: Some(value.clone()),
                    ..EnvVar::default()
                })
                .collect()
        }),
        resources: Some(ResourceRequirements {
            requests: quantities(&[
                ("cpu", Some(&app.cpu_request)),
                ("memory", Some(&app.memory_request)),
            ]),
            limits: quantities(&[
                ("cpu", app.cpu_limit.as_deref()),
                ("memory", app.memory_limit.as_deref()),
            ]),
            ..ResourceRequirements::default()
        }),
        ..Container::default()
    };
    Deployment {
        metadata: meta(APP, labels),
        spec: DeploymentSpec {
            replicas: Some(replicas),
            selector: LabelSelector {
                match_labels: Some(selector),
                ..LabelSelector::default()
            },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels.clone()),
                    ..ObjectMeta::default()
                }),
                spec: Some(PodSpec {
                    containers: vec![container],
                    automount_service_account_token: Some(false),
                    ..PodSpec::default()
                }),
            },
            ..DeploymentSpec::default()
        },
        ..Deployment::default()
    }
}

/// A ClusterIP Service in front of the application's port, if it has one.
pub fn service(app: &AppSpec, labels: &BTreeMap<String, String>) -> Option<Service> {
    let port = app.container_port?;
    Some(Service {
        metadata: meta(APP, labels),
        spec: Some(ServiceSpec {
            selector: Some(BTreeMap::from([(
                SERVICE_ID.to_string(),
                labels[SERVICE_ID].clone(),
            )])),
            ports: Some(vec![ServicePort {
                name: Some("http".into()),
                port,
                target_port: Some(IntOrString::Int(port)),
                ..ServicePort::default()
            }]),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    })
}

pub fn ingress(app: &AppSpec, labels: &BTreeMap<String, String>) -> Option<Ingress> {
    let (host, port) = (app.host.clone()?, app.container_port?);
    Some(Ingress {
        metadata: meta(APP, labels),
        spec: Some(IngressSpec {
            rules: Some(vec![IngressRule {
                host: Some(host),
                http: Some(HTTPIngressRuleValue {
                    paths: vec![HTTPIngressPath {
                        path: Some("/".into()),
                        path_type: "Prefix".into(),
                        backend: IngressBackend {
                            service: Some(IngressServiceBackend {
                                name: APP.into(),
                                port: Some(ServiceBackendPort {
                                    number: Some(port),
                                    ..ServiceBackendPort::default()
                                }),
                            }),
                            ..IngressBackend::default()
                        },
                    }],
                }),
            }]),
            ..IngressSpec::default()
        }),
        ..Ingress::default()
    })
}

/// An OpenShift Route, for clusters (OKD) that serve `route.openshift.io`.
pub fn route(app: &AppSpec, labels: &BTreeMap<String, String>) -> Option<Value> {
    let (host, port) = (app.host.clone()?, app.container_port?);
    Some(json!({
        "apiVersion": "route.openshift.io/v1",
        "kind": "Route",
        "metadata": {"name": APP, "labels": labels},
        "spec": {
            "host": host,
            "to": {"kind": "Service", "name": APP},
            "port": {"targetPort": port},
        },
    }))
}

/// The provider's cap on one application, if it sets one.
pub fn app_quota(quota: &AppQuotaConfig, labels: &BTreeMap<String, String>) -> ResourceQuota {
    let pods = quota.pods.map(|pods| pods.to_string());
    ResourceQuota {
        metadata: meta(APP, labels),
        spec: Some(ResourceQuotaSpec {
            hard: quantities(&[
                ("requests.cpu", quota.cpu.as_deref()),
                ("requests.memory", quota.memory.as_deref()),
                ("pods", pods.as_deref()),
            ]),
            ..ResourceQuotaSpec::default()
        }),
        status: None,
    }
}

pub fn tenant_quota(tenant: &TenantSpec, labels: &BTreeMap<String, String>) -> ResourceQuota {
    let counts = [tenant.services, tenant.config_maps, tenant.secrets]
        .map(|count| count.map(|n| n.to_string()));
    let pods = tenant.pods.to_string();
    ResourceQuota {
        metadata: meta(TENANT, labels),
        spec: Some(ResourceQuotaSpec {
            hard: quantities(&[
                ("requests.cpu", Some(&tenant.cpu)),
                ("limits.cpu", Some(&tenant.cpu)),
                ("requests.memory", Some(&tenant.memory)),
                ("limits.memory", Some(&tenant.memory)),
                ("pods", Some(&pods)),
                ("services", counts[0].as_deref()),
                ("configmaps", counts[1].as_deref()),
                ("secrets", counts[2].as_deref()),
            ]),
            ..ResourceQuotaSpec::default()
        }),
        status: None,
    }
}

/// Defaults for containers that name no requests or limits, which the
/// quota would otherwise refuse.
pub fn tenant_limits(tenant: &TenantSpec, labels: &BTreeMap<String, String>) -> LimitRange {
    let defaults = quantities(&[
        ("cpu", Some(&tenant.default_cpu)),
        ("memory", Some(&tenant.default_memory)),
    ]);
    LimitRange {
        metadata: meta(TENANT, labels),
        spec: Some(LimitRangeSpec {
            limits: vec![LimitRangeItem {
                type_: "Container".into(),
                default: defaults.clone(),
                default_request: defaults,
                ..LimitRangeItem::default()
            }],
        }),
    }
}

pub fn tenant_account(labels: &BTreeMap<String, String>) -> ServiceAccount {
    ServiceAccount {
        metadata: meta(TENANT, labels),
        ..ServiceAccount::default()
    }
}

pub fn tenant_binding(
    role: &str,
    namespace: &str,
    labels: &BTreeMap<String, String>,
) -> RoleBinding {
    RoleBinding {
        metadata: meta(TENANT, labels),
        role_ref: RoleRef {
            api_group: Some("rbac.authorization.k8s.io".into()),
            kind: "ClusterRole".into(),
            name: role.into(),
        },
        subjects: Some(vec![Subject {
            kind: "ServiceAccount".into(),
            name: TENANT.into(),
            namespace: Some(namespace.into()),
            ..Subject::default()
        }]),
    }
}

/// A kubeconfig for the tenant's account, confined to its namespace.
pub fn kubeconfig(server: &str, ca_data: Option<&str>, namespace: &str, token: &str) -> String {
    let authority = ca_data
        .map(|data| format!("    certificate-authority-data: {data}\n"))
        .unwrap_or_default();
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: federa\n  cluster:\n    server: {server:?}\n{authority}users:\n- name: {namespace}\n  user:\n    token: {token:?}\ncontexts:\n- name: {namespace}\n  context:\n    cluster: federa\n    namespace: {namespace}\n    user: {namespace}\ncurrent-context: {namespace}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> AppSpec {
        AppSpec {
            image: "nginx:1.27".into(),
            replicas: 2,
            container_port: Some(8080),
            env: BTreeMap::from([("MODE".into(), "prod".into())]),
            cpu_request: "100m".into(),
            memory_request: "64Mi".into(),
            cpu_limit: None,
            memory_limit: Some("256Mi".into()),
            host: Some("shop.example.eu".into()),
        }
    }

    #[test]
    fn a_deployment_selects_its_service_and_carries_the_labels() {
        let labels = labels("prov", "s1", "container-application");
        let deployment = serde_json::to_value(deployment(&app(), 0, &labels)).unwrap();
        assert_eq!(deployment["apiVersion"], "apps/v1");
        assert_eq!(deployment["kind"], "Deployment");
        assert_eq!(deployment["spec"]["replicas"], 0);
        assert_eq!(
            deployment["spec"]["selector"]["matchLabels"],
            json!({SERVICE_ID: "s1"})
        );
        assert_eq!(deployment["metadata"]["labels"][OWNER], "prov");
        let container = &deployment["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(container["resources"]["limits"], json!({"memory": "256Mi"}));
        assert_eq!(container["env"], json!([{"name": "MODE", "value": "prod"}]));
    }

    #[test]
    fn no_port_means_no_service_and_no_route() {
        let labels = labels("prov", "s1", "container-application");
        let mut quiet = app();
        quiet.container_port = None;
        assert!(service(&quiet, &labels).is_none());
        assert!(ingress(&quiet, &labels).is_none());
        assert!(route(&quiet, &labels).is_none());
        assert_eq!(
            route(&app(), &labels).unwrap()["spec"]["host"],
            "shop.example.eu"
        );
    }

    #[test]
    fn the_kubeconfig_names_the_namespace_and_the_server() {
        let text = kubeconfig("https://k8s.example.eu:6443", Some("Q0E="), "ns1", "tok.en");
        assert!(
            text.contains("server: \"https://k8s.example.eu:6443\""),
            "{text}"
        );
        assert!(text.contains("namespace: ns1"), "{text}");
        assert!(text.contains("certificate-authority-data: Q0E="), "{text}");
        assert!(text.contains("token: \"tok.en\""), "{text}");
    }
}
