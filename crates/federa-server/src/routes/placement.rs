//! Placement over HTTP: `POST /placement/preview`, and the answer shape of
//! a placement decision, which an order placed by the exchange also
//! carries. The decision itself is the exchange's
//! ([`federa_exchange::placement`]).

use axum::extract::State;
use axum::Json;
use federa_domain::access::{Action, Object, Owners};
use federa_domain::exchange::placement::Relations;
use federa_domain::participant::Participant;
use federa_domain::property_schema::Actor;
use federa_exchange::placement::{decide, Decided};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use federa_api::placement::{PlacementPreviewReq, PlacementRes};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::Body;
use crate::resource;
use crate::routes::documented::{Invalid, Refused};
use crate::state::AppState;
use federa_exchange::type_rules::type_rules;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(preview))
}

/// The answer shape of a placement decision.
pub fn placement_res(decided: &Decided) -> PlacementRes {
    PlacementRes {
        chosen: decided.decision.chosen.clone(),
        considered: decided.decision.considered.clone(),
        explanation: decided.decision.explain(),
        effective_request: decided.request.clone(),
        applied_policy_ids: decided.policy_ids.clone(),
    }
}

/// Preview a placement: which offering, region and agent a service would
/// get now, at what price, and why every other candidate lost. Nothing is
/// created.
#[utoipa::path(post, path = "/placement/preview", tag = "Placement", request_body = PlacementPreviewReq,
    responses((status = 200, body = PlacementRes), Invalid, Refused))]
async fn preview(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Body(req): Body<PlacementPreviewReq>,
) -> ApiResult<Json<PlacementRes>> {
    caller.may(Object::Placement, Action::Preview)?;
    let consumer_id = req
        .consumer_id
        .or(caller.participant_id())
        .ok_or_else(|| ApiError::field("consumerId", "is required when acting as admin"))?;
    // The preview applies the consumer's policies: only whoever may read
    // them may ask on the consumer's behalf.
    caller.authorize(
        Object::PlacementPolicy,
        Action::List,
        &Owners::owner(consumer_id),
    )?;
    resource::referenced::<Participant>(&state, consumer_id, "consumerId", "participant").await?;
    let rules = type_rules(&state, req.service_type_id, "serviceTypeId").await?;
    let decided = decide(
        &state,
        consumer_id,
        req.service_type_id,
        &rules,
        &req.properties,
        &req.agent_tags,
        &req.placement,
        Relations::default(),
        Actor::User,
    )
    .await?;
    Ok(Json(placement_res(&decided)))
}
