//! The parts of Glance's image API a switch uses: images made for a
//! service (found by the service id they carry as a property), their
//! status, and their data, sent and received a chunk at a time with the
//! SHA-512 Glance keeps of it (`os_hash_value`) computed on the way.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::io::{AsyncRead, ReadBuf};

use super::compute::refused;
use super::error::OpenStackError;
use super::session::Session;
use super::SERVICE_ID_KEY;
use crate::driver::DriverError;
use crate::driver::SnapshotWriter;

/// How much of an image is held in memory at once on its way.
const CHUNK_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, Deserialize)]
pub struct Image {
    pub id: String,
    pub name: Option<String>,
    /// `queued` (no data yet), `saving`, `active`, `killed`, `deleted`, …
    pub status: String,
    pub disk_format: Option<String>,
    pub size: Option<u64>,
    pub os_hash_algo: Option<String>,
    pub os_hash_value: Option<String>,
}

impl Image {
    /// Whether Glance's hash of the data, when it keeps a SHA-512, is
    /// `sha512`; an image without one is taken on its size alone.
    pub fn hash_matches(&self, sha512: &str) -> bool {
        match (self.os_hash_algo.as_deref(), self.os_hash_value.as_deref()) {
            (Some("sha512"), Some(value)) => value.eq_ignore_ascii_case(sha512),
            _ => true,
        }
    }
}

pub struct Images<'a> {
    session: &'a Session,
}

impl<'a> Images<'a> {
    pub fn new(session: &'a Session) -> Images<'a> {
        Images { session }
    }

    /// The image, or `None` once it is gone.
    pub async fn get(&self, id: &str) -> Result<Option<Image>, OpenStackError> {
        let reply = self
            .session
            .call(
                "image",
                Method::GET,
                &format!("/v2/images/{id}"),
                None,
                None,
            )
            .await?;
        match reply.status {
            StatusCode::NOT_FOUND => Ok(None),
            status if status.is_success() => parse(reply.body).map(Some),
            _ => Err(refused(&format!("cannot read image {id}"), &reply)),
        }
    }

    /// The images of project `owner` made for `service_id`; images other
    /// projects share are never the service's.
    pub async fn of_service(
        &self,
        service_id: &str,
        owner: &str,
    ) -> Result<Vec<Image>, OpenStackError> {
        let reply = self
            .session
            .call(
                "image",
                Method::GET,
                &format!("/v2/images?{SERVICE_ID_KEY}={service_id}&owner={owner}&limit=100"),
                None,
                None,
            )
            .await?;
        if !reply.status.is_success() {
            return Err(refused("Glance refused to list images", &reply));
        }
        parse(reply.body["images"].clone())
    }

    /// Makes an image record, with no data yet, carrying the service id.
    pub async fn create(
        &self,
        name: &str,
        disk_format: &str,
        service_id: &str,
    ) -> Result<Image, OpenStackError> {
        let body = json!({
            "name": name,
            "disk_format": disk_format,
            "container_format": "bare",
            "visibility": "private",
            SERVICE_ID_KEY: service_id,
        });
        let reply = self
            .session
            .call("image", Method::POST, "/v2/images", Some(&body), None)
            .await?;
        if !reply.status.is_success() {
            return Err(refused(
                &format!("Glance refused to create image {name}"),
                &reply,
            ));
        }
        parse(reply.body)
    }

    /// Deletes an image; one already gone counts as deleted.
    pub async fn delete(&self, id: &str) -> Result<(), OpenStackError> {
        let reply = self
            .session
            .call(
                "image",
                Method::DELETE,
                &format!("/v2/images/{id}"),
                None,
                None,
            )
            .await?;
        if reply.status.is_success() || reply.status == StatusCode::NOT_FOUND {
            Ok(())
        } else {
            Err(refused(
                &format!("Glance refused to delete image {id}"),
                &reply,
            ))
        }
    }

    /// Sends the file at `path` as the image's data, a chunk at a time;
    /// answers its size and SHA-512 as sent.
    pub async fn upload(
        &self,
        id: &str,
        path: &std::path::Path,
    ) -> Result<(u64, String), DriverError> {
        let file = tokio::fs::File::open(path)
            .await
            .map_err(|e| DriverError::Failed(format!("cannot read the snapshot: {e}")))?;
        let size = file
            .metadata()
            .await
            .map_err(|e| DriverError::Failed(format!("cannot read the snapshot: {e}")))?
            .len();
        let sha512 = Arc::new(Mutex::new(None));
        let body = FileBody {
            file,
            size,
            chunk: vec![0; CHUNK_BYTES],
            digest: ring::digest::Context::new(&ring::digest::SHA512),
            sha512: sha512.clone(),
            sent: 0,
        };
        self.session
            .data(
                "image",
                Method::PUT,
                &format!("/v2/images/{id}/file"),
                Some((reqwest::Body::wrap(body), "application/octet-stream")),
            )
            .await?;
        let sent = sha512
            .lock()
            .map_err(|_| DriverError::Failed("the upload's hash was lost".into()))?
            .take()
            .ok_or_else(|| DriverError::Failed("the upload ended before the file did".into()))?;
        Ok((size, sent))
    }

    /// Writes the image's data into `into`, a chunk at a time; answers the
    /// SHA-512 of what came.
    pub async fn download(
        &self,
        id: &str,
        into: &mut SnapshotWriter,
    ) -> Result<String, DriverError> {
        let mut reply = self
            .session
            .data("image", Method::GET, &format!("/v2/images/{id}/file"), None)
            .await?;
        let mut digest = ring::digest::Context::new(&ring::digest::SHA512);
        loop {
            let chunk = reply.chunk().await.map_err(|e| {
                DriverError::Failed(format!("the data of image {id} broke off: {e}"))
            })?;
            let Some(chunk) = chunk else {
                return Ok(hex::encode(digest.finish()));
            };
            digest.update(&chunk);
            into.write(&chunk).await?;
        }
    }
}

fn parse<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, OpenStackError> {
    serde_json::from_value(value)
        .map_err(|e| OpenStackError::Failed(format!("unreadable image from Glance: {e}")))
}

/// A file as a request body, read a chunk at a time and hashed as it
/// goes; the SHA-512 is left in `sha512` once the whole file was read.
struct FileBody {
    file: tokio::fs::File,
    size: u64,
    chunk: Vec<u8>,
    digest: ring::digest::Context,
    sha512: Arc<Mutex<Option<String>>>,
    sent: u64,
}

impl FileBody {
    fn seal(&mut self) {
        let digest = self.digest.clone().finish();
        if let Ok(mut slot) = self.sha512.lock() {
            *slot = Some(hex::encode(digest));
        }
    }
}

impl http_body::Body for FileBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        let this = self.get_mut();
        let mut buffer = ReadBuf::new(&mut this.chunk);
        match Pin::new(&mut this.file).poll_read(cx, &mut buffer) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(error)) => Poll::Ready(Some(Err(error))),
            Poll::Ready(Ok(())) if buffer.filled().is_empty() => {
                this.seal();
                Poll::Ready(None)
            }
            Poll::Ready(Ok(())) => {
                let read = Bytes::copy_from_slice(buffer.filled());
                this.digest.update(&read);
                this.sent += read.len() as u64;
                // The client may stop asking once it sent the length it
                // announced, before the end of the file is seen.
                if this.sent == this.size {
                    this.seal();
                }
                Poll::Ready(Some(Ok(Frame::data(read))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.sent >= self.size
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.size)
    }
}
