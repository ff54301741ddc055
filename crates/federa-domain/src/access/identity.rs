use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The three roles of the Fulcrum-compatible API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Participant,
    Agent,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Participant => "participant",
            Role::Agent => "agent",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "admin" => Some(Role::Admin),
            "participant" => Some(Role::Participant),
            "agent" => Some(Role::Agent),
            _ => None,
        }
    }
}

/// The caller as established by authentication.
///
/// For an agent, `participant_id` is the participant that operates the agent,
/// so "its associated participant" rules need no extra lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    pub role: Role,
    pub participant_id: Option<Uuid>,
    pub agent_id: Option<Uuid>,
    /// The API token that authenticated the caller, if it was one; events
    /// name it as their initiator, as Fulcrum does.
    pub token_id: Option<Uuid>,
}

impl Identity {
    pub fn admin() -> Identity {
        Identity {
            role: Role::Admin,
            participant_id: None,
            agent_id: None,
            token_id: None,
        }
    }

    pub fn participant(participant_id: Uuid) -> Identity {
        Identity {
            role: Role::Participant,
            participant_id: Some(participant_id),
            agent_id: None,
            token_id: None,
        }
    }

    pub fn agent(agent_id: Uuid, participant_id: Uuid) -> Identity {
        Identity {
            role: Role::Agent,
            participant_id: Some(participant_id),
            agent_id: Some(agent_id),
            token_id: None,
        }
    }

    /// The same caller, authenticated by the API token `token_id`.
    pub fn by_token(self, token_id: Uuid) -> Identity {
        Identity {
            token_id: Some(token_id),
            ..self
        }
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}
