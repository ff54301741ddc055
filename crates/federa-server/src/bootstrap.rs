//! The first admin credential.

use federa_store::Store;

use crate::auth::{hash_token_value, new_token_value};

/// What start-up did about the admin token.
pub enum AdminToken {
    /// The operator supplied one; it is stored hashed.
    Configured,
    /// None was supplied and none existed: this new value must be shown once.
    Generated(String),
    /// None was supplied and an admin token already exists.
    Existing,
}

/// Stores the configured admin token, or creates one on a first start.
pub async fn ensure_admin_token(
    store: &Store,
    configured: Option<&str>,
) -> federa_store::Result<AdminToken> {
    let now = crate::clock::now();
    match configured.map(str::trim).filter(|v| !v.is_empty()) {
        Some(value) => {
            store
                .upsert_bootstrap_token(&hash_token_value(value), now)
                .await?;
            Ok(AdminToken::Configured)
        }
        None if store.has_admin_token().await? => Ok(AdminToken::Existing),
        None => {
            let value = new_token_value();
            store
                .upsert_bootstrap_token(&hash_token_value(&value), now)
                .await?;
            Ok(AdminToken::Generated(value))
        }
    }
}
