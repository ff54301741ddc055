//! Placement: every rule that refuses a candidate is named, eligible
//! candidates are ranked by the request's strategy with deterministic
//! ties, and a consumer's policy only ever narrows a request.

use std::str::FromStr;

use chrono::{DateTime, TimeZone, Utc};
use federa_domain::exchange::composition::PeerRule;
use federa_domain::exchange::placement::{
    place, place_near_peers, place_related, Candidate, CandidateAgent, JurisdictionRule,
    PeerPlacement, PlacementDecision, PlacementRequest, Rejection, RejectionRule, Relations,
    Strategy,
};
use federa_domain::exchange::{
    Certification, CertificationKind, ExitTerms, Offering, PriceSheet, PropertyPrice,
    ProviderProfile, Region,
};
use federa_domain::listing::FieldError;
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use uuid::Uuid;

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).expect("valid decimal literal")
}

fn at(year: i32, month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, day, 0, 0, 0)
        .single()
        .expect("valid test date")
}

fn now() -> DateTime<Utc> {
    at(2026, 6, 1)
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

/// Provider `n` headquartered in `hq`, offering `regions` (code, country)
/// at `hourly` EUR/h through offering `n * 100`, with one connected agent
/// `n * 1000` and no limits.
fn candidate(n: u128, hq: &str, regions: &[(&str, &str)], hourly: &str) -> Candidate {
    Candidate {
        offering: Offering {
            id: id(n * 100),
            participant_id: id(n),
            service_type_id: id(7),
            regions: regions.iter().map(|(code, _)| (*code).to_owned()).collect(),
            price: PriceSheet {
                hourly: dec(hourly),
                per_property: vec![],
                per_metric: vec![],
            },
            capacity: None,
            enabled: true,
            exit_terms: ExitTerms::default(),
            requires_acceptance: false,
        },
        profile: ProviderProfile {
            participant_id: id(n),
            jurisdiction: hq.into(),
            subject_to_non_eu_law: false,
            regions: regions
                .iter()
                .map(|(code, country)| Region {
                    code: (*code).into(),
                    country: (*country).into(),
                    name: None,
                })
                .collect(),
            certifications: vec![],
        },
        provider_name: String::new(),
        agents: vec![agent(n * 1000, true, &[])],
        active_services: 0,
        consumer_services_here: 0,
    }
}

fn agent(n: u128, connected: bool, tags: &[&str]) -> CandidateAgent {
    CandidateAgent {
        agent_id: id(n),
        connected,
        tags: tags.iter().map(|tag| (*tag).to_owned()).collect(),
        ..CandidateAgent::default()
    }
}

fn paris(n: u128, hourly: &str) -> Candidate {
    candidate(n, "FR", &[("fr-par-1", "FR")], hourly)
}

fn no_properties() -> Map<String, Value> {
    Map::new()
}

fn decide(request: &PlacementRequest, candidates: &[Candidate]) -> PlacementDecision {
    place(request, candidates, &no_properties(), &[], now())
}

fn chosen_participant(decision: &PlacementDecision) -> Option<Uuid> {
    decision.chosen.as_ref().map(|choice| choice.participant_id)
}

/// The rules each considered candidate broke, by participant.
fn rules_by_participant(decision: &PlacementDecision) -> Vec<(Uuid, Vec<RejectionRule>)> {
    decision
        .considered
        .iter()
        .map(|verdict| {
            let rules = verdict.rejections.iter().map(|r| r.rule).collect();
            (verdict.participant_id, rules)
        })
        .collect()
}

fn rejection(rule: RejectionRule, message: &str) -> Rejection {
    Rejection {
        rule,
        message: message.into(),
    }
}

#[test]
fn an_empty_request_parses_to_anything_cheapest() {
    let parsed: PlacementRequest = serde_json::from_value(json!({})).expect("parses");
    assert_eq!(parsed, PlacementRequest::default());
    assert_eq!(parsed.strategy, Strategy::Cheapest);
    assert_eq!(parsed.jurisdiction, JurisdictionRule::Any);
}

#[test]
fn a_full_request_parses_from_camel_case() {
    let parsed: PlacementRequest = serde_json::from_value(json!({
        "countries": ["FR", "DE"],
        "regions": ["fr-par-1"],
        "jurisdiction": "euNoForeignLaw",
        "requiredCertifications": ["SecNumCloud", "HDS"],
        "maxHourlyPrice": "0.05",
        "strategy": "nearest",
        "nearCountry": "FR"
    }))
    .expect("parses");
    assert_eq!(
        parsed,
        PlacementRequest {
            countries: vec!["FR".into(), "DE".into()],
            regions: vec!["fr-par-1".into()],
            jurisdiction: JurisdictionRule::EuNoForeignLaw,
            required_certifications: vec![CertificationKind::SecNumCloud, CertificationKind::Hds],
            max_hourly_price: Some(dec("0.05")),
            strategy: Strategy::Nearest,
            near_country: Some("FR".into()),
        }
    );
    assert_eq!(parsed.validate(), Ok(()));
}

#[test]
fn a_misspelt_constraint_is_refused_rather_than_ignored() {
    let parsed: Result<PlacementRequest, _> =
        serde_json::from_value(json!({"maxHourlyPrize": "0.05"}));
    let message = parsed.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.contains("unknown field `maxHourlyPrize`"),
        "{message}"
    );
}

