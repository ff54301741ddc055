//! A container application's objects as a switch moves them, in the format
//! [`FORMAT`]: a Kubernetes `v1` `List` of its Deployment and, when it has
//! them, its Service and its Ingress or OpenShift Route, each as the
//! cluster holds it less what the cluster set (uid, resourceVersion,
//! managedFields, status, creation time, the namespace, allocated cluster
//! addresses and node ports). Such a document applies as it is to any
//! namespace (`kubectl apply -f`). The provider's quota and the namespace
//! are not part of it: those are the target provider's to set. Pure.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::objects::{APP, MANAGED_BY, OWNER, PRODUCT, SERVICE_ID};
use crate::driver::DriverError;

/// The media type of an exported application.
pub const FORMAT: &str = "application/vnd.federa.kubernetes-manifests+json";

/// The largest document an import reads: far above what one Deployment,
/// Service and Ingress weigh, and a bound on what a source can make the
/// target hold in memory.
pub const MAX_DOCUMENT_BYTES: u64 = 4 * 1024 * 1024;

/// Annotations the cluster's controllers and clients write, which mean
/// nothing on another cluster.
const SERVER_ANNOTATIONS: [&str; 2] = [
    "deployment.kubernetes.io/revision",
    "kubectl.kubernetes.io/last-applied-configuration",
];

/// The labels that say which agent and service own an object; an import
/// gives them the target's values.
const OWNERSHIP_LABELS: [&str; 4] = [MANAGED_BY, OWNER, SERVICE_ID, PRODUCT];

/// The most replicas an imported Deployment may ask for, as for a create.
const MAX_REPLICAS: i64 = 100;

/// The start and end of the document, around the objects written one at a
/// time between them.
pub const DOCUMENT_START: &str = r#"{"apiVersion":"v1","kind":"List","items":["#;
pub const DOCUMENT_END: &str = "]}";

/// `object`, as read from the cluster, less the fields the cluster set.
pub fn portable(mut object: Value) -> Value {
    let Some(fields) = object.as_object_mut() else {
        return object;
    };
    fields.remove("status");
    if let Some(metadata) = fields.get_mut("metadata").and_then(Value::as_object_mut) {
        metadata.retain(|key, _| matches!(key.as_str(), "name" | "labels" | "annotations"));
        if let Some(annotations) = metadata
            .get_mut("annotations")
            .and_then(Value::as_object_mut)
        {
            annotations.retain(|key, _| !SERVER_ANNOTATIONS.contains(&key.as_str()));
        }
        if metadata
            .get("annotations")
            .and_then(Value::as_object)
            .is_some_and(Map::is_empty)
        {
            metadata.remove("annotations");
        }
    }
    if fields.get("kind").and_then(Value::as_str) == Some("Service") {
        if let Some(spec) = fields.get_mut("spec").and_then(Value::as_object_mut) {
            // Allocated from this cluster's ranges and families.
            for allocated in [
                "clusterIP",
                "clusterIPs",
                "ipFamilies",
                "ipFamilyPolicy",
                "healthCheckNodePort",
            ] {
                spec.remove(allocated);
            }
            for port in spec
                .get_mut("ports")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                if let Some(port) = port.as_object_mut() {
                    port.remove("nodePort");
                }
            }
        }
    }
    object
}

/// An export read back for import: its objects checked and labelled as
/// the target's.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifests {
    pub deployment: Value,
    pub service: Option<Value>,
    pub ingress: Option<Value>,
    pub route: Option<Value>,
    /// What the Deployment asks for, to wait for.
    pub replicas: i32,
}

