//! Lifecycle self-checks: every malformed lifecycle is refused with the path
//! and rule of each problem, and valid ones round-trip.

use federa_domain::lifecycle::{LifecycleSchema, RequestSchemaType, EXAMPLE_VM_LIFECYCLE};
use serde_json::{json, Value};

/// A named input and the exact `(path, message)` errors it must produce.
type Case = (&'static str, Value, Vec<(&'static str, &'static str)>);

fn refused(document: Value) -> Vec<(String, String)> {
    match LifecycleSchema::parse(&document) {
        Ok(schema) => panic!("lifecycle was accepted: {schema:?}"),
        Err(errors) => errors.into_iter().map(|e| (e.path, e.message)).collect(),
    }
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(p, m)| ((*p).to_owned(), (*m).to_owned()))
        .collect()
}

/// A small valid lifecycle with one field replaced.
fn with(field: &str, value: Value) -> Value {
    let mut document = json!({
        "states": [{"name": "New"}, {"name": "Ready"}, {"name": "Gone"}],
        "actions": [
            {"name": "create", "transitions": [{"from": "New", "to": "Ready"}]},
            {"name": "delete", "transitions": [{"from": "Ready", "to": "Gone"}]}
        ],
        "initialState": "New",
        "terminalStates": ["Gone"]
    });
    if let Some(object) = document.as_object_mut() {
        if value.is_null() {
            object.remove(field);
        } else {
            object.insert(field.to_owned(), value);
        }
    }
    document
}

fn actions(list: Value) -> Value {
    with("actions", list)
}

#[test]
fn the_base_lifecycle_used_by_these_tests_is_valid() {
    let schema = LifecycleSchema::parse(&with("runningStates", json!(["Ready"]))).expect("valid");
    assert_eq!(schema.initial_state(), "New");
    assert!(schema.is_running("Ready"));
}

#[test]
fn state_problems_are_refused() {
    let cases: Vec<Case> = vec![
        (
            "not an object",
            json!("New"),
            vec![("lifecycleSchema", "must be an object")],
        ),
        (
            "no states",
            with("states", json!([])),
            vec![
                ("lifecycleSchema.states", "must declare at least one state"),
                ("lifecycleSchema.initialState", "unknown state `New`"),
                ("lifecycleSchema.terminalStates[0]", "unknown state `Gone`"),
                (
                    "lifecycleSchema.actions[0].transitions[0].from",
                    "unknown state `New`",
                ),
                (
                    "lifecycleSchema.actions[0].transitions[0].to",
                    "unknown state `Ready`",
                ),
                (
                    "lifecycleSchema.actions[1].transitions[0].from",
                    "unknown state `Ready`",
                ),
                (
                    "lifecycleSchema.actions[1].transitions[0].to",
                    "unknown state `Gone`",
                ),
            ],
        ),
        (
            "states missing",
            with("states", Value::Null),
            vec![
                ("lifecycleSchema.states", "is required"),
                ("lifecycleSchema.initialState", "unknown state `New`"),
                ("lifecycleSchema.terminalStates[0]", "unknown state `Gone`"),
                (
                    "lifecycleSchema.actions[0].transitions[0].from",
                    "unknown state `New`",
                ),
                (
                    "lifecycleSchema.actions[0].transitions[0].to",
                    "unknown state `Ready`",
                ),
                (
                    "lifecycleSchema.actions[1].transitions[0].from",
                    "unknown state `Ready`",
                ),
                (
                    "lifecycleSchema.actions[1].transitions[0].to",
                    "unknown state `Gone`",
                ),
            ],
        ),
        (
            "duplicate state",
            with(
                "states",
                json!([{"name": "New"}, {"name": "Ready"}, {"name": "Gone"}, {"name": "Ready"}]),
            ),
            vec![("lifecycleSchema.states[3].name", "duplicate state `Ready`")],
        ),
        (
            "state without a name",
            with(
                "states",
                json!([{"name": "New"}, {"name": "Ready"}, {"name": "Gone"}, {}]),
            ),
            vec![("lifecycleSchema.states[3].name", "is required")],
        ),
        (
            "empty state name",
            with(
                "states",
                json!([{"name": "New"}, {"name": "Ready"}, {"name": "Gone"}, {"name": ""}]),
            ),
            vec![(
                "lifecycleSchema.states[3].name",
                "must be a non-empty string",
            )],
        ),
        (
            "state not an object",
            with(
                "states",
                json!([{"name": "New"}, {"name": "Ready"}, {"name": "Gone"}, "Lost"]),
            ),
            vec![("lifecycleSchema.states[3]", "must be an object")],
        ),
        (
            "missing initial state",
            with("initialState", Value::Null),
            vec![("lifecycleSchema.initialState", "is required")],
        ),
        (
            "unknown initial state",
            with("initialState", json!("Start")),
            vec![("lifecycleSchema.initialState", "unknown state `Start`")],
        ),
        (
            "unknown terminal state",
            with("terminalStates", json!(["Gone", "Dead"])),
            vec![("lifecycleSchema.terminalStates[1]", "unknown state `Dead`")],
        ),
        (
            "unknown running state",
            with("runningStates", json!(["Up"])),
            vec![("lifecycleSchema.runningStates[0]", "unknown state `Up`")],
        ),
        (
            "running states not a list",
            with("runningStates", json!("Ready")),
            vec![("lifecycleSchema.runningStates", "must be an array")],
        ),
        (
            "unreachable state",
            with(
                "states",
                json!([{"name": "New"}, {"name": "Ready"}, {"name": "Limbo"}, {"name": "Gone"}]),
            ),
            vec![(
                "lifecycleSchema.states[2]",
                "state `Limbo` is unreachable from initial state `New`",
            )],
        ),
    ];
    for (name, document, expected) in cases {
        assert_eq!(refused(document), pairs(&expected), "case: {name}");
    }
}

