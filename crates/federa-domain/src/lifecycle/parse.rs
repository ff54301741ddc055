//! Checks a lifecycle document and builds the typed [`LifecycleSchema`].
//!
//! The rules are listed in the parent module's documentation; every broken
//! one is recorded with its path before the walk moves on.

use std::collections::{HashMap, HashSet, VecDeque};

use regex::RegexBuilder;
use serde_json::{Map, Value};

use crate::property_schema::{Pattern, PropertyError};

use super::types::{Action, LifecycleSchema, RequestSchemaType, Transition, TransitionTrigger};

const ROOT: &str = "lifecycleSchema";
const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// Far above any real service's lifecycle; they keep what one schema can
/// cost to check, and the answer listing its errors, small.
pub const MAX_STATES: usize = 500;
pub const MAX_ACTIONS: usize = 200;
/// Transitions of all actions together.
pub const MAX_TRANSITIONS: usize = 5000;

struct Checker {
    errors: Vec<PropertyError>,
}

impl Checker {
    fn err(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.errors.push(PropertyError::new(path, message));
    }

    /// The array at `key`; `required` decides whether absence is an error.
    fn list<'v>(
        &mut self,
        object: &'v Map<String, Value>,
        key: &str,
        here: &str,
        required: bool,
    ) -> &'v [Value] {
        match object.get(key) {
            None | Some(Value::Null) => {
                if required {
                    self.err(here, "is required");
                }
                &[]
            }
            Some(Value::Array(items)) => items,
            Some(_) => {
                self.err(here, "must be an array");
                &[]
            }
        }
    }

    /// A required non-empty string at `key`.
    fn name<'v>(
        &mut self,
        object: &'v Map<String, Value>,
        key: &str,
        here: &str,
    ) -> Option<&'v str> {
        match object.get(key) {
            None | Some(Value::Null) => {
                self.err(here, "is required");
                None
            }
            Some(Value::String(name)) if !name.is_empty() => Some(name),
            Some(_) => {
                self.err(here, "must be a non-empty string");
                None
            }
        }
    }
}

pub(crate) fn parse(document: &Value) -> Result<LifecycleSchema, Vec<PropertyError>> {
    let mut c = Checker { errors: Vec::new() };
    let Some(root) = document.as_object() else {
        c.err(ROOT, "must be an object");
        return Err(c.errors);
    };

    if let Some(errors) = too_large(root) {
        return Err(errors);
    }
    let states = states(&mut c, root);
    let state_set: HashSet<&str> = states.iter().map(String::as_str).collect();
    let known = |name: &str| state_set.contains(name);

    let initial_here = format!("{ROOT}.initialState");
    let initial_state = c
        .name(root, "initialState", &initial_here)
        .map(str::to_owned);
    if let Some(initial) = &initial_state {
        if !known(initial) {
            c.err(&initial_here, format!("unknown state `{initial}`"));
        }
    }
    let terminal_states = state_list(&mut c, root, "terminalStates", &state_set);
    let running_states = state_list(&mut c, root, "runningStates", &state_set);
    let terminal_set: HashSet<&str> = terminal_states.iter().map(String::as_str).collect();
    let actions = actions(&mut c, root, &state_set, &terminal_set);
    let drift_transitions =
        super::drift::parse_drift_transitions(root, &states, &terminal_states, &mut c.errors);

    // Only on an otherwise sound schema: the state indexes reported must
    // match the document, and a broken transition would cause false alarms.
    if let Some(initial) = initial_state.as_deref().filter(|_| c.errors.is_empty()) {
        unreachable_states(&mut c, initial, &states, &actions);
    }

    match initial_state {
        Some(initial_state) if c.errors.is_empty() => Ok(LifecycleSchema {
            states,
            actions,
            initial_state,
            terminal_states,
            running_states,
            drift_transitions,
        }),
        _ => Err(c.errors),
    }
}

