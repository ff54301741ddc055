//! The vault: secret property values sealed with AES-256-GCM, so that
//! service properties, job params, agent configuration, events and logs
//! only ever carry `vault://<reference>`.
//!
//! This module owns the key and sealing and opening; when a secret is
//! written, read and released is the secret policy ([`crate::secrets`]).
//! Rows live in `federa-store` ([`federa_store::vault`]), which never sees
//! a plain value.
//!
//! - **Binding.** Each ciphertext is authenticated together with its
//!   reference, kind, service and reader agent, so a ciphertext moved to
//!   another row, or a row re-pointed at another agent, no longer opens.
//! - **Sweeping.** A secret whose holder's write failed is held by no row;
//!   [`Sweeper`] deletes those after [`ORPHAN_GRACE`], and expired
//!   ephemeral ones.
//!
//! Plain values are never logged: nothing here formats one, and the types
//! that hold key material print as `<redacted>`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use aes_gcm::aead::rand_core::RngCore;
use aes_gcm::aead::{Aead, KeyInit, OsRng, Payload};
use aes_gcm::{AeadCore, Aes256Gcm, Nonce};
use base64::Engine;
use chrono::{DateTime, Utc};
use federa_domain::property_schema::SecretKind;
use federa_store::vault::SealedSecret;
use federa_store::{DataLocation, Store};
use serde_json::Value;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::clock;

/// The environment variable holding the key itself.
pub const KEY_ENV: &str = "FEDERA_VAULT_KEY";
/// The key file generated next to an embedded SQLite database.
pub const KEY_FILE_NAME: &str = "vault.key";
const KEY_LEN: usize = 32;
/// AES-GCM's standard 96-bit nonce.
const NONCE_LEN: usize = 12;
/// Random references are 128 bits, written as hex.
const REFERENCE_BYTES: usize = 16;

/// Unheld secrets younger than this are left alone: their owner's write may
/// still be on its way. Far longer than any request, and than clock skew
/// between replicas.
pub const ORPHAN_GRACE: chrono::Duration = chrono::Duration::hours(1);
/// How often the sweep looks for unheld and expired secrets.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(600);
/// An ephemeral secret is meant for the next job; if that job never runs
/// (its agent is gone for good), it expires after this anyway.
pub const EPHEMERAL_TTL: chrono::Duration = chrono::Duration::days(7);

/// Where the key comes from: the key itself, a file holding it, or neither
/// (then an embedded SQLite database gets a generated key file).
#[derive(Clone, Default)]
pub struct VaultKeyConfig {
    /// 32 bytes as base64 or 64 hex digits.
    pub key: Option<String>,
    pub key_file: Option<PathBuf>,
}

impl VaultKeyConfig {
    /// `key_file` plus the key from [`KEY_ENV`], if set.
    pub fn from_env(key_file: Option<PathBuf>) -> VaultKeyConfig {
        VaultKeyConfig {
            key: std::env::var(KEY_ENV)
                .ok()
                .filter(|key| !key.trim().is_empty()),
            key_file,
        }
    }
}

impl fmt::Debug for VaultKeyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VaultKeyConfig")
            .field("key", &self.key.as_ref().map(|_| "<redacted>"))
            .field("key_file", &self.key_file)
            .finish()
    }
}

/// Why no usable key could be had; each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum VaultKeyError {
    #[error("{KEY_ENV} and --vault-key-file are both set; give the vault key one way only")]
    Ambiguous,
    #[error("the vault key from {0} must be 32 bytes written as base64 or as 64 hex digits (e.g. the output of `openssl rand -base64 32`)")]
    Malformed(String),
    #[error("cannot read the vault key file {path}: {error}")]
    Unreadable {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("cannot create the vault key file {path}: {error}")]
    Uncreatable {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("a PostgreSQL database needs a vault key that every replica shares: set {KEY_ENV} or --vault-key-file (create one with `openssl rand -base64 32`)")]
    MissingForPostgres,
    #[error(
        "the database URL is not a valid sqlite: URL, so no key file location follows from it: {0}"
    )]
    BadDatabaseUrl(String),
    #[error("the vault key does not open the secrets already stored in this database; start with the key they were written with")]
    WrongKey,
}

/// Where the key in use came from, for the startup log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOrigin {
    Configured,
    File(PathBuf),
    Generated(PathBuf),
    /// An in-memory database: the key lives as long as the data.
    Ephemeral,
}

/// A ciphertext did not authenticate: the row was altered, or the key is
/// not the one it was sealed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the secret does not open with this key and binding")]
pub struct Tampered;

/// A value could not be sealed (it does not serialize, or is beyond what
/// AES-GCM takes in one message).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the secret could not be sealed")]
pub struct SealError;

impl From<SealError> for crate::ExchangeError {
    fn from(_: SealError) -> crate::ExchangeError {
        crate::ExchangeError::internal("a secret could not be sealed")
    }
}

