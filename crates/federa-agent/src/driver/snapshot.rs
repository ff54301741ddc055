//! A service's data as a file: written by a driver through a
//! [`SnapshotWriter`], which counts and hashes the bytes as they pass, so
//! no second read and no buffer larger than a chunk is needed.

use std::path::{Path, PathBuf};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use super::error::DriverError;
use crate::digest::RunningSha256;

/// How much of a file is held in memory at once while copying or hashing.
const CHUNK_BYTES: usize = 64 * 1024;

/// A file of a service's data, complete, with its size and SHA-256.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub path: PathBuf,
    /// The media type of its content, e.g. `application/json`.
    pub format: String,
    pub size_bytes: u64,
    /// Lowercase hex.
    pub sha256: String,
}

/// Where a driver writes an export. Written to a temporary name and
/// renamed by [`SnapshotWriter::finish`], so a crash never leaves a file
/// that looks complete.
pub struct SnapshotWriter {
    file: tokio::fs::File,
    partial: PathBuf,
    path: PathBuf,
    format: String,
    size_bytes: u64,
    sha256: RunningSha256,
}

impl SnapshotWriter {
    pub(crate) async fn create(path: PathBuf, format: &str) -> Result<SnapshotWriter, DriverError> {
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent).await.map_err(failed)?;
        }
        let partial = path.with_extension("partial");
        let file = tokio::fs::File::create(&partial).await.map_err(failed)?;
        Ok(SnapshotWriter {
            file,
            partial,
            path,
            format: format.to_string(),
            size_bytes: 0,
            sha256: RunningSha256::new(),
        })
    }

    /// The media type the export was asked in.
    pub fn format(&self) -> &str {
        &self.format
    }

    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), DriverError> {
        self.file.write_all(bytes).await.map_err(failed)?;
        self.sha256.update(bytes);
        self.size_bytes += bytes.len() as u64;
        Ok(())
    }

    /// Copies all of `reader`, a chunk at a time.
    pub async fn copy_from(
        &mut self,
        mut reader: impl AsyncRead + Unpin,
    ) -> Result<(), DriverError> {
        let mut chunk = vec![0; CHUNK_BYTES];
        loop {
            let read = reader.read(&mut chunk).await.map_err(failed)?;
            if read == 0 {
                return Ok(());
            }
            self.write(&chunk[..read]).await?;
        }
    }

    /// Makes the file durable under its name and says what it holds.
    pub(crate) async fn finish(mut self) -> Result<Snapshot, DriverError> {
        self.file.flush().await.map_err(failed)?;
        self.file.sync_all().await.map_err(failed)?;
        drop(self.file);
        tokio::fs::rename(&self.partial, &self.path)
            .await
            .map_err(failed)?;
        Ok(Snapshot {
            path: self.path,
            format: self.format,
            size_bytes: self.size_bytes,
            sha256: self.sha256.hex(),
        })
    }

    /// Removes what was written, for an export that failed half way.
    pub(crate) async fn discard(self) {
        drop(self.file);
        let _ = tokio::fs::remove_file(&self.partial).await;
    }
}

/// Adds the whole content of `path` to `into`, a chunk at a time, and says
/// how many bytes it held.
pub(crate) async fn hash_file(path: &Path, into: &mut RunningSha256) -> std::io::Result<u64> {
    let mut file = tokio::fs::File::open(path).await?;
    let mut chunk = vec![0; CHUNK_BYTES];
    let mut total = 0;
    loop {
        let read = file.read(&mut chunk).await?;
        if read == 0 {
            return Ok(total);
        }
        into.update(&chunk[..read]);
        total += read as u64;
    }
}

fn failed(error: std::io::Error) -> DriverError {
    DriverError::Failed(format!("cannot write the export: {error}"))
}