/// Refuses a schema larger than the bounds before anything in it is
/// checked, so its size alone costs nothing more than counting.
fn too_large(root: &Map<String, Value>) -> Option<Vec<PropertyError>> {
    let count = |key: &str| root.get(key).and_then(Value::as_array).map_or(0, Vec::len);
    let actions = root.get("actions").and_then(Value::as_array);
    let transitions: usize = actions
        .into_iter()
        .flatten()
        .filter_map(|action| action.get("transitions").and_then(Value::as_array))
        .map(Vec::len)
        .sum();
    let mut errors = Vec::new();
    for (key, found, max) in [
        ("states", count("states"), MAX_STATES),
        ("actions", count("actions"), MAX_ACTIONS),
        (
            "driftTransitions",
            count("driftTransitions"),
            MAX_TRANSITIONS,
        ),
    ] {
        if found > max {
            errors.push(PropertyError::new(
                format!("{ROOT}.{key}"),
                format!("must declare at most {max} {key}, got {found}"),
            ));
        }
    }
    if transitions > MAX_TRANSITIONS {
        errors.push(PropertyError::new(
            format!("{ROOT}.actions"),
            format!("must declare at most {MAX_TRANSITIONS} transitions in all, got {transitions}"),
        ));
    }
    (!errors.is_empty()).then_some(errors)
}

fn states(c: &mut Checker, root: &Map<String, Value>) -> Vec<String> {
    let here = format!("{ROOT}.states");
    let entries = c.list(root, "states", &here, true);
    if entries.is_empty() && root.get("states").is_some_and(Value::is_array) {
        c.err(&here, "must declare at least one state");
    }
    let mut out: Vec<String> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for (index, entry) in entries.iter().enumerate() {
        let at = format!("{here}[{index}]");
        let Some(object) = entry.as_object() else {
            c.err(at, "must be an object");
            continue;
        };
        let name_here = format!("{at}.name");
        let Some(name) = c.name(object, "name", &name_here) else {
            continue;
        };
        if seen.insert(name) {
            out.push(name.to_owned());
        } else {
            c.err(name_here, format!("duplicate state `{name}`"));
        }
    }
    out
}

/// `terminalStates` / `runningStates`: optional lists of declared states.
fn state_list(
    c: &mut Checker,
    root: &Map<String, Value>,
    key: &str,
    states: &HashSet<&str>,
) -> Vec<String> {
    let here = format!("{ROOT}.{key}");
    let mut out: Vec<String> = Vec::new();
    let mut listed: HashSet<&str> = HashSet::new();
    for (index, entry) in c.list(root, key, &here, false).iter().enumerate() {
        let at = format!("{here}[{index}]");
        match entry.as_str() {
            Some(name) if states.contains(name) => {
                if listed.insert(name) {
                    out.push(name.to_owned());
                }
            }
            Some(name) => c.err(at, format!("unknown state `{name}`")),
            None => c.err(at, "must be a string"),
        }
    }
    out
}

fn actions(
    c: &mut Checker,
    root: &Map<String, Value>,
    states: &HashSet<&str>,
    terminal: &HashSet<&str>,
) -> Vec<Action> {
    let here = format!("{ROOT}.actions");
    let entries = c.list(root, "actions", &here, true);
    if entries.is_empty() && root.get("actions").is_some_and(Value::is_array) {
        c.err(&here, "must declare at least one action");
    }
    let mut out: Vec<Action> = Vec::new();
    let mut names: HashSet<&str> = HashSet::new();
    for (index, entry) in entries.iter().enumerate() {
        let at = format!("{here}[{index}]");
        let Some(object) = entry.as_object() else {
            c.err(at, "must be an object");
            continue;
        };
        let name_here = format!("{at}.name");
        let name = c.name(object, "name", &name_here);
        if let Some(name) = name {
            if !names.insert(name) {
                c.err(&name_here, format!("duplicate action `{name}`"));
            }
        }
        let request_schema_type = match object.get("requestSchemaType") {
            None | Some(Value::Null) => None,
            Some(Value::String(kind)) if kind.is_empty() => None,
            Some(Value::String(kind)) if kind == "properties" => {
                Some(RequestSchemaType::Properties)
            }
            Some(_) => {
                c.err(
                    format!("{at}.requestSchemaType"),
                    "must be properties or omitted",
                );
                None
            }
        };
        let transitions = transitions(c, object, &at, states, terminal);
        if let Some(name) = name {
            out.push(Action {
                name: name.to_owned(),
                request_schema_type,
                transitions,
            });
        }
    }
    out
}

