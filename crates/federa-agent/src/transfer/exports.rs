//! The exports a source agent serves: for each switch, its file and what
//! lets a target fetch it. A transfer token is kept only as its SHA-256;
//! it is refused once it expired, once the target said it received the
//! whole file, and once the service was erased.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::digest::TokenDigest;

#[derive(Debug)]
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

impl Exports {
    /// Serves `path` for `switch_id` to the holder of `token` until
    /// `expires_at`, replacing an earlier export of that switch.
    pub fn offer(
        &self,
        switch_id: Uuid,
        service_id: &str,
        path: PathBuf,
        token: &str,
        expires_at: DateTime<Utc>,
    ) {
        let export = Export {
            service_id: service_id.to_string(),
            path,
            token: TokenDigest::of(token),
            expires_at,
            received: false,
        };
        self.entries().insert(switch_id, export);
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

    /// The target has the whole file: its token is spent.
    pub fn received(
        &self,
        switch_id: Uuid,
        presented: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), Refusal> {
        self.authorize(switch_id, presented, now)?;
        if let Some(export) = self.entries().get_mut(&switch_id) {
            export.received = true;
        }
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_refused_when_wrong_spent_expired_or_withdrawn() {
        let exports = Exports::default();
        let switch = Uuid::new_v4();
        let now = Utc::now();
        let later = now + chrono::Duration::hours(1);
        exports.offer(switch, "svc", PathBuf::from("/x"), "right", later);
        assert_eq!(
            exports.authorize(switch, Some("right"), now),
            Ok(PathBuf::from("/x"))
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

        exports.offer(switch, "svc", PathBuf::from("/y"), "again", later);
        exports.withdraw_service("svc");
        assert_eq!(
            exports.authorize(switch, Some("again"), now),
            Err(Refusal::Unauthenticated)
        );
    }
}
