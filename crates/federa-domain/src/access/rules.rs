use serde::Serialize;
use uuid::Uuid;

use super::identity::{Identity, MemberRole, Role};

/// Every kind of object the API exposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Object {
    Token,
    Participant,
    Agent,
    AgentType,
    Service,
    ServiceType,
    ServiceGroup,
    ServiceOptionType,
    ServiceOption,
    ServicePoolSet,
    ServicePool,
    ServicePoolValue,
    ConfigPool,
    ConfigPoolValue,
    Job,
    MetricType,
    MetricEntry,
    Event,
    VaultSecret,
    ProviderProfile,
    Offering,
    PlacementPolicy,
    Placement,
    Composition,
    Switch,
    Invoice,
    Webhook,
    Project,
    User,
    /// A user's role in a participant, and the projects it reaches there.
    Membership,
    /// A user's own bearer token, acting for one participant it belongs to.
    PersonalToken,
    /// A consumer's order of a service with a binding quote; accepting
    /// and cancelling it are updates, approving and rejecting it `Approve`.
    Order,
}

/// Every verb the API exposes. Lifecycle actions on services are `Update`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Action {
    Create,
    Get,
    List,
    Update,
    Delete,
    Regenerate,
    UpdateStatus,
    GetPending,
    Claim,
    Complete,
    Fail,
    Lease,
    Ack,
    Resolve,
    Preview,
    Approve,
    /// A provider accepts or declines what was asked of it.
    Confirm,
}

/// How the caller must be related to the object for a grant to hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Relation {
    /// The object's owning (or providing) participant is the caller's participant.
    Owner,
    /// The object's consuming participant is the caller's participant.
    Consumer,
    /// Either of the two above.
    OwnerOrConsumer,
    /// The object belongs to the calling agent itself.
    SelfAgent,
    /// As `Consumer`, and, for a person whose membership names projects,
    /// the object is in one of them.
    ConsumerInProject,
    /// The object is the calling person's user, or belongs to it.
    SelfUser,
}

/// The answer of the rule table for one role, object and action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Grant {
    Always,
    Never,
    When(Relation),
}

/// The participants, agent, project and user an object belongs to, as far
/// as it has them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Owners {
    pub owner: Option<Uuid>,
    pub consumer: Option<Uuid>,
    pub agent: Option<Uuid>,
    /// The consumer's project the object is in.
    pub project: Option<Uuid>,
    /// The user the object is or belongs to.
    pub user: Option<Uuid>,
}

impl Owners {
    pub fn none() -> Owners {
        Owners::default()
    }

    pub fn owner(owner: Uuid) -> Owners {
        Owners {
            owner: Some(owner),
            ..Owners::default()
        }
    }

    pub fn with_consumer(mut self, consumer: Uuid) -> Owners {
        self.consumer = Some(consumer);
        self
    }

    pub fn with_agent(mut self, agent: Option<Uuid>) -> Owners {
        self.agent = agent;
        self
    }

    pub fn with_project(mut self, project: Option<Uuid>) -> Owners {
        self.project = project;
        self
    }

    /// Something that is, or belongs to, the user `user`.
    pub fn user(user: Uuid) -> Owners {
        Owners {
            user: Some(user),
            ..Owners::default()
        }
    }
}

/// Which rows of a list the caller may see. `Matching` fields are alternatives:
/// a row is visible when any one of the given columns equals its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListScope {
    All,
    Matching {
        owner: Option<Uuid>,
        consumer: Option<Uuid>,
        agent: Option<Uuid>,
    },
}

/// Refusal with the reason, shown to the caller as a 403.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{role} may not {action:?} {object:?}{detail}")]
pub struct Denied {
    pub role: &'static str,
    pub object: Object,
    pub action: Action,
    pub detail: &'static str,
}

