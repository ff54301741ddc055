//! `/switches`: a consumer's service moved to another provider with its
//! data. The handlers authorize and hand the request to the exchange's
//! switching workflow ([`federa_exchange::switching`]), which plans the
//! switch, then moves it on as its jobs finish.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use federa_domain::access::{Action, Identity, Object, Owners};
use federa_domain::event::Initiator;
use federa_domain::exchange::lists::SWITCH_LIST;
use federa_domain::listing::{FieldError, Page};
use federa_store::exchange::StoredSwitch;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use federa_api::switches::{
    CompositionSwitchRes, SwitchCreateReq, SwitchCreated, SwitchReport, SwitchRes,
};

use crate::auth::Caller;
use crate::authorized::fetch_authorized;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, IdPath, QueryPairs};
use crate::routes::documented::{Invalid, Missing, Paging, Refused};
use crate::routes::PageRes;
use crate::state::AppState;
use federa_exchange::{composition_switching, switch_report, switching};

fn switch_res(switch: StoredSwitch) -> SwitchRes {
    let ends_at = switch.progress.transitional_period_ends_at();
    let progress = switch.progress;
    SwitchRes {
        id: switch.id,
        consumer_id: switch.consumer_id,
        source_service_id: switch.source_service_id,
        target_service_id: switch.target_service_id,
        source_provider_id: switch.source_provider_id,
        target_provider_id: switch.target_provider_id,
        stage: progress.stage,
        plan: switch.plan,
        exported: progress.exported,
        imported: progress.imported,
        failure: progress.failure,
        cut_over_at: progress.cut_over_at,
        transitional_period_ends_at: ends_at,
        history: progress.history,
        composition_switch_id: switch.member.as_ref().map(|m| m.composition_switch_id),
        composition_id: switch.member.as_ref().map(|m| m.composition_id),
        member_key: switch.member.map(|m| m.key),
        created_at: switch.created_at,
        updated_at: switch.updated_at,
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get))
        .routes(routes!(report))
        .routes(routes!(cancel))
        .routes(routes!(confirm_erasure))
}

async fn load(
    state: &AppState,
    caller: &Identity,
    id: Uuid,
    action: Action,
) -> ApiResult<StoredSwitch> {
    fetch_authorized(
        caller,
        Object::Switch,
        action,
        state.store.switch(id),
        |switch| Owners::owner(switch.consumer_id),
    )
    .await
}

/// List switches: a consumer sees its own.
#[utoipa::path(get, path = "/switches", tag = "Switches",
    params(Paging,
        ("consumerId" = Option<Uuid>, Query), ("stage" = Option<String>, Query),
        ("sourceServiceId" = Option<Uuid>, Query), ("targetServiceId" = Option<Uuid>, Query),
        ("compositionId" = Option<Uuid>, Query), ("compositionSwitchId" = Option<Uuid>, Query)),
    responses((status = 200, body = PageRes<SwitchRes>), Invalid, Refused))]
async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
    QueryPairs(pairs): QueryPairs,
) -> ApiResult<Json<Page<SwitchRes>>> {
    let scope = caller.list_scope(Object::Switch)?;
    let query = SWITCH_LIST.parse(&pairs)?;
    let page = state.store.switches(scope, &query).await?;
    Ok(Json(page.map(switch_res)))
}

/// Switch a service to another provider with its data: the target is
/// placed (never with the service's own provider) and ordered at once, the
/// switch is priced by the exit terms of the offering the service runs
/// under, and then runs as its jobs finish: export at the source, import at
/// the target, verification of size and SHA-256, cut-over, and erasure of
/// the source after the transitional period or on confirmation.
///
/// With `compositionId` instead, every member of the composition switches
/// so: each member's target keeps the relations the composition asks of
/// its members, and the members cut over together once all are verified,
/// or all roll back when one fails or is cancelled. The answer is then the
/// composition switch with its members' switches.
#[utoipa::path(post, path = "/switches", tag = "Switches", request_body = SwitchCreateReq,
    responses((status = 201, body = SwitchCreated), Invalid, Refused))]
