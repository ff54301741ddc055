//! A server switching providers with its disk, through Glance:
//!
//! - `export` has Nova snapshot the server into an image (`createImage`),
//!   waits until Glance holds its data (`active`), writes that data into the
//!   export a chunk at a time, checks it against Glance's SHA-512, and
//!   deletes the image, which was only the way out;
//! - `import` uploads the export as an image of the service, a chunk at a
//!   time, checks that Glance holds what was sent, rebuilds the server from
//!   it and waits until Nova reports it built from that image; the image
//!   stays, since the server is built from it, and replaces the one of an
//!   earlier import;
//! - `erase` deletes the server, its key pair and every image of the
//!   service, and checks that none is left.
//!
//! The export's format is the disk format of the snapshot as a media type
//! (see [`media_type`]); a hypervisor whose snapshots hold another format
//! fails the export rather than convert it. A hypervisor that records a
//! snapshot but uploads no data (Nova's fake driver only pretends to
//! snapshot) leaves the image `queued`: the export fails saying so.

use std::time::Instant;

use serde_json::json;

use super::images::{Image, Images};
use super::{OpenStackDriver, SERVICE_ID_KEY};
use crate::driver::{DriverError, JobContext};
use crate::driver::{Snapshot, SnapshotWriter};

/// The disk formats a server's disk moves in, as Glance names them and as
/// media types.
const DISK_FORMATS: [(&str, &str); 2] = [
    ("qcow2", "application/x-qemu-disk"),
    ("raw", "application/x-raw-disk-image"),
];

/// The media type of a Glance disk format this driver moves.
pub fn media_type(disk_format: &str) -> Option<&'static str> {
    DISK_FORMATS
        .iter()
        .find(|(glance, _)| *glance == disk_format)
        .map(|(_, media)| *media)
}

/// The Glance disk format of a media type this driver moves.
pub fn disk_format(media_type: &str) -> Result<&'static str, DriverError> {
    DISK_FORMATS
        .iter()
        .find(|(_, media)| *media == media_type)
        .map(|(glance, _)| *glance)
        .ok_or_else(|| {
            let known: Vec<&str> = DISK_FORMATS.iter().map(|(_, media)| *media).collect();
            DriverError::Failed(format!(
                "a server's disk moves as {}, not {media_type}",
                known.join(" or ")
            ))
        })
}

