//! `/users`: the people who belong to participants. An admin creates,
//! changes and deletes them; a person reads its own user. A user's personal
//! tokens are under `/users/{id}/tokens`, made by the user or an admin.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use federa_domain::access::{Action, Identity, Object, Owners, Role};
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::event_kind::EventKind;
use federa_domain::listing::{FieldError, ListSpec, Page};
use federa_domain::participant::check_name;
use federa_domain::people::personal_token::VALUE_PREFIX;
use federa_domain::people::{
    check_email, check_subject, PersonalToken, User, PERSONAL_TOKEN_LIST, USER_LIST,
};
use federa_domain::token::DEFAULT_LIFETIME;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use federa_api::people::{
    PersonalTokenCreateReq, PersonalTokenRes, UserCreateReq, UserRes, UserUpdateReq,
};

use crate::auth::{hash_token_value, new_token_value, Caller};
use crate::clock;
use crate::error::{ApiError, ApiResult};
use crate::extract::{uuid_param, Body, IdPath, QueryPairs};
use crate::resource::{self, ChangeKinds, Edited, Resource};
use crate::routes::documented::{Conflicting, Invalid, Missing, Paging, Refused};
use crate::routes::record_routes::{delete_route, get_route, list_route};
use crate::routes::PageRes;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, update, delete))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(delete_token))
}

impl Resource for User {
    const OBJECT: Object = Object::User;
    const LIST: ListSpec = USER_LIST;
    type Res = UserRes;

    fn res(self) -> UserRes {
        self.into()
    }

    fn owners(&self) -> Owners {
        User::owners(self)
    }
}

impl Edited for User {
    const CHANGES: ChangeKinds = ChangeKinds {
        created: EventKind::UserCreated,
        updated: EventKind::UserUpdated,
        deleted: EventKind::UserDeleted,
    };

    /// Only the name: an address or subject is the person's, not the log's.
    fn event(&self, kind: EventKind, caller: &Identity) -> NewEvent {
        NewEvent::new(kind, Initiator::of(caller), self.id).properties(json!({"name": self.name}))
    }
}

impl Resource for PersonalToken {
    const OBJECT: Object = Object::PersonalToken;
    const LIST: ListSpec = PERSONAL_TOKEN_LIST;
    type Res = PersonalTokenRes;

    /// Never the value, which only its creation shows.
    fn res(self) -> PersonalTokenRes {
        PersonalTokenRes::new(self, None)
    }

    fn owners(&self) -> Owners {
        PersonalToken::owners(self)
    }
}

impl Edited for PersonalToken {
    const CHANGES: ChangeKinds = ChangeKinds {
        created: EventKind::PersonalTokenCreated,
        // A personal token is never changed, only made and revoked.
        updated: EventKind::PersonalTokenCreated,
        deleted: EventKind::PersonalTokenDeleted,
    };

    fn event(&self, kind: EventKind, caller: &Identity) -> NewEvent {
        NewEvent::new(kind, Initiator::of(caller), self.id)
            .provider(Some(self.participant_id))
            .properties(json!({"name": self.name, "userId": self.user_id}))
    }
}

/// A user's fields as a request gave them, checked: `None` where the
/// request left one out, `Some(None)` where it emptied an optional one.
struct CheckedFields {
    name: Option<String>,
    email: Option<Option<String>>,
    subject: Option<Option<String>>,
}

/// The checked name, address and subject of a user, or every field that failed.
fn checked_fields(
    name: Option<&str>,
    email: Option<&str>,
    subject: Option<&str>,
) -> ApiResult<CheckedFields> {
    let mut errors = Vec::new();
    let name = name.and_then(|n| check_name("name", n).map_err(|e| errors.push(e)).ok());
    let email = email.and_then(|e| check_email("email", e).map_err(|e| errors.push(e)).ok());
    let subject = subject.and_then(|s| {
        check_subject("oidcSubject", s)
            .map_err(|e| errors.push(e))
            .ok()
    });
    if errors.is_empty() {
        Ok(CheckedFields {
            name,
            email,
            subject,
        })
    } else {
        Err(ApiError::Invalid(errors))
    }
}

list_route!(
    /// List users (admins only).
    "/users", "Users",
    params(Paging, ("name" = Option<String>, Query), ("email" = Option<String>, Query), ("oidcSubject" = Option<String>, Query)),
    User => UserRes
);

/// Create a user; an OpenID Connect login with its `oidcSubject` acts as it.
#[utoipa::path(post, path = "/users", tag = "Users", request_body = UserCreateReq,
    responses((status = 201, body = UserRes), Invalid, Refused, Conflicting))]
async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Body(req): Body<UserCreateReq>,
) -> ApiResult<(StatusCode, Json<UserRes>)> {
    caller.authorize(Object::User, Action::Create, &Owners::none())?;
    let CheckedFields {
        name,
        email,
        subject,
    } = checked_fields(
        Some(&req.name),
        req.email.as_deref(),
        req.oidc_subject.as_deref(),
    )?;
    let now = clock::now();
    let user = User {
        id: Uuid::now_v7(),
        name: name.unwrap_or_default(),
        email: email.flatten(),
        oidc_subject: subject.flatten(),
        created_at: now,
        updated_at: now,
    };
    resource::create(&state, &caller, user).await
}

