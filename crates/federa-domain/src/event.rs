//! The audit log: every change is an event with a gap-free sequence number.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::access::{Identity, Role};

/// Who caused a change, as recorded on its event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Initiator {
    /// `user`, `agent` or `system`.
    pub kind: &'static str,
    pub id: String,
}

impl Initiator {
    pub fn system() -> Initiator {
        Initiator {
            kind: "system",
            id: "system".into(),
        }
    }

    pub fn of(identity: &Identity) -> Initiator {
        match identity.role {
            Role::Admin => Initiator {
                kind: "user",
                id: "admin".into(),
            },
            Role::Participant => Initiator {
                kind: "user",
                id: identity.participant_id.unwrap_or_default().to_string(),
            },
            Role::Agent => Initiator {
                kind: "agent",
                id: identity.agent_id.unwrap_or_default().to_string(),
            },
        }
    }
}

/// An event about to be written with the change it describes.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub kind: String,
    pub initiator: Initiator,
    pub entity_id: Option<Uuid>,
    pub provider_id: Option<Uuid>,
    pub consumer_id: Option<Uuid>,
    pub agent_id: Option<Uuid>,
    pub properties: Value,
}

impl NewEvent {
    pub fn new(kind: impl Into<String>, initiator: Initiator, entity_id: Uuid) -> NewEvent {
        NewEvent {
            kind: kind.into(),
            initiator,
            entity_id: Some(entity_id),
            provider_id: None,
            consumer_id: None,
            agent_id: None,
            properties: Value::Object(Default::default()),
        }
    }

    pub fn provider(mut self, id: Option<Uuid>) -> NewEvent {
        self.provider_id = id;
        self
    }

    pub fn consumer(mut self, id: Option<Uuid>) -> NewEvent {
        self.consumer_id = id;
        self
    }

    pub fn agent(mut self, id: Option<Uuid>) -> NewEvent {
        self.agent_id = id;
        self
    }

    pub fn properties(mut self, properties: Value) -> NewEvent {
        self.properties = properties;
        self
    }
}

/// A stored event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: Uuid,
    pub sequence_number: i64,
    pub kind: String,
    pub initiator_type: String,
    pub initiator_id: String,
    pub entity_id: Option<Uuid>,
    pub provider_id: Option<Uuid>,
    pub consumer_id: Option<Uuid>,
    pub agent_id: Option<Uuid>,
    pub properties: Value,
    pub created_at: DateTime<Utc>,
}
