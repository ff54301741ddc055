use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use federa_domain::access::{Action, Identity, Object};
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::listing::Page;
use federa_domain::participant::check_name;
use federa_domain::pools::{GeneratorType, ServicePoolValue, SERVICE_POOL_VALUE_LIST};
use federa_store::pools::PoolFamily;
use federa_store::StoreError;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::Caller;
use crate::clock;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, IdPath, QueryPairs};
use crate::routes::PageRes;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServicePoolValueRes {
    id: Uuid,
    name: String,
    #[schema(value_type = Object)]
    value: Value,
    service_pool_id: Uuid,
    /// The service holding the value; absent while it is free.
    #[serde(skip_serializing_if = "Option::is_none")]
    service_id: Option<Uuid>,
    /// The property of that service the value fills.
    #[serde(skip_serializing_if = "Option::is_none")]
    property_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    allocated_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<ServicePoolValue> for ServicePoolValueRes {
    fn from(v: ServicePoolValue) -> Self {
        ServicePoolValueRes {
            id: v.id,
            name: v.name,
            value: v.value,
            service_pool_id: v.service_pool_id,
            service_id: v.service_id,
            property_name: v.property_name,
            allocated_at: v.allocated_at,
            created_at: v.created_at,
            updated_at: v.updated_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServicePoolValueCreateReq {
    service_pool_id: Uuid,
    name: String,
    /// A value of the pool's `propertyType`.
    #[schema(value_type = Object)]
    value: Value,
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, delete))
}

fn value_event(kind: &str, caller: &Identity, value: &ServicePoolValue) -> NewEvent {
    NewEvent::new(kind, Initiator::of(caller), value.id)
        .provider(Some(value.provider_id))
        .properties(json!({"name": value.name, "servicePoolId": value.service_pool_id}))
}

async fn load(
    state: &AppState,
    caller: &Identity,
    id: Uuid,
    action: Action,
) -> ApiResult<ServicePoolValue> {
    caller.may(Object::ServicePoolValue, action)?;
    let value = state
        .store
        .service_pool_value(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    caller.authorize(Object::ServicePoolValue, action, &value.owners())?;
    Ok(value)
}

fn allocated(value: &ServicePoolValue) -> ApiError {
    ApiError::field(
        "serviceId",
        format!(
            "the value is held by service {}; it can be deleted once that service releases it",
            value.service_id.unwrap_or_default()
        ),
    )
}

/// List service pool values with the service holding each.
#[utoipa::path(get, path = "/service-pool-values", tag = "Service pools",
    params(("page" = Option<u32>, Query), ("pageSize" = Option<u32>, Query), ("sort" = Option<String>, Query),
        ("name" = Option<String>, Query), ("servicePoolId" = Option<Uuid>, Query), ("serviceId" = Option<Uuid>, Query)),
    responses((status = 200, body = PageRes<ServicePoolValueRes>), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403)))]
async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
    QueryPairs(pairs): QueryPairs,
) -> ApiResult<Json<Page<ServicePoolValueRes>>> {
    let scope = caller.list_scope(Object::ServicePoolValue)?;
    let query = SERVICE_POOL_VALUE_LIST.parse(&pairs)?;
    let page = state.store.service_pool_values(scope, &query).await?;
    Ok(Json(page.map(ServicePoolValueRes::from)))
}

/// Add a value to a `list` pool; `subnet` pools create their own.
#[utoipa::path(post, path = "/service-pool-values", tag = "Service pools", request_body = ServicePoolValueCreateReq,
    responses((status = 201, body = ServicePoolValueRes), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403)))]
async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Body(req): Body<ServicePoolValueCreateReq>,
) -> ApiResult<(StatusCode, Json<ServicePoolValueRes>)> {
    caller.may(Object::ServicePoolValue, Action::Create)?;
    let pool = state
        .store
        .service_pool(req.service_pool_id)
        .await?
        .ok_or_else(|| ApiError::field("servicePoolId", "no service pool has this id"))?;
    caller.authorize(Object::ServicePoolValue, Action::Create, &pool.owners())?;
    if pool.generator_type != GeneratorType::List {
        return Err(ApiError::field(
            "servicePoolId",
            "values can only be added to a list pool; a subnet pool generates its own",
        ));
    }
    let name = check_name("name", &req.name)?;
    pool.property_type.check("value", &req.value)?;
    let now = clock::now();
    let value = ServicePoolValue {
        id: Uuid::now_v7(),
        name,
        value: req.value,
        service_pool_id: pool.id,
        provider_id: pool.provider_id,
        service_id: None,
        property_name: None,
        allocated_at: None,
        created_at: now,
        updated_at: now,
    };
    let event = value_event("service_pool_value.created", &caller, &value);
    state
        .store
        .insert_service_pool_value(&value, &event)
        .await?;
    Ok((StatusCode::CREATED, Json(value.into())))
}

/// Get a service pool value.
#[utoipa::path(get, path = "/service-pool-values/{id}", tag = "Service pools", params(("id" = Uuid, Path)),
    responses((status = 200, body = ServicePoolValueRes), (status = 401), (status = 403), (status = 404)))]
async fn get(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<ServicePoolValueRes>> {
    Ok(Json(load(&state, &caller, id, Action::Get).await?.into()))
}

/// Delete a value no service holds.
#[utoipa::path(delete, path = "/service-pool-values/{id}", tag = "Service pools", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403), (status = 404)))]
async fn delete(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    let value = load(&state, &caller, id, Action::Delete).await?;
    if value.service_id.is_some() {
        return Err(allocated(&value));
    }
    let event = value_event("service_pool_value.deleted", &caller, &value);
    match state
        .store
        .delete_free_pool_value(PoolFamily::Service, id, &event, clock::now())
        .await
    {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        // Taken by an order between the read and the delete.
        Err(StoreError::NotFound) => match state.store.service_pool_value(id).await? {
            Some(now_held) => Err(allocated(&now_held)),
            None => Err(ApiError::NotFound),
        },
        Err(other) => Err(other.into()),
    }
}
