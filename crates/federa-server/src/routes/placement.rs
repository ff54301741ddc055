//! Placement over HTTP: `POST /placement/preview`, and the placement of a
//! service ordered with a `placement` request instead of an agent. Both
//! gather the same candidates and ask the domain's [`place`] the same
//! question, so a preview answers exactly what an order would do now.

use std::collections::HashMap;

use axum::extract::State;
use axum::Json;
use federa_domain::access::{Action, Object, Owners};
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::exchange::placement::{
    apply_policies, place_near_peers, Candidate, CandidateAgent, CandidateVerdict, Choice,
    PeerPlacement, Placement, PlacementDecision, PlacementRequest,
};
use federa_domain::property_schema::{Actor, ValidationContext};
use federa_domain::provisioning::Service;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::Caller;
use crate::clock;
use crate::error::{ApiError, ApiResult};
use crate::extract::Body;
use crate::provisioning::{type_rules, under, ServiceRes, TypeRules};
use crate::state::AppState;

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

/// A placement decided for a consumer, not yet recorded.
pub struct Decided {
    pub decision: PlacementDecision,
    /// The request after the consumer's attached policies.
    pub request: PlacementRequest,
    pub policy_ids: Vec<Uuid>,
}

impl Decided {
    pub fn response(&self) -> PlacementRes {
        PlacementRes {
            chosen: self.decision.chosen.clone(),
            considered: self.decision.considered.clone(),
            explanation: self.decision.explain(),
            effective_request: self.request.clone(),
            applied_policy_ids: self.policy_ids.clone(),
        }
    }
}

/// Decides where a service of `service_type_id` with `properties` would go
/// for `consumer_id`, under `request` narrowed by the consumer's attached
/// policies and keeping its relations to `peers`. Properties are validated
/// by the type's schema first, so the price includes its defaults, as the
/// bill will.
#[allow(clippy::too_many_arguments)]
pub async fn decide(
    state: &AppState,
    consumer_id: Uuid,
    service_type_id: Uuid,
    rules: &TypeRules,
    properties: &Map<String, Value>,
    agent_tags: &[String],
    request: &PlacementRequest,
    peers: &[PeerPlacement],
    actor: Actor,
) -> ApiResult<Decided> {
    request
        .validate()
        .map_err(|errors| under("placement", errors))?;
    let policies = state.store.attached_placement_policies(consumer_id).await?;
    let effective =
        apply_policies(request, &policies).map_err(|errors| under("placement", errors))?;
    let priced = match &rules.properties {
        Some(schema) => {
            schema
                .validate(properties, &ValidationContext::create(actor))
                .map_err(|errors| under("properties", errors))?
                .properties
        }
        None => properties.clone(),
    };
    let candidates = candidates(state, consumer_id, service_type_id, rules).await?;
    if let Some(property) = candidates
        .iter()
        .find_map(|candidate| candidate.offering.price.overflowing_property(&priced))
    {
        return Err(ApiError::field(
            format!("properties.{property}"),
            "is too large to price: an offering's hourly price for it does not fit",
        ));
    }
    let decision = place_near_peers(
        &effective,
        &candidates,
        &priced,
        agent_tags,
        peers,
        clock::now(),
    );
    Ok(Decided {
        decision,
        request: effective,
        policy_ids: policies.iter().map(|policy| policy.id).collect(),
    })
}

