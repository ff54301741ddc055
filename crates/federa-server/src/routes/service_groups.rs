use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use federa_domain::access::{Action, Identity, Object, Owners};
use federa_domain::catalogue::{ServiceGroup, SERVICE_GROUP_LIST};
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::event_kind::EventKind;
use federa_domain::listing::Page;
use federa_domain::participant::check_name;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use federa_api::service_groups::{ServiceGroupCreateReq, ServiceGroupRes, ServiceGroupUpdateReq};

use crate::auth::Caller;
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

fn group_event(kind: EventKind, caller: &Identity, group: &ServiceGroup) -> NewEvent {
    NewEvent::new(kind, Initiator::of(caller), group.id)
        .consumer(Some(group.consumer_id))
        .properties(json!({"name": group.name}))
}

/// Loads a group; an agent may read the groups of the services it runs.
async fn load(
    state: &AppState,
    caller: &Identity,
    id: Uuid,
    action: Action,
) -> ApiResult<ServiceGroup> {
    caller.may(Object::ServiceGroup, action)?;
    let group = state
        .store
        .service_group(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut owners = group.owners();
    if let Some(agent_id) = caller.agent_id() {
        if state.store.group_has_agent(id, agent_id).await? {
            owners = owners.with_agent(Some(agent_id));
        }
    }
    caller.authorize(Object::ServiceGroup, action, &owners)?;
    Ok(group)
}

/// List service groups.
#[utoipa::path(get, path = "/service-groups", tag = "Service groups",
    params(("page" = Option<u32>, Query), ("pageSize" = Option<u32>, Query), ("sort" = Option<String>, Query),
        ("name" = Option<String>, Query), ("consumerId" = Option<Uuid>, Query)),
    responses((status = 200, body = PageRes<ServiceGroupRes>), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403)))]
async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
    QueryPairs(pairs): QueryPairs,
) -> ApiResult<Json<Page<ServiceGroupRes>>> {
    let scope = caller.list_scope(Object::ServiceGroup)?;
    let query = SERVICE_GROUP_LIST.parse(&pairs)?;
    let page = state.store.service_groups(scope, &query).await?;
    Ok(Json(page.map(ServiceGroupRes::from)))
}

/// Create a service group for a consumer.
#[utoipa::path(post, path = "/service-groups", tag = "Service groups", request_body = ServiceGroupCreateReq,
    responses((status = 201, body = ServiceGroupRes), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403)))]
async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Body(req): Body<ServiceGroupCreateReq>,
) -> ApiResult<(StatusCode, Json<ServiceGroupRes>)> {
    caller.authorize(
        Object::ServiceGroup,
        Action::Create,
        &Owners::owner(req.consumer_id),
    )?;
    let name = check_name("name", &req.name)?;
    if state.store.participant(req.consumer_id).await?.is_none() {
        return Err(ApiError::field("consumerId", "no participant has this id"));
    }
    let now = clock::now();
    let group = ServiceGroup {
        id: Uuid::now_v7(),
        name,
        consumer_id: req.consumer_id,
        created_at: now,
        updated_at: now,
    };
    state
        .store
        .insert_service_group(
            &group,
            &group_event(EventKind::ServiceGroupCreated, &caller, &group),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(group.into())))
}

/// Get a service group.
#[utoipa::path(get, path = "/service-groups/{id}", tag = "Service groups", params(("id" = Uuid, Path)),
    responses((status = 200, body = ServiceGroupRes), (status = 401), (status = 403), (status = 404)))]
async fn get(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<ServiceGroupRes>> {
    Ok(Json(load(&state, &caller, id, Action::Get).await?.into()))
}

/// Rename a service group.
#[utoipa::path(patch, path = "/service-groups/{id}", tag = "Service groups", params(("id" = Uuid, Path)), request_body = ServiceGroupUpdateReq,
    responses((status = 200, body = ServiceGroupRes), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403), (status = 404)))]
async fn update(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    Body(req): Body<ServiceGroupUpdateReq>,
) -> ApiResult<Json<ServiceGroupRes>> {
    let mut group = load(&state, &caller, id, Action::Update).await?;
    if let Some(name) = req.name {
        group.name = check_name("name", &name)?;
    }
    group.updated_at = clock::now();
    state
        .store
        .update_service_group(
            &group,
            &group_event(EventKind::ServiceGroupUpdated, &caller, &group),
        )
        .await?;
    Ok(Json(group.into()))
}

/// Delete a service group that has no services.
#[utoipa::path(delete, path = "/service-groups/{id}", tag = "Service groups", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 401), (status = 403), (status = 404), (status = 409, body = crate::routes::ErrorRes)))]
async fn delete(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    let group = load(&state, &caller, id, Action::Delete).await?;
    let event = group_event(EventKind::ServiceGroupDeleted, &caller, &group);
    state
        .store
        .delete_service_group(id, &event, clock::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
