//! A VM's disk moved for a switch: the bytes of its volume as the
//! hypervisor keeps them (qcow2 or raw), streamed out with
//! `virStorageVolDownload` and into the target VM's volume with
//! `virStorageVolUpload`, a chunk at a time. Their media type is
//! [`FORMAT`].
//!
//! A hypervisor that refuses a call is named in the error with the call it
//! refused: libvirt's built-in test hypervisor (`test:///default`) has
//! neither download nor upload.

use std::io::Read;
use std::path::Path;

use tokio::sync::mpsc::Sender;
use virt::connect::Connect;
use virt::storage_vol::StorageVol;
use virt::stream::Stream;

use super::failed;
use super::storage::{self, volume_name};
use crate::driver::DriverError;

/// The media type of an exported VM disk: the volume's file as QEMU reads
/// it.
pub const FORMAT: &str = "application/x-qemu-disk";

/// How much of a disk is held in memory at once on its way.
pub(super) const CHUNK_BYTES: usize = 256 * 1024;

/// The disk volume of the VM `domain_name`, which must exist.
pub(super) fn disk(
    connection: &Connect,
    pool_name: Option<&str>,
    domain_name: &str,
) -> Result<StorageVol, DriverError> {
    let pool_name = pool_name.ok_or_else(|| {
        DriverError::Failed(format!(
            "this agent has no storage_pool configured, so {domain_name} has no disk to move"
        ))
    })?;
    storage::find(connection, pool_name, domain_name)?.ok_or_else(|| {
        DriverError::Failed(format!(
            "{domain_name} has no disk {} to move",
            volume_name(domain_name)
        ))
    })
}

/// Streams the VM's disk into `chunks`; the receiver writes them.
pub(super) fn download(
    connection: &Connect,
    pool_name: Option<&str>,
    domain_name: &str,
    chunks: Sender<Vec<u8>>,
) -> Result<(), DriverError> {
    let volume = disk(connection, pool_name, domain_name)?;
    let name = volume_name(domain_name);
    let stream = Stream::new(connection, 0)
        .map_err(|e| failed("cannot open a stream to the hypervisor", e))?;
    volume
        .download(&stream, 0, 0, 0)
        .map_err(|e| refused("download", "virStorageVolDownload", &name, e))?;
    let mut buffer = vec![0u8; CHUNK_BYTES];
    loop {
        let read = match stream.recv(&mut buffer) {
            Ok(read) => read,
            Err(e) => {
                let _ = stream.abort();
                return Err(failed(
                    &format!("the download of volume {name} broke off"),
                    e,
                ));
            }
        };
        if read <= 0 {
            return stream
                .finish()
                .map_err(|e| failed(&format!("the download of volume {name} did not end"), e));
        }
        if chunks
            .blocking_send(buffer[..read as usize].to_vec())
            .is_err()
        {
            let _ = stream.abort();
            return Err(DriverError::Failed(format!(
                "the export of volume {name} stopped taking its bytes"
            )));
        }
    }
}

/// Streams the file at `path`, `size_bytes` long, into the VM's disk.
pub(super) fn upload(
    connection: &Connect,
    pool_name: Option<&str>,
    domain_name: &str,
    path: &Path,
    size_bytes: u64,
) -> Result<(), DriverError> {
    let volume = disk(connection, pool_name, domain_name)?;
    let name = volume_name(domain_name);
    let mut file = std::fs::File::open(path).map_err(|e| {
        DriverError::Failed(format!("cannot read the snapshot {}: {e}", path.display()))
    })?;
    let stream = Stream::new(connection, 0)
        .map_err(|e| failed("cannot open a stream to the hypervisor", e))?;
    volume
        .upload(&stream, 0, size_bytes, 0)
        .map_err(|e| refused("upload", "virStorageVolUpload", &name, e))?;
    let mut buffer = vec![0u8; CHUNK_BYTES];
    loop {
        let read = match file.read(&mut buffer) {
            Ok(read) => read,
            Err(e) => {
                let _ = stream.abort();
                return Err(DriverError::Failed(format!(
                    "cannot read the snapshot {}: {e}",
                    path.display()
                )));
            }
        };
        if read == 0 {
            return stream
                .finish()
                .map_err(|e| failed(&format!("the upload to volume {name} did not end"), e));
        }
        let mut sent = 0;
        while sent < read {
            match stream.send(&buffer[sent..read]) {
                Ok(count) if count > 0 => sent += count as usize,
                Ok(_) => {
                    let _ = stream.abort();
                    return Err(DriverError::Failed(format!(
                        "the hypervisor stopped taking the upload to volume {name}"
                    )));
                }
                Err(e) => {
                    let _ = stream.abort();
                    return Err(failed(&format!("the upload to volume {name} broke off"), e));
                }
            }
        }
    }
}

/// A call the hypervisor would not make, named with what it said.
fn refused(verb: &str, call: &str, volume: &str, error: virt::error::Error) -> DriverError {
    DriverError::Failed(format!(
        "the hypervisor refused to {verb} volume {volume} ({call}): {}",
        error.message()
    ))
}
