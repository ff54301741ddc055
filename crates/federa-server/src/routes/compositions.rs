//! `/compositions`: several services a consumer orders together, with
//! dependencies, placement relations and outputs wired into inputs. The
//! handlers authorize and hand the request to the exchange, which checks
//! it and records the consumer's intent
//! ([`federa_exchange::compositions`]); the services are ordered and
//! deleted by [`federa_exchange::composing`].

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use federa_domain::access::{Action, Identity, Object, Owners};
use federa_domain::event::Initiator;
use federa_domain::exchange::composition::CompositionSpec;
use federa_domain::exchange::composition_progress::{status, MemberState};
use federa_domain::exchange::lists::COMPOSITION_LIST;
use federa_domain::listing::Page;
use federa_store::exchange::{StoredComposition, StoredMember};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use federa_api::compositions::{CompositionCreateReq, CompositionRes, MemberRes};

use crate::auth::Caller;
use crate::authorized::fetch_authorized;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, IdPath, QueryPairs};
use crate::routes::documented::{Invalid, Missing, Paging, Refused};
use crate::routes::PageRes;
use crate::state::AppState;
use federa_exchange::compositions;

/// A composition as answered, each member with its service's status.
fn composition_res(
    composition: StoredComposition,
    service_statuses: Vec<Option<String>>,
) -> CompositionRes {
    let states: Vec<MemberState> = composition.members.iter().map(|m| m.state).collect();
    let mut statuses = service_statuses.into_iter();
    CompositionRes {
        id: composition.id,
        name: composition.spec.name.clone(),
        consumer_id: composition.consumer_id,
        group_id: composition.group_id,
        status: status(composition.intent, &states),
        on_failure: composition.spec.on_failure,
        members: composition
            .members
            .into_iter()
            .map(|member| member_res(member, statuses.next().flatten()))
            .collect(),
        spec: composition.spec,
        created_at: composition.created_at,
        updated_at: composition.updated_at,
    }
}
fn member_res(member: StoredMember, service_status: Option<String>) -> MemberRes {
    MemberRes {
        key: member.key,
        state: member.state,
        service_id: member.service_id,
        service_status,
        provider_id: member.provider_id,
        country: member.country,
        placement_explanation: member.explanation,
        error: member.error,
    }
}
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, delete))
}

async fn load(
    state: &AppState,
    caller: &Identity,
    id: Uuid,
    action: Action,
) -> ApiResult<StoredComposition> {
    fetch_authorized(
        caller,
        Object::Composition,
        action,
        state.store.composition(id),
        |composition| Owners::owner(composition.consumer_id),
    )
    .await
}

/// The answer for one composition, with each member's service state.
async fn answer(state: &AppState, composition: StoredComposition) -> ApiResult<CompositionRes> {
    let mut statuses = Vec::with_capacity(composition.members.len());
    for member in &composition.members {
        statuses.push(match member.service_id {
            Some(id) => state.store.service(id).await?.map(|service| service.status),
            None => None,
        });
    }
    Ok(composition_res(composition, statuses))
}

/// List compositions: a consumer sees its own.
#[utoipa::path(get, path = "/compositions", tag = "Compositions",
    params(Paging,
        ("name" = Option<String>, Query), ("consumerId" = Option<Uuid>, Query), ("status" = Option<String>, Query)),
    responses((status = 200, body = PageRes<CompositionRes>), Invalid, Refused))]
async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
    QueryPairs(pairs): QueryPairs,
) -> ApiResult<Json<Page<CompositionRes>>> {
    let scope = caller.list_scope(Object::Composition)?;
    let query = COMPOSITION_LIST.parse(&pairs)?;
    let page = state.store.compositions(scope, &query).await?;
    Ok(Json(page.map(|composition| {
        let none = vec![None; composition.members.len()];
        composition_res(composition, none)
    })))
}

/// Submit a composition: checks it, then orders every member without
/// unmet dependencies at once; the others follow as their dependencies
/// become ready. On a member's failure the composition rolls back
/// (deleting what it created, in reverse order) or stops, as `onFailure`
/// says.
#[utoipa::path(post, path = "/compositions", tag = "Compositions", request_body = CompositionCreateReq,
    responses((status = 201, body = CompositionRes), Invalid, Refused))]
async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Body(req): Body<CompositionCreateReq>,
) -> ApiResult<(StatusCode, Json<CompositionRes>)> {
    caller.may(Object::Composition, Action::Create)?;
    let consumer_id = state
        .store
        .group_consumer(req.group_id)
        .await?
        .ok_or_else(|| ApiError::field("groupId", "no service group has this id"))?;
    // The members are the consumer's services: whoever may not order into
    // the group may not compose there either.
    caller.authorize(
        Object::Composition,
        Action::Create,
        &Owners::owner(consumer_id),
    )?;
    caller.authorize(
        Object::Service,
        Action::Create,
        &Owners::none().with_consumer(consumer_id),
    )?;
    let spec = CompositionSpec {
        name: req.name,
        components: req.components,
        relations: req.relations,
        on_failure: req.on_failure,
    };
    let stored = compositions::submit(
        &state,
        Initiator::of(&caller),
        consumer_id,
        req.group_id,
        spec,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(answer(&state, stored).await?)))
}

/// Get a composition with its derived status and every member's service,
/// provider and placement explanation.
#[utoipa::path(get, path = "/compositions/{id}", tag = "Compositions", params(("id" = Uuid, Path)),
    responses((status = 200, body = CompositionRes), Refused, Missing))]
async fn get(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<CompositionRes>> {
    let composition = load(&state, &caller, id, Action::Get).await?;
    Ok(Json(answer(&state, composition).await?))
}

/// Delete a composition: its members' services are deleted one at a time,
/// in reverse dependency order; members not ordered yet never will be.
#[utoipa::path(delete, path = "/compositions/{id}", tag = "Compositions", params(("id" = Uuid, Path)),
    responses((status = 204), Refused, Missing))]
async fn delete(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    let composition = load(&state, &caller, id, Action::Delete).await?;
    compositions::withdraw(&state, Initiator::of(&caller), &composition).await?;
    Ok(StatusCode::NO_CONTENT)
}
