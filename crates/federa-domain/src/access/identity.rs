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

/// A person's role within a participant it belongs to, from least to
/// most: each may do everything the one before it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum MemberRole {
    /// Reads what its participant may read.
    Viewer,
    /// Orders and manages services in its projects.
    Member,
    /// A member that may also approve orders.
    Approver,
    /// An approver that also manages projects, quotas, groups and memberships.
    Manager,
    /// Everything its participant may do.
    Owner,
}

impl MemberRole {
    pub const NAMES: &'static [&'static str] =
        &["viewer", "member", "approver", "manager", "owner"];

    pub fn as_str(self) -> &'static str {
        match self {
            MemberRole::Viewer => "viewer",
            MemberRole::Member => "member",
            MemberRole::Approver => "approver",
            MemberRole::Manager => "manager",
            MemberRole::Owner => "owner",
        }
    }

    pub fn parse(text: &str) -> Option<MemberRole> {
        MemberRole::ALL
            .into_iter()
            .find(|role| role.as_str() == text)
    }

    pub const ALL: [MemberRole; 5] = [
        MemberRole::Viewer,
        MemberRole::Member,
        MemberRole::Approver,
        MemberRole::Manager,
        MemberRole::Owner,
    ];
}

/// The projects of its participant a person's service rights reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProjectReach {
    /// Every service of the participant, in a project or not.
    Whole,
    /// Only services in these projects (never an empty list: a membership
    /// naming no project reaches the whole participant).
    Only(Vec<Uuid>),
}

impl ProjectReach {
    /// The reach of a membership naming `projects`.
    pub fn of(projects: &[Uuid]) -> ProjectReach {
        if projects.is_empty() {
            ProjectReach::Whole
        } else {
            ProjectReach::Only(projects.to_vec())
        }
    }

    /// Whether an object in `project` (none: outside every project) is within reach.
    pub fn reaches(&self, project: Option<Uuid>) -> bool {
        match self {
            ProjectReach::Whole => true,
            ProjectReach::Only(projects) => project.is_some_and(|p| projects.contains(&p)),
        }
    }
}

/// A user acting through a personal token for one participant it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub user_id: Uuid,
    pub participant_id: Uuid,
    pub role: MemberRole,
    pub projects: ProjectReach,
}

/// Who is calling, as authentication established it: each role with
/// exactly the ids it has, so an agent without its agent id, an admin
/// acting for a participant or a person without a role cannot be written
/// down.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    Person(Person),
}

/// The caller and the credential that proved it.
#[derive(Debug, Clone, PartialEq, Eq)]
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

    pub fn person(person: Person) -> Identity {
        Identity::from(Caller::Person(person))
    }

    /// The same caller, authenticated by the API token `token_id`.
    pub fn by_token(self, token_id: Uuid) -> Identity {
        Identity {
            token_id: Some(token_id),
            ..self
        }
    }

    /// The Fulcrum role the caller acts in: a person acts for its
    /// participant, so as a participant, within its member role.
    pub fn role(&self) -> Role {
        match self.caller {
            Caller::Admin => Role::Admin,
            Caller::Participant { .. } | Caller::Person(_) => Role::Participant,
            Caller::Agent { .. } => Role::Agent,
        }
    }

    /// The participant the caller is or acts for; none for an admin.
    pub fn participant_id(&self) -> Option<Uuid> {
        match &self.caller {
            Caller::Admin => None,
            Caller::Participant { participant_id } | Caller::Agent { participant_id, .. } => {
                Some(*participant_id)
            }
            Caller::Person(person) => Some(person.participant_id),
        }
    }

    /// The agent calling, if an agent is.
    pub fn agent_id(&self) -> Option<Uuid> {
        match self.caller {
            Caller::Agent { agent_id, .. } => Some(agent_id),
            _ => None,
        }
    }

    /// The person calling, if a person is.
    pub fn person_ref(&self) -> Option<&Person> {
        match &self.caller {
            Caller::Person(person) => Some(person),
            _ => None,
        }
    }

    /// The user calling, if a person is.
    pub fn user_id(&self) -> Option<Uuid> {
        self.person_ref().map(|person| person.user_id)
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