#[test]
fn action_and_transition_problems_are_refused() {
    let cases: Vec<Case> = vec![
        ("no actions", actions(json!([])), vec![("lifecycleSchema.actions", "must declare at least one action")]),
        (
            "duplicate action",
            actions(json!([
                {"name": "create", "transitions": [{"from": "New", "to": "Ready"}]},
                {"name": "create", "transitions": [{"from": "Ready", "to": "Gone"}]}
            ])),
            vec![("lifecycleSchema.actions[1].name", "duplicate action `create`")],
        ),
        (
            "action without transitions",
            actions(json!([
                {"name": "create", "transitions": [{"from": "New", "to": "Ready"}]},
                {"name": "delete", "transitions": [{"from": "Ready", "to": "Gone"}]},
                {"name": "noop", "transitions": []}
            ])),
            vec![("lifecycleSchema.actions[2].transitions", "must contain at least one transition")],
        ),
        (
            "transition to an unknown state",
            actions(json!([
                {"name": "create", "transitions": [{"from": "New", "to": "Ready"}]},
                {"name": "delete", "transitions": [{"from": "Ready", "to": "Gone"}, {"from": "Ready", "to": "Nowhere", "onError": true}]}
            ])),
            vec![("lifecycleSchema.actions[1].transitions[1].to", "unknown state `Nowhere`")],
        ),
        (
            "transition without from",
            actions(json!([
                {"name": "create", "transitions": [{"from": "New", "to": "Ready"}]},
                {"name": "delete", "transitions": [{"from": "Ready", "to": "Gone"}, {"to": "Gone"}]}
            ])),
            vec![("lifecycleSchema.actions[1].transitions[1].from", "is required")],
        ),
        (
            "bad error regexp",
            actions(json!([
                {"name": "create", "transitions": [{"from": "New", "to": "Ready"}, {"from": "New", "to": "Gone", "onError": true, "onErrorRegexp": "quota(("}]},
                {"name": "delete", "transitions": [{"from": "Ready", "to": "Gone"}]}
            ])),
            vec![("lifecycleSchema.actions[0].transitions[1].onErrorRegexp", "`quota((` is not a valid regular expression")],
        ),
        (
            "error regexp on a success transition",
            actions(json!([
                {"name": "create", "transitions": [{"from": "New", "to": "Ready", "onErrorRegexp": "x"}]},
                {"name": "delete", "transitions": [{"from": "Ready", "to": "Gone"}]}
            ])),
            vec![("lifecycleSchema.actions[0].transitions[0].onErrorRegexp", "only applies to error transitions (onError: true)")],
        ),
        (
            "onError not a boolean",
            actions(json!([
                {"name": "create", "transitions": [{"from": "New", "to": "Ready"}, {"from": "New", "to": "Gone", "onError": "yes"}]},
                {"name": "delete", "transitions": [{"from": "Ready", "to": "Gone"}]}
            ])),
            vec![("lifecycleSchema.actions[0].transitions[1].onError", "must be a boolean")],
        ),
        (
            "terminal state with an outgoing transition",
            actions(json!([
                {"name": "create", "transitions": [{"from": "New", "to": "Ready"}]},
                {"name": "delete", "transitions": [{"from": "Ready", "to": "Gone"}]},
                {"name": "revive", "transitions": [{"from": "Gone", "to": "Ready"}]}
            ])),
            vec![("lifecycleSchema.actions[2].transitions[0].from", "state `Gone` is terminal, so no action can leave it")],
        ),
        (
            "two success transitions from one state",
            actions(json!([
                {"name": "create", "transitions": [{"from": "New", "to": "Ready"}, {"from": "New", "to": "Gone"}]},
                {"name": "delete", "transitions": [{"from": "Ready", "to": "Gone"}]}
            ])),
            vec![("lifecycleSchema.actions[0].transitions[1]", "duplicate success transition from `New`; only the first would be used")],
        ),
        (
            "error transition behind a catch-all",
            actions(json!([
                {"name": "create", "transitions": [
                    {"from": "New", "to": "Ready"},
                    {"from": "New", "to": "Gone", "onError": true},
                    {"from": "New", "to": "New", "onError": true, "onErrorRegexp": "quota"}
                ]},
                {"name": "delete", "transitions": [{"from": "Ready", "to": "Gone"}]}
            ])),
            vec![("lifecycleSchema.actions[0].transitions[2]", "an earlier error transition from `New` catches every error, so this one is never used")],
        ),
        (
            "unknown request schema type",
            actions(json!([
                {"name": "create", "requestSchemaType": "body", "transitions": [{"from": "New", "to": "Ready"}]},
                {"name": "delete", "transitions": [{"from": "Ready", "to": "Gone"}]}
            ])),
            vec![("lifecycleSchema.actions[0].requestSchemaType", "must be properties or omitted")],
        ),
        (
            "action without a name",
            actions(json!([
                {"transitions": [{"from": "New", "to": "Ready"}]},
                {"name": "delete", "transitions": [{"from": "Ready", "to": "Gone"}]}
            ])),
            vec![("lifecycleSchema.actions[0].name", "is required")],
        ),
    ];
    for (name, document, expected) in cases {
        assert_eq!(refused(document), pairs(&expected), "case: {name}");
    }
}