/// Seals and opens secrets with the server's key.
pub struct Vault {
    cipher: Aes256Gcm,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Vault(<redacted>)")
    }
}

impl Vault {
    pub fn from_key(key: &[u8; KEY_LEN]) -> Vault {
        Vault {
            cipher: Aes256Gcm::new(key.into()),
        }
    }

    /// A vault with a random key that dies with the process.
    pub fn ephemeral() -> Vault {
        Vault::from_key(&random_key())
    }

    /// The vault `config` describes, for a server on `database_url`.
    pub fn configured(
        config: &VaultKeyConfig,
        database_url: &str,
    ) -> Result<(Vault, KeyOrigin), VaultKeyError> {
        match (&config.key, &config.key_file) {
            (Some(_), Some(_)) => Err(VaultKeyError::Ambiguous),
            (Some(text), None) => {
                let key =
                    parse_key(text).ok_or_else(|| VaultKeyError::Malformed(KEY_ENV.into()))?;
                Ok((Vault::from_key(&key), KeyOrigin::Configured))
            }
            (None, Some(path)) => {
                let key = read_key_file(path)?;
                Ok((Vault::from_key(&key), KeyOrigin::File(path.clone())))
            }
            (None, None) => embedded_key(database_url),
        }
    }

    /// Fails with [`VaultKeyError::WrongKey`] when the store already holds
    /// secrets this key cannot open: starting anyway would make every one
    /// of them unreadable.
    pub async fn check(&self, store: &Store) -> anyhow::Result<()> {
        if let Some(secret) = store.any_secret().await? {
            self.open(&secret).map_err(|_| VaultKeyError::WrongKey)?;
        }
        Ok(())
    }

    /// A new secret holding `value` under a fresh random reference.
    pub fn seal(
        &self,
        owner: SecretOwner,
        kind: SecretKind,
        value: &Value,
        now: DateTime<Utc>,
    ) -> Result<SealedSecret, SealError> {
        let plaintext = Zeroizing::new(serde_json::to_vec(value).map_err(|_| SealError)?);
        let mut secret = SealedSecret {
            reference: new_reference(),
            ciphertext: Vec::new(),
            nonce: Vec::new(),
            kind,
            service_id: owner.service_id,
            agent_id: owner.agent_id,
            created_at: now,
            expires_at: (kind == SecretKind::Ephemeral).then(|| now + EPHEMERAL_TTL),
        };
        let (nonce, ciphertext) = self.encrypt(&plaintext, &binding(&secret))?;
        secret.ciphertext = ciphertext;
        secret.nonce = nonce;
        Ok(secret)
    }

    /// Seals `value` to be kept inside another record instead of the
    /// secrets table (a composition's spec keeps the secrets of members not
    /// ordered yet). `place` names where it is kept and is authenticated
    /// with it, so the text opens nowhere else.
    pub fn seal_inline(&self, place: &str, value: &Value) -> Result<String, SealError> {
        let plaintext = Zeroizing::new(serde_json::to_vec(value).map_err(|_| SealError)?);
        let (mut sealed, ciphertext) = self.encrypt(&plaintext, &inline_binding(place))?;
        sealed.extend(ciphertext);
        Ok(format!(
            "{SEALED_INLINE_PREFIX}{}",
            base64::engine::general_purpose::STANDARD.encode(sealed)
        ))
    }

    /// Encrypts `plaintext` under a fresh nonce, authenticating `aad` with
    /// it; returns the nonce and the ciphertext.
    fn encrypt(&self, plaintext: &[u8], aad: &[u8]) -> Result<(Vec<u8>, Vec<u8>), SealError> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ciphertext = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| SealError)?;
        Ok((nonce.to_vec(), ciphertext))
    }

    /// The value [`Vault::seal_inline`] sealed at `place`.
    pub fn open_inline(&self, place: &str, text: &str) -> Result<Value, Tampered> {
        let sealed = text
            .strip_prefix(SEALED_INLINE_PREFIX)
            .and_then(|rest| base64::engine::general_purpose::STANDARD.decode(rest).ok())
            .filter(|sealed| sealed.len() > NONCE_LEN)
            .ok_or(Tampered)?;
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let aad = inline_binding(place);
        let plaintext = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| Tampered)?;
        serde_json::from_slice(&plaintext).map_err(|_| Tampered)
    }

    /// The plain bytes of `secret`, if it authenticates.
    pub fn open(&self, secret: &SealedSecret) -> Result<Zeroizing<Vec<u8>>, Tampered> {
        if secret.nonce.len() != NONCE_LEN {
            return Err(Tampered);
        }
        let aad = binding(secret);
        self.cipher
            .decrypt(
                Nonce::from_slice(&secret.nonce),
                Payload {
                    msg: &secret.ciphertext,
                    aad: &aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| Tampered)
    }
}

