//! The events the exchange writes about agents.

use federa_domain::catalogue::{Agent, AgentStatus};
use federa_domain::event::{Initiator, NewEvent};
use federa_domain::event_kind::EventKind;
use federa_domain::json_diff;
use serde_json::json;

/// `agent.updated`, as Fulcrum logs it: `properties.diff` is the RFC 6902
/// patch from the agent as it was to the agent as it is, in the shape
/// `GET /agents/{id}` answers. A change of status also names both statuses.
pub fn agent_updated_event(initiator: Initiator, before: &Agent, after: &Agent) -> NewEvent {
    let diff = json_diff::diff(
        &serde_json::to_value(before).unwrap_or_default(),
        &serde_json::to_value(after).unwrap_or_default(),
    );
    let mut properties = json!({"diff": diff});
    if before.status != after.status {
        properties["from"] = json!(before.status);
        properties["to"] = json!(after.status);
    }
    NewEvent::new(EventKind::AgentUpdated, initiator, after.id)
        .provider(Some(after.provider_id))
        .agent(Some(after.id))
        .properties(properties)
}

/// The event of an agent's status change noticed by the exchange, its
/// silence or its return: Fulcrum's `agent.updated` with the diff of the
/// status, as for the agent's own report.
pub fn agent_status_event(
    initiator: Initiator,
    agent: &Agent,
    from: AgentStatus,
    to: AgentStatus,
) -> NewEvent {
    let before = Agent {
        status: from,
        ..agent.clone()
    };
    let after = Agent {
        status: to,
        ..agent.clone()
    };
    agent_updated_event(initiator, &before, &after)
}
