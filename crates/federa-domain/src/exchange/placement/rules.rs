//! The eligibility rules, applied to one candidate. Every rule is checked
//! even after one fails, so a rejected provider learns everything it would
//! have to change, not just the first thing.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::candidate::{Candidate, CandidateAgent};
use super::decision::{CandidateVerdict, Rejection, RejectionRule};
use super::peers::{self, PeerPlacement};
use super::request::{JurisdictionRule, PlacementRequest, Strategy};
use crate::exchange::countries;
use crate::exchange::profile::Region;

/// One candidate judged against a request: its verdict, and where and on
/// which agent it would run if chosen.
pub(super) struct Assessment<'a> {
    pub(super) candidate: &'a Candidate,
    pub(super) verdict: CandidateVerdict,
    /// The region the service would run in, with its distance in km from
    /// `nearCountry` (0 when the strategy does not measure distance).
    pub(super) region: Option<(&'a Region, f64)>,
    pub(super) agent: Option<Uuid>,
}

/// What the request and the moment of placement say about every candidate.
pub(super) struct Context<'a> {
    pub(super) request: &'a PlacementRequest,
    pub(super) properties: &'a Map<String, Value>,
    pub(super) required_agent_tags: &'a [String],
    pub(super) peers: &'a [PeerPlacement],
    /// For the target of a switch, the format the source's data leaves in.
    pub(super) import_format: Option<&'a str>,
    pub(super) now: DateTime<Utc>,
}

pub(super) fn assess<'a>(context: &Context<'_>, candidate: &'a Candidate) -> Assessment<'a> {
    let request = context.request;
    let hourly_price = candidate.offering.price.hourly_price(context.properties);
    let mut rejections = Vec::new();
    if !candidate.offering.enabled {
        rejections.push(reject(
            RejectionRule::OfferingDisabled,
            "offering is disabled".to_owned(),
        ));
    }
    let region = choose_region(request, context.peers, candidate, &mut rejections);
    check_jurisdiction(request.jurisdiction, candidate, &mut rejections);
    check_certifications(context, candidate, &mut rejections);
    if let Some(max) = request.max_hourly_price {
        if hourly_price > max {
            rejections.push(reject(
                RejectionRule::Price,
                format!(
                    "hourly price {hourly_price} EUR exceeds the maximum of {} EUR",
                    max.normalize()
                ),
            ));
        }
    }
    if let Some(capacity) = candidate.offering.capacity {
        if candidate.active_services >= capacity {
            rejections.push(reject(
                RejectionRule::Capacity,
                format!(
                    "offering is at capacity ({} active services, capacity {capacity})",
                    candidate.active_services
                ),
            ));
        }
    }
    let agent = choose_agent(candidate, context.required_agent_tags, &mut rejections);
    peers::check_providers(context.peers, candidate, &mut rejections);
    if let Some(format) = context.import_format {
        check_import(format, candidate, &mut rejections);
    }
    Assessment {
        candidate,
        verdict: CandidateVerdict {
            offering_id: candidate.offering.id,
            participant_id: candidate.offering.participant_id,
            hourly_price,
            accepted: rejections.is_empty(),
            rejections,
            exit_terms: Some(candidate.offering.exit_terms.on(context.now.date_naive())),
        },
        region,
        agent,
    }
}

fn reject(rule: RejectionRule, message: String) -> Rejection {
    Rejection { rule, message }
}

/// The offered region the service would run in: the first one the request
/// allows, or for `nearest` the closest one (the first of equals). Regions
/// missing from the provider's profile are ignored: without a country,
/// nothing can be said about where the data would be.
fn choose_region<'a>(
    request: &PlacementRequest,
    peers: &[PeerPlacement],
    candidate: &'a Candidate,
    rejections: &mut Vec<Rejection>,
) -> Option<(&'a Region, f64)> {
    let declared: Vec<&Region> = candidate
        .offering
        .regions
        .iter()
        .filter_map(|code| candidate.profile.region(code))
        .collect();
    if declared.is_empty() {
        rejections.push(reject(
            RejectionRule::Region,
            "offers no region declared in the provider's profile".to_owned(),
        ));
        return None;
    }
    let country_ok = |region: &Region| allows(&request.countries, &region.country);
    let region_ok = |region: &Region| allows(&request.regions, &region.code);
    let by_country = declared.iter().any(|region| country_ok(region));
    let by_code = declared.iter().any(|region| region_ok(region));
    if !by_country {
        let mut offered: Vec<&str> = Vec::new();
        for region in &declared {
            if !offered.contains(&region.country.as_str()) {
                offered.push(&region.country);
            }
        }
        rejections.push(reject(
            RejectionRule::Country,
            format!(
                "offers regions only in {}, none in an allowed country ({})",
                offered.join(", "),
                request.countries.join(", ")
            ),
        ));
    }
    if !by_code {
        let offered: Vec<&str> = declared.iter().map(|region| region.code.as_str()).collect();
        rejections.push(reject(
            RejectionRule::Region,
            format!(
                "offers regions {}, none of the allowed regions ({})",
                offered.join(", "),
                request.regions.join(", ")
            ),
        ));
    }
    let allowed: Vec<&Region> = declared
        .into_iter()
        .filter(|region| country_ok(region) && region_ok(region))
        .collect();
    if allowed.is_empty() && by_country && by_code {
        rejections.push(reject(
            RejectionRule::Region,
            format!(
                "none of the allowed regions it offers is in an allowed country ({})",
                request.countries.join(", ")
            ),
        ));
    }
    if !allowed.is_empty() && !allowed.iter().any(|region| peers::apart(peers, region)) {
        rejections.push(peers::countries_taken(peers, &allowed));
    }
    let eligible = allowed
        .into_iter()
        .filter(|region| peers::apart(peers, region));
    let near = match (request.strategy, &request.near_country) {
        (Strategy::Nearest, Some(country)) => Some(country.as_str()),
        _ => None,
    };
    let mut best: Option<(&Region, f64)> = None;
    for region in eligible {
        let distance = near.map_or(0.0, |near| {
            countries::distance_km(&region.country, near).unwrap_or(f64::INFINITY)
        });
        if best.is_none_or(|(_, shortest)| distance < shortest) {
            best = Some((region, distance));
        }
    }
    best
}