/// The associated data a ciphertext is bound to: everything that decides
/// who may read it and how long it lives.
fn binding(secret: &SealedSecret) -> Vec<u8> {
    let service = secret
        .service_id
        .map(|id| id.to_string())
        .unwrap_or_default();
    format!(
        "federa-vault-v1\n{}\n{}\n{}\n{}",
        secret.reference,
        secret.kind.as_str(),
        service,
        secret.agent_id
    )
    .into_bytes()
}

/// How a value sealed inline starts; what follows is base64 of the nonce
/// and the ciphertext.
pub const SEALED_INLINE_PREFIX: &str = "sealed:v1:";

fn inline_binding(place: &str) -> Vec<u8> {
    format!("federa-vault-inline-v1\n{place}").into_bytes()
}

fn random_key() -> Zeroizing<[u8; KEY_LEN]> {
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    OsRng.fill_bytes(key.as_mut());
    key
}

fn new_reference() -> String {
    let mut bytes = [0u8; REFERENCE_BYTES];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `text` could be a reference this vault made.
pub(crate) fn is_reference(text: &str) -> bool {
    text.len() == REFERENCE_BYTES * 2
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// 32 bytes from 64 hex digits or from base64 (padded or not).
pub fn parse_key(text: &str) -> Option<Zeroizing<[u8; KEY_LEN]>> {
    let text = text.trim();
    let bytes: Zeroizing<Vec<u8>> =
        if text.len() == KEY_LEN * 2 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            Zeroizing::new(
                (0..KEY_LEN)
                    .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16))
                    .collect::<Result<Vec<u8>, _>>()
                    .ok()?,
            )
        } else {
            let engines = [
                base64::engine::general_purpose::STANDARD,
                base64::engine::general_purpose::STANDARD_NO_PAD,
                base64::engine::general_purpose::URL_SAFE,
                base64::engine::general_purpose::URL_SAFE_NO_PAD,
            ];
            Zeroizing::new(engines.iter().find_map(|e| e.decode(text).ok())?)
        };
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    if bytes.len() != KEY_LEN {
        return None;
    }
    key.copy_from_slice(&bytes);
    Some(key)
}

fn read_key_file(path: &Path) -> Result<Zeroizing<[u8; KEY_LEN]>, VaultKeyError> {
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|error| {
        VaultKeyError::Unreadable {
            path: path.to_path_buf(),
            error,
        }
    })?);
    warn_if_readable_by_others(path);
    parse_key(&text).ok_or_else(|| VaultKeyError::Malformed(path.display().to_string()))
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(metadata) = std::fs::metadata(path) {
        if metadata.permissions().mode() & 0o077 != 0 {
            tracing::warn!(path = %path.display(), "the vault key file is readable by other users; chmod 600 it");
        }
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}

/// The key of an embedded SQLite database: `vault.key` beside the file,
/// made on first start. PostgreSQL gets no generated key: its replicas
/// would each make their own, and the key would sit on one machine only,
/// away from the database it unlocks.
fn embedded_key(database_url: &str) -> Result<(Vault, KeyOrigin), VaultKeyError> {
    let database = match DataLocation::of(database_url).map_err(VaultKeyError::BadDatabaseUrl)? {
        DataLocation::Server => return Err(VaultKeyError::MissingForPostgres),
        DataLocation::Memory => return Ok((Vault::ephemeral(), KeyOrigin::Ephemeral)),
        DataLocation::File(file) => file,
    };
    let directory = database.parent().unwrap_or(Path::new(""));
    let path = directory.join(KEY_FILE_NAME);
    if path.exists() {
        let key = read_key_file(&path)?;
        return Ok((Vault::from_key(&key), KeyOrigin::File(path)));
    }
    let uncreatable = |error| VaultKeyError::Uncreatable {
        path: path.clone(),
        error,
    };
    if !directory.as_os_str().is_empty() {
        std::fs::create_dir_all(directory).map_err(uncreatable)?;
    }
    let key = random_key();
    let text = Zeroizing::new(format!(
        "{}\n",
        base64::engine::general_purpose::STANDARD.encode(key.as_ref())
    ));
    match create_private(&path, text.as_bytes()) {
        Ok(()) => Ok((Vault::from_key(&key), KeyOrigin::Generated(path))),
        // Another process starting on the same database made it first.
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            let key = read_key_file(&path)?;
            Ok((Vault::from_key(&key), KeyOrigin::File(path)))
        }
        Err(error) => Err(uncreatable(error)),
    }
}

/// Writes a new file that only its owner can read.
fn create_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

/// Whose secrets are being written: the service whose properties hold them
/// (none for agent configuration) and the one agent that may read them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecretOwner {
    pub service_id: Option<Uuid>,
    pub agent_id: Uuid,
}

