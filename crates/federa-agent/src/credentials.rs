//! The agent's token: where it is kept, when it is renewed, and what it
//! means when the exchange refuses it.

use std::path::Path;

use chrono::{DateTime, Utc};
use federa_client::{ClientError, StatusCode};

/// The exchange refused the agent's token, and trying again will not change
/// that. The agent stops rather than asking again forever.
#[derive(Debug, thiserror::Error)]
#[error(
    "the exchange refused this agent's token ({0}) and will not take it again; \
     give the agent a new token (a new install command, or a token in its token_file) \
     and start it again"
)]
pub struct CredentialRefused(pub String);

/// The exit code of an agent whose token was refused for good (EX_CONFIG of
/// sysexits.h), so a service manager can tell it from a crash and not
/// restart it in a loop.
pub const REFUSED_EXIT_CODE: u8 = 78;

/// Whether the exchange refused the bearer itself. An agent is allowed the
/// calls it makes on its own behalf, so 401 and 403 there mean the token.
pub fn refuses_token(error: &ClientError) -> bool {
    matches!(
        error.status(),
        Some(StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
    )
}

/// Whether a token made at `created` and ending at `expires` is due for
/// renewal at `now`: once two thirds of its life have passed.
pub fn renewal_due(created: DateTime<Utc>, expires: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    let life = expires - created;
    now >= created + life * 2 / 3
}

/// Replaces the token file with `value`, readable by its owner only. The
/// file is written beside and renamed into place, so a crash leaves the old
/// token or the new one, never half of one.
pub fn write_token_file(path: &Path, value: &str) -> anyhow::Result<()> {
    write_private(path, format!("{value}\n").as_bytes())
}

/// Writes `contents` to `path` as [`write_token_file`] does.
pub fn write_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    if let Some(directory) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(directory)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", directory.display()))?;
    }
    let mut partial = path.as_os_str().to_os_string();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&partial)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", partial.display()))?;
    file.write_all(contents)?;
    file.sync_all()?;
    std::fs::rename(&partial, path)
        .map_err(|e| anyhow::anyhow!("cannot replace {}: {e}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn a_token_is_renewed_in_the_last_third_of_its_life() {
        let created = Utc::now();
        let expires = created + Duration::days(30);
        assert!(!renewal_due(created, expires, created + Duration::days(19)));
        assert!(renewal_due(created, expires, created + Duration::days(20)));
        assert!(renewal_due(created, expires, expires + Duration::days(1)));
    }

    #[test]
    fn the_token_file_is_private_and_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/agent.token");
        write_token_file(&path, "first").unwrap();
        write_token_file(&path, "second").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "second\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(
            std::fs::read_dir(dir.path().join("keys")).unwrap().count(),
            1
        );
    }
}