/// Reads `document` as an application's objects, refusing anything the
/// driver would not make itself (another kind or name, an image outside
/// `image_allowed`, too many replicas), and gives every object the
/// target's `labels`: its own labels, and the Deployment's and Service's
/// selectors where they select by an ownership label.
pub fn for_target(
    document: Value,
    labels: &BTreeMap<String, String>,
    image_allowed: impl Fn(&str) -> bool,
) -> Result<Manifests, DriverError> {
    if document.get("kind").and_then(Value::as_str) != Some("List") {
        return Err(refused("it is not a v1 List of objects"));
    }
    let items = match document.get("items") {
        Some(Value::Array(items)) => items.clone(),
        _ => return Err(refused("its items are not an array")),
    };
    let mut deployment = None;
    let mut service = None;
    let mut ingress = None;
    let mut route = None;
    for mut item in items {
        let api_version = text(&item, &["apiVersion"]).unwrap_or_default();
        let kind = text(&item, &["kind"]).unwrap_or_default();
        let name = text(&item, &["metadata", "name"]).unwrap_or_default();
        let slot = match (api_version.as_str(), kind.as_str()) {
            ("apps/v1", "Deployment") => &mut deployment,
            ("v1", "Service") => &mut service,
            ("networking.k8s.io/v1", "Ingress") => &mut ingress,
            ("route.openshift.io/v1", "Route") => &mut route,
            _ => {
                return Err(refused(&format!(
                    "it holds a {api_version} {kind}, which this driver does not manage"
                )))
            }
        };
        if name != APP {
            return Err(refused(&format!(
                "its {kind} is named {name:?}; this driver names it {APP:?}"
            )));
        }
        if slot.is_some() {
            return Err(refused(&format!("it holds two of {kind}")));
        }
        relabel(&mut item, labels);
        *slot = Some(item);
    }
    let mut deployment = deployment.ok_or_else(|| refused("it holds no Deployment"))?;
    let replicas = match deployment.pointer("/spec/replicas") {
        None | Some(Value::Null) => 1,
        Some(value) => match value.as_i64() {
            Some(n) if (0..=MAX_REPLICAS).contains(&n) => n as i32,
            _ => {
                return Err(refused(&format!(
                    "its Deployment asks for {value} replicas; at most {MAX_REPLICAS}"
                )))
            }
        },
    };
    let pod = deployment
        .pointer_mut("/spec/template/spec")
        .ok_or_else(|| refused("its Deployment has no pod template"))?;
    for image in images(pod) {
        if !image_allowed(&image) {
            return Err(DriverError::Failed(format!(
                "image {image} is not in the provider's image allow-list"
            )));
        }
    }
    select_by_target(deployment.pointer_mut("/spec/selector/matchLabels"), labels);
    if let Some(service) = service.as_mut() {
        select_by_target(service.pointer_mut("/spec/selector"), labels);
    }
    Ok(Manifests {
        deployment,
        service,
        ingress,
        route,
        replicas,
    })
}

fn refused(why: &str) -> DriverError {
    DriverError::Failed(format!(
        "the snapshot is not an application's objects ({FORMAT}): {why}"
    ))
}