#[test]
fn states_reached_only_through_error_transitions_are_reachable() {
    let document = json!({
        "states": [{"name": "New"}, {"name": "Ready"}, {"name": "Failed"}],
        "actions": [{"name": "create", "transitions": [
            {"from": "New", "to": "Ready"},
            {"from": "New", "to": "Failed", "onError": true}
        ]}],
        "initialState": "New"
    });
    let schema = LifecycleSchema::parse(&document).expect("valid");
    assert!(schema.terminal_states().is_empty());
}

#[test]
fn request_schema_type_is_typed() {
    let schema = LifecycleSchema::example_vm();
    let create = schema.action("create").expect("create declared");
    assert_eq!(
        create.request_schema_type(),
        Some(RequestSchemaType::Properties)
    );
    assert!(create.accepts_properties());
    assert!(!schema
        .action("start")
        .expect("start declared")
        .accepts_properties());
}

#[test]
fn lifecycle_round_trips_through_json() {
    let original: Value = serde_json::from_str(EXAMPLE_VM_LIFECYCLE).expect("example is JSON");
    let schema = LifecycleSchema::parse(&original).expect("valid");
    assert_eq!(schema.to_json(), original);
    let again: LifecycleSchema =
        serde_json::from_value(serde_json::to_value(&schema).expect("serializes"))
            .expect("deserializes");
    assert_eq!(again, schema);
}

#[test]
fn empty_request_schema_type_and_regexp_mean_absent() {
    let schema = LifecycleSchema::parse(&json!({
        "states": [{"name": "A"}, {"name": "B"}],
        "actions": [{"name": "go", "requestSchemaType": "", "transitions": [
            {"from": "A", "to": "B", "onError": false, "onErrorRegexp": ""},
            {"from": "A", "to": "A", "onError": true, "onErrorRegexp": ""}
        ]}],
        "initialState": "A"
    }))
    .expect("valid");
    assert_eq!(
        schema.to_json(),
        json!({
            "states": [{"name": "A"}, {"name": "B"}],
            "actions": [{"name": "go", "transitions": [{"from": "A", "to": "B"}, {"from": "A", "to": "A", "onError": true}]}],
            "initialState": "A",
            "terminalStates": []
        })
    );
}

#[test]
fn deserializing_an_invalid_lifecycle_fails_with_the_errors() {
    let error = serde_json::from_value::<LifecycleSchema>(with("initialState", json!("X")))
        .expect_err("invalid");
    assert_eq!(
        error.to_string(),
        "lifecycleSchema.initialState: unknown state `X`"
    );
}
