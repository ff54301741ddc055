//! Arbitrary JSON as schema and as input must never panic, and every schema
//! that parses must round-trip.

use federa_domain::property_schema::{Actor, PropertySchema, ValidationContext};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

const WORDS: &[&str] = &[
    "properties",
    "type",
    "validators",
    "config",
    "value",
    "values",
    "pattern",
    "items",
    "default",
    "required",
    "immutable",
    "authorizers",
    "actors",
    "allowedStates",
    "secret",
    "generator",
    "poolType",
    "label",
    "types",
    "origin",
    "a",
    "b",
    "c",
];

const TEXT: &[&str] = &[
    "string",
    "integer",
    "number",
    "boolean",
    "uuid",
    "json",
    "object",
    "array",
    "minLength",
    "maxLength",
    "pattern",
    "enum",
    "min",
    "max",
    "minItems",
    "maxItems",
    "uniqueItems",
    "serviceReference",
    "serviceOption",
    "exactlyOne",
    "uniqueValues",
    "actor",
    "state",
    "user",
    "agent",
    "system",
    "pool",
    "persistent",
    "ephemeral",
    "consumer",
    "group",
    "Stopped",
    "vault://x",
    "550e8400-e29b-41d4-a716-446655440000",
    "[a-",
    ".*",
    "^a+$",
    "",
    "a",
    "b",
];

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-3i64..40).prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        prop::sample::select(TEXT).prop_map(|s| Value::from(s.to_owned())),
        "\\PC{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(prop::sample::select(WORDS), inner, 0..5).prop_map(|m| {
                Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    })
}

/// Small values that often fit a validator config or a property.
fn arb_plausible() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => (0i64..20).prop_map(Value::from),
        2 => prop::sample::select(TEXT).prop_map(|s| Value::from(s.to_owned())),
        1 => arb_json(),
    ]
}

/// Validator entries that usually suit the property type, with configs
/// that are sometimes wrong.
fn arb_validator(names: &'static [&'static str]) -> impl Strategy<Value = Value> {
    (
        prop::sample::select(names),
        arb_plausible(),
        prop::collection::vec(arb_plausible(), 0..4),
        prop::sample::select(&["^[a-z]+$", "x", "(", ".*", "[0-9]{2}"][..]),
    )
        .prop_map(|(name, value, values, pattern)| {
            json!({"type": name, "config": {"value": value, "values": values, "pattern": pattern}})
        })
}

fn validator_names(property_type: &str) -> &'static [&'static str] {
    match property_type {
        "string" => &[
            "minLength",
            "maxLength",
            "pattern",
            "enum",
            "serviceOption",
            "min",
        ],
        "integer" | "number" => &["min", "max", "enum"],
        "boolean" => &["enum"],
        "uuid" => &["serviceReference", "enum"],
        _ => &["enum", "serviceOption"],
    }
}

fn arb_authorizers() -> impl Strategy<Value = Value> {
    prop::collection::vec(
        prop_oneof![
            prop::collection::vec(prop::sample::select(&["user", "agent", "system"][..]), 1..3)
                .prop_map(|actors| json!({"type": "actor", "config": {"actors": actors}})),
            prop::collection::vec(prop::sample::select(&["Stopped", "Started"][..]), 1..3)
                .prop_map(|states| json!({"type": "state", "config": {"allowedStates": states}})),
        ],
        0..3,
    )
    .prop_map(Value::Array)
}

/// Property definitions that are often, but not always, valid.
fn arb_definition() -> impl Strategy<Value = Value> {
    let leaf = prop::sample::select(&TEXT[0..6])
        .prop_flat_map(|ty| {
            (
                Just(ty),
                prop::collection::vec(arb_validator(validator_names(ty)), 0..3),
                prop::option::weighted(0.2, arb_plausible()),
                any::<bool>(),
                any::<bool>(),
                arb_authorizers(),
                prop::option::weighted(0.2, prop::sample::select(&["persistent", "ephemeral"][..])),
                prop::bool::weighted(0.15),
            )
        })
        .prop_map(
            |(ty, validators, default, required, immutable, authorizers, secret, pool)| {
                let mut definition = json!({
                    "type": ty, "validators": validators, "required": required,
                    "immutable": immutable, "authorizers": authorizers
                });
                if let Some(object) = definition.as_object_mut() {
                    if let Some(default) = default {
                        object.insert("default".into(), default);
                    }
                    if let Some(secret) = secret {
                        object.insert("secret".into(), json!({"type": secret}));
                    }
                    if pool {
                        object.insert(
                            "generator".into(),
                            json!({"type": "pool", "config": {"poolType": "ip"}}),
                        );
                    }
                }
                definition
            },
        );
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::btree_map(
                prop::sample::select(&["a", "b", "c"][..]),
                inner.clone(),
                1..3
            )
            .prop_map(|m| json!({"type": "object", "properties": m})),
            inner.prop_map(|items| json!({"type": "array", "items": items})),
        ]
    })
}

