//! Moving a service's data to another provider's agent: `export` at the
//! source writes the data to a file this agent serves over HTTPS, `import`
//! at the target pulls it, verifies it and loads it, `erase` at the source
//! removes the service with its data and its exports.
//!
//! The data passes from agent to agent, never through the exchange, and
//! never whole through memory. The source serves with a certificate made
//! at start, whose SHA-256 the export reports and the target pins; the
//! target presents the switch's transfer token, of which the source keeps
//! only the SHA-256, and which it refuses once expired, once the target
//! acknowledged the whole file, or once the service was erased.
//!
//! The serving key and certificate and each export's offer (its file, the
//! token's SHA-256, its expiry) are kept under the transfer `dir`, so an
//! agent killed and restarted serves the same exports under the same
//! certificate: with a fixed `listen` address, a target's interrupted
//! download resumes where it broke off.

mod certificate;
mod download;
mod exports;
pub(crate) mod jobs;
mod server;

use std::path::PathBuf;
use std::sync::Arc;

use chrono::Utc;
use federa_client::api::switch_jobs::{
    ErasedRes, ExportParams, ExportedRes, ImportParams, ImportedRes, TransferSource,
};
use tokio::task::JoinHandle;

use crate::config::TransferConfig;
pub use crate::digest::{sha256_hex, RunningSha256};
use crate::driver::{checked_service_id, Driver, DriverError, JobContext, SnapshotWriter};
use download::{staging_path, Download};
use exports::Exports;

/// This agent's side of switches: the exports it serves and the imports it
/// receives.
pub struct Transfers {
    dir: PathBuf,
    expiry: chrono::Duration,
    exports: Arc<Exports>,
    serving: Option<Serving>,
}

struct Serving {
    public_url: String,
    certificate_sha256: String,
    task: JoinHandle<()>,
    pruning: JoinHandle<()>,
}

/// How often a serving agent deletes the exports whose tokens expired.
const PRUNE_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Deletes expired exports every [`PRUNE_EVERY`], for as long as the agent
/// serves.
async fn prune_expired(exports: Arc<Exports>) {
    let mut every = tokio::time::interval(PRUNE_EVERY);
    loop {
        every.tick().await;
        let deleted = exports.prune(Utc::now());
        if deleted > 0 {
            tracing::info!(deleted, "deleted exports whose transfer tokens expired");
        }
    }
}

impl Drop for Transfers {
    fn drop(&mut self) {
        if let Some(serving) = &self.serving {
            serving.task.abort();
            serving.pruning.abort();
        }
    }
}

impl Transfers {
    /// Prepares `config.dir` and, with `config.listen`, starts serving
    /// exports there with a new certificate.
    pub async fn start(config: &TransferConfig) -> anyhow::Result<Transfers> {
        std::fs::create_dir_all(&config.dir)?;
        let exports = Arc::new(Exports::load(config.dir.join("exports"))?);
        let serving = match config.listen {
            None => None,
            Some(listen) => {
                let listener = tokio::net::TcpListener::bind(listen)
                    .await
                    .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
                let bound = listener.local_addr()?;
                let public_url = config
                    .public_url
                    .clone()
                    .unwrap_or_else(|| format!("https://{bound}"));
                let host = reqwest::Url::parse(&public_url)
                    .ok()
                    .and_then(|url| url.host_str().map(str::to_string))
                    .ok_or_else(|| anyhow::anyhow!("public_url {public_url:?} is not a URL"))?;
                let certificate =
                    certificate::ServingCertificate::load_or_generate(&config.dir, &host)?;
                tracing::info!(%bound, %public_url, certificate_sha256 = %certificate.sha256, "serving exports");
                let task =
                    tokio::spawn(server::serve(listener, certificate.config, exports.clone()));
                Some(Serving {
                    public_url: public_url.trim_end_matches('/').to_string(),
                    certificate_sha256: certificate.sha256,
                    task,
                    pruning: tokio::spawn(prune_expired(exports.clone())),
                })
            }
        };
        Ok(Transfers {
            dir: config.dir.clone(),
            expiry: chrono::Duration::seconds(config.expiry_seconds.max(1) as i64),
            exports,
            serving,
        })
    }

