use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use federa_domain::access::{Action, Object, Owners};
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::event_kind::EventKind;
use federa_domain::listing::Page;
use federa_domain::participant::{check_name, Participant, ParticipantStatus, PARTICIPANT_LIST};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use federa_api::participants::{ParticipantCreateReq, ParticipantRes, ParticipantUpdateReq};

use crate::auth::Caller;
use crate::authorized::fetch_authorized;
use crate::clock;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, IdPath, QueryPairs};
use crate::routes::PageRes;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, update, delete))
}

/// List participants.
#[utoipa::path(get, path = "/participants", tag = "Participants",
    params(("page" = Option<u32>, Query), ("pageSize" = Option<u32>, Query), ("sort" = Option<String>, Query, description = "name or createdAt, prefixed with + or -"),
        ("name" = Option<String>, Query), ("status" = Option<ParticipantStatus>, Query)),
    responses((status = 200, body = PageRes<ParticipantRes>), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403)))]
async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
    QueryPairs(pairs): QueryPairs,
) -> ApiResult<Json<Page<ParticipantRes>>> {
    let scope = caller.list_scope(Object::Participant)?;
    let query = PARTICIPANT_LIST.parse(&pairs)?;
    let page = state.store.participants(scope, &query).await?;
    Ok(Json(page.map(ParticipantRes::from)))
}

/// Create a participant.
#[utoipa::path(post, path = "/participants", tag = "Participants", request_body = ParticipantCreateReq,
    responses((status = 201, body = ParticipantRes), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403)))]
async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Body(req): Body<ParticipantCreateReq>,
) -> ApiResult<(StatusCode, Json<ParticipantRes>)> {
    caller.authorize(Object::Participant, Action::Create, &Owners::none())?;
    let now = clock::now();
    let participant = Participant {
        id: Uuid::now_v7(),
        name: check_name("name", &req.name)?,
        status: req.status,
        created_at: now,
        updated_at: now,
    };
    let event = NewEvent::new(
        EventKind::ParticipantCreated,
        Initiator::of(&caller),
        participant.id,
    )
    .provider(Some(participant.id))
    .consumer(Some(participant.id))
    .properties(serde_json::json!({"name": participant.name, "status": participant.status}));
    state.store.insert_participant(&participant, &event).await?;
    Ok((StatusCode::CREATED, Json(participant.into())))
}

/// Get a participant.
#[utoipa::path(get, path = "/participants/{id}", tag = "Participants", params(("id" = Uuid, Path)),
    responses((status = 200, body = ParticipantRes), (status = 401), (status = 403), (status = 404)))]
async fn get(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<ParticipantRes>> {
    let participant = fetch_authorized(
        &caller,
        Object::Participant,
        Action::Get,
        state.store.participant(id),
        |_| Owners::owner(id),
    )
    .await?;
    Ok(Json(participant.into()))
}

/// Update a participant's name or (as admin) status.
#[utoipa::path(patch, path = "/participants/{id}", tag = "Participants", params(("id" = Uuid, Path)), request_body = ParticipantUpdateReq,
    responses((status = 200, body = ParticipantRes), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403), (status = 404)))]
async fn update(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    Body(req): Body<ParticipantUpdateReq>,
) -> ApiResult<Json<ParticipantRes>> {
    let mut participant = fetch_authorized(
        &caller,
        Object::Participant,
        Action::Update,
        state.store.participant(id),
        |_| Owners::owner(id),
    )
    .await?;
    if let Some(name) = req.name {
        participant.name = check_name("name", &name)?;
    }
    if let Some(status) = req.status {
        // Disabling suspends a participant; it may not lift that itself.
        if status != participant.status && !caller.is_admin() {
            return Err(ApiError::Forbidden(
                "only an admin changes a participant's status".into(),
            ));
        }
        participant.status = status;
    }
    participant.updated_at = clock::now();
    let event = NewEvent::new(EventKind::ParticipantUpdated, Initiator::of(&caller), id)
        .provider(Some(id))
        .consumer(Some(id))
        .properties(serde_json::json!({"name": participant.name, "status": participant.status}));
    state.store.update_participant(&participant, &event).await?;
    Ok(Json(participant.into()))
}

/// Delete a participant and its tokens.
#[utoipa::path(delete, path = "/participants/{id}", tag = "Participants", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 401), (status = 403), (status = 404), (status = 409, body = crate::routes::ErrorRes)))]
async fn delete(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    caller.authorize(Object::Participant, Action::Delete, &Owners::owner(id))?;
    let event = NewEvent::new(EventKind::ParticipantDeleted, Initiator::of(&caller), id)
        .provider(Some(id))
        .consumer(Some(id));
    state
        .store
        .delete_participant(id, &event, clock::now())
        .await
        .map_err(|e| match e {
            federa_store::StoreError::Conflict(_) => ApiError::Conflict(
                "the participant still owns agents, services or other objects; delete them first"
                    .into(),
            ),
            other => other.into(),
        })?;
    Ok(StatusCode::NO_CONTENT)
}