fn transitions(
    c: &mut Checker,
    action: &Map<String, Value>,
    at: &str,
    states: &HashSet<&str>,
    terminal: &HashSet<&str>,
) -> Vec<Transition> {
    let here = format!("{at}.transitions");
    let entries = c.list(action, "transitions", &here, true);
    if entries.is_empty() && action.get("transitions").is_some_and(Value::is_array) {
        c.err(&here, "must contain at least one transition");
    }
    let mut out: Vec<Transition> = Vec::new();
    // What earlier transitions leave each state on: (a success one, an
    // error one catching every error).
    let mut earlier: HashMap<&str, (bool, bool)> = HashMap::new();
    for (index, entry) in entries.iter().enumerate() {
        let at = format!("{here}[{index}]");
        let Some(object) = entry.as_object() else {
            c.err(at, "must be an object");
            continue;
        };
        let from = endpoint(c, object, "from", &at, states);
        let to = endpoint(c, object, "to", &at, states);
        let trigger = trigger(c, object, &at);
        let (Some(from), Some(to), Some(trigger)) = (from, to, trigger) else {
            continue;
        };
        if terminal.contains(from) {
            c.err(
                format!("{at}.from"),
                format!("state `{from}` is terminal, so no action can leave it"),
            );
        }
        let (success_before, catch_all_before) = earlier.get(from).copied().unwrap_or_default();
        match &trigger {
            TransitionTrigger::Success => {
                if success_before {
                    c.err(
                        &at,
                        format!("duplicate success transition from `{from}`; only the first would be used"),
                    );
                }
            }
            TransitionTrigger::Error(_) => {
                if catch_all_before {
                    c.err(
                        &at,
                        format!("an earlier error transition from `{from}` catches every error, so this one is never used"),
                    );
                }
            }
        }
        let seen = earlier.entry(from).or_default();
        match &trigger {
            TransitionTrigger::Success => seen.0 = true,
            TransitionTrigger::Error(None) => seen.1 = true,
            TransitionTrigger::Error(Some(_)) => {}
        }
        out.push(Transition {
            from: from.to_owned(),
            to: to.to_owned(),
            trigger,
        });
    }
    out
}

fn endpoint<'v>(
    c: &mut Checker,
    transition: &'v Map<String, Value>,
    key: &str,
    at: &str,
    states: &HashSet<&str>,
) -> Option<&'v str> {
    let here = format!("{at}.{key}");
    let name = c.name(transition, key, &here)?;
    if states.contains(name) {
        Some(name)
    } else {
        c.err(here, format!("unknown state `{name}`"));
        None
    }
}

fn trigger(
    c: &mut Checker,
    transition: &Map<String, Value>,
    at: &str,
) -> Option<TransitionTrigger> {
    let on_error = match transition.get("onError") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(flag)) => *flag,
        Some(_) => {
            c.err(format!("{at}.onError"), "must be a boolean");
            return None;
        }
    };
    let here = format!("{at}.onErrorRegexp");
    let source = match transition.get("onErrorRegexp") {
        None | Some(Value::Null) => None,
        Some(Value::String(source)) if source.is_empty() => None,
        Some(Value::String(source)) => Some(source),
        Some(_) => {
            c.err(here, "must be a string");
            return None;
        }
    };
    match (on_error, source) {
        (false, None) => Some(TransitionTrigger::Success),
        (false, Some(_)) => {
            c.err(here, "only applies to error transitions (onError: true)");
            None
        }
        (true, None) => Some(TransitionTrigger::Error(None)),
        (true, Some(source)) => match RegexBuilder::new(source)
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
        {
            Ok(regex) => Some(TransitionTrigger::Error(Some(Pattern::new(regex)))),
            Err(_) => {
                c.err(
                    here,
                    format!("`{source}` is not a valid regular expression"),
                );
                None
            }
        },
    }
}

/// Every state must be reachable from the initial one through any
/// transition, success or error; otherwise it is dead weight or a typo.
fn unreachable_states(c: &mut Checker, initial: &str, states: &[String], actions: &[Action]) {
    let mut leaving: HashMap<&str, Vec<&str>> = HashMap::new();
    for transition in actions.iter().flat_map(|a| &a.transitions) {
        leaving
            .entry(transition.from.as_str())
            .or_default()
            .push(transition.to.as_str());
    }
    let mut seen: HashSet<&str> = HashSet::from([initial]);
    let mut queue: VecDeque<&str> = VecDeque::from([initial]);
    while let Some(state) = queue.pop_front() {
        for &to in leaving.get(state).into_iter().flatten() {
            if seen.insert(to) {
                queue.push_back(to);
            }
        }
    }
    for (index, state) in states.iter().enumerate() {
        if !seen.contains(state.as_str()) {
            c.err(
                format!("{ROOT}.states[{index}]"),
                format!("state `{state}` is unreachable from initial state `{initial}`"),
            );
        }
    }
}
