use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use federa_domain::access::{Action, Identity, Object};
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::listing::Page;
use federa_domain::participant::check_name;
use federa_domain::pools::{
    check_pool_type, GeneratorType, PoolGenerator, PoolPropertyType, ServicePool, SERVICE_POOL_LIST,
};
use federa_store::pools::{PoolEdit, PoolFamily};
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
pub struct ServicePoolRes {
    id: Uuid,
    name: String,
    #[serde(rename = "type")]
    pool_type: String,
    /// string, integer, number, boolean or json.
    property_type: &'static str,
    /// list or subnet.
    generator_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    generator_config: Option<Value>,
    service_pool_set_id: Uuid,
    service_pool_set_name: String,
    provider_id: Uuid,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<ServicePool> for ServicePoolRes {
    fn from(p: ServicePool) -> Self {
        ServicePoolRes {
            id: p.id,
            name: p.name,
            pool_type: p.pool_type,
            property_type: p.property_type.as_str(),
            generator_type: p.generator_type.as_str(),
            generator_config: p.generator_config,
            service_pool_set_id: p.service_pool_set_id,
            service_pool_set_name: p.service_pool_set_name,
            provider_id: p.provider_id,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServicePoolCreateReq {
    name: String,
    /// The `poolType` a property's pool generator names.
    #[serde(rename = "type")]
    pool_type: String,
    /// string, integer, number, boolean or json; a subnet pool holds strings.
    property_type: String,
    /// list (values entered by the provider) or subnet (addresses of a range).
    generator_type: String,
    /// For subnet: `{"cidr": "10.0.0.0/24", "excludeFirst": 1, "excludeLast": 1, "exclude": ["10.0.0.5"]}`.
    #[schema(value_type = Option<Object>)]
    generator_config: Option<Value>,
    service_pool_set_id: Uuid,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServicePoolUpdateReq {
    name: Option<String>,
    #[schema(value_type = Option<Object>)]
    generator_config: Option<Value>,
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, update, delete))
}

fn pool_event(kind: &str, caller: &Identity, pool: &ServicePool) -> NewEvent {
    NewEvent::new(kind, Initiator::of(caller), pool.id)
        .provider(Some(pool.provider_id))
        .properties(json!({
            "name": pool.name,
            "type": pool.pool_type,
            "generatorType": pool.generator_type.as_str(),
            "servicePoolSetId": pool.service_pool_set_id,
        }))
}

async fn load(
    state: &AppState,
    caller: &Identity,
    id: Uuid,
    action: Action,
) -> ApiResult<ServicePool> {
    caller.may(Object::ServicePool, action)?;
    let pool = state
        .store
        .service_pool(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    caller.authorize(Object::ServicePool, action, &pool.owners())?;
    Ok(pool)
}

/// List service pools.
#[utoipa::path(get, path = "/service-pools", tag = "Service pools",
    params(("page" = Option<u32>, Query), ("pageSize" = Option<u32>, Query), ("sort" = Option<String>, Query),
        ("name" = Option<String>, Query), ("servicePoolSetId" = Option<Uuid>, Query), ("type" = Option<String>, Query), ("generatorType" = Option<String>, Query)),
    responses((status = 200, body = PageRes<ServicePoolRes>), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403)))]
async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
    QueryPairs(pairs): QueryPairs,
) -> ApiResult<Json<Page<ServicePoolRes>>> {
    let scope = caller.list_scope(Object::ServicePool)?;
    let query = SERVICE_POOL_LIST.parse(&pairs)?;
    let page = state.store.service_pools(scope, &query).await?;
    Ok(Json(page.map(ServicePoolRes::from)))
}

/// Create a pool in a pool set.
#[utoipa::path(post, path = "/service-pools", tag = "Service pools", request_body = ServicePoolCreateReq,
    responses((status = 201, body = ServicePoolRes), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403), (status = 409, body = crate::routes::ErrorRes)))]