    /// Has `driver` write the service's data in the asked format and serves
    /// it to the holder of `params.transfer_token` (the token itself, its
    /// `vault://` reference resolved).
    pub async fn export(
        &self,
        driver: &dyn Driver,
        job: &JobContext,
        params: &ExportParams,
    ) -> Result<ExportedRes, DriverError> {
        let serving = self.serving.as_ref().ok_or_else(|| {
            DriverError::Failed("this agent serves no exports: its [transfer] has no listen".into())
        })?;
        let path = self.exports_dir(&job.service_id)?.join(format!(
            "{}.{}",
            params.switch_id,
            extension(&params.format)
        ));
        let mut writer = SnapshotWriter::create(path, &params.format).await?;
        if let Err(error) = driver.export(job, &mut writer).await {
            writer.discard().await;
            return Err(error);
        }
        let snapshot = writer.finish().await?;
        let expires_at = Utc::now() + self.expiry;
        self.exports
            .offer(
                params.switch_id,
                &job.service_id,
                snapshot.path,
                &params.transfer_token,
                expires_at,
            )
            .map_err(|e| DriverError::Failed(format!("cannot keep the export's offer: {e}")))?;
        Ok(ExportedRes {
            source: TransferSource {
                url: format!("{}/exports/{}", serving.public_url, params.switch_id),
                certificate_sha256: serving.certificate_sha256.clone(),
                sha256: snapshot.sha256,
                size_bytes: snapshot.size_bytes,
                format: snapshot.format,
            },
            expires_at,
        })
    }

    /// Pulls the export `params.source` names, verifies its size and
    /// SHA-256, spends its token and only then has `driver` load it. A
    /// transfer that does not verify fails with the service untouched.
    pub async fn import(
        &self,
        driver: &dyn Driver,
        job: &JobContext,
        params: &ImportParams,
    ) -> Result<ImportedRes, DriverError> {
        let staged = staging_path(&self.dir, params.switch_id);
        let download = Download::new(&params.source, &params.transfer_token, staged.clone())
            .map_err(|e| DriverError::Failed(e.to_string()))?;
        let snapshot = download
            .run()
            .await
            .map_err(|e| DriverError::Failed(e.to_string()))?;
        if let Err(error) = download.acknowledge().await {
            // The data is here and verified; the token still expires.
            tracing::warn!(switch = %params.switch_id, %error, "cannot tell the source the export arrived");
        }
        let imported = ImportedRes {
            sha256: snapshot.sha256.clone(),
            size_bytes: snapshot.size_bytes,
        };
        driver.import(job, &snapshot).await?;
        // A driver that copied rather than moved the file leaves it here.
        let _ = tokio::fs::remove_file(&staged).await;
        Ok(imported)
    }

    /// Stops serving the service's exports, has `driver` erase the service
    /// and removes the export files.
    pub async fn erase(
        &self,
        driver: &dyn Driver,
        job: &JobContext,
    ) -> Result<ErasedRes, DriverError> {
        self.exports.withdraw_service(&job.service_id);
        driver.erase(job).await?;
        let exports = self.exports_dir(&job.service_id)?;
        match tokio::fs::remove_dir_all(&exports).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(DriverError::Failed(format!(
                    "cannot remove the exports in {}: {e}",
                    exports.display()
                )))
            }
        }
        Ok(ErasedRes { at: Utc::now() })
    }

    fn exports_dir(&self, service_id: &str) -> Result<PathBuf, DriverError> {
        Ok(self
            .dir
            .join("exports")
            .join(checked_service_id(service_id)?))
    }
}

/// A file name extension for a media type, so the file is served with it.
fn extension(format: &str) -> &'static str {
    match format {
        "application/json" => "json",
        _ => "data",
    }
}