fn arb_schema() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(
        prop::sample::select(&["a", "b", "c"][..]),
        arb_definition(),
        1..4,
    )
    .prop_map(|m| json!({"properties": m}))
}

fn arb_input() -> impl Strategy<Value = Map<String, Value>> {
    let value = prop_oneof![
        2 => arb_plausible(),
        1 => prop::collection::btree_map(prop::sample::select(&["a", "b", "c"][..]), arb_plausible(), 0..3)
            .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        1 => prop::collection::vec(arb_plausible(), 0..3).prop_map(Value::Array),
    ];
    prop::collection::btree_map(prop::sample::select(&["a", "b", "c", "d"][..]), value, 0..4)
        .prop_map(|m| m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

/// Runs every entry point; returns how many creates were accepted.
fn exercise(
    schema: &PropertySchema,
    input: &Map<String, Value>,
    current: &Map<String, Value>,
) -> Result<usize, TestCaseError> {
    let mut accepted = 0;
    for actor in [Actor::User, Actor::Agent, Actor::System] {
        let created = schema.validate(input, &ValidationContext::create(actor));
        let _ = schema.validate(input, &ValidationContext::create(actor).rejecting_unknown());
        let _ = schema.validate(input, &ValidationContext::update(actor, current, "Stopped"));
        if let Ok(validated) = created {
            for request in &validated.generators {
                let _ = schema.check_generated(request, &json!("x"));
            }
            let _ = schema.stored_secrets(&validated.properties);
            // What a create produced is valid stored state: an empty update
            // keeps it exactly as it is.
            let again = schema
                .validate(
                    &Map::new(),
                    &ValidationContext::update(actor, &validated.properties, "Stopped"),
                )
                .map(|v| v.properties);
            prop_assert_eq!(again, Ok(validated.properties.clone()));
            accepted += 1;
        }
    }
    Ok(accepted)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_json_never_panics_as_schema_or_input(document in arb_json(), input in arb_input(), current in arb_input()) {
        let parsed = [PropertySchema::parse(&document), PropertySchema::parse_configuration(&document)];
        for schema in parsed.into_iter().flatten() {
            exercise(&schema, &input, &current)?;
        }
        let wrapped = json!({"properties": document});
        if let Ok(schema) = PropertySchema::parse(&wrapped) {
            exercise(&schema, &input, &current)?;
        }
    }

    #[test]
    fn generated_schemas_never_panic_and_round_trip(document in arb_schema(), input in arb_input(), current in arb_input()) {
        match PropertySchema::parse(&document) {
            Ok(schema) => {
                let again = PropertySchema::parse(&schema.to_json());
                prop_assert_eq!(again.as_ref(), Ok(&schema));
                exercise(&schema, &input, &current)?;
            }
            Err(errors) => prop_assert!(!errors.is_empty()),
        }
    }

    #[test]
    fn example_schema_never_panics_on_arbitrary_input(input in arb_input(), current in arb_input()) {
        exercise(&PropertySchema::example_vm(), &input, &current)?;
    }
}

/// Guards the generators above: if they stopped producing usable schemas
/// and inputs, the properties would pass without testing anything.
#[test]
fn generated_schemas_are_often_valid_and_accept_input() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let (mut valid, mut accepted) = (0, 0);
    for _ in 0..400 {
        let document = arb_schema().new_tree(&mut runner).expect("tree").current();
        let input = arb_input().new_tree(&mut runner).expect("tree").current();
        if let Ok(schema) = PropertySchema::parse(&document) {
            valid += 1;
            accepted += exercise(&schema, &input, &Map::new()).expect("invariants hold");
        }
    }
    assert!(
        valid > 40,
        "only {valid} of 400 generated schemas were valid"
    );
    assert!(accepted > 10, "only {accepted} creates were accepted");
}
