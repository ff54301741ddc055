//! Price sheets and offerings: exact hourly prices from properties, and
//! every problem with an offering reported with its path.

use std::str::FromStr;

use federa_domain::exchange::{
    ExitTerms, MetricPrice, Offering, PriceSheet, PropertyPrice, ProviderProfile, Region,
};
use federa_domain::listing::FieldError;
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use uuid::Uuid;

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).expect("valid decimal literal")
}

fn props(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn vm_prices() -> PriceSheet {
    PriceSheet {
        hourly: dec("0.01"),
        per_property: vec![
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
        ],
        per_metric: vec![MetricPrice {
            metric_type: "network.egress".into(),
            unit: "GiB".into(),
            per_unit: dec("0.01"),
        }],
    }
}

#[test]
fn hourly_price_adds_unit_prices_times_property_values_exactly() {
    let prices = vm_prices();
    let cases = [
        ("2 vCPU, 4 GiB", json!({"cpu": 2, "memory": 4}), "0.07"),
        ("fractional GiB", json!({"cpu": 1, "memory": 0.5}), "0.0325"),
        ("a tenth is a tenth", json!({"cpu": 0.1}), "0.012"),
        ("float written as an integer", json!({"cpu": 100.0}), "2.01"),
        (
            "exponent notation",
            json!({"cpu": 1e20}),
            "2000000000000000000.01",
        ),
        ("missing properties", json!({}), "0.01"),
        (
            "non-numeric values",
            json!({"cpu": "2", "memory": true}),
            "0.01",
        ),
        ("nested values", json!({"cpu": {"count": 2}}), "0.01"),
        (
            "negative values count zero",
            json!({"cpu": -4, "memory": 4}),
            "0.03",
        ),
        (
            "unpriced properties",
            json!({"disk": 100, "cpu": 1}),
            "0.03",
        ),
        ("tiny values", json!({"cpu": 1e-40}), "0.01"),
    ];
    for (name, properties, expected) in cases {
        let price = prices.hourly_price(&props(properties));
        assert_eq!(price, dec(expected), "{name}");
        assert_eq!(price.to_string(), expected, "{name}: normalized");
    }
}

#[test]
fn a_price_too_large_for_a_decimal_is_the_largest_price() {
    let mut prices = vm_prices();
    prices.per_property[1].hourly_per_unit = dec("1000");
    let cases = [
        ("value beyond a decimal", json!({"cpu": 1e300})),
        ("product beyond a decimal", json!({"memory": 7.9e28})),
        (
            "sum beyond a decimal",
            json!({"cpu": 7.9e28, "memory": 7.9e25}),
        ),
    ];
    for (name, properties) in cases {
        assert_eq!(
            prices.hourly_price(&props(properties)),
            Decimal::MAX,
            "{name}"
        );
    }
}

#[test]
fn prices_serialize_as_exact_strings() {
    let value = serde_json::to_value(vm_prices()).expect("serializes");
    assert_eq!(
        value,
        json!({
            "hourly": "0.01",
            "perProperty": [
                {"property": "cpu", "unit": "vCPU", "hourlyPerUnit": "0.02"},
                {"property": "memory", "unit": "GiB", "hourlyPerUnit": "0.005"}
            ],
            "perMetric": [
                {"metricType": "network.egress", "unit": "GiB", "perUnit": "0.01"}
            ]
        })
    );
    let minimal: PriceSheet = serde_json::from_value(json!({"hourly": "0.5"})).expect("parses");
    assert_eq!(minimal.hourly, dec("0.5"));
    assert!(minimal.per_property.is_empty() && minimal.per_metric.is_empty());
}

fn profile() -> ProviderProfile {
    ProviderProfile {
        participant_id: Uuid::from_u128(1),
        jurisdiction: "FR".into(),
        subject_to_non_eu_law: false,
        regions: vec![
            Region {
                code: "fr-par-1".into(),
                country: "FR".into(),
                name: None,
            },
            Region {
                code: "fr-par-2".into(),
                country: "FR".into(),
                name: None,
            },
        ],
        certifications: vec![],
    }
}

fn offering() -> Offering {
    Offering {
        id: Uuid::from_u128(100),
        participant_id: Uuid::from_u128(1),
        service_type_id: Uuid::from_u128(7),
        regions: vec!["fr-par-1".into(), "fr-par-2".into()],
        price: vm_prices(),
        capacity: Some(10),
        enabled: true,
        exit_terms: ExitTerms::default(),
        requires_acceptance: false,
    }
}

#[test]
fn a_well_formed_offering_is_valid() {
    assert_eq!(offering().validate(&profile()), Ok(()));
    let unlimited = Offering {
        capacity: None,
        enabled: false,
        ..offering()
    };
    assert_eq!(unlimited.validate(&profile()), Ok(()));
}

#[test]
fn every_offering_problem_is_reported_with_its_path() {
    type Case = (
        &'static str,
        fn(&mut Offering),
        Vec<(&'static str, &'static str)>,
    );
    let cases: Vec<Case> = vec![
        (
            "no region",
            |o| o.regions.clear(),
            vec![("regions", "must list at least one region")],
        ),
        (
            "region outside the profile",
            |o| o.regions[1] = "de-fra-1".into(),
            vec![(
                "regions[1]",
                "region `de-fra-1` is not declared in the provider's profile",
            )],
        ),
        (
            "region listed twice",
            |o| o.regions.push("fr-par-1".into()),
            vec![("regions[2]", "lists region `fr-par-1` twice")],
        ),
        (
            "another participant's profile",
            |o| o.participant_id = Uuid::from_u128(2),
            vec![(
                "participantId",
                "must be the participant whose profile declares the regions",
            )],
        ),
        (
            "zero capacity",
            |o| o.capacity = Some(0),
            vec![(
                "capacity",
                "must be at least 1 (set enabled to false to stop taking services)",
            )],
        ),
        (
            "negative base price",
            |o| o.price.hourly = dec("-0.01"),
            vec![("price.hourly", "must not be negative")],
        ),
        (
            "negative unit prices",
            |o| {
                o.price.per_property[1].hourly_per_unit = dec("-1");
                o.price.per_metric[0].per_unit = dec("-0.5");
            },
            vec![
                ("price.perProperty[1].hourlyPerUnit", "must not be negative"),
                ("price.perMetric[0].perUnit", "must not be negative"),
            ],
        ),
        (
            "property priced twice",
            |o| o.price.per_property[1].property = "cpu".into(),
            vec![(
                "price.perProperty[1].property",
                "property `cpu` is priced twice",
            )],
        ),
        (
            "metric priced twice, and an unnamed one",
            |o| {
                let egress = o.price.per_metric[0].clone();
                o.price.per_metric.push(egress);
                o.price.per_metric.push(MetricPrice {
                    metric_type: String::new(),
                    unit: "GiB".into(),
                    per_unit: dec("0"),
                });
            },
            vec![
                (
                    "price.perMetric[1].metricType",
                    "metric `network.egress` is priced twice",
                ),
                ("price.perMetric[2].metricType", "must not be empty"),
            ],
        ),
        (
            "unnamed property",
            |o| o.price.per_property[0].property = String::new(),
            vec![("price.perProperty[0].property", "must not be empty")],
        ),
    ];
    for (name, change, expected) in cases {
        let mut candidate = offering();
        change(&mut candidate);
        let expected: Vec<FieldError> = expected
            .into_iter()
            .map(|(path, message)| FieldError::new(path, message))
            .collect();
        assert_eq!(candidate.validate(&profile()), Err(expected), "{name}");
    }
}

#[test]
fn a_zero_price_is_not_negative() {
    let mut free = offering();
    free.price.hourly = dec("0");
    free.price.per_property[0].hourly_per_unit = dec("-0");
    assert_eq!(free.validate(&profile()), Ok(()));
}
