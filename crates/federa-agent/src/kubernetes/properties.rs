//! A service's properties read into what the two products need, checked
//! before anything is sent to the cluster. Pure.
//!
//! The product follows from the properties: a service with an `image` is a
//! container application, one without is a tenant namespace (the two
//! catalogue files under `catalogue/kubernetes/` give each its schema).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::driver::DriverError;

/// What one service is on the cluster.
#[derive(Debug, Clone, PartialEq)]
pub enum Product {
    Application(AppSpec),
    Tenant(TenantSpec),
}

impl Product {
    pub const APPLICATION: &'static str = "container-application";
    pub const TENANT: &'static str = "tenant-namespace";

    pub fn name(&self) -> &'static str {
        match self {
            Product::Application(_) => Product::APPLICATION,
            Product::Tenant(_) => Product::TENANT,
        }
    }
}

/// A container application: one Deployment, and a Service (and Ingress or
/// Route) when it listens on a port.
#[derive(Debug, Clone, PartialEq)]
pub struct AppSpec {
    pub image: String,
    pub replicas: i32,
    pub container_port: Option<i32>,
    pub env: BTreeMap<String, String>,
    pub cpu_request: String,
    pub memory_request: String,
    pub cpu_limit: Option<String>,
    pub memory_limit: Option<String>,
    /// The host name an Ingress (or OpenShift Route) routes to the Service.
    pub host: Option<String>,
}

/// A tenant namespace: the quota and per-container defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantSpec {
    pub cpu: String,
    pub memory: String,
    pub pods: i32,
    pub services: Option<i32>,
    pub config_maps: Option<i32>,
    pub secrets: Option<i32>,
    pub default_cpu: String,
    pub default_memory: String,
}

const MAX_REPLICAS: i64 = 100;

/// Reads `properties` as the product they describe.
pub fn product(properties: &Map<String, Value>) -> Result<Product, DriverError> {
    if properties.contains_key("image") {
        app(properties).map(Product::Application)
    } else {
        tenant(properties).map(Product::Tenant)
    }
}

fn app(properties: &Map<String, Value>) -> Result<AppSpec, DriverError> {
    let image = string(properties, "image")?.unwrap_or_default();
    if image.trim().is_empty() || image.chars().any(char::is_whitespace) {
        return Err(invalid(
            "image",
            "must be an image reference without spaces",
        ));
    }
    let replicas = integer(properties, "replicas", 0, MAX_REPLICAS)?.unwrap_or(1);
    let container_port = integer(properties, "containerPort", 1, 65535)?;
    let mut env = BTreeMap::new();
    match properties.get("env") {
        None | Some(Value::Null) => {}
        Some(Value::Object(variables)) => {
            for (name, value) in variables {
                if !is_env_name(name) {
                    return Err(invalid("env", &format!("{name:?} is not a variable name")));
                }
                let value = match value {
                    Value::String(text) => text.clone(),
                    Value::Number(number) => number.to_string(),
                    Value::Bool(flag) => flag.to_string(),
                    _ => return Err(invalid("env", &format!("{name} must be a string"))),
                };
                env.insert(name.clone(), value);
            }
        }
        Some(_) => return Err(invalid("env", "must be an object of strings")),
    }
    let host = string(properties, "host")?;
    if let Some(host) = &host {
        if !is_dns_name(host) {
            return Err(invalid("host", "must be a DNS name"));
        }
        if container_port.is_none() {
            return Err(invalid("host", "needs a containerPort to route to"));
        }
    }
    Ok(AppSpec {
        image,
        replicas: replicas as i32,
        container_port: container_port.map(|port| port as i32),
        env,
        cpu_request: quantity(properties, "cpuRequest")?.unwrap_or_else(|| "100m".into()),
        memory_request: quantity(properties, "memoryRequest")?.unwrap_or_else(|| "128Mi".into()),
        cpu_limit: quantity(properties, "cpuLimit")?,
        memory_limit: quantity(properties, "memoryLimit")?,
        host,
    })
}

fn tenant(properties: &Map<String, Value>) -> Result<TenantSpec, DriverError> {
    let required =
        |key: &str| quantity(properties, key)?.ok_or_else(|| invalid(key, "is required"));
    Ok(TenantSpec {
        cpu: required("cpu")?,
        memory: required("memory")?,
        pods: integer(properties, "pods", 0, 10_000)?.unwrap_or(10) as i32,
        services: count(properties, "services")?,
        config_maps: count(properties, "configMaps")?,
        secrets: count(properties, "secrets")?,
        default_cpu: quantity(properties, "defaultCpu")?.unwrap_or_else(|| "100m".into()),
        default_memory: quantity(properties, "defaultMemory")?.unwrap_or_else(|| "128Mi".into()),
    })
}

fn count(properties: &Map<String, Value>, key: &str) -> Result<Option<i32>, DriverError> {
    Ok(integer(properties, key, 0, 10_000)?.map(|n| n as i32))
}

fn invalid(key: &str, rule: &str) -> DriverError {
    DriverError::Properties(format!("{key} {rule}"))
}

fn string(properties: &Map<String, Value>, key: &str) -> Result<Option<String>, DriverError> {
    match properties.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(invalid(key, "must be a string")),
    }
}

