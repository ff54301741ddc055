use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use federa_domain::access::{Action, Identity, Object};
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::listing::Page;
use federa_domain::participant::check_name;
use federa_domain::pools::{ConfigPoolValue, CONFIG_POOL_VALUE_LIST};
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
pub struct ConfigPoolValueRes {
    id: Uuid,
    name: String,
    /// Any JSON value.
    #[schema(value_type = Value)]
    value: Value,
    config_pool_id: Uuid,
    /// The agent holding the value; absent while it is free.
    #[serde(skip_serializing_if = "Option::is_none")]
    agent_id: Option<Uuid>,
    /// The configuration property of that agent the value fills.
    #[serde(skip_serializing_if = "Option::is_none")]
    property_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    allocated_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<ConfigPoolValue> for ConfigPoolValueRes {
    fn from(v: ConfigPoolValue) -> Self {
        ConfigPoolValueRes {
            id: v.id,
            name: v.name,
            value: v.value,
            config_pool_id: v.config_pool_id,
            agent_id: v.agent_id,
            property_name: v.property_name,
            allocated_at: v.allocated_at,
            created_at: v.created_at,
            updated_at: v.updated_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConfigPoolValueCreateReq {
    config_pool_id: Uuid,
    name: String,
    /// A value of the pool's `propertyType`.
    #[schema(value_type = Value)]
    value: Value,
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, delete))
}

fn value_event(kind: &str, caller: &Identity, value: &ConfigPoolValue) -> NewEvent {
    NewEvent::new(kind, Initiator::of(caller), value.id)
        .provider(value.participant_id)
        .properties(json!({"name": value.name, "configPoolId": value.config_pool_id}))
}

async fn load(
    state: &AppState,
    caller: &Identity,
    id: Uuid,
    action: Action,
) -> ApiResult<ConfigPoolValue> {
    caller.may(Object::ConfigPoolValue, action)?;
    let value = state
        .store
        .config_pool_value(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    caller.authorize(Object::ConfigPoolValue, action, &value.owners())?;
    Ok(value)
}

/// As Fulcrum, and as a held service pool value: 400 naming the holder.
fn allocated(value: &ConfigPoolValue) -> ApiError {
    ApiError::field(
        "agentId",
        format!(
            "the value is held by agent {} for its `{}`; it can be deleted once that agent is deleted",
            value.agent_id.unwrap_or_default(),
            value.property_name.as_deref().unwrap_or_default()
        ),
    )
}

/// List config pool values with the agent holding each.
#[utoipa::path(get, path = "/config-pool-values", tag = "Config pools",
    params(("page" = Option<u32>, Query), ("pageSize" = Option<u32>, Query), ("sort" = Option<String>, Query),
        ("name" = Option<String>, Query), ("configPoolId" = Option<Uuid>, Query), ("agentId" = Option<Uuid>, Query)),
    responses((status = 200, body = PageRes<ConfigPoolValueRes>), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403)))]
async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
    QueryPairs(pairs): QueryPairs,
) -> ApiResult<Json<Page<ConfigPoolValueRes>>> {
    let scope = caller.list_scope(Object::ConfigPoolValue)?;
    let query = CONFIG_POOL_VALUE_LIST.parse(&pairs)?;
    let page = state.store.config_pool_values(scope, &query).await?;
    Ok(Json(page.map(ConfigPoolValueRes::from)))
}

/// Add a value to a config pool; only admins add to a global pool.
#[utoipa::path(post, path = "/config-pool-values", tag = "Config pools", request_body = ConfigPoolValueCreateReq,
    responses((status = 201, body = ConfigPoolValueRes), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403)))]
async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Body(req): Body<ConfigPoolValueCreateReq>,
) -> ApiResult<(StatusCode, Json<ConfigPoolValueRes>)> {
    caller.may(Object::ConfigPoolValue, Action::Create)?;
    let pool = state
        .store
        .config_pool(req.config_pool_id)
        .await?
        .ok_or_else(|| ApiError::field("configPoolId", "no config pool has this id"))?;
    caller.authorize(Object::ConfigPoolValue, Action::Create, &pool.owners())?;
    let name = check_name("name", &req.name)?;
    pool.property_type.check("value", &req.value)?;
    let now = clock::now();
    let value = ConfigPoolValue {
        id: Uuid::now_v7(),
        name,
        value: req.value,
        config_pool_id: pool.id,
        participant_id: pool.participant_id,
        agent_id: None,
        property_name: None,
        allocated_at: None,
        created_at: now,
        updated_at: now,
    };
    let event = value_event("config_pool_value.created", &caller, &value);
    state.store.insert_config_pool_value(&value, &event).await?;
    Ok((StatusCode::CREATED, Json(value.into())))
}

/// Get a config pool value.
#[utoipa::path(get, path = "/config-pool-values/{id}", tag = "Config pools", params(("id" = Uuid, Path)),
    responses((status = 200, body = ConfigPoolValueRes), (status = 401), (status = 403), (status = 404)))]
async fn get(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<ConfigPoolValueRes>> {
    Ok(Json(load(&state, &caller, id, Action::Get).await?.into()))
}

/// Delete a value no agent holds; a held one is a 400.
#[utoipa::path(delete, path = "/config-pool-values/{id}", tag = "Config pools", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403), (status = 404)))]
async fn delete(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    let value = load(&state, &caller, id, Action::Delete).await?;
    if value.agent_id.is_some() {
        return Err(allocated(&value));
    }
    let event = value_event("config_pool_value.deleted", &caller, &value);
    match state
        .store
        .delete_free_pool_value(PoolFamily::Config, id, &event, clock::now())
        .await
    {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        // Taken by a new agent between the read and the delete.
        Err(StoreError::NotFound) => match state.store.config_pool_value(id).await? {
            Some(now_held) => Err(allocated(&now_held)),
            None => Err(ApiError::NotFound),
        },
        Err(other) => Err(other.into()),
    }
}
