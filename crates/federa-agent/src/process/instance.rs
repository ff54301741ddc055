//! What the driver remembers about one service, on disk.

use std::net::TcpListener;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::driver::DriverError;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Instance {
    pub port: u16,
    /// The process group leader while the service runs.
    pub pid: Option<i32>,
    pub started_at: Option<DateTime<Utc>>,
}

const FILE: &str = "instance.json";

impl Instance {
    pub fn new(port: u16) -> Instance {
        Instance {
            port,
            pid: None,
            started_at: None,
        }
    }

    pub fn load(dir: &Path) -> Result<Option<Instance>, DriverError> {
        match std::fs::read(dir.join(FILE)) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                DriverError::Failed(format!("corrupt {}: {e}", dir.join(FILE).display()))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(DriverError::Failed(e.to_string())),
        }
    }

    /// Written to a temporary file and renamed, so a crash never leaves
    /// half a file.
    pub fn save(&self, dir: &Path) -> Result<(), DriverError> {
        let text =
            serde_json::to_vec_pretty(self).map_err(|e| DriverError::Failed(e.to_string()))?;
        let temporary = dir.join(format!("{FILE}.tmp"));
        std::fs::write(&temporary, text)
            .and_then(|()| std::fs::rename(&temporary, dir.join(FILE)))
            .map_err(|e| DriverError::Failed(e.to_string()))
    }
}

/// A port of `range` that no instance holds and nothing listens on.
pub fn free_port(services: &Path, range: [u16; 2]) -> Result<u16, DriverError> {
    let mut taken = Vec::new();
    if let Ok(entries) = std::fs::read_dir(services) {
        for entry in entries.flatten() {
            if let Ok(Some(instance)) = Instance::load(&entry.path()) {
                taken.push(instance.port);
            }
        }
    }
    (range[0]..=range[1])
        .find(|port| !taken.contains(port) && TcpListener::bind(("127.0.0.1", *port)).is_ok())
        .ok_or_else(|| DriverError::Failed(format!("no free port in {}-{}", range[0], range[1])))
}
