//! Placement over HTTP: `POST /placement/preview`, and the answer shape of
//! a placement decision, which an order placed by the exchange also
//! carries. The decision itself is the exchange's
//! ([`federa_exchange::placement`]).

use axum::extract::State;
use axum::Json;
use federa_domain::access::{Action, Object, Owners};
use federa_domain::exchange::placement::{CandidateVerdict, Choice, PlacementRequest};
use federa_domain::property_schema::Actor;
use federa_exchange::placement::{decide, Decided};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::Body;
use crate::provisioning::ServiceRes;
use crate::state::AppState;
use federa_exchange::type_rules::type_rules;

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlacementPreviewReq {
    service_type_id: Uuid,
    /// The consumer the service would be ordered for; defaults to the
    /// caller's participant, and is required of admins.
    consumer_id: Option<Uuid>,
    /// The properties of the order, priced as the order would be.
    #[serde(default)]
    #[schema(value_type = Object)]
    properties: Map<String, Value>,
    #[serde(default)]
    agent_tags: Vec<String>,
    #[serde(default)]
    placement: PlacementRequest,
}

/// A placement decision with its reasons.
#[derive(Serialize, ToSchema, Clone)]
#[serde(rename_all = "camelCase")]
pub struct PlacementRes {
    /// Where the service goes (or would go), with its hourly price; absent
    /// when no candidate is eligible.
    #[serde(skip_serializing_if = "Option::is_none")]
    chosen: Option<Choice>,
    /// Every offering considered: eligible ones in ranking order, then each
    /// rejected one with every rule it broke.
    considered: Vec<CandidateVerdict>,
    /// The decision in a sentence.
    explanation: String,
    /// The request after the consumer's attached policies narrowed it.
    effective_request: PlacementRequest,
    /// The attached policies that were applied.
    applied_policy_ids: Vec<Uuid>,
}

/// A service as answered to its order: with the placement that chose its
/// provider, when the order asked for one.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderedServiceRes {
    #[serde(flatten)]
    pub service: ServiceRes,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placement: Option<PlacementRes>,
}

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
    responses((status = 200, body = PlacementRes), (status = 400, body = crate::routes::ErrorRes), (status = 401), (status = 403)))]
async fn preview(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Body(req): Body<PlacementPreviewReq>,
) -> ApiResult<Json<PlacementRes>> {
    caller.may(Object::Placement, Action::Preview)?;
    let consumer_id = req
        .consumer_id
        .or(caller.participant_id)
        .ok_or_else(|| ApiError::field("consumerId", "is required when acting as admin"))?;
    // The preview applies the consumer's policies: only whoever may read
    // them may ask on the consumer's behalf.
    caller.authorize(
        Object::PlacementPolicy,
        Action::List,
        &Owners::owner(consumer_id),
    )?;
    if state.store.participant(consumer_id).await?.is_none() {
        return Err(ApiError::field("consumerId", "no participant has this id"));
    }
    let rules = type_rules(&state, req.service_type_id, "serviceTypeId").await?;
    let decided = decide(
        &state,
        consumer_id,
        req.service_type_id,
        &rules,
        &req.properties,
        &req.agent_tags,
        &req.placement,
        &[],
        Actor::User,
    )
    .await?;
    Ok(Json(placement_res(&decided)))
}
