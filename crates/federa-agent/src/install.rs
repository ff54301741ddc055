//! `federa agent --install URL`: what an install command runs on a
//! provider's host. It downloads the agent's configuration from the
//! exchange, trades the one-time install credential in the URL for the
//! agent's lasting token, keeps both in private files, and then the agent
//! runs as usual. Run again (by a service manager, or the same command
//! pasted twice), it finds the agent installed and only runs it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use serde_json::Value;

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

/// The exchange's root and the exchange URL of an install URL.
fn parts(install_url: &str) -> anyhow::Result<(String, String)> {
    let (base, rest) = install_url.split_once(INSTALL_PATH).with_context(|| {
        format!("{install_url} is not an install URL (…{INSTALL_PATH}<credential>/config)")
    })?;
    let credential = rest
        .strip_suffix("/config")
        .filter(|c| !c.is_empty() && !c.contains('/'))
        .with_context(|| format!("{install_url} does not end in <credential>/config"))?;
    Ok((
        base.to_string(),
        format!("{base}{INSTALL_PATH}{credential}/exchange"),
    ))
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
    let (base, exchange_url) = parts(install_url)?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;

    let bearer = |request: reqwest::RequestBuilder| match bootstrap_token {
        Some(token) => request.bearer_auth(token),
        None => request,
    };
    let response = bearer(http.get(install_url))
        .send()
        .await
        .with_context(|| format!("cannot reach the exchange at {base}"))?;
    if response.status() == reqwest::StatusCode::NOT_FOUND {
        return Err(InstallExpired.into());
    }
    let response = response
        .error_for_status()
        .context("the exchange refused the configuration download")?;
    let text = response.text().await?;
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

    let response = bearer(http.post(&exchange_url))
        .send()
        .await
        .with_context(|| format!("cannot reach the exchange at {base}"))?;
    if response.status() == reqwest::StatusCode::NOT_FOUND {
        return Err(InstallExpired.into());
    }
    let token: Value = response
        .error_for_status()
        .context("the exchange refused the install credential")?
        .json()
        .await?;
    let value = token["value"]
        .as_str()
        .context("the exchange's answer has no token")?;
    write_token_file(&token_file, value)?;
    write_private(config_path, toml::to_string(&table)?.as_bytes())?;
    tracing::info!(
        config = %config_path.display(),
        token_file = %token_file.display(),
        expires = %token["expireAt"].as_str().unwrap_or("never"),
        "agent installed; its token is renewed before it expires"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_install_url_names_the_exchange_and_its_exchange_url() {
        let (base, exchange) =
            parts("https://fx.example:8443/api/v1/agents/install/abc_-=/config").unwrap();
        assert_eq!(base, "https://fx.example:8443");
        assert_eq!(
            exchange,
            "https://fx.example:8443/api/v1/agents/install/abc_-=/exchange"
        );
        assert!(parts("https://fx.example/api/v1/agents/x").is_err());
        assert!(parts("https://fx.example/api/v1/agents/install//config").is_err());
    }
}
