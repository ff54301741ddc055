use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use federa_domain::access::{Action, Identity, Object, Owners};
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::listing::Page;
use federa_domain::participant::check_name;
use federa_domain::pools::{
    check_pool_type, type_clash, ConfigPool, GeneratorType, PoolGenerator, PoolPropertyType,
    CONFIG_POOL_GENERATORS, CONFIG_POOL_LIST,
};
use federa_store::pools::{PoolEdit, PoolFamily};
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
pub struct ConfigPoolRes {
    id: Uuid,
    name: String,
    #[serde(rename = "type")]
    pool_type: String,
    /// string, integer, number, boolean or json.
    property_type: &'static str,
    /// list.
    generator_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    generator_config: Option<Value>,
    /// The owner; absent for a global pool, which only admins manage.
    #[serde(skip_serializing_if = "Option::is_none")]
    participant_id: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<ConfigPool> for ConfigPoolRes {
    fn from(p: ConfigPool) -> Self {
        ConfigPoolRes {
            id: p.id,
            name: p.name,
            pool_type: p.pool_type,
            property_type: p.property_type.as_str(),
            generator_type: p.generator_type.as_str(),
            generator_config: p.generator_config,
            participant_id: p.participant_id,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConfigPoolCreateReq {
    name: String,
    /// The `poolType` a configuration property's pool generator names.
    #[serde(rename = "type")]
    pool_type: String,
    /// string, integer, number, boolean or json.
    property_type: String,
    /// list: values entered through `/config-pool-values`.
    generator_type: String,
    /// Notes kept with the pool; an object.
    #[schema(value_type = Option<Object>)]
    generator_config: Option<Value>,
    /// The owning participant; absent (or null) for a global pool, which
    /// only admins may create. A type is either global or per participant.
    participant_id: Option<Uuid>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConfigPoolUpdateReq {
    name: Option<String>,
    #[schema(value_type = Option<Object>)]
    generator_config: Option<Value>,
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, update, delete))
}

fn pool_event(kind: &str, caller: &Identity, pool: &ConfigPool) -> NewEvent {
    NewEvent::new(kind, Initiator::of(caller), pool.id)
        .provider(pool.participant_id)
        .properties(json!({
            "name": pool.name,
            "type": pool.pool_type,
            "generatorType": pool.generator_type.as_str(),
            "participantId": pool.participant_id,
        }))
}

async fn load(
    state: &AppState,
    caller: &Identity,
    id: Uuid,
    action: Action,
) -> ApiResult<ConfigPool> {
    caller.may(Object::ConfigPool, action)?;
    let pool = state
        .store
        .config_pool(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    caller.authorize(Object::ConfigPool, action, &pool.owners())?;
    Ok(pool)
}

/// List config pools: a participant sees its own, an agent its provider's.
#[utoipa::path(get, path = "/config-pools", tag = "Config pools",
    params(("page" = Option<u32>, Query), ("pageSize" = Option<u32>, Query), ("sort" = Option<String>, Query),
        ("name" = Option<String>, Query), ("type" = Option<String>, Query), ("generatorType" = Option<String>, Query), ("participantId" = Option<Uuid>, Query)),
    responses((status = 200, body = PageRes<ConfigPoolRes>), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403)))]
async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
    QueryPairs(pairs): QueryPairs,
) -> ApiResult<Json<Page<ConfigPoolRes>>> {
    let scope = caller.list_scope(Object::ConfigPool)?;
    let query = CONFIG_POOL_LIST.parse(&pairs)?;
    let page = state.store.config_pools(scope, &query).await?;
    Ok(Json(page.map(ConfigPoolRes::from)))
}

/// Create a participant's config pool, or a global one (admins only).
#[utoipa::path(post, path = "/config-pools", tag = "Config pools", request_body = ConfigPoolCreateReq,
    responses((status = 201, body = ConfigPoolRes), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403)))]
async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Body(req): Body<ConfigPoolCreateReq>,
) -> ApiResult<(StatusCode, Json<ConfigPoolRes>)> {
    let owners = req.participant_id.map_or_else(Owners::none, Owners::owner);
    caller.authorize(Object::ConfigPool, Action::Create, &owners)?;
    if let Some(participant) = req.participant_id {
        if state.store.participant(participant).await?.is_none() {
            return Err(ApiError::field(
                "participantId",
                "no participant has this id",
            ));
        }
    }
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
    let generator_type = GeneratorType::parse_among(
        "generatorType",
        &req.generator_type,
        &CONFIG_POOL_GENERATORS,
    )
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
    let same_type = state.store.config_pools_of_type(&pool_type).await?;
    if let Some(clash) = type_clash(&same_type, req.participant_id) {
        return Err(clash.into());
    }
    let now = clock::now();
    let pool = ConfigPool {
        id: Uuid::now_v7(),
        name,
        pool_type,
        property_type,
        generator_type,
        generator_config: req.generator_config.filter(|c| !c.is_null()),
        participant_id: req.participant_id,
        created_at: now,
        updated_at: now,
    };
    let event = pool_event("config_pool.created", &caller, &pool);
    match state.store.insert_config_pool(&pool, &event).await {
        Ok(()) => Ok((StatusCode::CREATED, Json(pool.into()))),
        // Another pool of this type was created since the check.
        Err(StoreError::Conflict(message)) => Err(ApiError::field("type", message)),
        Err(other) => Err(other.into()),
    }
}

/// Get a config pool.
#[utoipa::path(get, path = "/config-pools/{id}", tag = "Config pools", params(("id" = Uuid, Path)),
    responses((status = 200, body = ConfigPoolRes), (status = 401), (status = 403), (status = 404)))]
async fn get(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<ConfigPoolRes>> {
    Ok(Json(load(&state, &caller, id, Action::Get).await?.into()))
}

/// Rename a config pool or change its generator configuration; values
/// already handed out stay with their agents.
#[utoipa::path(patch, path = "/config-pools/{id}", tag = "Config pools", params(("id" = Uuid, Path)), request_body = ConfigPoolUpdateReq,
    responses((status = 200, body = ConfigPoolRes), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403), (status = 404)))]
async fn update(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    Body(req): Body<ConfigPoolUpdateReq>,
) -> ApiResult<Json<ConfigPoolRes>> {
    let mut pool = load(&state, &caller, id, Action::Update).await?;
    if let Some(name) = req.name {
        pool.name = check_name("name", &name)?;
    }
    if let Some(config) = req.generator_config {
        PoolGenerator::parse(pool.generator_type, Some(&config), pool.property_type)?;
        pool.generator_config = Some(config).filter(|c| !c.is_null());
    }
    pool.updated_at = clock::now();
    let event = pool_event("config_pool.updated", &caller, &pool);
    let edit = PoolEdit {
        id: pool.id,
        name: &pool.name,
        generator_config: pool.generator_config.as_ref(),
        updated_at: pool.updated_at,
    };
    state
        .store
        .update_pool(PoolFamily::Config, edit, &event)
        .await?;
    Ok(Json(pool.into()))
}

/// Delete a config pool that has no values.
#[utoipa::path(delete, path = "/config-pools/{id}", tag = "Config pools", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 401), (status = 403), (status = 404), (status = 409, body = crate::routes::ErrorRes)))]
async fn delete(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    let pool = load(&state, &caller, id, Action::Delete).await?;
    let event = pool_event("config_pool.deleted", &caller, &pool);
    state
        .store
        .delete_pool(PoolFamily::Config, id, &event, clock::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
