//! Installing an agent: a short-lived install credential that serves the
//! agent's rendered configuration, paired with a bootstrap agent token, and
//! traded once for the agent's long-lived token.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::templates::{render_strict, AUTH_TOKEN_PLACEHOLDER, CONFIG_URL_PLACEHOLDER};
use super::AgentType;

/// How long an install credential and its bootstrap token live: long enough
/// to paste a command, short enough that a leaked one is soon worthless.
pub const INSTALL_TTL: Duration = Duration::minutes(5);

/// The lifetime of the token an install is exchanged for. The owning
/// participant rotates it with `POST /tokens/{id}/regenerate`.
pub const INSTALLED_AGENT_TOKEN_LIFETIME: Duration = Duration::days(365);

/// The install credential of one agent. Only the hash of its value is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentInstall {
    pub id: Uuid,
    pub agent_id: Uuid,
    /// The agent-role token minted with this install; it dies with it.
    pub bootstrap_token_id: Uuid,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl AgentInstall {
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at <= now
    }
}

/// The two install templates of an agent type, when it has both.
pub fn install_templates(agent_type: &AgentType) -> Option<(&str, &str)> {
    match (&agent_type.config_template, &agent_type.cmd_template) {
        (Some(config), Some(cmd)) if !config.is_empty() && !cmd.is_empty() => {
            Some((config.as_str(), cmd.as_str()))
        }
        _ => None,
    }
}

/// Why a template could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the template refers to '{0}', which has no value")]
pub struct MissingValue(pub String);

/// A configuration value as it appears in rendered text: strings bare,
/// everything else as JSON.
fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The configuration file of an agent: `template` filled from its
/// (secret-resolved) configuration. A placeholder without a value is an
/// error, so an installer never receives a half-filled file.
pub fn render_config(
    template: &str,
    configuration: &Map<String, Value>,
) -> Result<String, MissingValue> {
    render_strict(template, |name| configuration.get(name).map(text_of))
        .map_err(|name| MissingValue(name.to_string()))
}

/// The install command: `template` filled from the configuration plus the
/// URL of the configuration file and the bootstrap token.
pub fn render_command(
    template: &str,
    configuration: &Map<String, Value>,
    config_url: &str,
    auth_token: &str,
) -> Result<String, MissingValue> {
    render_strict(template, |name| match name {
        CONFIG_URL_PLACEHOLDER => Some(config_url.to_string()),
        AUTH_TOKEN_PLACEHOLDER => Some(auth_token.to_string()),
        other => configuration.get(other).map(text_of),
    })
    .map_err(|name| MissingValue(name.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn configuration() -> Map<String, Value> {
        json!({"region": "eu-north", "port": 8443, "debug": false})
            .as_object()
            .cloned()
            .unwrap_or_default()
    }

    #[test]
    fn config_renders_strings_bare_and_other_values_as_json() {
        let rendered = render_config(
            "region={{.region}} port={{ .port }} debug={{.debug}}",
            &configuration(),
        );
        assert_eq!(
            rendered.as_deref(),
            Ok("region=eu-north port=8443 debug=false")
        );
    }

    #[test]
    fn a_placeholder_without_value_refuses_to_render() {
        let error = render_config("key={{.apiKey}}", &configuration()).unwrap_err();
        assert_eq!(error, MissingValue("apiKey".into()));
    }

    #[test]
    fn command_receives_url_and_bootstrap_token() {
        let rendered = render_command(
            "curl -H 'Authorization: Bearer {{.authToken}}' {{.configUrl}} # {{.region}}",
            &configuration(),
            "https://x/c",
            "secret",
        );
        assert_eq!(
            rendered.as_deref(),
            Ok("curl -H 'Authorization: Bearer secret' https://x/c # eu-north")
        );
    }

    #[test]
    fn an_install_expires_at_its_deadline() {
        let now = Utc::now();
        let install = AgentInstall {
            id: Uuid::nil(),
            agent_id: Uuid::nil(),
            bootstrap_token_id: Uuid::nil(),
            expires_at: now + INSTALL_TTL,
            created_at: now,
            updated_at: now,
        };
        assert!(!install.is_expired(now));
        assert!(install.is_expired(now + INSTALL_TTL));
    }
}