impl OpenStackDriver {
    fn images(&self) -> Images<'_> {
        Images::new(self.compute.session())
    }

    /// The project's images made for the service.
    async fn images_of(&self, service_id: &str) -> Result<Vec<Image>, DriverError> {
        let project = self.compute.session().token().await?.project_id.clone();
        Ok(self.images().of_service(service_id, &project).await?)
    }

    pub(super) async fn export_disk(
        &self,
        job: &JobContext,
        into: &mut SnapshotWriter,
    ) -> Result<(), DriverError> {
        let wanted = disk_format(into.format())?;
        let server = self.require(job).await?;
        let server = self.settle(&server.id, |_| true).await?;
        let name = format!("{}-export", self.server_name(&job.service_id)?);
        let image_id = self
            .compute
            .create_image(&server.id, &name, &json!({SERVICE_ID_KEY: job.service_id}))
            .await?;
        let copied = self
            .copy_snapshot(&server.id, &image_id, wanted, into)
            .await;
        if let Err(error) = self.images().delete(&image_id).await {
            tracing::warn!(image = %image_id, %error, "cannot delete an export's snapshot");
        }
        copied
    }

    async fn copy_snapshot(
        &self,
        server_id: &str,
        image_id: &str,
        wanted: &str,
        into: &mut SnapshotWriter,
    ) -> Result<(), DriverError> {
        let image = self.snapshot_data(server_id, image_id).await?;
        let found = image.disk_format.as_deref().unwrap_or("none");
        if found != wanted {
            return Err(DriverError::Failed(format!(
                "the snapshot of server {server_id} is a {found} disk ({}), not the {wanted} asked for",
                media_type(found).unwrap_or("a format this driver does not move")
            )));
        }
        let sha512 = self.images().download(image_id, into).await?;
        if !image.hash_matches(&sha512) {
            return Err(DriverError::Failed(format!(
                "the data of image {image_id} does not match Glance's SHA-512 of it"
            )));
        }
        Ok(())
    }

    /// Waits until the snapshot image holds its data; fails once it cannot.
    async fn snapshot_data(&self, server_id: &str, image_id: &str) -> Result<Image, DriverError> {
        let deadline = Instant::now() + self.wait_timeout;
        loop {
            let image = self.snapshot_image(image_id).await?;
            match image.status.as_str() {
                "active" => return Ok(image),
                "killed" | "deleted" | "pending_delete" => {
                    return Err(DriverError::Failed(format!(
                        "the snapshot of server {server_id} failed: its image {image_id} is {}",
                        image.status
                    )))
                }
                _ => {}
            }
            let server = self.compute.server(server_id).await?.ok_or_else(|| {
                DriverError::Failed(format!("server {server_id} disappeared while snapshotting"))
            })?;
            if server.task_state.is_none() {
                // Nova is done; the data, if any, was uploaded before.
                let image = self.snapshot_image(image_id).await?;
                if image.status == "active" {
                    return Ok(image);
                }
                return Err(DriverError::Failed(format!(
                    "Nova finished the snapshot of server {server_id}, but its image {image_id} is {} with {} bytes: this cloud's hypervisor uploaded no disk data (Nova's fake driver, for one, only pretends to snapshot), so there is nothing to export",
                    image.status,
                    image.size.unwrap_or(0)
                )));
            }
            if Instant::now() >= deadline {
                return Err(DriverError::Failed(format!(
                    "the snapshot of server {server_id} is still {} (image {image_id} {}) after {} s",
                    server.task_state.as_deref().unwrap_or("running"),
                    image.status,
                    self.wait_timeout.as_secs()
                )));
            }
            tokio::time::sleep(self.poll_interval).await;
        }
    }

    async fn snapshot_image(&self, image_id: &str) -> Result<Image, DriverError> {
        self.images().get(image_id).await?.ok_or_else(|| {
            DriverError::Failed(format!(
                "the snapshot image {image_id} is gone: Nova gave the snapshot up"
            ))
        })
    }

    pub(super) async fn import_disk(
        &self,
        job: &JobContext,
        snapshot: &Snapshot,
    ) -> Result<(), DriverError> {
        let disk_format = disk_format(&snapshot.format)?;
        let server = self.require(job).await?;
        let server = self.settle(&server.id, |_| true).await?;
        let name = format!("{}-import", self.server_name(&job.service_id)?);
        let earlier: Vec<Image> = self
            .images_of(&job.service_id)
            .await?
            .into_iter()
            .filter(|image| image.name.as_deref() == Some(name.as_str()))
            .collect();
        let image = self
            .images()
            .create(&name, disk_format, &job.service_id)
            .await?;
        if let Err(error) = self.rebuild_from(&server.id, &image.id, snapshot).await {
            if let Err(cleanup) = self.images().delete(&image.id).await {
                tracing::warn!(image = %image.id, %cleanup, "cannot delete an import's image");
            }
            return Err(error);
        }
        // The server no longer runs from the images of earlier imports.
        for old in earlier {
            self.images().delete(&old.id).await?;
        }
        Ok(())
    }

    async fn rebuild_from(
        &self,
        server_id: &str,
        image_id: &str,
        snapshot: &Snapshot,
    ) -> Result<(), DriverError> {
        let (size, sha512) = self.images().upload(image_id, &snapshot.path).await?;
        let uploaded = self.snapshot_image(image_id).await?;
        if uploaded.status != "active" {
            return Err(DriverError::Failed(format!(
                "Glance left image {image_id} {} after its upload",
                uploaded.status
            )));
        }
        if uploaded.size != Some(size) || !uploaded.hash_matches(&sha512) {
            return Err(DriverError::Failed(format!(
                "Glance holds other data in image {image_id} than the {size} bytes sent"
            )));
        }
        self.compute
            .action(server_id, &json!({"rebuild": {"imageRef": image_id}}))
            .await?;
        let rebuilt = self
            .settle(server_id, |status| matches!(status, "ACTIVE" | "SHUTOFF"))
            .await?;
        if rebuilt.image_id() != Some(image_id) {
            return Err(DriverError::Failed(format!(
                "server {server_id} was rebuilt from {:?}, not from image {image_id}",
                rebuilt.image_id()
            )));
        }
        Ok(())
    }

    /// Deletes the server, its key pair and the service's images, then
    /// checks that Nova and Glance have none of them left.
    pub(super) async fn erase_all(&self, job: &JobContext) -> Result<(), DriverError> {
        self.delete(job).await?;
        for image in self.images_of(&job.service_id).await? {
            self.images().delete(&image.id).await?;
        }
        let left: Vec<String> = self
            .images_of(&job.service_id)
            .await?
            .into_iter()
            .filter(|image| image.status != "deleted")
            .map(|image| image.id)
            .collect();
        if !left.is_empty() {
            return Err(DriverError::Failed(format!(
                "images {} of the service are still in Glance",
                left.join(", ")
            )));
        }
        // Nova shows a deleted server as DELETED until it forgets it.
        if let Some(server) = self
            .find(job)
            .await?
            .filter(|server| server.status != "DELETED")
        {
            return Err(DriverError::Failed(format!(
                "server {} of the service is still in Nova",
                server.id
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disk_formats_and_media_types_map_both_ways() {
        assert_eq!(disk_format("application/x-qemu-disk").unwrap(), "qcow2");
        assert_eq!(disk_format("application/x-raw-disk-image").unwrap(), "raw");
        assert_eq!(media_type("qcow2"), Some("application/x-qemu-disk"));
        assert_eq!(media_type("vmdk"), None);
        let error = disk_format("application/json").unwrap_err().to_string();
        assert!(error.contains("not application/json"), "{error}");
    }
}
