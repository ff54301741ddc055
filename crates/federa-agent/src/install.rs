//! `federa agent --install URL`: what an install command runs on a
//! provider's host. It downloads the agent's configuration from the
//! exchange, trades the one-time install credential in the URL for the
//! agent's lasting token, keeps both in private files, and then the agent
//! runs as usual. Run again (by a service manager, or the same command
//! pasted twice), it finds the agent installed and only runs it.

use std::path::{Path, PathBuf};

use anyhow::Context;
use federa_client::{Client, ClientError, StatusCode};

use crate::config::AgentConfig;
use crate::credentials::{write_private, write_token_file};

/// Where an install URL's exchange credential sits in its path.
const INSTALL_PATH: &str = "/api/v1/agents/install/";

/// The install command has expired, was regenerated, or was used already.
#[derive(Debug, thiserror::Error)]
#[error(
    "the exchange no longer knows this install command (it lives a few minutes and works once); \
     ask it for a new one: `federa agents install-command AGENT_ID --regenerate`"
)]
pub struct InstallExpired;

/// The exchange's root and the one-time credential of an install URL.
fn parts(install_url: &str) -> anyhow::Result<(String, String)> {
    let (base, rest) = install_url.split_once(INSTALL_PATH).with_context(|| {
        format!("{install_url} is not an install URL (…{INSTALL_PATH}<credential>/config)")
    })?;
    let credential = rest
        .strip_suffix("/config")
        .filter(|c| !c.is_empty() && !c.contains('/'))
        .with_context(|| format!("{install_url} does not end in <credential>/config"))?;
    Ok((base.to_string(), credential.to_string()))
}

/// Whether `config_path` already holds an installed agent: a configuration
/// whose token can be read.
fn installed(config_path: &Path) -> bool {
    AgentConfig::load(config_path).is_ok_and(|config| config.token().is_ok())
}

/// Installs the agent at `config_path` from `install_url`, unless it is
/// installed already. The install command's bootstrap token, when given,
/// is the bearer of both requests.
pub async fn install(
    config_path: &Path,
    install_url: &str,
    bootstrap_token: Option<&str>,
) -> anyhow::Result<()> {
    if installed(config_path) {
        tracing::info!(config = %config_path.display(), "the agent is installed already; starting it");
        return Ok(());
    }
    let (base, credential) = parts(install_url)?;
    // Until the exchange answers, the agent has no token of its own.
    let client = Client::new(&base, "")?;
    // A lapsed credential and an unreachable exchange are told apart from
    // other refusals, each with what to do about it.
    let explain = |error: ClientError, refused: &'static str| match error {
        error if error.status() == Some(StatusCode::NOT_FOUND) => {
            anyhow::Error::new(InstallExpired)
        }
        error @ ClientError::Network(_) => {
            anyhow::Error::new(error).context(format!("cannot reach the exchange at {base}"))
        }
        error => anyhow::Error::new(error).context(refused),
    };
    let text = client
        .install_configuration(&credential, bootstrap_token)
        .await
        .map_err(|e| explain(e, "the exchange refused the configuration download"))?;
    let mut table: toml::Table =
        toml::from_str(&text).context("the configuration the exchange sent is not TOML")?;
    // The configuration template knows the provider's settings; where the
    // exchange is and where the token is kept follow from the install.
    table
        .entry("url")
        .or_insert_with(|| toml::Value::String(base.clone()));
    let token_file = match table.get("token_file").and_then(toml::Value::as_str) {
        Some(path) => PathBuf::from(path),
        None => {
            let path = config_path
                .parent()
                .unwrap_or(Path::new("."))
                .join("agent.token");
            table.insert(
                "token_file".into(),
                toml::Value::String(path.display().to_string()),
            );
            path
        }
    };
    table.remove("token");
    let checked: AgentConfig = table
        .clone()
        .try_into()
        .context("the configuration the exchange sent is not an agent configuration")?;
    drop(checked);

    let token = client
        .exchange_install_credential(&credential, bootstrap_token)
        .await
        .map_err(|e| explain(e, "the exchange refused the install credential"))?;
    let value = token
        .value
        .as_deref()
        .context("the exchange's answer has no token")?;
    write_token_file(&token_file, value)?;
    write_private(config_path, toml::to_string(&table)?.as_bytes())?;
    tracing::info!(
        config = %config_path.display(),
        token_file = %token_file.display(),
        expires = %token.expire_at.map_or("never".to_string(), |at| at.to_rfc3339()),
        "agent installed; its token is renewed before it expires"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_install_url_names_the_exchange_and_its_credential() {
        let (base, credential) =
            parts("https://fx.example:8443/api/v1/agents/install/abc_-=/config").unwrap();
        assert_eq!(base, "https://fx.example:8443");
        assert_eq!(credential, "abc_-=");
        assert!(parts("https://fx.example/api/v1/agents/x").is_err());
        assert!(parts("https://fx.example/api/v1/agents/install//config").is_err());
    }
}
