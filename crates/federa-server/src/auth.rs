//! Bearer-token authentication.

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use base64::Engine;
use federa_domain::access::{Identity, Role};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::state::AppState;

/// A new token value: 32 random bytes, base64url with padding (44 characters),
/// the format Fulcrum agents are configured with.
pub fn new_token_value() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE.encode(bytes)
}

/// What the store keeps of a token value: base64 of its SHA-256. Looking a
/// token up by this hash means the plain value is never compared, so there is
/// no comparison whose timing depends on the secret.
pub fn hash_token_value(value: &str) -> String {
    STANDARD.encode(Sha256::digest(value.as_bytes()))
}

/// The authenticated caller. Missing or malformed credentials give 401;
/// unknown or expired tokens give 403, as Fulcrum does.
pub struct Caller(pub Identity);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or_else(|| ApiError::Unauthenticated("missing Authorization header".into()))?;
        let value = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| {
                ApiError::Unauthenticated("Authorization header must be 'Bearer <token>'".into())
            })?;
        // Without a peer address (a server not started with connect info)
        // there is nothing to count by.
        let client = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| peer.ip());
        if let Some(client) = client {
            state
                .failed_auth
                .check(client, Instant::now())
                .map_err(|wait| ApiError::TooManyRequests {
                    error: format!(
                        "too many failed authentication attempts from this address; retry in {} s",
                        wait.as_secs().max(1)
                    ),
                    retry_after: Some(wait),
                })?;
        }
        let refuse = |why: &str| {
            state.metrics.auth_failures.inc();
            if let Some(client) = client {
                state.failed_auth.record(client, Instant::now());
            }
            ApiError::Forbidden(why.into())
        };
        let token = state
            .store
            .token_by_hash(&hash_token_value(value))
            .await?
            .ok_or_else(|| refuse("invalid token"))?;
        if token.is_expired(crate::clock::now()) {
            return Err(refuse("token expired"));
        }
        let identity = match token.role {
            Role::Admin => Identity::admin(),
            Role::Participant => Identity {
                role: Role::Participant,
                participant_id: token.participant_id,
                agent_id: None,
            },
            Role::Agent => Identity {
                role: Role::Agent,
                participant_id: token.participant_id,
                agent_id: token.agent_id,
            },
        };
        Ok(Caller(identity))
    }
}