fn text(value: &Value, path: &[&str]) -> Option<String> {
    path.iter()
        .try_fold(value, |value, key| value.get(key))
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// The object's own labels and, for a Deployment, its pods' become the
/// target's ownership labels beside any others it has; the namespace is
/// the one it is applied to.
fn relabel(object: &mut Value, labels: &BTreeMap<String, String>) {
    let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    metadata.remove("namespace");
    set_ownership(metadata, labels);
    if let Some(template) = object
        .pointer_mut("/spec/template/metadata")
        .and_then(Value::as_object_mut)
    {
        set_ownership(template, labels);
    }
}

fn set_ownership(metadata: &mut Map<String, Value>, labels: &BTreeMap<String, String>) {
    let entry = metadata
        .entry("labels")
        .or_insert_with(|| Value::Object(Map::new()));
    if !entry.is_object() {
        *entry = Value::Object(Map::new());
    }
    if let Some(own) = entry.as_object_mut() {
        own.retain(|key, _| !OWNERSHIP_LABELS.contains(&key.as_str()));
        for (key, value) in labels {
            own.insert(key.clone(), Value::String(value.clone()));
        }
    }
}

/// A selector that selects by an ownership label selects by the target's
/// value of it; one that selects by nothing selects the target's service.
fn select_by_target(selector: Option<&mut Value>, labels: &BTreeMap<String, String>) {
    let Some(selector) = selector.and_then(Value::as_object_mut) else {
        return;
    };
    for key in OWNERSHIP_LABELS {
        if let (Some(value), Some(target)) = (selector.get_mut(key), labels.get(key)) {
            *value = Value::String(target.clone());
        }
    }
    if selector.is_empty() {
        if let Some(service_id) = labels.get(SERVICE_ID) {
            selector.insert(SERVICE_ID.into(), Value::String(service_id.clone()));
        }
    }
}

/// Every image a pod spec runs, init and ephemeral containers too.
fn images(pod: &Value) -> Vec<String> {
    ["containers", "initContainers", "ephemeralContainers"]
        .iter()
        .filter_map(|list| pod.get(list).and_then(Value::as_array))
        .flatten()
        .map(|container| {
            container
                .get("image")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::kubernetes::objects::labels;

    fn as_read() -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {
                "name": "app", "namespace": "fa-s1", "uid": "u", "resourceVersion": "7",
                "generation": 2, "creationTimestamp": "2026-12-03T00:00:00Z",
                "managedFields": [{"manager": "federa-agent"}],
                "labels": labels("fa", "s1", "container-application"),
                "annotations": {"deployment.kubernetes.io/revision": "2", "team": "shop"}
            },
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {SERVICE_ID: "s1"}},
                "template": {
                    "metadata": {"labels": labels("fa", "s1", "container-application")},
                    "spec": {"containers": [{"name": "app", "image": "registry.example.eu/shop:1"}]}
                }
            },
            "status": {"availableReplicas": 2}
        })
    }

    fn list(items: Vec<Value>) -> Value {
        json!({"apiVersion": "v1", "kind": "List", "items": items})
    }

    #[test]
    fn what_the_cluster_set_is_left_out() {
        let object = portable(as_read());
        assert!(object.get("status").is_none());
        let metadata = object["metadata"].as_object().unwrap();
        let mut keys: Vec<_> = metadata.keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(keys, ["annotations", "labels", "name"]);
        assert_eq!(metadata["annotations"], json!({"team": "shop"}));
        let service = portable(json!({
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": "app"},
            "spec": {"clusterIP": "10.96.0.9", "clusterIPs": ["10.96.0.9"], "ipFamilies": ["IPv4"],
                     "ipFamilyPolicy": "SingleStack", "type": "ClusterIP",
                     "ports": [{"port": 8080, "nodePort": 30001}]}
        }));
        assert_eq!(
            service["spec"],
            json!({"type": "ClusterIP", "ports": [{"port": 8080}]})
        );
    }

    #[test]
    fn an_import_gives_every_object_the_targets_labels() {
        let target = labels("fb", "s2", "container-application");
        let service = json!({"apiVersion": "v1", "kind": "Service",
                             "metadata": {"name": "app", "labels": labels("fa", "s1", "container-application")},
                             "spec": {"selector": {SERVICE_ID: "s1"}, "ports": [{"port": 8080}]}});
        let manifests =
            for_target(list(vec![portable(as_read()), service]), &target, |_| true).unwrap();
        assert_eq!(manifests.replicas, 2);
        let deployment = &manifests.deployment;
        assert_eq!(deployment["metadata"]["labels"][OWNER], "fb");
        assert_eq!(deployment["metadata"]["labels"][SERVICE_ID], "s2");
        assert_eq!(
            deployment["spec"]["selector"]["matchLabels"],
            json!({SERVICE_ID: "s2"})
        );
        assert_eq!(
            deployment["spec"]["template"]["metadata"]["labels"][SERVICE_ID],
            "s2"
        );
        assert_eq!(
            manifests.service.unwrap()["spec"]["selector"],
            json!({SERVICE_ID: "s2"})
        );
        assert!(manifests.ingress.is_none() && manifests.route.is_none());
    }

    #[test]
    fn what_the_driver_would_not_make_is_refused_by_name() {
        let target = labels("fb", "s2", "container-application");
        let config_map =
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app"}});
        let mut renamed = as_read();
        renamed["metadata"]["name"] = json!("other");
        let mut crowded = as_read();
        crowded["spec"]["replicas"] = json!(1000);
        for (document, expected) in [
            (json!({"kind": "Deployment"}), "not a v1 List"),
            (list(vec![]), "no Deployment"),
            (list(vec![as_read(), config_map]), "v1 ConfigMap"),
            (list(vec![renamed]), "named \"other\""),
            (list(vec![as_read(), as_read()]), "two of Deployment"),
            (list(vec![crowded]), "1000 replicas"),
        ] {
            let error = for_target(document, &target, |_| true)
                .unwrap_err()
                .to_string();
            assert!(error.contains(expected), "{expected}: {error}");
        }
        let error = for_target(list(vec![as_read()]), &target, |image| {
            image.starts_with("other.example/")
        })
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("registry.example.eu/shop:1 is not in the provider's image allow-list"),
            "{error}"
        );
    }
}
