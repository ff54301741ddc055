//! What a service's properties ask of its server, checked before OpenStack
//! is asked, and the choice of a flavor for a size.

use serde_json::{Map, Value};

use super::compute::{Flavor, ServerFlavor};
use crate::driver::DriverError;
use crate::properties::whole_number;

/// Bounds that keep a typo from asking the cloud for the impossible.
const MAX_VCPUS: u64 = 4096;
const MAX_RAM_MIB: u64 = 64 * 1024 * 1024;
const MAX_DISK_GIB: u64 = 1024 * 1024;

/// A size in the flavor's units; on `update`, absent parts stay as they are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Size {
    pub vcpus: Option<u64>,
    pub ram_mib: Option<u64>,
    pub disk_gib: Option<u64>,
}

/// A flavor by name (or id), or the smallest one of at least a size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlavorRequest {
    Named(String),
    Fitting(Size),
}

/// Everything `create` needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSpec {
    pub flavor: FlavorRequest,
    pub image: Option<String>,
    pub ssh_public_key: Option<String>,
    pub key_name: Option<String>,
}

impl ServerSpec {
    pub fn from_properties(properties: &Map<String, Value>) -> Result<ServerSpec, DriverError> {
        let flavor = flavor_request(properties)?.ok_or_else(|| {
            DriverError::Properties(
                "a flavor, or vcpus and ramMiB for the smallest flavor that fits, is required"
                    .into(),
            )
        })?;
        if let FlavorRequest::Fitting(size) = &flavor {
            if size.vcpus.is_none() || size.ram_mib.is_none() {
                return Err(DriverError::Properties(
                    "vcpus and ramMiB are both required without a flavor".into(),
                ));
            }
        }
        Ok(ServerSpec {
            flavor,
            image: text(properties, "image")?,
            ssh_public_key: text(properties, "sshPublicKey")?,
            key_name: text(properties, "keyName")?,
        })
    }
}

/// The flavor an update asks for, if any: a name, or sizes.
pub fn flavor_request(
    properties: &Map<String, Value>,
) -> Result<Option<FlavorRequest>, DriverError> {
    if let Some(name) = text(properties, "flavor")? {
        return Ok(Some(FlavorRequest::Named(name)));
    }
    let size = Size {
        vcpus: whole_number(properties, "vcpus", 1, MAX_VCPUS)?,
        ram_mib: whole_number(properties, "ramMiB", 1, MAX_RAM_MIB)?,
        disk_gib: whole_number(properties, "diskGiB", 1, MAX_DISK_GIB)?,
    };
    Ok((size != Size::default()).then_some(FlavorRequest::Fitting(size)))
}

/// The flavor a request names, among the cloud's; for a size, the one with
/// the fewest vCPUs, then the least RAM, then the least disk, of at least
/// that size. Parts of the size left out are taken from `current`.
pub fn choose_flavor<'a>(
    request: &FlavorRequest,
    flavors: &'a [Flavor],
    current: Option<&ServerFlavor>,
) -> Result<&'a Flavor, DriverError> {
    match request {
        FlavorRequest::Named(name) => flavors
            .iter()
            .find(|f| &f.name == name)
            .or_else(|| flavors.iter().find(|f| &f.id == name))
            .ok_or_else(|| {
                DriverError::Failed(format!("Flavor {name} could not be found in this cloud"))
            }),
        FlavorRequest::Fitting(size) => {
            let vcpus = size.vcpus.or(current.map(|c| c.vcpus)).unwrap_or(1);
            let ram = size.ram_mib.or(current.map(|c| c.ram)).unwrap_or(0);
            let disk = size.disk_gib.or(current.map(|c| c.disk)).unwrap_or(0);
            flavors
                .iter()
                .filter(|f| f.vcpus >= vcpus && f.ram >= ram && f.disk >= disk)
                .min_by_key(|f| (f.vcpus, f.ram, f.disk, f.name.clone()))
                .ok_or_else(|| {
                    DriverError::Failed(format!(
                        "no flavor of this cloud has {vcpus} vCPUs, {ram} MiB of RAM and {disk} GiB of disk"
                    ))
                })
        }
    }
}

fn text(properties: &Map<String, Value>, name: &str) -> Result<Option<String>, DriverError> {
    match properties.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.trim().to_string())),
        Some(other) => Err(DriverError::Properties(format!(
            "{name} must be a string, not {other}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn flavors() -> Vec<Flavor> {
        [
            ("1", "m1.tiny", 1, 512, 1),
            ("2", "m1.small", 1, 2048, 20),
            ("3", "m1.medium", 2, 4096, 40),
        ]
        .into_iter()
        .map(|(id, name, vcpus, ram, disk)| Flavor {
            id: id.into(),
            name: name.into(),
            vcpus,
            ram,
            disk,
        })
        .collect()
    }

    fn properties(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn the_smallest_fitting_flavor_is_chosen() {
        let flavors = flavors();
        let pick = |v: Value| {
            let request = flavor_request(&properties(v)).unwrap().unwrap();
            choose_flavor(&request, &flavors, None).map(|f| f.name.clone())
        };
        assert_eq!(pick(json!({"vcpus": 1, "ramMiB": 256})).unwrap(), "m1.tiny");
        assert_eq!(
            pick(json!({"vcpus": 1, "ramMiB": 1024})).unwrap(),
            "m1.small"
        );
        assert_eq!(
            pick(json!({"vcpus": 1, "ramMiB": 512, "diskGiB": 30})).unwrap(),
            "m1.medium"
        );
        assert_eq!(pick(json!({"flavor": "m1.small"})).unwrap(), "m1.small");
        let error = pick(json!({"vcpus": 8, "ramMiB": 512})).unwrap_err();
        assert!(error.to_string().contains("no flavor"), "{error}");
    }

    #[test]
    fn an_update_keeps_the_sizes_it_does_not_name() {
        let flavors = flavors();
        let current = ServerFlavor {
            original_name: "m1.small".into(),
            vcpus: 1,
            ram: 2048,
            disk: 20,
        };
        let request = flavor_request(&properties(json!({"vcpus": 2})))
            .unwrap()
            .unwrap();
        let chosen = choose_flavor(&request, &flavors, Some(&current)).unwrap();
        assert_eq!(chosen.name, "m1.medium");
    }

    #[test]
    fn create_needs_a_flavor_or_a_whole_size() {
        let error = ServerSpec::from_properties(&properties(json!({"vcpus": 1}))).unwrap_err();
        assert!(error.to_string().contains("ramMiB"), "{error}");
        let error = ServerSpec::from_properties(&properties(json!({"vcpus": 0, "ramMiB": 512})))
            .unwrap_err();
        assert!(
            error.to_string().contains("vcpus must be a whole number"),
            "{error}"
        );
        let spec = ServerSpec::from_properties(&properties(
            json!({"flavor": "m1.tiny", "image": "debian", "sshPublicKey": "ssh-ed25519 AAAA x"}),
        ))
        .unwrap();
        assert_eq!(spec.flavor, FlavorRequest::Named("m1.tiny".into()));
        assert_eq!(spec.image.as_deref(), Some("debian"));
    }
}