get_route!(
    /// Get a user: an admin any, a person its own.
    "/users/{id}", "Users", User => UserRes
);

/// Change a user's name, address or OpenID Connect subject.
#[utoipa::path(patch, path = "/users/{id}", tag = "Users", params(("id" = Uuid, Path)), request_body = UserUpdateReq,
    responses((status = 200, body = UserRes), Invalid, Refused, Missing, Conflicting))]
async fn update(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    Body(req): Body<UserUpdateReq>,
) -> ApiResult<Json<UserRes>> {
    let mut user: User = resource::load(&state, &caller, id, Action::Update).await?;
    let CheckedFields {
        name,
        email,
        subject,
    } = checked_fields(
        req.name.as_deref(),
        req.email.as_deref(),
        req.oidc_subject.as_deref(),
    )?;
    if let Some(name) = name {
        user.name = name;
    }
    if let Some(email) = email {
        user.email = email;
    }
    if let Some(subject) = subject {
        user.oidc_subject = subject;
    }
    user.updated_at = clock::now();
    resource::save(&state, &caller, user).await
}

delete_route!(
    /// Delete a user, its memberships and its personal tokens.
    "/users/{id}", "Users", User,
    responses(Refused, Missing)
);

/// The user `id`, if `caller` may do `action` to its personal tokens.
async fn tokens_user(
    state: &AppState,
    caller: &Identity,
    id: Uuid,
    action: Action,
) -> ApiResult<User> {
    crate::authorized::fetch_authorized(
        caller,
        Object::PersonalToken,
        action,
        state.store.record::<User>(id),
        User::owners,
    )
    .await
}

/// List a user's personal tokens (never their values).
#[utoipa::path(get, path = "/users/{id}/tokens", tag = "Users",
    params(("id" = Uuid, Path), Paging, ("name" = Option<String>, Query), ("participantId" = Option<Uuid>, Query)),
    responses((status = 200, body = PageRes<PersonalTokenRes>), Invalid, Refused, Missing))]
async fn list_tokens(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    QueryPairs(mut pairs): QueryPairs,
) -> ApiResult<Json<Page<PersonalTokenRes>>> {
    tokens_user(&state, &caller, id, Action::List).await?;
    // The path names whose tokens these are; a `userId` in the query
    // cannot widen that.
    pairs.retain(|(key, _)| key != "userId");
    pairs.push(("userId".into(), id.to_string()));
    let query = PERSONAL_TOKEN_LIST.parse(&pairs)?;
    let page = state
        .store
        .records::<PersonalToken>(federa_domain::access::ListScope::All, &query)
        .await?;
    Ok(Json(page.map(PersonalToken::res)))
}

/// Make a personal token acting for a participant the user belongs to, with
/// the user's role there; its value is in this answer only.
#[utoipa::path(post, path = "/users/{id}/tokens", tag = "Users", params(("id" = Uuid, Path)), request_body = PersonalTokenCreateReq,
    responses((status = 201, body = PersonalTokenRes), Invalid, Refused, Missing))]
async fn create_token(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    Body(req): Body<PersonalTokenCreateReq>,
) -> ApiResult<(StatusCode, Json<PersonalTokenRes>)> {
    let user = tokens_user(&state, &caller, id, Action::Create).await?;
    let now = clock::now();
    let mut errors = Vec::new();
    let name = check_name("name", &req.name)
        .map_err(|e| errors.push(e))
        .ok();
    let expire_at = req.expire_at.unwrap_or(now + DEFAULT_LIFETIME);
    // A person's token lives no longer than a participant's.
    if let Err(e) = state
        .token_lifetimes
        .check_expiry(Role::Participant, expire_at, now)
    {
        errors.push(e);
    }
    if state
        .store
        .membership_of(user.id, req.participant_id)
        .await?
        .is_none()
    {
        errors.push(FieldError::new(
            "participantId",
            "the user does not belong to this participant",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let token = PersonalToken {
        id: Uuid::now_v7(),
        user_id: user.id,
        participant_id: req.participant_id,
        name: name.unwrap_or_default(),
        expire_at,
        created_at: now,
        updated_at: now,
    };
    let value = format!("{VALUE_PREFIX}{}", new_token_value());
    state
        .store
        .insert_personal_token(
            &token,
            &hash_token_value(&value),
            &token.event(EventKind::PersonalTokenCreated, &caller),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(PersonalTokenRes::new(token, Some(value))),
    ))
}

/// Revoke a personal token; it stops working at once.
#[utoipa::path(delete, path = "/users/{id}/tokens/{tokenId}", tag = "Users",
    params(("id" = Uuid, Path), ("tokenId" = Uuid, Path)),
    responses((status = 204), Invalid, Refused, Missing))]
async fn delete_token(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path((id, token_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let id = uuid_param("id", &id)?;
    let token_id = uuid_param("tokenId", &token_id)?;
    let token: PersonalToken = resource::load(&state, &caller, token_id, Action::Delete).await?;
    if token.user_id != id {
        return Err(ApiError::NotFound);
    }
    resource::delete::<PersonalToken>(&state, &caller, token_id).await
}
