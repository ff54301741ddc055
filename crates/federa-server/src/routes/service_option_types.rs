use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use federa_domain::access::{Action, Object, Owners};
use federa_domain::catalogue::{
    check_option_type_key, ServiceOptionType, SERVICE_OPTION_TYPE_LIST,
};
use federa_domain::event_kind::EventKind;
use federa_domain::listing::Page;
use federa_domain::participant::check_name;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::catalogue_event::catalogue_event;
use federa_api::service_option_types::{
    ServiceOptionTypeCreateReq, ServiceOptionTypeRes, ServiceOptionTypeUpdateReq,
};

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

/// List service option types.
#[utoipa::path(get, path = "/service-option-types", tag = "Service options",
    params(("page" = Option<u32>, Query), ("pageSize" = Option<u32>, Query), ("sort" = Option<String>, Query),
        ("name" = Option<String>, Query), ("type" = Option<String>, Query)),
    responses((status = 200, body = PageRes<ServiceOptionTypeRes>), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403)))]
async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
    QueryPairs(pairs): QueryPairs,
) -> ApiResult<Json<Page<ServiceOptionTypeRes>>> {
    caller.may(Object::ServiceOptionType, Action::List)?;
    let query = SERVICE_OPTION_TYPE_LIST.parse(&pairs)?;
    let page = state.store.service_option_types(&query).await?;
    Ok(Json(page.map(ServiceOptionTypeRes::from)))
}

/// Create a service option type.
#[utoipa::path(post, path = "/service-option-types", tag = "Service options", request_body = ServiceOptionTypeCreateReq,
    responses((status = 201, body = ServiceOptionTypeRes), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403), (status = 409, body = crate::routes::ErrorRes)))]
async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Body(req): Body<ServiceOptionTypeCreateReq>,
) -> ApiResult<(StatusCode, Json<ServiceOptionTypeRes>)> {
    caller.authorize(Object::ServiceOptionType, Action::Create, &Owners::none())?;
    let mut errors = Vec::new();
    let name = check_name("name", &req.name)
        .map_err(|e| errors.push(e))
        .ok();
    let type_key = check_option_type_key(&req.type_key)
        .map_err(|e| errors.push(e))
        .ok();
    let (Some(name), Some(type_key)) = (name, type_key) else {
        return Err(ApiError::Invalid(errors));
    };
    let now = clock::now();
    let option_type = ServiceOptionType {
        id: Uuid::now_v7(),
        name,
        type_key,
        description: req.description,
        created_at: now,
        updated_at: now,
    };
    let event = catalogue_event(
        EventKind::ServiceOptionTypeCreated,
        &caller,
        option_type.id,
        &option_type.name,
    );
    state
        .store
        .insert_service_option_type(&option_type, &event)
        .await?;
    Ok((StatusCode::CREATED, Json(option_type.into())))
}

/// Get a service option type.
#[utoipa::path(get, path = "/service-option-types/{id}", tag = "Service options", params(("id" = Uuid, Path)),
    responses((status = 200, body = ServiceOptionTypeRes), (status = 401), (status = 403), (status = 404)))]
async fn get(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<ServiceOptionTypeRes>> {
    caller.may(Object::ServiceOptionType, Action::Get)?;
    let option_type = state
        .store
        .service_option_type(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(option_type.into()))
}

/// Update a service option type's name or description; its `type` is fixed.
#[utoipa::path(patch, path = "/service-option-types/{id}", tag = "Service options", params(("id" = Uuid, Path)), request_body = ServiceOptionTypeUpdateReq,
    responses((status = 200, body = ServiceOptionTypeRes), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403), (status = 404)))]
async fn update(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    Body(req): Body<ServiceOptionTypeUpdateReq>,
) -> ApiResult<Json<ServiceOptionTypeRes>> {
    caller.authorize(Object::ServiceOptionType, Action::Update, &Owners::none())?;
    let mut option_type = state
        .store
        .service_option_type(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if let Some(name) = req.name {
        option_type.name = check_name("name", &name)?;
    }
    if let Some(description) = req.description {
        option_type.description = Some(description).filter(|d| !d.is_empty());
    }
    option_type.updated_at = clock::now();
    let event = catalogue_event(
        EventKind::ServiceOptionTypeUpdated,
        &caller,
        id,
        &option_type.name,
    );
    state
        .store
        .update_service_option_type(&option_type, &event)
        .await?;
    Ok(Json(option_type.into()))
}

/// Delete a service option type no provider publishes options for.
#[utoipa::path(delete, path = "/service-option-types/{id}", tag = "Service options", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 401), (status = 403), (status = 404), (status = 409, body = crate::routes::ErrorRes)))]
async fn delete(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    caller.authorize(Object::ServiceOptionType, Action::Delete, &Owners::none())?;
    let option_type = state
        .store
        .service_option_type(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let event = catalogue_event(
        EventKind::ServiceOptionTypeDeleted,
        &caller,
        id,
        &option_type.name,
    );
    state
        .store
        .delete_service_option_type(id, &event, clock::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