/// The rule table, after Fulcrum's AUTHORIZATION rules plus the objects Federa adds.
pub fn grant(role: Role, object: Object, action: Action) -> Grant {
    use Action::*;
    use Grant::{Always, Never, When};
    use Object::*;
    use Relation::*;

    if role == Role::Admin {
        // Admins may do everything except act as an agent (users, their
        // memberships and personal tokens included).
        return match (object, action) {
            (Job, GetPending | Claim | Complete | Fail)
            | (VaultSecret, Resolve)
            | (MetricEntry, Create) => Never,
            (Agent, UpdateStatus) => Never,
            _ => Always,
        };
    }
    let participant = role == Role::Participant;
    match (object, action) {
        (Token, Create | Get | List | Update | Delete | Regenerate) if participant => When(Owner),
        (Participant, Get | List) => When(Owner),
        (Participant, Update) if participant => When(Owner),
        (Agent, Create | Update | Delete) if participant => When(Owner),
        (Agent, Get | List) if participant => When(Owner),
        (Agent, Get | List | UpdateStatus) => When(SelfAgent),
        (AgentType | ServiceType | ServiceOptionType | MetricType, Get | List) => Always,
        (Service, Create) if participant => When(Consumer),
        (Service, Get | List) if participant => When(OwnerOrConsumer),
        (Service, Get | List) => When(SelfAgent),
        (Service, Update | Delete) if participant => When(Consumer),
        (ServiceGroup, Create | Update | Delete) if participant => When(Owner),
        (ServiceGroup, Get | List) if participant => When(Owner),
        (ServiceGroup, Get | List) => When(SelfAgent),
        // A consumer's projects are its own business: its agents' providers
        // and other participants never see them.
        (Project, Create | Get | List | Update | Delete) if participant => When(Owner),
        (ServiceOption, Create | Get | List | Update | Delete) => When(Owner),
        (ServicePoolSet, Create | Get | List | Update | Delete) if participant => When(Owner),
        (ServicePool, Create | Get | List | Update | Delete) if participant => When(Owner),
        (ServicePool, Get | List) => When(Owner),
        (ServicePoolValue, Create | Get | List | Delete) if participant => When(Owner),
        (ServicePoolValue, Get | List) => When(Owner),
        // A global config pool has no owner: only admins manage it.
        (ConfigPool, Create | Get | List | Update | Delete) if participant => When(Owner),
        (ConfigPool, Get | List) => When(Owner),
        (ConfigPoolValue, Create | Get | List | Delete) if participant => When(Owner),
        (Job, Get | List) if participant => When(OwnerOrConsumer),
        (Job, Get | List | GetPending | Claim | Complete | Fail) if !participant => When(SelfAgent),
        (MetricEntry, Create) if !participant => When(SelfAgent),
        // Agents report measurements; reading them is for people (as in Fulcrum).
        (MetricEntry, List) if participant => When(OwnerOrConsumer),
        (Event, List) if participant => When(OwnerOrConsumer),
        (VaultSecret, Resolve) if !participant => When(SelfAgent),
        (ProviderProfile | Offering, Get | List) => Always,
        (ProviderProfile | Offering, Create | Update | Delete) if participant => When(Owner),
        (PlacementPolicy, Create | Get | List | Update | Delete) if participant => When(Owner),
        (Placement, Preview) if participant => Always,
        (Composition, Create) if participant => Always,
        (Composition, Get | List | Update | Delete) if participant => When(Owner),
        // A consumer switches its own services (checked on the service too).
        (Switch, Create) if participant => Always,
        (Switch, Get | List | Update) if participant => When(Owner),
        (Invoice, Get | List) if participant => When(OwnerOrConsumer),
        // A participant's endpoints are sent the events it may list.
        (Webhook, Create | Get | List | Delete) if participant => When(Owner),
        // A participant's own credential manages who belongs to it and
        // approves its orders; users themselves are the admin's to create.
        (Membership, Create | Get | List | Update | Delete) if participant => When(Owner),
        // The provider a quote names sees the order once it is accepted,
        // which its owners then say.
        (Order, Create | Update | Approve) if participant => When(Consumer),
        (Order, Get | List) if participant => When(OwnerOrConsumer),
        (Order, Confirm) if participant => When(Owner),
        _ => Never,
    }
}

/// The rule table for a person with `role` in the participant it acts for:
/// a narrowing of what that participant's own credential may do, plus the
/// rows about the person itself.
pub fn person_grant(role: MemberRole, object: Object, action: Action) -> Grant {
    use Action::*;
    use Grant::{Never, When};
    use MemberRole::{Approver, Manager, Member, Owner as OwnerRole};
    use Object::*;
    use Relation::*;

    match (object, action) {
        // A person sees itself and manages its own tokens, whatever its role.
        (User, Get) => return When(SelfUser),
        (PersonalToken, Create | Get | List | Delete) => return When(SelfUser),
        (User | PersonalToken, _) => return Never,
        // Whoever belongs to a participant may see who else does.
        (Membership, Get | List) => return When(Owner),
        (Membership, _) if role >= Manager => return When(Owner),
        (Order, Approve) if role >= Approver => return When(Consumer),
        (Order, Confirm) if role >= Approver => return When(Owner),
        _ => {}
    }
    let participant = grant(Role::Participant, object, action);
    if role == OwnerRole {
        return participant;
    }
    let managed = matches!(object, Project | ServiceGroup);
    let ordered = matches!(
        (object, action),
        (Service, Create | Update | Delete) | (Placement, Preview) | (Order, Create | Update)
    );
    let read = matches!(action, Get | List) && !matches!(object, Token);
    match participant {
        Never => Never,
        _ if role >= Manager && (managed || ordered) => participant,
        // Service changes reach only the projects the membership names.
        When(Consumer) if role >= Member && ordered => When(ConsumerInProject),
        _ if role >= Member && ordered => participant,
        _ if read => participant,
        _ => Never,
    }
}

