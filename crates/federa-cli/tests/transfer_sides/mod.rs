//! Two providers' hosts for switch tests: each a process driver with its
//! own data directory running key-value stores as child processes, and
//! the transfers of an agent serving exports over HTTPS on loopback.

#![allow(dead_code)]

use std::path::PathBuf;

use federa_agent::process::ProcessDriver;
use federa_agent::transfer::Transfers;
use federa_agent::{Driver, JobContext, TransferConfig};
use federa_client::api::switch_jobs::{ExportParams, ExportedRes, ImportParams, ImportedRes};
use serde_json::json;
use uuid::Uuid;

pub const FEDERA: &str = env!("CARGO_BIN_EXE_federa");
pub const FORMAT: &str = "application/json";

pub struct Side {
    pub dir: tempfile::TempDir,
    pub driver: ProcessDriver,
    pub transfers: Transfers,
}

impl Side {
    pub async fn new(ports: [u16; 2]) -> Side {
        Side::with_expiry(ports, 3600).await
    }

    pub async fn with_expiry(ports: [u16; 2], expiry_seconds: u64) -> Side {
        let dir = tempfile::tempdir().unwrap();
        let driver = ProcessDriver::new(dir.path().join("work"), ports, true, false)
            .unwrap()
            .with_programs_from(PathBuf::from(FEDERA));
        let transfers = Transfers::start(&TransferConfig {
            dir: dir.path().join("transfers"),
            listen: Some("127.0.0.1:0".parse().unwrap()),
            public_url: None,
            expiry_seconds,
        })
        .await
        .unwrap();
        Side {
            dir,
            driver,
            transfers,
        }
    }

    pub fn service_dir(&self, service_id: &str) -> PathBuf {
        self.dir.path().join("work/services").join(service_id)
    }

    pub fn data_file(&self, service_id: &str) -> PathBuf {
        self.service_dir(service_id).join("site/data.json")
    }

    /// A created key-value store, not started; its id.
    pub async fn create_store(&self) -> String {
        let service_id = Uuid::new_v4().to_string();
        self.driver
            .execute(&job(&service_id, "create"))
            .await
            .unwrap();
        service_id
    }

    /// Starts a store; its URL.
    pub async fn start_store(&self, service_id: &str) -> String {
        let outcome = self
            .driver
            .execute(&job(service_id, "start"))
            .await
            .unwrap();
        outcome.agent_instance_data.unwrap()["url"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub async fn export(&self, service_id: &str, switch_id: Uuid, token: &str) -> ExportedRes {
        let params = ExportParams {
            switch_id,
            format: FORMAT.into(),
            transfer_token: token.into(),
        };
        self.transfers
            .export(&self.driver, &job(service_id, "export"), &params)
            .await
            .unwrap()
    }

    pub async fn import(
        &self,
        service_id: &str,
        switch_id: Uuid,
        exported: &ExportedRes,
        token: &str,
    ) -> Result<ImportedRes, String> {
        let params = ImportParams {
            switch_id,
            source: exported.source.clone(),
            transfer_token: token.into(),
        };
        self.transfers
            .import(&self.driver, &job(service_id, "import"), &params)
            .await
            .map_err(|e| e.to_string())
    }
}

/// A job on a key-value store service.
pub fn job(service_id: &str, action: &str) -> JobContext {
    JobContext {
        job_id: format!("{action}-{service_id}"),
        action: action.into(),
        service_id: service_id.into(),
        service_name: "store".into(),
        properties: json!({"program": "kv-store"}).as_object().unwrap().clone(),
        agent_instance_id: None,
        agent_instance_data: None,
    }
}

/// The path of an export file on the source, from its URL's switch id.
pub fn export_file(side: &Side, service_id: &str, switch_id: Uuid) -> PathBuf {
    side.dir
        .path()
        .join("transfers/exports")
        .join(service_id)
        .join(format!("{switch_id}.json"))
}

/// A client that accepts any certificate, to knock on the source's door
/// as something other than a target agent.
pub fn any_certificate_client() -> reqwest::Client {
    reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap()
}
