//! An agent's own token: when it ends, and its renewal. A token an agent
//! renews itself never has to be pasted onto the agent's host again, and a
//! running agent never meets its token's expiry.
//!
//! A renewal mints a new token of the full installed lifetime and lets the
//! old one live on for [`ROTATION_GRACE`] at most, so an answer lost on the
//! way leaves the agent its old token to try again with.

use axum::extract::State;
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Duration;
use federa_domain::access::{Identity, Role};
use federa_domain::catalogue::INSTALLED_AGENT_TOKEN_LIFETIME;
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::event_kind::EventKind;
use federa_domain::token::Token;
use federa_store::catalogue::NewToken;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::{bearer, hash_token_value, new_token_value, Caller};
use crate::clock;
use crate::error::{ApiError, ApiResult};
use crate::routes::documented::Refused;
use crate::state::AppState;
use federa_api::tokens::TokenRes;

/// How long a renewed token keeps working after its renewal.
pub const ROTATION_GRACE: Duration = Duration::hours(1);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(current, rotate))
}

/// The agent-role API token the request carries, and its agent.
async fn own_token(state: &AppState, caller: &Identity, headers: &HeaderMap) -> ApiResult<Token> {
    let Some(agent_id) = caller.agent_id() else {
        return Err(ApiError::Forbidden(
            "only an agent has an agent token of its own".into(),
        ));
    };
    let token = state
        .store
        .token_by_hash(&hash_token_value(bearer(headers)?))
        .await?
        .filter(|token| token.agent_id == Some(agent_id))
        .ok_or_else(|| {
            ApiError::Forbidden(
                "the bearer is not one of Federa's agent tokens (a JWT is renewed by its issuer)"
                    .into(),
            )
        })?;
    Ok(token)
}

/// The calling agent's token: its id and when it expires; never its value.
#[utoipa::path(get, path = "/agents/me/token", tag = "Agents",
    responses((status = 200, body = TokenRes), Refused))]
async fn current(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
) -> ApiResult<Json<TokenRes>> {
    Ok(Json(TokenRes::new(
        own_token(&state, &caller, &headers).await?,
        None,
    )))
}

/// Renew the calling agent's token: a new token valid for a year, its value
/// in this answer only; the token the request carried ends within an hour.
#[utoipa::path(post, path = "/agents/me/token", tag = "Agents",
    responses((status = 201, body = TokenRes, description = "the new token; its value is in this answer only"),
        Refused))]
async fn rotate(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let old = own_token(&state, &caller, &headers).await?;
    let now = clock::now();
    let new = Token {
        id: Uuid::now_v7(),
        name: old.name.clone(),
        role: Role::Agent,
        // A year, or less where the server allows agent tokens less.
        expire_at: Some(
            now + INSTALLED_AGENT_TOKEN_LIFETIME.min(state.token_lifetimes.max_for(Role::Agent)),
        ),
        participant_id: old.participant_id,
        agent_id: old.agent_id,
        created_at: now,
        updated_at: now,
    };
    let old_expire_at = old
        .expire_at
        .map_or(now + ROTATION_GRACE, |at| at.min(now + ROTATION_GRACE));
    let value = new_token_value();
    let agent_id = old.agent_id.unwrap_or_default();
    let event = NewEvent::new(EventKind::AgentTokenRotated, Initiator::of(&caller), agent_id)
        .provider(old.participant_id)
        .agent(old.agent_id)
        .properties(json!({"tokenId": new.id, "replacedTokenId": old.id, "replacedTokenExpireAt": old_expire_at}));
    state
        .store
        .rotate_token(
            &old,
            old_expire_at,
            NewToken {
                token: &new,
                hashed_value: &hash_token_value(&value),
            },
            &event,
            now,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        [(CACHE_CONTROL, "no-store")],
        Json(TokenRes::new(new, Some(value))),
    )
        .into_response())
}
