//! `/service-pools` and `/config-pools`: one set of handlers mounted once
//! per pool family. Where a new pool belongs (a service pool set, or a
//! participant or none for a config pool) is the only input the families
//! do not share; the answers, events and checks are the same but for the
//! names the family gives them.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing;
use axum::Json;
use federa_domain::access::{Action, Identity, Owners};
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::event_kind::EventKind;
use federa_domain::listing::Page;
use federa_domain::participant::{check_name, Participant};
use federa_domain::pools::{
    check_pool_type, type_clash, GeneratorType, Pool, PoolFamily, PoolGenerator, PoolPropertyType,
    PoolScope, ServicePoolSet,
};
use federa_store::pools::PoolEdit;
use federa_store::StoreError;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

use super::pool_docs;
use federa_api::pools::{ConfigPoolCreateReq, PoolRes, PoolUpdateReq, ServicePoolCreateReq};

use crate::auth::Caller;
use crate::authorized::fetch_authorized;
use crate::clock;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, IdPath, QueryPairs};
use crate::resource;
use crate::state::AppState;

/// Where a new pool is to belong, as asked.
#[derive(Clone, Copy)]
enum Home {
    Set(Uuid),
    Participant(Option<Uuid>),
}

/// A create request of either family.
struct NewPool {
    name: String,
    pool_type: String,
    property_type: String,
    generator_type: String,
    generator_config: Option<Value>,
    home: Home,
}

impl From<ServicePoolCreateReq> for NewPool {
    fn from(req: ServicePoolCreateReq) -> NewPool {
        NewPool {
            name: req.name,
            pool_type: req.pool_type,
            property_type: req.property_type,
            generator_type: req.generator_type,
            generator_config: req.generator_config,
            home: Home::Set(req.service_pool_set_id),
        }
    }
}

impl From<ConfigPoolCreateReq> for NewPool {
    fn from(req: ConfigPoolCreateReq) -> NewPool {
        NewPool {
            name: req.name,
            pool_type: req.pool_type,
            property_type: req.property_type,
            generator_type: req.generator_type,
            generator_config: req.generator_config,
            home: Home::Participant(req.participant_id),
        }
    }
}

/// The routes of one family's pools, at its Fulcrum paths.
pub fn router(family: PoolFamily) -> OpenApiRouter<AppState> {
    let create = routing::get(move |state, caller, query| list(family, state, caller, query));
    let create = match family {
        PoolFamily::Service => create.post(
            move |state, caller, Body(req): Body<ServicePoolCreateReq>| {
                self::create(family, state, caller, req.into())
            },
        ),
        PoolFamily::Config => {
            create.post(move |state, caller, Body(req): Body<ConfigPoolCreateReq>| {
                self::create(family, state, caller, req.into())
            })
        }
    };
    let item = routing::get(move |state, caller, id| self::get(family, state, caller, id))
        .patch(move |state, caller, id, body| update(family, state, caller, id, body))
        .delete(move |state, caller, id| delete(family, state, caller, id));
    let docs = pool_docs::pools(family);
    OpenApiRouter::new()
        .routes((docs.schemas.clone(), docs.collection, create))
        .routes((docs.schemas, docs.item, item))
}

fn pool_event(kind: EventKind, caller: &Identity, pool: &Pool) -> NewEvent {
    let family = pool.family();
    let mut properties = json!({
        "name": pool.name,
        "type": pool.pool_type,
        "generatorType": pool.generator_type.as_str(),
    });
    properties[family.terms().home_field] = match &pool.scope {
        PoolScope::Set { set_id, .. } => json!(set_id),
        PoolScope::Participant(_) | PoolScope::Global => json!(pool.owner_id()),
    };
    NewEvent::new(kind, Initiator::of(caller), pool.id)
        .provider(pool.owner_id())
        .properties(properties)
}

async fn load(
    state: &AppState,
    family: PoolFamily,
    caller: &Identity,
    id: Uuid,
    action: Action,
) -> ApiResult<Pool> {
    fetch_authorized(
        caller,
        family.terms().pool_object,
        action,
        state.store.pool(family, id),
        Pool::owners,
    )
    .await
}

async fn list(
    family: PoolFamily,
    State(state): State<AppState>,
    Caller(caller): Caller,
    QueryPairs(pairs): QueryPairs,
) -> ApiResult<Json<Page<PoolRes>>> {
    let scope = caller.list_scope(family.terms().pool_object)?;
    let query = family.pool_list().parse(&pairs)?;
    let page = state.store.pools(family, scope, &query).await?;
    Ok(Json(page.map(PoolRes::from)))
}

