use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::templates::{check_template, AUTH_TOKEN_PLACEHOLDER, CONFIG_URL_PLACEHOLDER};
use crate::listing::{FieldError, FilterKind, FilterSpec, ListSpec};
use crate::property_schema::PropertySchema;

/// A kind of agent (one per infrastructure stack, say), the service types
/// it can run and the configuration each of its agents needs.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentType {
    pub id: Uuid,
    pub name: String,
    pub service_type_ids: Vec<Uuid>,
    pub configuration_schema: Value,
    /// Rendered at install time into the agent's configuration file.
    pub config_template: Option<String>,
    /// Rendered at install time into the command that installs the agent.
    pub cmd_template: Option<String>,
    pub config_content_type: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl AgentType {
    /// The parsed configuration schema. Stored schemas were checked on write.
    pub fn configuration(&self) -> Option<PropertySchema> {
        PropertySchema::parse_configuration(&self.configuration_schema).ok()
    }
}

pub const AGENT_TYPE_LIST: ListSpec = ListSpec {
    filters: &[FilterSpec::new("name", "name", FilterKind::Contains)],
    sorts: &[("name", "LOWER(name)"), ("createdAt", "created_at")],
    default_sort: ("created_at", false),
};

/// The install command is useless without the config URL and the bootstrap
/// token, so, as in Fulcrum, it must use both.
fn check_install_command(template: &str) -> Vec<FieldError> {
    let used = super::templates::placeholders(template).unwrap_or_default();
    [CONFIG_URL_PLACEHOLDER, AUTH_TOKEN_PLACEHOLDER]
        .into_iter()
        .filter(|required| !used.contains(required))
        .map(|required| {
            FieldError::new(
                "cmdTemplate",
                format!("must use {{{{.{required}}}}} when configTemplate is set"),
            )
        })
        .collect()
}

/// Checks an agent type's configuration schema, templates and content type
/// together, reporting every problem.
pub fn check_agent_type(agent_type: &AgentType) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    let schema = PropertySchema::parse_configuration(&agent_type.configuration_schema)
        .map_err(|e| errors.extend(e))
        .ok();
    if let Some(schema) = &schema {
        let mut known: Vec<&str> = schema.properties().keys().map(String::as_str).collect();
        if let Some(template) = &agent_type.config_template {
            errors.extend(check_template("configTemplate", template, &known).err());
        }
        known.push(CONFIG_URL_PLACEHOLDER);
        known.push(AUTH_TOKEN_PLACEHOLDER);
        if let Some(template) = &agent_type.cmd_template {
            errors.extend(check_template("cmdTemplate", template, &known).err());
            errors.extend(check_install_command(template));
        }
    }
    if agent_type.cmd_template.is_some() != agent_type.config_template.is_some() {
        errors.push(FieldError::new(
            "cmdTemplate",
            "configTemplate and cmdTemplate must be given together",
        ));
    }
    if let Some(content_type) = &agent_type.config_content_type {
        if !is_media_type(content_type) {
            errors.push(FieldError::new(
                "configContentType",
                "must be a media type such as text/plain or application/yaml",
            ));
        }
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(duplicate) = agent_type
        .service_type_ids
        .iter()
        .find(|id| !seen.insert(**id))
    {
        errors.push(FieldError::new(
            "serviceTypeIds",
            format!("lists {duplicate} more than once"),
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// `type/subtype` with RFC 6838 name characters.
fn is_media_type(text: &str) -> bool {
    let name = |part: &str| {
        !part.is_empty()
            && part.len() <= 127
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$&-^_.+".contains(c))
    };
    match text.split_once('/') {
        Some((kind, subtype)) => name(kind) && name(subtype),
        None => false,
    }
}
