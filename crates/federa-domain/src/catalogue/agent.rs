use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::access::Owners;
use crate::listing::{FieldError, FilterKind, FilterSpec, ListSpec};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AgentStatus {
    New,
    Connected,
    Disconnected,
    Error,
    Disabled,
}

impl AgentStatus {
    pub const NAMES: &'static [&'static str] =
        &["New", "Connected", "Disconnected", "Error", "Disabled"];

    pub fn as_str(self) -> &'static str {
        match self {
            AgentStatus::New => "New",
            AgentStatus::Connected => "Connected",
            AgentStatus::Disconnected => "Disconnected",
            AgentStatus::Error => "Error",
            AgentStatus::Disabled => "Disabled",
        }
    }

    pub fn parse(text: &str) -> Option<AgentStatus> {
        match text {
            "New" => Some(AgentStatus::New),
            "Connected" => Some(AgentStatus::Connected),
            "Disconnected" => Some(AgentStatus::Disconnected),
            "Error" => Some(AgentStatus::Error),
            "Disabled" => Some(AgentStatus::Disabled),
            _ => None,
        }
    }

    /// An agent reports only its own health; `New` and `Disabled` are set by
    /// people, and a disabled agent stays disabled whatever it reports.
    pub fn check_reported(self, current: AgentStatus) -> Result<AgentStatus, FieldError> {
        match self {
            AgentStatus::Connected | AgentStatus::Disconnected | AgentStatus::Error => {
                if current == AgentStatus::Disabled {
                    Err(FieldError::new(
                        "status",
                        "the agent is disabled; a participant or admin must enable it first",
                    ))
                } else {
                    Ok(self)
                }
            }
            AgentStatus::New | AgentStatus::Disabled => Err(FieldError::new(
                "status",
                "an agent may report Connected, Disconnected or Error",
            )),
        }
    }
}

/// One provider's running agent of some agent type. It serializes in the
/// shape the API answers it in, which `agent.updated` events diff.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Agent {
    pub id: Uuid,
    pub name: String,
    pub status: AgentStatus,
    /// The participant that operates the agent, as provider.
    pub provider_id: Uuid,
    pub agent_type_id: Uuid,
    pub tags: Vec<String>,
    pub configuration: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_pool_set_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_status_update: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Agent {
    pub fn owners(&self) -> Owners {
        Owners::owner(self.provider_id).with_agent(Some(self.id))
    }
}

pub const AGENT_LIST: ListSpec = ListSpec {
    filters: &[
        FilterSpec::new("name", "name", FilterKind::Contains),
        FilterSpec::new("status", "status", FilterKind::OneOf(AgentStatus::NAMES)),
        FilterSpec::new("providerId", "participant_id", FilterKind::Uuid),
        FilterSpec::new("agentTypeId", "agent_type_id", FilterKind::Uuid),
    ],
    sorts: &[
        ("name", "LOWER(name)"),
        ("createdAt", "created_at"),
        ("status", "status"),
    ],
    default_sort: ("created_at", false),
};

pub const MAX_TAGS: usize = 64;
pub const MAX_TAG_CHARS: usize = 100;

/// Tags are capability labels matched exactly: trimmed, not empty, not
/// repeated.
pub fn check_tags(tags: &[String]) -> Result<Vec<String>, FieldError> {
    if tags.len() > MAX_TAGS {
        return Err(FieldError::new(
            "tags",
            format!("must have at most {MAX_TAGS} entries"),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for (index, tag) in tags.iter().enumerate() {
        let tag = tag.trim();
        let path = format!("tags[{index}]");
        if tag.is_empty() {
            return Err(FieldError::new(path, "must not be empty"));
        }
        if tag.chars().count() > MAX_TAG_CHARS {
            return Err(FieldError::new(
                path,
                format!("must be at most {MAX_TAG_CHARS} characters"),
            ));
        }
        if !out.iter().any(|t| t == tag) {
            out.push(tag.to_string());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_trimmed_and_deduplicated() {
        let tags = vec![" gpu ".to_string(), "ssd".into(), "gpu".into()];
        assert_eq!(check_tags(&tags).unwrap(), vec!["gpu", "ssd"]);
        let error = check_tags(&["ok".into(), " ".into()]).unwrap_err();
        assert_eq!(error.path, "tags[1]");
    }

    #[test]
    fn agents_report_only_their_health() {
        use AgentStatus::*;
        assert_eq!(Connected.check_reported(New), Ok(Connected));
        assert_eq!(Error.check_reported(Connected), Ok(Error));
        assert!(Disabled.check_reported(Connected).is_err());
        assert!(New.check_reported(Connected).is_err());
        assert!(Connected.check_reported(Disabled).is_err());
    }
}
