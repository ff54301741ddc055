//! The target agent's end of the transfer channel: pulls an export over
//! HTTPS from the one certificate it was told to pin, presenting the
//! transfer token, into a file a chunk at a time. A broken connection is
//! resumed with a `Range` request for the rest; the file counts only once
//! its size and SHA-256 are the export's.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use federa_client::api::switch_jobs::TransferSource;
use reqwest::header::{AUTHORIZATION, RANGE};
use reqwest::StatusCode;
use tokio::io::AsyncWriteExt;

use super::certificate::PinnedCertificate;
use crate::digest::RunningSha256;
use crate::driver::{hash_file, Snapshot};

/// Connections in a row that may break off without bringing a byte, each
/// resuming the last; with the growing pause between them, about 11 s in
/// which a source agent may restart.
const ATTEMPTS: u32 = 10;
/// How long one connection may stay silent.
const READ_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    #[error("the source's certificate is not the one whose SHA-256 is {0}; refusing to connect")]
    Certificate(String),
    #[error("the source refused the transfer: {0}")]
    Refused(String),
    #[error(
        "the transfer does not match the export: received {received_bytes} bytes with SHA-256 \
         {received_sha256}, the export has {expected_bytes} bytes with SHA-256 {expected_sha256}"
    )]
    Mismatch {
        received_bytes: u64,
        received_sha256: String,
        expected_bytes: u64,
        expected_sha256: String,
    },
    #[error("the transfer failed after {ATTEMPTS} attempts in a row brought nothing: {0}")]
    Broken(String),
    #[error("cannot keep the transfer: {0}")]
    Io(#[from] std::io::Error),
}

/// A transfer from `source` into `path`, resumable.
pub struct Download<'a> {
    source: &'a TransferSource,
    token: &'a str,
    path: PathBuf,
    client: reqwest::Client,
    mismatched: Arc<AtomicBool>,
}

