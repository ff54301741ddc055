//! VM disks: each VM gets its own volume in the agent's storage pool, a copy
//! of an image or a blank one, named after the VM so a repeated job finds it
//! and a delete removes it.
//!
//! Images are only taken from that pool: a path outside it would let a
//! consumer attach any file of the host (libvirt even hands the file to the
//! QEMU user).

use virt::connect::Connect;
use virt::error::ErrorNumber;
use virt::storage_pool::StoragePool;
use virt::storage_vol::StorageVol;

use super::domain_xml::{escape, Disk};
use super::spec::DiskRequest;
use super::{failed, not_found};
use crate::driver::DriverError;

const GIB: u64 = 1024 * 1024 * 1024;

pub(super) fn volume_name(domain_name: &str) -> String {
    format!("{domain_name}-disk")
}

/// The VM's disk, made if it does not exist yet.
pub(super) fn prepare(
    connection: &Connect,
    pool_name: Option<&str>,
    domain_name: &str,
    request: &DiskRequest,
) -> Result<Disk, DriverError> {
    let pool_name = pool_name.ok_or_else(|| {
        DriverError::Properties(
            "this agent has no storage_pool configured, so its VMs cannot have a disk".into(),
        )
    })?;
    let pool = open_pool(connection, pool_name)?;
    let name = volume_name(domain_name);
    let disk = |format: String| Disk {
        pool: pool_name.to_string(),
        volume: name.clone(),
        format,
    };
    match pool.lookup_storage_vol_by_name(&name) {
        // Made before a crash: the same disk, not a second one.
        Ok(existing) => return Ok(disk(format_of(&existing)?)),
        Err(e) if not_found(&e, ErrorNumber::NoStorageVolume) => {}
        Err(e) => return Err(failed(&format!("cannot look up volume {name}"), e)),
    }
    match request {
        DiskRequest::Blank { gib } => {
            let format = "qcow2".to_string();
            let xml = volume_xml(&name, gib.saturating_mul(GIB), &format);
            StorageVol::create_xml(&pool, &xml, 0)
                .map_err(|e| failed(&format!("cannot create volume {name}"), e))?;
            Ok(disk(format))
        }
        DiskRequest::Image { image, gib } => {
            let source = image_volume(connection, &pool, pool_name, image)?;
            let format = format_of(&source)?;
            let capacity = source
                .info()
                .map_err(|e| failed(&format!("cannot read volume {image}"), e))?
                .capacity;
            let wanted = gib.map_or(capacity, |gib| gib.saturating_mul(GIB).max(capacity));
            let xml = volume_xml(&name, wanted, &format);
            let copy = StorageVol::create_xml_from(&pool, &xml, &source, 0)
                .map_err(|e| failed(&format!("cannot copy {image} to volume {name}"), e))?;
            // Not every pool grows a copy to the capacity asked for.
            let copied = copy
                .info()
                .map_err(|e| failed(&format!("cannot read volume {name}"), e))?
                .capacity;
            if copied < wanted {
                copy.resize(wanted, 0)
                    .map_err(|e| failed(&format!("cannot grow volume {name}"), e))?;
            }
            Ok(disk(format))
        }
    }
}

/// Deletes the VM's disk if it has one.
pub(super) fn remove(
    connection: &Connect,
    pool_name: Option<&str>,
    domain_name: &str,
) -> Result<(), DriverError> {
    let Some(pool_name) = pool_name else {
        return Ok(());
    };
    match find(connection, pool_name, domain_name)? {
        Some(volume) => volume.delete(0).map_err(|e| {
            failed(
                &format!("cannot delete volume {}", volume_name(domain_name)),
                e,
            )
        }),
        None => Ok(()),
    }
}

/// The disk of the VM `domain_name` in `pool_name`, if there is one.
pub(super) fn find(
    connection: &Connect,
    pool_name: &str,
    domain_name: &str,
) -> Result<Option<StorageVol>, DriverError> {
    let pool = open_pool(connection, pool_name)?;
    let name = volume_name(domain_name);
    match pool.lookup_storage_vol_by_name(&name) {
        Ok(volume) => Ok(Some(volume)),
        Err(e) if not_found(&e, ErrorNumber::NoStorageVolume) => Ok(None),
        Err(e) => Err(failed(&format!("cannot look up volume {name}"), e)),
    }
}

