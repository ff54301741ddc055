//! Lifecycle queries: which actions may start, and where jobs lead.

use federa_domain::lifecycle::{LifecycleError, LifecycleSchema};
use serde_json::json;

fn vm() -> LifecycleSchema {
    LifecycleSchema::example_vm()
}

#[test]
fn example_vm_lifecycle_has_the_documented_shape() {
    let schema = vm();
    assert_eq!(schema.initial_state(), "New");
    assert_eq!(
        schema.states(),
        ["New", "Stopped", "Started", "Failed", "Deleted"]
    );
    assert!(schema.is_terminal("Deleted"));
    assert!(!schema.is_terminal("Stopped"));
    assert!(schema.is_running("Started"));
    assert!(!schema.is_running("Stopped"));
    assert!(schema.has_state("Failed"));
    assert!(!schema.has_state("Paused"));
}

#[test]
fn actions_are_allowed_only_where_they_have_a_transition() {
    let schema = vm();
    let cases: Vec<(&str, &str, Result<(), LifecycleError>)> = vec![
        ("New", "create", Ok(())),
        ("Stopped", "start", Ok(())),
        ("Started", "stop", Ok(())),
        ("Failed", "delete", Ok(())),
        (
            "Started",
            "start",
            Err(LifecycleError::NotAllowed {
                action: "start".into(),
                state: "Started".into(),
            }),
        ),
        (
            "New",
            "update",
            Err(LifecycleError::NotAllowed {
                action: "update".into(),
                state: "New".into(),
            }),
        ),
        (
            "Stopped",
            "reboot",
            Err(LifecycleError::UnknownAction {
                action: "reboot".into(),
            }),
        ),
        (
            "Deleted",
            "delete",
            Err(LifecycleError::TerminalState {
                state: "Deleted".into(),
            }),
        ),
    ];
    for (state, action, expected) in cases {
        assert_eq!(
            schema.can_perform(state, action),
            expected,
            "{action} from {state}"
        );
    }
}

#[test]
fn lifecycle_errors_read_clearly() {
    let messages = [
        (
            LifecycleError::UnknownAction {
                action: "reboot".into(),
            },
            "action `reboot` is not defined by this service type's lifecycle",
        ),
        (
            LifecycleError::TerminalState {
                state: "Deleted".into(),
            },
            "no action can be performed in terminal state `Deleted`",
        ),
        (
            LifecycleError::NotAllowed {
                action: "start".into(),
                state: "Started".into(),
            },
            "action `start` is not allowed from state `Started`",
        ),
        (
            LifecycleError::NoSuccessTransition {
                action: "a".into(),
                state: "S".into(),
            },
            "action `a` has no success transition from state `S`",
        ),
    ];
    for (error, message) in messages {
        assert_eq!(error.to_string(), message);
    }
}

#[test]
fn successful_job_follows_the_success_transition() {
    let schema = vm();
    let cases = [
        ("New", "create", "Stopped"),
        ("Stopped", "start", "Started"),
        ("Started", "stop", "Stopped"),
        ("Started", "update", "Started"),
        ("Failed", "delete", "Deleted"),
    ];
    for (state, action, next) in cases {
        assert_eq!(
            schema.on_success(state, action),
            Ok(next),
            "{action} from {state}"
        );
    }
    assert_eq!(
        schema.on_success("Stopped", "stop"),
        Err(LifecycleError::NotAllowed {
            action: "stop".into(),
            state: "Stopped".into()
        })
    );
    assert_eq!(
        schema.on_success("Stopped", "warp"),
        Err(LifecycleError::UnknownAction {
            action: "warp".into()
        })
    );
}

#[test]
fn state_with_only_error_transitions_has_no_success_route() {
    let schema = LifecycleSchema::parse(&json!({
        "states": [{"name": "A"}, {"name": "B"}, {"name": "Failed"}],
        "actions": [
            {"name": "go", "transitions": [{"from": "A", "to": "B"}]},
            {"name": "probe", "transitions": [{"from": "B", "to": "Failed", "onError": true}]}
        ],
        "initialState": "A"
    }))
    .expect("valid");
    assert_eq!(schema.can_perform("B", "probe"), Ok(()));
    assert_eq!(
        schema.on_success("B", "probe"),
        Err(LifecycleError::NoSuccessTransition {
            action: "probe".into(),
            state: "B".into()
        })
    );
}

#[test]
fn failed_job_routes_by_first_matching_error_transition() {
    let schema = vm();
    let cases: Vec<(&str, &str, &str, Option<&str>)> = vec![
        (
            "Stopped",
            "start",
            "cpu quota was exceeded for project",
            Some("Stopped"),
        ),
        ("Stopped", "start", "disk failure", Some("Failed")),
        // Case-sensitive: the quota route does not match.
        ("Stopped", "start", "QUOTA EXCEEDED", Some("Failed")),
        ("New", "create", "anything", Some("Failed")),
        // No error transition from this state: the service stays put.
        ("Failed", "delete", "boom", None),
        ("Stopped", "teleport", "boom", None),
        ("Deleted", "delete", "boom", None),
    ];
    for (state, action, message, expected) in cases {
        assert_eq!(
            schema.on_error(state, action, message),
            expected,
            "{action} from {state}: {message}"
        );
    }
}

#[test]
fn error_patterns_search_anywhere_in_the_message_in_declared_order() {
    let schema = LifecycleSchema::parse(&json!({
        "states": [{"name": "S"}, {"name": "A"}, {"name": "B"}, {"name": "C"}],
        "actions": [{"name": "act", "transitions": [
            {"from": "S", "to": "A", "onError": true, "onErrorRegexp": "^timeout"},
            {"from": "S", "to": "B", "onError": true, "onErrorRegexp": "net(work)?"},
            {"from": "S", "to": "C", "onError": true, "onErrorRegexp": "network down"}
        ]}],
        "initialState": "S"
    }))
    .expect("valid");
    assert_eq!(schema.on_error("S", "act", "timeout after 30s"), Some("A"));
    assert_eq!(schema.on_error("S", "act", "late timeout"), None);
    // Both later patterns match; the earlier one wins.
    assert_eq!(schema.on_error("S", "act", "the network down"), Some("B"));
    assert_eq!(schema.on_error("S", "act", "disk"), None);
}

#[test]
fn actions_from_lists_startable_actions_in_order() {
    let schema = vm();
    let names = |state: &str| -> Vec<String> {
        schema
            .actions_from(state)
            .into_iter()
            .map(|a| a.name().to_owned())
            .collect()
    };
    assert_eq!(names("New"), ["create"]);
    assert_eq!(names("Stopped"), ["start", "update", "delete"]);
    assert_eq!(names("Started"), ["stop", "update", "delete"]);
    assert_eq!(names("Failed"), ["delete"]);
    assert!(names("Deleted").is_empty());
    assert!(names("Unknown").is_empty());
}

#[test]
fn transitions_expose_their_trigger() {
    let schema = vm();
    let start = schema.action("start").expect("start declared");
    let transitions = start.transitions();
    assert!(!transitions[0].is_error());
    assert_eq!(
        (transitions[0].from(), transitions[0].to()),
        ("Stopped", "Started")
    );
    assert_eq!(transitions[1].error_pattern(), Some("quota.*exceeded"));
    assert!(transitions[2].is_error() && transitions[2].error_pattern().is_none());
    assert!(transitions[2].routes_error("anything"));
    assert!(!transitions[0].routes_error("anything"));
}