/// Where a new pool belongs, once the caller may create it there: a
/// service pool in a set of the caller's, a config pool with the caller as
/// owner or, for admins only, global.
async fn scope_of(state: &AppState, caller: &Identity, home: Home) -> ApiResult<PoolScope> {
    match home {
        Home::Set(set_id) => {
            let object = PoolFamily::Service.terms().pool_object;
            caller.may(object, Action::Create)?;
            let set = state
                .store
                .record::<ServicePoolSet>(set_id)
                .await?
                .ok_or_else(|| {
                    ApiError::field("servicePoolSetId", "no service pool set has this id")
                })?;
            caller.authorize(object, Action::Create, &set.owners())?;
            Ok(PoolScope::Set {
                set_id: set.id,
                set_name: set.name,
                provider_id: set.provider_id,
            })
        }
        Home::Participant(owner) => {
            let owners = owner.map_or_else(Owners::none, Owners::owner);
            caller.authorize(
                PoolFamily::Config.terms().pool_object,
                Action::Create,
                &owners,
            )?;
            let Some(participant) = owner else {
                return Ok(PoolScope::Global);
            };
            resource::referenced::<Participant>(state, participant, "participantId", "participant")
                .await?;
            Ok(PoolScope::Participant(participant))
        }
    }
}

/// The checked fields of a new pool, every failing one named.
fn checked(
    family: PoolFamily,
    req: &NewPool,
) -> ApiResult<(String, String, PoolPropertyType, GeneratorType)> {
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
        family.terms().generators,
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
    match (name, pool_type, property_type, generator_type) {
        (Some(name), Some(pool_type), Some(property_type), Some(generator_type))
            if errors.is_empty() =>
        {
            Ok((name, pool_type, property_type, generator_type))
        }
        _ => Err(errors.into()),
    }
}

async fn create(
    family: PoolFamily,
    State(state): State<AppState>,
    Caller(caller): Caller,
    req: NewPool,
) -> ApiResult<(StatusCode, Json<PoolRes>)> {
    let scope = scope_of(&state, &caller, req.home).await?;
    let (name, pool_type, property_type, generator_type) = checked(family, &req)?;
    if let PoolScope::Participant(_) | PoolScope::Global = scope {
        let owner = match scope {
            PoolScope::Participant(owner) => Some(owner),
            _ => None,
        };
        let same_type = state.store.config_pools_of_type(&pool_type).await?;
        if let Some(clash) = type_clash(&same_type, owner) {
            return Err(clash.into());
        }
    }
    let now = clock::now();
    let pool = Pool {
        id: Uuid::now_v7(),
        name,
        pool_type,
        property_type,
        generator_type,
        generator_config: req.generator_config.filter(|c| !c.is_null()),
        scope,
        created_at: now,
        updated_at: now,
    };
    let event = pool_event(family.terms().pool_created, &caller, &pool);
    match state.store.insert_pool(&pool, &event).await {
        Ok(()) => Ok((StatusCode::CREATED, Json(pool.into()))),
        // Another config pool of this type was created since the check.
        Err(StoreError::Conflict(message)) if family == PoolFamily::Config => {
            Err(ApiError::field("type", message))
        }
        Err(other) => Err(other.into()),
    }
}

async fn get(
    family: PoolFamily,
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<PoolRes>> {
    let pool = load(&state, family, &caller, id, Action::Get).await?;
    Ok(Json(pool.into()))
}

/// Renames a pool or changes its generator configuration; values already
/// handed out stay with their holders.
async fn update(
    family: PoolFamily,
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    Body(req): Body<PoolUpdateReq>,
) -> ApiResult<Json<PoolRes>> {
    let mut pool = load(&state, family, &caller, id, Action::Update).await?;
    if let Some(name) = req.name {
        pool.name = check_name("name", &name)?;
    }
    if let Some(config) = req.generator_config {
        PoolGenerator::parse(pool.generator_type, Some(&config), pool.property_type)?;
        pool.generator_config = Some(config).filter(|c| !c.is_null());
    }
    pool.updated_at = clock::now();
    let event = pool_event(family.terms().pool_updated, &caller, &pool);
    let edit = PoolEdit {
        id: pool.id,
        name: &pool.name,
        generator_config: pool.generator_config.as_ref(),
        updated_at: pool.updated_at,
    };
    state.store.update_pool(family, edit, &event).await?;
    Ok(Json(pool.into()))
}

/// Deletes a pool that has no values.
async fn delete(
    family: PoolFamily,
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    let pool = load(&state, family, &caller, id, Action::Delete).await?;
    let event = pool_event(family.terms().pool_deleted, &caller, &pool);
    state
        .store
        .delete_pool(family, id, &event, clock::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
