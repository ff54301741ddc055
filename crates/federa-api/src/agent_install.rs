//! Installing an agent: the one-time command that fetches its configuration and token.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The answer to creating or regenerating an install command. Both secrets
/// are in it once and cannot be read back.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct InstallCommandRes {
    /// The agent type's command template, filled in.
    pub install_command: String,
    /// Where the installer downloads the agent's configuration.
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

/// What can be read back about an install command: never the secrets.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct InstallCommandMetaRes {
    pub id: Uuid,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}