fn open_pool(connection: &Connect, pool_name: &str) -> Result<StoragePool, DriverError> {
    connection
        .lookup_storage_pool_by_name(pool_name)
        .map_err(|e| failed(&format!("cannot open storage pool {pool_name}"), e))
}

/// The image a service names, by volume name or path, if it is in the pool.
fn image_volume(
    connection: &Connect,
    pool: &StoragePool,
    pool_name: &str,
    image: &str,
) -> Result<StorageVol, DriverError> {
    let not_in_pool = || {
        DriverError::Properties(format!(
            "diskImage {image:?} is not a volume of the storage pool {pool_name}"
        ))
    };
    if !image.starts_with('/') {
        return pool.lookup_storage_vol_by_name(image).map_err(|e| {
            if not_found(&e, ErrorNumber::NoStorageVolume) {
                not_in_pool()
            } else {
                failed(&format!("cannot look up volume {image}"), e)
            }
        });
    }
    let volume = connection.lookup_storage_vol_by_path(image).map_err(|e| {
        if not_found(&e, ErrorNumber::NoStorageVolume) {
            not_in_pool()
        } else {
            failed(&format!("cannot look up volume {image}"), e)
        }
    })?;
    let owner = volume
        .lookup_storage_pool()
        .and_then(|p| p.name())
        .map_err(|e| failed(&format!("cannot find the pool of {image}"), e))?;
    if owner != pool_name {
        return Err(not_in_pool());
    }
    Ok(volume)
}

/// A volume of `capacity_bytes` with nothing allocated up front: a raw copy
/// of an image then skips the image's zeroes (libvirt copies sparsely when
/// the allocation asked for is below the source's capacity) instead of
/// writing every byte, and qcow2 grows as the guest writes.
fn volume_xml(name: &str, capacity_bytes: u64, format: &str) -> String {
    format!(
        "<volume>\n  <name>{}</name>\n  <capacity unit='bytes'>{capacity_bytes}</capacity>\n  <allocation unit='bytes'>0</allocation>\n  <target>\n    <format type='{}'/>\n  </target>\n</volume>\n",
        escape(name),
        escape(format)
    )
}

/// The format of a volume from its XML; `raw` where the pool records none.
fn format_of(volume: &StorageVol) -> Result<String, DriverError> {
    let xml = volume
        .xml_desc(0)
        .map_err(|e| failed("cannot read a volume's description", e))?;
    Ok(format_in(&xml).unwrap_or("raw").to_string())
}

/// `<target>` comes before `<backingStore>` in a volume's XML, so the first
/// format element is the volume's own, not its backing file's.
fn format_in(xml: &str) -> Option<&str> {
    let target = &xml[xml.find("<target>")?..];
    let rest = &target[target.find("<format type=")? + "<format type=".len()..];
    let quote = rest.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let rest = &rest[1..];
    Some(&rest[..rest.find(quote)?])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_is_the_volumes_own_not_its_backing_files() {
        let xml = "<volume><target><path>/v/a</path><format type='qcow2'/></target>\
                   <backingStore><format type='raw'/></backingStore></volume>";
        assert_eq!(format_in(xml), Some("qcow2"));
        assert_eq!(
            format_in("<volume><target><path>/v/a</path></target></volume>"),
            None
        );
    }

    #[test]
    fn a_new_volume_has_its_name_size_and_format() {
        let xml = volume_xml("federa-a-disk", 3 * GIB, "qcow2");
        assert!(xml.contains("<name>federa-a-disk</name>"), "{xml}");
        assert!(
            xml.contains("<capacity unit='bytes'>3221225472</capacity>"),
            "{xml}"
        );
        assert!(xml.contains("<format type='qcow2'/>"), "{xml}");
    }

    #[test]
    fn a_new_volume_asks_for_no_allocation_so_copies_stay_sparse() {
        let xml = volume_xml("federa-a-disk", 3 * GIB, "raw");
        assert!(
            xml.contains("<allocation unit='bytes'>0</allocation>"),
            "{xml}"
        );
    }
}
