//! Placement decisions: gathering every offering of a service type as a
//! candidate and asking the domain's placement where a service goes. A
//! preview and an order ask the same question here, so a preview answers
//! exactly what an order would do now.

use std::collections::HashMap;

use federa_domain::event::{Initiator, NewEvent};
use federa_domain::event_kind::EventKind;
use federa_domain::exchange::placement::{
    apply_policies, place_related, Candidate, CandidateAgent, Choice, Placement, PlacementDecision,
    PlacementRequest, Relations,
};
use federa_domain::listing::FieldError;
use federa_domain::property_schema::{Actor, ValidationContext};
use federa_domain::provisioning::Service;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::error::{under, ExchangeError, ExchangeResult};
use crate::type_rules::{type_rules, TypeRules};
use crate::Exchange;

/// A placement decided for a consumer, not yet recorded.
pub struct Decided {
    pub decision: PlacementDecision,
    /// The request after the consumer's attached policies.
    pub request: PlacementRequest,
    pub policy_ids: Vec<Uuid>,
}

/// Decides where a service of `service_type_id` with `properties` would go
/// for `consumer_id`, under `request` narrowed by the consumer's attached
/// policies and keeping its `relations`. Properties are validated
/// by the type's schema first, so the price includes its defaults, as the
/// bill will.
#[allow(clippy::too_many_arguments)]
pub async fn decide(
    exchange: &Exchange,
    consumer_id: Uuid,
    service_type_id: Uuid,
    rules: &TypeRules,
    properties: &Map<String, Value>,
    agent_tags: &[String],
    request: &PlacementRequest,
    relations: Relations<'_>,
    actor: Actor,
) -> ExchangeResult<Decided> {
    request
        .validate()
        .map_err(|errors| under("placement", errors))?;
    let policies = exchange
        .store
        .attached_placement_policies(consumer_id)
        .await?;
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
    let candidates = candidates(exchange, consumer_id, service_type_id, rules).await?;
    if let Some(property) = candidates
        .iter()
        .find_map(|candidate| candidate.offering.price.overflowing_property(&priced))
    {
        let message = "is too large to price: an offering's hourly price for it does not fit";
        return Err(FieldError::new(property, message)
            .under("properties")
            .into());
    }
    let decision = place_related(
        &effective,
        &candidates,
        &priced,
        agent_tags,
        relations,
        exchange.clock.now(),
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
    exchange: &Exchange,
    consumer_id: Uuid,
    service_type_id: Uuid,
    rules: &TypeRules,
) -> ExchangeResult<Vec<Candidate>> {
    let stored = exchange
        .store
        .placement_candidates(service_type_id, rules.lifecycle.terminal_states())
        .await?;
    let mut agents: HashMap<Uuid, Vec<CandidateAgent>> = HashMap::new();
    for agent in exchange
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
    let consumer_services = active_services_by_provider(exchange, consumer_id).await?;
    let mut provider_names: HashMap<Uuid, String> = HashMap::new();
    for provider in stored.profiles.keys() {
        if let Some(participant) = exchange.store.participant(*provider).await? {
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
    exchange: &Exchange,
    consumer_id: Uuid,
) -> ExchangeResult<HashMap<Uuid, u32>> {
    let mut counts: HashMap<Uuid, u32> = HashMap::new();
    for (provider, service_type, status, services) in
        exchange.store.consumer_service_counts(consumer_id).await?
    {
        let rules = type_rules(exchange, service_type, "serviceTypeId").await?;
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
    exchange: &Exchange,
    consumer_id: Uuid,
    service_type_id: Uuid,
    rules: &TypeRules,
    properties: &Map<String, Value>,
    agent_tags: &[String],
    request: &PlacementRequest,
    relations: Relations<'_>,
    actor: Actor,
) -> ExchangeResult<(Decided, Choice)> {
    let decided = decide(
        exchange,
        consumer_id,
        service_type_id,
        rules,
        properties,
        agent_tags,
        request,
        relations,
        actor,
    )
    .await?;
    match decided.decision.chosen.clone() {
        Some(choice) => Ok((decided, choice)),
        None => Err(ExchangeError::field(
            "placement",
            decided.decision.explain(),
        )),
    }
}

pub fn placement_event(kind: EventKind, initiator: Initiator, placement: &Placement) -> NewEvent {
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
