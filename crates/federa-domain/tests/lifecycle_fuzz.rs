//! Arbitrary JSON as a lifecycle must never panic, and every lifecycle that
//! parses must round-trip and answer queries consistently.

use federa_domain::lifecycle::LifecycleSchema;
use proptest::prelude::*;
use serde_json::{json, Value};

const KEYS: &[&str] = &[
    "states",
    "actions",
    "initialState",
    "terminalStates",
    "runningStates",
    "name",
    "transitions",
    "from",
    "to",
    "onError",
    "onErrorRegexp",
    "requestSchemaType",
];
const STATES: &[&str] = &["New", "Ready", "Failed", "Gone"];

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        prop::sample::select(
            &[
                "New",
                "Ready",
                "Gone",
                "",
                "properties",
                "(",
                "quota",
                "start"
            ][..]
        )
        .prop_map(|s| Value::from(s.to_owned())),
        "\\PC{0,6}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(prop::sample::select(KEYS), inner, 0..6).prop_map(|m| {
                Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    })
}

fn arb_transition() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(STATES),
        prop::sample::select(STATES),
        prop::bool::weighted(0.4),
        prop::option::weighted(
            0.3,
            prop::sample::select(&["quota", "^net", "(", "x.*y"][..]),
        ),
    )
        .prop_map(|(from, to, on_error, pattern)| match (on_error, pattern) {
            (true, Some(p)) => json!({"from": from, "to": to, "onError": true, "onErrorRegexp": p}),
            (true, None) => json!({"from": from, "to": to, "onError": true}),
            _ => json!({"from": from, "to": to}),
        })
}

/// Lifecycles over a fixed set of states: a reachable backbone plus random
/// extra actions, so they are valid fairly often but not always.
fn arb_lifecycle() -> impl Strategy<Value = Value> {
    (
        prop::collection::vec(prop::collection::vec(arb_transition(), 1..3), 0..4),
        prop::bool::ANY,
        prop::sample::subsequence(STATES, 0..3),
    )
        .prop_map(|(extra, gone_is_terminal, running)| {
            let mut actions = vec![
                json!({"name": "create", "transitions": [
                    {"from": "New", "to": "Ready"},
                    {"from": "New", "to": "Failed", "onError": true}
                ]}),
                json!({"name": "delete", "transitions": [{"from": "Ready", "to": "Gone"}]}),
            ];
            for (index, transitions) in extra.into_iter().enumerate() {
                actions.push(json!({"name": format!("extra{index}"), "transitions": transitions}));
            }
            let states: Vec<Value> = STATES.iter().map(|s| json!({"name": s})).collect();
            let terminal: Vec<&str> = if gone_is_terminal {
                vec!["Gone"]
            } else {
                Vec::new()
            };
            json!({
                "states": states, "actions": actions, "initialState": "New",
                "terminalStates": terminal, "runningStates": running
            })
        })
}

fn check_consistency(schema: &LifecycleSchema) -> Result<(), TestCaseError> {
    let again = LifecycleSchema::parse(&schema.to_json());
    prop_assert_eq!(again.as_ref(), Ok(schema));
    for state in schema
        .states()
        .iter()
        .map(String::as_str)
        .chain(["Unknown"])
    {
        let startable = schema.actions_from(state);
        for action in schema.actions() {
            let allowed = schema.can_perform(state, action.name()).is_ok();
            prop_assert_eq!(allowed, startable.iter().any(|a| a.name() == action.name()));
            if let Ok(next) = schema.on_success(state, action.name()) {
                prop_assert!(allowed && schema.has_state(next));
            }
            if let Some(next) = schema.on_error(state, action.name(), "quota exceeded on net") {
                prop_assert!(allowed && schema.has_state(next));
            }
        }
        prop_assert!(schema.can_perform(state, "no-such-action").is_err());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_json_never_panics_as_lifecycle(document in arb_json()) {
        if let Ok(schema) = LifecycleSchema::parse(&document) {
            check_consistency(&schema)?;
        }
    }

    #[test]
    fn generated_lifecycles_round_trip_and_answer_consistently(document in arb_lifecycle()) {
        match LifecycleSchema::parse(&document) {
            Ok(schema) => check_consistency(&schema)?,
            Err(errors) => prop_assert!(!errors.is_empty()),
        }
    }
}

#[test]
fn generated_lifecycles_are_sometimes_valid() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let valid = (0..400)
        .filter(|_| {
            let document = arb_lifecycle()
                .new_tree(&mut runner)
                .expect("tree")
                .current();
            LifecycleSchema::parse(&document).is_ok()
        })
        .count();
    assert!(
        valid > 100,
        "only {valid} of 400 generated lifecycles were valid"
    );
}
