use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use federa_domain::access::{Action, Identity, Object, Owners, Role};
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::event_kind::EventKind;
use federa_domain::listing::{FieldError, ListSpec, Page};
use federa_domain::participant::check_name;
use federa_domain::token::{scope_target, ScopeTarget, Token, DEFAULT_LIFETIME, TOKEN_LIST};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use federa_api::tokens::{TokenCreateReq, TokenRes, TokenUpdateReq};

use crate::auth::{hash_token_value, new_token_value, Caller};
use crate::clock;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, IdPath, QueryPairs};
use crate::resource::{self, ChangeKinds, Edited, Resource};
use crate::routes::documented::{Invalid, Missing, Paging, Refused};
use crate::routes::record_routes::{delete_route, get_route, list_route};
use crate::routes::PageRes;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, update, delete))
        .routes(routes!(regenerate))
}

impl Resource for Token {
    const OBJECT: Object = Object::Token;
    const LIST: ListSpec = TOKEN_LIST;
    type Res = TokenRes;

    /// A token as answered: never its value, which only its creation and
    /// regeneration show.
    fn res(self) -> TokenRes {
        TokenRes::new(self, None)
    }

    fn owners(&self) -> Owners {
        Token::owners(self)
    }
}

impl Edited for Token {
    const CHANGES: ChangeKinds = ChangeKinds {
        created: EventKind::TokenCreated,
        updated: EventKind::TokenUpdated,
        deleted: EventKind::TokenDeleted,
    };

    fn event(&self, kind: EventKind, caller: &Identity) -> NewEvent {
        NewEvent::new(kind, Initiator::of(caller), self.id)
            .provider(self.participant_id)
            .agent(self.agent_id)
            .properties(serde_json::json!({"name": self.name, "role": self.role}))
    }
}

list_route!(
    /// List tokens.
    "/tokens", "Tokens",
    params(Paging, ("name" = Option<String>, Query), ("role" = Option<Role>, Query), ("participantId" = Option<Uuid>, Query), ("agentId" = Option<Uuid>, Query)),
    Token => TokenRes
);

/// Create a token; its value is in this answer only.
#[utoipa::path(post, path = "/tokens", tag = "Tokens", request_body = TokenCreateReq,
    responses((status = 201, body = TokenRes), Invalid, Refused))]
async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Body(req): Body<TokenCreateReq>,
) -> ApiResult<(StatusCode, Json<TokenRes>)> {
    caller.may(Object::Token, Action::Create)?;
    let now = clock::now();
    let mut errors = Vec::new();
    let name = check_name("name", &req.name)
        .map_err(|e| errors.push(e))
        .ok();
    let expire_at = req.expire_at.unwrap_or(now + DEFAULT_LIFETIME);
    if let Err(e) = state.token_lifetimes.check_expiry(req.role, expire_at, now) {
        errors.push(e);
    }
    let target = scope_target(req.role, req.scope_id)
        .map_err(|e| errors.push(e))
        .ok();
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let (participant_id, agent_id) = match target {
        Some(ScopeTarget::Participant(id)) => {
            state
                .store
                .participant(id)
                .await?
                .ok_or_else(|| FieldError::new("scopeId", "no participant has this id"))?;
            (Some(id), None)
        }
        Some(ScopeTarget::Agent(id)) => {
            let owner = state
                .store
                .agent_participant(id)
                .await?
                .ok_or_else(|| FieldError::new("scopeId", "no agent has this id"))?;
            (Some(owner), Some(id))
        }
        _ => (None, None),
    };
    let token = Token {
        id: Uuid::now_v7(),
        name: name.unwrap_or_default(),
        role: req.role,
        expire_at: Some(expire_at),
        participant_id,
        agent_id,
        created_at: now,
        updated_at: now,
    };
    caller.authorize(Object::Token, Action::Create, &token.owners())?;
    let value = new_token_value();
    state
        .store
        .insert_token(
            &token,
            &hash_token_value(&value),
            &token.event(EventKind::TokenCreated, &caller),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(TokenRes::new(token, Some(value)))))
}

get_route!(
    /// Get a token (never its value).
    "/tokens/{id}", "Tokens", Token => TokenRes
);

/// Rename a token or move its expiry.
#[utoipa::path(patch, path = "/tokens/{id}", tag = "Tokens", params(("id" = Uuid, Path)), request_body = TokenUpdateReq,
    responses((status = 200, body = TokenRes), Invalid, Refused, Missing))]
async fn update(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    Body(req): Body<TokenUpdateReq>,
) -> ApiResult<Json<TokenRes>> {
    let mut token: Token = resource::load(&state, &caller, id, Action::Update).await?;
    let now = clock::now();
    if let Some(name) = req.name {
        token.name = check_name("name", &name)?;
    }
    if let Some(expire_at) = req.expire_at {
        // An expired token stays expired: whoever needs access again gets a
        // new token, created under today's rules.
        if token.is_expired(now) {
            return Err(ApiError::field(
                "expireAt",
                "the token has expired and cannot be revived; create a new one",
            ));
        }
        state
            .token_lifetimes
            .check_expiry(token.role, expire_at, now)?;
        token.expire_at = Some(expire_at);
    }
    token.updated_at = now;
    resource::save(&state, &caller, token).await
}

delete_route!(
    /// Revoke a token.
    "/tokens/{id}", "Tokens", Token,
    responses(Refused, Missing)
);

/// Replace a token's value; the old value stops working at once.
#[utoipa::path(post, path = "/tokens/{id}/regenerate", tag = "Tokens", params(("id" = Uuid, Path)),
    responses((status = 200, body = TokenRes), Refused, Missing))]
async fn regenerate(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<TokenRes>> {
    let mut token: Token = resource::load(&state, &caller, id, Action::Regenerate).await?;
    let now = clock::now();
    let value = new_token_value();
    state
        .store
        .replace_token_value(
            id,
            &hash_token_value(&value),
            &token.event(EventKind::TokenRegenerated, &caller),
            now,
        )
        .await?;
    token.updated_at = now;
    Ok(Json(TokenRes::new(token, Some(value))))
}
