//! Drift: what the platform shows of a service set against what its
//! lifecycle state says, and the transitions a lifecycle declares for it.
//!
//! ```json
//! "driftTransitions": [{"from": "Started", "observed": "Stopped", "to": "Stopped"}]
//! ```
//!
//! A service `Started` whose agent observes its instance `Stopped` moves to
//! `Stopped`, so the usual actions (`start`) apply again. Without a
//! declared transition the service keeps its state and the drift is only
//! reported.

use serde_json::{json, Map, Value};

use super::types::{DriftTransition, LifecycleSchema, ObservedState};
use crate::property_schema::PropertyError;

/// What an observation means for a service, given the one before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reconciliation {
    /// The platform agrees with the lifecycle, as it did before.
    Agrees,
    /// The platform has just come to disagree; `to` is the state the
    /// lifecycle declares for it, if any.
    Drifted { to: Option<String> },
    /// Still the same disagreement, already reported.
    StillDrifted,
    /// The platform agrees again after a disagreement.
    Resolved,
}

impl LifecycleSchema {
    pub fn drift_transitions(&self) -> &[DriftTransition] {
        &self.drift_transitions
    }

    /// Whether the platform showing `observed` agrees with `status`. In the
    /// initial state nothing exists yet and in a terminal one nothing is
    /// left, so there is nothing to disagree with. Otherwise a running
    /// state wants a running instance, any other state a stopped one.
    pub fn agrees(&self, status: &str, observed: ObservedState) -> bool {
        if status == self.initial_state || self.is_terminal(status) {
            return true;
        }
        match observed {
            ObservedState::Running => self.is_running(status),
            ObservedState::Stopped => !self.is_running(status),
            ObservedState::Missing => false,
        }
    }

    /// The state the lifecycle declares for `status` observed `observed`.
    pub fn drift_transition(&self, status: &str, observed: ObservedState) -> Option<&str> {
        self.drift_transitions
            .iter()
            .find(|t| t.from == status && t.observed == observed)
            .map(|t| t.to.as_str())
    }

    /// What observing `observed` means for a service in `status` that was
    /// last observed `previous` (in the same status).
    pub fn reconcile(
        &self,
        status: &str,
        previous: Option<ObservedState>,
        observed: ObservedState,
    ) -> Reconciliation {
        let was_drifted = previous.is_some_and(|before| !self.agrees(status, before));
        if self.agrees(status, observed) {
            return if was_drifted {
                Reconciliation::Resolved
            } else {
                Reconciliation::Agrees
            };
        }
        if was_drifted && previous == Some(observed) {
            return Reconciliation::StillDrifted;
        }
        Reconciliation::Drifted {
            to: self.drift_transition(status, observed).map(str::to_owned),
        }
    }
}

/// `driftTransitions`: optional; each names declared states, a known
/// observed state, leaves no terminal state, and is the only one for its
/// state and observation.
pub(crate) fn parse_drift_transitions(
    root: &Map<String, Value>,
    states: &[String],
    terminal: &[String],
    errors: &mut Vec<PropertyError>,
) -> Vec<DriftTransition> {
    let here = "lifecycleSchema.driftTransitions";
    let entries = match root.get("driftTransitions") {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(entries)) => entries,
        Some(_) => {
            errors.push(PropertyError::new(here, "must be an array"));
            return Vec::new();
        }
    };
    let mut out: Vec<DriftTransition> = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let at = format!("{here}[{index}]");
        let Some(object) = entry.as_object() else {
            errors.push(PropertyError::new(at, "must be an object"));
            continue;
        };
        let mut state = |key: &str| -> Option<String> {
            match object.get(key).and_then(Value::as_str) {
                Some(name) if states.iter().any(|s| s == name) => Some(name.to_owned()),
                Some(name) => {
                    errors.push(PropertyError::new(
                        format!("{at}.{key}"),
                        format!("unknown state `{name}`"),
                    ));
                    None
                }
                None => {
                    errors.push(PropertyError::new(
                        format!("{at}.{key}"),
                        "is required and must be a state name",
                    ));
                    None
                }
            }
        };
        let (from, to) = (state("from"), state("to"));
        let observed = object
            .get("observed")
            .and_then(Value::as_str)
            .and_then(ObservedState::parse);
        if observed.is_none() {
            errors.push(PropertyError::new(
                format!("{at}.observed"),
                format!("must be one of {}", ObservedState::NAMES.join(", ")),
            ));
        }
        let (Some(from), Some(to), Some(observed)) = (from, to, observed) else {
            continue;
        };
        if terminal.contains(&from) {
            errors.push(PropertyError::new(
                format!("{at}.from"),
                format!("`{from}` is terminal: nothing is observed there"),
            ));
            continue;
        }
        if out.iter().any(|t| t.from == from && t.observed == observed) {
            errors.push(PropertyError::new(
                at,
                format!(
                    "a second transition from `{from}` observed {}; only the first could apply",
                    observed.as_str()
                ),
            ));
            continue;
        }
        out.push(DriftTransition { from, observed, to });
    }
    out
}