impl Identity {
    /// May this identity perform `action` on an object owned as `owners` says?
    pub fn authorize(&self, object: Object, action: Action, owners: &Owners) -> Result<(), Denied> {
        let denied = |detail| Denied {
            role: self.rank(),
            object,
            action,
            detail,
        };
        match self.grant(object, action) {
            Grant::Always => Ok(()),
            Grant::Never => Err(denied("")),
            Grant::When(relation) => {
                if self.relates(relation, owners) {
                    Ok(())
                } else {
                    Err(denied(" that it does not own"))
                }
            }
        }
    }

    /// May this identity perform `action` at all, before any object is known?
    pub fn may(&self, object: Object, action: Action) -> Result<(), Denied> {
        match self.grant(object, action) {
            Grant::Never => Err(Denied {
                role: self.rank(),
                object,
                action,
                detail: "",
            }),
            _ => Ok(()),
        }
    }

    /// The rows of a list this identity may see.
    pub fn list_scope(&self, object: Object) -> Result<ListScope, Denied> {
        let mine = self.participant_id();
        match self.grant(object, Action::List) {
            Grant::Always => Ok(ListScope::All),
            Grant::Never => Err(Denied {
                role: self.rank(),
                object,
                action: Action::List,
                detail: "",
            }),
            Grant::When(relation) => Ok(match relation {
                Relation::Owner => ListScope::Matching {
                    owner: Some(mine.unwrap_or_else(Uuid::nil)),
                    consumer: None,
                    agent: None,
                },
                Relation::Consumer | Relation::ConsumerInProject => ListScope::Matching {
                    owner: None,
                    consumer: Some(mine.unwrap_or_else(Uuid::nil)),
                    agent: None,
                },
                Relation::OwnerOrConsumer => ListScope::Matching {
                    owner: Some(mine.unwrap_or_else(Uuid::nil)),
                    consumer: Some(mine.unwrap_or_else(Uuid::nil)),
                    agent: None,
                },
                Relation::SelfAgent => ListScope::Matching {
                    owner: None,
                    consumer: None,
                    agent: Some(self.agent_id().unwrap_or_else(Uuid::nil)),
                },
                // Lists of a user's own things are read by the user's id,
                // which the route names; the table holds no list of them.
                Relation::SelfUser => ListScope::Matching {
                    owner: Some(Uuid::nil()),
                    consumer: None,
                    agent: None,
                },
            }),
        }
    }

    fn relates(&self, relation: Relation, owners: &Owners) -> bool {
        let is_mine = |id: Option<Uuid>| id.is_some() && id == self.participant_id();
        match relation {
            Relation::Owner => is_mine(owners.owner),
            Relation::Consumer => is_mine(owners.consumer),
            Relation::OwnerOrConsumer => is_mine(owners.owner) || is_mine(owners.consumer),
            Relation::SelfAgent => owners.agent.is_some() && owners.agent == self.agent_id(),
            Relation::ConsumerInProject => {
                is_mine(owners.consumer)
                    && self
                        .person_ref()
                        .is_none_or(|person| person.projects.reaches(owners.project))
            }
            Relation::SelfUser => owners.user.is_some() && owners.user == self.user_id(),
        }
    }

    /// The table's answer for this caller: a person's by its member role,
    /// anyone else's by its Fulcrum role.
    pub fn grant(&self, object: Object, action: Action) -> Grant {
        match self.person_ref() {
            Some(person) => person_grant(person.role, object, action),
            None => grant(self.role(), object, action),
        }
    }

    /// The name of the caller's rank in refusals: its member role for a
    /// person, else its Fulcrum role.
    fn rank(&self) -> &'static str {
        match self.person_ref() {
            Some(person) => person.role.as_str(),
            None => self.role().as_str(),
        }
    }
}
