//! Secrets an agent resolves from `vault://` references.

use federa_api::vault::SecretRes;
use serde::Deserialize;
use serde_json::Value;

use crate::{Client, ClientError};

impl Client {
    /// The secret `reference` (without `vault://`) names. A body that is
    /// not Federa's `{value}` is taken as the secret itself.
    pub async fn vault_secret(&self, reference: &str) -> Result<Value, ClientError> {
        let body: Value = self.fetch(&format!("/vault/secrets/{reference}")).await?;
        Ok(match SecretRes::deserialize(&body) {
            Ok(secret) => secret.value,
            Err(_) => body,
        })
    }
}
