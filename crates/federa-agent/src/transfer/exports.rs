//! The exports a source agent serves: for each switch, its file and what
//! lets a target fetch it. A transfer token is kept only as its SHA-256;
//! it is refused once it expired, once the target said it received the
//! whole file, and once the service was erased.
//!
//! Each offer is also written beside its file (`<switch>.offer.json`), so
//! that an agent killed mid-transfer serves it again once restarted.
//!
//! An export is a full copy of a service's data, so it is deleted as soon
//! as no one may fetch it: when the target received it, and when its token
//! expired (a switch that failed or was cancelled leaves no copy behind
//! longer than that).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::digest::TokenDigest;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Export {
    service_id: String,
    path: PathBuf,
    token: TokenDigest,
    expires_at: DateTime<Utc>,
    received: bool,
}

/// Why a request for an export is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No such export, or not its token: 401.
    Unauthenticated,
    /// The token was right but is spent or expired: 410.
    Spent,
}

#[derive(Debug, Default)]
pub struct Exports {
    by_switch: Mutex<HashMap<Uuid, Export>>,
}

const OFFER_SUFFIX: &str = ".offer.json";

impl Exports {
    /// The offers kept under `root` (one directory per service) that are
    /// still open: neither received, expired, nor missing their file.
    pub fn load(root: PathBuf) -> std::io::Result<Exports> {
        let exports = Exports::default();
        let services = match std::fs::read_dir(&root) {
            Ok(services) => services,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(exports),
            Err(e) => return Err(e),
        };
        let now = Utc::now();
        let mut entries = exports.entries();
        for service in services.flatten() {
            let Ok(files) = std::fs::read_dir(service.path()) else {
                continue;
            };
            for file in files.flatten() {
                let name = file.file_name().to_string_lossy().into_owned();
                let Some(switch_id) = name
                    .strip_suffix(OFFER_SUFFIX)
                    .and_then(|id| Uuid::parse_str(id).ok())
                else {
                    continue;
                };
                let export = std::fs::read(file.path())
                    .ok()
                    .and_then(|bytes| serde_json::from_slice::<Export>(&bytes).ok());
                match export {
                    Some(export) if export.open_at(now) && export.path.exists() => {
                        tracing::info!(switch = %switch_id, "serving a kept export again");
                        entries.insert(switch_id, export);
                    }
                    Some(export) => delete(switch_id, &export),
                    None => {
                        tracing::warn!(path = %file.path().display(), "an export offer does not read; not serving it")
                    }
                }
            }
        }
        drop(entries);
        Ok(exports)
    }

    /// Serves `path` for `switch_id` to the holder of `token` until
    /// `expires_at`, replacing an earlier export of that switch; the offer
    /// is kept beside `path` before it is served.
    pub fn offer(
        &self,
        switch_id: Uuid,
        service_id: &str,
        path: PathBuf,
        token: &str,
        expires_at: DateTime<Utc>,
    ) -> std::io::Result<()> {
        let export = Export {
            service_id: service_id.to_string(),
            path,
            token: TokenDigest::of(token),
            expires_at,
            received: false,
        };
        keep(switch_id, &export)?;
        self.entries().insert(switch_id, export);
        Ok(())
    }

