//! Questions the exchange asks a lifecycle at run time: may this action
//! start, and where does its job leave the service.

use super::error::LifecycleError;
use super::types::{Action, LifecycleSchema, TransitionTrigger};

impl LifecycleSchema {
    /// The state a new service starts in.
    pub fn initial_state(&self) -> &str {
        &self.initial_state
    }

    /// Declared states, in order.
    pub fn states(&self) -> &[String] {
        &self.states
    }

    pub fn has_state(&self, state: &str) -> bool {
        self.states.iter().any(|s| s == state)
    }

    /// Declared actions, in order.
    pub fn actions(&self) -> &[Action] {
        &self.actions
    }

    pub fn terminal_states(&self) -> &[String] {
        &self.terminal_states
    }

    pub fn running_states(&self) -> &[String] {
        &self.running_states
    }

    /// Whether no action can be performed any more in `state`.
    pub fn is_terminal(&self, state: &str) -> bool {
        self.terminal_states.iter().any(|s| s == state)
    }

    /// Whether `state` counts as "running" for uptime.
    pub fn is_running(&self, state: &str) -> bool {
        self.running_states.iter().any(|s| s == state)
    }

    pub fn action(&self, name: &str) -> Option<&Action> {
        self.actions.iter().find(|a| a.name == name)
    }

    /// Whether a service in `state` may start `action`: the action must
    /// exist, the state must not be terminal, and the action must have a
    /// transition (success or error) leaving `state`.
    pub fn can_perform(&self, state: &str, action: &str) -> Result<(), LifecycleError> {
        let found = self.known_action(action)?;
        if self.is_terminal(state) {
            return Err(LifecycleError::TerminalState {
                state: state.to_owned(),
            });
        }
        if found.transitions.iter().any(|t| t.from == state) {
            Ok(())
        } else {
            Err(LifecycleError::NotAllowed {
                action: action.to_owned(),
                state: state.to_owned(),
            })
        }
    }

    /// The state after `action`'s job succeeds from `state`: the first
    /// success transition leaving `state`.
    pub fn on_success(&self, state: &str, action: &str) -> Result<&str, LifecycleError> {
        let found = self.known_action(action)?;
        let mut leaves = false;
        for transition in found.transitions.iter().filter(|t| t.from == state) {
            leaves = true;
            if transition.trigger == TransitionTrigger::Success {
                return Ok(&transition.to);
            }
        }
        let (action, state) = (action.to_owned(), state.to_owned());
        Err(if leaves {
            LifecycleError::NoSuccessTransition { action, state }
        } else {
            LifecycleError::NotAllowed { action, state }
        })
    }

    /// The state after `action`'s job fails from `state` with `message`:
    /// the first error transition leaving `state`, in declared order, whose
    /// pattern is absent or found in the message. `None` means the service
    /// stays where it is (also for unknown actions).
    pub fn on_error(&self, state: &str, action: &str, message: &str) -> Option<&str> {
        self.action(action)?
            .transitions
            .iter()
            .find(|t| t.from == state && t.routes_error(message))
            .map(|t| t.to.as_str())
    }

    /// Actions that can be started from `state`, in declared order.
    pub fn actions_from(&self, state: &str) -> Vec<&Action> {
        if self.is_terminal(state) {
            return Vec::new();
        }
        self.actions
            .iter()
            .filter(|a| a.transitions.iter().any(|t| t.from == state))
            .collect()
    }

    fn known_action(&self, action: &str) -> Result<&Action, LifecycleError> {
        self.action(action)
            .ok_or_else(|| LifecycleError::UnknownAction {
                action: action.to_owned(),
            })
    }
}
