//! What a service's properties ask of its VM, checked before anything is
//! asked of libvirt.

use serde_json::{Map, Value};

use crate::driver::DriverError;
use crate::properties::whole_number;

/// Bounds that keep a typo from asking the host for the impossible, and the
/// KiB conversions libvirt needs from overflowing.
const MAX_VCPUS: u64 = 4096;
const MAX_MEMORY_MIB: u64 = 16 * 1024 * 1024;
const MAX_DISK_GIB: u64 = 64 * 1024;

/// The size of a VM; on `update`, either may be absent (unchanged).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Size {
    pub vcpus: Option<u32>,
    pub memory_mib: Option<u64>,
}

/// The disk a new VM gets, in the agent's storage pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum DiskRequest {
    /// A copy of an image, named by volume name or path, grown to `gib` if
    /// given.
    Image { image: String, gib: Option<u64> },
    /// An empty disk.
    Blank { gib: u64 },
}

/// Everything `create` needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct VmSpec {
    pub vcpus: u32,
    pub memory_mib: u64,
    pub disk: Option<DiskRequest>,
}

impl Size {
    pub fn from_properties(properties: &Map<String, Value>) -> Result<Size, DriverError> {
        let vcpus = whole_number(properties, "vcpus", 1, MAX_VCPUS)?;
        Ok(Size {
            // Within u32 by MAX_VCPUS.
            vcpus: vcpus.map(|v| v as u32),
            memory_mib: whole_number(properties, "memoryMiB", 1, MAX_MEMORY_MIB)?,
        })
    }
}

impl VmSpec {
    pub fn from_properties(properties: &Map<String, Value>) -> Result<VmSpec, DriverError> {
        let size = Size::from_properties(properties)?;
        let required = |name: &str| DriverError::Properties(format!("{name} is required"));
        let image = match properties.get("diskImage") {
            None | Some(Value::Null) => None,
            Some(Value::String(image)) if !image.trim().is_empty() => Some(image.trim().into()),
            Some(_) => {
                return Err(DriverError::Properties(
                    "diskImage must be a volume name or a path".into(),
                ))
            }
        };
        let gib = whole_number(properties, "diskGiB", 1, MAX_DISK_GIB)?;
        let disk = match (image, gib) {
            (Some(image), gib) => Some(DiskRequest::Image { image, gib }),
            (None, Some(gib)) => Some(DiskRequest::Blank { gib }),
            (None, None) => None,
        };
        Ok(VmSpec {
            vcpus: size.vcpus.ok_or_else(|| required("vcpus"))?,
            memory_mib: size.memory_mib.ok_or_else(|| required("memoryMiB"))?,
            disk,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn properties(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn a_vm_needs_vcpus_and_memory() {
        let spec =
            VmSpec::from_properties(&properties(json!({"vcpus": 2, "memoryMiB": 512}))).unwrap();
        assert_eq!(
            spec,
            VmSpec {
                vcpus: 2,
                memory_mib: 512,
                disk: None
            }
        );
        let error = VmSpec::from_properties(&properties(json!({"vcpus": 2}))).unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid service properties: memoryMiB is required"
        );
    }

    #[test]
    fn zero_fractional_or_textual_sizes_are_refused() {
        for bad in [json!(0), json!(1.5), json!("2"), json!(-1), json!(5000)] {
            let error =
                VmSpec::from_properties(&properties(json!({"vcpus": bad, "memoryMiB": 512})))
                    .unwrap_err();
            assert!(
                error.to_string().contains("vcpus must be a whole number"),
                "{error}"
            );
        }
    }

    #[test]
    fn a_disk_is_a_copied_image_or_a_blank_of_a_size() {
        let spec = VmSpec::from_properties(&properties(
            json!({"vcpus": 1, "memoryMiB": 256, "diskImage": "debian-12.qcow2", "diskGiB": 20}),
        ))
        .unwrap();
        assert_eq!(
            spec.disk,
            Some(DiskRequest::Image {
                image: "debian-12.qcow2".into(),
                gib: Some(20)
            })
        );
        let spec = VmSpec::from_properties(&properties(
            json!({"vcpus": 1, "memoryMiB": 256, "diskGiB": 8}),
        ))
        .unwrap();
        assert_eq!(spec.disk, Some(DiskRequest::Blank { gib: 8 }));
    }

    #[test]
    fn an_update_may_change_only_one_size() {
        let size = Size::from_properties(&properties(json!({"memoryMiB": 2048}))).unwrap();
        assert_eq!(
            size,
            Size {
                vcpus: None,
                memory_mib: Some(2048)
            }
        );
    }
}
