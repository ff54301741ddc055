//! Bearer-token authentication.

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use base64::Engine;
use federa_domain::access::{self, Identity, Role};
use federa_domain::event::Initiator;
use federa_domain::people::personal_token::VALUE_PREFIX;
use federa_store::participants::DisabledHolder;
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::client_address::client_address;
use crate::error::ApiError;
use crate::oidc::{Oidc, Refused};
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
/// unknown or expired tokens, and JWTs that do not verify, give 403, as
/// Fulcrum does. A personal token that is unknown (revoked), expired, or
/// whose user no longer belongs to its participant gives 401: Fulcrum has
/// no such tokens, so nothing relies on a 403 for them.
pub struct Caller(pub Identity);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // Boxed: a handler's future parked in a long-poll then keeps no
        // room for the state of the authentication's reads.
        Box::pin(authenticate(parts, state)).await
    }
}

/// The caller of a request, from its credentials (see [`Caller`]).
async fn authenticate(parts: &Parts, state: &AppState) -> Result<Caller, ApiError> {
    let value = bearer(&parts.headers)?;
    // Without a peer address (a server not started with connect info)
    // there is nothing to count by.
    let client = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| {
            let forwarded = parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|value| value.to_str().ok());
            client_address(peer.ip(), forwarded, &state.trusted_proxies)
        });
    let identity = match &state.oidc {
        // An admin token chosen by an operator may contain dots too, so
        // a bearer that fails as a JWT is still tried as a Federa token.
        Some(oidc) if Oidc::looks_like_jwt(value) => match from_jwt(state, oidc, value).await {
            Ok(identity) => Ok(identity),
            Err(refused) => match from_api_token(state, value).await {
                Err(ApiError::Forbidden(_)) => Err(refused),
                other => other,
            },
        },
        _ if value.starts_with(VALUE_PREFIX) => from_personal_token(state, value).await,
        _ => from_api_token(state, value).await,
    };
    // A valid credential is answered whatever its address did: a
    // neighbour guessing behind the same address must not lock it out.
    // Only a refused one is held off once the address is over its limit.
    let refused_personal =
        value.starts_with(VALUE_PREFIX) && matches!(identity, Err(ApiError::Unauthenticated(_)));
    if matches!(identity, Err(ApiError::Forbidden(_))) || refused_personal {
        state.metrics.auth_failures.inc();
        if let Some(client) = client {
            let now = Instant::now();
            state
                .failed_auth
                .check(client, now)
                .map_err(|wait| ApiError::TooManyRequests {
                    error: format!(
                        "too many failed authentication attempts from this address; retry in {} s",
                        wait.as_secs().max(1)
                    ),
                    retry_after: Some(wait),
                })?;
            state.failed_auth.record(client, now);
        }
    }
    let identity = identity?;
    refuse_disabled(state, &identity).await?;
    if let Some(agent_id) = identity.agent_id() {
        federa_exchange::liveness::sign_of_life(state, agent_id, Initiator::of(&identity)).await;
    }
    Ok(Caller(identity))
}

/// A credential whose participant, or whose agent, is disabled is refused
/// whatever it asks: a disabled participant is suspended from the
/// exchange, with its agents (see docs/RELIABILITY.md).
pub async fn refuse_disabled(state: &AppState, identity: &Identity) -> Result<(), ApiError> {
    if identity.is_admin() {
        return Ok(());
    }
    match state
        .store
        .disabled_holder(identity.participant_id(), identity.agent_id())
        .await?
    {
        Some(DisabledHolder::Participant) => {
            Err(ApiError::Forbidden("the participant is disabled".into()))
        }
        Some(DisabledHolder::Agent) => Err(ApiError::Forbidden("the agent is disabled".into())),
        None => Ok(()),
    }
}

/// The bearer value of a request's `Authorization` header.
pub fn bearer(headers: &axum::http::HeaderMap) -> Result<&str, ApiError> {
    let header = headers
        .get(AUTHORIZATION)
        .ok_or_else(|| ApiError::Unauthenticated("missing Authorization header".into()))?;
    header
        .to_str()
        .ok()
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            ApiError::Unauthenticated("Authorization header must be 'Bearer <token>'".into())
        })
}