async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Body(req): Body<ServicePoolCreateReq>,
) -> ApiResult<(StatusCode, Json<ServicePoolRes>)> {
    caller.may(Object::ServicePool, Action::Create)?;
    let set = state
        .store
        .service_pool_set(req.service_pool_set_id)
        .await?
        .ok_or_else(|| ApiError::field("servicePoolSetId", "no service pool set has this id"))?;
    caller.authorize(Object::ServicePool, Action::Create, &set.owners())?;
    let mut errors = Vec::new();
    let name = check_name("name", &req.name)
        .map_err(|e| errors.push(e))
        .ok();
    let pool_type = check_pool_type("type", &req.pool_type)
        .map_err(|e| errors.push(e))
        .ok();
    let property_type = PoolPropertyType::parse("propertyType", &req.property_type)
        .map_err(|e| errors.push(e))
        .ok();
    let generator_type = GeneratorType::parse("generatorType", &req.generator_type)
        .map_err(|e| errors.push(e))
        .ok();
    if let (Some(generator_type), Some(property_type)) = (generator_type, property_type) {
        if let Err(more) =
            PoolGenerator::parse(generator_type, req.generator_config.as_ref(), property_type)
        {
            errors.extend(more);
        }
    }
    let (Some(name), Some(pool_type), Some(property_type), Some(generator_type), true) = (
        name,
        pool_type,
        property_type,
        generator_type,
        errors.is_empty(),
    ) else {
        return Err(errors.into());
    };
    let now = clock::now();
    let pool = ServicePool {
        id: Uuid::now_v7(),
        name,
        pool_type,
        property_type,
        generator_type,
        generator_config: req.generator_config.filter(|c| !c.is_null()),
        service_pool_set_id: set.id,
        service_pool_set_name: set.name,
        provider_id: set.provider_id,
        created_at: now,
        updated_at: now,
    };
    let event = pool_event("service_pool.created", &caller, &pool);
    state.store.insert_service_pool(&pool, &event).await?;
    Ok((StatusCode::CREATED, Json(pool.into())))
}

/// Get a service pool.
#[utoipa::path(get, path = "/service-pools/{id}", tag = "Service pools", params(("id" = Uuid, Path)),
    responses((status = 200, body = ServicePoolRes), (status = 401), (status = 403), (status = 404)))]
async fn get(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<ServicePoolRes>> {
    Ok(Json(load(&state, &caller, id, Action::Get).await?.into()))
}

/// Rename a pool or change its generator configuration; values already
/// handed out stay with their services.
#[utoipa::path(patch, path = "/service-pools/{id}", tag = "Service pools", params(("id" = Uuid, Path)), request_body = ServicePoolUpdateReq,
    responses((status = 200, body = ServicePoolRes), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403), (status = 404)))]
async fn update(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    Body(req): Body<ServicePoolUpdateReq>,
) -> ApiResult<Json<ServicePoolRes>> {
    let mut pool = load(&state, &caller, id, Action::Update).await?;
    if let Some(name) = req.name {
        pool.name = check_name("name", &name)?;
    }
    if let Some(config) = req.generator_config {
        PoolGenerator::parse(pool.generator_type, Some(&config), pool.property_type)?;
        pool.generator_config = Some(config).filter(|c| !c.is_null());
    }
    pool.updated_at = clock::now();
    let event = pool_event("service_pool.updated", &caller, &pool);
    let edit = PoolEdit {
        id: pool.id,
        name: &pool.name,
        generator_config: pool.generator_config.as_ref(),
        updated_at: pool.updated_at,
    };
    state
        .store
        .update_pool(PoolFamily::Service, edit, &event)
        .await?;
    Ok(Json(pool.into()))
}

/// Delete a pool that has no values.
#[utoipa::path(delete, path = "/service-pools/{id}", tag = "Service pools", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 401), (status = 403), (status = 404), (status = 409, body = crate::routes::ErrorRes)))]
async fn delete(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    let pool = load(&state, &caller, id, Action::Delete).await?;
    let event = pool_event("service_pool.deleted", &caller, &pool);
    state
        .store
        .delete_pool(PoolFamily::Service, id, &event, clock::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