    /// The file of the export, if `presented` may fetch it at `now`.
    pub fn authorize(
        &self,
        switch_id: Uuid,
        presented: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<PathBuf, Refusal> {
        let entries = self.entries();
        let export = entries.get(&switch_id).ok_or(Refusal::Unauthenticated)?;
        let presented = presented.ok_or(Refusal::Unauthenticated)?;
        if !export.token.matches(presented) {
            return Err(Refusal::Unauthenticated);
        }
        if export.received || now >= export.expires_at {
            return Err(Refusal::Spent);
        }
        Ok(export.path.clone())
    }

    /// The target has the whole file: its token is spent, here and in the
    /// kept offer.
    pub fn received(
        &self,
        switch_id: Uuid,
        presented: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), Refusal> {
        self.authorize(switch_id, presented, now)?;
        // Remembered, so that the token keeps its 410, while the copy of
        // the data goes (outside the lock: deleting a large file takes a
        // while, and every request for an export waits on the lock).
        let spent = self.entries().get_mut(&switch_id).map(|export| {
            export.received = true;
            export.clone()
        });
        if let Some(export) = spent {
            delete(switch_id, &export);
        }
        Ok(())
    }

    /// Deletes the files of the exports whose tokens expired by `now`, with
    /// their kept offers; returns how many. Their tokens keep their 410.
    pub fn prune(&self, now: DateTime<Utc>) -> usize {
        let expired: Vec<(Uuid, Export)> = self
            .entries()
            .iter()
            .filter(|(_, export)| !export.open_at(now) && export.path.exists())
            .map(|(switch_id, export)| (*switch_id, export.clone()))
            .collect();
        for (switch_id, export) in &expired {
            delete(*switch_id, export);
        }
        expired.len()
    }

    /// Stops serving every export of `service_id`.
    pub fn withdraw_service(&self, service_id: &str) {
        self.entries()
            .retain(|_, export| export.service_id != service_id);
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Export>> {
        // A panic while holding the map leaves it whole: no entry is ever
        // half written.
        self.by_switch
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Export {
    fn open_at(&self, now: DateTime<Utc>) -> bool {
        !self.received && now < self.expires_at
    }

    fn offer_path(&self, switch_id: Uuid) -> PathBuf {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        dir.join(format!("{switch_id}{OFFER_SUFFIX}"))
    }
}

/// Writes the offer of `switch_id` beside its file, whole.
fn keep(switch_id: Uuid, export: &Export) -> std::io::Result<()> {
    let path = export.offer_path(switch_id);
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, serde_json::to_vec(export)?)?;
    std::fs::rename(&temporary, &path)
}

/// Removes the export's file, then its offer, so that an agent stopped in
/// between still finds the offer and finishes the deletion at its next start.
fn delete(switch_id: Uuid, export: &Export) {
    for path in [export.path.clone(), export.offer_path(switch_id)] {
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => {
                tracing::warn!(switch = %switch_id, path = %path.display(), %error, "cannot delete a spent export");
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_refused_when_wrong_spent_expired_or_withdrawn() {
        let dir = tempfile::tempdir().unwrap();
        let exports = Exports::default();
        let switch = Uuid::new_v4();
        let now = Utc::now();
        let later = now + chrono::Duration::hours(1);
        exports
            .offer(switch, "svc", dir.path().join("x"), "right", later)
            .unwrap();
        assert_eq!(
            exports.authorize(switch, Some("right"), now),
            Ok(dir.path().join("x"))
        );
        assert_eq!(
            exports.authorize(switch, Some("wrong"), now),
            Err(Refusal::Unauthenticated)
        );
        assert_eq!(
            exports.authorize(switch, None, now),
            Err(Refusal::Unauthenticated)
        );
        assert_eq!(
            exports.authorize(Uuid::new_v4(), Some("right"), now),
            Err(Refusal::Unauthenticated)
        );
        assert_eq!(
            exports.authorize(switch, Some("right"), later),
            Err(Refusal::Spent)
        );
        exports.received(switch, Some("right"), now).unwrap();
        assert_eq!(
            exports.authorize(switch, Some("right"), now),
            Err(Refusal::Spent)
        );

        exports
            .offer(switch, "svc", dir.path().join("y"), "again", later)
            .unwrap();
        exports.withdraw_service("svc");
        assert_eq!(
            exports.authorize(switch, Some("again"), now),
            Err(Refusal::Unauthenticated)
        );
    }

    #[test]
    fn an_export_is_deleted_once_received_or_expired_and_an_open_one_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let exports = Exports::default();
        let now = Utc::now();
        let soon = now + chrono::Duration::seconds(10);
        let later = now + chrono::Duration::hours(1);
        let (received, expiring, open) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let file = |switch: Uuid| dir.path().join(format!("{switch}.json"));
        let offer = |switch: Uuid| dir.path().join(format!("{switch}{OFFER_SUFFIX}"));
        for (switch, expires_at) in [(received, later), (expiring, soon), (open, later)] {
            std::fs::write(file(switch), b"{\"secret\":\"data\"}").unwrap();
            exports
                .offer(switch, "svc", file(switch), "token", expires_at)
                .unwrap();
            assert!(offer(switch).exists());
        }

        exports.received(received, Some("token"), now).unwrap();
        assert!(!file(received).exists() && !offer(received).exists());
        assert_eq!(
            exports.authorize(received, Some("token"), now),
            Err(Refusal::Spent)
        );

        assert_eq!(exports.prune(now), 0, "nothing has expired yet");
        assert_eq!(exports.prune(soon), 1);
        assert_eq!(exports.prune(soon), 0, "deleted once");
        assert!(!file(expiring).exists() && !offer(expiring).exists());
        assert_eq!(
            exports.authorize(expiring, Some("token"), soon),
            Err(Refusal::Spent)
        );
        assert!(file(open).exists() && offer(open).exists());
        assert_eq!(exports.authorize(open, Some("token"), soon), Ok(file(open)));
    }

    #[test]
    fn an_open_offer_is_served_again_after_a_restart_and_a_received_one_is_not() {
        let root = tempfile::tempdir().unwrap();
        let service_dir = root.path().join("svc");
        std::fs::create_dir_all(&service_dir).unwrap();
        let later = Utc::now() + chrono::Duration::hours(1);
        let (open, received, expired) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let exports = Exports::default();
        for (switch, expires_at) in [
            (open, later),
            (received, later),
            (expired, Utc::now() + chrono::Duration::milliseconds(1)),
        ] {
            let file = service_dir.join(format!("{switch}.json"));
            std::fs::write(&file, b"{}").unwrap();
            exports
                .offer(switch, "svc", file, &switch.to_string(), expires_at)
                .unwrap();
        }
        exports
            .received(received, Some(&received.to_string()), Utc::now())
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(5));

        let restarted = Exports::load(root.path().to_path_buf()).unwrap();
        let now = Utc::now();
        assert_eq!(
            restarted.authorize(open, Some(&open.to_string()), now),
            Ok(service_dir.join(format!("{open}.json")))
        );
        assert_eq!(
            restarted.authorize(open, Some("wrong"), now),
            Err(Refusal::Unauthenticated)
        );
        for gone in [received, expired] {
            assert_eq!(
                restarted.authorize(gone, Some(&gone.to_string()), now),
                Err(Refusal::Unauthenticated)
            );
            assert!(
                !service_dir.join(format!("{gone}.json")).exists(),
                "a spent export's copy of the data is deleted"
            );
            assert!(!service_dir.join(format!("{gone}{OFFER_SUFFIX}")).exists());
        }
        let nothing = Exports::load(root.path().join("absent")).unwrap();
        assert_eq!(
            nothing.authorize(open, Some(&open.to_string()), now),
            Err(Refusal::Unauthenticated)
        );
    }
}
