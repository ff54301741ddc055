//! Participants: the providers and consumers that make up the federation.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::commerce::{Budget, PropertyLimits};

use crate::listing::{FieldError, FilterKind, FilterSpec, ListSpec};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ParticipantStatus {
    Enabled,
    Disabled,
}

impl ParticipantStatus {
    pub const NAMES: &'static [&'static str] = &["Enabled", "Disabled"];

    pub fn as_str(self) -> &'static str {
        match self {
            ParticipantStatus::Enabled => "Enabled",
            ParticipantStatus::Disabled => "Disabled",
        }
    }

    pub fn parse(text: &str) -> Option<ParticipantStatus> {
        match text {
            "Enabled" => Some(ParticipantStatus::Enabled),
            "Disabled" => Some(ParticipantStatus::Disabled),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    pub id: Uuid,
    pub name: String,
    pub status: ParticipantStatus,
    /// Most services not in a terminal state it may consume at once; set
    /// by an admin.
    pub service_limit: Option<u32>,
    /// What it may spend a month on services, set by itself or an admin.
    pub budget: Option<Budget>,
    /// Limits on sums of quota-counted properties over its services.
    pub property_limits: PropertyLimits,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub const PARTICIPANT_LIST: ListSpec = ListSpec {
    filters: &[
        FilterSpec {
            param: "name",
            column: "name",
            kind: FilterKind::Contains,
        },
        FilterSpec {
            param: "status",
            column: "status",
            kind: FilterKind::OneOf(ParticipantStatus::NAMES),
        },
    ],
    sorts: &[("name", "LOWER(name)"), ("createdAt", "created_at")],
    default_sort: ("created_at", false),
};

pub const MAX_NAME_CHARS: usize = 255;

/// A display name: not blank, at most 255 characters.
pub fn check_name(path: &str, name: &str) -> Result<String, FieldError> {
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return Err(FieldError::new(path, "must not be empty"));
    }
    if trimmed.chars().count() > MAX_NAME_CHARS {
        return Err(FieldError::new(
            path,
            format!("must be at most {MAX_NAME_CHARS} characters"),
        ));
    }
    Ok(trimmed.to_string())
}
