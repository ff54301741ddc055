//! What an agent asks and says about itself.

use federa_api::agent_install::InstallCommandRes;
use federa_api::agents::{AgentRes, AgentStatus, AgentStatusReq};
use federa_api::observations::{ObservationsReq, ObservationsRes};
use federa_api::tokens::TokenRes;
use reqwest::Method;
use uuid::Uuid;

use crate::{Client, ClientError, Sent};

impl Client {
    /// The calling agent's own record.
    pub async fn agent_me(&self) -> Result<AgentRes, ClientError> {
        self.fetch("/agents/me").await
    }

    /// Says how the calling agent stands: `Connected` on each heartbeat,
    /// `Disconnected` when it stops.
    pub async fn report_agent_status(&self, status: AgentStatus) -> Result<(), ClientError> {
        self.submit_ok(Method::PUT, "/agents/me/status", &AgentStatusReq { status })
            .await
    }

    /// The calling agent's token: when it was made and when it expires.
    pub async fn agent_token(&self) -> Result<TokenRes, ClientError> {
        self.fetch("/agents/me/token").await
    }

    /// A new token for the calling agent; its value is in this answer only.
    pub async fn renew_agent_token(&self) -> Result<TokenRes, ClientError> {
        self.submit(Method::POST, "/agents/me/token", &serde_json::json!({}))
            .await
    }

    /// Reports what the platform shows of the agent's services.
    pub async fn report_observations(
        &self,
        report: &ObservationsReq,
    ) -> Result<ObservationsRes, ClientError> {
        self.submit(Method::POST, "/agents/me/observations", report)
            .await
    }

    /// A one-time command that installs agent `id` on its host; with
    /// `regenerate`, replacing a live one.
    pub async fn agent_install_command(
        &self,
        id: Uuid,
        regenerate: bool,
    ) -> Result<Sent<InstallCommandRes>, ClientError> {
        let path = if regenerate {
            format!("/agents/{id}/install-command/regenerate")
        } else {
            format!("/agents/{id}/install-command")
        };
        self.submit(Method::POST, &path, &serde_json::json!({}))
            .await
    }
}