fn allows(allowed: &[String], value: &str) -> bool {
    allowed.is_empty() || allowed.iter().any(|entry| entry == value)
}

/// A switch's target must be able to bring in the source's export.
fn check_import(format: &str, candidate: &Candidate, rejections: &mut Vec<Rejection>) {
    let terms = &candidate.offering.exit_terms;
    if terms.imports(format) {
        return;
    }
    let formats = terms.importable_formats();
    let importable = if formats.is_empty() {
        "it imports nothing".to_owned()
    } else {
        format!("it imports only {}", formats.join(", "))
    };
    rejections.push(reject(
        RejectionRule::ImportFormat,
        format!("cannot import {format}, the format the switched service's data leaves in: {importable}"),
    ));
}

fn check_jurisdiction(
    rule: JurisdictionRule,
    candidate: &Candidate,
    rejections: &mut Vec<Rejection>,
) {
    if rule == JurisdictionRule::Any {
        return;
    }
    let profile = &candidate.profile;
    if !profile.is_eea_headquartered() {
        rejections.push(reject(
            RejectionRule::Jurisdiction,
            format!(
                "provider is headquartered in {}, outside the EU/EEA",
                profile.jurisdiction
            ),
        ));
    }
    if rule == JurisdictionRule::EuNoForeignLaw && profile.subject_to_non_eu_law {
        rejections.push(reject(
            RejectionRule::ForeignLaw,
            "provider declares it is subject to non-EU law".to_owned(),
        ));
    }
}

fn check_certifications(
    context: &Context<'_>,
    candidate: &Candidate,
    rejections: &mut Vec<Rejection>,
) {
    let required = &context.request.required_certifications;
    for (index, &kind) in required.iter().enumerate() {
        if required[..index].contains(&kind) {
            continue;
        }
        if candidate.profile.certification_valid_at(kind, context.now) {
            continue;
        }
        match candidate.profile.latest_expiry(kind) {
            None => rejections.push(reject(
                RejectionRule::CertificationMissing,
                format!("certification {kind} is missing"),
            )),
            Some(expired) => rejections.push(reject(
                RejectionRule::CertificationExpired,
                format!(
                    "certification {kind} expired on {}",
                    expired.format("%Y-%m-%d")
                ),
            )),
        }
    }
}

/// The agent that would run the service: among connected agents carrying
/// every required tag, the lowest id. Load is not weighed here; the id
/// only makes the choice repeatable.
fn choose_agent(
    candidate: &Candidate,
    tags: &[String],
    rejections: &mut Vec<Rejection>,
) -> Option<Uuid> {
    let agents = &candidate.agents;
    let any_connected = agents.iter().any(|agent| agent.connected);
    let any_tagged = tags.is_empty() || agents.iter().any(|agent| agent.has_tags(tags));
    let chosen = agents
        .iter()
        .filter(|agent| agent.connected && agent.has_tags(tags))
        .map(|agent| agent.agent_id)
        .min();
    if !any_connected {
        rejections.push(reject(
            RejectionRule::NoConnectedAgent,
            naming_absent("no agent of the provider is connected", agents.iter()),
        ));
    }
    if !any_tagged {
        rejections.push(reject(
            RejectionRule::AgentTags,
            format!("no agent has all required tags ({})", tags.join(", ")),
        ));
    }
    if chosen.is_none() && any_connected && any_tagged {
        rejections.push(reject(
            RejectionRule::NoConnectedAgent,
            naming_absent(
                &format!(
                    "no agent with all required tags ({}) is connected",
                    tags.join(", ")
                ),
                agents.iter().filter(|agent| agent.has_tags(tags)),
            ),
        ));
    }
    chosen
}

/// `reason`, followed by the agents passed by for not being connected and
/// their status, where their names are known.
fn naming_absent<'a>(reason: &str, agents: impl Iterator<Item = &'a CandidateAgent>) -> String {
    let absent: Vec<String> = agents
        .filter(|agent| !agent.connected && !agent.name.is_empty())
        .map(|agent| {
            format!(
                "agent {} ({}) is {}",
                agent.name, agent.agent_id, agent.status
            )
        })
        .collect();
    if absent.is_empty() {
        reason.to_owned()
    } else {
        format!("{reason}: {}", absent.join(", "))
    }
}