impl<'a> Download<'a> {
    pub fn new(
        source: &'a TransferSource,
        token: &'a str,
        path: PathBuf,
    ) -> Result<Download<'a>, DownloadError> {
        let (tls, mismatched) = PinnedCertificate::client_config(&source.certificate_sha256)
            .map_err(|e| DownloadError::Broken(e.to_string()))?;
        let client = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .read_timeout(READ_TIMEOUT)
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| DownloadError::Broken(e.to_string()))?;
        Ok(Download {
            source,
            token,
            path,
            client,
            mismatched,
        })
    }

    /// Fetches what `path` lacks of the export and verifies the whole. A
    /// file that does not verify is removed, so the next try starts anew.
    pub async fn run(&self) -> Result<Snapshot, DownloadError> {
        if let Some(parent) = self.path.parent() {
            tokio::fs::create_dir_all(parent).await?;
        }
        let mut sha256 = RunningSha256::new();
        // What an earlier, interrupted run left counts, once hashed.
        let mut have = match hash_file(&self.path, &mut sha256).await {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => 0,
            Err(error) => return Err(error.into()),
        };
        if have > self.source.size_bytes {
            self.restart(&mut sha256, &mut have).await?;
        }
        let mut last_error = String::new();
        let mut attempt = 0;
        while have < self.source.size_bytes && attempt < ATTEMPTS {
            let before = have;
            match self.fetch_rest(&mut sha256, &mut have).await {
                Ok(()) => {}
                Err(Fetch::Fatal(error)) => return Err(error),
                Err(Fetch::Retry(message)) => {
                    // A connection that brought bytes starts the count
                    // anew: a long transfer over a poor link goes on.
                    attempt = if have > before { 1 } else { attempt + 1 };
                    tracing::warn!(attempt, have, %message, "a transfer broke off; resuming");
                    last_error = message;
                    tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
                }
            }
        }
        if have < self.source.size_bytes && !last_error.is_empty() {
            return Err(DownloadError::Broken(last_error));
        }
        let received_sha256 = sha256.hex();
        if have != self.source.size_bytes || received_sha256 != self.source.sha256 {
            let _ = tokio::fs::remove_file(&self.path).await;
            return Err(DownloadError::Mismatch {
                received_bytes: have,
                received_sha256,
                expected_bytes: self.source.size_bytes,
                expected_sha256: self.source.sha256.clone(),
            });
        }
        Ok(Snapshot {
            path: self.path.clone(),
            format: self.source.format.clone(),
            size_bytes: have,
            sha256: received_sha256,
        })
    }

    /// Tells the source the whole export arrived and verified, which spends
    /// the token.
    pub async fn acknowledge(&self) -> Result<(), DownloadError> {
        let response = self
            .client
            .post(format!(
                "{}/received",
                self.source.url.trim_end_matches('/')
            ))
            .header(AUTHORIZATION, format!("Bearer {}", self.token))
            .send()
            .await
            .map_err(|e| self.transport(e))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(DownloadError::Refused(response.status().to_string()))
        }
    }

    /// One connection: asks for the bytes after `have` and appends them.
    async fn fetch_rest(&self, sha256: &mut RunningSha256, have: &mut u64) -> Result<(), Fetch> {
        let mut request = self
            .client
            .get(&self.source.url)
            .header(AUTHORIZATION, format!("Bearer {}", self.token));
        if *have > 0 {
            request = request.header(RANGE, format!("bytes={have}-"));
        }
        let mut response = request.send().await.map_err(|e| self.retry_or_fatal(e))?;
        match response.status() {
            StatusCode::PARTIAL_CONTENT if *have > 0 => {}
            StatusCode::OK => {
                if *have > 0 {
                    // The source sent the whole file again.
                    self.restart(sha256, have).await.map_err(Fetch::fatal)?;
                }
            }
            status @ (StatusCode::UNAUTHORIZED | StatusCode::GONE | StatusCode::NOT_FOUND) => {
                let message = response.text().await.unwrap_or_default();
                return Err(Fetch::Fatal(DownloadError::Refused(format!(
                    "{status} {message}"
                ))));
            }
            status => return Err(Fetch::Retry(format!("the source answered {status}"))),
        }
        let mut file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .await
            .map_err(Fetch::fatal)?;
        let outcome = loop {
            match response.chunk().await {
                Ok(Some(bytes)) => {
                    if *have + bytes.len() as u64 > self.source.size_bytes {
                        break Err(Fetch::Fatal(DownloadError::Refused(format!(
                            "the source sent more than the export's {} bytes",
                            self.source.size_bytes
                        ))));
                    }
                    file.write_all(&bytes).await.map_err(Fetch::fatal)?;
                    sha256.update(&bytes);
                    *have += bytes.len() as u64;
                }
                Ok(None) => break Ok(()),
                Err(error) => break Err(Fetch::Retry(error.to_string())),
            }
        };
        // What was written stays, for the next attempt to resume after.
        file.flush().await.map_err(Fetch::fatal)?;
        file.sync_data().await.map_err(Fetch::fatal)?;
        if outcome.is_ok() && *have < self.source.size_bytes {
            return Err(Fetch::Retry(format!(
                "the connection ended after {have} of {} bytes",
                self.source.size_bytes
            )));
        }
        outcome
    }

    async fn restart(&self, sha256: &mut RunningSha256, have: &mut u64) -> std::io::Result<()> {
        tokio::fs::File::create(&self.path).await?;
        *sha256 = RunningSha256::new();
        *have = 0;
        Ok(())
    }

    fn retry_or_fatal(&self, error: reqwest::Error) -> Fetch {
        match self.transport(error) {
            error @ DownloadError::Certificate(_) => Fetch::Fatal(error),
            other => Fetch::Retry(other.to_string()),
        }
    }

    fn transport(&self, error: reqwest::Error) -> DownloadError {
        if self.mismatched.load(Ordering::SeqCst) {
            DownloadError::Certificate(self.source.certificate_sha256.clone())
        } else {
            DownloadError::Broken(full_message(&error))
        }
    }
}

/// How one connection ended short of the whole file.
enum Fetch {
    /// Worth another connection, resuming.
    Retry(String),
    Fatal(DownloadError),
}

impl Fetch {
    fn fatal(error: std::io::Error) -> Fetch {
        Fetch::Fatal(error.into())
    }
}

/// An error with its causes, which reqwest keeps apart.
fn full_message(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// The staging file of a switch's import under `dir`.
pub fn staging_path(dir: &Path, switch_id: uuid::Uuid) -> PathBuf {
    dir.join("imports").join(format!("{switch_id}.part"))
}
