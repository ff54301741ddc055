use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use federa_domain::access::{Action, Identity, Object, Owners};
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::event_kind::EventKind;
use federa_domain::listing::Page;
use federa_domain::participant::check_name;
use federa_domain::pools::{ServicePoolSet, SERVICE_POOL_SET_LIST};
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use federa_api::service_pool_sets::{
    ServicePoolSetCreateReq, ServicePoolSetRes, ServicePoolSetUpdateReq,
};

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

fn set_event(kind: EventKind, caller: &Identity, set: &ServicePoolSet) -> NewEvent {
    NewEvent::new(kind, Initiator::of(caller), set.id)
        .provider(Some(set.provider_id))
        .properties(json!({"name": set.name}))
}

async fn load(
    state: &AppState,
    caller: &Identity,
    id: Uuid,
    action: Action,
) -> ApiResult<ServicePoolSet> {
    fetch_authorized(
        caller,
        Object::ServicePoolSet,
        action,
        state.store.service_pool_set(id),
        ServicePoolSet::owners,
    )
    .await
}

/// List service pool sets.
#[utoipa::path(get, path = "/service-pool-sets", tag = "Service pools",
    params(("page" = Option<u32>, Query), ("pageSize" = Option<u32>, Query), ("sort" = Option<String>, Query),
        ("name" = Option<String>, Query), ("providerId" = Option<Uuid>, Query)),
    responses((status = 200, body = PageRes<ServicePoolSetRes>), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403)))]
async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
    QueryPairs(pairs): QueryPairs,
) -> ApiResult<Json<Page<ServicePoolSetRes>>> {
    let scope = caller.list_scope(Object::ServicePoolSet)?;
    let query = SERVICE_POOL_SET_LIST.parse(&pairs)?;
    let page = state.store.service_pool_sets(scope, &query).await?;
    Ok(Json(page.map(ServicePoolSetRes::from)))
}

/// Create a pool set for a provider; its agents name it as `servicePoolSetId`.
#[utoipa::path(post, path = "/service-pool-sets", tag = "Service pools", request_body = ServicePoolSetCreateReq,
    responses((status = 201, body = ServicePoolSetRes), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403)))]
async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Body(req): Body<ServicePoolSetCreateReq>,
) -> ApiResult<(StatusCode, Json<ServicePoolSetRes>)> {
    caller.authorize(
        Object::ServicePoolSet,
        Action::Create,
        &Owners::owner(req.provider_id),
    )?;
    let name = check_name("name", &req.name)?;
    if state.store.participant(req.provider_id).await?.is_none() {
        return Err(ApiError::field("providerId", "no participant has this id"));
    }
    let now = clock::now();
    let set = ServicePoolSet {
        id: Uuid::now_v7(),
        name,
        provider_id: req.provider_id,
        created_at: now,
        updated_at: now,
    };
    let event = set_event(EventKind::ServicePoolSetCreated, &caller, &set);
    state.store.insert_service_pool_set(&set, &event).await?;
    Ok((StatusCode::CREATED, Json(set.into())))
}

/// Get a service pool set.
#[utoipa::path(get, path = "/service-pool-sets/{id}", tag = "Service pools", params(("id" = Uuid, Path)),
    responses((status = 200, body = ServicePoolSetRes), (status = 401), (status = 403), (status = 404)))]
async fn get(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<ServicePoolSetRes>> {
    Ok(Json(load(&state, &caller, id, Action::Get).await?.into()))
}

/// Rename a service pool set.
#[utoipa::path(patch, path = "/service-pool-sets/{id}", tag = "Service pools", params(("id" = Uuid, Path)), request_body = ServicePoolSetUpdateReq,
    responses((status = 200, body = ServicePoolSetRes), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403), (status = 404)))]
async fn update(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    Body(req): Body<ServicePoolSetUpdateReq>,
) -> ApiResult<Json<ServicePoolSetRes>> {
    let mut set = load(&state, &caller, id, Action::Update).await?;
    if let Some(name) = req.name {
        set.name = check_name("name", &name)?;
    }
    set.updated_at = clock::now();
    let event = set_event(EventKind::ServicePoolSetUpdated, &caller, &set);
    state.store.update_service_pool_set(&set, &event).await?;
    Ok(Json(set.into()))
}

/// Delete a service pool set that has no pools and no agent drawing from it.
#[utoipa::path(delete, path = "/service-pool-sets/{id}", tag = "Service pools", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 401), (status = 403), (status = 404), (status = 409, body = crate::routes::ErrorRes)))]
async fn delete(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    let set = load(&state, &caller, id, Action::Delete).await?;
    let event = set_event(EventKind::ServicePoolSetDeleted, &caller, &set);
    state
        .store
        .delete_service_pool_set(id, &event, clock::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
