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

/// Who is calling, as authentication established it: each role with
/// exactly the ids it has, so an agent without its agent id or an admin
/// acting for a participant cannot be written down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    Admin,
    Participant {
        participant_id: Uuid,
    },
    /// `participant_id` is the participant that operates the agent, so
    /// "its associated participant" rules need no extra lookup.
    Agent {
        agent_id: Uuid,
        participant_id: Uuid,
    },
}

/// The caller and the credential that proved it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    pub caller: Caller,
    /// The API token that authenticated the caller, if it was one; events
    /// name it as their initiator, as Fulcrum does.
    pub token_id: Option<Uuid>,
}

impl Identity {
    pub fn admin() -> Identity {
        Identity::from(Caller::Admin)
    }

    pub fn participant(participant_id: Uuid) -> Identity {
        Identity::from(Caller::Participant { participant_id })
    }

    pub fn agent(agent_id: Uuid, participant_id: Uuid) -> Identity {
        Identity::from(Caller::Agent {
            agent_id,
            participant_id,
        })
    }

    /// The same caller, authenticated by the API token `token_id`.
    pub fn by_token(self, token_id: Uuid) -> Identity {
        Identity {
            token_id: Some(token_id),
            ..self
        }
    }

    pub fn role(&self) -> Role {
        match self.caller {
            Caller::Admin => Role::Admin,
            Caller::Participant { .. } => Role::Participant,
            Caller::Agent { .. } => Role::Agent,
        }
    }

    /// The participant the caller is or acts for; none for an admin.
    pub fn participant_id(&self) -> Option<Uuid> {
        match self.caller {
            Caller::Admin => None,
            Caller::Participant { participant_id } | Caller::Agent { participant_id, .. } => {
                Some(participant_id)
            }
        }
    }

    /// The agent calling, if an agent is.
    pub fn agent_id(&self) -> Option<Uuid> {
        match self.caller {
            Caller::Agent { agent_id, .. } => Some(agent_id),
            _ => None,
        }
    }

    pub fn is_admin(&self) -> bool {
        self.caller == Caller::Admin
    }
}

impl From<Caller> for Identity {
    fn from(caller: Caller) -> Identity {
        Identity {
            caller,
            token_id: None,
        }
    }
}