async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Body(req): Body<SwitchCreateReq>,
) -> ApiResult<(StatusCode, Json<SwitchCreated>)> {
    caller.may(Object::Switch, Action::Create)?;
    let initiator = Initiator::of(&caller);
    let created = match (req.service_id, req.composition_id) {
        (Some(service_id), None) => {
            let source = state
                .store
                .service(service_id)
                .await?
                .ok_or_else(|| ApiError::field("serviceId", "no service has this id"))?;
            // Only whoever may act on the service may move it.
            caller.authorize(Object::Service, Action::Update, &source.owners())?;
            caller.authorize(
                Object::Switch,
                Action::Create,
                &Owners::owner(source.consumer_id),
            )?;
            let switch =
                switching::request(&state, initiator, &source, &req.target, req.offering_id)
                    .await?;
            SwitchCreated::Service(Box::new(switch_res(switch)))
        }
        (None, Some(_)) if req.offering_id.is_some() => {
            return Err(ApiError::field(
                "offeringId",
                "a composition's members are each placed by target; name an offering when switching one service",
            ));
        }
        (None, Some(composition_id)) => {
            let composition = state
                .store
                .composition(composition_id)
                .await?
                .ok_or_else(|| ApiError::field("compositionId", "no composition has this id"))?;
            let owners = Owners::owner(composition.consumer_id);
            caller.authorize(Object::Composition, Action::Update, &owners)?;
            caller.authorize(Object::Switch, Action::Create, &owners)?;
            let moved =
                composition_switching::request(&state, initiator, &composition, &req.target)
                    .await?;
            SwitchCreated::Composition(CompositionSwitchRes {
                id: moved.id,
                composition_id,
                switches: moved.switches.into_iter().map(switch_res).collect(),
            })
        }
        (given, _) => {
            let rule = match given {
                Some(_) => "give serviceId or compositionId, not both",
                None => "give serviceId or compositionId",
            };
            return Err(ApiError::Invalid(vec![
                FieldError::new("serviceId", rule),
                FieldError::new("compositionId", rule),
            ]));
        }
    };
    Ok((StatusCode::CREATED, Json(created)))
}

/// Get a switch and its report.
#[utoipa::path(get, path = "/switches/{id}", tag = "Switches", params(("id" = Uuid, Path)),
    responses((status = 200, body = SwitchRes), Refused, Missing))]
async fn get(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<SwitchRes>> {
    Ok(Json(switch_res(
        load(&state, &caller, id, Action::Get).await?,
    )))
}

/// The switch's report, the evidence its consumer keeps: what was moved
/// (format, size and SHA-256 exported and imported, and whether they are
/// identical), when each stage began and ended, the switching charge and
/// the rule it follows, the source and the target (provider, country,
/// service), and the source agent's confirmation of the erasure.
#[utoipa::path(get, path = "/switches/{id}/report", tag = "Switches", params(("id" = Uuid, Path)),
    responses((status = 200, body = SwitchReport), Refused, Missing))]
async fn report(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<SwitchReport>> {
    let switch = load(&state, &caller, id, Action::Get).await?;
    Ok(Json(switch_report::report(&state, &switch).await?))
}

/// Cancel a switch before its cut-over: the target service is removed and
/// the source runs on untouched. 409 after the cut-over.
#[utoipa::path(post, path = "/switches/{id}/cancel", tag = "Switches", params(("id" = Uuid, Path)),
    responses((status = 200, body = SwitchRes), Refused, Missing))]
async fn cancel(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<SwitchRes>> {
    let switch = load(&state, &caller, id, Action::Update).await?;
    let switch = switching::cancel(&state, Initiator::of(&caller), &switch).await?;
    Ok(Json(switch_res(switch)))
}

/// Confirm that the source may be erased now, before the transitional
/// period ends, or ask again after an erasure failed. 409 in other stages.
#[utoipa::path(post, path = "/switches/{id}/confirm-erasure", tag = "Switches", params(("id" = Uuid, Path)),
    responses((status = 200, body = SwitchRes), Refused, Missing))]
async fn confirm_erasure(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<SwitchRes>> {
    let switch = load(&state, &caller, id, Action::Update).await?;
    let switch = switching::confirm_erasure(&state, Initiator::of(&caller), &switch).await?;
    Ok(Json(switch_res(switch)))
}
