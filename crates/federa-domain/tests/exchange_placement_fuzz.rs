//! Arbitrary requests and candidates must never make placement panic, and
//! whatever it chooses must be eligible and, under `cheapest`, no dearer
//! than any other eligible candidate.
//!
//! The generators lean towards plausible inputs (valid codes, connected
//! agents, modest prices) so that many cases have several eligible
//! candidates to rank, and mix in garbage (bad codes, extreme decimals,
//! huge property values) so the rules meet it too.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use federa_domain::exchange::placement::{
    place, Candidate, CandidateAgent, JurisdictionRule, PlacementDecision, PlacementRequest,
    Strategy as Ranking,
};
use federa_domain::exchange::{
    Certification, CertificationKind, ExitTerms, Offering, PriceSheet, PropertyPrice,
    ProviderProfile, Region,
};
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use uuid::Uuid;

const COUNTRIES: &[&str] = &["FR", "DE", "NO", "CH", "US", "fr", "XX", ""];
/// Regions every generated profile declares, with their countries.
const KNOWN_REGIONS: &[(&str, &str)] =
    &[("fr-par-1", "FR"), ("de-fra-1", "DE"), ("us-east-1", "US")];
const REGIONS: &[&str] = &["fr-par-1", "de-fra-1", "us-east-1", "no-osl-1", "BAD CODE"];
const TAGS: &[&str] = &["gpu", "ssd"];
const KINDS: &[CertificationKind] = &[
    CertificationKind::SecNumCloud,
    CertificationKind::Iso27001,
    CertificationKind::Hds,
];

fn now() -> DateTime<Utc> {
    Utc.timestamp_opt(1_780_000_000, 0)
        .single()
        .unwrap_or_default()
}

fn arb_price() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        8 => (0i64..100, 0u32..=3).prop_map(|(mantissa, scale)| Decimal::new(mantissa, scale)),
        1 => (any::<i64>(), 0u32..=28).prop_map(|(mantissa, scale)| Decimal::new(mantissa, scale)),
        1 => prop::sample::select(&[Decimal::MAX, Decimal::MIN, Decimal::ZERO][..]),
    ]
}

fn arb_country() -> impl Strategy<Value = String> {
    prop::sample::select(COUNTRIES).prop_map(str::to_owned)
}

fn arb_region_code() -> impl Strategy<Value = String> {
    prop::sample::select(REGIONS).prop_map(str::to_owned)
}

/// Mostly a region every profile declares.
fn arb_offered_region() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(KNOWN_REGIONS).prop_map(|(code, _)| code.to_owned()),
        1 => arb_region_code(),
    ]
}

fn arb_tags() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(prop::sample::select(TAGS).prop_map(str::to_owned), 0..3)
}

/// Mostly empty (no constraint), sometimes a short list.
fn arb_list<T: std::fmt::Debug + Clone>(
    item: impl Strategy<Value = T>,
) -> impl Strategy<Value = Vec<T>> {
    prop_oneof![3 => Just(Vec::new()), 1 => prop::collection::vec(item, 1..3)]
}

fn arb_request() -> impl Strategy<Value = PlacementRequest> {
    (
        arb_list(arb_country()),
        arb_list(arb_region_code()),
        prop_oneof![
            2 => Just(JurisdictionRule::Any),
            1 => Just(JurisdictionRule::Eu),
            1 => Just(JurisdictionRule::EuNoForeignLaw),
        ],
        arb_list(prop::sample::select(KINDS)),
        prop_oneof![2 => Just(None), 1 => arb_price().prop_map(Some)],
        prop::sample::select(&[Ranking::Cheapest, Ranking::Nearest, Ranking::Spread][..]),
        prop::option::of(arb_country()),
    )
        .prop_map(
            |(countries, regions, jurisdiction, certifications, max, strategy, near)| {
                PlacementRequest {
                    countries,
                    regions,
                    jurisdiction,
                    required_certifications: certifications,
                    max_hourly_price: max,
                    strategy,
                    near_country: near,
                }
            },
        )
}

fn arb_profile(participant: u128) -> impl Strategy<Value = ProviderProfile> {
    (
        prop::sample::select(&["FR", "DE", "NO", "FR", "DE", "US", "CH", "xx"][..]),
        prop::bool::weighted(0.2),
        prop::collection::vec((arb_region_code(), arb_country()), 0..2),
        prop::collection::vec(
            (prop::sample::select(KINDS), -1_000_000i64..100_000_000),
            1..5,
        ),
    )
        .prop_map(move |(hq, foreign, extra_regions, certifications)| {
            let known = KNOWN_REGIONS
                .iter()
                .map(|(code, country)| ((*code).to_owned(), (*country).to_owned()));
            ProviderProfile {
                participant_id: Uuid::from_u128(participant),
                jurisdiction: hq.to_owned(),
                subject_to_non_eu_law: foreign,
                regions: known
                    .chain(extra_regions)
                    .map(|(code, country)| Region {
                        code,
                        country,
                        name: None,
                    })
                    .collect(),
                certifications: certifications
                    .into_iter()
                    .map(|(kind, offset)| Certification {
                        kind,
                        expires_at: now() + TimeDelta::seconds(offset),
                    })
                    .collect(),
            }
        })
}

fn arb_agents() -> impl Strategy<Value = Vec<CandidateAgent>> {
    let agent =
        (0u128..6, prop::bool::weighted(0.9), arb_tags()).prop_map(|(agent, connected, tags)| {
            CandidateAgent {
                agent_id: Uuid::from_u128(agent),
                connected,
                tags,
                ..CandidateAgent::default()
            }
        });
    prop_oneof![1 => Just(Vec::new()), 6 => prop::collection::vec(agent, 1..4)]
}

