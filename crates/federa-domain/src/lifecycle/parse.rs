//! Checks a lifecycle document and builds the typed [`LifecycleSchema`].
//!
//! The rules are listed in the parent module's documentation; every broken
//! one is recorded with its path before the walk moves on.

use std::collections::{HashSet, VecDeque};

use regex::RegexBuilder;
use serde_json::{Map, Value};

use crate::property_schema::{Pattern, PropertyError};

use super::types::{Action, LifecycleSchema, RequestSchemaType, Transition, TransitionTrigger};

const ROOT: &str = "lifecycleSchema";
const REGEX_SIZE_LIMIT: usize = 1 << 20;

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

    let states = states(&mut c, root);
    let known = |name: &str| states.iter().any(|s| s == name);

    let initial_here = format!("{ROOT}.initialState");
    let initial_state = c
        .name(root, "initialState", &initial_here)
        .map(str::to_owned);
    if let Some(initial) = &initial_state {
        if !known(initial) {
            c.err(&initial_here, format!("unknown state `{initial}`"));
        }
    }
    let terminal_states = state_list(&mut c, root, "terminalStates", &states);
    let running_states = state_list(&mut c, root, "runningStates", &states);
    let actions = actions(&mut c, root, &states, &terminal_states);

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
        }),
        _ => Err(c.errors),
    }
}

fn states(c: &mut Checker, root: &Map<String, Value>) -> Vec<String> {
    let here = format!("{ROOT}.states");
    let entries = c.list(root, "states", &here, true);
    if entries.is_empty() && root.get("states").is_some_and(Value::is_array) {
        c.err(&here, "must declare at least one state");
    }
    let mut out: Vec<String> = Vec::new();
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
        if out.iter().any(|s| s == name) {
            c.err(name_here, format!("duplicate state `{name}`"));
        } else {
            out.push(name.to_owned());
        }
    }
    out
}

/// `terminalStates` / `runningStates`: optional lists of declared states.
fn state_list(
    c: &mut Checker,
    root: &Map<String, Value>,
    key: &str,
    states: &[String],
) -> Vec<String> {
    let here = format!("{ROOT}.{key}");
    let mut out: Vec<String> = Vec::new();
    for (index, entry) in c.list(root, key, &here, false).iter().enumerate() {
        let at = format!("{here}[{index}]");
        match entry.as_str() {
            Some(name) if states.iter().any(|s| s == name) => {
                if !out.iter().any(|s| s == name) {
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
    states: &[String],
    terminal: &[String],
) -> Vec<Action> {
    let here = format!("{ROOT}.actions");
    let entries = c.list(root, "actions", &here, true);
    if entries.is_empty() && root.get("actions").is_some_and(Value::is_array) {
        c.err(&here, "must declare at least one action");
    }
    let mut out: Vec<Action> = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let at = format!("{here}[{index}]");
        let Some(object) = entry.as_object() else {
            c.err(at, "must be an object");
            continue;
        };
        let name_here = format!("{at}.name");
        let name = c.name(object, "name", &name_here);
        if let Some(name) = name {
            if out.iter().any(|a| a.name == name) {
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
    states: &[String],
    terminal: &[String],
) -> Vec<Transition> {
    let here = format!("{at}.transitions");
    let entries = c.list(action, "transitions", &here, true);
    if entries.is_empty() && action.get("transitions").is_some_and(Value::is_array) {
        c.err(&here, "must contain at least one transition");
    }
    let mut out: Vec<Transition> = Vec::new();
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
        if terminal.iter().any(|s| s == from) {
            c.err(
                format!("{at}.from"),
                format!("state `{from}` is terminal, so no action can leave it"),
            );
        }
        let earlier = out.iter().filter(|t| t.from == from);
        match &trigger {
            TransitionTrigger::Success => {
                if earlier.clone().any(|t| !t.is_error()) {
                    c.err(
                        &at,
                        format!("duplicate success transition from `{from}`; only the first would be used"),
                    );
                }
            }
            TransitionTrigger::Error(_) => {
                if earlier
                    .clone()
                    .any(|t| t.trigger == TransitionTrigger::Error(None))
                {
                    c.err(
                        &at,
                        format!("an earlier error transition from `{from}` catches every error, so this one is never used"),
                    );
                }
            }
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
    states: &[String],
) -> Option<&'v str> {
    let here = format!("{at}.{key}");
    let name = c.name(transition, key, &here)?;
    if states.iter().any(|s| s == name) {
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
    let mut seen: HashSet<&str> = HashSet::from([initial]);
    let mut queue: VecDeque<&str> = VecDeque::from([initial]);
    while let Some(state) = queue.pop_front() {
        let next = actions
            .iter()
            .flat_map(|a| &a.transitions)
            .filter(|t| t.from == state)
            .map(|t| t.to.as_str());
        for to in next {
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
