//! API tokens: opaque bearer secrets bound to a role and a scope.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::access::{Owners, Role};
use crate::listing::{FieldError, FilterKind, FilterSpec, ListSpec};

/// How long a token lives when its creator gives no `expireAt`.
pub const DEFAULT_LIFETIME: Duration = Duration::hours(24);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
    /// `None` only for the bootstrap admin token, which lives until replaced.
    pub expire_at: Option<DateTime<Utc>>,
    pub participant_id: Option<Uuid>,
    pub agent_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Token {
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expire_at.is_some_and(|at| at <= now)
    }

    pub fn owners(&self) -> Owners {
        Owners {
            owner: self.participant_id,
            consumer: None,
            agent: self.agent_id,
            ..Owners::default()
        }
    }
}

/// What a token's `scopeId` points at, by role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeTarget {
    None,
    Participant(Uuid),
    Agent(Uuid),
}

/// Checks the role/scope pairing of a new token: admin tokens have no scope,
/// participant tokens name a participant, agent tokens name an agent.
pub fn scope_target(role: Role, scope_id: Option<Uuid>) -> Result<ScopeTarget, FieldError> {
    match (role, scope_id) {
        (Role::Admin, None) => Ok(ScopeTarget::None),
        (Role::Admin, Some(_)) => Err(FieldError::new(
            "scopeId",
            "must be absent for an admin token",
        )),
        (Role::Participant, Some(id)) => Ok(ScopeTarget::Participant(id)),
        (Role::Agent, Some(id)) => Ok(ScopeTarget::Agent(id)),
        (_, None) => Err(FieldError::new(
            "scopeId",
            "is required for participant and agent tokens",
        )),
    }
}

/// The longest a token of each role may be made to live, counted from when
/// its expiry is set. Agent tokens live longer: an installed agent's token
/// is rotated by its owner, not by a person signing in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenLifetimes {
    pub admin: Duration,
    pub participant: Duration,
    pub agent: Duration,
}

impl Default for TokenLifetimes {
    fn default() -> Self {
        TokenLifetimes {
            admin: Duration::days(90),
            participant: Duration::days(90),
            agent: Duration::days(366),
        }
    }
}

impl TokenLifetimes {
    pub fn max_for(&self, role: Role) -> Duration {
        match role {
            Role::Admin => self.admin,
            Role::Participant => self.participant,
            Role::Agent => self.agent,
        }
    }

    /// An expiry must lie in the future, and no further than `role`'s
    /// longest lifetime.
    pub fn check_expiry(
        &self,
        role: Role,
        expire_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), FieldError> {
        let longest = self.max_for(role);
        if expire_at <= now {
            Err(FieldError::new("expireAt", "must be in the future"))
        } else if expire_at - now > longest {
            Err(FieldError::new(
                "expireAt",
                format!(
                    "must be at most {} days from now for a {} token",
                    longest.num_days(),
                    role.as_str()
                ),
            ))
        } else {
            Ok(())
        }
    }
}

pub const TOKEN_LIST: ListSpec = ListSpec {
    filters: &[
        FilterSpec {
            param: "name",
            column: "name",
            kind: FilterKind::Contains,
        },
        FilterSpec {
            param: "role",
            column: "role",
            kind: FilterKind::OneOf(&["admin", "participant", "agent"]),
        },
        FilterSpec {
            param: "participantId",
            column: "participant_id",
            kind: FilterKind::Uuid,
        },
        FilterSpec {
            param: "agentId",
            column: "agent_id",
            kind: FilterKind::Uuid,
        },
    ],
    sorts: &[
        ("name", "LOWER(name)"),
        ("createdAt", "created_at"),
        ("expireAt", "expire_at"),
    ],
    default_sort: ("created_at", false),
};
