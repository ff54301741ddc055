//! Choosing where a service runs: judge every candidate, rank the eligible
//! ones by the request's strategy, take the first.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::candidate::Candidate;
use super::decision::{Choice, PlacementDecision};
use super::peers::PeerPlacement;
use super::request::{PlacementRequest, Strategy};
use super::rules::{assess, Assessment, Context};

/// Places a service with `properties` on one of `candidates` (offerings of
/// its service type), on an agent carrying every `required_agent_tags`,
/// judging certifications at `now`.
///
/// The request is used as given: validate it and merge the consumer's
/// policy first. An invalid code in it simply matches nothing.
pub fn place(
    request: &PlacementRequest,
    candidates: &[Candidate],
    properties: &Map<String, Value>,
    required_agent_tags: &[String],
    now: DateTime<Utc>,
) -> PlacementDecision {
    place_near_peers(
        request,
        candidates,
        properties,
        required_agent_tags,
        &[],
        now,
    )
}

/// [`place`], also keeping every relation to `peers`, services placed
/// before this one: a candidate breaking one is rejected for it.
pub fn place_near_peers(
    request: &PlacementRequest,
    candidates: &[Candidate],
    properties: &Map<String, Value>,
    required_agent_tags: &[String],
    peers: &[PeerPlacement],
    now: DateTime<Utc>,
) -> PlacementDecision {
    let relations = Relations {
        peers,
        ..Relations::default()
    };
    place_related(
        request,
        candidates,
        properties,
        required_agent_tags,
        relations,
        now,
    )
}

/// What a service being placed must keep to besides the request.
#[derive(Debug, Clone, Copy, Default)]
pub struct Relations<'a> {
    /// Services placed before this one.
    pub peers: &'a [PeerPlacement],
    /// For the target of a switch, the format the source's data leaves in:
    /// a candidate whose exit terms cannot import it is rejected for it.
    pub import_format: Option<&'a str>,
    /// The offering a binding quote named: no other candidate is considered.
    pub offering: Option<uuid::Uuid>,
}

/// [`place`], keeping every one of `relations`.
pub fn place_related(
    request: &PlacementRequest,
    candidates: &[Candidate],
    properties: &Map<String, Value>,
    required_agent_tags: &[String],
    relations: Relations<'_>,
    now: DateTime<Utc>,
) -> PlacementDecision {
    let context = Context {
        request,
        properties,
        required_agent_tags,
        peers: relations.peers,
        import_format: relations.import_format,
        now,
    };
    let (mut eligible, mut rejected): (Vec<Assessment>, Vec<Assessment>) = candidates
        .iter()
        .filter(|candidate| {
            relations
                .offering
                .is_none_or(|offering| candidate.offering.id == offering)
        })
        .map(|candidate| assess(&context, candidate))
        .partition(|assessment| assessment.verdict.accepted);
    eligible.sort_by(|a, b| rank(request.strategy, a, b));
    rejected.sort_by(|a, b| tie_break(a, b));
    let chosen = eligible.first().and_then(|best| choice(request, best));
    let considered = eligible
        .into_iter()
        .chain(rejected)
        .map(|assessment| assessment.verdict)
        .collect();
    PlacementDecision { chosen, considered }
}

fn rank(strategy: Strategy, a: &Assessment, b: &Assessment) -> Ordering {
    let primary = match strategy {
        Strategy::Cheapest => Ordering::Equal,
        Strategy::Nearest => distance(a).total_cmp(&distance(b)),
        Strategy::Spread => a
            .candidate
            .consumer_services_here
            .cmp(&b.candidate.consumer_services_here),
    };
    primary
        .then_with(|| a.verdict.hourly_price.cmp(&b.verdict.hourly_price))
        .then_with(|| tie_break(a, b))
}

fn tie_break(a: &Assessment, b: &Assessment) -> Ordering {
    a.verdict
        .participant_id
        .cmp(&b.verdict.participant_id)
        .then_with(|| a.verdict.offering_id.cmp(&b.verdict.offering_id))
}

fn distance(assessment: &Assessment) -> f64 {
    assessment.region.map_or(f64::INFINITY, |(_, km)| km)
}

/// The choice for an eligible candidate; eligibility guarantees a region
/// and an agent, so `None` never happens in practice.
fn choice(request: &PlacementRequest, best: &Assessment) -> Option<Choice> {
    let (region, km) = best.region?;
    let agent_id = best.agent?;
    let price = best.verdict.hourly_price;
    let explanation = match (request.strategy, &request.near_country) {
        (Strategy::Nearest, Some(near)) => format!(
            "nearest eligible region to {near} ({} in {}, about {km:.0} km away)",
            region.code, region.country
        ),
        (Strategy::Spread, _) => format!(
            "provider running the fewest of this consumer's services ({}), then cheapest",
            best.candidate.consumer_services_here
        ),
        _ => "cheapest eligible offering".to_owned(),
    };
    let agent_name = best
        .candidate
        .agents
        .iter()
        .find(|agent| agent.agent_id == agent_id)
        .map(|agent| agent.name.clone())
        .unwrap_or_default();
    Some(Choice {
        offering_id: best.verdict.offering_id,
        participant_id: best.verdict.participant_id,
        provider_name: best.candidate.provider_name.clone(),
        agent_id,
        agent_name,
        region: region.code.clone(),
        hourly_price: price,
        explanation,
        exit_terms: best.verdict.exit_terms.clone(),
    })
}
