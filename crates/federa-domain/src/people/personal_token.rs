//! A personal token: a user's own bearer secret, acting for one participant
//! the user belongs to with the role the membership has when it is used.
//! Only the hash of its value is kept.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::access::Owners;
use crate::listing::{FilterKind, FilterSpec, ListSpec};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonalToken {
    pub id: Uuid,
    pub user_id: Uuid,
    pub participant_id: Uuid,
    pub name: String,
    pub expire_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl PersonalToken {
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expire_at <= now
    }

    /// A personal token is its user's alone.
    pub fn owners(&self) -> Owners {
        Owners::user(self.user_id)
    }
}

/// Every personal token value starts with this, so a revoked one can be
/// told from a Fulcrum token without a lookup and answered 401.
pub const VALUE_PREFIX: &str = "fpt_";

pub const PERSONAL_TOKEN_LIST: ListSpec = ListSpec {
    filters: &[
        FilterSpec::new("userId", "user_id", FilterKind::Uuid),
        FilterSpec::new("participantId", "participant_id", FilterKind::Uuid),
        FilterSpec::new("name", "name", FilterKind::Contains),
    ],
    sorts: &[("name", "LOWER(name)"), ("createdAt", "created_at")],
    default_sort: ("created_at", false),
};