/// Every offering of the service type as a placement candidate: its
/// provider's profile, the provider's agents able to run the type, and
/// the counts capacity and spreading are judged by.
async fn candidates(
    state: &AppState,
    consumer_id: Uuid,
    service_type_id: Uuid,
    rules: &TypeRules,
) -> ApiResult<Vec<Candidate>> {
    let stored = state
        .store
        .placement_candidates(service_type_id, rules.lifecycle.terminal_states())
        .await?;
    let mut agents: HashMap<Uuid, Vec<CandidateAgent>> = HashMap::new();
    for agent in state
        .store
        .agent_candidates(service_type_id, None)
        .await?
        .into_iter()
        // A disabled agent (or one of a disabled provider) takes no work, so
        // an offering with no other agent is rejected for having none.
        .filter(|agent| agent.offers_service_type && agent.status != "Disabled")
    {
        agents
            .entry(agent.participant_id)
            .or_default()
            .push(CandidateAgent {
                agent_id: agent.agent_id,
                // Only an agent reporting itself connected is known to be
                // there to claim the job.
                connected: agent.status == "Connected",
                tags: agent.tags,
                name: agent.name,
                status: agent.status,
            });
    }
    let consumer_services = active_services_by_provider(state, consumer_id).await?;
    let mut provider_names: HashMap<Uuid, String> = HashMap::new();
    for provider in stored.profiles.keys() {
        if let Some(participant) = state.store.participant(*provider).await? {
            provider_names.insert(*provider, participant.name);
        }
    }
    Ok(stored
        .offerings
        .into_iter()
        .filter_map(|offering| {
            let profile = stored.profiles.get(&offering.participant_id)?.clone();
            Some(Candidate {
                provider_name: provider_names
                    .get(&offering.participant_id)
                    .cloned()
                    .unwrap_or_default(),
                agents: agents
                    .get(&offering.participant_id)
                    .cloned()
                    .unwrap_or_default(),
                active_services: stored
                    .active_services
                    .get(&offering.id)
                    .copied()
                    .unwrap_or(0),
                consumer_services_here: consumer_services
                    .get(&offering.participant_id)
                    .copied()
                    .unwrap_or(0),
                profile,
                offering,
            })
        })
        .collect())
}

/// The consumer's services not in a terminal state of their own type's
/// lifecycle, counted by provider.
async fn active_services_by_provider(
    state: &AppState,
    consumer_id: Uuid,
) -> ApiResult<HashMap<Uuid, u32>> {
    let mut counts: HashMap<Uuid, u32> = HashMap::new();
    for (provider, service_type, status, services) in
        state.store.consumer_service_counts(consumer_id).await?
    {
        let rules = type_rules(state, service_type, "serviceTypeId").await?;
        if !rules.lifecycle.is_terminal(&status) {
            *counts.entry(provider).or_default() += services;
        }
    }
    Ok(counts)
}

/// The placement of a new order: like [`decide`], but no eligible
/// candidate is a refusal naming every reason, under `placement`.
#[allow(clippy::too_many_arguments)]
pub async fn choose(
    state: &AppState,
    consumer_id: Uuid,
    service_type_id: Uuid,
    rules: &TypeRules,
    properties: &Map<String, Value>,
    agent_tags: &[String],
    request: &PlacementRequest,
    peers: &[PeerPlacement],
    actor: Actor,
) -> ApiResult<(Decided, Choice)> {
    let decided = decide(
        state,
        consumer_id,
        service_type_id,
        rules,
        properties,
        agent_tags,
        request,
        peers,
        actor,
    )
    .await?;
    match decided.decision.chosen.clone() {
        Some(choice) => Ok((decided, choice)),
        None => Err(ApiError::field("placement", decided.decision.explain())),
    }
}

pub fn placement_event(kind: &str, initiator: Initiator, placement: &Placement) -> NewEvent {
    NewEvent::new(kind, initiator, placement.id)
        .provider(Some(placement.provider_id))
        .consumer(Some(placement.consumer_id))
        .agent(Some(placement.agent_id))
        .properties(json!({
            "serviceId": placement.service_id,
            "offeringId": placement.offering_id,
            "region": placement.region,
            "hourlyPrice": placement.hourly_price,
            "explanation": placement.decision.explain(),
        }))
}

/// The placement record of `service`, placed by `decided`: written with the
/// service, and the offering it names is the one the service is billed by.
pub fn decision_for(decided: &Decided, choice: &Choice, service: &Service) -> Placement {
    Placement::new(
        service.id,
        service.consumer_id,
        choice,
        decided.request.clone(),
        decided.decision.clone(),
        service.created_at,
    )
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
    Ok(Json(decided.response()))
}
