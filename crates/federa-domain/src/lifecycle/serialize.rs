//! Turns a lifecycle back into its JSON document, in the same layout the
//! parser reads (`terminalStates` always present, `runningStates`,
//! `requestSchemaType`, `onError`, `onErrorRegexp` and `driftTransitions`
//! only when set).

use serde_json::{json, Map, Value};

use super::types::{Action, LifecycleSchema, RequestSchemaType, Transition, TransitionTrigger};

pub(crate) fn document(schema: &LifecycleSchema) -> Value {
    let mut out = Map::new();
    let states: Vec<Value> = schema.states.iter().map(|s| json!({ "name": s })).collect();
    out.insert("states".into(), Value::Array(states));
    out.insert(
        "actions".into(),
        Value::Array(schema.actions.iter().map(action).collect()),
    );
    out.insert("initialState".into(), json!(schema.initial_state));
    out.insert("terminalStates".into(), json!(schema.terminal_states));
    if !schema.running_states.is_empty() {
        out.insert("runningStates".into(), json!(schema.running_states));
    }
    if let Some(drift) = super::drift::drift_document(&schema.drift_transitions) {
        out.insert("driftTransitions".into(), drift);
    }
    Value::Object(out)
}

fn action(action: &Action) -> Value {
    let mut out = Map::new();
    out.insert("name".into(), json!(action.name));
    if let Some(RequestSchemaType::Properties) = action.request_schema_type {
        out.insert("requestSchemaType".into(), json!("properties"));
    }
    out.insert(
        "transitions".into(),
        Value::Array(action.transitions.iter().map(transition).collect()),
    );
    Value::Object(out)
}

fn transition(transition: &Transition) -> Value {
    let mut out = Map::new();
    out.insert("from".into(), json!(transition.from));
    out.insert("to".into(), json!(transition.to));
    if let TransitionTrigger::Error(pattern) = &transition.trigger {
        out.insert("onError".into(), json!(true));
        if let Some(pattern) = pattern {
            out.insert("onErrorRegexp".into(), json!(pattern.as_str()));
        }
    }
    Value::Object(out)
}