/// The `driftTransitions` document, or `None` when there are none.
pub(crate) fn drift_document(transitions: &[DriftTransition]) -> Option<Value> {
    (!transitions.is_empty()).then(|| {
        Value::Array(
            transitions
                .iter()
                .map(|t| json!({"from": t.from, "observed": t.observed.as_str(), "to": t.to}))
                .collect(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vm_with_drift(drift: Value) -> Result<LifecycleSchema, Vec<PropertyError>> {
        let mut document: Value =
            serde_json::from_str(crate::lifecycle::EXAMPLE_VM_LIFECYCLE).unwrap();
        document["driftTransitions"] = drift;
        LifecycleSchema::parse(&document)
    }

    #[test]
    fn a_declared_drift_transition_is_taken_once_and_resolution_is_reported() {
        let lifecycle =
            vm_with_drift(json!([{"from": "Started", "observed": "Stopped", "to": "Stopped"}]))
                .unwrap();
        use ObservedState::*;
        assert_eq!(
            lifecycle.reconcile("Started", Some(Running), Running),
            Reconciliation::Agrees
        );
        assert_eq!(
            lifecycle.reconcile("Started", Some(Running), Stopped),
            Reconciliation::Drifted {
                to: Some("Stopped".into())
            }
        );
        // Undeclared: reported, the state is kept.
        assert_eq!(
            lifecycle.reconcile("Started", None, Missing),
            Reconciliation::Drifted { to: None }
        );
        assert_eq!(
            lifecycle.reconcile("Started", Some(Missing), Missing),
            Reconciliation::StillDrifted
        );
        assert_eq!(
            lifecycle.reconcile("Stopped", Some(Running), Stopped),
            Reconciliation::Resolved
        );
        // Nothing exists before create, nothing after delete.
        assert_eq!(
            lifecycle.reconcile("New", None, Missing),
            Reconciliation::Agrees
        );
        assert_eq!(
            lifecycle.reconcile("Deleted", None, Missing),
            Reconciliation::Agrees
        );
    }

    #[test]
    fn drift_transitions_round_trip_and_bad_ones_name_their_field() {
        let declared = json!([{"from": "Started", "observed": "Stopped", "to": "Stopped"}]);
        let lifecycle = vm_with_drift(declared.clone()).unwrap();
        assert_eq!(lifecycle.to_json()["driftTransitions"], declared);
        let again = LifecycleSchema::parse(&lifecycle.to_json()).unwrap();
        assert_eq!(again, lifecycle);

        let errors = vm_with_drift(json!([
            {"from": "Gone", "observed": "Stopped", "to": "Stopped"},
            {"from": "Started", "observed": "Off", "to": "Stopped"},
            {"from": "Deleted", "observed": "Missing", "to": "Stopped"},
            {"from": "Started", "observed": "Missing", "to": "Failed"},
            {"from": "Started", "observed": "Missing", "to": "Stopped"}
        ]))
        .unwrap_err();
        let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "lifecycleSchema.driftTransitions[0].from",
                "lifecycleSchema.driftTransitions[1].observed",
                "lifecycleSchema.driftTransitions[2].from",
                "lifecycleSchema.driftTransitions[4]",
            ]
        );
        let not_a_list = vm_with_drift(json!({})).unwrap_err();
        assert_eq!(not_a_list[0].path, "lifecycleSchema.driftTransitions");
    }
}
