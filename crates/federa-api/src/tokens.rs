//! API tokens. A token's value is shown once, when it is made.

use chrono::{DateTime, Utc};
pub use federa_domain::access::Role;
use federa_domain::token::Token;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TokenRes {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
    pub expire_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub participant_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The plain token value; present only in the answer to create and regenerate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl TokenRes {
    /// `token` as answered; `value` only where the token was just made.
    pub fn new(token: Token, value: Option<String>) -> TokenRes {
        TokenRes {
            id: token.id,
            name: token.name,
            role: token.role,
            expire_at: token.expire_at,
            participant_id: token.participant_id,
            agent_id: token.agent_id,
            created_at: token.created_at,
            updated_at: token.updated_at,
            value,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TokenCreateReq {
    pub name: String,
    pub role: Role,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expire_at: Option<DateTime<Utc>>,
    /// The participant (participant role) or agent (agent role) the token acts for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope_id: Option<Uuid>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TokenUpdateReq {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expire_at: Option<DateTime<Utc>>,
}
