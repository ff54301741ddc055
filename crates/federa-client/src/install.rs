//! What an install command asks of the exchange before the agent has a
//! token: its configuration, and its lasting token for the one-time
//! credential. Both bear the install command's bootstrap token, when it
//! has one, instead of this client's.

use federa_api::tokens::TokenRes;
use reqwest::Method;

use crate::{Client, ClientError};

impl Client {
    /// The agent's configuration (TOML) that install `credential` opens.
    pub async fn install_configuration(
        &self,
        credential: &str,
        bootstrap: Option<&str>,
    ) -> Result<String, ClientError> {
        let response = self.install_step(Method::GET, credential, "config", bootstrap);
        let text = response.await?.text().await;
        text.map_err(|e| ClientError::Network(e.to_string()))
    }

    /// Trades install `credential`, which works once, for the agent's
    /// lasting token; its value is in this answer only.
    pub async fn exchange_install_credential(
        &self,
        credential: &str,
        bootstrap: Option<&str>,
    ) -> Result<TokenRes, ClientError> {
        let response = self.install_step(Method::POST, credential, "exchange", bootstrap);
        let token = response.await?.json().await;
        token.map_err(|e| ClientError::Decode(e.to_string()))
    }

    /// One attempt at `step` of install `credential`: a credential that
    /// works once is not sent twice.
    async fn install_step(
        &self,
        method: Method,
        credential: &str,
        step: &str,
        bootstrap: Option<&str>,
    ) -> Result<reqwest::Response, ClientError> {
        let url = format!("{}/api/v1/agents/install/{credential}/{step}", self.base);
        let mut request = self.http.request(method, url).timeout(self.retry.timeout);
        if let Some(token) = bootstrap {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .map_err(|e| ClientError::Network(e.to_string()))?;
        let status = response.status();
        if !status.is_success() {
            let body = response.json().await.unwrap_or(serde_json::Value::Null);
            return Err(ClientError::from_reply(status, body));
        }
        Ok(response)
    }
}