fn integer(
    properties: &Map<String, Value>,
    key: &str,
    min: i64,
    max: i64,
) -> Result<Option<i64>, DriverError> {
    match properties.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => match value.as_i64() {
            Some(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(invalid(
                key,
                &format!("must be a whole number from {min} to {max}"),
            )),
        },
    }
}

/// A Kubernetes quantity (`250m`, `1.5`, `512Mi`, `2G`); whole numbers are
/// accepted as numbers too.
fn quantity(properties: &Map<String, Value>, key: &str) -> Result<Option<String>, DriverError> {
    let text = match properties.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(number)) if number.is_u64() => number.to_string(),
        Some(Value::String(text)) => text.clone(),
        Some(_) => return Err(invalid(key, "must be a quantity such as 500m or 1Gi")),
    };
    if is_quantity(&text) {
        Ok(Some(text))
    } else {
        Err(invalid(key, "must be a quantity such as 500m or 1Gi"))
    }
}

pub(crate) fn is_quantity(text: &str) -> bool {
    const SUFFIXES: [&str; 12] = [
        "m", "k", "M", "G", "T", "P", "Ki", "Mi", "Gi", "Ti", "Pi", "",
    ];
    let digits_end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(digits_end);
    let mut parts = number.split('.');
    let whole = parts.next().unwrap_or_default();
    let fraction = parts.next();
    !whole.is_empty()
        && parts.next().is_none()
        && fraction.is_none_or(|f| !f.is_empty())
        && SUFFIXES.contains(&suffix)
}

/// The value of a quantity as a plain number (cores, bytes, objects).
pub fn quantity_value(text: &str) -> Option<f64> {
    if !is_quantity(text) {
        return None;
    }
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let factor = match suffix {
        "" => 1.0,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "Ki" => 1024.0,
        "Mi" => 1024.0 * 1024.0,
        "Gi" => 1024.0 * 1024.0 * 1024.0,
        "Ti" => 1024.0f64.powi(4),
        "Pi" => 1024.0f64.powi(5),
        _ => return None,
    };
    number.parse::<f64>().ok().map(|n| n * factor)
}

fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_dns_name(host: &str) -> bool {
    host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn read(value: Value) -> Result<Product, DriverError> {
        product(value.as_object().unwrap())
    }

    #[test]
    fn an_image_makes_an_application_with_defaults() {
        let Product::Application(app) = read(json!({"image": "nginx:1.27"})).unwrap() else {
            panic!("not an application");
        };
        assert_eq!(app.replicas, 1);
        assert_eq!(app.cpu_request, "100m");
        assert_eq!(app.memory_request, "128Mi");
        assert_eq!(app.container_port, None);
        assert_eq!(app.host, None);
    }

    #[test]
    fn an_application_reads_every_property() {
        let product = read(json!({
            "image": "nginx", "replicas": 3, "containerPort": 8080,
            "env": {"MODE": "prod", "WORKERS": 4}, "cpuRequest": "250m",
            "memoryRequest": "256Mi", "cpuLimit": 1, "memoryLimit": "1Gi",
            "host": "shop.apps.example.eu"
        }))
        .unwrap();
        let Product::Application(app) = product else {
            panic!("not an application");
        };
        assert_eq!(app.replicas, 3);
        assert_eq!(app.container_port, Some(8080));
        assert_eq!(app.env["WORKERS"], "4");
        assert_eq!(app.cpu_limit.as_deref(), Some("1"));
        assert_eq!(app.host.as_deref(), Some("shop.apps.example.eu"));
    }

    #[test]
    fn bad_application_properties_are_named() {
        for (properties, key) in [
            (json!({"image": " "}), "image"),
            (json!({"image": "a", "replicas": 101}), "replicas"),
            (json!({"image": "a", "containerPort": 0}), "containerPort"),
            (json!({"image": "a", "env": {"1X": "y"}}), "env"),
            (json!({"image": "a", "cpuRequest": "lots"}), "cpuRequest"),
            (json!({"image": "a", "host": "Shop.example"}), "host"),
            (json!({"image": "a", "host": "shop.example"}), "host"),
        ] {
            let error = read(properties.clone()).unwrap_err().to_string();
            assert!(error.contains(key), "{properties}: {error}");
        }
    }

    #[test]
    fn a_tenant_needs_cpu_and_memory() {
        let Product::Tenant(tenant) = read(json!({"cpu": "2", "memory": "4Gi"})).unwrap() else {
            panic!("not a tenant");
        };
        assert_eq!(tenant.pods, 10);
        assert_eq!(tenant.default_cpu, "100m");
        let error = read(json!({"cpu": "2"})).unwrap_err().to_string();
        assert!(error.contains("memory is required"), "{error}");
    }

    #[test]
    fn quantities_have_values() {
        assert_eq!(quantity_value("250m"), Some(0.25));
        assert_eq!(quantity_value("2"), Some(2.0));
        assert_eq!(quantity_value("1Gi"), Some(1073741824.0));
        assert_eq!(quantity_value("1.5k"), Some(1500.0));
        assert_eq!(quantity_value("lots"), None);
    }

    #[test]
    fn quantities_follow_kubernetes() {
        for good in ["1", "250m", "1.5", "512Mi", "2G", "0"] {
            assert!(is_quantity(good), "{good}");
        }
        for bad in ["", "m", "1.", ".5", "1.2.3", "5 Gi", "1Xi", "-1"] {
            assert!(!is_quantity(bad), "{bad}");
        }
    }
}
