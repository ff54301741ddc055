//! Where `federa serve` gets its vault key, and what it refuses.

use std::path::{Path, PathBuf};
use std::time::Duration;

use federa_domain::property_schema::SecretKind;
use federa_server::vault::{parse_key, SecretOwner, Vault, KEY_FILE_NAME};
use federa_server::{ServeConfig, VaultKeyConfig};
use federa_store::Store;
use serde_json::json;
use uuid::Uuid;

struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let path = std::env::temp_dir().join(format!("federa-vault-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn database_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("data/federa.db").display())
}

/// Starts the server and stops it again at once.
async fn start_and_stop(database_url: &str, vault_key: VaultKeyConfig) -> anyhow::Result<()> {
    let config = ServeConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url: database_url.to_string(),
        database_timeouts: Default::default(),
        admin_token: Some("vault-keys-admin".into()),
        lease: Default::default(),
        sweep_interval: Duration::from_secs(30),
        liveness: Default::default(),
        vault_key,
        public_url: None,
        oidc: None,
        trusted_proxies: Vec::new(),
        connections: Default::default(),
        token_lifetimes: Default::default(),
        max_properties_bytes: federa_domain::property_schema::DEFAULT_MAX_PROPERTIES_BYTES,
        agent_install_ttl: federa_domain::catalogue::INSTALL_TTL,
        quote_validity: federa_domain::commerce::order::DEFAULT_QUOTE_VALIDITY,
    };
    federa_server::serve(config, async {}).await
}

#[tokio::test]
async fn an_embedded_database_gets_a_private_key_file_that_later_starts_reuse() {
    let dir = TempDir::new();
    let url = database_url(&dir.0);
    start_and_stop(&url, VaultKeyConfig::default())
        .await
        .unwrap();
    let key_file = dir.0.join("data").join(KEY_FILE_NAME);
    let written = std::fs::read_to_string(&key_file).unwrap();
    assert!(parse_key(&written).is_some());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    start_and_stop(&url, VaultKeyConfig::default())
        .await
        .unwrap();
    assert_eq!(std::fs::read_to_string(&key_file).unwrap(), written);
}

#[tokio::test]
async fn a_key_that_cannot_open_the_stored_secrets_stops_the_start() {
    let dir = TempDir::new();
    let url = database_url(&dir.0);
    start_and_stop(&url, VaultKeyConfig::default())
        .await
        .unwrap();
    let key_file = dir.0.join("data").join(KEY_FILE_NAME);
    let key = parse_key(&std::fs::read_to_string(&key_file).unwrap()).unwrap();
    let store = Store::open(&url).await.unwrap();
    let secret = Vault::from_key(&key)
        .seal(
            SecretOwner::agent(Uuid::now_v7()),
            SecretKind::Persistent,
            &json!("sealed-under-the-file-key"),
            federa_server::clock::now(),
        )
        .unwrap();
    store.insert_secrets(&[secret]).await.unwrap();
    store.close().await;

    let by_file = VaultKeyConfig {
        key: None,
        key_file: Some(key_file.clone()),
    };
    start_and_stop(&url, by_file).await.unwrap();

    let other = VaultKeyConfig {
        key: Some("11".repeat(32)),
        key_file: None,
    };
    let refused = start_and_stop(&url, other).await.unwrap_err();
    assert!(refused.to_string().contains("does not open"), "{refused:#}");

    // A lost key file is not silently replaced by a new key.
    std::fs::remove_file(&key_file).unwrap();
    let regenerated = start_and_stop(&url, VaultKeyConfig::default())
        .await
        .unwrap_err();
    assert!(regenerated.to_string().contains("does not open"));
}

#[tokio::test]
async fn postgres_without_a_key_does_not_start() {
    let refused = start_and_stop(
        "postgres://federa@127.0.0.1:1/none",
        VaultKeyConfig::default(),
    )
    .await
    .unwrap_err();
    let message = refused.to_string();
    assert!(message.contains("FEDERA_VAULT_KEY"), "{message}");
    assert!(message.contains("--vault-key-file"), "{message}");
}