#[test]
fn request_problems_are_reported_with_their_paths() {
    let cases: Vec<(PlacementRequest, Vec<FieldError>)> = vec![
        (
            PlacementRequest {
                countries: vec!["FR".into(), "France".into()],
                ..Default::default()
            },
            vec![FieldError::new(
                "countries[1]",
                "must be an ISO 3166-1 alpha-2 country code",
            )],
        ),
        (
            PlacementRequest {
                regions: vec!["FR-PAR".into()],
                max_hourly_price: Some(dec("-1")),
                ..Default::default()
            },
            vec![
                FieldError::new(
                    "regions[0]",
                    "must be 1 to 64 characters among a-z, 0-9 and -",
                ),
                FieldError::new("maxHourlyPrice", "must not be negative"),
            ],
        ),
        (
            PlacementRequest {
                strategy: Strategy::Nearest,
                ..Default::default()
            },
            vec![FieldError::new(
                "nearCountry",
                "is required when strategy is nearest",
            )],
        ),
        (
            PlacementRequest {
                strategy: Strategy::Nearest,
                near_country: Some("ZZ".into()),
                ..Default::default()
            },
            vec![FieldError::new(
                "nearCountry",
                "must be an ISO 3166-1 alpha-2 country code",
            )],
        ),
    ];
    for (request, expected) in cases {
        assert_eq!(request.validate(), Err(expected), "{request:?}");
    }
}

#[test]
fn cheapest_picks_the_lowest_hourly_price_and_lists_eligible_first() {
    let candidates = [paris(1, "0.05"), paris(2, "0.03"), paris(3, "0.04")];
    let decision = decide(&PlacementRequest::default(), &candidates);
    let choice = decision.chosen.clone().expect("a choice");
    assert_eq!(choice.participant_id, id(2));
    assert_eq!(choice.offering_id, id(200));
    assert_eq!(choice.agent_id, id(2000));
    assert_eq!(choice.region, "fr-par-1");
    assert_eq!(choice.hourly_price, dec("0.03"));
    assert_eq!(choice.explanation, "cheapest eligible offering");
    let order: Vec<Uuid> = decision
        .considered
        .iter()
        .map(|v| v.participant_id)
        .collect();
    assert_eq!(order, [id(2), id(3), id(1)]);
    assert!(decision.considered.iter().all(|v| v.accepted));
}

#[test]
fn equal_prices_are_broken_by_participant_id_then_offering_id() {
    let mut second_offering = paris(2, "0.03");
    second_offering.offering.id = id(150);
    let candidates = [paris(3, "0.03"), paris(2, "0.03"), second_offering];
    let decision = decide(&PlacementRequest::default(), &candidates);
    let order: Vec<Uuid> = decision.considered.iter().map(|v| v.offering_id).collect();
    assert_eq!(order, [id(150), id(200), id(300)]);
}

