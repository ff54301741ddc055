//! `/service-pool-values` and `/config-pool-values`: one set of handlers
//! mounted once per pool family. Values are entered into list pools and
//! deleted while free; which service or agent holds one is written by the
//! allocator (`federa_exchange::pools`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing;
use axum::Json;
use federa_domain::access::{Action, Identity};
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::event_kind::EventKind;
use federa_domain::listing::Page;
use federa_domain::participant::check_name;
use federa_domain::pools::{GeneratorType, PoolFamily, PoolValue};
use federa_store::StoreError;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

use super::pool_docs;
use federa_api::pools::{ConfigPoolValueCreateReq, PoolValueRes, ServicePoolValueCreateReq};

use crate::auth::Caller;
use crate::authorized::fetch_authorized;
use crate::clock;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, IdPath, QueryPairs};
use crate::state::AppState;

/// A create request of either family.
struct NewValue {
    pool_id: Uuid,
    name: String,
    value: Value,
}

impl From<ServicePoolValueCreateReq> for NewValue {
    fn from(req: ServicePoolValueCreateReq) -> NewValue {
        NewValue {
            pool_id: req.service_pool_id,
            name: req.name,
            value: req.value,
        }
    }
}

impl From<ConfigPoolValueCreateReq> for NewValue {
    fn from(req: ConfigPoolValueCreateReq) -> NewValue {
        NewValue {
            pool_id: req.config_pool_id,
            name: req.name,
            value: req.value,
        }
    }
}

/// The routes of one family's pool values, at its Fulcrum paths.
pub fn router(family: PoolFamily) -> OpenApiRouter<AppState> {
    let collection = routing::get(move |state, caller, query| list(family, state, caller, query));
    let collection = match family {
        PoolFamily::Service => collection.post(
            move |state, caller, Body(req): Body<ServicePoolValueCreateReq>| {
                create(family, state, caller, req.into())
            },
        ),
        PoolFamily::Config => collection.post(
            move |state, caller, Body(req): Body<ConfigPoolValueCreateReq>| {
                create(family, state, caller, req.into())
            },
        ),
    };
    let item = routing::get(move |state, caller, id| self::get(family, state, caller, id))
        .delete(move |state, caller, id| delete(family, state, caller, id));
    let docs = pool_docs::values(family);
    OpenApiRouter::new()
        .routes((docs.schemas.clone(), docs.collection, collection))
        .routes((docs.schemas, docs.item, item))
}

fn value_event(kind: EventKind, caller: &Identity, value: &PoolValue) -> NewEvent {
    let family = value.family;
    let mut properties = json!({"name": value.name});
    properties[family.terms().pool_id_field] = json!(value.pool_id);
    NewEvent::new(kind, Initiator::of(caller), value.id)
        .provider(value.owner_id)
        .properties(properties)
}

async fn load(
    state: &AppState,
    family: PoolFamily,
    caller: &Identity,
    id: Uuid,
    action: Action,
) -> ApiResult<PoolValue> {
    fetch_authorized(
        caller,
        family.terms().value_object,
        action,
        state.store.pool_value(family, id),
        PoolValue::owners,
    )
    .await
}

/// As Fulcrum: a held value is a 400 naming its holder.
fn allocated(value: &PoolValue) -> ApiError {
    let holder = value.holder_id.unwrap_or_default();
    let message = match value.family {
        PoolFamily::Service => format!(
            "the value is held by service {holder}; it can be deleted once that service releases it"
        ),
        PoolFamily::Config => format!(
            "the value is held by agent {holder} for its `{}`; it can be deleted once that agent is deleted",
            value.property_name.as_deref().unwrap_or_default()
        ),
    };
    ApiError::field(value.family.terms().holder_field, message)
}

async fn list(
    family: PoolFamily,
    State(state): State<AppState>,
    Caller(caller): Caller,
    QueryPairs(pairs): QueryPairs,
) -> ApiResult<Json<Page<PoolValueRes>>> {
    let scope = caller.list_scope(family.terms().value_object)?;
    let query = family.value_list().parse(&pairs)?;
    let page = state.store.pool_values(family, scope, &query).await?;
    Ok(Json(page.map(PoolValueRes::from)))
}

/// Adds a value to a `list` pool; `subnet` pools create their own, and
/// only admins add to a global config pool.
async fn create(
    family: PoolFamily,
    State(state): State<AppState>,
    Caller(caller): Caller,
    req: NewValue,
) -> ApiResult<(StatusCode, Json<PoolValueRes>)> {
    caller.may(family.terms().value_object, Action::Create)?;
    let pool = state
        .store
        .pool(family, req.pool_id)
        .await?
        .ok_or_else(|| {
            ApiError::field(
                family.terms().pool_id_field,
                format!("no {} has this id", family.terms().noun),
            )
        })?;
    caller.authorize(family.terms().value_object, Action::Create, &pool.owners())?;
    if pool.generator_type != GeneratorType::List {
        return Err(ApiError::field(
            family.terms().pool_id_field,
            "values can only be added to a list pool; a subnet pool generates its own",
        ));
    }
    let name = check_name("name", &req.name)?;
    pool.property_type.check("value", &req.value)?;
    let now = clock::now();
    let value = PoolValue {
        family,
        id: Uuid::now_v7(),
        name,
        value: req.value,
        pool_id: pool.id,
        owner_id: pool.owner_id(),
        holder_id: None,
        property_name: None,
        allocated_at: None,
        created_at: now,
        updated_at: now,
    };
    let event = value_event(family.terms().value_created, &caller, &value);
    state.store.insert_pool_value(&value, &event).await?;
    Ok((StatusCode::CREATED, Json(value.into())))
}

async fn get(
    family: PoolFamily,
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<PoolValueRes>> {
    let value = load(&state, family, &caller, id, Action::Get).await?;
    Ok(Json(value.into()))
}

/// Deletes a value nobody holds; a held one is a 400.
async fn delete(
    family: PoolFamily,
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    let value = load(&state, family, &caller, id, Action::Delete).await?;
    if value.holder_id.is_some() {
        return Err(allocated(&value));
    }
    let event = value_event(family.terms().value_deleted, &caller, &value);
    match state
        .store
        .delete_free_pool_value(family, id, &event, clock::now())
        .await
    {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        // Taken by a new holder between the read and the delete.
        Err(StoreError::NotFound) => match state.store.pool_value(family, id).await? {
            Some(now_held) => Err(allocated(&now_held)),
            None => Err(ApiError::NotFound),
        },
        Err(other) => Err(other.into()),
    }
}