/// The identity of one of Federa's own API tokens.
async fn from_api_token(state: &AppState, value: &str) -> Result<Identity, ApiError> {
    let token = state
        .store
        .token_by_hash(&hash_token_value(value))
        .await?
        .ok_or_else(|| ApiError::Forbidden("invalid token".into()))?;
    if token.is_expired(crate::clock::now()) {
        return Err(ApiError::Forbidden("token expired".into()));
    }
    let caller = caller_of(token.role, token.participant_id, token.agent_id)
        .ok_or_else(|| ApiError::Forbidden("invalid token".into()))?;
    Ok(Identity::from(caller).by_token(token.id))
}

/// The identity of a person's personal token: the user with the role its
/// membership of the token's participant has now, so a changed role or a
/// removed membership takes effect at the next request.
async fn from_personal_token(state: &AppState, value: &str) -> Result<Identity, ApiError> {
    let refused = || ApiError::Unauthenticated("invalid personal token".into());
    let token = state
        .store
        .personal_token_by_hash(&hash_token_value(value))
        .await?
        .ok_or_else(refused)?;
    if token.is_expired(crate::clock::now()) {
        return Err(ApiError::Unauthenticated("personal token expired".into()));
    }
    let membership = state
        .store
        .membership_of(token.user_id, token.participant_id)
        .await?
        .ok_or_else(refused)?;
    Ok(Identity::person(membership.person()).by_token(token.id))
}

/// The identity of a JWT from the configured issuer. An agent's claimed
/// participant must be the one that operates the agent here: an issuer's
/// mistake must not widen an agent's reach to another provider's objects.
async fn from_jwt(state: &AppState, oidc: &Oidc, value: &str) -> Result<Identity, ApiError> {
    let claimed = oidc.verify(value).await.map_err(|refused| match refused {
        // Our side cannot judge the token: not the caller's failure.
        Refused::Unreachable(reason) => {
            tracing::warn!(%reason, "cannot judge a bearer JWT: the issuer's keys are unavailable");
            ApiError::Unavailable
        }
        refused => {
            tracing::info!(reason = %refused, "refused a bearer JWT");
            ApiError::Forbidden("invalid token".into())
        }
    })?;
    if let (Role::Agent, Some(agent_id)) = (claimed.role, claimed.agent_id) {
        let operator = state.store.agent_participant(agent_id).await?;
        if operator.is_none() || operator != claimed.participant_id {
            tracing::info!(agent = %agent_id, "refused a bearer JWT: agent_id and participant_id do not match an agent");
            return Err(ApiError::Forbidden("invalid token".into()));
        }
    }
    if let (Role::Participant, Some(participant_id), Some(subject)) = (
        claimed.role,
        claimed.participant_id,
        claimed.subject.as_deref(),
    ) {
        if let Some(person) = person_of_login(state, subject, participant_id).await? {
            return Ok(Identity::person(person));
        }
    }
    caller_of(claimed.role, claimed.participant_id, claimed.agent_id)
        .map(Identity::from)
        .ok_or_else(|| ApiError::Forbidden("invalid token".into()))
}

/// The person an OpenID Connect login is, when a user has its subject:
/// that user with its role in the claimed participant. A user who does
/// not belong to that participant is refused rather than let act with
/// the participant's whole rights.
async fn person_of_login(
    state: &AppState,
    subject: &str,
    participant_id: Uuid,
) -> Result<Option<access::Person>, ApiError> {
    let Some(user) = state.store.user_by_subject(subject).await? else {
        return Ok(None);
    };
    match state.store.membership_of(user.id, participant_id).await? {
        Some(membership) => Ok(Some(membership.person())),
        None => {
            tracing::info!(user = %user.id, "refused a bearer JWT: its user does not belong to the claimed participant");
            Err(ApiError::Forbidden("invalid token".into()))
        }
    }
}

/// The caller a credential's role and ids describe; `None` when a role
/// lacks an id it needs (a token row or claims that could not have been
/// issued).
fn caller_of(
    role: Role,
    participant_id: Option<Uuid>,
    agent_id: Option<Uuid>,
) -> Option<access::Caller> {
    Some(match role {
        Role::Admin => access::Caller::Admin,
        Role::Participant => access::Caller::Participant {
            participant_id: participant_id?,
        },
        Role::Agent => access::Caller::Agent {
            agent_id: agent_id?,
            participant_id: participant_id?,
        },
    })
}
