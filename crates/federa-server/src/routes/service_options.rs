use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use federa_domain::access::{Action, Identity, Object, Owners};
use federa_domain::catalogue::{ServiceOption, SERVICE_OPTION_LIST};
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::event_kind::EventKind;
use federa_domain::listing::Page;
use federa_domain::participant::check_name;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use federa_api::service_options::{
    ServiceOptionCreateReq, ServiceOptionRes, ServiceOptionUpdateReq,
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

fn option_event(kind: EventKind, caller: &Identity, option: &ServiceOption) -> NewEvent {
    NewEvent::new(kind, Initiator::of(caller), option.id)
        .provider(Some(option.provider_id))
        .properties(
            json!({"name": option.name, "serviceOptionTypeId": option.service_option_type_id}),
        )
}

async fn load(
    state: &AppState,
    caller: &Identity,
    id: Uuid,
    action: Action,
) -> ApiResult<ServiceOption> {
    fetch_authorized(
        caller,
        Object::ServiceOption,
        action,
        state.store.service_option(id),
        ServiceOption::owners,
    )
    .await
}

/// `null` is not an option a property could hold.
fn check_value(value: &Value) -> ApiResult<()> {
    if value.is_null() {
        return Err(ApiError::field("value", "must not be null"));
    }
    Ok(())
}

/// List service options.
#[utoipa::path(get, path = "/service-options", tag = "Service options",
    params(("page" = Option<u32>, Query), ("pageSize" = Option<u32>, Query), ("sort" = Option<String>, Query),
        ("name" = Option<String>, Query), ("providerId" = Option<Uuid>, Query), ("serviceOptionTypeId" = Option<Uuid>, Query), ("enabled" = Option<bool>, Query)),
    responses((status = 200, body = PageRes<ServiceOptionRes>), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403)))]
async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
    QueryPairs(pairs): QueryPairs,
) -> ApiResult<Json<Page<ServiceOptionRes>>> {
    let scope = caller.list_scope(Object::ServiceOption)?;
    let query = SERVICE_OPTION_LIST.parse(&pairs)?;
    let page = state.store.service_options(scope, &query).await?;
    Ok(Json(page.map(ServiceOptionRes::from)))
}

/// Publish an option for a provider.
#[utoipa::path(post, path = "/service-options", tag = "Service options", request_body = ServiceOptionCreateReq,
    responses((status = 201, body = ServiceOptionRes), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403)))]
async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Body(req): Body<ServiceOptionCreateReq>,
) -> ApiResult<(StatusCode, Json<ServiceOptionRes>)> {
    caller.authorize(
        Object::ServiceOption,
        Action::Create,
        &Owners::owner(req.provider_id),
    )?;
    let name = check_name("name", &req.name)?;
    check_value(&req.value)?;
    if state.store.participant(req.provider_id).await?.is_none() {
        return Err(ApiError::field("providerId", "no participant has this id"));
    }
    if state
        .store
        .service_option_type(req.service_option_type_id)
        .await?
        .is_none()
    {
        return Err(ApiError::field(
            "serviceOptionTypeId",
            "no service option type has this id",
        ));
    }
    let now = clock::now();
    let option = ServiceOption {
        id: Uuid::now_v7(),
        provider_id: req.provider_id,
        service_option_type_id: req.service_option_type_id,
        name,
        value: req.value,
        enabled: req.enabled.unwrap_or(true),
        display_order: req.display_order.unwrap_or(0),
        created_at: now,
        updated_at: now,
    };
    let event = option_event(EventKind::ServiceOptionCreated, &caller, &option);
    state.store.insert_service_option(&option, &event).await?;
    Ok((StatusCode::CREATED, Json(option.into())))
}

/// Get a service option.
#[utoipa::path(get, path = "/service-options/{id}", tag = "Service options", params(("id" = Uuid, Path)),
    responses((status = 200, body = ServiceOptionRes), (status = 401), (status = 403), (status = 404)))]
async fn get(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<ServiceOptionRes>> {
    Ok(Json(load(&state, &caller, id, Action::Get).await?.into()))
}

/// Update a service option.
#[utoipa::path(patch, path = "/service-options/{id}", tag = "Service options", params(("id" = Uuid, Path)), request_body = ServiceOptionUpdateReq,
    responses((status = 200, body = ServiceOptionRes), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403), (status = 404)))]
async fn update(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    Body(req): Body<ServiceOptionUpdateReq>,
) -> ApiResult<Json<ServiceOptionRes>> {
    let mut option = load(&state, &caller, id, Action::Update).await?;
    if let Some(name) = req.name {
        option.name = check_name("name", &name)?;
    }
    if let Some(value) = req.value {
        check_value(&value)?;
        option.value = value;
    }
    if let Some(enabled) = req.enabled {
        option.enabled = enabled;
    }
    if let Some(order) = req.display_order {
        option.display_order = order;
    }
    option.updated_at = clock::now();
    let event = option_event(EventKind::ServiceOptionUpdated, &caller, &option);
    state.store.update_service_option(&option, &event).await?;
    Ok(Json(option.into()))
}

/// Delete a service option.
#[utoipa::path(delete, path = "/service-options/{id}", tag = "Service options", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 401), (status = 403), (status = 404)))]
async fn delete(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    let option = load(&state, &caller, id, Action::Delete).await?;
    let event = option_event(EventKind::ServiceOptionDeleted, &caller, &option);
    state
        .store
        .delete_service_option(id, &event, clock::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