fn arb_candidate() -> impl Strategy<Value = Candidate> {
    (0u128..4, 0u128..4).prop_flat_map(|(participant, offering)| {
        (
            arb_profile(participant),
            prop::collection::vec(arb_offered_region(), 1..3),
            (arb_price(), prop::collection::vec(arb_price(), 0..3)),
            arb_agents(),
            (
                prop_oneof![3 => Just(None), 1 => (1u32..4).prop_map(Some)],
                prop::bool::weighted(0.9),
                0u32..3,
                0u32..3,
            ),
        )
            .prop_map(
                move |(
                    profile,
                    regions,
                    (hourly, unit_prices),
                    agents,
                    (capacity, enabled, active, mine),
                )| Candidate {
                    offering: Offering {
                        id: Uuid::from_u128(offering),
                        participant_id: Uuid::from_u128(participant),
                        service_type_id: Uuid::nil(),
                        regions,
                        price: PriceSheet {
                            hourly,
                            per_property: unit_prices
                                .into_iter()
                                .zip(["cpu", "memory", "disk"])
                                .map(|(price, property)| PropertyPrice {
                                    property: property.into(),
                                    unit: "unit".into(),
                                    hourly_per_unit: price,
                                })
                                .collect(),
                            per_metric: vec![],
                        },
                        capacity,
                        enabled,
                        exit_terms: ExitTerms::default(),
                        requires_acceptance: false,
                    },
                    profile,
                    provider_name: String::new(),
                    agents,
                    active_services: active,
                    consumer_services_here: mine,
                },
            )
    })
}

fn arb_properties() -> impl Strategy<Value = Map<String, Value>> {
    let value = prop_oneof![
        6 => (0i64..16).prop_map(Value::from),
        1 => any::<i64>().prop_map(Value::from),
        1 => any::<f64>().prop_map(Value::from),
        1 => Just(Value::from("2")),
        1 => Just(Value::Null),
    ];
    prop::collection::btree_map(
        prop::sample::select(&["cpu", "memory", "disk"][..]).prop_map(str::to_owned),
        value,
        0..3,
    )
    .prop_map(|entries| entries.into_iter().collect())
}

/// The invariants every decision must satisfy.
fn check(
    decision: &PlacementDecision,
    request: &PlacementRequest,
    candidates: &[Candidate],
    tags: &[String],
) -> Result<(), TestCaseError> {
    prop_assert_eq!(decision.considered.len(), candidates.len());
    for verdict in &decision.considered {
        prop_assert_eq!(verdict.accepted, verdict.rejections.is_empty());
    }
    let accepted: Vec<_> = decision.considered.iter().filter(|v| v.accepted).collect();
    prop_assert_eq!(decision.chosen.is_some(), !accepted.is_empty());
    prop_assert!(!decision.explain().is_empty());
    let Some(choice) = &decision.chosen else {
        return Ok(());
    };
    // The choice is the first eligible verdict, and it has no rejections.
    let first = accepted[0];
    prop_assert_eq!(first.offering_id, choice.offering_id);
    prop_assert_eq!(first.participant_id, choice.participant_id);
    prop_assert_eq!(first.hourly_price, choice.hourly_price);
    prop_assert!(first.rejections.is_empty());
    if let Some(max) = request.max_hourly_price {
        prop_assert!(choice.hourly_price <= max);
    }
    if request.strategy == Ranking::Cheapest {
        for other in &accepted {
            prop_assert!(choice.hourly_price <= other.hourly_price);
        }
    }
    // Some candidate is this offering, offers the region in an allowed
    // country, and has the agent online with every tag.
    let owner = candidates.iter().any(|candidate| {
        let region = candidate.profile.region(&choice.region);
        candidate.offering.id == choice.offering_id
            && candidate.offering.participant_id == choice.participant_id
            && candidate.offering.enabled
            && candidate.offering.regions.contains(&choice.region)
            && region.is_some_and(|region| {
                request.countries.is_empty() || request.countries.contains(&region.country)
            })
            && candidate.agents.iter().any(|agent| {
                agent.agent_id == choice.agent_id && agent.connected && agent.has_tags(tags)
            })
    });
    prop_assert!(owner);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn placement_chooses_only_eligible_candidates_and_never_panics(
        request in arb_request(),
        candidates in prop::collection::vec(arb_candidate(), 0..6),
        properties in arb_properties(),
        tags in prop_oneof![2 => Just(Vec::new()), 1 => arb_tags()],
    ) {
        let decision = place(&request, &candidates, &properties, &tags, now());
        check(&decision, &request, &candidates, &tags)?;
    }
}

/// Guards the generators: without eligible candidates the property above
/// would hold vacuously.
#[test]
fn generated_cases_often_have_several_eligible_candidates_to_rank() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let mut ranked = 0;
    for _ in 0..300 {
        let generated = (
            arb_request(),
            prop::collection::vec(arb_candidate(), 2..6),
            arb_properties(),
        )
            .new_tree(&mut runner)
            .map(|tree| tree.current());
        let Ok((request, candidates, properties)) = generated else {
            continue;
        };
        let decision = place(&request, &candidates, &properties, &[], now());
        if decision.considered.iter().filter(|v| v.accepted).count() >= 2 {
            ranked += 1;
        }
    }
    assert!(
        ranked >= 50,
        "only {ranked} of 300 cases had two eligible candidates"
    );
}
