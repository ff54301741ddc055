//! People: users, their memberships of participants and their personal
//! tokens. A personal token's value is shown once, when it is made.

use chrono::{DateTime, Utc};
pub use federa_domain::access::MemberRole;
use federa_domain::people::{Membership, PersonalToken, User};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct UserRes {
    pub id: Uuid,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The subject of the user's OpenID Connect logins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc_subject: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<User> for UserRes {
    fn from(u: User) -> UserRes {
        UserRes {
            id: u.id,
            name: u.name,
            email: u.email,
            oidc_subject: u.oidc_subject,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct UserCreateReq {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Unique: an OpenID Connect login with this subject acts as the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc_subject: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct UserUpdateReq {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// An empty text removes the address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// An empty text removes the subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc_subject: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MembershipRes {
    pub id: Uuid,
    pub user_id: Uuid,
    pub participant_id: Uuid,
    pub role: MemberRole,
    /// The participant's projects the member's service rights are limited
    /// to; empty for all of the participant's services.
    pub project_ids: Vec<Uuid>,
    /// The user's name, for those of the participant who may not read
    /// users themselves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Membership> for MembershipRes {
    fn from(m: Membership) -> MembershipRes {
        MembershipRes {
            id: m.id,
            user_id: m.user_id,
            participant_id: m.participant_id,
            role: m.role,
            project_ids: m.project_ids,
            user_name: None,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MembershipCreateReq {
    pub user_id: Uuid,
    pub participant_id: Uuid,
    pub role: MemberRole,
    /// Projects of the participant; none for all of its services.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub project_ids: Vec<Uuid>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MembershipUpdateReq {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<MemberRole>,
    /// Replaces the projects; an empty list reaches all of the participant's services.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_ids: Option<Vec<Uuid>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PersonalTokenRes {
    pub id: Uuid,
    pub user_id: Uuid,
    /// The participant the token acts for, with the user's role there.
    pub participant_id: Uuid,
    pub name: String,
    pub expire_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The plain token value; present only in the answer to create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl PersonalTokenRes {
    /// `token` as answered; `value` only where the token was just made.
    pub fn new(token: PersonalToken, value: Option<String>) -> PersonalTokenRes {
        PersonalTokenRes {
            id: token.id,
            user_id: token.user_id,
            participant_id: token.participant_id,
            name: token.name,
            expire_at: token.expire_at,
            created_at: token.created_at,
            updated_at: token.updated_at,
            value,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PersonalTokenCreateReq {
    pub name: String,
    /// A participant the user belongs to.
    pub participant_id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire_at: Option<DateTime<Utc>>,
}