impl SecretOwner {
    pub fn service(service_id: Uuid, agent_id: Uuid) -> SecretOwner {
        SecretOwner {
            service_id: Some(service_id),
            agent_id,
        }
    }

    pub fn agent(agent_id: Uuid) -> SecretOwner {
        SecretOwner {
            service_id: None,
            agent_id,
        }
    }
}

/// Deletes unheld and expired secrets every `every` until dropped.
pub struct Sweeper(tokio::task::JoinHandle<()>);

impl Sweeper {
    pub fn start(store: Store, every: Duration) -> Sweeper {
        Sweeper(tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                let now = clock::now();
                match store.sweep_secrets(now - ORPHAN_GRACE, now).await {
                    Ok(0) => {}
                    Ok(deleted) => tracing::info!(deleted, "unheld vault secrets deleted"),
                    Err(error) => tracing::warn!(%error, "vault sweep failed"),
                }
            }
        }))
    }
}

impl Drop for Sweeper {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn owner() -> SecretOwner {
        SecretOwner::service(Uuid::now_v7(), Uuid::now_v7())
    }

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_binding() {
        let vault = Vault::from_key(&[1; KEY_LEN]);
        let value = json!({"user": "root", "password": "hunter22"});
        let secret = vault
            .seal(owner(), SecretKind::Persistent, &value, clock::now())
            .unwrap();
        assert_eq!(secret.nonce.len(), NONCE_LEN);
        let opened = vault.open(&secret).unwrap();
        assert_eq!(serde_json::from_slice::<Value>(&opened).unwrap(), value);

        let other = vault
            .seal(owner(), SecretKind::Persistent, &json!("x"), clock::now())
            .unwrap();
        let mut moved = other.clone();
        moved.ciphertext = secret.ciphertext.clone();
        moved.nonce = secret.nonce.clone();
        assert_eq!(vault.open(&moved), Err(Tampered), "moved to another row");
        let mut reader = secret.clone();
        reader.agent_id = Uuid::now_v7();
        assert_eq!(
            vault.open(&reader),
            Err(Tampered),
            "re-pointed at another agent"
        );
        let mut kind = secret.clone();
        kind.kind = SecretKind::Ephemeral;
        assert_eq!(vault.open(&kind), Err(Tampered));
        let mut service = secret.clone();
        service.service_id = None;
        assert_eq!(vault.open(&service), Err(Tampered));
        assert_eq!(
            Vault::from_key(&[2; KEY_LEN]).open(&secret),
            Err(Tampered),
            "another key"
        );
    }

    #[test]
    fn each_seal_has_its_own_reference_and_nonce() {
        let vault = Vault::ephemeral();
        let a = vault
            .seal(owner(), SecretKind::Ephemeral, &json!("same"), clock::now())
            .unwrap();
        let b = vault
            .seal(owner(), SecretKind::Ephemeral, &json!("same"), clock::now())
            .unwrap();
        assert_ne!(a.reference, b.reference);
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.ciphertext, b.ciphertext);
        assert!(is_reference(&a.reference));
        assert!(a.expires_at.is_some(), "ephemeral secrets expire");
    }

    #[test]
    fn keys_are_32_bytes_as_base64_or_hex() {
        let hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        let from_hex = parse_key(hex).unwrap();
        assert_eq!(from_hex[1], 0x11);
        let base64 = base64::engine::general_purpose::STANDARD.encode(*from_hex);
        assert_eq!(*parse_key(&format!("  {base64}\n")).unwrap(), *from_hex);
        assert_eq!(*parse_key(base64.trim_end_matches('=')).unwrap(), *from_hex);
        for bad in [
            "",
            "short",
            &hex[..62],
            &base64[..20],
            "zz".repeat(32).as_str(),
        ] {
            assert!(parse_key(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn postgres_without_a_key_is_refused_and_two_keys_are_ambiguous() {
        let none = VaultKeyConfig::default();
        let refused = Vault::configured(&none, "postgres://db/federa").unwrap_err();
        assert!(matches!(refused, VaultKeyError::MissingForPostgres));
        assert!(refused.to_string().contains(KEY_ENV));
        let both = VaultKeyConfig {
            key: Some("k".into()),
            key_file: Some("f".into()),
        };
        assert!(matches!(
            Vault::configured(&both, "sqlite:x.db"),
            Err(VaultKeyError::Ambiguous)
        ));
        let malformed = VaultKeyConfig {
            key: Some("not a key".into()),
            key_file: None,
        };
        let error = Vault::configured(&malformed, "sqlite:x.db").unwrap_err();
        assert!(error.to_string().contains("32 bytes"));
        assert!(
            !error.to_string().contains("not a key"),
            "the value is not echoed"
        );
        assert!(!format!("{malformed:?}").contains("not a key"));
    }
}