#[test]
fn the_hourly_price_includes_property_units() {
    let mut vm = paris(1, "0.01");
    vm.offering.price.per_property = vec![
        PropertyPrice {
            property: "cpu".into(),
            unit: "vCPU".into(),
            hourly_per_unit: dec("0.02"),
        },
        PropertyPrice {
            property: "memory".into(),
            unit: "GiB".into(),
            hourly_per_unit: dec("0.005"),
        },
    ];
    let properties = match json!({"cpu": 2, "memory": 4}) {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let cases = [("0.07", true), ("0.069", false)];
    for (cap, accepted) in cases {
        let request = PlacementRequest {
            max_hourly_price: Some(dec(cap)),
            ..Default::default()
        };
        let decision = place(&request, std::slice::from_ref(&vm), &properties, &[], now());
        let verdict = &decision.considered[0];
        assert_eq!(verdict.hourly_price, dec("0.07"));
        assert_eq!(verdict.accepted, accepted, "cap {cap}");
        if !accepted {
            assert_eq!(
                verdict.rejections,
                [rejection(
                    RejectionRule::Price,
                    "hourly price 0.07 EUR exceeds the maximum of 0.069 EUR"
                )]
            );
        }
    }
}

/// FR headquarters; US headquarters; FR headquarters under a US parent;
/// NO (EEA) headquarters; CH headquarters.
fn jurisdiction_candidates() -> Vec<Candidate> {
    let mut foreign_parent = paris(3, "0.01");
    foreign_parent.profile.subject_to_non_eu_law = true;
    vec![
        paris(1, "0.05"),
        candidate(2, "US", &[("fr-par-9", "FR")], "0.02"),
        foreign_parent,
        candidate(4, "NO", &[("no-osl-1", "NO")], "0.04"),
        candidate(5, "CH", &[("ch-zrh-1", "CH")], "0.03"),
    ]
}

#[test]
fn jurisdiction_rules_judge_headquarters_and_foreign_law() {
    use RejectionRule::{ForeignLaw, Jurisdiction};
    /// Rule, chosen participant, rules broken by each considered one.
    type Case = (
        JurisdictionRule,
        Option<u128>,
        Vec<(u128, Vec<RejectionRule>)>,
    );
    let cases: Vec<Case> = vec![
        (
            JurisdictionRule::Any,
            Some(3),
            vec![
                (3, vec![]),
                (2, vec![]),
                (5, vec![]),
                (4, vec![]),
                (1, vec![]),
            ],
        ),
        (
            JurisdictionRule::Eu,
            Some(3),
            vec![
                (3, vec![]),
                (4, vec![]),
                (1, vec![]),
                (2, vec![Jurisdiction]),
                (5, vec![Jurisdiction]),
            ],
        ),
        (
            JurisdictionRule::EuNoForeignLaw,
            Some(4),
            vec![
                (4, vec![]),
                (1, vec![]),
                (2, vec![Jurisdiction]),
                (3, vec![ForeignLaw]),
                (5, vec![Jurisdiction]),
            ],
        ),
    ];
    for (rule, chosen, expected) in cases {
        let request = PlacementRequest {
            jurisdiction: rule,
            ..Default::default()
        };
        let decision = decide(&request, &jurisdiction_candidates());
        assert_eq!(chosen_participant(&decision), chosen.map(id), "{rule:?}");
        let expected: Vec<(Uuid, Vec<RejectionRule>)> = expected
            .into_iter()
            .map(|(n, rules)| (id(n), rules))
            .collect();
        assert_eq!(rules_by_participant(&decision), expected, "{rule:?}");
    }
}

#[test]
fn jurisdiction_messages_name_the_country_and_the_law() {
    let mut us_parent = candidate(2, "US", &[("fr-par-9", "FR")], "0.02");
    us_parent.profile.subject_to_non_eu_law = true;
    let request = PlacementRequest {
        jurisdiction: JurisdictionRule::EuNoForeignLaw,
        ..Default::default()
    };
    let decision = decide(&request, &[us_parent]);
    assert_eq!(
        decision.considered[0].rejections,
        [
            rejection(
                RejectionRule::Jurisdiction,
                "provider is headquartered in US, outside the EU/EEA"
            ),
            rejection(
                RejectionRule::ForeignLaw,
                "provider declares it is subject to non-EU law"
            ),
        ]
    );
}

#[test]
fn certifications_must_be_held_and_unexpired_now() {
    let mut expired = paris(1, "0.01");
    expired.profile.certifications = vec![Certification {
        kind: CertificationKind::SecNumCloud,
        expires_at: at(2026, 1, 31),
    }];
    let mut current = paris(2, "0.09");
    current.profile.certifications = vec![
        Certification {
            kind: CertificationKind::SecNumCloud,
            expires_at: at(2026, 1, 31),
        },
        Certification {
            kind: CertificationKind::SecNumCloud,
            expires_at: at(2029, 1, 31),
        },
    ];
    let missing = paris(3, "0.02");
    let request = PlacementRequest {
        required_certifications: vec![CertificationKind::SecNumCloud],
        ..Default::default()
    };
    let decision = decide(&request, &[expired, current, missing]);
    assert_eq!(chosen_participant(&decision), Some(id(2)));
    let rejected: Vec<(Uuid, Vec<Rejection>)> = decision
        .considered
        .iter()
        .filter(|v| !v.accepted)
        .map(|v| (v.participant_id, v.rejections.clone()))
        .collect();
    assert_eq!(
        rejected,
        [
            (
                id(1),
                vec![rejection(
                    RejectionRule::CertificationExpired,
                    "certification SecNumCloud expired on 2026-01-31"
                )]
            ),
            (
                id(3),
                vec![rejection(
                    RejectionRule::CertificationMissing,
                    "certification SecNumCloud is missing"
                )]
            ),
        ]
    );
}

#[test]
fn capacity_counts_active_services_against_the_limit() {
    let cases = [(9, true), (10, false), (11, false)];
    for (active, accepted) in cases {
        let mut full = paris(1, "0.01");
        full.offering.capacity = Some(10);
        full.active_services = active;
        let decision = decide(&PlacementRequest::default(), &[full]);
        assert_eq!(decision.considered[0].accepted, accepted, "{active} active");
        if !accepted {
            let message =
                format!("offering is at capacity ({active} active services, capacity 10)");
            assert_eq!(
                decision.considered[0].rejections,
                [rejection(RejectionRule::Capacity, &message)]
            );
        }
    }
}

#[test]
fn agents_must_be_connected_and_carry_every_required_tag() {
    let tags = ["gpu".to_owned(), "eu-west".to_owned()];
    type Case = (
        &'static str,
        Vec<CandidateAgent>,
        Option<u128>,
        Vec<Rejection>,
    );
    let cases: Vec<Case> = vec![
        (
            "lowest connected tagged agent wins",
            vec![
                agent(9, true, &["gpu", "eu-west"]),
                agent(3, false, &["gpu", "eu-west"]),
                agent(5, true, &["eu-west", "gpu", "ssd"]),
                agent(1, true, &["gpu"]),
            ],
            Some(5),
            vec![],
        ),
        (
            "nobody connected",
            vec![agent(1, false, &["gpu", "eu-west"])],
            None,
            vec![rejection(
                RejectionRule::NoConnectedAgent,
                "no agent of the provider is connected",
            )],
        ),
        (
            "connected but untagged",
            vec![agent(1, true, &["gpu"])],
            None,
            vec![rejection(
                RejectionRule::AgentTags,
                "no agent has all required tags (gpu, eu-west)",
            )],
        ),
        (
            "tagged agent offline, untagged one online",
            vec![
                agent(1, true, &["gpu"]),
                agent(2, false, &["gpu", "eu-west"]),
            ],
            None,
            vec![rejection(
                RejectionRule::NoConnectedAgent,
                "no agent with all required tags (gpu, eu-west) is connected",
            )],
        ),
        (
            "no agents at all",
            vec![],
            None,
            vec![
                rejection(
                    RejectionRule::NoConnectedAgent,
                    "no agent of the provider is connected",
                ),
                rejection(
                    RejectionRule::AgentTags,
                    "no agent has all required tags (gpu, eu-west)",
                ),
            ],
        ),
    ];
    for (name, agents, chosen_agent, rejections) in cases {
        let mut provider = paris(1, "0.01");
        provider.agents = agents;
        let decision = place(
            &PlacementRequest::default(),
            &[provider],
            &no_properties(),
            &tags,
            now(),
        );
        let chosen = decision.chosen.as_ref().map(|choice| choice.agent_id);
        assert_eq!(chosen, chosen_agent.map(id), "{name}");
        assert_eq!(decision.considered[0].rejections, rejections, "{name}");
    }
}

#[test]
fn without_required_tags_any_connected_agent_will_do() {
    let mut provider = paris(1, "0.01");
    provider.agents = vec![agent(4, false, &[]), agent(8, true, &["gpu"])];
    let decision = decide(&PlacementRequest::default(), &[provider]);
    assert_eq!(decision.chosen.map(|c| c.agent_id), Some(id(8)));

    let mut offline = paris(1, "0.01");
    offline.agents = vec![];
    let decision = decide(&PlacementRequest::default(), &[offline]);
    assert_eq!(
        decision.considered[0].rejections,
        [rejection(
            RejectionRule::NoConnectedAgent,
            "no agent of the provider is connected"
        )]
    );
}

#[test]
fn country_and_region_lists_pick_the_first_allowed_region() {
    let multi = candidate(
        1,
        "FR",
        &[("fr-par-1", "FR"), ("de-fra-1", "DE"), ("de-ber-1", "DE")],
        "0.01",
    );
    type Case = (
        Vec<&'static str>,
        Vec<&'static str>,
        Option<&'static str>,
        Vec<Rejection>,
    );
    let cases: Vec<Case> = vec![
        (vec![], vec![], Some("fr-par-1"), vec![]),
        (vec!["DE"], vec![], Some("de-fra-1"), vec![]),
        (vec![], vec!["de-ber-1"], Some("de-ber-1"), vec![]),
        (vec!["DE", "FR"], vec!["de-ber-1", "fr-par-1"], Some("fr-par-1"), vec![]),
        (
            vec!["IT", "ES"],
            vec![],
            None,
            vec![rejection(
                RejectionRule::Country,
                "offers regions only in FR, DE, none in an allowed country (IT, ES)",
            )],
        ),
        (
            vec![],
            vec!["it-mil-1"],
            None,
            vec![rejection(
                RejectionRule::Region,
                "offers regions fr-par-1, de-fra-1, de-ber-1, none of the allowed regions (it-mil-1)",
            )],
        ),
        (
            vec!["DE"],
            vec!["fr-par-1"],
            None,
            vec![rejection(
                RejectionRule::Region,
                "none of the allowed regions it offers is in an allowed country (DE)",
            )],
        ),
    ];
    for (countries, regions, region, rejections) in cases {
        let request = PlacementRequest {
            countries: countries.iter().map(|c| (*c).to_owned()).collect(),
            regions: regions.iter().map(|r| (*r).to_owned()).collect(),
            ..Default::default()
        };
        let decision = decide(&request, std::slice::from_ref(&multi));
        let chosen = decision
            .chosen
            .as_ref()
            .map(|choice| choice.region.as_str());
        assert_eq!(chosen, region, "{countries:?} {regions:?}");
        assert_eq!(
            decision.considered[0].rejections, rejections,
            "{countries:?} {regions:?}"
        );
    }
}

#[test]
fn an_offering_without_declared_regions_cannot_be_placed() {
    let mut ghost = paris(1, "0.01");
    ghost.offering.regions = vec!["xx-nowhere-1".into()];
    let decision = decide(&PlacementRequest::default(), &[ghost]);
    assert_eq!(
        decision.considered[0].rejections,
        [rejection(
            RejectionRule::Region,
            "offers no region declared in the provider's profile"
        )]
    );
}

#[test]
fn nearest_prefers_distance_over_price_and_picks_the_closest_region() {
    let candidates = [
        candidate(1, "FR", &[("fr-par-1", "FR"), ("de-fra-1", "DE")], "0.05"),
        candidate(2, "PL", &[("pl-waw-1", "PL")], "0.01"),
        candidate(3, "DE", &[("de-ber-1", "DE")], "0.04"),
    ];
    let request = PlacementRequest {
        strategy: Strategy::Nearest,
        near_country: Some("DE".into()),
        ..Default::default()
    };
    let decision = decide(&request, &candidates);
    let choice = decision.chosen.clone().expect("a choice");
    // Both DE regions are 0 km away; the cheaper one wins.
    assert_eq!(choice.participant_id, id(3));
    assert_eq!(choice.region, "de-ber-1");
    assert_eq!(
        choice.explanation,
        "nearest eligible region to DE (de-ber-1 in DE, about 0 km away)"
    );
    let order: Vec<Uuid> = decision
        .considered
        .iter()
        .map(|v| v.participant_id)
        .collect();
    assert_eq!(order, [id(3), id(1), id(2)]);

    let from_france = PlacementRequest {
        near_country: Some("FR".into()),
        ..request
    };
    let decision = decide(&from_france, &candidates);
    let choice = decision.chosen.expect("a choice");
    assert_eq!(
        (choice.participant_id, choice.region.as_str()),
        (id(1), "fr-par-1")
    );
}

#[test]
fn spread_prefers_the_provider_with_fewest_of_the_consumers_services() {
    let mut busy = paris(1, "0.01");
    busy.consumer_services_here = 3;
    let mut quiet_dear = paris(2, "0.05");
    quiet_dear.consumer_services_here = 0;
    let mut quiet_cheap = paris(3, "0.04");
    quiet_cheap.consumer_services_here = 0;
    let mut some = paris(4, "0.02");
    some.consumer_services_here = 1;
    let request = PlacementRequest {
        strategy: Strategy::Spread,
        ..Default::default()
    };
    let decision = decide(&request, &[busy, quiet_dear, quiet_cheap, some]);
    let order: Vec<Uuid> = decision
        .considered
        .iter()
        .map(|v| v.participant_id)
        .collect();
    assert_eq!(order, [id(3), id(2), id(4), id(1)]);
    assert_eq!(
        decision.chosen.map(|c| c.explanation),
        Some("provider running the fewest of this consumer's services (0), then cheapest".into())
    );
}

#[test]
fn a_candidate_that_breaks_every_rule_lists_every_rule() {
    let mut worst = candidate(1, "US", &[("fr-par-1", "FR")], "0.09");
    worst.offering.enabled = false;
    worst.offering.capacity = Some(2);
    worst.active_services = 2;
    worst.profile.subject_to_non_eu_law = true;
    worst.profile.certifications = vec![Certification {
        kind: CertificationKind::SecNumCloud,
        expires_at: at(2026, 1, 31),
    }];
    worst.agents = vec![];
    let request = PlacementRequest {
        countries: vec!["DE".into()],
        regions: vec!["de-fra-1".into()],
        jurisdiction: JurisdictionRule::EuNoForeignLaw,
        required_certifications: vec![
            CertificationKind::Hds,
            CertificationKind::SecNumCloud,
            CertificationKind::Hds,
        ],
        max_hourly_price: Some(dec("0.050")),
        strategy: Strategy::Cheapest,
        near_country: None,
    };
    let tags = ["gpu".to_owned()];
    let peers = [peer(PeerRule::DifferentProviders, 1, "FR")];
    let relations = Relations {
        peers: &peers,
        import_format: Some("application/x-qemu-disk"),
        offering: None,
    };
    let decision = place_related(
        &request,
        &[worst],
        &no_properties(),
        &tags,
        relations,
        now(),
    );
    assert_eq!(decision.chosen, None);
    let expected = [
        rejection(RejectionRule::OfferingDisabled, "offering is disabled"),
        rejection(
            RejectionRule::Country,
            "offers regions only in FR, none in an allowed country (DE)",
        ),
        rejection(
            RejectionRule::Region,
            "offers regions fr-par-1, none of the allowed regions (de-fra-1)",
        ),
        rejection(
            RejectionRule::Jurisdiction,
            "provider is headquartered in US, outside the EU/EEA",
        ),
        rejection(
            RejectionRule::ForeignLaw,
            "provider declares it is subject to non-EU law",
        ),
        rejection(
            RejectionRule::CertificationMissing,
            "certification HDS is missing",
        ),
        rejection(
            RejectionRule::CertificationExpired,
            "certification SecNumCloud expired on 2026-01-31",
        ),
        rejection(
            RejectionRule::Price,
            "hourly price 0.09 EUR exceeds the maximum of 0.05 EUR",
        ),
        rejection(
            RejectionRule::Capacity,
            "offering is at capacity (2 active services, capacity 2)",
        ),
        rejection(
            RejectionRule::NoConnectedAgent,
            "no agent of the provider is connected",
        ),
        rejection(
            RejectionRule::AgentTags,
            "no agent has all required tags (gpu)",
        ),
        rejection(
            RejectionRule::PeerRelation,
            "`db` already runs with this provider",
        ),
        rejection(
            RejectionRule::ImportFormat,
            "cannot import application/x-qemu-disk, the format the switched service's data leaves in: it imports nothing",
        ),
    ];
    assert_eq!(decision.considered[0].rejections, expected);
    assert!(!decision.considered[0].accepted);
    let rules: Vec<RejectionRule> = expected.iter().map(|r| r.rule).collect();
    assert_eq!(rules, RejectionRule::ALL);
    let wire: Vec<Value> = rules
        .iter()
        .map(|rule| serde_json::to_value(rule).unwrap_or(Value::Null))
        .collect();
    assert_eq!(
        wire,
        [
            "offeringDisabled",
            "country",
            "region",
            "jurisdiction",
            "foreignLaw",
            "certificationMissing",
            "certificationExpired",
            "price",
            "capacity",
            "noConnectedAgent",
            "agentTags",
            "peerRelation",
            "importFormat"
        ]
        .map(Value::from)
    );
}

#[test]
fn explain_summarises_the_choice_or_the_reasons_for_none() {
    let mut disabled = paris(1, "0.01");
    disabled.offering.enabled = false;
    let mut dear = paris(2, "0.50");
    dear.offering.enabled = false;
    let mut cheap = paris(3, "0.02");
    cheap.provider_name = "Seine Cloud SAS".into();
    cheap.agents[0].name = "seine-agent".into();
    let request = PlacementRequest {
        max_hourly_price: Some(dec("0.10")),
        ..Default::default()
    };

    let placed = decide(&request, &[disabled.clone(), dear.clone(), cheap.clone()]);
    let choice = placed
        .chosen
        .as_ref()
        .expect("the cheap offering is chosen");
    assert_eq!(
        (choice.provider_name.as_str(), choice.agent_name.as_str()),
        ("Seine Cloud SAS", "seine-agent")
    );
    assert_eq!(
        placed.explain(),
        "Placed on the offering of Seine Cloud SAS in region fr-par-1 via agent seine-agent \
         at 0.02 EUR/h: cheapest eligible offering. 1 of 3 candidates were eligible."
    );

    // A decision recorded before names were kept still says which, by id.
    let mut unnamed = placed.clone();
    if let Some(choice) = unnamed.chosen.as_mut() {
        choice.provider_name.clear();
        choice.agent_name.clear();
    }
    assert_eq!(
        unnamed.explain(),
        format!(
            "Placed on the offering of {} in region fr-par-1 via agent {} at 0.02 EUR/h: \
             cheapest eligible offering. 1 of 3 candidates were eligible.",
            id(3),
            id(3000)
        )
    );

    let refused = decide(&request, &[disabled, dear]);
    assert_eq!(
        refused.explain(),
        "No offering can take the service: none of the 2 candidates is eligible \
         (offeringDisabled: 2, price: 1)."
    );

    let empty = decide(&request, &[]);
    assert_eq!(empty.explain(), "No offering was available to consider.");
    assert_eq!(empty.considered, []);
}

#[test]
fn a_policy_narrows_a_request_and_never_widens_it() {
    let request = PlacementRequest {
        countries: vec!["FR".into(), "DE".into(), "BE".into()],
        regions: vec![],
        jurisdiction: JurisdictionRule::Eu,
        required_certifications: vec![CertificationKind::Iso27001],
        max_hourly_price: Some(dec("0.10")),
        strategy: Strategy::Nearest,
        near_country: Some("BE".into()),
    };
    let policy = PlacementRequest {
        countries: vec!["DE".into(), "FR".into(), "IT".into()],
        regions: vec!["fr-par-1".into(), "de-fra-1".into()],
        jurisdiction: JurisdictionRule::EuNoForeignLaw,
        required_certifications: vec![CertificationKind::SecNumCloud, CertificationKind::Iso27001],
        max_hourly_price: Some(dec("0.08")),
        strategy: Strategy::Spread,
        near_country: Some("IT".into()),
    };
    assert_eq!(
        request.merge_policy(&policy),
        Ok(PlacementRequest {
            countries: vec!["FR".into(), "DE".into()],
            regions: vec!["fr-par-1".into(), "de-fra-1".into()],
            jurisdiction: JurisdictionRule::EuNoForeignLaw,
            required_certifications: vec![
                CertificationKind::Iso27001,
                CertificationKind::SecNumCloud
            ],
            max_hourly_price: Some(dec("0.08")),
            strategy: Strategy::Nearest,
            near_country: Some("BE".into()),
        })
    );
}

#[test]
fn merging_combines_each_constraint_by_its_own_rule() {
    type Case = (
        &'static str,
        PlacementRequest,
        PlacementRequest,
        PlacementRequest,
    );
    let any = PlacementRequest::default;
    let cases: Vec<Case> = vec![
        ("nothing and nothing", any(), any(), any()),
        (
            "an empty list takes the other's",
            PlacementRequest {
                countries: vec!["FR".into()],
                ..any()
            },
            PlacementRequest {
                regions: vec!["de-fra-1".into()],
                ..any()
            },
            PlacementRequest {
                countries: vec!["FR".into()],
                regions: vec!["de-fra-1".into()],
                ..any()
            },
        ),
        (
            "the only price cap applies",
            any(),
            PlacementRequest {
                max_hourly_price: Some(dec("0.2")),
                ..any()
            },
            PlacementRequest {
                max_hourly_price: Some(dec("0.2")),
                ..any()
            },
        ),
        (
            "the stricter jurisdiction wins whichever side has it",
            PlacementRequest {
                jurisdiction: JurisdictionRule::EuNoForeignLaw,
                ..any()
            },
            PlacementRequest {
                jurisdiction: JurisdictionRule::Eu,
                ..any()
            },
            PlacementRequest {
                jurisdiction: JurisdictionRule::EuNoForeignLaw,
                ..any()
            },
        ),
        (
            "the request's strategy wins over the policy's",
            any(),
            PlacementRequest {
                strategy: Strategy::Spread,
                ..any()
            },
            any(),
        ),
        (
            "duplicates collapse",
            PlacementRequest {
                countries: vec!["FR".into(), "FR".into()],
                required_certifications: vec![CertificationKind::Hds, CertificationKind::Hds],
                ..any()
            },
            any(),
            PlacementRequest {
                countries: vec!["FR".into()],
                required_certifications: vec![CertificationKind::Hds],
                ..any()
            },
        ),
    ];
    for (name, request, policy, expected) in cases {
        assert_eq!(request.merge_policy(&policy), Ok(expected), "{name}");
    }
}

#[test]
fn disjoint_lists_are_a_conflict_not_an_open_door() {
    let request = PlacementRequest {
        countries: vec!["FR".into()],
        regions: vec!["fr-par-1".into()],
        ..Default::default()
    };
    let policy = PlacementRequest {
        countries: vec!["DE".into(), "AT".into()],
        regions: vec!["de-fra-1".into()],
        ..Default::default()
    };
    assert_eq!(
        request.merge_policy(&policy),
        Err(vec![
            FieldError::new(
                "countries",
                "no country is allowed by both the request (FR) and the consumer's policy (DE, AT)"
            ),
            FieldError::new(
                "regions",
                "no region is allowed by both the request (fr-par-1) and the consumer's policy (de-fra-1)"
            ),
        ])
    );
}

#[test]
fn decisions_serialize_in_camel_case() {
    let mut candidate = paris(1, "0.010");
    candidate.provider_name = "Seine Cloud SAS".into();
    candidate.agents[0].name = "seine-agent".into();
    let decision = decide(&PlacementRequest::default(), &[candidate]);
    let value = serde_json::to_value(&decision).expect("serializes");
    let exit_terms = json!({
        "noticePeriodDays": 0,
        "transitionalPeriodDays": 30,
        "exportable": [],
        "switchingCharge": "0",
        "date": "2026-06-01",
        "switchingChargeDue": "0"
    });
    assert_eq!(
        value,
        json!({
            "chosen": {
                "offeringId": id(100),
                "participantId": id(1),
                "providerName": "Seine Cloud SAS",
                "agentId": id(1000),
                "agentName": "seine-agent",
                "region": "fr-par-1",
                "hourlyPrice": "0.01",
                "explanation": "cheapest eligible offering",
                "exitTerms": exit_terms.clone()
            },
            "considered": [{
                "offeringId": id(100),
                "participantId": id(1),
                "hourlyPrice": "0.01",
                "accepted": true,
                "rejections": [],
                "exitTerms": exit_terms
            }]
        })
    );
    let back: PlacementDecision = serde_json::from_value(value.clone()).expect("parses");
    assert_eq!(back, decision);

    // Decisions recorded before names and exit terms were kept still
    // read, without them.
    let mut recorded = value;
    let chosen = recorded["chosen"].as_object_mut().expect("a choice");
    chosen.remove("providerName");
    chosen.remove("agentName");
    chosen.remove("exitTerms");
    recorded["considered"][0]
        .as_object_mut()
        .expect("a verdict")
        .remove("exitTerms");
    let old: PlacementDecision = serde_json::from_value(recorded).expect("parses");
    assert_eq!(old.considered[0].exit_terms, None);
    let choice = old.chosen.expect("a choice");
    assert_eq!(
        (choice.provider_name, choice.agent_name, choice.exit_terms),
        (String::new(), String::new(), None)
    );
}

/// Component `db`, placed with provider `n` in `country`, related by `rule`.
fn peer(rule: PeerRule, n: u128, country: &str) -> PeerPlacement {
    PeerPlacement {
        name: "db".into(),
        rule,
        participant_id: id(n),
        country: country.into(),
    }
}

#[test]
fn relations_to_placed_peers_refuse_the_provider_or_keep_the_country_apart() {
    let finland = candidate(1, "FI", &[("fi-hel-1", "FI")], "0.09");
    let germany = candidate(2, "DE", &[("fi-esp-1", "FI"), ("de-fra-1", "DE")], "0.04");
    let both = [finland, germany];
    let near = |peers: &[PeerPlacement]| {
        place_near_peers(
            &PlacementRequest::default(),
            &both,
            &no_properties(),
            &[],
            peers,
            now(),
        )
    };
    assert_eq!(near(&[]), decide(&PlacementRequest::default(), &both));

    let apart = near(&[peer(PeerRule::DifferentProviders, 2, "DE")]);
    assert_eq!(chosen_participant(&apart), Some(id(1)));
    assert_eq!(
        apart.considered[1].rejections,
        [rejection(
            RejectionRule::PeerRelation,
            "`db` already runs with this provider",
        )]
    );

    let together = near(&[peer(PeerRule::SameProvider, 1, "FI")]);
    assert_eq!(
        chosen_participant(&together),
        Some(id(1)),
        "dearer, but with db"
    );
    assert_eq!(
        rules_by_participant(&together),
        [(id(1), vec![]), (id(2), vec![RejectionRule::PeerRelation]),]
    );
    assert_eq!(
        together.considered[1].rejections[0].message,
        "`db` runs with another provider"
    );

    let abroad = near(&[peer(PeerRule::DifferentCountries, 1, "FI")]);
    let choice = abroad
        .chosen
        .as_ref()
        .expect("Germany has a region outside Finland");
    assert_eq!(
        (choice.participant_id, choice.region.as_str()),
        (id(2), "de-fra-1"),
        "the region in Finland is passed over"
    );
    assert_eq!(
        abroad.considered[1].rejections,
        [rejection(
            RejectionRule::PeerRelation,
            "offers regions only in countries where related services run: `db` (FI)",
        )]
    );
}

#[test]
fn a_switch_target_that_cannot_import_the_source_format_is_passed_by_with_the_reason() {
    let mut csv_only = candidate(1, "FI", &[("fi-hel-1", "FI")], "0.01");
    csv_only.offering.exit_terms.importable = Some(vec!["text/csv".into()]);
    let silent = candidate(2, "DE", &[("de-fra-1", "DE")], "0.02");
    let mut json = candidate(3, "FR", &[("fr-par-1", "FR")], "0.09");
    json.offering.exit_terms.importable = Some(vec!["application/json".into()]);
    let all = [csv_only, silent, json];
    let importing = |format| {
        place_related(
            &PlacementRequest::default(),
            &all,
            &no_properties(),
            &[],
            Relations {
                peers: &[],
                import_format: Some(format),
                offering: None,
            },
            now(),
        )
    };
    let decision = importing("application/json");
    assert_eq!(
        chosen_participant(&decision),
        Some(id(3)),
        "dearest, but imports"
    );
    assert_eq!(
        decision.considered[1].rejections,
        [rejection(
            RejectionRule::ImportFormat,
            "cannot import application/json, the format the switched service's data leaves in: it imports only text/csv",
        )]
    );
    assert_eq!(
        decision.considered[2].rejections,
        [rejection(
            RejectionRule::ImportFormat,
            "cannot import application/json, the format the switched service's data leaves in: it imports nothing",
        )]
    );
    let nowhere = importing("application/x-qemu-disk");
    assert_eq!(nowhere.chosen, None);
    assert!(
        nowhere.explain().contains("importFormat: 3"),
        "{}",
        nowhere.explain()
    );
    // An ordinary placement asks nothing of what an offering imports.
    assert_eq!(
        chosen_participant(&decide(&PlacementRequest::default(), &all)),
        Some(id(1))
    );
}

#[test]
fn every_candidate_shows_its_exit_terms_with_the_charge_due_on_the_day_of_placement() {
    let mut charging = paris(1, "0.05");
    charging.offering.exit_terms.switching_charge = dec("12.50");
    charging.offering.enabled = false;
    let free = paris(2, "0.07");
    let candidates = [charging, free];
    let request = PlacementRequest::default();
    let decision = decide(&request, &candidates);
    let due = |decision: &PlacementDecision, participant: Uuid| {
        decision
            .considered
            .iter()
            .find(|verdict| verdict.participant_id == participant)
            .and_then(|verdict| verdict.exit_terms.as_ref())
            .map(|terms| (terms.date.to_string(), terms.switching_charge_due))
    };
    // A rejected candidate shows its terms too, so a consumer sees them all.
    assert_eq!(
        due(&decision, id(1)),
        Some(("2026-06-01".into(), dec("12.50")))
    );
    assert_eq!(
        due(&decision, id(2)),
        Some(("2026-06-01".into(), Decimal::ZERO))
    );
    let chosen = decision.chosen.as_ref().expect("the free one is eligible");
    assert_eq!(
        chosen.exit_terms,
        Some(candidates[1].offering.exit_terms.on(now().date_naive()))
    );

    let later = place(
        &request,
        &candidates,
        &no_properties(),
        &[],
        at(2027, 1, 12),
    );
    assert_eq!(
        due(&later, id(1)),
        Some(("2027-01-12".into(), Decimal::ZERO))
    );
}
